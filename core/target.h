/* Launching the traced program: fork, hold the child until its events are open, then exec. */
#ifndef HWT_CORE_TARGET_H
#define HWT_CORE_TARGET_H

#include <stddef.h>
#include <sys/types.h>

struct hwt_launch {
	pid_t pid;  /* the child, waiting for hwt_launch_release() */
	int go_fd;  /* write end: one byte lets the child exec */
	int err_fd; /* read end: EOF once exec succeeded, an errno if it failed */
	int pidfd;  /* readable when the child exits (-1 if pidfd_open is missing) */
};

/** Finds @prog like execvp() would; writes the path to @path. Returns 0, HWT_E_NOENT (not found)
 *  or HWT_E_PERM (found but not executable, or a directory), with @why filled. */
int hwt_target_resolve(const char *prog, char *path, size_t len, char *why, size_t whylen);

/** Forks a child that waits, then execs @path with @argv. Returns 0 or a negative error. */
int hwt_launch_start(struct hwt_launch *l, const char *path, char *const argv[]);

/** Lets the child exec and waits until it did. Returns 0, or HWT_E_EXEC with errno set to why
 *  exec failed (the child has then exited and been reaped). */
int hwt_launch_release(struct hwt_launch *l);

/* Clean-ups an earlier recorder left running in the background (its uprobes still being
 * unregistered, ~50 ms, which puts their breakpoints into a program started meanwhile: the
 * in-process patcher then refuses those functions) hold a lock; hwt_launch_release() waits for
 * it first, for 2 s at most. */

/** Takes the clean-up lock for a helper about to be forked: returns a descriptor the helper keeps
 *  until its work is done and the caller closes after the fork, or -1 (no lock: nothing waits). */
int hwt_cleanup_hold(void);

/** Kills and reaps a child that was never released; closes the descriptors. */
void hwt_launch_abort(struct hwt_launch *l);

/** Closes the descriptors of @l except the pidfd. */
void hwt_launch_fini(struct hwt_launch *l);

/* The process tree of a launched program: hwtrace becomes the reaper of the orphans of the
 * processes it starts (PR_SET_CHILD_SUBREAPER), so a daemon that double-forks and whose parent
 * exits stays its child, to be signalled and waited for. */

/** Makes this process the reaper of its descendants' orphans. Returns 0, or HWT_E_NOTSUP. */
int hwt_tree_adopt(void);

/** Whether this process has a child other than @launched and the recorder's own helpers (an
 *  orphan adopted): 1 or 0. */
int hwt_tree_others(pid_t launched);

/** Marks @pid, a child the recorder forked for its own work (a plugin's background clean-up), as
 *  no part of the traced tree: hwt_tree_others() and hwt_tree_reap() do not wait for it, and
 *  hwt_tree_signal() leaves it alone. Returns 0, or HWT_E_NOMEM when too many are marked. */
int hwt_tree_helper(pid_t pid);

/** Sends @sig to @launched (if > 0) and to every child of this process: the processes of the
 *  tree that hwtrace can name (their own children get it from them, as from a terminal). */
void hwt_tree_signal(pid_t launched, int sig);

/** Reaps the children that have exited, without waiting; the wait status of @launched, if it is
 *  among them, goes to *@status. Returns 1 once no child is left but helpers, else 0. */
int hwt_tree_reap(pid_t launched, int *status);

#endif

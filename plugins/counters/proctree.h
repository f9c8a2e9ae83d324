/* Following the processes and threads of a traced program as they come and go: the target and
 * every descendant, found through /proc/PID/task and /proc/PID/task/TID/children on each scan.
 * Shared by the proc and counters plugins. */
#ifndef HWT_PLUGINS_PROCTREE_H
#define HWT_PLUGINS_PROCTREE_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/** What a scan tells its user; every hook may be NULL. Each gets the tree's @ctx. A hook that
 *  returns a negative enum hwt_error stops the scan with that error (the thing stays unknown and
 *  is offered again on the next scan). */
struct hwt_proctree_ops {
	/* A process seen for the first time (before any of its threads). */
	int (*proc_new)(void *ctx, int pid);
	/* A process gone (exited, or reaped): after its threads' thread_gone. */
	void (*proc_gone)(void *ctx, int pid);
	/* A thread seen for the first time; tid == pid for a process's main thread. */
	int (*thread_new)(void *ctx, int pid, int tid);
	/* A thread no longer listed in its process's task folder. */
	void (*thread_gone)(void *ctx, int pid, int tid);
};

struct hwt_proctree_proc;
struct hwt_proctree_thread;

/** The processes and threads seen so far. Use with _init/_scan/_fini only. */
struct hwt_proctree {
	struct hwt_proctree_ops ops; /* copied */
	void *ctx;		     /* borrowed */
	int follow;		     /* 1: descendants too; 0: the root process alone */
	uint32_t gen;		     /* the current scan */
	struct hwt_proctree_proc *procs;
	size_t nprocs, cap_procs;
	struct hwt_proctree_thread *threads;
	size_t nthreads, cap_threads;
	struct hwt_idmap thread_ids; /* tid -> index in threads + 1; 0: gone */
	struct hwt_idmap proc_ids;   /* pid -> 1 while known, 0: gone */
	char *buf;		     /* for the children files */
	size_t cap_buf;
	size_t nchildfds; /* children files kept open */
};

/** Starts following process @root (and, with @follow, its descendants): nothing is read until
 *  the first scan. @ops is copied, @ctx borrowed until _fini. Returns 0 or HWT_E_INVAL. */
int hwt_proctree_init(struct hwt_proctree *t, int root, int follow,
		      const struct hwt_proctree_ops *ops, void *ctx);

/** Lists the threads of every process followed, and with follow their children, calling the
 *  hooks for what appeared and what is gone since the last scan. One getdents per process and,
 *  with follow, one pread per thread (its children file, kept open for the first 256 threads).
 *  Returns the number of processes alive (0: all gone), or the first error of a hook or
 *  HWT_E_NOMEM. */
int hwt_proctree_scan(struct hwt_proctree *t);

/** Closes what @t holds, calling no hooks; @t may be zero-filled or NULL. */
void hwt_proctree_fini(struct hwt_proctree *t);

#endif

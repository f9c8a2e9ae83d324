/* The `watch` plugin holds the target at its exec (ptrace) until a write breakpoint is set.
 * Private to plugins/counters/. */
#ifndef HWT_PLUGINS_WATCH_HOLD_H
#define HWT_PLUGINS_WATCH_HOLD_H

/** Makes the calling thread the tracer of @pid (PTRACE_SEIZE, stopping at exec and, when asked,
 *  at syscalls): it must make the later calls. Returns 0 or -errno (EPERM: another tracer,
 *  Yama, a container without CAP_SYS_PTRACE). */
int hwt_watch_hold(int pid);

/** What the ready() of hwt_watch_hold_until() says. */
enum hwt_watch_hold_state {
	HWT_WATCH_HOLD_EXEC = 0, /* not yet: let it run to its next exec */
	HWT_WATCH_HOLD_DONE = 1, /* ready: let it go */
	HWT_WATCH_HOLD_MMAP = 2, /* not yet: stop it at its next mmap or mprotect too */
};

/**
 * Lets the held @pid run to its exec and calls @ready(@ctx) there and, while it returns
 * HWT_WATCH_HOLD_MMAP, at each mmap or mprotect after (a library is being mapped), until it
 * returns HWT_WATCH_HOLD_DONE or fails (< 0): then detaches, so that the program runs on
 * untraced. Signals meant for the program are passed on. Gives up (detaches) a thousand
 * syscalls after an exec, when the process ends or when *@stop becomes non-zero. Returns what
 * @ready returned last, or 0.
 */
int hwt_watch_hold_until(int pid, int (*ready)(void *ctx), void *ctx, const int *stop);

/* ---- several breakpoints on one program ---------------------------------------------------
 * A program has one tracer: the watches that need it held share one holder thread, started by
 * the first of them, which owns it. */

struct hwt_watch_group;

/** A watch held with others: embedded in its state, zeroed but for .pid and .ready. */
struct hwt_watch_member {
	int pid;
	/** At the held program's exec or mmaps, under the groups' lock: 1 once done waiting
	 *  (its breakpoint is set, or it failed), 0 not yet; sets *@lib when what it waits for
	 *  is a library (then the program stops at its mmaps too). */
	int (*ready)(struct hwt_watch_member *m, int *lib);
	struct hwt_watch_group *group; /* NULL: not held */
	int owns;		       /* it started the group's thread */
	int done;		       /* under the lock: the group need not wait for it */
	int released;		       /* atomic: the program went on, or its wait is over */
	struct hwt_watch_member *next;
};

/** From start(), before the program is let go: @m joins the group holding its program, or
 *  starts one and waits until its thread holds it. Returns 0, or -errno if the program cannot
 *  be held (@m is then released at once). */
int hwt_watch_group_join(struct hwt_watch_member *m);

/** Has the group let @m's thread go on? */
int hwt_watch_group_released(const struct hwt_watch_member *m);

/** @m goes (its own thread has ended): out of its group; the owner ends the group's thread and
 *  frees the group. NULL group is fine. */
void hwt_watch_group_leave(struct hwt_watch_member *m);

#endif

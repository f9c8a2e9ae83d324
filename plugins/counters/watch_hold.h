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

#endif

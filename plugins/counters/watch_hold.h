/* The `watch` plugin holds the target at its exec (ptrace) until a write breakpoint is set.
 * Private to plugins/counters/. */
#ifndef HWT_PLUGINS_WATCH_HOLD_H
#define HWT_PLUGINS_WATCH_HOLD_H

/** Makes the calling thread the tracer of @pid (PTRACE_SEIZE, stopping at exec and, when asked,
 *  at syscalls): it must make the later calls. Returns 0 or -errno (EPERM: another tracer,
 *  Yama, a container without CAP_SYS_PTRACE). */
int hwt_watch_hold(int pid);

/**
 * Lets the held @pid run to its exec, then calls @ready(@ctx) there and, when @syscalls (a
 * library's variable), again at each mmap or mprotect it makes after until @ready returns
 * non-zero: then detaches, so that the program runs on untraced. Signals meant for the program
 * are passed on. Gives up (detaches) after a few thousand syscalls, when the process ends or
 * when *@stop becomes non-zero. Returns what @ready returned last (> 0: ready; < 0: it failed),
 * or 0.
 */
int hwt_watch_hold_until(int pid, int syscalls, int (*ready)(void *ctx), void *ctx,
			 const int *stop);

#endif

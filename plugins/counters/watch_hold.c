/* The `watch` plugin holds the target at its exec (ptrace), so that a write breakpoint on a
 * variable whose address is only known once the program is mapped (a PIE, a library) is set
 * before the program's first instruction, or before its first mmap after the library's. */
#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>

#include "hwtrace/error.h"
#include "plugins/counters/watch_hold.h"

#define HOLD_MAX_SYSCALLS 1000 /* stops at syscalls after an exec before giving up */

int hwt_watch_hold(int pid)
{
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACEEXEC | PTRACE_O_TRACESYSGOOD))
		return -errno;
	return 0;
}

/* The next stop of @pid, consumed: 1 with *@status, 0 if it ended or *@stop was set. Its end
 * is only looked at (WNOWAIT): the recording reaps the process. */
static int next_stop(int pid, const int *stop, int *status)
{
	siginfo_t si;

	while (!__atomic_load_n(stop, __ATOMIC_ACQUIRE)) {
		si.si_pid = 0;
		if (waitid(P_PID, (id_t)pid, &si, WSTOPPED | WEXITED | WNOWAIT | WNOHANG))
			return 0;
		if (si.si_pid && si.si_code != CLD_TRAPPED && si.si_code != CLD_STOPPED)
			return 0; /* exited or killed */
		if (si.si_pid && waitpid(pid, status, WNOHANG | __WALL) == pid)
			return 1;
		nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
	}
	return 0;
}

/* Is the stop @status at an mmap (or munmap, mprotect) syscall? */
static int at_mmap(int pid, int status)
{
	struct user_regs_struct regs;

	if (WSTOPSIG(status) != (SIGTRAP | 0x80) || ptrace(PTRACE_GETREGS, pid, 0, &regs))
		return 0;
	return regs.orig_rax == SYS_mmap || regs.orig_rax == SYS_mprotect;
}

int hwt_watch_hold_until(int pid, int (*ready)(void *ctx), void *ctx, const int *stop)
{
	int status, rc = 0;
	long nsyscalls = 0;

	while (next_stop(pid, stop, &status)) {
		int sig = 0;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXEC << 8))) {
			nsyscalls = 0;
			rc = ready(ctx);
		} else if (WSTOPSIG(status) == (SIGTRAP | 0x80)) {
			if (at_mmap(pid, status))
				rc = ready(ctx);
			if (++nsyscalls > HOLD_MAX_SYSCALLS)
				rc = 0; /* a library loaded late (dlopen): not held for */
		} else if (!(status >> 16)) {
			sig = WSTOPSIG(status); /* a signal for the program: it gets it */
		}
		if (rc == HWT_WATCH_HOLD_DONE || rc < 0 || nsyscalls > HOLD_MAX_SYSCALLS) {
			ptrace(PTRACE_DETACH, pid, 0, sig);
			return rc;
		}
		if (ptrace(rc == HWT_WATCH_HOLD_MMAP ? PTRACE_SYSCALL : PTRACE_CONT, pid, 0, sig))
			return 0;
	}
	ptrace(PTRACE_DETACH, pid, 0, 0);
	return 0;
}

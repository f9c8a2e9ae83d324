/* The `watch` plugin holds the target at its exec (ptrace), so that a write breakpoint on a
 * variable whose address is only known once the program is mapped (a PIE, a library) is set
 * before the program's first instruction, or before its first mmap after the library's. */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
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

/* ---- several breakpoints on one program --------------------------------------------------- */

struct hwt_watch_group {
	int pid;
	struct hwt_watch_member *members; /* under groups_lock */
	pthread_t thread;
	sem_t seized; /* posted once the thread holds the program, or could not */
	int err;      /* 0: held; -errno: ptrace refused */
	int stop;     /* atomic: give up */
	int over;     /* under groups_lock: the program goes on; no one joins any more */
	struct hwt_watch_group *next;
};

static pthread_mutex_t groups_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hwt_watch_group *groups;

/* Under groups_lock. */
static void release(struct hwt_watch_member *m)
{
	m->done = 1;
	__atomic_store_n(&m->released, 1, __ATOMIC_RELEASE);
}

static int group_ready(void *arg)
{
	struct hwt_watch_group *g = arg;
	int all = 1, lib = 0;

	pthread_mutex_lock(&groups_lock);
	for (struct hwt_watch_member *m = g->members; m; m = m->next) {
		int its_lib = 0;
		if (!m->done && m->ready(m, &its_lib))
			release(m);
		all &= m->done;
		lib |= !m->done && its_lib;
	}
	pthread_mutex_unlock(&groups_lock);
	return all ? HWT_WATCH_HOLD_DONE : lib ? HWT_WATCH_HOLD_MMAP : HWT_WATCH_HOLD_EXEC;
}

static void *holder_thread(void *arg)
{
	struct hwt_watch_group *g = arg;

	g->err = hwt_watch_hold(g->pid);
	sem_post(&g->seized);
	if (!g->err)
		hwt_watch_hold_until(g->pid, group_ready, g, &g->stop);
	pthread_mutex_lock(&groups_lock);
	g->over = 1;
	for (struct hwt_watch_member *m = g->members; m; m = m->next)
		release(m);
	pthread_mutex_unlock(&groups_lock);
	return NULL;
}

int hwt_watch_group_join(struct hwt_watch_member *m)
{
	struct hwt_watch_group *g;

	pthread_mutex_lock(&groups_lock);
	for (g = groups; g && (g->pid != m->pid || g->over); g = g->next)
		;
	if (g) {
		m->next = g->members;
		g->members = m;
		m->group = g;
	}
	pthread_mutex_unlock(&groups_lock);
	if (g)
		return g->err;
	if (!(g = calloc(1, sizeof(*g)))) {
		release(m);
		return -ENOMEM;
	}
	g->pid = m->pid;
	g->members = m;
	sem_init(&g->seized, 0, 0);
	if (pthread_create(&g->thread, NULL, holder_thread, g)) {
		sem_destroy(&g->seized);
		free(g);
		release(m);
		return -EAGAIN;
	}
	while (sem_wait(&g->seized) && errno == EINTR)
		;
	pthread_mutex_lock(&groups_lock);
	m->group = g;
	m->owns = 1;
	g->next = groups;
	groups = g;
	pthread_mutex_unlock(&groups_lock);
	return g->err;
}

int hwt_watch_group_released(const struct hwt_watch_member *m)
{
	return __atomic_load_n(&m->released, __ATOMIC_ACQUIRE);
}

void hwt_watch_group_leave(struct hwt_watch_member *m)
{
	pthread_mutex_lock(&groups_lock);
	struct hwt_watch_group *g = m->group;
	m->group = NULL;
	for (struct hwt_watch_member **p = g ? &g->members : NULL; p && *p; p = &(*p)->next)
		if (*p == m) {
			*p = m->next;
			break;
		}
	pthread_mutex_unlock(&groups_lock);
	if (!g || !m->owns)
		return;
	__atomic_store_n(&g->stop, 1, __ATOMIC_RELEASE);
	pthread_join(g->thread, NULL);
	pthread_mutex_lock(&groups_lock);
	for (struct hwt_watch_group **l = &groups; *l; l = &(*l)->next)
		if (*l == g) {
			*l = g->next;
			break;
		}
	for (struct hwt_watch_member *o = g->members; o; o = o->next)
		o->group = NULL;
	pthread_mutex_unlock(&groups_lock);
	sem_destroy(&g->seized);
	free(g);
}

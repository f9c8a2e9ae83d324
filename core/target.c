/* Target launch: the child blocks on a pipe until the recorder has opened its events, so nothing
 * the program does after exec is missed; a close-on-exec pipe reports whether exec worked. */
#include "target.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"

static int check_file(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (stat(path, &st))
		return HWT_E_NOENT;
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, whylen, "'%s' is a directory, not a program", path);
		return HWT_E_PERM;
	}
	if (access(path, X_OK)) {
		snprintf(why, whylen,
			 "'%s' is not executable (chmod +x it, or run it through its interpreter)",
			 path);
		return HWT_E_PERM;
	}
	return 0;
}

int hwt_target_resolve(const char *prog, char *path, size_t len, char *why, size_t whylen)
{
	if (!prog || !*prog) {
		snprintf(why, whylen,
			 "no program given: hwtrace record [options] -- PROGRAM [ARGS]");
		return HWT_E_INVAL;
	}
	if (strchr(prog, '/')) {
		int err = check_file(prog, why, whylen);
		if (err == HWT_E_NOENT)
			snprintf(why, whylen, "program '%s' not found: check the path", prog);
		if (!err && (size_t)snprintf(path, len, "%s", prog) >= len) {
			snprintf(why, whylen, "the path of program '%s' is too long", prog);
			return HWT_E_INVAL;
		}
		return err;
	}
	const char *env = getenv("PATH");
	char *dirs = strdup(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
	int err = HWT_E_NOENT;
	char denied[256] = "";

	if (!dirs)
		return HWT_E_NOMEM;
	/* Empty entries (a leading, trailing or doubled ':') mean the current directory, as for
	 * execvp; strtok_r would skip them. */
	for (char *next = dirs, *d; (d = strsep(&next, ":"));) {
		if ((size_t)snprintf(path, len, "%s/%s", *d ? d : ".", prog) >= len)
			continue; /* too long to be run from here */
		int e = check_file(path, denied, sizeof(denied));
		if (!e) {
			err = 0;
			break;
		}
		if (e == HWT_E_PERM && err == HWT_E_NOENT)
			err = HWT_E_PERM;
	}
	free(dirs);
	if (err == HWT_E_NOENT)
		snprintf(why, whylen, "program '%s' not found in PATH: give its path, e.g. ./%s",
			 prog, prog);
	else if (err == HWT_E_PERM)
		snprintf(why, whylen, "%s", denied);
	return err;
}

int hwt_launch_start(struct hwt_launch *l, const char *path, char *const argv[])
{
	int go[2], ep[2];

	l->pid = -1;
	l->go_fd = l->err_fd = l->pidfd = -1;
	if (pipe2(go, O_CLOEXEC))
		return HWT_E_IO;
	if (pipe2(ep, O_CLOEXEC)) {
		close(go[0]);
		close(go[1]);
		return HWT_E_IO;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(go[0]);
		close(go[1]);
		close(ep[0]);
		close(ep[1]);
		return HWT_E_NOMEM;
	}
	if (pid == 0) {
		char c;
		close(go[1]);
		close(ep[0]);
		/* The recorder's signal handlers must not leak into the program. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		/* A recorder killed with SIGKILL takes the program with it: it must not run on
		 * unrecorded. Kept across execve; a process it forks is not covered (documented).
		 */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(127);
		if (read(go[0], &c, 1) != 1)
			_exit(127); /* the recorder gave up before releasing us */
		execv(path, argv);
		int e = errno;
		if (write(ep[1], &e, sizeof(e)) < 0)
			_exit(126);
		_exit(127);
	}
	close(go[0]);
	close(ep[1]);
	l->pid = pid;
	l->go_fd = go[1];
	l->err_fd = ep[0];
	l->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return 0;
}

#include <sys/file.h>

static int cleanup_lock_open(void)
{
	int fd = open("/run/lock/hwtrace-cleanup", O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
	return fd >= 0 ? fd : open("/tmp/.hwtrace-cleanup", O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
}

int hwt_cleanup_hold(void)
{
	int fd = cleanup_lock_open();

	/* Shared: helpers of recorders running side by side do not wait for each other. */
	if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void cleanup_wait(void)
{
	int fd = cleanup_lock_open();

	for (int i = 0; fd >= 0 && i < 1000 && flock(fd, LOCK_EX | LOCK_NB); i++)
		usleep(2000);
	if (fd >= 0)
		close(fd); /* and the lock with it */
}

int hwt_launch_release(struct hwt_launch *l)
{
	char c = 1;
	int e = 0;
	ssize_t n;

	cleanup_wait();
	if (write(l->go_fd, &c, 1) != 1)
		return HWT_E_EXEC;
	close(l->go_fd);
	l->go_fd = -1;
	do
		n = read(l->err_fd, &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	close(l->err_fd);
	l->err_fd = -1;
	if (n == 0)
		return 0; /* closed on exec: the program runs */
	waitpid(l->pid, NULL, 0);
	errno = n == sizeof(e) ? e : EIO;
	return HWT_E_EXEC;
}

void hwt_launch_fini(struct hwt_launch *l)
{
	if (l->go_fd >= 0)
		close(l->go_fd);
	if (l->err_fd >= 0)
		close(l->err_fd);
	l->go_fd = l->err_fd = -1;
}

void hwt_launch_abort(struct hwt_launch *l)
{
	if (l->pid > 0) {
		kill(l->pid, SIGKILL);
		waitpid(l->pid, NULL, 0);
		l->pid = -1;
	}
	hwt_launch_fini(l);
	if (l->pidfd >= 0)
		close(l->pidfd);
	l->pidfd = -1;
}

/* Calls @fn for each child of this process (every thread's, from /proc/self/task/TID/children),
 * until it returns non-zero. Returns that value, 0 when all were seen, or -1 when /proc cannot
 * say. */
static int each_child(int (*fn)(pid_t child, void *ctx), void *ctx)
{
	DIR *tasks = opendir("/proc/self/task");
	struct dirent *t;
	int ret = 0;

	if (!tasks)
		return -1;
	while (!ret && (t = readdir(tasks))) {
		char path[300];
		int pid;
		if (t->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/children", t->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue; /* a thread that ended meanwhile */
		while (!ret && fscanf(f, "%d", &pid) == 1)
			ret = fn((pid_t)pid, ctx);
		fclose(f);
	}
	closedir(tasks);
	return ret;
}

/* The recorder's own children (hwt_tree_helper()), reaped as any other but no part of the
 * tree. A slot is freed when its child is reaped. */
#define TREE_HELPERS 16
static pid_t helpers[TREE_HELPERS];

static int is_helper(pid_t pid)
{
	for (int i = 0; i < TREE_HELPERS; i++)
		if (helpers[i] == pid)
			return 1;
	return 0;
}

int hwt_tree_helper(pid_t pid)
{
	for (int i = 0; i < TREE_HELPERS; i++)
		if (!helpers[i]) {
			helpers[i] = pid;
			return 0;
		}
	return HWT_E_NOMEM;
}

static void helper_reaped(pid_t pid)
{
	for (int i = 0; i < TREE_HELPERS; i++)
		if (helpers[i] == pid)
			helpers[i] = 0;
}

static int other_child(pid_t child, void *ctx)
{
	return child != *(const pid_t *)ctx && !is_helper(child);
}

int hwt_tree_adopt(void)
{
	return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) ? HWT_E_NOTSUP : 0;
}

int hwt_tree_others(pid_t launched)
{
	return each_child(other_child, &launched) > 0;
}

static int signal_child(pid_t child, void *ctx)
{
	if (!is_helper(child))
		kill(child, *(const int *)ctx);
	return 0;
}

void hwt_tree_signal(pid_t launched, int sig)
{
	if (launched > 0)
		kill(launched, sig);
	each_child(signal_child, &sig);
}

int hwt_tree_reap(pid_t launched, int *status)
{
	int st;
	pid_t p;

	while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
		helper_reaped(p);
		if (p == launched && status)
			*status = st;
	}
	if (p < 0 && errno == ECHILD)
		return 1;
	pid_t none = 0; /* no child is 0: any non-helper counts */
	return each_child(other_child, &none) == 0;
}

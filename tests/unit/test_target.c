/* Unit tests for core/target.c: finding the program, holding the child before exec, releasing
 * it, exec failures reported without a hang, and the exit status of what ran. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/target.h"

#define SCRATCH_NAME "target"
#define SCRATCH_FILE "ran"
#include "scratch_dir.h"

/* Writes @text into @dir/@name with @mode; returns the path (static). */
static const char *make_file(const char *name, const char *text, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/* ---- hwt_target_resolve ---------------------------------------------------------------- */

START_TEST(hwt_target_resolve_absolute)
{
	char path[PATH_MAX], why[256] = "";

	ck_assert_int_eq(hwt_target_resolve("/bin/true", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_str_eq(path, "/bin/true");
}
END_TEST

START_TEST(hwt_target_resolve_in_path)
{
	char path[PATH_MAX], why[256] = "";
	char exp[PATH_MAX];
	struct stat a, b;

	/* Directories that are missing are passed over; the first hit wins. */
	ck_assert_int_eq(setenv("PATH", "/nonexistent/bin:/usr/bin:/bin", 1), 0);
	ck_assert_int_eq(hwt_target_resolve("true", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_str_eq(path, "/usr/bin/true");
	/* Without PATH: the default list, which has true too. */
	ck_assert_int_eq(unsetenv("PATH"), 0);
	ck_assert_int_eq(hwt_target_resolve("true", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_int_eq(stat(path, &a), 0);
	ck_assert_ptr_nonnull(realpath("/bin/true", exp));
	ck_assert_int_eq(stat(exp, &b), 0);
	ck_assert_uint_eq(a.st_ino, b.st_ino);
}
END_TEST

/* A program in PATH found not executable first and executable later: the later one. */
START_TEST(hwt_target_resolve_skips_not_executable)
{
	char path[PATH_MAX], why[256] = "", env[256], sub[128];

	snprintf(sub, sizeof(sub), "%s/sub", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	make_file("prog", "#!/bin/sh\n", 0644);
	make_file("sub/prog", "#!/bin/sh\n", 0755);
	snprintf(env, sizeof(env), "%s:%s", dir, sub);
	ck_assert_int_eq(setenv("PATH", env, 1), 0);
	ck_assert_int_eq(hwt_target_resolve("prog", path, sizeof(path), why, sizeof(why)), 0);
	snprintf(env, sizeof(env), "%s/prog", sub);
	ck_assert_str_eq(path, env);
	/* Only the one that cannot run: found, but not allowed. */
	ck_assert_int_eq(setenv("PATH", dir, 1), 0);
	ck_assert_int_eq(hwt_target_resolve("prog", path, sizeof(path), why, sizeof(why)),
			 HWT_E_PERM);
	ck_assert_msg(strstr(why, "not executable") != NULL, "%s", why);
}
END_TEST

/* An empty PATH entry is the current directory, as for execvp. */
START_TEST(hwt_target_resolve_empty_path_entry)
{
	char path[PATH_MAX], why[256] = "", cwd[PATH_MAX];

	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_int_eq(chdir(dir), 0);
	make_file("myprog", "#!/bin/sh\n", 0755);
	ck_assert_int_eq(setenv("PATH", ":/nonexistent", 1), 0);
	ck_assert_int_eq(hwt_target_resolve("myprog", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_str_eq(path, "./myprog");
	ck_assert_int_eq(setenv("PATH", "/nonexistent::/also-not", 1), 0);
	ck_assert_int_eq(hwt_target_resolve("myprog", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_str_eq(path, "./myprog");
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

/* A path that does not fit the caller's buffer is an error, never a shorter path. */
START_TEST(hwt_target_resolve_too_long)
{
	char path[5], why[256] = "";

	ck_assert_int_eq(hwt_target_resolve("/bin/true", path, sizeof(path), why, sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_msg(strstr(why, "too long") != NULL, "%s", why);
	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin", 1), 0);
	ck_assert_int_eq(hwt_target_resolve("true", path, sizeof(path), why, sizeof(why)),
			 HWT_E_NOENT);
}
END_TEST

static const struct {
	const char *prog; /* "@" is replaced by the test's directory */
	int err;
	const char *why; /* a part of the reason */
} resolve_errors[] = {
	{ "/nonexistent/prog", HWT_E_NOENT, "not found" },
	{ "./hwt-no-such-program", HWT_E_NOENT, "not found" },
	{ "hwt-no-such-program", HWT_E_NOENT, "not found in PATH" },
	{ "/tmp", HWT_E_PERM, "is a directory" },
	{ "@", HWT_E_PERM, "is a directory" },
	{ "@/plain", HWT_E_PERM, "not executable" },
};

START_TEST(hwt_target_resolve_errors)
{
	char path[PATH_MAX], why[256] = "", prog[128];

	make_file("plain", "data\n", 0644);
	if (resolve_errors[_i].prog[0] == '@')
		snprintf(prog, sizeof(prog), "%s%s", dir, resolve_errors[_i].prog + 1);
	else
		snprintf(prog, sizeof(prog), "%s", resolve_errors[_i].prog);
	ck_assert_int_eq(setenv("PATH", "/usr/bin:/bin", 1), 0);
	ck_assert_int_eq(hwt_target_resolve(prog, path, sizeof(path), why, sizeof(why)),
			 resolve_errors[_i].err);
	ck_assert_msg(strstr(why, resolve_errors[_i].why) != NULL, "%s: %s", prog, why);
	ck_assert_msg(strstr(why, prog) != NULL, "%s: %s", prog, why);
}
END_TEST

/* No program at all: an error with a reason (the header lists only NOENT and PERM). */
START_TEST(hwt_target_resolve_empty)
{
	char path[PATH_MAX], why[256] = "";

	ck_assert_int_lt(hwt_target_resolve("", path, sizeof(path), why, sizeof(why)), 0);
	ck_assert_str_ne(why, "");
}
END_TEST

/* ---- hwt_launch_* ---------------------------------------------------------------------- */

/* Waits for @pid; returns its wait status. */
static int reap(pid_t pid)
{
	int status = -1;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* The child is gone and was reaped: nothing left to wait for. */
static void check_reaped(pid_t pid)
{
	errno = 0;
	ck_assert_int_eq(waitpid(pid, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

static const struct {
	const char *argv[8];
	int status;
} exit_cases[] = {
	{ { "/bin/true", NULL }, 0 },
	{ { "/bin/false", NULL }, 1 },
	{ { "/bin/sh", "-c", "exit 7", NULL }, 7 },
	{ { "/bin/sh", "-c", "exit $#", "sh", "a", "b c", NULL }, 2 }, /* argv arrives whole */
	{ { "/bin/sh", "-c", "test \"$1\" = 'b c'", "sh", "b c", NULL }, 0 },
};

START_TEST(hwt_launch_release_exit_status)
{
	struct hwt_launch l;
	struct pollfd pfd;
	int status;

	ck_assert_int_eq(
		hwt_launch_start(&l, exit_cases[_i].argv[0], (char *const *)exit_cases[_i].argv),
		0);
	ck_assert_int_gt(l.pid, 0);
	ck_assert_int_ge(l.go_fd, 0);
	ck_assert_int_ge(l.err_fd, 0);
	ck_assert_int_eq(hwt_launch_release(&l), 0);
	/* The pidfd says when it is gone. */
	if (l.pidfd >= 0) {
		pfd = (struct pollfd){ .fd = l.pidfd, .events = POLLIN };
		ck_assert_int_eq(poll(&pfd, 1, -1), 1);
		ck_assert(pfd.revents & POLLIN);
	}
	status = reap(l.pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), exit_cases[_i].status);
	hwt_launch_fini(&l);
	ck_assert_int_eq(l.go_fd, -1);
	ck_assert_int_eq(l.err_fd, -1);
	if (l.pidfd >= 0)
		close(l.pidfd);
}
END_TEST

/* Before release the child is still this program, blocked; after it, it is the program. */
START_TEST(hwt_launch_start_holds_before_exec)
{
	char *const argv[] = { "/bin/sleep", "1000", NULL };
	char self[PATH_MAX], exe[PATH_MAX], want[PATH_MAX], link[64];
	struct hwt_launch l;
	ssize_t n;
	int status;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = 0;
	ck_assert_int_eq(hwt_launch_start(&l, "/bin/sleep", argv), 0);
	snprintf(link, sizeof(link), "/proc/%d/exe", (int)l.pid);
	n = readlink(link, exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_str_eq(exe, self);
	/* Still waiting: it has not exited. */
	ck_assert_int_eq(waitpid(l.pid, NULL, WNOHANG), 0);

	ck_assert_int_eq(hwt_launch_release(&l), 0);
	n = readlink(link, exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_ptr_nonnull(realpath("/bin/sleep", want));
	ck_assert_str_eq(exe, want);
	ck_assert_int_eq(kill(l.pid, SIGKILL), 0);
	status = reap(l.pid);
	ck_assert(WIFSIGNALED(status));
	hwt_launch_fini(&l);
	if (l.pidfd >= 0)
		close(l.pidfd);
}
END_TEST

static const struct {
	const char *name;    /* NULL: a path that does not exist */
	const char *content; /* NULL: a directory */
	mode_t mode;
	int err; /* errno exec gave */
} exec_failures[] = {
	{ NULL, NULL, 0, ENOENT },
	{ "data", "not a program\n", 0644, EACCES },
	{ "garbage", "not a program either\n", 0755, ENOEXEC },
	{ "subdir", NULL, 0755, EACCES },
};

START_TEST(hwt_launch_release_exec_fails)
{
	char path[128];
	char *argv[] = { path, NULL };
	struct hwt_launch l;
	pid_t pid;

	if (!exec_failures[_i].name) {
		snprintf(path, sizeof(path), "%s/missing", dir);
	} else if (!exec_failures[_i].content) {
		snprintf(path, sizeof(path), "%s/%s", dir, exec_failures[_i].name);
		ck_assert_int_eq(mkdir(path, exec_failures[_i].mode), 0);
	} else {
		snprintf(path, sizeof(path), "%s",
			 make_file(exec_failures[_i].name, exec_failures[_i].content,
				   exec_failures[_i].mode));
	}
	/* Start never execs: a path that cannot run is only found out at release. */
	ck_assert_int_eq(hwt_launch_start(&l, path, argv), 0);
	pid = l.pid;
	errno = 0;
	ck_assert_int_eq(hwt_launch_release(&l), HWT_E_EXEC);
	ck_assert_int_eq(errno, exec_failures[_i].err);
	check_reaped(pid);
	hwt_launch_fini(&l);
	ck_assert_int_eq(l.go_fd, -1);
	ck_assert_int_eq(l.err_fd, -1);
	if (l.pidfd >= 0)
		close(l.pidfd);
}
END_TEST

/* Abort before release: the child is killed and reaped, and the program never ran. */
START_TEST(hwt_launch_abort_before_release)
{
	char script[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct hwt_launch l;
	struct stat st;
	pid_t pid;

	snprintf(script, sizeof(script), "touch '%s'", out);
	ck_assert_int_eq(hwt_launch_start(&l, "/bin/sh", argv), 0);
	pid = l.pid;
	hwt_launch_abort(&l);
	check_reaped(pid);
	ck_assert_int_eq(l.pid, -1);
	ck_assert_int_eq(l.go_fd, -1);
	ck_assert_int_eq(l.err_fd, -1);
	ck_assert_int_eq(l.pidfd, -1);
	ck_assert_int_ne(stat(out, &st), 0);
	hwt_launch_abort(&l); /* a second abort has nothing left to do */
}
END_TEST

/* The recorder gives up without a word: the child exits by itself, the program never ran, the
 * pidfd stays open. */
START_TEST(hwt_launch_fini_before_release)
{
	char script[256];
	char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct hwt_launch l;
	struct stat st;
	int status;

	snprintf(script, sizeof(script), "touch '%s'", out);
	ck_assert_int_eq(hwt_launch_start(&l, "/bin/sh", argv), 0);
	hwt_launch_fini(&l);
	ck_assert_int_eq(l.go_fd, -1);
	ck_assert_int_eq(l.err_fd, -1);
	if (l.pidfd >= 0)
		ck_assert_int_ne(fcntl(l.pidfd, F_GETFD), -1);
	status = reap(l.pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 127);
	ck_assert_int_ne(stat(out, &st), 0);
	if (l.pidfd >= 0)
		close(l.pidfd);
}
END_TEST

/* SIGTERM ignored by the recorder is not ignored by the program. */
START_TEST(hwt_launch_start_default_signals)
{
	char *const argv[] = { "/bin/sh", "-c", "kill -TERM $$; exit 0", NULL };
	struct hwt_launch l;
	int status;

	signal(SIGTERM, SIG_IGN);
	ck_assert_int_eq(hwt_launch_start(&l, "/bin/sh", argv), 0);
	ck_assert_int_eq(hwt_launch_release(&l), 0);
	status = reap(l.pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGTERM);
	hwt_launch_fini(&l);
	if (l.pidfd >= 0)
		close(l.pidfd);
}
END_TEST

/* Waits up to 5 s for hwt_tree_reap() to say no child is left; returns what it last said. */
static int reap_all(pid_t launched, int *status)
{
	int done = 0;
	for (int i = 0; i < 500 && !(done = hwt_tree_reap(launched, status)); i++)
		usleep(10000);
	return done;
}

START_TEST(hwt_tree_reap_no_child)
{
	ck_assert_int_eq(hwt_tree_others(-1), 0);
	ck_assert_int_eq(hwt_tree_reap(-1, NULL), 1);
}
END_TEST

/* A child that exits 7: reaped, its status given, then none is left. */
START_TEST(hwt_tree_reap_status)
{
	int status = 0;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(7);
	ck_assert_int_eq(hwt_tree_others(pid), 0);
	ck_assert_int_eq(reap_all(pid, &status), 1);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 7);
}
END_TEST

/* A daemon: the child forks a grandchild and exits. Adopted, the grandchild becomes our child
 * (hwt_tree_others() sees it), gets the signal hwt_tree_signal() sends, and is reaped. */
START_TEST(hwt_tree_adopt_orphan)
{
	int p[2], status = 0;
	char c;

	ck_assert_int_eq(hwt_tree_adopt(), 0);
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (fork() == 0) {
			close(p[0]);
			for (;;)
				pause(); /* until a signal ends it */
		}
		_exit(0); /* the grandchild's pipe end closes with it */
	}
	close(p[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(hwt_tree_others(pid), 1);
	ck_assert_int_eq(hwt_tree_reap(pid, NULL), 0); /* the orphan runs */
	hwt_tree_signal(-1, SIGKILL); /* not SIGTERM: Check's handler in the copy would report it */
	ck_assert_int_eq(reap_all(pid, NULL), 1);
	ck_assert_int_eq(read(p[0], &c, 1), 0); /* its pipe end closed: it is gone */
	close(p[0]);
}
END_TEST

static Suite *target_suite(void)
{
	Suite *s = suite_create("target");
	TCase *tc = tcase_create("target");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hwt_target_resolve_absolute);
	tcase_add_test(tc, hwt_target_resolve_in_path);
	tcase_add_test(tc, hwt_target_resolve_skips_not_executable);
	tcase_add_test(tc, hwt_target_resolve_empty_path_entry);
	tcase_add_test(tc, hwt_target_resolve_too_long);
	tcase_add_loop_test(tc, hwt_target_resolve_errors, 0,
			    (int)(sizeof(resolve_errors) / sizeof(resolve_errors[0])));
	tcase_add_test(tc, hwt_target_resolve_empty);
	tcase_add_loop_test(tc, hwt_launch_release_exit_status, 0,
			    (int)(sizeof(exit_cases) / sizeof(exit_cases[0])));
	tcase_add_test(tc, hwt_launch_start_holds_before_exec);
	tcase_add_loop_test(tc, hwt_launch_release_exec_fails, 0,
			    (int)(sizeof(exec_failures) / sizeof(exec_failures[0])));
	tcase_add_test(tc, hwt_launch_abort_before_release);
	tcase_add_test(tc, hwt_launch_fini_before_release);
	tcase_add_test(tc, hwt_launch_start_default_signals);
	tcase_add_test(tc, hwt_tree_reap_no_child);
	tcase_add_test(tc, hwt_tree_reap_status);
	tcase_add_test(tc, hwt_tree_adopt_orphan);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(target_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for core/attach.c: which pids may be attached to, their threads and command lines,
 * and records synthesized for a running process (through hwt_record() with -p: the decoder names
 * its threads and resolves its samples to its functions, and the process runs on). */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/attach.h"
#include "core/host.h"
#include "core/model.h"
#include "core/options.h"
#include "decoders/decode.h"

#define SCRATCH_NAME "attach"
#define SCRATCH_FILE "t.hwt"
#include "scratch_dir.h"

/* A pid no process has: pid_max itself is never given out. */
static int free_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/pid_max", "r");
	int max = 0;

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &max), 1);
	fclose(f);
	return max;
}

/* Busy in a function of its own until killed: what the samples of the child must show. */
__attribute__((noinline)) static void attach_spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}

static pid_t spawn_spinner(void)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		attach_spin();
	return pid;
}

static void *park(void *arg)
{
	pause();
	return arg;
}

/* ---- hwt_attach_check ------------------------------------------------------------------ */

static const struct {
	int pid; /* 0: ourselves; -1: a free pid */
	int err;
	const char *why;
} check_bad[] = {
	{ 0, HWT_E_INVAL, "cannot record itself" },
	{ -1, HWT_E_NOENT, "no such process" },
	{ -5, HWT_E_INVAL, "not a process id" },
};

START_TEST(hwt_attach_check_bad)
{
	char why[256] = "";
	int pid = check_bad[_i].pid == 0    ? (int)getpid()
		  : check_bad[_i].pid == -1 ? free_pid()
					    : check_bad[_i].pid;

	ck_assert_int_eq(hwt_attach_check(pid, why, sizeof(why)), check_bad[_i].err);
	ck_assert_msg(strstr(why, check_bad[_i].why) != NULL, "%s", why);
	ck_assert_ptr_null(strchr(why, '\n'));
}
END_TEST

START_TEST(hwt_attach_check_child)
{
	char why[256] = "";
	pid_t pid = spawn_spinner();

	ck_assert_int_eq(hwt_attach_check(pid, why, sizeof(why)), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(hwt_attach_check_zombie)
{
	char why[256] = "";
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	siginfo_t si;
	ck_assert_int_eq(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0); /* a zombie now */
	ck_assert_int_eq(hwt_attach_check(pid, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "zombie") != NULL, "%s", why);
	waitpid(pid, NULL, 0);
}
END_TEST

START_TEST(hwt_attach_check_thread)
{
	char why[256] = "", want[64];
	pthread_t th;
	pid_t tid;

	ck_assert_int_eq(pthread_create(&th, NULL, park, NULL), 0);
	/* Its tid: the entry of our task list that is not ours. */
	int *tids = NULL, n = 0, me = (int)getpid();
	ck_assert_int_ge(hwt_attach_threads(&me, 1, &tids, &n), 2);
	tid = tids[0] == me ? tids[1] : tids[0];
	free(tids);
	ck_assert_int_eq(hwt_attach_check(tid, why, sizeof(why)), HWT_E_INVAL);
	snprintf(want, sizeof(want), "a thread of process %d", me);
	ck_assert_msg(strstr(why, want) != NULL, "%s", why);
}
END_TEST

/* ---- hwt_attach_threads ---------------------------------------------------------------- */

START_TEST(hwt_attach_threads_all)
{
	pthread_t th[3];
	int *tids = NULL, n = 0, me = (int)getpid(), found_me = 0;

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, park, NULL), 0);
	ck_assert_int_eq(hwt_attach_threads(&me, 1, &tids, &n), 4);
	ck_assert_int_eq(n, 4);
	for (int i = 0; i < n; i++)
		found_me += tids[i] == me;
	ck_assert_int_eq(found_me, 1);
	/* Appended to what the array holds. */
	ck_assert_int_eq(hwt_attach_threads(&me, 1, &tids, &n), 4);
	ck_assert_int_eq(n, 8);
	free(tids);
}
END_TEST

START_TEST(hwt_attach_threads_gone)
{
	int *tids = NULL, n = 0, pids[2] = { (int)getpid(), free_pid() };

	ck_assert_int_eq(hwt_attach_threads(pids, 2, &tids, &n), HWT_E_NOENT);
	free(tids);
}
END_TEST

/* ---- hwt_attach_command ---------------------------------------------------------------- */

START_TEST(hwt_attach_command_two)
{
	char buf[256], small[8];
	pid_t a = fork(), b;

	ck_assert_int_ge(a, 0);
	if (a == 0) {
		execl("/bin/sleep", "sleep", "30", (char *)NULL);
		_exit(127);
	}
	b = fork();
	ck_assert_int_ge(b, 0);
	if (b == 0) {
		execl("/bin/sleep", "sleep", "31", (char *)NULL);
		_exit(127);
	}
	int pids[2] = { a, b };
	/* exec takes a moment: wait until both run sleep. */
	for (int i = 0; i < 200; i++) {
		hwt_attach_command(pids, 2, 1, buf, sizeof(buf));
		if (!strcmp(buf, "sleep 30; sleep 31"))
			break;
		usleep(10000);
	}
	ck_assert_str_eq(buf, "sleep 30; sleep 31");
	/* Without the arguments (record --record-args not given): the programs alone. */
	hwt_attach_command(pids, 2, 0, buf, sizeof(buf));
	ck_assert_str_eq(buf, "sleep; sleep");
	hwt_attach_command(pids, 2, 1, small, sizeof(small));
	ck_assert_uint_lt(strlen(small), sizeof(small));
	ck_assert_int_eq(strncmp(small, "sleep 3", strlen(small)), 0);
	hwt_attach_command(pids, 0, 1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	kill(a, SIGKILL);
	kill(b, SIGKILL);
	waitpid(a, NULL, 0);
	waitpid(b, NULL, 0);
}
END_TEST

/* ---- hwt_attach_synthesize ------------------------------------------------------------- */

START_TEST(hwt_attach_synthesize_no_store)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	int me = (int)getpid();

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(hwt_attach_synthesize(h, &me, 1, 1), 0);
	ck_assert_int_eq(hwt_attach_synthesize(h, NULL, -1, 1), 0);
	hwt_host_free(h);
}
END_TEST

/* Records @pid with the sample tracer for 300 ms (-p PID --duration 300ms). */
static int record_pid(int pid, struct hwt_record_result *res, char *why, size_t whylen)
{
	struct hwt_plugin_use use = { .plugin = hwt_plugin_by_name("sample") };
	struct hwt_options opts;
	struct hwt_record_config cfg;

	ck_assert_ptr_nonnull(use.plugin);
	ck_assert_int_eq(hwt_options_init(&opts, "sample", use.plugin->options,
					  use.plugin->noptions, why, whylen),
			 0);
	ck_assert_int_eq(hwt_options_parse(&opts, "", why, whylen), 0);
	use.values = opts.values;
	hwt_record_config_init(&cfg);
	cfg.output = out;
	cfg.plugins = &use;
	cfg.nplugins = 1;
	cfg.quiet = 1;
	cfg.pids = &pid;
	cfg.npids = 1;
	cfg.duration_ns = 300000000;
	int rc = hwt_record(&cfg, res, why, whylen);
	hwt_options_fini(&opts);
	return rc;
}

START_TEST(hwt_attach_synthesize_recorded)
{
	struct hwt_record_result res;
	char why[512] = "";
	pid_t pid = spawn_spinner();

	ck_assert_msg(record_pid(pid, &res, why, sizeof(why)) == 0, "%s", why);
	ck_assert_int_eq(res.end.pid, 0); /* nothing ended with the recording */
	ck_assert_int_eq(res.running, 0);
	ck_assert_int_eq(kill(pid, 0), 0); /* it runs on */

	struct hwt_decoder_config dc;
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_event ev;
	int err, named = 0, exits = 0, in_spin = 0, samples = 0;
	hwt_decoder_config_init(&dc);
	struct hwt_decoder *d = hwt_decoder_open(out, m, &dc, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		if (ev.type == HWT_EV_PROCESS_EXIT)
			exits++;
		if (ev.type == HWT_EV_THREAD && ev.tid == (uint32_t)pid)
			named += !strcmp(hwt_model_str(m, ev.thread.name), "test_attach");
		if (ev.type != HWT_EV_SAMPLE || ev.pid != (uint32_t)pid)
			continue;
		samples++;
		const struct hwt_stack_node *n = hwt_model_stack(m, ev.sample.stack);
		in_spin += n && !strcmp(hwt_model_frame_name(m, n->frame), "attach_spin");
	}
	ck_assert_int_eq(err, 0);
	hwt_decoder_close(d);
	hwt_model_free(m);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* Named by its synthesized COMM, its samples in attach_spin by its synthesized MMAP2. */
	ck_assert_int_ge(named, 1);
	ck_assert_int_gt(samples, 0);
	ck_assert_int_gt(in_spin, 0);
	ck_assert_int_eq(exits, 0);
}
END_TEST

START_TEST(hwt_attach_record_missing)
{
	struct hwt_record_result res;
	char why[512] = "";
	struct stat st;

	ck_assert_int_eq(record_pid(free_pid(), &res, why, sizeof(why)), HWT_E_NOENT);
	ck_assert_msg(strstr(why, "no such process") != NULL, "%s", why);
	ck_assert_int_ne(stat(out, &st), 0); /* no file */
}
END_TEST

static Suite *attach_suite(void)
{
	Suite *s = suite_create("attach");
	TCase *tc = tcase_create("attach");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_attach_check_bad, 0,
			    (int)(sizeof(check_bad) / sizeof(check_bad[0])));
	tcase_add_test(tc, hwt_attach_check_child);
	tcase_add_test(tc, hwt_attach_check_zombie);
	tcase_add_test(tc, hwt_attach_check_thread);
	tcase_add_test(tc, hwt_attach_threads_all);
	tcase_add_test(tc, hwt_attach_threads_gone);
	tcase_add_test(tc, hwt_attach_command_two);
	tcase_add_test(tc, hwt_attach_synthesize_no_store);
	tcase_add_test(tc, hwt_attach_synthesize_recorded);
	tcase_add_test(tc, hwt_attach_record_missing);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(attach_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

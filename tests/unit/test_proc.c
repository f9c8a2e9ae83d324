/* Unit tests for the counter plugins' /proc readers: plugins/counters/procfs.c (stat, status, io
 * and children parsing, open and re-read) and proctree.c (following a real process tree as it
 * grows and shrinks); and ctr_exits.c, the counters plugin's inherited counters (refusals, records
 * that are not its own, totals of a real exec'ed process). */
#include <check.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/events.h"
#include "core/host.h"
#include "plugins/counters/ctr_exits.h"
#include "plugins/counters/procfs.h"
#include "plugins/counters/proctree.h"

/* A real stat line (kernel 6.x, 52 fields) whose comm holds spaces and parentheses. */
static const char stat_line[] =
	"4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 1234 0 5 0 250 75 0 0 20 0 3 0 796986 "
	"3133440 383 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

START_TEST(hwt_procstat_parse_stat_fields)
{
	struct hwt_procstat ps = { 0 };

	ck_assert_int_eq(hwt_procstat_parse_stat(stat_line, strlen(stat_line), 100, 4096, &ps), 0);
	ck_assert_int_eq(ps.state, 'S');
	ck_assert_uint_eq(ps.minflt, 1234);
	ck_assert_uint_eq(ps.majflt, 5);
	ck_assert_uint_eq(ps.utime_ns, 2500000000ull);
	ck_assert_uint_eq(ps.stime_ns, 750000000ull);
	ck_assert_uint_eq(ps.threads, 3);
	ck_assert_uint_eq(ps.rss_bytes, 383ull * 4096);
}
END_TEST

/* Cut anywhere before the RSS field ends, or with a field that is not a number: refused, and
 * nothing of @out changes. */
START_TEST(hwt_procstat_parse_stat_truncated)
{
	struct hwt_procstat ps = { .minflt = 7 };
	const char *rss = strstr(stat_line, " 383 ");
	size_t cut = (size_t)(rss - stat_line) + 1 + (size_t)_i % 3; /* inside "383" */

	ck_assert_int_eq(
		hwt_procstat_parse_stat(stat_line, cut - 3 * (size_t)(_i / 3), 100, 4096, &ps),
		HWT_E_CORRUPT);
	ck_assert_uint_eq(ps.minflt, 7);
}
END_TEST

START_TEST(hwt_procstat_parse_stat_bad)
{
	struct hwt_procstat ps = { 0 };
	static const char *const bad[] = {
		"",
		"4242 noparens S 1 2 3",
		"4242 (x)",
		"4242 (x) S 1 4242 4242 0 -1 4194560 12x4 0 5 0 250 75 0 0 20 0 3 0 7 3 383\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(hwt_procstat_parse_stat(bad[i], strlen(bad[i]), 100, 4096, &ps),
				 HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_procstat_parse_stat(NULL, 0, 100, 4096, &ps), HWT_E_INVAL);
	ck_assert_int_eq(hwt_procstat_parse_stat(stat_line, strlen(stat_line), 0, 4096, &ps),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_procstat_parse_stat(stat_line, strlen(stat_line), 100, 4096, NULL),
			 HWT_E_INVAL);
}
END_TEST

START_TEST(hwt_procstat_parse_status_fields)
{
	static const char text[] = "Name:\tx\nVmPeak:\t  9999 kB\nVmHWM:\t    2048 kB\n"
				   "VmRSS:\t 1024 kB\nThreads:\t3\nvoluntary_ctxt_switches:\t17\n"
				   "nonvoluntary_ctxt_switches:\t4";
	struct hwt_procstat ps = { 0 };

	ck_assert_int_eq(hwt_procstat_parse_status(text, strlen(text), &ps), 3);
	ck_assert_uint_eq(ps.rss_peak_bytes, 2048 * 1024);
	ck_assert_uint_eq(ps.vcsw, 17);
	ck_assert_uint_eq(ps.ivcsw, 4);
}
END_TEST

/* A zombie has no Vm lines: the peak keeps what it had. */
START_TEST(hwt_procstat_parse_status_zombie)
{
	static const char text[] = "Name:\tx\nState:\tZ (zombie)\nvoluntary_ctxt_switches:\t2\n"
				   "nonvoluntary_ctxt_switches:\t1\n";
	struct hwt_procstat ps = { .rss_peak_bytes = 5 };

	ck_assert_int_eq(hwt_procstat_parse_status(text, strlen(text), &ps), 2);
	ck_assert_uint_eq(ps.rss_peak_bytes, 5);
	ck_assert_uint_eq(ps.vcsw, 2);
}
END_TEST

START_TEST(hwt_procstat_parse_io_fields)
{
	static const char text[] = "rchar: 6976\nwchar: 12\nsyscr: 10\nsyscw: 0\nread_bytes: 4096\n"
				   "write_bytes: 0\ncancelled_write_bytes: 0\n";
	struct hwt_procstat ps = { 0 };

	ck_assert_int_eq(hwt_procstat_parse_io(text, strlen(text), &ps), 2);
	ck_assert_uint_eq(ps.rchar, 6976);
	ck_assert_uint_eq(ps.wchar, 12);
	ck_assert_int_eq(hwt_procstat_parse_io("rchar: x\n", 9, &ps), 0);
}
END_TEST

static int collect(void *ctx, int pid)
{
	int *out = ctx;
	out[++out[0]] = pid;
	return out[0] == 3 ? 99 : 0; /* stop after three */
}

START_TEST(hwt_procfs_parse_pids_list)
{
	int got[8] = { 0 };

	ck_assert_int_eq(hwt_procfs_parse_pids("12 345 ", 7, collect, got), 2);
	ck_assert_int_eq(got[1], 12);
	ck_assert_int_eq(got[2], 345);
	memset(got, 0, sizeof(got));
	ck_assert_int_eq(hwt_procfs_parse_pids("1 2 3 4 5", 9, collect, got), 99);
	ck_assert_int_eq(got[0], 3);
	ck_assert_int_eq(hwt_procfs_parse_pids("", 0, collect, got), 0);
	ck_assert_int_eq(hwt_procfs_parse_pids("1 x", 3, collect, got), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_procfs_parse_pids("-1", 2, collect, got), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_procfs_parse_pids("0", 1, collect, got), HWT_E_CORRUPT);
}
END_TEST

START_TEST(hwt_procfs_open_bad)
{
	ck_assert_int_eq(hwt_procfs_open(0, 0, "stat"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_procfs_open(1, -1, "stat"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_procfs_open(1, 0, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_procfs_open(getpid(), 0, "no-such-file"), HWT_E_NOENT);
}
END_TEST

/* A file kept open is read again from its start, fresh each time; a reaped process's reads fail
 * or come back empty. */
START_TEST(hwt_procfs_reread_fresh)
{
	char buf[4096];
	struct hwt_procstat a = { 0 }, b = { 0 };
	int fd = hwt_procfs_open(getpid(), 0, "stat");

	ck_assert_int_ge(fd, 0);
	long n = hwt_procfs_reread(fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(hwt_procstat_parse_stat(buf, (size_t)n, 100, 4096, &a), 0);
	/* 8 MiB touched: some 2048 more minor faults. */
	size_t len = 8u << 20;
	volatile char *mem = malloc(len);
	ck_assert_ptr_nonnull((void *)mem);
	for (size_t i = 0; i < len; i += 4096)
		mem[i] = 1;
	n = hwt_procfs_reread(fd, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(hwt_procstat_parse_stat(buf, (size_t)n, 100, 4096, &b), 0);
	ck_assert_uint_ge(b.minflt - a.minflt, 1024);
	free((void *)mem);
	close(fd);

	pid_t child = fork();
	if (!child)
		_exit(0);
	fd = hwt_procfs_open(child, 0, "stat");
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	ck_assert_int_le(hwt_procfs_reread(fd, buf, sizeof(buf)), 0);
	close(fd);
}
END_TEST

/* ---- hwt_proctree ---------------------------------------------------------------------- */

struct seen {
	int procs_new, procs_gone, threads_new, threads_gone;
	int pids[16], tids[16];
	int fail_next; /* the next thread_new fails */
};

static int on_proc_new(void *ctx, int pid)
{
	struct seen *s = ctx;
	if (s->procs_new < 16)
		s->pids[s->procs_new] = pid;
	s->procs_new++;
	return 0;
}

static void on_proc_gone(void *ctx, int pid)
{
	((struct seen *)ctx)->procs_gone++;
}

static int on_thread_new(void *ctx, int pid, int tid)
{
	struct seen *s = ctx;
	if (s->fail_next) {
		s->fail_next = 0;
		return HWT_E_NOMEM;
	}
	if (s->threads_new < 16)
		s->tids[s->threads_new] = tid;
	s->threads_new++;
	return 0;
}

static void on_thread_gone(void *ctx, int pid, int tid)
{
	((struct seen *)ctx)->threads_gone++;
}

static const struct hwt_proctree_ops seen_ops = {
	.proc_new = on_proc_new,
	.proc_gone = on_proc_gone,
	.thread_new = on_thread_new,
	.thread_gone = on_thread_gone,
};

static void *sleeper(void *arg)
{
	pause();
	return NULL;
}

/* A child that starts a thread and forks a grandchild, then tells the test through a pipe and
 * waits to be killed. */
static pid_t spawn_tree(void)
{
	int fds[2];
	char c;

	ck_assert_int_eq(pipe(fds), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		pthread_t t;
		pthread_create(&t, NULL, sleeper, NULL);
		if (!fork()) {
			pause();
			_exit(0);
		}
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	close(fds[0]);
	return pid;
}

START_TEST(hwt_proctree_scan_follows_children)
{
	struct hwt_proctree t;
	struct seen s = { 0 };
	pid_t root = spawn_tree();

	ck_assert_int_eq(hwt_proctree_init(&t, root, 1, &seen_ops, &s), 0);
	ck_assert_int_eq(hwt_proctree_scan(&t), 2);
	ck_assert_int_eq(s.procs_new, 2);
	ck_assert_int_eq(s.pids[0], root);
	ck_assert_int_eq(s.threads_new, 3); /* root's two, the grandchild's one */
	ck_assert_int_eq(s.procs_gone + s.threads_gone, 0);
	/* Nothing new: nothing told. */
	ck_assert_int_eq(hwt_proctree_scan(&t), 2);
	ck_assert_int_eq(s.procs_new + s.threads_new, 5);
	/* A zombie stays listed until it is reaped: kill the whole tree and reap the root. */
	int grandchild = s.pids[1];
	kill(grandchild, SIGKILL);
	kill(root, SIGKILL);
	ck_assert_int_eq(waitpid(root, NULL, 0), root);
	/* The grandchild, orphaned, is reaped by init (or a subreaper): wait for that. */
	for (int i = 0; i < 200 && !kill(grandchild, 0); i++)
		usleep(10000);
	ck_assert_int_eq(hwt_proctree_scan(&t), 0);
	ck_assert_int_eq(s.procs_gone, 2);
	ck_assert_int_eq(s.threads_gone, 3);
	hwt_proctree_fini(&t);
	hwt_proctree_fini(&t); /* twice, and NULL, are fine */
	hwt_proctree_fini(NULL);
}
END_TEST

/* Without follow, only the root's threads. */
START_TEST(hwt_proctree_scan_root_only)
{
	struct hwt_proctree t;
	struct seen s = { 0 };
	pid_t root = spawn_tree();

	ck_assert_int_eq(hwt_proctree_init(&t, root, 0, &seen_ops, &s), 0);
	ck_assert_int_eq(hwt_proctree_scan(&t), 1);
	ck_assert_int_eq(s.procs_new, 1);
	ck_assert_int_eq(s.threads_new, 2);
	ck_assert_int_eq(s.tids[0], root);
	kill(root, SIGKILL);
	waitpid(root, NULL, 0);
	hwt_proctree_fini(&t);
}
END_TEST

/* A hook's error stops the scan; what it refused is offered again on the next one. */
START_TEST(hwt_proctree_scan_hook_error)
{
	struct hwt_proctree t;
	struct seen s = { .fail_next = 1 };

	ck_assert_int_eq(hwt_proctree_init(&t, getpid(), 0, &seen_ops, &s), 0);
	ck_assert_int_eq(hwt_proctree_scan(&t), HWT_E_NOMEM);
	ck_assert_int_eq(s.threads_new, 0);
	ck_assert_int_eq(hwt_proctree_scan(&t), 1);
	ck_assert_int_eq(s.threads_new, 1);
	ck_assert_int_eq(s.tids[0], getpid());
	hwt_proctree_fini(&t);
}
END_TEST

START_TEST(hwt_proctree_init_bad)
{
	struct hwt_proctree t;

	ck_assert_int_eq(hwt_proctree_init(NULL, 1, 0, &seen_ops, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_proctree_init(&t, 0, 0, &seen_ops, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_proctree_init(&t, 1, 0, NULL, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_proctree_scan(NULL), HWT_E_INVAL);
}
END_TEST

/* A process gone before the first scan: no hooks but its own proc_new, then its proc_gone. */
START_TEST(hwt_proctree_scan_gone_root)
{
	struct hwt_proctree t;
	struct seen s = { 0 };
	pid_t child = fork();

	if (!child)
		_exit(0);
	waitpid(child, NULL, 0);
	ck_assert_int_eq(hwt_proctree_init(&t, child, 1, &seen_ops, &s), 0);
	ck_assert_int_eq(hwt_proctree_scan(&t), 0);
	ck_assert_int_eq(s.threads_new, 0);
	ck_assert_int_eq(s.procs_new, s.procs_gone);
	hwt_proctree_fini(&t);
}
END_TEST

/* ---- hwt_ctr_exits --------------------------------------------------------------------- */

static const char *const pf_name[] = { "page-faults" };

START_TEST(hwt_ctr_exits_open_bad)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr a[HWT_CTR_MAX_EVENTS + 1];
	struct hwt_ctr_exits *x = NULL;
	size_t bad = 0;
	char why[256];

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(hwt_event_parse("page-faults", &a[0], why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_ctr_exits_open(h, getpid(), 0, a, pf_name, 1, &bad, &x), HWT_E_INVAL);
	ck_assert_int_eq(
		hwt_ctr_exits_open(h, getpid(), 1, a, pf_name, HWT_CTR_MAX_EVENTS + 1, &bad, &x),
		HWT_E_INVAL);
	ck_assert_ptr_null(x);
	/* No such process: the host's error, for event 0. */
	bad = 9;
	ck_assert_int_lt(hwt_ctr_exits_open(h, 0x7ffffff0, 1, a, pf_name, 1, &bad, &x), 0);
	ck_assert_uint_eq(bad, 0);
	ck_assert_ptr_null(x);
	hwt_ctr_exits_free(NULL);
	hwt_host_free(h);
}
END_TEST

/* Records that are not exit records of its own counters are ignored, and nothing is taken. */
START_TEST(hwt_ctr_exits_record_foreign)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr a;
	struct hwt_ctr_exits *x = NULL;
	struct hwt_ctr_exit *ex = (void *)1;
	size_t bad;
	char why[256];
	uint64_t rec[9] = { 0 };
	struct perf_event_header *hd = (void *)rec;

	ck_assert_int_eq(hwt_event_parse("page-faults", &a, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_ctr_exits_open(h, getpid(), 1, &a, pf_name, 1, &bad, &x), 0);
	hd->type = PERF_RECORD_READ;
	hd->size = sizeof(rec);
	rec[2] = 100;		 /* value */
	rec[5] = 0x123456789ull; /* an id that is none of ours */
	rec[8] = rec[5];
	hwt_ctr_exits_record(x, hd);
	hd->type = PERF_RECORD_EXIT;
	hwt_ctr_exits_record(x, hd);
	hd->type = PERF_RECORD_READ;
	hd->size = 40; /* another read_format */
	hwt_ctr_exits_record(x, hd);
	hwt_ctr_exits_record(NULL, hd);
	ck_assert_int_eq(hwt_ctr_exits_take(x, 1, &ex), 0);
	ck_assert_ptr_null(ex);
	hwt_ctr_exits_free(x);
	hwt_host_free(h);
}
END_TEST

/* Counters opened on a process stopped before exec count from its exec on: a shell's start-up
 * faults are in the totals, read after it is reaped. */
START_TEST(hwt_ctr_exits_totals_exec)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr a;
	struct hwt_ctr_exits *x = NULL;
	size_t bad;
	char why[256], c;
	double v[1] = { -1 };
	int go[2];

	ck_assert_int_eq(hwt_event_parse("page-faults", &a, why, sizeof(why)), 0);
	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	if (!pid) {
		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execl("/bin/sh", "sh", "-c", "exit 0", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	ck_assert_int_eq(hwt_ctr_exits_open(h, pid, (int)sysconf(_SC_NPROCESSORS_CONF), &a, pf_name,
					    1, &bad, &x),
			 0);
	ck_assert_int_eq(hwt_ctr_exits_totals(x, v), 0);
	ck_assert(v[0] == 0); /* nothing counted before exec */
	ck_assert_int_eq(write(go[1], "g", 1), 1);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(hwt_ctr_exits_totals(x, v), 0);
	ck_assert(v[0] >= 10); /* a dynamically linked shell faults in its pages */
	hwt_ctr_exits_free(x);
	hwt_host_free(h);
}
END_TEST

static Suite *proc_suite(void)
{
	Suite *s = suite_create("proc");
	TCase *tc = tcase_create("procfs");

	tcase_add_test(tc, hwt_procstat_parse_stat_fields);
	tcase_add_loop_test(tc, hwt_procstat_parse_stat_truncated, 0, 9);
	tcase_add_test(tc, hwt_procstat_parse_stat_bad);
	tcase_add_test(tc, hwt_procstat_parse_status_fields);
	tcase_add_test(tc, hwt_procstat_parse_status_zombie);
	tcase_add_test(tc, hwt_procstat_parse_io_fields);
	tcase_add_test(tc, hwt_procfs_parse_pids_list);
	tcase_add_test(tc, hwt_procfs_open_bad);
	tcase_add_test(tc, hwt_procfs_reread_fresh);
	suite_add_tcase(s, tc);
	tc = tcase_create("proctree");
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, hwt_proctree_scan_follows_children);
	tcase_add_test(tc, hwt_proctree_scan_root_only);
	tcase_add_test(tc, hwt_proctree_scan_hook_error);
	tcase_add_test(tc, hwt_proctree_init_bad);
	tcase_add_test(tc, hwt_proctree_scan_gone_root);
	suite_add_tcase(s, tc);
	tc = tcase_create("ctr_exits");
	tcase_add_test(tc, hwt_ctr_exits_open_bad);
	tcase_add_test(tc, hwt_ctr_exits_record_foreign);
	tcase_add_test(tc, hwt_ctr_exits_totals_exec);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(proc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

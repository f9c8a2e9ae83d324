/* Unit tests for core/slices.c: per-function call statistics and the call tree printer, fed
 * synthetic slice streams (recursion, interleaved threads, unfinished calls, lost records). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "exporters/slices.h"

#define PID 10

static struct hwt_model *m;
static struct hwt_event evs[4096];
static size_t nev;
static uint32_t f_main, f_fib, f_work, f_jump, f_anon;
static char *outbuf;
static size_t outlen;

static uint32_t str(const char *s)
{
	int64_t id = hwt_model_intern_str(m, s);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t frame(const char *name, uint64_t addr)
{
	struct hwt_frame f = { .name = name ? str(name) : HWT_NONE, .addr = addr };
	int64_t id = hwt_model_intern_frame(m, &f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static void setup(void)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	nev = 0;
	f_main = frame("main", 0x1000);
	f_fib = frame("fib", 0x1100);
	f_work = frame("work", 0x1200);
	f_jump = frame("jumper", 0x1300);
	f_anon = frame(NULL, 0x1400);
	outbuf = NULL;
	outlen = 0;
}

static void teardown(void)
{
	hwt_model_free(m);
	m = NULL;
	free(outbuf);
	outbuf = NULL;
}

static struct hwt_event *add(enum hwt_event_type type, uint32_t tid, uint64_t ts)
{
	ck_assert_uint_lt(nev, sizeof(evs) / sizeof(evs[0]));
	evs[nev] = (struct hwt_event){ .type = type, .pid = PID, .tid = tid, .ts = ts };
	return &evs[nev++];
}

static void B(uint32_t tid, uint64_t ts, uint32_t f)
{
	add(HWT_EV_SLICE_BEGIN, tid, ts)->slice.frame = f;
}

static void E(uint32_t tid, uint64_t ts)
{
	add(HWT_EV_SLICE_END, tid, ts);
}

static void E_unfinished(uint32_t tid, uint64_t ts)
{
	add(HWT_EV_SLICE_END, tid, ts)->slice.flags = HWT_SLICE_UNFINISHED;
}

static void lost(uint32_t tid, uint64_t ts, uint64_t count)
{
	add(HWT_EV_LOST, tid, ts)->lost.count = count;
}

static void names(void)
{
	add(HWT_EV_PROCESS, PID, 0)->proc.name = str("fib");
	add(HWT_EV_THREAD, PID, 0)->thread.name = str("fib");
}

/*
 * main [0,1000] > fib(3) [100,900] > { fib(2) [200,600] > { fib(1) [300,400], fib(0)
 * [450,550] }, fib(1) [650,850] }
 */
static void fib_stream(uint32_t tid)
{
	B(tid, 0, f_main);
	B(tid, 100, f_fib);
	B(tid, 200, f_fib);
	B(tid, 300, f_fib);
	E(tid, 400);
	B(tid, 450, f_fib);
	E(tid, 550);
	E(tid, 600);
	B(tid, 650, f_fib);
	E(tid, 850);
	E(tid, 900);
	E(tid, 1000);
}

static struct hwt_slicestats *stats_run(void)
{
	struct hwt_slicestats *s = hwt_slicestats_alloc();

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_slicestats_event(s, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_slicestats_finish(s), 0);
	return s;
}

/* The statistics of the function named @name, failing the test when absent. */
static const struct hwt_slice_func *func(struct hwt_slicestats *s, const char *name)
{
	uint32_t n;
	const struct hwt_slice_func *f = hwt_slicestats_sorted(s, m, HWT_SLICE_SORT_TOTAL, &n);

	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(hwt_model_str(m, f[i].name), name))
			return &f[i];
	ck_abort_msg("no function %s", name);
	return NULL;
}

static void check_func(struct hwt_slicestats *s, const char *name, uint64_t calls, uint64_t total,
		       uint64_t self, uint64_t max, uint64_t unfinished)
{
	const struct hwt_slice_func *f = func(s, name);

	ck_assert_msg(f->calls == calls, "%s calls %llu", name, (unsigned long long)f->calls);
	ck_assert_msg(f->total == total, "%s total %llu", name, (unsigned long long)f->total);
	ck_assert_msg(f->self == self, "%s self %llu", name, (unsigned long long)f->self);
	ck_assert_msg(f->max == max, "%s max %llu", name, (unsigned long long)f->max);
	ck_assert_msg(f->unfinished == unfinished, "%s unfinished %llu", name,
		      (unsigned long long)f->unfinished);
}

/* Runs the call tree printer over the stream with @cfg's depth and thread; returns the text. */
static const char *tree_run(uint32_t max_depth, uint32_t only_tid)
{
	struct hwt_calltree_config cfg;
	struct hwt_calltree *t;
	FILE *f = open_memstream(&outbuf, &outlen);

	ck_assert_ptr_nonnull(f);
	hwt_calltree_config_init(&cfg);
	cfg.out = f;
	cfg.max_depth = max_depth;
	cfg.tid = only_tid;
	cfg.only_tid = only_tid != 0;
	t = hwt_calltree_alloc(&cfg);
	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_calltree_event(t, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_calltree_finish(t, m), 0);
	hwt_calltree_free(t);
	ck_assert_int_eq(fclose(f), 0);
	return outbuf;
}

static const struct {
	uint64_t ns;
	const char *text;
} duration_cases[] = {
	{ 0, "      0 ns" },
	{ 999, "    999 ns" },
	{ 1000, "  1.000 us" },
	{ 1234, "  1.234 us" },
	{ 999999, "999.999 us" },
	{ 1000000, "  1.000 ms" },
	{ 12345678, " 12.345 ms" },
	{ 1234567890, "  1.234  s" },
	{ 1234567890123ull, "1234.567  s" },
	{ UINT64_MAX, "18446744073.709  s" },
};

START_TEST(duration_fmt_units)
{
	char buf[HWT_DURATION_LEN];

	ck_assert_ptr_eq(hwt_duration_fmt(buf, sizeof(buf), duration_cases[_i].ns), buf);
	ck_assert_str_eq(buf, duration_cases[_i].text);
}
END_TEST

START_TEST(duration_fmt_bad_args)
{
	char buf[4] = "abc";

	ck_assert_ptr_null(hwt_duration_fmt(NULL, 8, 1));
	ck_assert_ptr_eq(hwt_duration_fmt(buf, 0, 1), buf);
	ck_assert_str_eq(buf, "abc");
	/* Too short: cut, still terminated. */
	ck_assert_str_eq(hwt_duration_fmt(buf, sizeof(buf), 1234), "  1");
}
END_TEST

static const struct {
	uint64_t v;
	const char *unit, *text;
} value_cases[] = {
	{ 999, "nanoseconds", "999 ns" },
	{ 76418333549ull, "nanoseconds", "76.418 s" },
	{ 129750000, "ns", "129.750 ms" },
	{ 250000, "ns", "250.000 us" },
	{ 519, "count", "519 count" },
	{ 12, "bytes", "12 bytes" },
	{ 7, NULL, "7" },
	{ 8, "", "8" },
};

START_TEST(value_fmt_units)
{
	char buf[HWT_DURATION_LEN + 16];

	ck_assert_ptr_eq(hwt_value_fmt(buf, sizeof(buf), value_cases[_i].v, value_cases[_i].unit),
			 buf);
	ck_assert_str_eq(buf, value_cases[_i].text);
}
END_TEST

START_TEST(value_fmt_bad_args)
{
	char buf[6] = "abcde";

	ck_assert_ptr_null(hwt_value_fmt(NULL, 8, 1, "ns"));
	ck_assert_ptr_eq(hwt_value_fmt(buf, 0, 1, "ns"), buf);
	ck_assert_str_eq(buf, "abcde");
	/* Too short: cut, still terminated. */
	ck_assert_str_eq(hwt_value_fmt(buf, sizeof(buf), 129750000, "ns"), "129.7");
	ck_assert_str_eq(hwt_value_fmt(buf, sizeof(buf), 519, "count"), "519 c");
}
END_TEST

START_TEST(unit_is_ns_names)
{
	ck_assert(hwt_unit_is_ns("ns"));
	ck_assert(hwt_unit_is_ns("nanoseconds"));
	ck_assert(!hwt_unit_is_ns("count"));
	ck_assert(!hwt_unit_is_ns(""));
	ck_assert(!hwt_unit_is_ns(NULL));
}
END_TEST

START_TEST(sort_parse_names)
{
	ck_assert_int_eq(hwt_slice_sort_parse("total"), HWT_SLICE_SORT_TOTAL);
	ck_assert_int_eq(hwt_slice_sort_parse("calls"), HWT_SLICE_SORT_CALLS);
	ck_assert_int_eq(hwt_slice_sort_parse("self"), HWT_SLICE_SORT_SELF);
	ck_assert_int_eq(hwt_slice_sort_parse("avg"), HWT_SLICE_SORT_AVG);
	ck_assert_int_eq(hwt_slice_sort_parse("max"), HWT_SLICE_SORT_MAX);
	ck_assert_int_eq(hwt_slice_sort_parse("Total"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slice_sort_parse(""), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slice_sort_parse(NULL), HWT_E_INVAL);
}
END_TEST

START_TEST(slicestats_recursion_counted_once)
{
	struct hwt_slice_summary sum;
	struct hwt_slicestats *s;

	names();
	fib_stream(PID);
	s = stats_run();
	/* fib's total is the outermost call only; self sums to it. */
	check_func(s, "main", 1, 1000, 200, 1000, 0);
	check_func(s, "fib", 5, 800, 800, 800, 0);
	hwt_slicestats_summary(s, &sum);
	ck_assert_uint_eq(sum.calls, 6);
	ck_assert_uint_eq(sum.threads, 1);
	ck_assert_uint_eq(sum.functions, 2);
	ck_assert_uint_eq(sum.unfinished, 0);
	ck_assert_uint_eq(sum.lost_markers, 0);
	ck_assert_uint_eq(sum.unmatched_ends, 0);
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_threads_interleaved)
{
	struct hwt_slice_summary sum;
	struct hwt_slicestats *s;

	/* work on 10 [1000,5000]; on 11 work [2000,4000] > work [2500,3000] at the same time:
	 * being open on one thread does not make the other's call inner. */
	B(10, 1000, f_work);
	B(11, 2000, f_work);
	B(11, 2500, f_work);
	E(11, 3000);
	E(11, 4000);
	E(10, 5000);
	s = stats_run();
	check_func(s, "work", 3, 6000, 6000, 4000, 0);
	hwt_slicestats_summary(s, &sum);
	ck_assert_uint_eq(sum.threads, 2);
	ck_assert_uint_eq(sum.calls, 3);
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_unfinished_and_lost)
{
	struct hwt_slice_summary sum;
	struct hwt_slicestats *s;

	/* Thread 10: main [0, exit 500] > jumper [100, 300 no return]; thread 11: work from 50,
	 * still open when the stream ends, its last event at 700. An end with nothing open. */
	B(10, 0, f_main);
	B(10, 100, f_jump);
	lost(10, 200, 7);
	E_unfinished(10, 300);
	add(HWT_EV_THREAD_EXIT, 10, 500);
	E(12, 600);
	B(11, 50, f_work);
	lost(11, 650, 0);
	add(HWT_EV_SAMPLE, 11, 700);
	s = stats_run();
	check_func(s, "main", 1, 500, 300, 500, 1);
	check_func(s, "jumper", 1, 200, 200, 200, 1);
	check_func(s, "work", 1, 650, 650, 650, 1);
	hwt_slicestats_summary(s, &sum);
	ck_assert_uint_eq(sum.calls, 3);
	ck_assert_uint_eq(sum.unfinished, 3);
	ck_assert_uint_eq(sum.unmatched_ends, 1);
	ck_assert_uint_eq(sum.lost_markers, 2);
	ck_assert_uint_eq(sum.lost_records, 7);
	ck_assert_uint_eq(sum.threads, 2);
	hwt_slicestats_free(s);
}
END_TEST

/* The stream of slicestats_unfinished_and_lost handed over in batches (of 3, 1 and 5 events,
 * one of none first): the same statistics. */
START_TEST(hwt_slicestats_events_same_as_single)
{
	struct hwt_slice_summary sum;
	struct hwt_slicestats *s = hwt_slicestats_alloc();

	ck_assert_ptr_nonnull(s);
	B(10, 0, f_main);
	B(10, 100, f_jump);
	lost(10, 200, 7);
	E_unfinished(10, 300);
	add(HWT_EV_THREAD_EXIT, 10, 500);
	E(12, 600);
	B(11, 50, f_work);
	lost(11, 650, 0);
	add(HWT_EV_SAMPLE, 11, 700);
	ck_assert_uint_eq(nev, 9);
	ck_assert_int_eq(hwt_slicestats_events(s, m, NULL, 0), 0);
	ck_assert_int_eq(hwt_slicestats_events(s, m, evs, 3), 0);
	ck_assert_int_eq(hwt_slicestats_events(s, m, evs + 3, 1), 0);
	ck_assert_int_eq(hwt_slicestats_events(s, m, evs + 4, 5), 0);
	ck_assert_int_eq(hwt_slicestats_finish(s), 0);
	check_func(s, "main", 1, 500, 300, 500, 1);
	check_func(s, "jumper", 1, 200, 200, 200, 1);
	check_func(s, "work", 1, 650, 650, 650, 1);
	hwt_slicestats_summary(s, &sum);
	ck_assert_uint_eq(sum.calls, 3);
	ck_assert_uint_eq(sum.unfinished, 3);
	ck_assert_uint_eq(sum.unmatched_ends, 1);
	ck_assert_uint_eq(sum.lost_markers, 2);
	ck_assert_uint_eq(sum.lost_records, 7);
	ck_assert_uint_eq(sum.threads, 2);
	ck_assert_int_eq(hwt_slicestats_events(NULL, m, evs, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_events(s, m, NULL, 1), HWT_E_INVAL);
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_process_exit_closes_threads)
{
	struct hwt_slicestats *s;

	B(10, 0, f_main);
	B(11, 100, f_work);
	add(HWT_EV_PROCESS_EXIT, 10, 400);
	s = stats_run();
	check_func(s, "main", 1, 400, 400, 400, 1);
	check_func(s, "work", 1, 300, 300, 300, 1);
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_sorted_keys)
{
	static const char *const want[][3] = {
		[HWT_SLICE_SORT_TOTAL] = { "main", "fib", "work" },
		[HWT_SLICE_SORT_CALLS] = { "fib", "work", "main" },
		[HWT_SLICE_SORT_SELF] = { "fib", "work", "main" },
		[HWT_SLICE_SORT_AVG] = { "main", "work", "fib" },
		[HWT_SLICE_SORT_MAX] = { "main", "fib", "work" },
	};
	struct hwt_slicestats *s;
	const struct hwt_slice_func *f;
	uint32_t n;

	fib_stream(PID);
	/* work: 2 calls of 300 after main, on another thread. */
	B(11, 2000, f_work);
	E(11, 2300);
	B(11, 2400, f_work);
	E(11, 2700);
	s = stats_run();
	for (int k = 0; k <= HWT_SLICE_SORT_MAX; k++) {
		f = hwt_slicestats_sorted(s, m, (enum hwt_slice_sort)k, &n);
		ck_assert_uint_eq(n, 3);
		for (uint32_t i = 0; i < n; i++)
			ck_assert_str_eq(hwt_model_str(m, f[i].name), want[k][i]);
	}
	/* Still correct after sorting moved the functions around. */
	check_func(s, "work", 2, 600, 600, 300, 0);
	hwt_slicestats_free(s);
}
END_TEST

/* Random nesting on three threads checked against a plain recomputation that scans the stack. */
START_TEST(slicestats_random_against_naive)
{
	/* Odd rounds: 3 functions, so threads often have the same one open at once. */
	enum { NF = 24, NT = 3, STEPS = 3000 };
	int nf = _i % 2 ? 3 : NF;
	struct naive {
		uint64_t calls, total, self, max;
	} want[NF] = { { 0 } };
	struct {
		uint32_t f[64];
		uint64_t begin[64], child[64];
		uint32_t n;
	} st[NT];
	uint32_t fr[NF], names[NF];
	uint64_t ts = 0;
	struct hwt_slicestats *s;
	char name[16];

	memset(st, 0, sizeof(st));
	srand(12345 + (unsigned)_i);
	for (int i = 0; i < NF; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		fr[i] = frame(name, 0x2000 + (uint64_t)i);
		names[i] = str(name);
	}
	for (int step = 0; step < STEPS || st[0].n || st[1].n || st[2].n; step++) {
		int t = rand() % NT, fi = rand() % nf;
		uint32_t tid = 20 + (uint32_t)t;

		ts += (uint64_t)(rand() % 50);
		if (st[t].n < 64 && step < STEPS && (st[t].n == 0 || rand() % 2)) {
			B(tid, ts, fr[fi]);
			st[t].f[st[t].n] = (uint32_t)fi;
			st[t].begin[st[t].n] = ts;
			st[t].child[st[t].n++] = 0;
			want[fi].calls++;
		} else if (st[t].n) {
			uint32_t k = --st[t].n, g = st[t].f[k], outer = 1;
			uint64_t dur = ts - st[t].begin[k];

			E(tid, ts);
			for (uint32_t j = 0; j < k; j++)
				outer &= st[t].f[j] != g;
			want[g].total += outer ? dur : 0;
			want[g].self += dur - st[t].child[k];
			want[g].max = dur > want[g].max ? dur : want[g].max;
			if (k)
				st[t].child[k - 1] += dur;
		}
		if (nev >= sizeof(evs) / sizeof(evs[0]) - 1)
			break;
	}
	ck_assert_uint_eq(st[0].n + st[1].n + st[2].n, 0);
	s = stats_run();
	for (int i = 0; i < nf; i++) {
		const struct hwt_slice_func *f = func(s, hwt_model_str(m, names[i]));

		ck_assert_uint_eq(f->calls, want[i].calls);
		ck_assert_uint_eq(f->total, want[i].total);
		ck_assert_uint_eq(f->self, want[i].self);
		ck_assert_uint_eq(f->max, want[i].max);
	}
	hwt_slicestats_free(s);
}
END_TEST

/* 300 calls open on each of two threads, each of 150 functions twice on the stack: the table of
 * open calls grows, and shrinks back as they end. */
START_TEST(slicestats_many_open)
{
	enum { NF = 150, DEPTH = 300 };
	uint32_t fr[NF];
	struct hwt_slicestats *s;
	char name[16];

	for (int k = 0; k < NF; k++) {
		snprintf(name, sizeof(name), "g%d", k);
		fr[k] = frame(name, 0x3000 + (uint64_t)k);
	}
	for (uint32_t tid = 20; tid <= 21; tid++) {
		for (int d = 0; d < DEPTH; d++)
			B(tid, (uint64_t)d, fr[d % NF]);
		for (int d = DEPTH - 1; d >= 0; d--)
			E(tid, 1000 + (uint64_t)(DEPTH - 1 - d));
	}
	s = stats_run();
	for (int k = 0; k < NF; k++) {
		/* Call at depth d lasts 1299 - 2d and has 2 of self, but the innermost: 701. */
		uint64_t outer = 1299 - 2 * (uint64_t)k;

		snprintf(name, sizeof(name), "g%d", k);
		check_func(s, name, 4, 2 * outer, 2 * (2 + (k + NF == DEPTH - 1 ? 701 : 2)), outer,
			   0);
	}
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_print_table)
{
	struct hwt_slicestats *s;
	FILE *f = open_memstream(&outbuf, &outlen);

	fib_stream(PID);
	B(11, 2000, f_anon);
	E(11, 1500000);
	B(11, 1600000, f_jump);
	E_unfinished(11, 1700000);
	lost(11, 1800000, 3);
	s = stats_run();
	ck_assert_int_eq(hwt_slicestats_print(s, m, HWT_SLICE_SORT_TOTAL, 3, "x.hwt", f), 0);
	fclose(f);
	ck_assert_str_eq(outbuf,
			 "# 8 calls of 4 functions in 2 threads of x.hwt\n"
			 "# note: 1 call had no return seen (longjmp, exception, thread exit or "
			 "lost records): it ends at the point the tracer gave up\n"
			 "# note: records were lost 1 time (3 records): calls in the gaps are "
			 "missing and times around them are incomplete\n"
			 "# Total time   Self time   Avg total   Max total       Calls  Function\n"
			 "# ==========  ==========  ==========  ==========  ==========  "
			 "====================\n"
			 "    1.498 ms    1.498 ms    1.498 ms    1.498 ms           1  [unknown]\n"
			 "  100.000 us  100.000 us  100.000 us  100.000 us           1  jumper "
			 "(1 unfinished)\n"
			 "    1.000 us      200 ns    1.000 us    1.000 us           1  main\n");
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_print_plain)
{
	struct hwt_slicestats *s;
	FILE *f = open_memstream(&outbuf, &outlen);

	B(10, 0, f_work);
	E(10, 5);
	s = stats_run();
	ck_assert_int_eq(hwt_slicestats_print(s, m, HWT_SLICE_SORT_CALLS, 0, NULL, f), 0);
	fclose(f);
	ck_assert_str_eq(outbuf,
			 "# 1 call of 1 function in 1 thread\n"
			 "# Total time   Self time   Avg total   Max total       Calls  Function\n"
			 "# ==========  ==========  ==========  ==========  ==========  "
			 "====================\n"
			 "        5 ns        5 ns        5 ns        5 ns           1  work\n");
	hwt_slicestats_free(s);
}
END_TEST

START_TEST(slicestats_bad_args)
{
	struct hwt_slicestats *s = hwt_slicestats_alloc();
	struct hwt_event ev = { .type = HWT_EV_SLICE_BEGIN, .slice.frame = f_main };
	uint32_t n = 7;

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(hwt_slicestats_event(NULL, m, &ev), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_event(s, NULL, &ev), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_event(s, m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_finish(NULL), HWT_E_INVAL);
	ck_assert_ptr_null(hwt_slicestats_sorted(s, m, HWT_SLICE_SORT_TOTAL, &n));
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(hwt_slicestats_sorted(NULL, m, HWT_SLICE_SORT_TOTAL, &n));
	ck_assert_int_eq(hwt_slicestats_print(NULL, m, 0, 0, NULL, stdout), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_print(s, NULL, 0, 0, NULL, stdout), HWT_E_INVAL);
	ck_assert_int_eq(hwt_slicestats_print(s, m, 0, 0, NULL, NULL), HWT_E_INVAL);
	/* A frame the model does not know counts as an unnamed function. */
	ev.slice.frame = 999;
	ck_assert_int_eq(hwt_slicestats_event(s, m, &ev), 0);
	hwt_slicestats_free(s);
	hwt_slicestats_free(NULL);
}
END_TEST

#define HEAD "#  DURATION      TID   FUNCTION\n"

START_TEST(calltree_fib)
{
	names();
	fib_stream(PID);
	ck_assert_str_eq(tree_run(0, 0), HEAD "# thread 10 (fib), process 10\n"
					      "            [    10] | main() {\n"
					      "            [    10] |   fib() {\n"
					      "            [    10] |     fib() {\n"
					      "     100 ns [    10] |       fib();\n"
					      "     100 ns [    10] |       fib();\n"
					      "     400 ns [    10] |     } /* fib */\n"
					      "     200 ns [    10] |     fib();\n"
					      "     800 ns [    10] |   } /* fib */\n"
					      "   1.000 us [    10] | } /* main */\n");
}
END_TEST

START_TEST(calltree_depth_folds)
{
	names();
	fib_stream(PID);
	ck_assert_str_eq(tree_run(2, 0), HEAD "# thread 10 (fib), process 10\n"
					      "            [    10] | main() {\n"
					      "     800 ns [    10] |   fib();\n"
					      "   1.000 us [    10] | } /* main */\n");
	free(outbuf);
	outbuf = NULL;
	ck_assert_str_eq(tree_run(1, 0), HEAD "# thread 10 (fib), process 10\n"
					      "   1.000 us [    10] | main();\n");
}
END_TEST

START_TEST(calltree_threads_interleave)
{
	add(HWT_EV_PROCESS, PID, 0)->proc.name = str("app");
	add(HWT_EV_THREAD, 11, 1)->thread.name = str("worker");
	B(10, 1000, f_main);
	B(11, 1500, f_work);
	B(10, 2000, f_fib);
	E(11, 2500);
	E(10, 3000);
	B(11, 3500, f_fib);
	E(10, 4000);
	E(11, 123456789);
	ck_assert_str_eq(tree_run(0, 0), HEAD "# thread 10 (app), process 10\n"
					      "            [    10] | main() {\n"
					      "# thread 11 (worker), process 10\n"
					      "   1.000 us [    11] | work();\n"
					      "   1.000 us [    10] |   fib();\n"
					      "   3.000 us [    10] | } /* main */\n"
					      " 123.453 ms [    11] | fib();\n");
	free(outbuf);
	outbuf = NULL;
	ck_assert_str_eq(tree_run(0, 11), HEAD "# thread 11 (worker), process 10\n"
					       "   1.000 us [    11] | work();\n"
					       " 123.453 ms [    11] | fib();\n");
}
END_TEST

START_TEST(calltree_cxx_names)
{
	uint32_t f_outer = frame("ns::outer(int)", 0x1500), f_inner = frame("ns::inner() const", 0);

	B(10, 0, f_outer);
	B(10, 1, f_inner);
	E(10, 2);
	E(10, 3);
	ck_assert_str_eq(tree_run(0, 0), HEAD "# thread 10, process 10\n"
					      "            [    10] | ns::outer(int) {\n"
					      "       1 ns [    10] |   ns::inner() const;\n"
					      "       3 ns [    10] | } /* ns::outer(int) */\n");
}
END_TEST

START_TEST(calltree_unfinished)
{
	/* jumper longjmps out of itself and fib; main is open when its thread exits; work is
	 * open when the stream ends, its thread's last event at 900. */
	B(10, 0, f_main);
	B(10, 100, f_jump);
	B(10, 150, f_fib);
	E_unfinished(10, 300);
	E_unfinished(10, 300);
	add(HWT_EV_THREAD_EXIT, 10, 500);
	B(11, 600, f_work);
	add(HWT_EV_SAMPLE, 11, 900);
	ck_assert_str_eq(tree_run(0, 0),
			 HEAD "# thread 10, process 10\n"
			      "            [    10] | main() {\n"
			      "            [    10] |   jumper() {\n"
			      "     150 ns [    10] |     fib(); /* no return seen */\n"
			      "     200 ns [    10] |   } /* jumper: no return seen */\n"
			      "     500 ns [    10] | } /* main: no return seen */\n"
			      "# thread 11, process 10\n"
			      "     300 ns [    11] | work(); /* no return seen */\n");
}
END_TEST

START_TEST(calltree_lost)
{
	/* Lost before any call: shown with the thread's next line. Lost inside fib(1) at depth
	 * 4: with --depth 2, fib at depth 2 opens a block to hold the marker. */
	lost(10, 0, 0);
	lost(10, 0, 4);
	B(10, 0, f_main);
	B(10, 100, f_fib);
	B(10, 200, f_fib);
	B(10, 300, f_fib);
	lost(10, 320, 5);
	E(10, 400);
	E(10, 600);
	E(10, 900);
	E(10, 1000);
	ck_assert_str_eq(tree_run(2, 0), HEAD "# thread 10, process 10\n"
					      "            [    10] | [lost at least 4 records]\n"
					      "            [    10] | main() {\n"
					      "            [    10] |   fib() {\n"
					      "            [    10] |     [lost 5 records]\n"
					      "     800 ns [    10] |   } /* fib */\n"
					      "   1.000 us [    10] | } /* main */\n");
}
END_TEST

START_TEST(calltree_lost_without_calls)
{
	struct hwt_calltree_config cfg;
	struct hwt_calltree *t;
	FILE *f = open_memstream(&outbuf, &outlen);

	lost(10, 0, 3);
	add(HWT_EV_SAMPLE, 10, 5);
	hwt_calltree_config_init(&cfg);
	cfg.out = f;
	t = hwt_calltree_alloc(&cfg);
	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_calltree_event(t, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_calltree_finish(t, m), 0);
	ck_assert_uint_eq(hwt_calltree_calls(t), 0);
	hwt_calltree_free(t);
	fclose(f);
	ck_assert_str_eq(outbuf, "");
}
END_TEST

START_TEST(calltree_lost_at_end)
{
	/* A thread whose only events are lost markers, in a recording with calls. */
	B(10, 0, f_main);
	E(10, 10);
	lost(11, 20, 2);
	ck_assert_str_eq(tree_run(0, 0), HEAD "# thread 10, process 10\n"
					      "      10 ns [    10] | main();\n"
					      "# thread 11, process 10\n"
					      "            [    11] | [lost 2 records]\n");
}
END_TEST

/* The columns at their edges: tids wider than the column, durations of 0, 999 and 1000 ns and
 * past 1000 s, a deep indent, a frame without a name, a process's name for its threads. */
START_TEST(calltree_columns_edges)
{
	uint64_t ts = 0;

	add(HWT_EV_PROCESS, PID, 0)->proc.name = str("p\"q");
	B(4294967295u, 0, f_anon);
	E(4294967295u, 0);
	B(1234567, 5, f_main);
	for (int i = 0; i < 12; i++)
		B(1234567, 10 + i, f_fib);
	ts = 21;
	E(1234567, ts += 999);
	E(1234567, ts);
	for (int i = 0; i < 10; i++)
		E(1234567, ts += 1);
	E(1234567, 1234567890123ull);
	E(1234567, UINT64_MAX);
	ck_assert_str_eq(tree_run(0, 0),
			 HEAD "# thread 4294967295 (p\"q), process 10\n"
			      "       0 ns [4294967295] | [unknown]();\n"
			      "# thread 1234567 (p\"q), process 10\n"
			      "            [1234567] | main() {\n"
			      "            [1234567] |   fib() {\n"
			      "            [1234567] |     fib() {\n"
			      "            [1234567] |       fib() {\n"
			      "            [1234567] |         fib() {\n"
			      "            [1234567] |           fib() {\n"
			      "            [1234567] |             fib() {\n"
			      "            [1234567] |               fib() {\n"
			      "            [1234567] |                 fib() {\n"
			      "            [1234567] |                   fib() {\n"
			      "            [1234567] |                     fib() {\n"
			      "            [1234567] |                       fib() {\n"
			      "     999 ns [1234567] |                         fib();\n"
			      "   1.000 us [1234567] |                       } /* fib */\n"
			      "   1.002 us [1234567] |                     } /* fib */\n"
			      "   1.004 us [1234567] |                   } /* fib */\n"
			      "   1.006 us [1234567] |                 } /* fib */\n"
			      "   1.008 us [1234567] |               } /* fib */\n"
			      "   1.010 us [1234567] |             } /* fib */\n"
			      "   1.012 us [1234567] |           } /* fib */\n"
			      "   1.014 us [1234567] |         } /* fib */\n"
			      "   1.016 us [1234567] |       } /* fib */\n"
			      "   1.018 us [1234567] |     } /* fib */\n"
			      "   1.020 us [1234567] |   } /* fib */\n"
			      " 1234.567  s [1234567] | } /* main */\n");
}
END_TEST

/* Indents past the one-fill width (64 levels and more) as printf pads them. */
START_TEST(calltree_deep_indent)
{
	enum { DEPTH = 100 };
	char *want = malloc(64 * 1024), *w = want;

	ck_assert_ptr_nonnull(want);
	w += sprintf(w, HEAD "# thread 10, process 10\n");
	for (int i = 0; i < DEPTH; i++)
		B(10, (uint64_t)i, f_fib);
	for (int i = 0; i < DEPTH - 1; i++)
		w += sprintf(w, " %10s [%6d] | %*sfib() {\n", "", 10, 2 * i, "");
	for (int i = DEPTH - 1; i >= 0; i--) {
		char d[HWT_DURATION_LEN];

		E(10, 1000 + (uint64_t)(DEPTH - 1 - i));
		hwt_duration_fmt(d, sizeof(d), 1000 + (uint64_t)(DEPTH - 1 - i) - (uint64_t)i);
		if (i == DEPTH - 1)
			w += sprintf(w, " %10s [%6d] | %*sfib();\n", d, 10, 2 * i, "");
		else
			w += sprintf(w, " %10s [%6d] | %*s} /* fib */\n", d, 10, 2 * i, "");
	}
	ck_assert_str_eq(tree_run(0, 0), want);
	free(want);
}
END_TEST

START_TEST(calltree_bad_args)
{
	struct hwt_calltree_config cfg;
	struct hwt_calltree *t;
	struct hwt_event ev = { .type = HWT_EV_SLICE_END, .tid = 3 };

	ck_assert_ptr_null(hwt_calltree_alloc(NULL));
	hwt_calltree_config_init(&cfg);
	ck_assert_ptr_eq(cfg.out, stdout);
	ck_assert_uint_eq(cfg.max_depth, 0);
	ck_assert_int_eq(cfg.only_tid, 0);
	t = hwt_calltree_alloc(&cfg);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(hwt_calltree_event(NULL, m, &ev), HWT_E_INVAL);
	ck_assert_int_eq(hwt_calltree_event(t, NULL, &ev), HWT_E_INVAL);
	ck_assert_int_eq(hwt_calltree_event(t, m, NULL), HWT_E_INVAL);
	/* An end on a thread with nothing open prints nothing. */
	ck_assert_int_eq(hwt_calltree_event(t, m, &ev), 0);
	ck_assert_int_eq(hwt_calltree_finish(NULL, m), HWT_E_INVAL);
	ck_assert_int_eq(hwt_calltree_finish(t, NULL), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_calltree_calls(NULL), 0);
	ck_assert_uint_eq(hwt_calltree_calls(t), 0);
	hwt_calltree_free(t);
	hwt_calltree_free(NULL);
}
END_TEST

static Suite *slices_suite(void)
{
	Suite *s = suite_create("slices");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, duration_fmt_units, 0,
			    sizeof(duration_cases) / sizeof(duration_cases[0]));
	tcase_add_test(tc, duration_fmt_bad_args);
	tcase_add_loop_test(tc, value_fmt_units, 0, sizeof(value_cases) / sizeof(value_cases[0]));
	tcase_add_test(tc, value_fmt_bad_args);
	tcase_add_test(tc, unit_is_ns_names);
	tcase_add_test(tc, sort_parse_names);
	tcase_add_test(tc, slicestats_recursion_counted_once);
	tcase_add_test(tc, slicestats_threads_interleaved);
	tcase_add_test(tc, slicestats_unfinished_and_lost);
	tcase_add_test(tc, hwt_slicestats_events_same_as_single);
	tcase_add_test(tc, slicestats_process_exit_closes_threads);
	tcase_add_test(tc, slicestats_sorted_keys);
	tcase_add_loop_test(tc, slicestats_random_against_naive, 0, 6);
	tcase_add_test(tc, slicestats_many_open);
	tcase_add_test(tc, slicestats_print_table);
	tcase_add_test(tc, slicestats_print_plain);
	tcase_add_test(tc, slicestats_bad_args);
	tcase_add_test(tc, calltree_fib);
	tcase_add_test(tc, calltree_depth_folds);
	tcase_add_test(tc, calltree_threads_interleave);
	tcase_add_test(tc, calltree_cxx_names);
	tcase_add_test(tc, calltree_unfinished);
	tcase_add_test(tc, calltree_lost);
	tcase_add_test(tc, calltree_lost_without_calls);
	tcase_add_test(tc, calltree_lost_at_end);
	tcase_add_test(tc, calltree_columns_edges);
	tcase_add_test(tc, calltree_deep_indent);
	tcase_add_test(tc, calltree_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(slices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

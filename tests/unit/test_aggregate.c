/* Unit tests for exporters/aggregate.c: samples and slices summed by (thread name, stack) over
 * event streams built here, the choice of mode, and the view names it accepts. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "exporters/aggregate.h"
#include "slice_nodes.h"

#define PID   100
#define OTHER 300 /* a second process */

static struct hwt_model *m;
static struct hwt_agg *agg;
static struct hwt_event evs[2048];
static uint64_t wts[2048][2]; /* the weights of each sample event */
static size_t nev;
static struct slice_cursors cursors;
static uint32_t f_main, f_work, f_hot, f_fib;
static uint32_t s_app, s_worker, s_other;
static uint32_t st_a, st_b; /* model stacks: main > work > hot, main > fib */

static uint32_t str(const char *s)
{
	int64_t id = hwt_model_intern_str(m, s);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t frame(const char *name, uint64_t addr)
{
	struct hwt_frame f = { .name = str(name), .addr = addr };
	int64_t id = hwt_model_intern_frame(m, &f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t stack(uint32_t parent, uint32_t f)
{
	int64_t id = hwt_model_intern_stack(m, parent, f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

/* A model with @weights ("samples", "cpu-time") declared or none. */
static void model(int weights)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	if (weights) {
		ck_assert_int_eq(hwt_model_add_weight(m, "samples", "count"), 0);
		ck_assert_int_eq(hwt_model_add_weight(m, "cpu-time", "nanoseconds"), 1);
	}
	f_main = frame("main", 0x1000);
	f_work = frame("work", 0x1100);
	f_hot = frame("hot", 0x1200);
	f_fib = frame("fib", 0x1300);
	s_app = str("app");
	s_worker = str("worker");
	s_other = str("other");
	st_a = stack(stack(stack(HWT_NONE, f_main), f_work), f_hot);
	st_b = stack(stack(HWT_NONE, f_main), f_fib);
	nev = 0;
	cursors = (struct slice_cursors){ 0 };
	agg = NULL;
}

static void teardown(void)
{
	hwt_agg_free(agg);
	agg = NULL;
	hwt_model_free(m);
	m = NULL;
}

static struct hwt_event *add(enum hwt_event_type type, uint32_t pid, uint32_t tid, uint64_t ts)
{
	ck_assert_uint_lt(nev, sizeof(evs) / sizeof(evs[0]));
	evs[nev] = (struct hwt_event){ .type = type, .pid = pid, .tid = tid, .ts = ts };
	return &evs[nev++];
}

static void names(void)
{
	add(HWT_EV_PROCESS, PID, PID, 1)->proc.name = s_app;
	add(HWT_EV_THREAD, PID, PID, 1)->thread.name = s_app;
	add(HWT_EV_THREAD, PID, 101, 2)->thread.name = s_worker;
	add(HWT_EV_PROCESS, OTHER, OTHER, 3)->proc.name = s_other;
}

static void sample(uint32_t pid, uint32_t tid, uint64_t ts, uint32_t node, uint64_t w0, uint64_t w1)
{
	struct hwt_event *e = add(HWT_EV_SAMPLE, pid, tid, ts);

	wts[nev - 1][0] = w0;
	wts[nev - 1][1] = w1;
	e->sample.stack = node;
	e->sample.weights = hwt_model_nweights(m) ? wts[nev - 1] : NULL;
}

static void B(uint32_t pid, uint32_t tid, uint64_t ts, uint32_t f)
{
	slice_node_set(m, &cursors, add(HWT_EV_SLICE_BEGIN, pid, tid, ts), f);
}

static void E(uint32_t pid, uint32_t tid, uint64_t ts)
{
	slice_node_set(m, &cursors, add(HWT_EV_SLICE_END, pid, tid, ts), HWT_NONE);
}

/* Allocates the aggregation for @view and feeds it every event, the first half one by one and
 * the rest in batches of 3 (both ways sum alike); returns hwt_agg_finish(). */
static int run(const char *view)
{
	char why[256] = "";
	int err = -1;
	size_t i;

	agg = hwt_agg_alloc(m, view, &err, why, sizeof(why));
	ck_assert_msg(agg != NULL, "view %s: %s", view ? view : "(default)", why);
	ck_assert_int_eq(err, 0);
	for (i = 0; i < nev / 2; i++)
		ck_assert_int_eq(hwt_agg_event(agg, m, &evs[i]), 0);
	for (; i < nev; i += 3)
		ck_assert_int_eq(hwt_agg_events(agg, m, evs + i, nev - i < 3 ? nev - i : 3), 0);
	return hwt_agg_finish(agg, m);
}

/* A path of frame ids, outermost first. */
#define P(...) ((const uint32_t[]){ __VA_ARGS__ })

/* The values of the entry (@comm, path of @depth frames), NULL if there is none. */
static const uint64_t *entry(uint32_t comm, int depth, const uint32_t *path)
{
	const uint64_t *found = NULL;

	for (uint32_t i = 0; i < hwt_agg_count(agg); i++) {
		uint32_t c, node;
		const uint64_t *v;
		const uint32_t *frames;
		int d;

		hwt_agg_entry(agg, i, &c, &node, &v);
		d = hwt_agg_path(agg, m, node, &frames);
		ck_assert_int_ge(d, 0);
		if (c != comm || d != depth || memcmp(frames, path, (size_t)d * sizeof(*path)))
			continue;
		ck_assert_msg(found == NULL, "two entries for one (thread name, stack)");
		found = v;
	}
	return found;
}

static void check_entry(uint32_t comm, int depth, const uint32_t *path, uint64_t v0, uint64_t v1)
{
	const uint64_t *v = entry(comm, depth, path);

	ck_assert_msg(v != NULL, "no entry for %s at depth %d", hwt_model_str(m, comm), depth);
	ck_assert_uint_eq(v[0], v0);
	ck_assert_uint_eq(v[1], v1);
}

/* ---- views ----------------------------------------------------------------------------- */

static const struct {
	int weights;	  /* the model declares samples and cpu-time */
	const char *view; /* NULL: the default */
	int err;	  /* of alloc */
	int ferr; /* of finish: a name that is no weight may be a counter's, known at the end */
	enum hwt_agg_mode mode; /* after finish, on a stream with samples and slices */
	uint32_t index;
	const char *name;
	const char *why; /* for HWT_E_INVAL */
} view_cases[] = {
	{ 1, NULL, 0, 0, HWT_AGG_SAMPLES, 0, "samples", NULL },
	{ 1, "samples", 0, 0, HWT_AGG_SAMPLES, 0, "samples", NULL },
	{ 1, "cpu-time", 0, 0, HWT_AGG_SAMPLES, 1, "cpu-time", NULL },
	{ 1, "time", 0, 0, HWT_AGG_SLICES, HWT_AGG_TIME, "time", NULL },
	{ 1, "calls", 0, 0, HWT_AGG_SLICES, HWT_AGG_CALLS, "calls", NULL },
	{ 1, "page-faults", 0, HWT_E_INVAL, 0, 0, NULL,
	  "unknown view 'page-faults'; valid views: samples cpu-time time calls" },
	{ 1, "", HWT_E_INVAL, 0, 0, 0, NULL,
	  "unknown view ''; valid views: samples cpu-time time calls" },
	{ 1, "Time", 0, HWT_E_INVAL, 0, 0, NULL,
	  "unknown view 'Time'; valid views: samples cpu-time time calls" },
	{ 0, NULL, 0, 0, HWT_AGG_SAMPLES, 0, "samples", NULL },
	{ 0, "samples", 0, 0, HWT_AGG_SAMPLES, 0, "samples", NULL },
	{ 0, "time", 0, 0, HWT_AGG_SLICES, HWT_AGG_TIME, "time", NULL },
	{ 0, "calls", 0, 0, HWT_AGG_SLICES, HWT_AGG_CALLS, "calls", NULL },
	{ 0, "cpu-time", 0, HWT_E_INVAL, 0, 0, NULL,
	  "unknown view 'cpu-time'; valid views: samples time calls" },
};

START_TEST(hwt_agg_alloc_views)
{
	char why[256] = "";
	int err = 12345;

	model(view_cases[_i].weights);
	agg = hwt_agg_alloc(m, view_cases[_i].view, &err, why, sizeof(why));
	ck_assert_int_eq(err, view_cases[_i].err);
	if (view_cases[_i].err) {
		ck_assert_ptr_null(agg);
		ck_assert_str_eq(why, view_cases[_i].why);
		return;
	}
	ck_assert_ptr_nonnull(agg);
	/* One sample and one call: both modes have something to show. */
	names();
	sample(PID, PID, 10, st_a, 1, 100);
	B(PID, PID, 20, f_main);
	E(PID, PID, 30);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_agg_event(agg, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_agg_finish(agg, m), view_cases[_i].ferr);
	if (view_cases[_i].ferr) {
		ck_assert_str_eq(hwt_agg_why(agg), view_cases[_i].why);
		return;
	}
	ck_assert_str_eq(hwt_agg_why(agg), "");
	ck_assert_int_eq(hwt_agg_mode(agg), view_cases[_i].mode);
	ck_assert_uint_eq(hwt_agg_index(agg), view_cases[_i].index);
	ck_assert_str_eq(hwt_agg_view_name(agg, m), view_cases[_i].name);
	ck_assert_uint_eq(hwt_agg_count(agg), 1);
	/* Slices carry calls and time; samples each declared weight, or the count alone. */
	ck_assert_uint_eq(hwt_agg_nvalues(agg),
			  view_cases[_i].mode == HWT_AGG_SLICES || view_cases[_i].weights ? 2 : 1);
}
END_TEST

/* The list of views is cut to the buffer, still terminated, never written past. */
START_TEST(hwt_agg_alloc_unknown_view_short_buffer)
{
	static const char full[] = "unknown view ''; valid views: samples cpu-time time calls";

	model(1);
	for (size_t len = 1; len <= sizeof(full) + 1; len++) {
		char *why = malloc(len);
		int err = 0;

		ck_assert_ptr_nonnull(why);
		memset(why, '#', len);
		ck_assert_ptr_null(hwt_agg_alloc(m, "", &err, why, len));
		ck_assert_int_eq(err, HWT_E_INVAL);
		ck_assert_uint_eq(strlen(why), len - 1 < strlen(full) ? len - 1 : strlen(full));
		ck_assert_int_eq(strncmp(why, full, strlen(why)), 0);
		free(why);
	}
}
END_TEST

/* ---- counter views --------------------------------------------------------------------- */

static uint32_t track(const char *name, const char *unit, uint32_t pid, uint32_t tid,
		      int cumulative, uint32_t kind)
{
	struct hwt_track t = { .name = str(name),
			       .unit = unit ? str(unit) : HWT_NONE,
			       .pid = pid,
			       .tid = tid,
			       .cumulative = cumulative,
			       .kind = kind };
	int64_t id = hwt_model_add_track(m, &t);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

/* A value of @tr at @ts; the event's own pid and tid are the decoder's (here, none). */
static void C(uint32_t tr, uint64_t ts, double v)
{
	struct hwt_event *e = add(HWT_EV_COUNTER, 0, 0, ts);

	e->counter.track = tr;
	e->counter.value = v;
}

/* The one value of the entry (@comm, path), which must exist. */
static uint64_t value1(uint32_t comm, int depth, const uint32_t *path)
{
	const uint64_t *v = entry(comm, depth, path);

	ck_assert_msg(v != NULL, "no entry for %s at depth %d", hwt_model_str(m, comm), depth);
	return v[0];
}

/* A thread's cumulative counter beside its slices: each increase goes to the innermost slice
 * open at the later value's time (no stack when none is open and nothing was sampled); the
 * first value is the baseline, a decrease a reset, other names' tracks and other threads'
 * slices do not count. */
START_TEST(hwt_agg_event_counter_cumulative_slices)
{
	uint32_t pf, other;

	model(1);
	pf = track("page-faults", "count", PID, 101, 1, HWT_TRACK_COUNTER);
	other = track("minor-faults", "count", PID, 101, 1, HWT_TRACK_COUNTER);
	names();
	C(pf, 5, 100); /* baseline */
	B(PID, 101, 10, f_main);
	B(PID, PID, 11, f_fib); /* another thread's slice */
	C(pf, 15, 103);		/* +3: main */
	C(other, 16, 1000);
	B(PID, 101, 20, f_work);
	C(pf, 25, 110.4); /* +7: main;work */
	C(other, 26, 5000);
	C(pf, 27, 110.2); /* +0 */
	E(PID, 101, 30);
	C(pf, 35, 111); /* +1: main */
	E(PID, 101, 40);
	C(pf, 45, 115); /* +4: no stack */
	C(pf, 50, 50);	/* a reset: +0, the new baseline */
	C(pf, 55, 52);	/* +2: no stack */
	E(PID, PID, 60);
	ck_assert_int_eq(run("page-faults"), 0);
	ck_assert_int_eq(hwt_agg_mode(agg), HWT_AGG_COUNTER);
	ck_assert_uint_eq(hwt_agg_nvalues(agg), 1);
	ck_assert_uint_eq(hwt_agg_index(agg), 0);
	ck_assert_str_eq(hwt_agg_view_name(agg, m), "page-faults");
	{
		const char *name, *unit;

		hwt_agg_value_desc(agg, m, 0, &name, &unit);
		ck_assert_str_eq(name, "page-faults");
		ck_assert_str_eq(unit, "count");
	}
	ck_assert_uint_eq(hwt_agg_count(agg), 3);
	ck_assert_uint_eq(value1(s_worker, 1, P(f_main)), 3 + 1);
	ck_assert_uint_eq(value1(s_worker, 2, P(f_main, f_work)), 7);
	ck_assert_uint_eq(value1(s_worker, 0, P(0)), 4 + 2);
}
END_TEST

/* A process's cumulative counter is charged to its main thread's latest sample when no slice
 * is open there, a thread's to that thread's; samples of other threads do not count, nor does
 * the counter event's own thread. Fractions add up as running totals. */
START_TEST(hwt_agg_event_counter_cumulative_samples)
{
	uint32_t pf, pf_worker;

	model(1);
	pf = track("page-faults", "count", PID, 0, 1, HWT_TRACK_COUNTER);
	pf_worker = track("page-faults", "count", PID, 101, 1, HWT_TRACK_COUNTER);
	names();
	C(pf, 5, 1000);	    /* baseline, before any sample */
	C(pf_worker, 6, 0); /* the worker's baseline */
	sample(PID, PID, 10, st_a, 1, 1);
	sample(PID, 101, 12, st_b, 1, 1); /* the worker's */
	C(pf_worker, 13, 5);		  /* +5 to the worker's main;fib */
	C(pf, 15, 1000.4);		  /* rounds to 1000: +0 */
	sample(PID, PID, 20, st_b, 1, 1);
	C(pf, 25, 1010.6); /* 1011: +11 to main;fib */
	C(pf, 30, 1013);   /* +2 to main;fib */
	sample(PID, PID, 40, st_a, 1, 1);
	sample(PID, 101, 41, st_b, 1, 1);
	C(pf_worker, 42, 6); /* +1 to the worker's main;fib */
	C(pf, 45, 1020);     /* +7 to main;work;hot */
	ck_assert_int_eq(run("page-faults"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 3);
	ck_assert_uint_eq(value1(s_worker, 2, P(f_main, f_fib)), 6);
	ck_assert_uint_eq(value1(s_app, 2, P(f_main, f_fib)), 13);
	ck_assert_uint_eq(value1(s_app, 3, P(f_main, f_work, f_hot)), 7);
}
END_TEST

/* A counter that is not cumulative charges its value at each point (negative: nothing); tracks
 * of one name on two threads each charge their own thread; a global track charges no thread
 * and no stack; the view's unit is the track's. */
START_TEST(hwt_agg_event_counter_not_cumulative)
{
	uint32_t rss_main, rss_worker, load;

	model(0);
	rss_main = track("rss", "bytes", PID, PID, 0, HWT_TRACK_COUNTER);
	rss_worker = track("rss", "bytes", PID, 101, 0, HWT_TRACK_COUNTER);
	load = track("rss", "bytes", 0, 0, 0, HWT_TRACK_COUNTER);
	names();
	B(PID, PID, 10, f_main);
	C(rss_main, 11, 4096);
	B(PID, 101, 12, f_work);
	C(rss_worker, 13, 100);
	C(rss_worker, 14, -5);
	C(rss_worker, 15, 0.6); /* 1 */
	E(PID, 101, 16);
	C(rss_worker, 17, 50); /* no stack */
	C(rss_main, 18, 4096);
	C(load, 19, 3);
	E(PID, PID, 20);
	ck_assert_int_eq(run("rss"), 0);
	{
		const char *name, *unit;

		hwt_agg_value_desc(agg, m, 0, &name, &unit);
		ck_assert_str_eq(name, "rss");
		ck_assert_str_eq(unit, "bytes");
	}
	ck_assert_uint_eq(hwt_agg_count(agg), 4);
	ck_assert_uint_eq(value1(s_app, 1, P(f_main)), 8192);
	ck_assert_uint_eq(value1(s_worker, 1, P(f_work)), 101);
	ck_assert_uint_eq(value1(s_worker, 0, P(0)), 50);
	ck_assert_uint_eq(value1(HWT_NONE, 0, P(0)), 3);
}
END_TEST

/* A name that is no weight and no counter track is refused at the end, with every view there
 * is (each counter name once; object tracks are not views); a counter track with no values is
 * an empty view, not an error. */
START_TEST(hwt_agg_finish_counter_view_unknown)
{
	model(1);
	track("rss", "bytes", PID, PID, 0, HWT_TRACK_COUNTER);
	track("heap", NULL, PID, 0, 0, HWT_TRACK_OBJECT);
	track("rss", "bytes", PID, 101, 0, HWT_TRACK_COUNTER);
	track("load", "percent", 0, 0, 0, HWT_TRACK_COUNTER);
	names();
	ck_assert_int_eq(run("heap"), HWT_E_INVAL);
	ck_assert_str_eq(hwt_agg_why(agg),
			 "unknown view 'heap'; valid views: samples cpu-time time calls rss load");
	hwt_agg_free(agg);
	ck_assert_int_eq(run("load"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 0);
	ck_assert_str_eq(hwt_agg_why(agg), "");
	ck_assert_str_eq(hwt_agg_why(NULL), "");
}
END_TEST

START_TEST(hwt_agg_free_null)
{
	hwt_agg_free(NULL);
}
END_TEST

/* ---- samples --------------------------------------------------------------------------- */

START_TEST(hwt_agg_event_samples_summed_by_thread_and_stack)
{
	const char *name, *unit;

	model(1);
	names();
	sample(PID, PID, 10, st_a, 1, 1000);
	sample(PID, 101, 11, st_a, 1, 500);
	sample(PID, PID, 12, st_a, 1, 1000);
	sample(PID, PID, 13, st_b, 1, 250);
	sample(PID, 101, 14, st_a, 1, 500);
	sample(PID, PID, 15, st_a, 1, 1000);
	/* A thread never named is filed under its process's name. */
	sample(PID, 102, 16, st_b, 1, 7);
	/* A process never named: no name. */
	sample(200, 200, 17, st_a, 2, 3);
	/* The other process's thread with the worker's tid is another thread. */
	sample(OTHER, 101, 18, st_a, 1, 9);
	/* Calls do not count in samples mode. */
	B(PID, PID, 19, f_main);
	E(PID, PID, 20);
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_int_eq(hwt_agg_mode(agg), HWT_AGG_SAMPLES);
	ck_assert_uint_eq(hwt_agg_nvalues(agg), 2);
	ck_assert_uint_eq(hwt_agg_count(agg), 5);
	check_entry(s_app, 3, P(f_main, f_work, f_hot), 3, 3000);
	check_entry(s_worker, 3, P(f_main, f_work, f_hot), 2, 1000);
	check_entry(s_app, 2, P(f_main, f_fib), 2, 257);
	check_entry(HWT_NONE, 3, P(f_main, f_work, f_hot), 2, 3);
	check_entry(s_other, 3, P(f_main, f_work, f_hot), 1, 9);
	hwt_agg_value_desc(agg, m, 0, &name, &unit);
	ck_assert_str_eq(name, "samples");
	ck_assert_str_eq(unit, "count");
	hwt_agg_value_desc(agg, m, 1, &name, &unit);
	ck_assert_str_eq(name, "cpu-time");
	ck_assert_str_eq(unit, "nanoseconds");
}
END_TEST

START_TEST(hwt_agg_event_samples_follow_thread_rename)
{
	model(1);
	names();
	sample(PID, 101, 10, st_a, 1, 10);
	add(HWT_EV_THREAD, PID, 101, 11)->thread.name = s_other;
	sample(PID, 101, 12, st_a, 1, 20);
	sample(PID, 101, 13, st_a, 1, 40);
	ck_assert_int_eq(run("cpu-time"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 2);
	check_entry(s_worker, 3, P(f_main, f_work, f_hot), 1, 10);
	check_entry(s_other, 3, P(f_main, f_work, f_hot), 2, 60);
}
END_TEST

/* A thread with no name of its own takes its process's name of the time: an exec renames it. */
START_TEST(hwt_agg_event_samples_follow_process_rename)
{
	model(1);
	names();
	sample(PID, 102, 10, st_a, 1, 10);
	sample(PID, 102, 11, st_a, 1, 20);
	add(HWT_EV_PROCESS, PID, PID, 12)->proc.name = s_other;
	sample(PID, 102, 13, st_a, 1, 40);
	/* Another process's event in between changes nothing for this one. */
	add(HWT_EV_PROCESS, 200, 200, 14)->proc.name = s_worker;
	sample(PID, 102, 15, st_a, 1, 80);
	ck_assert_int_eq(run("cpu-time"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 2);
	check_entry(s_app, 3, P(f_main, f_work, f_hot), 2, 30);
	check_entry(s_other, 3, P(f_main, f_work, f_hot), 2, 120);
}
END_TEST

/* A model without weights: each sample counts one. */
START_TEST(hwt_agg_event_samples_implicit_count)
{
	const char *name, *unit;
	const uint64_t *v;

	model(0);
	names();
	for (int i = 0; i < 5; i++)
		sample(PID, PID, 10 + (uint64_t)i, i < 4 ? st_a : st_b, 0, 0);
	ck_assert_int_eq(run("samples"), 0);
	ck_assert_uint_eq(hwt_agg_nvalues(agg), 1);
	ck_assert_uint_eq(hwt_agg_count(agg), 2);
	v = entry(s_app, 3, P(f_main, f_work, f_hot));
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v[0], 4);
	v = entry(s_app, 2, P(f_main, f_fib));
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v[0], 1);
	hwt_agg_value_desc(agg, m, 0, &name, &unit);
	ck_assert_str_eq(name, "samples");
	ck_assert_str_eq(unit, "count");
}
END_TEST

/* ---- slices ---------------------------------------------------------------------------- */

START_TEST(hwt_agg_event_slices_calls_and_self_time)
{
	const char *name, *unit;

	model(0);
	names();
	/* app: main [2000,10000] > work [3000,4000], work [5000,9000] > hot [6000,8000] */
	B(PID, PID, 2000, f_main);
	B(PID, PID, 3000, f_work);
	E(PID, PID, 4000);
	B(PID, PID, 5000, f_work);
	B(PID, PID, 6000, f_hot);
	/* worker, interleaved: work [5500,7500] at the top of its own stack */
	B(PID, 101, 5500, f_work);
	E(PID, PID, 8000);
	E(PID, 101, 7500);
	E(PID, PID, 9000);
	E(PID, PID, 10000);
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_int_eq(hwt_agg_mode(agg), HWT_AGG_SLICES);
	ck_assert_uint_eq(hwt_agg_index(agg), HWT_AGG_TIME);
	ck_assert_str_eq(hwt_agg_view_name(agg, m), "time");
	ck_assert_uint_eq(hwt_agg_nvalues(agg), 2);
	ck_assert_uint_eq(hwt_agg_count(agg), 4);
	check_entry(s_app, 1, P(f_main), 1, 8000 - 1000 - 4000);
	check_entry(s_app, 2, P(f_main, f_work), 2, 1000 + 4000 - 2000);
	check_entry(s_app, 3, P(f_main, f_work, f_hot), 1, 2000);
	check_entry(s_worker, 1, P(f_work), 1, 2000);
	hwt_agg_value_desc(agg, m, HWT_AGG_CALLS, &name, &unit);
	ck_assert_str_eq(name, "calls");
	ck_assert_str_eq(unit, "count");
	hwt_agg_value_desc(agg, m, HWT_AGG_TIME, &name, &unit);
	ck_assert_str_eq(name, "time");
	ck_assert_str_eq(unit, "nanoseconds");
}
END_TEST

START_TEST(hwt_agg_event_slices_recursion_nests)
{
	model(1);
	names();
	/* fib [0,100] > { fib [10,60] > fib [20,30], fib [70,90] } */
	B(PID, PID, 0, f_fib);
	B(PID, PID, 10, f_fib);
	B(PID, PID, 20, f_fib);
	E(PID, PID, 30);
	E(PID, PID, 60);
	B(PID, PID, 70, f_fib);
	E(PID, PID, 90);
	E(PID, PID, 100);
	ck_assert_int_eq(run("calls"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 3);
	check_entry(s_app, 1, P(f_fib), 1, 100 - 50 - 20);
	check_entry(s_app, 2, P(f_fib, f_fib), 2, 40 + 20);
	check_entry(s_app, 3, P(f_fib, f_fib, f_fib), 1, 10);
}
END_TEST

/* Calls with no return seen end at the thread's exit, the process's exit, or the thread's last
 * event; an end with nothing open credits nothing. */
START_TEST(hwt_agg_event_slices_unfinished_closed)
{
	model(0);
	names();
	E(PID, PID, 5); /* tracing started mid-call */
	/* app: main [10, exit 500] > work [100, exit 500] */
	B(PID, PID, 10, f_main);
	B(PID, PID, 100, f_work);
	add(HWT_EV_THREAD_EXIT, PID, PID, 500);
	/* worker: hot from 50, still open at the end; its last event at 700 */
	B(PID, 101, 50, f_hot);
	add(HWT_EV_THREAD, PID, 101, 700)->thread.name = s_worker;
	/* other: main from 0 and hot from 100 on two threads, ended by the process's exit at 900 */
	B(OTHER, OTHER, 0, f_main);
	B(OTHER, 301, 100, f_hot);
	add(HWT_EV_PROCESS_EXIT, OTHER, OTHER, 900);
	ck_assert_int_eq(run("time"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 5);
	check_entry(s_app, 1, P(f_main), 1, 90);
	check_entry(s_app, 2, P(f_main, f_work), 1, 400);
	check_entry(s_worker, 1, P(f_hot), 1, 650);
	check_entry(s_other, 1, P(f_main), 1, 900);
	check_entry(s_other, 1, P(f_hot), 1, 800);
}
END_TEST

/* ---- the mode ------------------------------------------------------------------------- */

static const struct {
	int samples, slices; /* what the stream holds */
	const char *view;
	int rc;
	enum hwt_agg_mode mode;
	uint32_t index;
	uint32_t dflt; /* the model's default weight (hwt_model_set_default_weight()) */
} mode_cases[] = {
	{ 1, 1, NULL, 0, HWT_AGG_SAMPLES, 0, 0 }, /* samples win when there are both */
	{ 1, 0, NULL, 0, HWT_AGG_SAMPLES, 0, 0 },
	{ 0, 1, NULL, 0, HWT_AGG_SLICES, HWT_AGG_TIME, 0 },
	{ 0, 0, NULL, 0, HWT_AGG_SLICES, HWT_AGG_TIME, 0 },
	{ 1, 1, "time", 0, HWT_AGG_SLICES, HWT_AGG_TIME, 0 },
	{ 1, 1, "calls", 0, HWT_AGG_SLICES, HWT_AGG_CALLS, 0 },
	{ 1, 0, "time", HWT_E_NOCALLS, HWT_AGG_SLICES, HWT_AGG_TIME, 0 },
	{ 1, 0, "calls", HWT_E_NOCALLS, HWT_AGG_SLICES, HWT_AGG_CALLS, 0 },
	{ 0, 0, "time", HWT_E_NOCALLS, HWT_AGG_SLICES, HWT_AGG_TIME, 0 },
	{ 0, 1, "samples", 0, HWT_AGG_SAMPLES, 0, 0 },
	{ 0, 1, "cpu-time", 0, HWT_AGG_SAMPLES, 1, 0 },
	/* Sampled every N events: the default view is the events' weight. */
	{ 1, 1, NULL, 0, HWT_AGG_SAMPLES, 1, 1 },
	{ 0, 1, NULL, 0, HWT_AGG_SLICES, HWT_AGG_TIME, 1 },
	{ 1, 0, "samples", 0, HWT_AGG_SAMPLES, 0, 1 },
};

START_TEST(hwt_agg_finish_mode)
{
	model(1);
	ck_assert_int_eq(hwt_model_set_default_weight(m, mode_cases[_i].dflt), 0);
	names();
	if (mode_cases[_i].samples) {
		sample(PID, PID, 10, st_a, 1, 100);
		sample(PID, PID, 20, st_b, 1, 100);
	}
	if (mode_cases[_i].slices) {
		B(PID, PID, 30, f_main);
		B(PID, PID, 40, f_work);
		E(PID, PID, 50);
		E(PID, PID, 60);
	}
	ck_assert_int_eq(run(mode_cases[_i].view), mode_cases[_i].rc);
	ck_assert_int_eq(hwt_agg_mode(agg), mode_cases[_i].mode);
	ck_assert_uint_eq(hwt_agg_index(agg), mode_cases[_i].index);
	if (mode_cases[_i].rc)
		return;
	/* Each mode shows only what it sums: two stacks or two calls, or nothing. */
	if (mode_cases[_i].mode == HWT_AGG_SAMPLES)
		ck_assert_uint_eq(hwt_agg_count(agg), 2 * mode_cases[_i].samples);
	else
		ck_assert_uint_eq(hwt_agg_count(agg), 2 * mode_cases[_i].slices);
}
END_TEST

/* Events handed over in batches sum as they do one by one. */
START_TEST(hwt_agg_events_batches_as_single_events)
{
	char why[64];
	int err;
	size_t cut[] = { 0, 1, 5, 6 };

	model(0);
	names();
	B(PID, PID, 2000, f_main);
	B(PID, PID, 3000, f_work);
	E(PID, PID, 4000);
	B(PID, 101, 3500, f_work);
	E(PID, 101, 4500);
	E(PID, PID, 10000);
	B(PID, PID, 11000, f_fib);
	ck_assert_uint_eq(nev, 11);
	agg = hwt_agg_alloc(m, NULL, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(agg);
	ck_assert_int_eq(hwt_agg_events(agg, m, NULL, 0), 0);
	/* Batches of 1, 4, 1 and 5 events. */
	for (size_t i = 0; i < 4; i++)
		ck_assert_int_eq(
			hwt_agg_events(agg, m, evs + cut[i], (i < 3 ? cut[i + 1] : nev) - cut[i]),
			0);
	ck_assert_int_eq(hwt_agg_finish(agg, m), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), 4);
	check_entry(s_app, 1, P(f_main), 1, 8000 - 1000);
	check_entry(s_app, 2, P(f_main, f_work), 1, 1000);
	check_entry(s_worker, 1, P(f_work), 1, 1000);
	/* Left open: ends at its thread's last event, its begin. */
	check_entry(s_app, 1, P(f_fib), 1, 0);
	ck_assert_int_eq(hwt_agg_events(NULL, m, evs, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_agg_events(agg, m, NULL, 1), HWT_E_INVAL);
}
END_TEST

/* ---- span and paths -------------------------------------------------------------------- */

START_TEST(hwt_agg_span_first_last)
{
	uint64_t first = 1, last = 1;

	model(1);
	ck_assert_int_eq(run(NULL), 0);
	hwt_agg_span(agg, &first, &last);
	ck_assert_uint_eq(first, 0);
	ck_assert_uint_eq(last, 0);
	hwt_agg_free(agg);
	agg = NULL;
	/* Out of order on purpose: the span is the smallest and largest time seen. */
	sample(PID, PID, 500, st_a, 1, 1);
	add(HWT_EV_COUNTER, PID, PID, 70);
	sample(PID, PID, 900, st_a, 1, 1);
	add(HWT_EV_INSTANT, PID, PID, 300);
	ck_assert_int_eq(run(NULL), 0);
	hwt_agg_span(agg, &first, &last);
	ck_assert_uint_eq(first, 70);
	ck_assert_uint_eq(last, 900);
}
END_TEST

START_TEST(hwt_agg_path_samples)
{
	const uint32_t *frames, *again;

	model(1);
	sample(PID, PID, 10, st_b, 1, 1);
	ck_assert_int_eq(run(NULL), 0);
	ck_assert_int_eq(hwt_agg_mode(agg), HWT_AGG_SAMPLES);
	ck_assert_int_eq(hwt_agg_path(agg, m, st_a, &frames), 3);
	ck_assert_uint_eq(frames[0], f_main);
	ck_assert_uint_eq(frames[1], f_work);
	ck_assert_uint_eq(frames[2], f_hot);
	ck_assert_int_eq(hwt_agg_path(agg, m, st_b, &again), 2);
	ck_assert_uint_eq(again[0], f_main);
	ck_assert_uint_eq(again[1], f_fib);
	/* The root is the empty stack. */
	ck_assert_int_eq(hwt_agg_path(agg, m, HWT_NONE, &frames), 0);
}
END_TEST

/* A stack 1,000 calls deep: its path is every frame, outermost first. */
START_TEST(hwt_agg_path_deep_slices)
{
	enum { DEPTH = 1000 };
	uint32_t fr[4], want[DEPTH];
	const uint32_t *frames;
	uint32_t comm, node;
	const uint64_t *v;
	char name[16];

	model(0);
	for (int k = 0; k < 4; k++) {
		snprintf(name, sizeof(name), "g%d", k);
		fr[k] = frame(name, 0x2000 + (uint64_t)k);
	}
	for (int d = 0; d < DEPTH; d++) {
		want[d] = fr[d % 4];
		B(PID, PID, (uint64_t)d, want[d]);
	}
	ck_assert_int_eq(run("calls"), 0);
	ck_assert_uint_eq(hwt_agg_count(agg), DEPTH);
	/* The innermost call: depth DEPTH, one call, closed at the thread's last event. */
	for (uint32_t i = 0; i < hwt_agg_count(agg); i++) {
		hwt_agg_entry(agg, i, &comm, &node, &v);
		if (hwt_agg_path(agg, m, node, &frames) == DEPTH)
			break;
	}
	ck_assert_int_eq(hwt_agg_path(agg, m, node, &frames), DEPTH);
	ck_assert_int_eq(memcmp(frames, want, sizeof(want)), 0);
	ck_assert_uint_eq(v[HWT_AGG_CALLS], 1);
	ck_assert_uint_eq(v[HWT_AGG_TIME], 0);
}
END_TEST

static Suite *aggregate_suite(void)
{
	Suite *s = suite_create("aggregate");
	TCase *tc = tcase_create("aggregate");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_agg_alloc_views, 0,
			    (int)(sizeof(view_cases) / sizeof(view_cases[0])));
	tcase_add_test(tc, hwt_agg_alloc_unknown_view_short_buffer);
	tcase_add_test(tc, hwt_agg_event_counter_cumulative_slices);
	tcase_add_test(tc, hwt_agg_event_counter_cumulative_samples);
	tcase_add_test(tc, hwt_agg_event_counter_not_cumulative);
	tcase_add_test(tc, hwt_agg_finish_counter_view_unknown);
	tcase_add_test(tc, hwt_agg_free_null);
	tcase_add_test(tc, hwt_agg_event_samples_summed_by_thread_and_stack);
	tcase_add_test(tc, hwt_agg_event_samples_follow_thread_rename);
	tcase_add_test(tc, hwt_agg_event_samples_follow_process_rename);
	tcase_add_test(tc, hwt_agg_event_samples_implicit_count);
	tcase_add_test(tc, hwt_agg_event_slices_calls_and_self_time);
	tcase_add_test(tc, hwt_agg_event_slices_recursion_nests);
	tcase_add_test(tc, hwt_agg_event_slices_unfinished_closed);
	tcase_add_loop_test(tc, hwt_agg_finish_mode, 0,
			    (int)(sizeof(mode_cases) / sizeof(mode_cases[0])));
	tcase_add_test(tc, hwt_agg_events_batches_as_single_events);
	tcase_add_test(tc, hwt_agg_span_first_last);
	tcase_add_test(tc, hwt_agg_path_samples);
	tcase_add_test(tc, hwt_agg_path_deep_slices);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(aggregate_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

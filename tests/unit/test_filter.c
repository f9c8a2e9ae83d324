/* Unit tests for exporters/filter.c: parsing --tid and --time, and cutting synthetic streams by
 * thread and by time window (slices re-begun and ended at the window's edges). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "exporters/filter.h"

#define PID 10

static struct hwt_model *m;
static uint32_t f_outer, f_inner, s_name;

/* What came out of the filter: "B outer@150 tid 11" lines. */
static char out[8192];

static void setup(void)
{
	struct hwt_frame fr = { 0 };

	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	fr.name = (uint32_t)hwt_model_intern_str(m, "outer");
	f_outer = (uint32_t)hwt_model_intern_frame(m, &fr);
	fr.name = (uint32_t)hwt_model_intern_str(m, "inner");
	f_inner = (uint32_t)hwt_model_intern_frame(m, &fr);
	s_name = (uint32_t)hwt_model_intern_str(m, "app");
	/* Times in the tests count from the recording's start at 1000 ns. */
	hwt_model_set_meta(m, "start_monotonic", "1000");
	out[0] = 0;
}

static void teardown(void)
{
	hwt_model_free(m);
	m = NULL;
}

static int collect(void *ctx, const struct hwt_model *mm, const struct hwt_event *ev)
{
	char line[96];
	const char *what = "?";

	switch (ev->type) {
	case HWT_EV_SLICE_BEGIN:
		what = ev->slice.frame == f_outer ? "B outer" : "B inner";
		break;
	case HWT_EV_SLICE_END:
		what = ev->slice.flags & HWT_SLICE_UNFINISHED ? "E~" : "E";
		break;
	case HWT_EV_SAMPLE:
		what = "S";
		break;
	case HWT_EV_PROCESS:
		what = "P";
		break;
	case HWT_EV_THREAD:
		what = "T";
		break;
	case HWT_EV_INSTANT:
		what = "I";
		break;
	default:
		break;
	}
	snprintf(line, sizeof(line), "%s@%llu/%u ", what, (unsigned long long)ev->ts - 1000,
		 ev->tid);
	strncat(out, line, sizeof(out) - strlen(out) - 1);
	return *(int *)ctx;
}

static int feed(struct hwt_filter *f, enum hwt_event_type type, uint32_t tid, uint64_t ts,
		uint32_t frame)
{
	struct hwt_event ev = { .type = type, .pid = PID, .tid = tid, .ts = ts + 1000 };
	int ok = 0;

	if (type == HWT_EV_SLICE_BEGIN || type == HWT_EV_SLICE_END)
		ev.slice.frame = frame;
	if (type == HWT_EV_PROCESS)
		ev.proc.name = s_name;
	if (type == HWT_EV_THREAD)
		ev.thread.name = s_name;
	return hwt_filter_event(f, m, &ev, collect, &ok);
}

/* outer [100, 900] holding inner [200, 300] and inner [500, 700], a sample at 600, on threads
 * 11 and 12 (12 shifted by 10 ns). */
static void stream(struct hwt_filter *f)
{
	ck_assert_int_eq(feed(f, HWT_EV_PROCESS, PID, 0, 0), 0);
	for (uint32_t tid = 11; tid <= 12; tid++) {
		uint64_t d = tid == 12 ? 10 : 0;

		ck_assert_int_eq(feed(f, HWT_EV_THREAD, tid, 1 + d, 0), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_BEGIN, tid, 100 + d, f_outer), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_BEGIN, tid, 200 + d, f_inner), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_END, tid, 300 + d, f_inner), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_BEGIN, tid, 500 + d, f_inner), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SAMPLE, tid, 600 + d, 0), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_END, tid, 700 + d, f_inner), 0);
		ck_assert_int_eq(feed(f, HWT_EV_SLICE_END, tid, 900 + d, f_outer), 0);
	}
}

START_TEST(filter_event_tid)
{
	uint32_t tids[] = { 12 };
	struct hwt_filter_config cfg;
	struct hwt_filter *f;
	int ok = 0;

	hwt_filter_config_init(&cfg);
	cfg.tids = tids;
	cfg.ntids = 1;
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	stream(f);
	ck_assert_int_eq(hwt_filter_finish(f, m, collect, &ok), 0);
	/* The process is named when its kept thread is. */
	ck_assert_str_eq(out, "P@11/10 T@11/12 B outer@110/12 B inner@210/12 E@310/12 "
			      "B inner@510/12 S@610/12 E@710/12 E@910/12 ");
	ck_assert_uint_eq(hwt_filter_unseen_tid(f), 0);
	hwt_filter_free(f);
}
END_TEST

START_TEST(filter_event_window)
{
	struct hwt_filter_config cfg;
	struct hwt_filter *f;
	int ok = 0;

	hwt_filter_config_init(&cfg);
	ck_assert_int_eq(hwt_filter_parse_time("250ns:600ns", &cfg, NULL, 0), 0);
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	stream(f);
	ck_assert_int_eq(hwt_filter_finish(f, m, collect, &ok), 0);
	/* Names pass; what is open at 250 begins there, what is open at 600 ends there; the
	 * sample at 600 is out (the end is excluded), thread 12's at 610 too. */
	ck_assert_str_eq(out, "P@0/10 T@1/11 B outer@250/11 B inner@250/11 E@300/11 "
			      "B inner@500/11 E~@600/11 E~@600/11 T@11/12 B outer@250/12 "
			      "B inner@250/12 E@310/12 B inner@510/12 E~@600/12 E~@600/12 ");
	hwt_filter_free(f);
}
END_TEST

/* A call open across the whole window, with no event in it, shows as the window. */
START_TEST(filter_event_spanning)
{
	struct hwt_filter_config cfg;
	struct hwt_filter *f;
	int ok = 0;

	hwt_filter_config_init(&cfg);
	ck_assert_int_eq(hwt_filter_parse_time("350ns:450ns", &cfg, NULL, 0), 0);
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	stream(f);
	ck_assert_int_eq(hwt_filter_finish(f, m, collect, &ok), 0);
	ck_assert_str_eq(out, "P@0/10 T@1/11 B outer@350/11 E~@450/11 T@11/12 B outer@350/12 "
			      "E~@450/12 ");
	hwt_filter_free(f);
}
END_TEST

/* Open slices of a stream that ends inside the window end at the window's end. */
START_TEST(filter_finish_open)
{
	struct hwt_filter_config cfg;
	struct hwt_filter *f;
	int ok = 0;

	hwt_filter_config_init(&cfg);
	ck_assert_int_eq(hwt_filter_parse_time(":1s", &cfg, NULL, 0), 0);
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(feed(f, HWT_EV_SLICE_BEGIN, 11, 100, f_outer), 0);
	ck_assert_int_eq(hwt_filter_finish(f, m, collect, &ok), 0);
	ck_assert_str_eq(out, "B outer@100/11 E~@1000000000/11 ");
	hwt_filter_free(f);
}
END_TEST

START_TEST(filter_event_emit_error)
{
	struct hwt_filter_config cfg;
	struct hwt_filter *f;
	struct hwt_event ev = { .type = HWT_EV_SAMPLE, .pid = PID, .tid = 11, .ts = 5000 };
	int fail = HWT_E_IO;

	hwt_filter_config_init(&cfg);
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(hwt_filter_event(f, m, &ev, collect, &fail), HWT_E_IO);
	hwt_filter_free(f);
	hwt_filter_free(NULL);
}
END_TEST

START_TEST(filter_unseen_tid_missing)
{
	uint32_t tids[] = { 11, 99 };
	struct hwt_filter_config cfg;
	struct hwt_filter *f;

	hwt_filter_config_init(&cfg);
	cfg.tids = tids;
	cfg.ntids = 2;
	f = hwt_filter_alloc(&cfg);
	ck_assert_ptr_nonnull(f);
	stream(f);
	ck_assert_uint_eq(hwt_filter_unseen_tid(f), 99);
	ck_assert_uint_eq(hwt_filter_unseen_tid(NULL), 0);
	hwt_filter_free(f);
}
END_TEST

static const struct {
	const char *text;
	int rc, has_from, has_to;
	uint64_t from, to;
} time_cases[] = {
	{ "10ms:2s", 0, 1, 1, 10000000, 2000000000 },
	{ "1.5s:", 0, 1, 0, 1500000000, 0 },
	{ ":500us", 0, 0, 1, 0, 500000 },
	{ "0:100", 0, 1, 1, 0, 100 }, /* a unitless time is in ns */
	{ "5", HWT_E_INVAL, 0, 0, 0, 0 },
	{ ":", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "2s:1s", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "1s:1s", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "1h:2h", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "-1s:2s", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "1s:2s:3s", HWT_E_INVAL, 0, 0, 0, 0 },
	{ "", HWT_E_INVAL, 0, 0, 0, 0 },
};

START_TEST(filter_parse_time_cases)
{
	struct hwt_filter_config cfg;
	char why[256] = "";
	int rc;

	hwt_filter_config_init(&cfg);
	rc = hwt_filter_parse_time(time_cases[_i].text, &cfg, why, sizeof(why));
	ck_assert_msg(rc == time_cases[_i].rc, "'%s': %d (%s)", time_cases[_i].text, rc, why);
	if (rc) {
		ck_assert_ptr_nonnull(strstr(why, "--time"));
		return;
	}
	ck_assert_int_eq(cfg.has_from, time_cases[_i].has_from);
	ck_assert_int_eq(cfg.has_to, time_cases[_i].has_to);
	ck_assert_uint_eq(cfg.from, time_cases[_i].from);
	ck_assert_uint_eq(cfg.to, time_cases[_i].to);
}
END_TEST

START_TEST(filter_parse_time_null)
{
	struct hwt_filter_config cfg;
	char why[128];

	hwt_filter_config_init(&cfg);
	ck_assert_int_eq(hwt_filter_parse_time(NULL, &cfg, why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

static const struct {
	const char *text;
	int rc;
	size_t n;
	uint32_t first, last;
} tid_cases[] = {
	{ "1234", 0, 1, 1234, 1234 },
	{ "1,2,3", 0, 3, 1, 3 },
	{ "7,", 0, 1, 7, 7 },
	{ "", HWT_E_INVAL, 0, 0, 0 },
	{ "x", HWT_E_INVAL, 0, 0, 0 },
	{ "0", HWT_E_INVAL, 0, 0, 0 },
	{ "-3", HWT_E_INVAL, 0, 0, 0 },
	{ "1,,2", HWT_E_INVAL, 0, 0, 0 },
	{ "4294967296", HWT_E_INVAL, 0, 0, 0 },
	{ "12a", HWT_E_INVAL, 0, 0, 0 },
};

START_TEST(filter_parse_tids_cases)
{
	uint32_t *tids = NULL;
	size_t n = 99;
	char why[256] = "";
	int rc = hwt_filter_parse_tids(tid_cases[_i].text, &tids, &n, why, sizeof(why));

	ck_assert_msg(rc == tid_cases[_i].rc, "'%s': %d (%s)", tid_cases[_i].text, rc, why);
	if (rc) {
		ck_assert_ptr_null(tids);
		ck_assert_uint_eq(n, 0);
		ck_assert_ptr_nonnull(strstr(why, "--tid"));
		return;
	}
	ck_assert_uint_eq(n, tid_cases[_i].n);
	ck_assert_uint_eq(tids[0], tid_cases[_i].first);
	ck_assert_uint_eq(tids[n - 1], tid_cases[_i].last);
	free(tids);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("filter");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, filter_event_tid);
	tcase_add_test(tc, filter_event_window);
	tcase_add_test(tc, filter_event_spanning);
	tcase_add_test(tc, filter_finish_open);
	tcase_add_test(tc, filter_event_emit_error);
	tcase_add_test(tc, filter_unseen_tid_missing);
	tcase_add_loop_test(tc, filter_parse_time_cases, 0,
			    sizeof(time_cases) / sizeof(time_cases[0]));
	tcase_add_test(tc, filter_parse_time_null);
	tcase_add_loop_test(tc, filter_parse_tids_cases, 0,
			    sizeof(tid_cases) / sizeof(tid_cases[0]));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

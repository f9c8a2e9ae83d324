/* Unit tests for the Chrome JSON exporter's text, byte for byte: times and numbers at their
 * edges (0, 999, 1000, the largest u64, negative and non-finite values), names that need
 * escaping, held-back begins that become "X" or "B"/"E", arguments, samples as profiles. The
 * structure is checked by python3's json in test_exporters; here the exact bytes are, since
 * viewers and the tests downstream read these numbers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/format/value.h"
#include "core/model.h"
#include "exporters/exporter.h"
#include "hwtrace/error.h"
#include "slice_nodes.h"

static struct hwt_model *m;
static struct hwt_event evs[128];
static size_t nev;
static struct slice_cursors cur;
static uint8_t trees[8][256];
static uint32_t ntrees;

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

static struct hwt_event *add(enum hwt_event_type type, uint32_t pid, uint32_t tid, uint64_t ts)
{
	ck_assert_uint_lt(nev, sizeof(evs) / sizeof(evs[0]));
	evs[nev] = (struct hwt_event){ .type = type, .pid = pid, .tid = tid, .ts = ts };
	return &evs[nev++];
}

static void slice(enum hwt_event_type type, uint32_t pid, uint32_t tid, uint32_t f, uint64_t ts,
		  uint32_t flags)
{
	struct hwt_event *e = add(type, pid, tid, ts);

	slice_node_set(m, &cur, e, f);
	e->slice.flags = flags;
}

static struct hwt_value_writer tree_new(void)
{
	ck_assert_uint_lt(ntrees, sizeof(trees) / sizeof(trees[0]));
	return (struct hwt_value_writer){ .buf = trees[ntrees++], .cap = sizeof(trees[0]) };
}

static const uint8_t *tree_done(const struct hwt_value_writer *w, uint32_t *len)
{
	ck_assert(!w->bad);
	*len = (uint32_t)w->len;
	return w->buf;
}

static void counter(uint32_t track, double v, uint64_t ts)
{
	struct hwt_event *e = add(HWT_EV_COUNTER, 7, 7, ts);

	e->counter.track = track;
	e->counter.value = v;
}

/* The stream: two threads of process 7 and one of process 4294967295, every kind of event. */
static void build(void)
{
	static const uint64_t w1[1] = { 3 }, w2[1] = { UINT64_MAX };
	uint32_t f_main = frame("main", 0x10), f_esc = frame("a\"b\\c\n\x01\xff\xc3\xa9 <x>", 0x20);
	uint32_t f_anon = frame(NULL, 0x30), f_deep = frame("deep", 0x40);
	uint32_t f_long = frame("a_name_longer_than_sixty_four_bytes_of_json_"
				"with_\"quotes\"_and_more_and_more_and_more_and_more",
				0x50);
	struct hwt_track ct = { .name = str("gauge"), .unit = str("count"), .pid = 7 };
	struct hwt_track ot = { .name = str("obj"), .pid = 7, .kind = HWT_TRACK_OBJECT };
	struct hwt_value_writer w;
	struct hwt_event *e;
	int64_t track, otrack, s1, s2;

	track = hwt_model_add_track(m, &ct);
	otrack = hwt_model_add_track(m, &ot);
	ck_assert_int_gt(track, 0);
	ck_assert_int_gt(otrack, 0);
	ck_assert_int_eq(hwt_model_add_weight(m, "samples", "count"), 0);
	s1 = hwt_model_intern_stack(m, 0, f_main);
	s2 = hwt_model_intern_stack(m, (uint32_t)s1, f_esc);
	ck_assert_int_gt(s2, 0);
	hwt_model_set_meta(m, "command", "app \"quoted\"");

	add(HWT_EV_PROCESS, 7, 7, 0)->proc.name = str("app");
	add(HWT_EV_THREAD, 7, 7, 0)->thread.name = str("t\"1");
	add(HWT_EV_THREAD, 7, 8, 0)->thread.name = str("second");
	slice(HWT_EV_SLICE_BEGIN, 7, 7, f_main, 0, HWT_SLICE_PROBE_INPROC);
	slice(HWT_EV_SLICE_BEGIN, 7, 7, f_esc, 999, 0);
	slice(HWT_EV_SLICE_END, 7, 7, f_esc, 1000, 0);
	slice(HWT_EV_SLICE_BEGIN, 7, 7, f_anon, 1001, 0);
	slice(HWT_EV_SLICE_BEGIN, 7, 8, f_deep, 1002, 0);
	w = tree_new();
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_int(&w, "min", INT64_MIN);
	hwt_vw_int(&w, "max", INT64_MAX);
	hwt_vw_int(&w, "zero", 0);
	hwt_vw_double(&w, "tenth", 0.1);
	hwt_vw_double(&w, "negzero", -0.0);
	hwt_vw_double(&w, "big", 1e300);
	hwt_vw_double(&w, "nan", NAN);
	hwt_vw_double(&w, "whole", -42.0);
	hwt_vw_str(&w, "s\"k", "v\\\t\x7f\xe2\x82");
	hwt_vw_end(&w);
	e = add(HWT_EV_SLICE_ARGS, 7, 8, 1003);
	e->args.args = tree_done(&w, &e->args.len);
	slice(HWT_EV_SLICE_END, 7, 8, f_deep, 123456789012ull, HWT_SLICE_UNFINISHED);
	e = add(HWT_EV_SAMPLE, 7, 7, 1500);
	e->sample.stack = (uint32_t)s2;
	e->sample.weights = w1;
	e = add(HWT_EV_SAMPLE, 7, 7, 2999);
	e->sample.stack = (uint32_t)s1;
	e->sample.weights = w2;
	slice(HWT_EV_SLICE_END, 7, 7, f_anon, 3000, 0);
	counter((uint32_t)track, 0, 3001);
	counter((uint32_t)track, -1, 3002);
	counter((uint32_t)track, 9e15, 3003);
	counter((uint32_t)track, 0.1, 3004);
	counter((uint32_t)track, -2.5, 3005);
	counter((uint32_t)track, INFINITY, 3006);
	counter((uint32_t)track, -0.0, 3007);
	counter((uint32_t)track, 8999999999999999.0, 3008);
	e = add(HWT_EV_INSTANT, 7, 0, 4000);
	e->instant.name = str("mark\n");
	e = add(HWT_EV_INSTANT, 0, 0, 4001);
	add(HWT_EV_LOST, 7, 7, 4002)->lost.count = 0;
	add(HWT_EV_LOST, 7, 7, 4003)->lost.count = UINT64_MAX;
	e = add(HWT_EV_FLOW, 7, 7, 4004);
	e->flow.id = UINT64_MAX;
	e->flow.phase = HWT_FLOW_OUT;
	e = add(HWT_EV_FLOW, 7, 8, 4005);
	e->flow.id = UINT64_MAX;
	e->flow.phase = HWT_FLOW_IN;
	e->flow.name = str("wakes");
	w = tree_new();
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_begin(&w, "l", HWT_VAL_LIST);
	hwt_vw_bool(&w, NULL, 1);
	hwt_vw_null(&w, NULL);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	e = add(HWT_EV_OBJECT, 7, 0, 4006);
	e->object.track = (uint32_t)otrack;
	e->object.value = tree_done(&w, &e->object.len);
	slice(HWT_EV_SLICE_BEGIN, 4294967295u, 4294967295u, f_main, UINT64_MAX - 1, 0);
	slice(HWT_EV_SLICE_END, 4294967295u, 4294967295u, f_main, UINT64_MAX, 0);
	slice(HWT_EV_SLICE_END, 7, 7, f_main, UINT64_MAX, 0);
	slice(HWT_EV_SLICE_BEGIN, 5, 5, f_deep, 0, 0);
	slice(HWT_EV_SLICE_END, 5, 5, f_deep, UINT64_MAX, 0);
	slice(HWT_EV_SLICE_BEGIN, 6, 6, f_long, 1, 0);
	slice(HWT_EV_SLICE_END, 6, 6, f_long, 2, 0);
	add(HWT_EV_PROCESS_EXIT, 7, 7, UINT64_MAX)->exit.signal = 11;
	e = add(HWT_EV_PROCESS_EXIT, 9, 0, UINT64_MAX);
	e->exit.status = -1;
	e->exit.signal = 77;
}

static void setup(void)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	nev = ntrees = 0;
	memset(&cur, 0, sizeof(cur));
}

static void teardown(void)
{
	hwt_model_free(m);
	m = NULL;
}

/* The stream exported as Chrome JSON, malloc'd and NUL-terminated. */
static char *export_chrome(void)
{
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name("chrome");
	struct hwt_export_config cfg;
	struct hwt_exporter *x;
	char *text = NULL, why[128] = "";
	size_t len = 0;
	int err = 0;

	hwt_export_config_init(&cfg);
	cfg.out = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(cfg.out);
	x = ops->create(&cfg, m, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(x);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(ops->event(x, m, &evs[i]), 0);
	ck_assert_int_eq(ops->finish(x, m), 0);
	ops->destroy(x);
	ck_assert_int_eq(fclose(cfg.out), 0);
	return text;
}

static const char want[] =
	"{\"traceEvents\":[\n"
	"{\"ph\":\"M\",\"name\":\"process_name\",\"pid\":7,\"tid\":7,\"cat\":\"__metadata\",\"ts\":"
	"0,\"args\":{\"name\":\"app\"}},\n"
	"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":7,\"tid\":7,\"cat\":\"__metadata\",\"ts\":"
	"0,\"args\":{\"name\":\"t\\\"1\"}},\n"
	"{\"ph\":\"M\",\"name\":\"thread_name\",\"pid\":7,\"tid\":8,\"cat\":\"__metadata\",\"ts\":"
	"0,\"args\":{\"name\":\"second\"}},\n"
	"{\"ph\":\"B\",\"name\":\"main\",\"pid\":7,\"tid\":7,\"ts\":0.000},\n"
	"{\"ph\":\"X\",\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\ufffd\xc3\xa9 "
	"<x>\",\"pid\":7,\"tid\":7,\"ts\":0.999,\"dur\":0.001},\n"
	"{\"ph\":\"X\",\"name\":\"deep\",\"pid\":7,\"tid\":8,\"ts\":1.002,\"dur\":123456788.010,"
	"\"args\":{\"unfinished\":true,\"min\":-9223372036854775808,\"max\":9223372036854775807,"
	"\"zero\":0,\"tenth\":0.10000000000000001,\"negzero\":0,\"big\":1.0000000000000001e+300,"
	"\"nan\":null,\"whole\":-42,\"s\\\"k\":\"v\\\\\\u0009\x7f\\ufffd\\ufffd\"}},\n"
	"{\"ph\":\"B\",\"name\":\"[unknown]\",\"pid\":7,\"tid\":7,\"ts\":1.001},\n"
	"{\"ph\":\"P\",\"name\":\"sample\",\"pid\":7,\"tid\":7,\"ts\":1.500,\"sf\":2,\"args\":{"
	"\"samples\":3}},\n"
	"{\"ph\":\"P\",\"name\":\"Profile\",\"pid\":7,\"tid\":7,\"cat\":\"hwtrace.profile\",\"ts\":"
	"1.500,\"id\":\"0x1\",\"args\":{\"data\":{\"startTime\":1}}},\n"
	"{\"ph\":\"P\",\"name\":\"sample\",\"pid\":7,\"tid\":7,\"ts\":2.999,\"sf\":1,\"args\":{"
	"\"samples\":18446744073709551615}},\n"
	"{\"ph\":\"E\",\"name\":\"[unknown]\",\"pid\":7,\"tid\":7,\"ts\":3.000},\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.001,\"args\":{\"value\":0}},"
	"\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.002,\"args\":{\"value\":-1}}"
	",\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.003,\"args\":{\"value\":"
	"9000000000000000}},\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.004,\"args\":{\"value\":0."
	"10000000000000001}},\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.005,\"args\":{\"value\":-2."
	"5}},\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.006,\"args\":{\"value\":"
	"null}},\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.007,\"args\":{\"value\":0}},"
	"\n"
	"{\"ph\":\"C\",\"name\":\"gauge\",\"pid\":7,\"tid\":7,\"ts\":3.008,\"args\":{\"value\":"
	"8999999999999999}},\n"
	"{\"ph\":\"i\",\"name\":\"mark\\u000a\",\"pid\":7,\"tid\":7,\"ts\":4.000,\"s\":\"p\"},\n"
	"{\"ph\":\"i\",\"name\":\"instant\",\"pid\":0,\"tid\":0,\"ts\":4.001,\"s\":\"g\"},\n"
	"{\"ph\":\"i\",\"name\":\"lost "
	"records\",\"pid\":7,\"tid\":7,\"ts\":4.002,\"s\":\"t\",\"args\":{\"count\":0}},\n"
	"{\"ph\":\"i\",\"name\":\"lost 18446744073709551615 "
	"records\",\"pid\":7,\"tid\":7,\"ts\":4.003,\"s\":\"t\",\"args\":{\"count\":"
	"18446744073709551615}},\n"
	"{\"ph\":\"s\",\"name\":\"flow\",\"pid\":7,\"tid\":7,\"ts\":4.004,\"cat\":\"flow\",\"id\":"
	"\"0xffffffffffffffff\",\"bp\":\"e\"},\n"
	"{\"ph\":\"X\",\"name\":\"wakes\",\"pid\":7,\"tid\":8,\"cat\":\"flow\",\"ts\":4.005,"
	"\"dur\":0},\n"
	"{\"ph\":\"f\",\"name\":\"wakes\",\"pid\":7,\"tid\":8,\"ts\":4.005,\"cat\":\"flow\",\"id\":"
	"\"0xffffffffffffffff\",\"bp\":\"e\"},\n"
	"{\"ph\":\"N\",\"name\":\"obj\",\"pid\":7,\"tid\":7,\"ts\":4.006,\"id\":\"0x2\"},\n"
	"{\"ph\":\"O\",\"name\":\"obj\",\"pid\":7,\"tid\":7,\"ts\":4.006,\"id\":\"0x2\",\"args\":{"
	"\"snapshot\":{\"l\":[true,null]}}},\n"
	"{\"ph\":\"X\",\"name\":\"main\",\"pid\":4294967295,\"tid\":4294967295,\"ts\":"
	"18446744073709551.614,\"dur\":0.001},\n"
	"{\"ph\":\"E\",\"name\":\"main\",\"pid\":7,\"tid\":7,\"ts\":18446744073709551.615},\n"
	"{\"ph\":\"X\",\"name\":\"deep\",\"pid\":5,\"tid\":5,\"ts\":0.000,\"dur\":"
	"18446744073709551.615},\n"
	"{\"ph\":\"X\",\"name\":\"a_name_longer_than_sixty_four_bytes_of_json_with_\\\"quotes\\\"_"
	"and_more_"
	"and_more_and_more_and_more\",\"pid\":6,\"tid\":6,\"ts\":0.001,\"dur\":0.001},\n"
	"{\"ph\":\"i\",\"name\":\"crash: "
	"SIGSEGV\",\"pid\":7,\"tid\":7,\"ts\":18446744073709551.615,\"s\":\"p\",\"args\":{"
	"\"status\":0,\"signal\":11}},\n"
	"{\"ph\":\"i\",\"name\":\"crash: signal "
	"77\",\"pid\":9,\"tid\":9,\"ts\":18446744073709551.615,\"s\":\"p\",\"args\":{\"status\":-1,"
	"\"signal\":77}},\n"
	"{\"ph\":\"P\",\"name\":\"ProfileChunk\",\"pid\":7,\"tid\":7,\"cat\":\"hwtrace.profile\","
	"\"ts\":2.999,\"id\":\"0x1\",\"args\":{\"data\":{\"cpuProfile\":{\"nodes\":[{\"id\":1,"
	"\"callFrame\":{\"functionName\":\"main\"}},\n"
	"{\"id\":2,\"callFrame\":{\"functionName\":\"a\\\"b\\\\c\\u000a\\u0001\\ufffd\xc3\xa9 "
	"<x>\"},\"parent\":1}],\"samples\":[2,1]},\"timeDeltas\":[0,1]}}}\n"
	"],\n"
	"\"displayTimeUnit\":\"ns\",\n"
	"\"otherData\":{\n"
	"\"command\":\"app \\\"quoted\\\"\"},\n"
	"\"stackFrames\":{\n"
	"\"1\":{\"name\":\"main\",\"category\":\"unknown\"},\n"
	"\"2\":{\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\ufffd\xc3\xa9 "
	"<x>\",\"category\":\"unknown\",\"parent\":\"1\"}}}\n";

START_TEST(chrome_text_exact)
{
	char *text;

	build();
	text = export_chrome();
	if (getenv("CHROME_TEXT_DUMP"))
		fputs(text, stdout);
	ck_assert_str_eq(text, want);
	free(text);
}
END_TEST

static Suite *chrome_suite(void)
{
	Suite *s = suite_create("chrome");
	TCase *tc = tcase_create("text");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chrome_text_exact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(chrome_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

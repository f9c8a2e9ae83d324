/* Unit tests for exporters/compensate.c and the probe-cost compensation of slice_track, as the
 * per-function statistics, the aggregation and the call tree see it. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "exporters/aggregate.h"
#include "exporters/compensate.h"
#include "exporters/slices.h"

#define PID 10
#define TID 11

static struct hwt_model *m;
static struct hwt_event evs[64];
static size_t nev;
static uint32_t f_a, f_b;

static uint32_t frame(const char *name, uint64_t addr)
{
	int64_t s = hwt_model_intern_str(m, name);
	ck_assert_int_gt(s, 0);
	struct hwt_frame f = { .name = (uint32_t)s, .addr = addr };
	int64_t id = hwt_model_intern_frame(m, &f);
	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static void setup(void)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	nev = 0;
	f_a = frame("a", 0x1000);
	f_b = frame("b", 0x2000);
}

static void teardown(void)
{
	hwt_model_free(m);
	m = NULL;
}

static uint32_t cur; /* the thread's innermost open node */

static void ev(enum hwt_event_type type, uint64_t ts, uint32_t frame, uint32_t flags)
{
	ck_assert_uint_lt(nev, sizeof(evs) / sizeof(evs[0]));
	struct hwt_event *e = &evs[nev++];
	*e = (struct hwt_event){ .type = type, .pid = PID, .tid = TID, .ts = ts };
	e->slice.frame = frame;
	e->slice.flags = flags;
	int64_t node = hwt_model_slice_node(m, &cur, type, frame);
	ck_assert_int_ge(node, 0);
	e->slice.node = (uint32_t)node;
}

/* a [1000,1100] > b [1020,1050], both recorded by (fast) uprobes. */
static void nested_stream(void)
{
	cur = 0;
	ev(HWT_EV_SLICE_BEGIN, 1000, f_a, HWT_SLICE_PROBE_UPROBE);
	ev(HWT_EV_SLICE_BEGIN, 1020, f_b, HWT_SLICE_PROBE_UPROBE);
	ev(HWT_EV_SLICE_END, 1050, f_b, 0);
	ev(HWT_EV_SLICE_END, 1100, f_a, 0);
}

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

static struct hwt_slicestats *stats(const struct hwt_probe_costs *c)
{
	struct hwt_slicestats *s = hwt_slicestats_alloc();
	ck_assert_ptr_nonnull(s);
	hwt_slicestats_compensate(s, c);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_slicestats_event(s, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_slicestats_finish(s), 0);
	return s;
}

/* A call of cost 10 with 4 of it inside: a loses its own 4 and b's whole 10 from its total, and
 * b's 10 (the 6 outside b are a's self) and its own 4 from its self; b loses its own 4. */
START_TEST(slicestats_compensate_nested)
{
	struct hwt_probe_costs c = { .uprobe = { 10, 4 } };
	nested_stream();
	struct hwt_slicestats *s = stats(&c);
	const struct hwt_slice_func *a = func(s, "a"), *b = func(s, "b");
	ck_assert_uint_eq(a->total, 100 - 4 - 10);
	ck_assert_uint_eq(a->self, 70 - 4 - 6);
	ck_assert_uint_eq(b->total, 30 - 4);
	ck_assert_uint_eq(b->self, 30 - 4);
	ck_assert_uint_eq(b->max, 26);
	ck_assert_uint_eq(a->calls, 1);
	uint64_t probe, traced;
	hwt_slicestats_probe_time(s, &probe, &traced, NULL);
	ck_assert_uint_eq(probe, 20);
	ck_assert_uint_eq(traced, 100);
	hwt_slicestats_free(s);
}
END_TEST

/* Without compensation, or with calls that carry no probe flag, times stay as measured. */
START_TEST(slicestats_compensate_none)
{
	struct hwt_probe_costs c = { .inproc = { 10, 4 } };
	nested_stream();
	struct hwt_slicestats *s = stats(NULL);
	uint64_t probe, traced;
	ck_assert_uint_eq(func(s, "a")->total, 100);
	ck_assert_uint_eq(func(s, "a")->self, 70);
	hwt_slicestats_probe_time(s, &probe, &traced, NULL);
	ck_assert_uint_eq(probe + traced, 0);
	hwt_slicestats_free(s);
	s = stats(&c); /* uprobe calls, an inproc cost only */
	ck_assert_uint_eq(func(s, "a")->total, 100);
	ck_assert_uint_eq(func(s, "b")->total, 30);
	hwt_slicestats_free(s);
}
END_TEST

/* A cost larger than the calls: every time is 0, never below. */
START_TEST(slicestats_compensate_clamps_at_zero)
{
	struct hwt_probe_costs c = { .uprobe = { 500, 300 } };
	nested_stream();
	struct hwt_slicestats *s = stats(&c);
	ck_assert_uint_eq(func(s, "a")->total, 0);
	ck_assert_uint_eq(func(s, "a")->self, 0);
	ck_assert_uint_eq(func(s, "b")->total, 0);
	ck_assert_uint_eq(func(s, "b")->self, 0);
	hwt_slicestats_free(s);
}
END_TEST

/* A cost measured larger than the calls cost where they ran: a calls b three times, 1 ns apart,
 * each b 10 ns long, a call's probes measured at 20 ns (4 inside). The 16 ns outside b's probes
 * are more than the 1 ns between two calls: that excess is left in (15 ns at each of the last two
 * begins), never taken from the next call, so every b loses only its own 4 ns inside. Carried
 * on, the second and third b lost their whole 10 ns. */
START_TEST(slicestats_compensate_excess_left_in)
{
	struct hwt_probe_costs c = { .uprobe = { 20, 4 } };
	cur = 0;
	ev(HWT_EV_SLICE_BEGIN, 1000, f_a, HWT_SLICE_PROBE_UPROBE);
	for (uint64_t t = 1010; t < 1040; t += 11) {
		ev(HWT_EV_SLICE_BEGIN, t, f_b, HWT_SLICE_PROBE_UPROBE);
		ev(HWT_EV_SLICE_END, t + 10, f_b, 0);
	}
	ev(HWT_EV_SLICE_END, 1100, f_a, 0);
	struct hwt_slicestats *s = stats(&c);
	const struct hwt_slice_func *a = func(s, "a"), *b = func(s, "b");
	ck_assert_uint_eq(b->calls, 3);
	ck_assert_uint_eq(b->total, 3 * (10 - 4));
	ck_assert_uint_eq(b->max, 10 - 4);
	ck_assert_uint_eq(a->total, 1058 - 992);
	uint64_t probe, traced, excess;
	hwt_slicestats_probe_time(s, &probe, &traced, &excess);
	ck_assert_uint_eq(excess, 2 * 15);
	ck_assert_uint_eq(probe + excess, 4 * 20);
	ck_assert_uint_eq(traced, 100);
	hwt_slicestats_free(s);
}
END_TEST

/* Each call pays the cost of how it was recorded: b single-stepped (cost 20, 8 inside). */
START_TEST(slicestats_compensate_per_probe)
{
	struct hwt_probe_costs c = { .uprobe = { 10, 4 }, .uprobe_slow = { 20, 8 } };
	cur = 0;
	ev(HWT_EV_SLICE_BEGIN, 1000, f_a, HWT_SLICE_PROBE_UPROBE);
	ev(HWT_EV_SLICE_BEGIN, 1020, f_b, HWT_SLICE_PROBE_UPROBE_SLOW);
	ev(HWT_EV_SLICE_END, 1060, f_b, 0);
	ev(HWT_EV_SLICE_END, 1100, f_a, 0);
	struct hwt_slicestats *s = stats(&c);
	ck_assert_uint_eq(func(s, "b")->total, 40 - 8);
	ck_assert_uint_eq(func(s, "a")->total, 100 - 4 - 20);
	ck_assert_uint_eq(func(s, "a")->self, 60 - 4 - 12);
	hwt_slicestats_free(s);
}
END_TEST

/* The time view charges the same compensated self times to the stacks. */
START_TEST(agg_compensate_time_view)
{
	struct hwt_probe_costs c = { .uprobe = { 10, 4 } };
	int err;
	char why[256];
	nested_stream();
	struct hwt_agg *a = hwt_agg_alloc(m, "time", &err, why, sizeof(why));
	ck_assert_ptr_nonnull(a);
	hwt_agg_compensate(a, &c);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_agg_event(a, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_agg_finish(a, m), 0);
	uint64_t self_a = 0, self_b = 0;
	for (uint32_t i = 0; i < hwt_agg_count(a); i++) {
		uint32_t comm, node;
		const uint64_t *v;
		const uint32_t *frames;
		hwt_agg_entry(a, i, &comm, &node, &v);
		int depth = hwt_agg_path(a, m, node, &frames);
		ck_assert_int_gt(depth, 0);
		if (frames[depth - 1] == f_a)
			self_a += v[HWT_AGG_TIME];
		else
			self_b += v[HWT_AGG_TIME];
	}
	ck_assert_uint_eq(self_a, 60);
	ck_assert_uint_eq(self_b, 26);
	hwt_agg_free(a);
}
END_TEST

/* The call tree prints the compensated duration. */
START_TEST(calltree_compensate_durations)
{
	struct hwt_probe_costs c = { .uprobe = { 10000, 4000 } };
	struct hwt_calltree_config cfg;
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(out);
	cur = 0;
	ev(HWT_EV_SLICE_BEGIN, 1000000, f_a, HWT_SLICE_PROBE_UPROBE);
	ev(HWT_EV_SLICE_END, 1100000, f_a, 0);
	hwt_calltree_config_init(&cfg);
	cfg.out = out;
	cfg.compensate = &c;
	struct hwt_calltree *t = hwt_calltree_alloc(&cfg);
	ck_assert_ptr_nonnull(t);
	for (size_t i = 0; i < nev; i++)
		ck_assert_int_eq(hwt_calltree_event(t, m, &evs[i]), 0);
	ck_assert_int_eq(hwt_calltree_finish(t, m), 0);
	fclose(out);
	ck_assert_msg(strstr(buf, " 96.000 us") != NULL, "%s", buf);
	hwt_calltree_free(t);
	free(buf);
}
END_TEST

/* ---- hwt_probe_costs_from_model ---- */

START_TEST(probe_costs_from_model_keys)
{
	struct hwt_probe_costs c;
	char desc[512];
	ck_assert_int_eq(hwt_model_set_meta(m, "uprobe.call_ns", "1100"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "uprobe.call_in_ns", "500"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "uprobe.slow_call_ns", "9000"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "inproc.call_ns", "31"), 0);
	ck_assert_int_eq(hwt_probe_costs_from_model(m, &c, desc, sizeof(desc)), 3);
	ck_assert_uint_eq(c.uprobe.call_ns, 1100);
	ck_assert_uint_eq(c.uprobe.in_ns, 500);
	ck_assert_uint_eq(c.uprobe_slow.call_ns, 9000);
	ck_assert_uint_eq(c.uprobe_slow.in_ns, 4500); /* not measured: half */
	ck_assert_uint_eq(c.inproc.call_ns, 31);
	ck_assert_uint_eq(c.inproc.in_ns, 15);
	ck_assert_uint_eq(c.none.call_ns, 0);
	ck_assert_msg(strstr(desc, "1.100 us a call (uprobe, 500 ns") != NULL, "%s", desc);
	ck_assert_ptr_eq(hwt_probe_cost_of(&c, HWT_SLICE_PROBE_UPROBE), &c.uprobe);
	ck_assert_ptr_eq(
		hwt_probe_cost_of(&c, HWT_SLICE_PROBE_UPROBE | HWT_SLICE_PROBE_UPROBE_SLOW),
		&c.uprobe_slow);
	ck_assert_ptr_eq(hwt_probe_cost_of(&c, HWT_SLICE_PROBE_INPROC), &c.inproc);
	ck_assert_ptr_eq(hwt_probe_cost_of(&c, HWT_SLICE_UNFINISHED), &c.none);
}
END_TEST

START_TEST(probe_costs_from_model_none)
{
	struct hwt_probe_costs c;
	char desc[512];
	ck_assert_int_eq(hwt_probe_costs_from_model(m, &c, desc, sizeof(desc)), HWT_E_NOENT);
	ck_assert_msg(strstr(desc, "no measured probe cost") != NULL, "%s", desc);
}
END_TEST

START_TEST(probe_costs_from_model_bad_value)
{
	struct hwt_probe_costs c;
	char desc[512];
	ck_assert_int_eq(hwt_model_set_meta(m, "uprobe.call_ns", "fast"), 0);
	ck_assert_int_eq(hwt_probe_costs_from_model(m, &c, desc, sizeof(desc)), HWT_E_INVAL);
	ck_assert_msg(strstr(desc, "uprobe.call_ns is 'fast'") != NULL, "%s", desc);
	ck_assert_int_eq(hwt_model_set_meta(m, "uprobe.call_ns", "-3"), 0);
	ck_assert_int_eq(hwt_probe_costs_from_model(m, &c, desc, sizeof(desc)), HWT_E_INVAL);
}
END_TEST

START_TEST(probe_costs_from_model_bad_args)
{
	struct hwt_probe_costs c;
	char desc[16];
	ck_assert_int_eq(hwt_probe_costs_from_model(NULL, &c, desc, sizeof(desc)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_probe_costs_from_model(m, NULL, desc, sizeof(desc)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_probe_costs_from_model(m, &c, NULL, 0), HWT_E_INVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("compensate");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, slicestats_compensate_nested);
	tcase_add_test(tc, slicestats_compensate_none);
	tcase_add_test(tc, slicestats_compensate_clamps_at_zero);
	tcase_add_test(tc, slicestats_compensate_per_probe);
	tcase_add_test(tc, slicestats_compensate_excess_left_in);
	tcase_add_test(tc, agg_compensate_time_view);
	tcase_add_test(tc, calltree_compensate_durations);
	tcase_add_test(tc, probe_costs_from_model_keys);
	tcase_add_test(tc, probe_costs_from_model_none);
	tcase_add_test(tc, probe_costs_from_model_bad_value);
	tcase_add_test(tc, probe_costs_from_model_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

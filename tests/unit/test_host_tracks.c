/* Unit tests for core/host_tracks.c and decoders/custom/custom_decode.c: a counter plugin of the
 * test's own records tracks, values, an object, an instant with nested arguments and a flow
 * while /bin/sh sleeps; the recording decoded gives back each of them exactly. Also the
 * services' refusals and a poll() that fails (core/plugin_run.c). Runs as root. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/value.h"
#include "core/host.h"
#include "core/options.h"
#include "core/model.h"
#include "decoders/decode.h"
#include "value_text.h"

static char out[128];

static void setup(void)
{
	snprintf(out, sizeof(out), "/tmp/hwt-test-tracks-%d.hwt", (int)getpid());
}

static void teardown(void)
{
	unlink(out);
}

/* ---- the test's plugin ----------------------------------------------------------------- */

static struct {
	int fail_poll; /* poll() fails on its 2nd call */
	int refusals;  /* what the services refused, as expected */
	int polls;
	int counter, object; /* track ids */
	uint64_t t0;	     /* start()'s time: values are stamped from it */
} tp;

static int tp_start(struct hwt_host *h, const struct hwt_target *t,
		    const struct hwt_option_value *opts, void **st)
{
	struct hwt_counter_desc c = { .name = "queue",
				      .unit = "items",
				      .scope = HWT_SCOPE_PROCESS,
				      .flags = HWT_TRACK_CUMULATIVE,
				      .pid = t->pid };
	uint64_t ts[3];
	double v[3] = { 1, 2.5, 4 };

	tp.t0 = hwt_host_now();
	for (int i = 0; i < 3; i++)
		ts[i] = tp.t0 + 1000u * (uint64_t)(i + 1);
	tp.counter = hwt_host_counter_track(h, &c);
	tp.object = hwt_host_object_track(h, "state", HWT_SCOPE_THREAD, t->pid, t->pid);
	if (tp.counter <= 0 || tp.object <= 0 || hwt_host_counters(h, tp.counter, 3, ts, v))
		return HWT_E_INVAL;

	struct hwt_args *a = hwt_args_new();
	hwt_args_int(a, "n", -7);
	hwt_args_map(a, "inner");
	hwt_args_str(a, "s", "x\"y");
	hwt_args_list(a, "l");
	hwt_args_bool(a, NULL, 1);
	hwt_args_double(a, NULL, 0.5);
	hwt_args_null(a, NULL);
	/* left open: using the tree closes the list and the map */
	int err = hwt_host_instant(h, t->pid, t->pid, tp.t0 + 5000, "mark", a);
	hwt_args_reset(a);
	hwt_args_int(a, "depth", 3);
	err = err ? err : hwt_host_object(h, tp.object, tp.t0 + 6000, a);
	err = err ? err : hwt_host_flow(h, 42, HWT_FLOW_END_OUT, t->pid, t->pid, tp.t0 + 7000, "x");
	err = err ? err : hwt_host_flow(h, 42, HWT_FLOW_END_IN, t->pid, t->pid, tp.t0 + 8000, "x");

	/* Refused: a tree closed once too often, a track never declared, a bad scope. */
	hwt_args_reset(a);
	hwt_args_end(a);
	tp.refusals += hwt_host_instant(h, 0, 0, 0, "bad", a) == HWT_E_INVAL;
	tp.refusals += hwt_host_counter(h, 99, 0, 1) == HWT_E_INVAL;
	c.scope = HWT_SCOPE_THREAD;
	tp.refusals += hwt_host_counter_track(h, &c) == HWT_E_INVAL;
	tp.refusals += hwt_host_flow(h, 1, 9, t->pid, t->pid, 0, "x") == HWT_E_INVAL;
	hwt_args_free(a);
	*st = &tp;
	return err ? err : hwt_host_poll_interval(h, 2000000);
}

static int tp_poll(void *st, uint64_t now)
{
	(void)st;
	tp.polls++;
	if (tp.fail_poll && tp.polls == 2)
		return HWT_E_IO;
	return 0;
}

static const struct hwt_plugin test_plugin = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = "tracks-test",
	.start = tp_start,
	.poll = tp_poll,
};

/* Records `sleep 0.1` with the sample tracer (its defaults) and the test plugin. */
static void record(struct hwt_record_result *res)
{
	char *argv[] = { "/bin/sh", "-c", "sleep 0.1", NULL };
	struct hwt_plugin_use use[2] = { { hwt_plugin_by_name("sample"), NULL },
					 { &test_plugin, NULL } };
	struct hwt_record_config cfg;
	struct hwt_options opts;
	char why[512] = "";

	ck_assert_ptr_nonnull(use[0].plugin);
	ck_assert_int_eq(hwt_options_init(&opts, "sample", use[0].plugin->options,
					  use[0].plugin->noptions, why, sizeof(why)),
			 0);
	ck_assert_int_eq(hwt_options_parse(&opts, NULL, why, sizeof(why)), 0);
	use[0].values = opts.values;
	hwt_record_config_init(&cfg);
	cfg.output = out;
	cfg.argv = argv;
	cfg.plugins = use;
	cfg.nplugins = 2;
	cfg.quiet = 1;
	ck_assert_msg(hwt_record(&cfg, res, why, sizeof(why)) == 0, "%s", why);
	hwt_options_fini(&opts);
}

/* What the decoder gave of the test plugin's data. */
struct seen {
	int counters, instants, objects, flows, markers;
	double values[8];
	uint64_t value_ts[8];
	char instant[256], object[64];
	uint32_t flow_phases[2];
	const struct hwt_track *queue, *state;
};

static void decode(struct hwt_model *m, struct seen *s)
{
	struct hwt_decoder_config cfg;
	struct hwt_event ev;
	char why[256];
	int err, n;

	memset(s, 0, sizeof(*s));
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	struct hwt_decoder *d = hwt_decoder_open(out, m, &cfg, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	while ((n = hwt_decoder_next(d, &ev)) > 0) {
		const struct hwt_track *t;
		switch (ev.type) {
		case HWT_EV_COUNTER:
			t = hwt_model_track(m, ev.counter.track);
			if (!t || strcmp(hwt_model_str(m, t->name), "queue"))
				break;
			s->queue = t;
			if (s->counters < 8) {
				s->values[s->counters] = ev.counter.value;
				s->value_ts[s->counters] = ev.ts;
			}
			s->counters++;
			break;
		case HWT_EV_INSTANT:
			if (!strcmp(hwt_model_str(m, ev.instant.name), "mark")) {
				s->instants++;
				tree_text(ev.instant.args, ev.instant.args_len, s->instant,
					  sizeof(s->instant));
			} else if (strstr(hwt_model_str(m, ev.instant.name), "disabled")) {
				s->markers++;
			}
			break;
		case HWT_EV_OBJECT:
			s->objects++;
			s->state = hwt_model_track(m, ev.object.track);
			tree_text(ev.object.value, ev.object.len, s->object, sizeof(s->object));
			break;
		case HWT_EV_FLOW:
			if (ev.flow.id >> 63)
				break; /* what created what (thread, fork, exec): the decoder's */
			ck_assert_uint_eq(ev.flow.id, 42);
			if (s->flows < 2)
				s->flow_phases[s->flows] = ev.flow.phase;
			s->flows++;
			break;
		default:
			break;
		}
	}
	ck_assert_int_eq(n, 0);
	hwt_decoder_close(d);
}

START_TEST(hwt_host_tracks_round_trip)
{
	struct hwt_record_result res;
	struct hwt_model *m = hwt_model_alloc();
	struct seen s;

	memset(&tp, 0, sizeof(tp));
	record(&res);
	ck_assert_int_eq(tp.refusals, 4);
	ck_assert_int_ge(tp.polls, 1); /* 100 ms at 2 ms: many; one after the end at least */
	ck_assert_int_eq(res.ndisabled, 0);
	decode(m, &s);
	ck_assert_int_eq(s.counters, 3);
	ck_assert(s.values[0] == 1 && s.values[1] == 2.5 && s.values[2] == 4);
	for (int i = 0; i < 3; i++)
		ck_assert_uint_eq(s.value_ts[i], tp.t0 + 1000u * (uint64_t)(i + 1));
	ck_assert_ptr_nonnull(s.queue);
	ck_assert_str_eq(hwt_model_str(m, s.queue->unit), "items");
	ck_assert_int_eq(s.queue->cumulative, 1);
	ck_assert_uint_eq(s.queue->kind, HWT_TRACK_COUNTER);
	ck_assert_uint_eq(s.queue->tid, 0);
	ck_assert_uint_gt(s.queue->pid, 0);
	ck_assert_int_eq(s.instants, 1);
	ck_assert_str_eq(s.instant, "{n:-7,inner:{s:'x\"y',l:[true,0.5,null]}}");
	ck_assert_int_eq(s.objects, 1);
	ck_assert_str_eq(s.object, "{depth:3}");
	ck_assert_uint_eq(s.state->kind, HWT_TRACK_OBJECT);
	ck_assert_uint_eq(s.state->tid, s.state->pid);
	ck_assert_int_eq(s.flows, 2);
	ck_assert_uint_eq(s.flow_phases[0], HWT_FLOW_OUT);
	ck_assert_uint_eq(s.flow_phases[1], HWT_FLOW_IN);
	ck_assert_int_eq(s.markers, 0);
	hwt_model_free(m);
}
END_TEST

/* A poll() that fails disables the plugin with a marker; the recording completes. */
START_TEST(hwt_host_poll_failure_marker)
{
	struct hwt_record_result res;
	struct hwt_model *m = hwt_model_alloc();
	struct seen s;

	memset(&tp, 0, sizeof(tp));
	tp.fail_poll = 1;
	record(&res);
	ck_assert_int_eq(tp.polls, 2); /* never called again */
	ck_assert_int_eq(res.ndisabled, 1);
	decode(m, &s);
	ck_assert_int_eq(s.markers, 1);
	ck_assert_int_eq(s.counters, 3); /* what it wrote before stays */
	hwt_model_free(m);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("host_tracks");
	TCase *tc = tcase_create("tracks");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, hwt_host_tracks_round_trip);
	tcase_add_test(tc, hwt_host_poll_failure_marker);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

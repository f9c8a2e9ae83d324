/* The exporters' own cost, without the decoder's: a recording decoded once into memory, then its
 * events handed to each output format (and report's and inspect's tables) in turn, timed alone.
 *   bench_export TRACE [FORMAT...]   formats: chrome folded pprof svg perfetto report inspect
 * Prints per format: seconds, events/s and ns per event, where an event is one of the model's (a
 * traced call is two: its slice begin and its end). Output goes to /dev/null. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "decoders/decode.h"
#include "exporters/aggregate.h"
#include "exporters/exporter.h"
#include "exporters/slices.h"
#include "exporters/trackstats.h"
#include "hwtrace/error.h"

struct arena {
	uint8_t *buf;
	size_t len, cap;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this process: on a loaded machine it moves less than the wall clock. */
static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* A copy of @len bytes at @p in @a, as an offset (pointers are fixed up once all are in). */
static uintptr_t keep(struct arena *a, const void *p, size_t len)
{
	uintptr_t at;

	if (!p || !len)
		return 0;
	if (a->len + len > a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1 << 20;
		while (a->len + len > a->cap)
			a->cap *= 2;
		a->buf = realloc(a->buf, a->cap);
		if (!a->buf) {
			fprintf(stderr, "bench_export: out of memory\n");
			exit(1);
		}
	}
	memcpy(a->buf + a->len, p, len);
	at = a->len + 1; /* 0 stays "none" */
	a->len += len;
	return at;
}

/* Each event's variable part, kept as an arena offset in place of its pointer. */
static void keep_event(struct arena *a, const struct hwt_model *m, struct hwt_event *ev)
{
	switch (ev->type) {
	case HWT_EV_SAMPLE:
		ev->sample.weights = (const uint64_t *)keep(
			a, ev->sample.weights, hwt_model_nweights(m) * sizeof(uint64_t));
		break;
	case HWT_EV_INSTANT:
		ev->instant.args = (const uint8_t *)keep(a, ev->instant.args, ev->instant.args_len);
		break;
	case HWT_EV_OBJECT:
		ev->object.value = (const uint8_t *)keep(a, ev->object.value, ev->object.len);
		break;
	case HWT_EV_SLICE_ARGS:
		ev->args.args = (const uint8_t *)keep(a, ev->args.args, ev->args.len);
		break;
	default:
		break;
	}
}

#define FIX(p, base) ((p) = (p) ? (__typeof__(p))((base) + (uintptr_t)(p)-1) : NULL)

static void fix_event(const struct arena *a, struct hwt_event *ev)
{
	switch (ev->type) {
	case HWT_EV_SAMPLE:
		FIX(ev->sample.weights, a->buf);
		break;
	case HWT_EV_INSTANT:
		FIX(ev->instant.args, a->buf);
		break;
	case HWT_EV_OBJECT:
		FIX(ev->object.value, a->buf);
		break;
	case HWT_EV_SLICE_ARGS:
		FIX(ev->args.args, a->buf);
		break;
	default:
		break;
	}
}

static int run_exporter(const char *name, struct hwt_model *m, const struct hwt_event *evs,
			size_t n, FILE *out)
{
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name(name);
	struct hwt_export_config cfg;
	struct hwt_exporter *e;
	char why[512] = "";
	int err = 0;

	if (!ops) {
		fprintf(stderr, "bench_export: no format %s\n", name);
		return -1;
	}
	hwt_export_config_init(&cfg);
	cfg.out = out;
	e = ops->create(&cfg, m, &err, why, sizeof(why));
	if (!e) {
		fprintf(stderr, "bench_export: %s: %s\n", name, why);
		return -1;
	}
	for (size_t i = 0; i < n && err >= 0; i++)
		err = ops->event(e, m, &evs[i]);
	if (err >= 0)
		err = ops->finish(e, m);
	ops->destroy(e);
	return err < 0 ? err : 0;
}

/* What `hwtrace report` does with each event: the aggregation, the calls table, the tracks. */
static int run_report(struct hwt_model *m, const struct hwt_event *evs, size_t n, FILE *out)
{
	int err = 0;
	struct hwt_agg *agg = hwt_agg_alloc(m, NULL, &err, NULL, 0);
	struct hwt_slicestats *calls = hwt_slicestats_alloc();
	struct hwt_trackstats *tracks = hwt_trackstats_alloc();

	if (!agg || !calls || !tracks)
		err = HWT_E_NOMEM;
	for (size_t i = 0; i < n && err >= 0; i++) {
		enum hwt_event_type ty = evs[i].type;

		/* As cli/report.c: with a calls table the aggregation is not given slices. */
		if (ty != HWT_EV_SLICE_BEGIN && ty != HWT_EV_SLICE_END && ty != HWT_EV_SLICE_ARGS)
			err = hwt_agg_event(agg, m, &evs[i]);
		if (err >= 0)
			err = hwt_slicestats_event(calls, m, &evs[i]);
		if (err >= 0)
			err = hwt_trackstats_event(tracks, &evs[i]);
	}
	if (err >= 0)
		err = hwt_agg_finish(agg, m);
	if (err >= 0)
		err = hwt_slicestats_finish(calls);
	if (err >= 0)
		err = hwt_slicestats_print(calls, m, HWT_SLICE_SORT_TOTAL, 20, NULL, out);
	hwt_agg_free(agg);
	hwt_slicestats_free(calls);
	hwt_trackstats_free(tracks);
	return err < 0 ? err : 0;
}

static int run_inspect(struct hwt_model *m, const struct hwt_event *evs, size_t n, FILE *out)
{
	struct hwt_calltree_config cfg;
	struct hwt_calltree *t;
	int err = 0;

	hwt_calltree_config_init(&cfg);
	cfg.out = out;
	t = hwt_calltree_alloc(&cfg);
	if (!t)
		return HWT_E_NOMEM;
	for (size_t i = 0; i < n && err >= 0; i++)
		err = hwt_calltree_event(t, m, &evs[i]);
	if (err >= 0)
		err = hwt_calltree_finish(t, m);
	hwt_calltree_free(t);
	return err < 0 ? err : 0;
}

int main(int argc, char **argv)
{
	static const char *const all[] = { "chrome",   "folded", "pprof",  "svg",
					   "perfetto", "report", "inspect" };
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_decoder *d;
	struct arena a = { 0 };
	struct hwt_event *evs = NULL;
	size_t n = 0, cap = 0, calls = 0;
	const struct hwt_event *batch;
	char why[512] = "";
	int err, k, nf = argc > 2 ? argc - 2 : (int)(sizeof(all) / sizeof(all[0]));
	const char *const *formats = argc > 2 ? (const char *const *)argv + 2 : all;
	double t0;
	FILE *out;

	if (argc < 2 || !m) {
		fprintf(stderr, "usage: bench_export TRACE [FORMAT...]\n");
		return 2;
	}
	t0 = now_s();
	d = hwt_decoder_open(argv[1], m, NULL, &err, why, sizeof(why));
	if (!d) {
		fprintf(stderr, "bench_export: %s\n", why);
		return 1;
	}
	while ((err = hwt_decoder_batch(d, &batch)) > 0) {
		if (HWT_ARRAY_GROW(evs, &cap, n + (size_t)err)) {
			fprintf(stderr, "bench_export: out of memory\n");
			return 1;
		}
		for (int i = 0; i < err; i++) {
			evs[n] = batch[i];
			calls += evs[n].type == HWT_EV_SLICE_BEGIN;
			keep_event(&a, m, &evs[n++]);
		}
	}
	hwt_decoder_close(d);
	if (err < 0) {
		fprintf(stderr, "bench_export: decoding failed: %s\n", hwt_errstr(err));
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		fix_event(&a, &evs[i]);
	printf("decode+copy  %8.3f s  %zu events (a call is 2: its begin and end), %zu calls, "
	       "%u frames, %u stack nodes\n",
	       now_s() - t0, n, calls, hwt_model_nframes(m) - 1, hwt_model_nstacks(m) - 1);
	out = fopen("/dev/null", "w");
	if (!out)
		return 1;
	for (k = 0; k < nf; k++) {
		double t = now_s(), c = cpu_s(), dt, dc;

		if (!strcmp(formats[k], "report"))
			err = run_report(m, evs, n, out);
		else if (!strcmp(formats[k], "inspect"))
			err = run_inspect(m, evs, n, out);
		else
			err = run_exporter(formats[k], m, evs, n, out);
		dt = now_s() - t;
		dc = cpu_s() - c;
		if (err < 0) {
			printf("%-10s   failed: %s\n", formats[k], hwt_errstr(err));
			continue;
		}
		printf("%-10s   %8.3f s  %7.2f M events/s  %6.1f ns/event  %7.2f M calls/s"
		       "  (cpu %.3f s, %.1f ns/event)\n",
		       formats[k], dt, n / dt / 1e6, dt * 1e9 / (double)(n ? n : 1),
		       calls / dt / 1e6, dc, dc * 1e9 / (double)(n ? n : 1));
		fflush(stdout);
	}
	fclose(out);
	free(evs);
	free(a.buf);
	hwt_model_free(m);
	return 0;
}

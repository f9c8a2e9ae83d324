/* `hwtrace report`: the functions that took the most: by samples (self and total weight) and by
 * traced calls (calls, total, self, average and longest time). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/aggregate.h"
#include "hwtrace/error.h"
#include "exporters/slices.h"
#include "exporters/trackstats.h"
#include "decoders/decode.h"
#include "cli.h"

static int cmd_report(int argc, char **argv);

const struct cli_command cli_report = {
	.name = "report",
	.usage = "report [-n N] [-s KEY] [--view VIEW] [TRACE]",
	.help = "Prints the functions of the recording TRACE (default hwtrace.hwt) that took the\n"
		"most. Samples: by self and total samples (or VIEW: cpu-time, a counter).\n"
		"Traced calls (record -b uprobe): calls, total time (inclusive, a recursive\n"
		"function counted once), self time (without traced callees), average total\n"
		"per call and longest call. A recording with both gets both tables.\n\n"
		"  -n, --top N     how many functions (default 20, 0 for all)\n"
		"  -s, --sort KEY  order of the calls table: total (default), calls, self, avg,\n"
		"                  max; the samples table follows `total`, else is by self\n"
		"      --view VIEW only the table of samples (default), cpu-time, a sample weight\n"
		"                  recorded with -e, calls and time aggregated by stack, or the\n"
		"                  name of a counter track: what it adds, charged to the stack\n"
		"                  open on its thread at each value\n"
		"The counter tracks (unit, scope, values, min, max, last) and object tracks\n"
		"(snapshots) follow.\n",
	.exec = cmd_report,
};

struct func {
	uint32_t name;
	uint64_t self, total;
	uint32_t seen; /* stamp of the last stack walk that counted it */
};

static int by_self(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->self != y->self)
		return x->self < y->self ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return x->name < y->name ? -1 : x->name > y->name;
}

static int by_total(const void *a, const void *b)
{
	const struct func *x = a, *y = b;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	return by_self(a, b);
}

/* The table of samples (or of the aggregation @agg settled on). Returns 0 or HWT_E_NOMEM. */
static int print_samples(struct hwt_agg *agg, struct hwt_model *m, const char *trace,
			 uint64_t nsamples, long top, int sort_total)
{
	/* Each (thread, stack) entry once: self to its leaf, total to every function on it (once,
	 * even when it recurses). */
	uint32_t nstr = hwt_model_nstrs(m), stamp = 0, k = hwt_agg_index(agg);
	uint64_t total = 0;
	struct func *funcs = calloc(nstr + 1, sizeof(*funcs));

	if (!funcs)
		return HWT_E_NOMEM;
	for (uint32_t i = 0; i < hwt_agg_count(agg); i++) {
		uint32_t comm, node;
		const uint64_t *values;
		const uint32_t *frames;
		hwt_agg_entry(agg, i, &comm, &node, &values);
		int depth = hwt_agg_path(agg, m, node, &frames);
		if (depth < 0) {
			free(funcs);
			return depth;
		}
		uint64_t w = values[k];
		total += w;
		stamp++;
		for (int j = depth - 1; j >= 0; j--) {
			const struct hwt_frame *f = hwt_model_frame(m, frames[j]);
			struct func *fn = &funcs[f ? f->name : 0];
			fn->name = f ? f->name : 0;
			if (j == depth - 1)
				fn->self += w;
			if (fn->seen != stamp) {
				fn->seen = stamp;
				fn->total += w;
			}
		}
	}
	qsort(funcs, nstr + 1, sizeof(*funcs), sort_total ? by_total : by_self);
	const char *wname, *unit;
	char tot[HWT_DURATION_LEN + 64], self[HWT_DURATION_LEN], all[HWT_DURATION_LEN];
	int ns;

	hwt_agg_value_desc(agg, m, k, &wname, &unit);
	/* Times with their unit; other amounts as numbers, named by the view. */
	ns = hwt_unit_is_ns(unit);
	if (ns)
		hwt_value_fmt(tot, sizeof(tot), total, unit);
	else
		snprintf(tot, sizeof(tot), "%" PRIu64, total);
	if (hwt_agg_mode(agg) == HWT_AGG_COUNTER)
		printf("# %s %s added by the counter, by the stack open at each value, in %s\n",
		       tot, wname, trace);
	else if (strcmp(wname, "samples"))
		printf("# %" PRIu64 " samples, %s %s, in %s\n", nsamples, tot, wname, trace);
	else
		printf("# %" PRIu64 " samples in %s\n", nsamples, trace);
	printf("# %7s %7s %14s %14s  %s\n", "self%", "total%", "self", "total", "function");
	for (uint32_t i = 0; i <= nstr && (!top || i < (uint32_t)top); i++) {
		if (!funcs[i].total)
			break;
		if (ns) {
			hwt_duration_fmt(self, sizeof(self), funcs[i].self);
			hwt_duration_fmt(all, sizeof(all), funcs[i].total);
		} else {
			snprintf(self, sizeof(self), "%" PRIu64, funcs[i].self);
			snprintf(all, sizeof(all), "%" PRIu64, funcs[i].total);
		}
		printf("  %6.2f%% %6.2f%% %14s %14s  %s\n",
		       total ? 100.0 * funcs[i].self / total : 0.0,
		       total ? 100.0 * funcs[i].total / total : 0.0, self, all,
		       hwt_model_str(m, funcs[i].name));
	}
	free(funcs);
	return 0;
}

/* Every event of @d into the tables (@calls may be NULL), which are then settled; counts the
 * samples into *@nsamples. Returns 0 or the first negative enum hwt_error. */
static int feed(struct hwt_decoder *d, struct hwt_model *m, struct hwt_agg *agg,
		struct hwt_slicestats *calls, struct hwt_trackstats *tracks, uint64_t *nsamples)
{
	struct hwt_event ev;
	int err;

	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		*nsamples += ev.type == HWT_EV_SAMPLE;
		err = hwt_agg_event(agg, m, &ev);
		if (err >= 0 && calls)
			err = hwt_slicestats_event(calls, m, &ev);
		if (err >= 0)
			err = hwt_trackstats_event(tracks, &ev);
		if (err < 0)
			return err;
	}
	if (err >= 0)
		err = hwt_agg_finish(agg, m);
	if (err >= 0 && calls)
		err = hwt_slicestats_finish(calls);
	return err < 0 ? err : 0;
}

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "view", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *view = NULL;
	long top = 20;
	int c, key = HWT_SLICE_SORT_TOTAL, sort_given = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			char *end;
			top = strtol(optarg, &end, 10);
			if (*end || top < 0 || top > UINT32_MAX)
				return cli_error("report: -n %s: give a count, 0 for all", optarg);
			break;
		}
		case 's':
			key = hwt_slice_sort_parse(optarg);
			if (key < 0)
				return cli_error(
					"report: -s %s: sort by total, calls, self, avg or max",
					optarg);
			sort_given = 1;
			break;
		case 'V':
			view = optarg;
			break;
		case 'h':
			return cli_help(&cli_report);
		default:
			return cli_bad_option(&cli_report, c, argc, argv);
		}
	}
	const char *trace = optind < argc ? argv[optind] : "hwtrace.hwt";
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_slicestats *calls = NULL;
	struct hwt_trackstats *tracks = NULL;
	struct hwt_agg *agg = NULL;
	char why[512];
	int err, status = 1;

	if (!m)
		return cli_error("out of memory");
	struct hwt_decoder *d = hwt_decoder_open(trace, m, NULL, &err, why, sizeof(why));
	if (!d) {
		cli_error("%s", why);
		goto out;
	}
	agg = hwt_agg_alloc(m, view, &err, why, sizeof(why));
	if (!agg) {
		cli_error("report: %s", why[0] ? why : hwt_errstr(err));
		goto out;
	}
	/* A view asks for the aggregation alone; else traced calls get their own table. */
	if (!view && !(calls = hwt_slicestats_alloc()))
		goto oom;
	if (!(tracks = hwt_trackstats_alloc()))
		goto oom;
	uint64_t nsamples = 0;
	err = feed(d, m, agg, calls, tracks, &nsamples);
	if (err == HWT_E_NOCALLS) {
		cli_nocalls(trace, view);
		goto out;
	}
	if (err == HWT_E_INVAL && *hwt_agg_why(agg)) {
		cli_error("report: %s", hwt_agg_why(agg));
		goto out;
	}
	if (err < 0) {
		cli_error("reading '%s' failed: %s", trace, hwt_errstr(err));
		goto out;
	}

	struct hwt_slice_summary sum = { 0 };
	if (calls)
		hwt_slicestats_summary(calls, &sum);
	int show_calls = sum.calls > 0, show_samples = nsamples > 0 || !show_calls;
	if (show_samples &&
	    print_samples(agg, m, trace, nsamples, top, sort_given && key == HWT_SLICE_SORT_TOTAL))
		goto oom;
	if (show_calls) {
		if (show_samples)
			putchar('\n');
		hwt_slicestats_print(calls, m, (enum hwt_slice_sort)key, (uint32_t)top, trace,
				     stdout);
	}
	if (hwt_model_ntracks(m) > 1) {
		putchar('\n');
		hwt_trackstats_print(tracks, m, stdout);
	}
	status = 0;
	goto out;
oom:
	cli_error("out of memory");
out:
	hwt_slicestats_free(calls);
	hwt_trackstats_free(tracks);
	hwt_agg_free(agg);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return status;
}

/* `hwtrace report`: the functions that took the most: by samples (self and total weight) and by
 * traced calls (calls, total, self, average and longest time). */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/aggregate.h"
#include "exporters/compensate.h"
#include "hwtrace/error.h"
#include "exporters/slices.h"
#include "exporters/trackstats.h"
#include "exporters/filter.h"
#include "exporters/tags.h"
#include "decoders/decode.h"
#include "cli.h"
#include "progress.h"

static int cmd_report(int argc, char **argv);

const struct cli_command cli_report = {
	.name = "report",
	.usage = "report [-n N] [-s KEY] [--view VIEW] [--tid TID,...] [--time START:END] "
		 "[--compensate] [--by tag --tag-rule [KIND:]TAG=REGEX]... [-j N] [--project-root "
		 "DIR] "
		 "[--no-redact] [TRACE]",
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
		"                  open on its thread at each value; the effects of -P syscalls\n"
		"                  as export --view (files, files:mapped, network...)\n"
		"      --tid TID,...     only these threads, as export --tid\n"
		"      --time START:END  only this window of the recording, as export --time\n"
		"      --compensate      take the probe cost the recorder measured on its host\n"
		"                  (info: uprobe.call_ns, inproc.call_ns) out of each traced\n"
		"                  call: its own from its total and self time, that of every\n"
		"                  call beneath it from its total (never below 0)\n"
		"  -j, --jobs N    threads to decode with, as export -j\n"
		"The counter tracks (unit, scope, values, min, max, last) and object tracks\n"
		"(snapshots) follow.\n" CLI_TAG_HELP
		"With --by tag, the share no rule matched and the frames that took most of it\n"
		"follow the tables.\n" CLI_REDACT_HELP,
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
	else if (hwt_agg_mode(agg) == HWT_AGG_EFFECTS)
		printf("# %s %s of effects (system calls), by the stack that made each, in %s\n",
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

/* The header lines of --compensate: what was subtracted, what of the measured cost was more
 * than the time that passed, and a warning where the probes took most of the time, as then a
 * small error in their cost is a large one in what is left. */
static void print_compensated(const struct hwt_slicestats *calls, const char *desc)
{
	uint64_t probe = 0, traced = 0, excess = 0;
	char p[HWT_DURATION_LEN], all[HWT_DURATION_LEN];

	printf("# compensated: subtracted the probe cost measured when recording, %s\n", desc);
	if (calls)
		hwt_slicestats_probe_time(calls, &probe, &traced, &excess);
	if (!traced)
		return;
	printf("# compensated: %s of probe time taken out of %s of traced calls (%.0f %%)\n",
	       hwt_value_fmt(p, sizeof(p), probe, "ns"),
	       hwt_value_fmt(all, sizeof(all), traced, "ns"),
	       100.0 * (double)probe / (double)traced);
	if (excess)
		printf("# compensated: %s more of the measured cost was left in, being more than "
		       "the "
		       "time that passed between calls: the probes cost less there than when "
		       "measured\n",
		       hwt_value_fmt(p, sizeof(p), excess, "ns"));
	if (probe + excess > traced / 2)
		printf("# warning: the probes took most of the traced time: an error of a few %% "
		       "in their measured cost (it varies from call to call) is a large error in "
		       "what is left; trace fewer functions (-F, -N) for times to trust\n");
}

/* The tables an event goes into. */
struct tables {
	struct hwt_agg *agg;
	struct hwt_slicestats *calls; /* NULL: no calls table */
	struct hwt_trackstats *tracks;
	uint64_t nsamples;
	struct hwt_tagger *tg; /* --by tag: the tables get the events by tag */
	struct hwt_agg *orig;  /* --by tag: the events as recorded, for what no rule matched */
};

static int take(void *ctx, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct tables *t = ctx;
	struct hwt_event tagged;
	int err = 0;

	if (t->tg) {
		if ((err = hwt_agg_event(t->orig, m, ev)) < 0 ||
		    (err = hwt_tagger_event(t->tg, ev, &tagged)) < 0)
			return err;
		ev = &tagged;
	}
	t->nsamples += ev->type == HWT_EV_SAMPLE;
	/* With a calls table the aggregation (no view: samples if any, else slices) is printed
	 * only when there are samples, or when there are no calls and so no slices: it never
	 * shows slices, which it is not given. */
	if (!t->calls || (ev->type != HWT_EV_SLICE_BEGIN && ev->type != HWT_EV_SLICE_END &&
			  ev->type != HWT_EV_SLICE_ARGS))
		err = hwt_agg_event(t->agg, m, ev);
	if (err >= 0 && t->calls)
		err = hwt_slicestats_event(t->calls, m, ev);
	if (err >= 0)
		err = hwt_trackstats_event(t->tracks, ev);
	return err;
}

/* take() of a whole batch, with no tagger: each table gets its events in order, one table
 * after the other. */
static int take_batch(struct tables *t, const struct hwt_model *m, const struct hwt_event *evs,
		      int n)
{
	int err = 0;

	for (int i = 0; i < n && err >= 0; i++) {
		enum hwt_event_type type = evs[i].type;

		t->nsamples += type == HWT_EV_SAMPLE;
		if (type == HWT_EV_COUNTER || type == HWT_EV_OBJECT)
			err = hwt_trackstats_event(t->tracks, &evs[i]);
		/* As take(): with a calls table the aggregation gets no slices. */
		if (err >= 0 && t->calls && type != HWT_EV_SLICE_BEGIN &&
		    type != HWT_EV_SLICE_END && type != HWT_EV_SLICE_ARGS)
			err = hwt_agg_event(t->agg, m, &evs[i]);
	}
	if (err >= 0 && !t->calls)
		err = hwt_agg_events(t->agg, m, evs, (size_t)n);
	if (err >= 0 && t->calls)
		err = hwt_slicestats_events(t->calls, m, evs, (size_t)n);
	return err;
}

/* Every event of @d that @flt keeps (NULL: all) into the tables, which are then settled.
 * Returns 0 or the first negative enum hwt_error. */
static int feed(struct hwt_decoder *d, struct hwt_model *m, struct hwt_filter *flt,
		struct tables *t, const char *trace)
{
	const struct hwt_event *evs;
	struct cli_progress prog;
	int err, n;

	cli_progress_start(&prog, d, "reading", trace);
	while ((err = n = hwt_decoder_batch(d, &evs)) > 0) {
		if (!flt && !t->tg)
			err = take_batch(t, m, evs, n);
		for (int i = 0; (flt || t->tg) && i < n && err >= 0; i++)
			err = flt ? hwt_filter_event(flt, m, &evs[i], take, t)
				  : take(t, m, &evs[i]);
		if (err < 0)
			break;
		cli_progress_tick(&prog, (uint64_t)n);
	}
	cli_progress_end(&prog);
	if (err < 0)
		return err;
	if (err >= 0 && flt)
		err = hwt_filter_finish(flt, m, take, t);
	if (err >= 0)
		err = hwt_agg_finish(t->agg, m);
	if (err >= 0 && t->orig)
		err = hwt_agg_finish(t->orig, m);
	if (err >= 0 && t->calls)
		err = hwt_slicestats_finish(t->calls);
	return err < 0 ? err : 0;
}

/* --by tag: the share of the view no rule matched (stacks with no tagged frame), and the
 * innermost frames of those stacks that took the most, so that rules can be added for them. */
static int print_untagged(struct tables *t, struct hwt_model *m, long top)
{
	uint32_t k = hwt_agg_index(t->orig), n = hwt_model_nframes(m) + 1;
	uint64_t total = 0, untagged = 0, *by_frame = calloc(n, sizeof(*by_frame));
	const char *vname, *unit;
	char a[HWT_DURATION_LEN + 32];

	if (!by_frame)
		return HWT_E_NOMEM;
	for (uint32_t i = 0; i < hwt_agg_count(t->orig); i++) {
		uint32_t comm, node, leaf;
		const uint64_t *v;
		hwt_agg_entry(t->orig, i, &comm, &node, &v);
		int un = hwt_tagger_unmatched(t->tg, comm, node, &leaf);
		if (un < 0) {
			free(by_frame);
			return un;
		}
		total += v[k];
		if (un) {
			untagged += v[k];
			by_frame[leaf < n ? leaf : 0] += v[k];
		}
	}
	hwt_agg_value_desc(t->orig, m, k, &vname, &unit);
	printf("\n# untagged: %.2f%% of %s (%s) in stacks no tag rule matched\n",
	       total ? 100.0 * (double)untagged / (double)total : 0.0, vname,
	       hwt_value_fmt(a, sizeof(a), untagged, unit));
	for (long shown = 0; untagged && (!top || shown < top); shown++) {
		uint32_t best = 0;
		for (uint32_t f = 1; f < n; f++)
			if (by_frame[f] > by_frame[best])
				best = f;
		if (!by_frame[best])
			break;
		printf("#   %6.2f%%  %s\n", 100.0 * (double)by_frame[best] / (double)total,
		       best ? hwt_model_frame_name(m, best) : "[no stack]");
		by_frame[best] = 0;
	}
	free(by_frame);
	return 0;
}

/* What report was asked. */
struct report_args {
	const char *view, *tids, *window;
	long top;
	int key, sort_given, compensate;
	struct cli_tags tags;
};

/* Parses the options into @a: 0, 1 after a bad one (said), 2 after --help. */
static int parse_args(int argc, char **argv, struct report_args *a)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "sort", required_argument, NULL, 's' },
		{ "view", required_argument, NULL, 'V' },
		{ "tid", required_argument, NULL, 'T' },
		{ "time", required_argument, NULL, 't' },
		{ "compensate", no_argument, NULL, 'C' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TAG_OPTIONS,
		CLI_REDACT_OPTIONS,
		{ 0 },
	};
	int c;

	*a = (struct report_args){ .top = 20, .key = HWT_SLICE_SORT_TOTAL };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:s:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_top(&cli_report, optarg, &a->top))
				return 1;
			break;
		case 's':
			a->key = hwt_slice_sort_parse(optarg);
			if (a->key < 0)
				return cli_error(
					"report: -s %s: sort by total, calls, self, avg or max",
					optarg);
			a->sort_given = 1;
			break;
		case 'V':
			a->view = optarg;
			break;
		case 'T':
			a->tids = optarg;
			break;
		case 't':
			a->window = optarg;
			break;
		case 'C':
			a->compensate = 1;
			break;
		case 'j':
			if (cli_parse_jobs("report", optarg))
				return 1;
			break;
		case 'h':
			cli_help(&cli_report);
			return 2;
		case CLI_OPT_PROJECT_ROOT:
		case CLI_OPT_NO_REDACT:
			if (cli_redact_option(c, optarg))
				return 1;
			break;
		default:
			if (cli_tags_option(&cli_report, &a->tags, c, optarg, argc, argv))
				return 1;
			break;
		}
	}
	return 0;
}

static int cmd_report(int argc, char **argv)
{
	struct report_args a;
	int parsed = parse_args(argc, argv, &a);
	const struct hwt_tag_rules *rules = NULL;

	if (!parsed && cli_tags_rules(&a.tags, &rules))
		parsed = 1;
	if (!parsed && optind + 1 < argc)
		parsed = cli_error("report: one recording at a time, got '%s' and '%s'",
				   argv[optind], argv[optind + 1]);
	if (parsed) {
		cli_tags_fini(&a.tags);
		return parsed == 2 ? 0 : 1;
	}
	const char *trace = optind < argc ? argv[optind] : "hwtrace.hwt";
	struct hwt_probe_costs costs;
	char costs_desc[512];
	if (a.compensate && cli_probe_costs(trace, &costs, costs_desc, sizeof(costs_desc)))
		return 1;
	struct hwt_filter_config cut;
	uint32_t *tidv;
	int given = cli_filter_parse(a.tids, a.window, &cut, &tidv);
	struct hwt_model *m = given < 0 ? NULL : cli_model_alloc();
	struct hwt_filter *flt = given > 0 ? hwt_filter_alloc(&cut) : NULL;
	struct tables t = { 0 };
	char why[512];
	int err, status = 1;
	struct hwt_decoder *d = NULL;

	if (given < 0 || !m || (given && !flt)) {
		if (given >= 0)
			cli_error("out of memory");
		goto out;
	}
	struct hwt_decoder_config dcfg;
	hwt_decoder_config_init(&dcfg);
	dcfg.threads = cli_decode_threads;
	dcfg.sources = hwt_tag_rules_need_sources(rules);
	d = hwt_decoder_open(trace, m, &dcfg, &err, why, sizeof(why));
	if (!d) {
		cli_error("%s", why);
		goto out;
	}
	t.agg = hwt_agg_alloc(m, a.view, &err, why, sizeof(why));
	if (!t.agg) {
		cli_error("report: %s", why[0] ? why : hwt_errstr(err));
		goto out;
	}
	/* A view asks for the aggregation alone; else traced calls get their own table. */
	if ((!a.view && !(t.calls = hwt_slicestats_alloc())) ||
	    !(t.tracks = hwt_trackstats_alloc()))
		goto oom;
	if (rules && (!(t.tg = hwt_tagger_alloc(rules, m)) ||
		      !(t.orig = hwt_agg_alloc(m, a.view, &err, why, sizeof(why)))))
		goto oom;
	if (a.compensate) {
		hwt_agg_compensate(t.agg, &costs);
		hwt_slicestats_compensate(t.calls, &costs);
		if (t.orig)
			hwt_agg_compensate(t.orig, &costs);
	}
	err = feed(d, m, flt, &t, trace);
	if (err >= 0 && hwt_filter_unseen_tid(flt)) {
		cli_error("--tid: '%s' has no thread %u: `hwtrace inspect` lists them", trace,
			  hwt_filter_unseen_tid(flt));
		goto out;
	}
	if (err == HWT_E_NOCALLS) {
		cli_nocalls(trace, a.view);
		goto out;
	}
	if (err == HWT_E_INVAL && *hwt_agg_why(t.agg)) {
		cli_error("report: %s", hwt_agg_why(t.agg));
		goto out;
	}
	if (err < 0) {
		cli_error("reading '%s' failed: %s", trace, hwt_errstr(err));
		goto out;
	}
	cli_warn_damaged(trace, hwt_decoder_store_status(d), "reported what comes before it");

	struct hwt_slice_summary sum = { 0 };
	if (t.calls)
		hwt_slicestats_summary(t.calls, &sum);
	int show_calls = sum.calls > 0, show_samples = t.nsamples > 0 || !show_calls;
	if (a.compensate)
		print_compensated(t.calls, costs_desc);
	if (show_samples && print_samples(t.agg, m, trace, t.nsamples, a.top,
					  a.sort_given && a.key == HWT_SLICE_SORT_TOTAL))
		goto oom;
	if (show_calls) {
		if (show_samples)
			putchar('\n');
		hwt_slicestats_print(t.calls, m, (enum hwt_slice_sort)a.key, (uint32_t)a.top, trace,
				     stdout);
	}
	if (t.tg && print_untagged(&t, m, a.top ? a.top : 20))
		goto oom;
	if (hwt_model_ntracks(m) > 1) {
		putchar('\n');
		hwt_trackstats_print(t.tracks, m, stdout);
	}
	status = 0;
	goto out;
oom:
	cli_error("out of memory");
out:
	hwt_slicestats_free(t.calls);
	hwt_trackstats_free(t.tracks);
	hwt_agg_free(t.agg);
	hwt_agg_free(t.orig);
	hwt_tagger_free(t.tg);
	cli_tags_fini(&a.tags);
	hwt_decoder_close(d);
	hwt_model_free(m);
	hwt_filter_free(flt);
	free(tidv);
	return status;
}

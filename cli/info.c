/* `hwtrace info`: what a recording holds, whether it is complete, and what was lost. */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hwtrace/error.h"
#include "decoders/decode.h"
#include "exporters/compensate.h"
#include "exporters/trackstats.h"
#include "cli.h"

static int cmd_info(int argc, char **argv);

const struct cli_command cli_info = {
	.name = "info",
	.usage = "info [--project-root DIR] [--no-redact] [TRACE]",
	.help = "Prints the metadata of the recording TRACE (default hwtrace.hwt), how many "
		"events\n"
		"of each kind it holds, what was lost, whether the file is complete, and its\n"
		"counter tracks (unit, scope, number of values, min, max, last) and object\n"
		"tracks (number of snapshots).\n\n" CLI_REDACT_HELP,
	.exec = cmd_info,
};

static void print_meta(const char *key, const char *value, void *ctx)
{
	printf("%-16s %s\n", key, value);
}

struct notes {
	char *text;
	size_t len;
};

/* Notes come out as the file is read; keep them until the header is printed. */
static void keep_note(const char *msg, void *ctx)
{
	struct notes *n = ctx;
	size_t add = strlen(msg) + 1;
	char *t = realloc(n->text, n->len + add + 1);

	if (!t)
		return;
	n->text = t;
	memcpy(t + n->len, msg, add - 1);
	t[n->len + add - 1] = '\n';
	n->len += add;
	t[n->len] = 0;
}

/* How the recording ended: the program's exit (or none: it ran on) and a signal that stopped it. */
static void print_end(const struct hwt_end_rec *end)
{
	if (!end->pid)
		printf("%-16s none: the recording stopped, the processes ran on\n", "exit");
	else if (end->signal)
		printf("%-16s killed by signal %d (%s)%s\n", "exit", end->signal,
		       strsignal(end->signal),
		       end->signal == SIGSEGV || end->signal == SIGBUS || end->signal == SIGABRT ||
				       end->signal == SIGFPE || end->signal == SIGILL
			       ? ": crashed"
			       : "");
	else
		printf("%-16s status %d\n", "exit", end->exit_status);
	if (end->stopped_by)
		printf("%-16s recording stopped by signal %u (%s)\n", "stopped", end->stopped_by,
		       strsignal((int)end->stopped_by));
}

/* A metadata key looked for, and its value once found (NULL if none). */
struct meta_find {
	const char *key, *value;
};

static void find_meta(const char *key, const char *value, void *ctx)
{
	struct meta_find *f = ctx;

	if (!strcmp(key, f->key))
		f->value = value;
}

/* What counted the records lost: the kernel for the perf rings; the BPF program of -b uprobe
 * for its ring buffer (no PERF_FORMAT_LOST there); plugins and libhwtrace for their own. */
static const char *lost_counters(const struct hwt_model *m)
{
	struct meta_find f = { "backend", NULL };

	hwt_model_meta_foreach(m, find_meta, &f);
	if (f.value && !strcmp(f.value, "uprobe"))
		return "the uprobe BPF program when its ring buffer was full (-m/--ring), the "
		       "kernel for the perf rings (PERF_FORMAT_LOST), plugins and libhwtrace";
	if (f.value && !strcmp(f.value, "inproc"))
		return "the inproc runtime when a thread's call ring was full (-m/--ring), the "
		       "uprobe BPF program for the functions it traced, the kernel for the perf "
		       "rings, plugins and libhwtrace";
	return "the kernel for the perf rings (PERF_FORMAT_LOST), plugins and libhwtrace";
}

/* What decoding counted: processes, threads, events by kind, records, losses, unwinding. */
static void print_counts(const struct hwt_model *m, const struct hwt_decode_stats *s,
			 const uint64_t *counts)
{
	printf("%-16s %" PRIu64 "\n", "processes", s->processes);
	printf("%-16s %" PRIu64 "\n", "threads", s->threads);
	printf("%-16s %" PRIu64 "\n", "samples", counts[HWT_EV_SAMPLE]);
	printf("%-16s %" PRIu64 "\n", "counter values", counts[HWT_EV_COUNTER]);
	printf("%-16s %" PRIu64 "\n", "slices", counts[HWT_EV_SLICE_BEGIN]);
	printf("%-16s %" PRIu64 "\n", "instants", counts[HWT_EV_INSTANT]);
	if (counts[HWT_EV_OBJECT])
		printf("%-16s %" PRIu64 "\n", "snapshots", counts[HWT_EV_OBJECT]);
	if (counts[HWT_EV_FLOW])
		printf("%-16s %" PRIu64 "\n", "flow ends", counts[HWT_EV_FLOW]);
	printf("%-16s %" PRIu64 "\n", "records", s->records);
	if (s->have_end) {
		printf("%-16s %" PRIu64 " (exact, counted by %s)\n", "lost", s->end.lost,
		       lost_counters(m));
		printf("%-16s %" PRIu64 "\n", "lost reported", s->end.lost_records);
	} else {
		printf("%-16s unknown (no end chunk); PERF_RECORD_LOST said %" PRIu64 "\n", "lost",
		       s->lost_records);
	}
	printf("%-16s %" PRIu64 "\n", "throttled", s->throttled);
	if (s->unwind_failures)
		printf("%-16s %" PRIu64 "\n", "unwind failures", s->unwind_failures);
	if (s->chains_cut)
		printf("%-16s %" PRIu64
		       " (frame-pointer walks gone into code without frame pointers)\n",
		       "stacks cut", s->chains_cut);
	if (s->leaf_callers)
		printf("%-16s %" PRIu64 " (of functions sampled before their frame was set up)\n",
		       "callers found", s->leaf_callers);
	if (s->damaged_records)
		printf("%-16s %" PRIu64 " (samples whose fields overrun their record: skipped)\n",
		       "damaged records", s->damaged_records);
	if (s->have_end)
		print_end(&s->end);
}

static int cmd_info(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      CLI_REDACT_OPTIONS,
					      { 0 } };
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_help(&cli_info);
		if (c == CLI_OPT_PROJECT_ROOT || c == CLI_OPT_NO_REDACT) {
			if (cli_redact_option(c, optarg))
				return 1;
			continue;
		}
		return cli_bad_option(&cli_info, c, argc, argv);
	}
	if (optind + 1 < argc)
		return cli_error("info: one recording at a time, got '%s' and '%s'", argv[optind],
				 argv[optind + 1]);
	const char *trace = optind < argc ? argv[optind] : "hwtrace.hwt";
	struct hwt_model *m = cli_model_alloc();
	struct hwt_decoder_config cfg;
	char why[512];
	int err;

	if (!m)
		return cli_error("out of memory");
	struct notes notes = { 0 };
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	cfg.on_note = keep_note;
	cfg.ctx = &notes;
	struct hwt_decoder *d = hwt_decoder_open(trace, m, &cfg, &err, why, sizeof(why));
	if (!d) {
		hwt_model_free(m);
		return cli_error("%s", why);
	}
	struct hwt_event ev;
	uint64_t counts[HWT_EV_SLICE_ARGS + 1] = { 0 }, first = 0, last = 0, lost_marked = 0;
	struct hwt_trackstats *tracks = hwt_trackstats_alloc();
	while (tracks && (err = hwt_decoder_next(d, &ev)) > 0) {
		if (ev.type <= HWT_EV_SLICE_ARGS)
			counts[ev.type]++;
		if ((err = hwt_trackstats_event(tracks, &ev)) < 0)
			break;
		if (ev.type == HWT_EV_LOST)
			lost_marked += ev.lost.count;
		if (ev.ts && (!first || ev.ts < first))
			first = ev.ts;
		if (ev.ts > last)
			last = ev.ts;
	}
	const struct hwt_store_status *st = hwt_decoder_store_status(d);
	const struct hwt_decode_stats *s = hwt_decoder_stats(d);
	struct stat sb;

	if (!tracks)
		err = HWT_E_NOMEM;
	if (err < 0) {
		hwt_trackstats_free(tracks);
		free(notes.text);
		hwt_decoder_close(d);
		hwt_model_free(m);
		return cli_error("reading '%s' failed: %s", trace, hwt_errstr(err));
	}
	printf("%-16s %s (%lld bytes, %" PRIu64 " chunks)\n", "file", trace,
	       stat(trace, &sb) ? -1LL : (long long)sb.st_size, st->chunks);
	if (st->complete)
		printf("%-16s complete\n", "status");
	else
		printf("%-16s truncated at byte %" PRIu64 ": %s\n", "status", st->bad_offset,
		       st->why);
	hwt_model_meta_foreach(m, print_meta, NULL);
	if (last > first)
		printf("%-16s %.3f s\n", "duration", (last - first) / 1e9);
	print_counts(m, s, counts);
	struct hwt_probe_costs costs;
	char desc[512];
	if (hwt_probe_costs_from_model(m, &costs, desc, sizeof(desc)) > 0)
		printf("%-16s %s: report --compensate subtracts it\n", "probe cost", desc);
	for (char *save, *line = notes.text ? strtok_r(notes.text, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save))
		printf("%-16s %s\n", "note", line);
	free(notes.text);
	hwt_trackstats_print(tracks, m, stdout);
	hwt_trackstats_free(tracks);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return 0;
}

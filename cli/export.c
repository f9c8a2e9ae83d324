/* `hwtrace export`: decode a recording and write it in one of the output formats. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exporters/compensate.h"
#include "exporters/filter.h"
#include "cli.h"
#include "progress.h"

static int cmd_export(int argc, char **argv);

const struct cli_command cli_export = {
	.name = "export",
	.usage = "export [-f perfetto|chrome|folded|pprof|svg] [-o FILE] [--view VIEW] "
		 "[--tid TID[,TID]...] [--time START:END] [--compensate] [--by tag --tag-rule "
		 "[KIND:]TAG=REGEX]... [-j N] [--project-root DIR] [--no-redact] [TRACE]",
	.help = "Writes the recording TRACE (default hwtrace.hwt) in another format.\n\n"
		"  -o, --output FILE   file to write; its extension picks the format:\n"
		"                      .pftrace (Perfetto), .json (Chrome), .folded, .pb.gz "
		"(pprof),\n"
		"                      .svg (flamegraph); - writes to standard output; none:\n"
		"                      TRACE's name with the format's extension (said)\n"
		"  -f, --format FMT    format, whatever the extension (default from -o, else "
		"perfetto)\n"
		"      --view VIEW     weight for folded, pprof and svg: samples, cpu-time, a "
		"weight\n"
		"                      recorded with -e (e.g. page-faults), time or calls "
		"(traced\n"
		"                      calls), or the name of any counter track: what it adds "
		"(a\n"
		"                      running total's increases, else its values), charged to "
		"the\n"
		"                      stack open on its thread at each value; the effects of\n"
		"                      -P syscalls: files, network (bytes), files:count,\n"
		"                      network:count (calls), files:mapped (bytes mapped); by\n"
		"                      default samples where there are any (recorded with -c N:\n"
		"                      the sampling event's count), else time\n"
		"      --tid TID,...   only these threads (and their processes' own tracks)\n"
		"      --time START:END  only this window, from the start of the recording: "
		"times\n"
		"                      with a unit (ns, us, ms, s), e.g. 10ms:2s, 1.5s: or "
		":500ms;\n"
		"                      calls open at an edge are cut there\n"
		"      --compensate    folded, pprof and svg: take the probe cost measured when\n"
		"                      recording out of each traced call's time (see "
		"report)\n"
		"  -j, --jobs N        threads to decode with: 1 decodes on one, 2 or more read\n"
		"                      ahead on a second (the same output); by default two for\n"
		"                      recordings of 2 MiB or more when the process may run\n"
		"                      on two CPUs, else one\n" CLI_TAG_HELP CLI_REDACT_HELP,
	.exec = cmd_export,
};

/* The command, the tag rules it reads into @tags (freed by the caller). */
static int export_run(int argc, char **argv, struct cli_tags *tags)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
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
	const struct hwt_tag_rules *rules;
	const char *out = NULL, *fmt = NULL, *view = NULL, *tids = NULL, *window = NULL;
	char defout[4096];
	struct hwt_filter_config filter;
	uint32_t *tidv = NULL;
	int c, status, cut, compensate = 0;
	struct hwt_probe_costs costs;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:f:j:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case 'f':
			fmt = optarg;
			break;
		case 'V':
			view = optarg;
			break;
		case 'T':
			tids = optarg;
			break;
		case 't':
			window = optarg;
			break;
		case 'C':
			compensate = 1;
			break;
		case 'j':
			if (cli_parse_jobs("export", optarg))
				return 1;
			break;
		case 'h':
			return cli_help(&cli_export);
		case CLI_OPT_PROJECT_ROOT:
		case CLI_OPT_NO_REDACT:
			if (cli_redact_option(c, optarg))
				return 1;
			break;
		default:
			if (cli_tags_option(&cli_export, tags, c, optarg, argc, argv))
				return 1;
			break;
		}
	}
	if (cli_tags_rules(tags, &rules))
		return 1;
	if (argc - optind > 1)
		return cli_error("export: one recording at a time (got %d)", argc - optind);
	const char *trace = optind < argc ? argv[optind] : "hwtrace.hwt";
	const struct hwt_exporter_ops *ops;
	if (!out) {
		ops = cli_pick_format(fmt ? fmt : "perfetto", NULL);
		if (!ops)
			return 1;
		/* trace.hwt -> trace.<first extension of the format> */
		size_t n = strlen(trace);
		if (n > 4 && !strcmp(trace + n - 4, ".hwt"))
			n -= 4;
		char ext[32];
		sscanf(ops->exts, "%31s", ext);
		snprintf(defout, sizeof(defout), "%.*s%s", (int)n, trace, ext);
		out = defout;
	} else if (!strcmp(out, "-")) {
		/* -o -: standard output, as the format given (Perfetto by default). */
		ops = cli_pick_format(fmt ? fmt : "perfetto", NULL);
		if (!ops)
			return 1;
	} else {
		ops = cli_pick_format(fmt, out);
		if (!ops)
			return 1;
	}
	if (cli_check_export(ops, out, view))
		return 1;
	if (compensate && strcmp(ops->name, "folded") && strcmp(ops->name, "pprof") &&
	    strcmp(ops->name, "svg"))
		return cli_error("--compensate: %s output is a timeline, whose times stay as "
				 "measured: use -f folded, pprof or svg (or `report --compensate`)",
				 ops->name);
	if (compensate && cli_probe_costs(trace, &costs, NULL, 0))
		return 1;
	if ((cut = cli_filter_parse(tids, window, &filter, &tidv)) < 0)
		return 1;
	status = cli_export_file(trace, out, ops, view, cut ? &filter : NULL,
				 compensate ? &costs : NULL, rules);
	free(tidv);
	/* A name of our choosing is said, not left to be guessed (or overwritten unseen). */
	if (!status && out == defout)
		fprintf(stderr, "hwtrace: wrote %s (%s)\n", out, ops->name);
	return status;
}

static int cmd_export(int argc, char **argv)
{
	struct cli_tags tags = { 0 };
	int status = export_run(argc, argv, &tags);

	cli_tags_fini(&tags);
	return status;
}

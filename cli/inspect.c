/* `hwtrace inspect`: the traced calls of a recording as a call tree with durations, per thread. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "hwtrace/error.h"
#include "exporters/compensate.h"
#include "exporters/slices.h"
#include "decoders/decode.h"
#include "cli.h"

static int cmd_inspect(int argc, char **argv);

const struct cli_command cli_inspect = {
	.name = "inspect",
	.usage =
		"inspect [--depth N] [--tid TID] [--compensate] [--project-root DIR] [--no-redact] "
		"[TRACE]",
	.help = "Prints the traced calls of the recording TRACE (default hwtrace.hwt) as a call\n"
		"tree with durations, one line per call, like `uftrace replay`. Lines come in\n"
		"the order the calls resolve; threads interleave and the TID column tells them\n"
		"apart. A call with traced callees opens with `f() {` and closes with\n"
		"`} /* f */` and its duration; one without is one line `f();`.\n"
		"`[lost N records]` marks a gap; `no return seen` a call whose return was not\n"
		"recorded (longjmp, exception, thread exit, lost records).\n"
		"Calls are recorded by `hwtrace record -b uprobe -- PROG`.\n\n"
		"  -D, --depth N  fold calls deeper than N into their caller (1: outermost only)\n"
		"      --tid TID  only the thread TID\n"
		"      --compensate  durations without the probe cost measured when recording\n"
		"                 (as report --compensate)\n" CLI_REDACT_HELP,
	.exec = cmd_inspect,
};

static int parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long long n;

	if (!*s || *s == '-')
		return -1;
	n = strtoull(s, &end, 10);
	if (*end || n > UINT32_MAX)
		return -1;
	*v = (uint32_t)n;
	return 0;
}

/* The options of inspect into @cfg and *@compensate: returns -1 to go on, else the status to
 * exit with (help given, or a bad option said). */
static int inspect_options(int argc, char **argv, struct hwt_calltree_config *cfg, int *compensate)
{
	static const struct option opts[] = {
		{ "depth", required_argument, NULL, 'D' },
		{ "tid", required_argument, NULL, 'T' },
		{ "compensate", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		CLI_REDACT_OPTIONS,
		{ 0 },
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":D:h", opts, NULL)) != -1) {
		switch (c) {
		case 'D':
			if (parse_u32(optarg, &cfg->max_depth) || !cfg->max_depth)
				return cli_error("inspect: --depth %s: give a depth of 1 or more",
						 optarg);
			break;
		case 'T':
			if (parse_u32(optarg, &cfg->tid) || !cfg->tid)
				return cli_error("inspect: --tid %s: give a thread id", optarg);
			cfg->only_tid = 1;
			break;
		case 'C':
			*compensate = 1;
			break;
		case 'h':
			return cli_help(&cli_inspect);
		case CLI_OPT_PROJECT_ROOT:
		case CLI_OPT_NO_REDACT:
			if (cli_redact_option(c, optarg))
				return 1;
			break;
		default:
			return cli_bad_option(&cli_inspect, c, argc, argv);
		}
	}
	return -1;
}

static int cmd_inspect(int argc, char **argv)
{
	struct hwt_calltree_config cfg;
	struct hwt_probe_costs costs;
	int compensate = 0;

	hwt_calltree_config_init(&cfg);
	int rc = inspect_options(argc, argv, &cfg, &compensate);
	if (rc >= 0)
		return rc;
	if (optind + 1 < argc)
		return cli_error("inspect: one recording at a time, got '%s' and '%s'",
				 argv[optind], argv[optind + 1]);
	const char *trace = optind < argc ? argv[optind] : "hwtrace.hwt";
	if (compensate && cli_probe_costs(trace, &costs, NULL, 0))
		return 1;
	cfg.compensate = compensate ? &costs : NULL;
	struct hwt_model *m = cli_model_alloc();
	struct hwt_calltree *t = NULL;
	struct hwt_decoder *d = NULL;
	char why[512];
	int err, status = 1;
	uint64_t nevents = 0;

	if (!m)
		return cli_error("out of memory");
	d = hwt_decoder_open(trace, m, NULL, &err, why, sizeof(why));
	if (!d) {
		cli_error("%s", why);
		goto out;
	}
	cfg.out = stdout;
	t = hwt_calltree_alloc(&cfg);
	if (!t) {
		cli_error("out of memory");
		goto out;
	}
	const struct hwt_event *evs;
	int n, wrote = 0; /* the error is the call tree's, not the decoder's */
	while ((err = n = hwt_decoder_batch(d, &evs)) > 0) {
		for (int i = 0; i < n && err >= 0; i++)
			err = hwt_calltree_event(t, m, &evs[i]);
		nevents += (uint64_t)n;
		if ((wrote = err < 0))
			break;
	}
	if (err >= 0) {
		err = hwt_calltree_finish(t, m);
		wrote = 1;
	}
	if (err == HWT_E_IO && wrote) {
		cli_error("cannot write the call tree to standard output");
		goto out;
	}
	if (err < 0) {
		cli_error("reading '%s' failed: %s", trace, hwt_errstr(err));
		goto out;
	}
	const struct hwt_store_status *st = hwt_decoder_store_status(d);
	if (st->error && !nevents) {
		cli_error("'%s' has no readable events: %s at byte %llu", trace, st->why,
			  (unsigned long long)st->bad_offset);
		goto out;
	}
	if (!hwt_calltree_calls(t)) {
		if (cfg.only_tid)
			cli_error("thread %" PRIu32 " has no traced calls in '%s': see the threads "
				  "with `hwtrace inspect %s`",
				  cfg.tid, trace, trace);
		else
			cli_error("'%s' has no traced calls (samples are shown by `hwtrace report "
				  "%s`): record calls with `hwtrace record -b uprobe -- PROG`",
				  trace, trace);
		goto out;
	}
	if (fflush(stdout) || ferror(stdout)) {
		cli_error("cannot write the call tree to standard output");
		goto out;
	}
	cli_warn_damaged(trace, st, "showed the calls before it");
	status = 0;
out:
	hwt_calltree_free(t);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return status;
}

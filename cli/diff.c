/* `hwtrace diff A B`: what changed from recording A to recording B, by function (calls, self and
 * total, sorted by change) or by stack (two-column folded stacks for differential flamegraphs).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/record_output.h"
#include "decoders/decode.h"
#include "exporters/aggregate.h"
#include "exporters/compensate.h"
#include "exporters/funcdiff.h"
#include "exporters/tags.h"
#include "hwtrace/error.h"
#include "cli.h"

static int cmd_diff(int argc, char **argv);

const struct cli_command cli_diff = {
	.name = "diff",
	.usage =
		"diff [-n N] [-f text|folded|svg] [-o FILE] [--view VIEW] [--compensate] [--by tag "
		"--tag-rule [KIND:]TAG=REGEX]... [--project-root DIR] [--no-redact] A B",
	.help = "Compares recording B with recording A (say, yesterday's run and today's) by\n"
		"function: self and total of each (samples, or the time of traced calls), the\n"
		"change of self, B/A ratios and calls, largest change first. Functions and\n"
		"stacks are matched by name, so two builds of a program compare.\n\n"
		"  -n, --top N       how many functions (default 30, 0 for all)\n"
		"  -f, --format FMT  text (default), folded: one line per stack,\n"
		"                    \"STACK VALUE_A VALUE_B\", what differential flamegraph\n"
		"                    tools read (flamegraph.pl, inferno-flamegraph), or svg:\n"
		"                    a differential flame graph, B's widths, red where B\n"
		"                    grew, blue where it shrank\n"
		"  -o, --output FILE where to write (default standard output); .svg and\n"
		"                    .folded choose the format when -f does not\n"
		"      --view VIEW   what to compare: cpu-time (default, where sampled),\n"
		"                    samples, a weight,\n"
		"                    time or calls of traced calls, a counter track (as report)\n"
		"      --compensate  take each recording's measured probe cost out of its\n"
		"                    traced calls' times first (as report "
		"--compensate)\n" CLI_TAG_HELP CLI_REDACT_HELP,
	.exec = cmd_diff,
};

struct diff_args {
	const char *view, *out, *a, *b;
	long top;
	int format, compensate; /* enum diff_format */
	struct cli_tags tags;
	const struct hwt_tag_rules *rules; /* --by tag */
};

enum diff_format { DIFF_AUTO, DIFF_TEXT, DIFF_FOLDED, DIFF_SVG };

/* Parses the options into @a: 0, 1 after a bad one (said), 2 after --help. */
static int parse_args(int argc, char **argv, struct diff_args *a)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "view", required_argument, NULL, 'V' },
		{ "compensate", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		CLI_TAG_OPTIONS,
		CLI_REDACT_OPTIONS,
		{ 0 },
	};
	int c;

	*a = (struct diff_args){ .top = 30 };
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:f:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (cli_parse_top(&cli_diff, optarg, &a->top))
				return 1;
			break;
		case 'f':
			a->format = !strcmp(optarg, "text")	? DIFF_TEXT
				    : !strcmp(optarg, "folded") ? DIFF_FOLDED
				    : !strcmp(optarg, "svg")	? DIFF_SVG
								: DIFF_AUTO;
			if (a->format == DIFF_AUTO)
				return cli_error(
					"diff: -f %s: the formats are text, folded and svg",
					optarg);
			break;
		case 'o':
			a->out = optarg;
			break;
		case 'V':
			a->view = optarg;
			break;
		case 'C':
			a->compensate = 1;
			break;
		case 'h':
			cli_help(&cli_diff);
			return 2;
		case CLI_OPT_PROJECT_ROOT:
		case CLI_OPT_NO_REDACT:
			if (cli_redact_option(c, optarg))
				return 1;
			break;
		default:
			if (cli_tags_option(&cli_diff, &a->tags, c, optarg, argc, argv))
				return 1;
			break;
		}
	}
	if (cli_tags_rules(&a->tags, &a->rules))
		return 1;
	if (argc - optind != 2)
		return cli_error("diff: give two recordings, A then B (got %d): hwtrace diff "
				 "old.hwt new.hwt",
				 argc - optind);
	a->a = argv[optind];
	a->b = argv[optind + 1];
	if (a->format == DIFF_AUTO) {
		const char *dot = a->out ? strrchr(a->out, '.') : NULL;
		a->format = dot && !strcmp(dot, ".svg")	     ? DIFF_SVG
			    : dot && !strcmp(dot, ".folded") ? DIFF_FOLDED
							     : DIFF_TEXT;
	}
	return 0;
}

/* One recording, decoded and aggregated. */
struct side {
	const char *trace;
	struct hwt_model *m;
	struct hwt_agg *agg;
	uint32_t k; /* the value compared */
};

/* The value of @s to compare: the view's; by default, samples' CPU time where the recording has
 * it, since sample counts depend on each run's sampling period (perf adjusts it to the rate
 * asked, and load moves it), CPU time does not. */
static void pick_value(struct side *s, const struct diff_args *a)
{
	const char *name, *unit;

	s->k = hwt_agg_index(s->agg);
	if (a->view || hwt_agg_mode(s->agg) != HWT_AGG_SAMPLES)
		return;
	for (uint32_t i = 0; i < hwt_agg_nvalues(s->agg); i++) {
		hwt_agg_value_desc(s->agg, s->m, i, &name, &unit);
		if (!strcmp(name, "cpu-time"))
			s->k = i;
	}
}

/* Decodes @s->trace into a new aggregation for @a's view; 0, or 1 after saying why not. */
static int load(struct side *s, const struct diff_args *a)
{
	struct hwt_probe_costs costs;
	struct hwt_decoder *d;
	struct hwt_event ev;
	char why[512] = "";
	int err;

	if (a->compensate && cli_probe_costs(s->trace, &costs, NULL, 0))
		return 1;
	if (!(s->m = cli_model_alloc()))
		return cli_error("out of memory");
	struct hwt_decoder_config dcfg;
	hwt_decoder_config_init(&dcfg);
	dcfg.sources = hwt_tag_rules_need_sources(a->rules);
	if (!(d = hwt_decoder_open(s->trace, s->m, &dcfg, &err, why, sizeof(why))))
		return cli_error("%s", why);
	s->agg = hwt_agg_alloc(s->m, a->view, &err, why, sizeof(why));
	if (!s->agg) {
		hwt_decoder_close(d);
		return cli_error("diff: %s", why[0] ? why : hwt_errstr(err));
	}
	if (a->compensate)
		hwt_agg_compensate(s->agg, &costs);
	struct hwt_tagger *tg = a->rules ? hwt_tagger_alloc(a->rules, s->m) : NULL;
	struct hwt_event tagged;
	if (a->rules && !tg) {
		hwt_decoder_close(d);
		return cli_error("out of memory");
	}
	while ((err = hwt_decoder_next(d, &ev)) > 0 &&
	       (!tg || (err = hwt_tagger_event(tg, &ev, &tagged)) >= 0) &&
	       (err = hwt_agg_event(s->agg, s->m, tg ? &tagged : &ev)) >= 0)
		;
	hwt_tagger_free(tg);
	const struct hwt_store_status *st = hwt_decoder_store_status(d);
	if (err >= 0)
		cli_warn_damaged(s->trace, st, "compared what comes before");
	hwt_decoder_close(d);
	if (err >= 0)
		err = hwt_agg_finish(s->agg, s->m);
	if (err == HWT_E_NOCALLS)
		return cli_nocalls(s->trace, a->view);
	if (err == HWT_E_INVAL && *hwt_agg_why(s->agg))
		return cli_error("diff: %s: %s", s->trace, hwt_agg_why(s->agg));
	if (err < 0)
		return cli_error("reading '%s' failed: %s", s->trace, hwt_errstr(err));
	pick_value(s, a);
	return 0;
}

/* Both sides must have settled on the same thing to compare; 0, or 1 after saying why. */
static int comparable(const struct side *s)
{
	const char *name[2], *unit[2];

	for (int i = 0; i < 2; i++)
		hwt_agg_value_desc(s[i].agg, s[i].m, s[i].k, &name[i], &unit[i]);
	if (hwt_agg_mode(s[0].agg) != hwt_agg_mode(s[1].agg) || strcmp(name[0], name[1]) ||
	    strcmp(unit[0], unit[1]))
		return cli_error("diff: '%s' gives %s (%s) and '%s' %s (%s): record both the same "
				 "way, or pick a --view both have",
				 s[0].trace, name[0], unit[0], s[1].trace, name[1], unit[1]);
	return 0;
}

/* Writes the comparison to @a->out (standard output by default), named only once whole. */
static int write_out(struct hwt_funcdiff *fd, const struct diff_args *a, const struct side *s)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	const char *name, *unit;
	int to_file = a->out && !cli_is_stdout(a->out), status = 0;
	FILE *f = stdout;

	if (to_file && (cli_check_output(a->out) || !(f = cli_open_output(a->out, &o))))
		return 1;
	hwt_agg_value_desc(s[1].agg, s[1].m, s[1].k, &name, &unit);
	int err;
	if (a->format == DIFF_FOLDED) {
		err = hwt_funcdiff_folded(fd, f);
	} else if (a->format == DIFF_SVG) {
		err = hwt_svg_write_diff(f, fd, name, unit);
	} else {
		fprintf(f, "# %s (A) -> %s (B): %s%s%s, by %s, largest change of self first\n",
			s[0].trace, s[1].trace, name, *unit ? " in " : "", unit,
			a->rules ? "tag" : "function");
		err = hwt_funcdiff_print(fd, f, (uint32_t)a->top, unit);
	}
	if (err < 0 || fflush(f) || ferror(f))
		status = cli_error("cannot write '%s': %s", to_file ? a->out : "standard output",
				   err == HWT_E_NOMEM ? "out of memory" : strerror(errno));
	if (to_file) {
		char why[PATH_MAX + 256] = "";
		if (!status && hwt_rec_output_name(&o, why, sizeof(why)))
			status = cli_error("%s", why);
		if (fclose(f) && !status)
			status = cli_error("cannot write '%s': %s", a->out, strerror(errno));
		if (status)
			hwt_rec_output_drop(&o);
	}
	return status;
}

static int cmd_diff(int argc, char **argv)
{
	struct diff_args a;
	struct side s[2] = { 0 };
	struct hwt_funcdiff *fd = NULL;
	int parsed = parse_args(argc, argv, &a), status = 1;

	if (parsed) {
		cli_tags_fini(&a.tags);
		return parsed == 2 ? 0 : 1;
	}
	s[0].trace = a.a;
	s[1].trace = a.b;
	for (int i = 0; i < 2; i++)
		if (a.out && !cli_is_stdout(a.out) && cli_same_file(s[i].trace, a.out)) {
			cli_error("-o %s is one of the recordings compared: give another output "
				  "name",
				  a.out);
			goto out;
		}
	if (load(&s[0], &a) || load(&s[1], &a) || comparable(s))
		goto out;
	if (!(fd = hwt_funcdiff_alloc()) ||
	    hwt_funcdiff_add_value(fd, 0, s[0].agg, s[0].m, s[0].k) ||
	    hwt_funcdiff_add_value(fd, 1, s[1].agg, s[1].m, s[1].k)) {
		cli_error("out of memory");
		goto out;
	}
	status = write_out(fd, &a, s);
out:
	hwt_funcdiff_free(fd);
	cli_tags_fini(&a.tags);
	for (int i = 0; i < 2; i++) {
		hwt_agg_free(s[i].agg);
		hwt_model_free(s[i].m);
	}
	return status;
}

/* `hwtrace report`: the functions that took the most, by self and by total weight. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../decoders/decode.h"
#include "cli.h"

static int cmd_report(int argc, char **argv);

const struct cli_command cli_report = {
	.name = "report",
	.usage = "report [-n N] [--view VIEW] [TRACE]",
	.help = "Prints the functions of the recording TRACE (default hwtrace.hwt) that took the\n"
		"most samples (or VIEW: cpu-time, a counter), by self and by total weight.\n\n"
		"  -n, --top N     how many functions (default 20, 0 for all)\n"
		"      --view VIEW samples (default), cpu-time, or a counter recorded with -e\n",
	.exec = cmd_report,
};

struct stack_sum { /* open addressing on the stack node id */
	uint32_t stack;
	uint64_t w;
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

static int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top", required_argument, NULL, 'n' },
		{ "view", required_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *view = NULL;
	long top = 20;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'n': {
			char *end;
			top = strtol(optarg, &end, 10);
			if (*end || top < 0)
				return cli_error("report: -n %s: give a count, 0 for all", optarg);
			break;
		}
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
	char why[512];
	int err, status = 1;
	struct stack_sum *sums = NULL;
	size_t cap = 1024, n = 0;
	struct func *funcs = NULL;

	if (!m)
		return cli_error("out of memory");
	struct hwt_decoder *d = hwt_decoder_open(trace, m, NULL, &err, why, sizeof(why));
	if (!d) {
		cli_error("%s", why);
		goto out;
	}
	sums = calloc(cap, sizeof(*sums));
	if (!sums)
		goto oom;

	struct hwt_event ev;
	int wi = -1;
	uint64_t total = 0, nsamples = 0;
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		if (ev.type != HWT_EV_SAMPLE)
			continue;
		if (wi < 0) {
			wi = hwt_model_find_weight(m, view ? view : "samples");
			if (wi < 0) {
				cli_error("report: no weight '%s' in '%s': use samples%s", view, trace,
					  hwt_model_find_weight(m, "cpu-time") >= 0
						  ? ", cpu-time or a counter recorded with -e"
						  : "");
				goto out;
			}
		}
		uint64_t w = ev.sample.weights[wi];
		nsamples++;
		total += w;
		if (2 * (n + 1) > cap) {
			size_t ncap = cap * 2;
			struct stack_sum *ns = calloc(ncap, sizeof(*ns));
			if (!ns)
				goto oom;
			for (size_t i = 0; i < cap; i++) {
				if (!sums[i].stack)
					continue;
				size_t j = (sums[i].stack * 2654435761u) & (ncap - 1);
				while (ns[j].stack)
					j = (j + 1) & (ncap - 1);
				ns[j] = sums[i];
			}
			free(sums);
			sums = ns;
			cap = ncap;
		}
		size_t j = (ev.sample.stack * 2654435761u) & (cap - 1);
		while (sums[j].stack && sums[j].stack != ev.sample.stack)
			j = (j + 1) & (cap - 1);
		if (!sums[j].stack) {
			sums[j].stack = ev.sample.stack;
			n++;
		}
		sums[j].w += w;
	}
	if (err < 0) {
		cli_error("reading '%s' failed: %s", trace, hwt_errstr(err));
		goto out;
	}
	if (view && wi < 0 && !nsamples) {
		cli_error("report: '%s' holds no samples to weigh by '%s'", trace, view);
		goto out;
	}

	/* Each unique stack once: self to its leaf, total to every function on it (once, even when
	 * it recurses). */
	uint32_t nstr = hwt_model_nstrs(m);
	funcs = calloc(nstr + 1, sizeof(*funcs));
	if (!funcs)
		goto oom;
	uint32_t stamp = 0;
	for (size_t i = 0; i < cap; i++) {
		if (!sums[i].stack)
			continue;
		stamp++;
		int leaf = 1;
		for (const struct hwt_stack_node *s = hwt_model_stack(m, sums[i].stack); s;
		     s = hwt_model_stack(m, s->parent)) {
			const struct hwt_frame *f = hwt_model_frame(m, s->frame);
			uint32_t name = f ? f->name : 0;
			struct func *fn = &funcs[name];
			fn->name = name;
			if (leaf)
				fn->self += sums[i].w;
			leaf = 0;
			if (fn->seen != stamp) {
				fn->seen = stamp;
				fn->total += sums[i].w;
			}
		}
	}
	qsort(funcs, nstr + 1, sizeof(*funcs), by_self);
	const char *wname = view ? view : "samples";
	if (strcmp(wname, "samples"))
		printf("# %" PRIu64 " samples, %" PRIu64 " %s, in %s\n", nsamples, total, wname,
		       trace);
	else
		printf("# %" PRIu64 " samples in %s\n", nsamples, trace);
	printf("# %7s %7s %14s %14s  %s\n", "self%", "total%", "self", "total", "function");
	for (uint32_t i = 0; i <= nstr && (!top || i < (uint32_t)top); i++) {
		if (!funcs[i].total)
			break;
		printf("  %6.2f%% %6.2f%% %14" PRIu64 " %14" PRIu64 "  %s\n",
		       total ? 100.0 * funcs[i].self / total : 0.0,
		       total ? 100.0 * funcs[i].total / total : 0.0, funcs[i].self, funcs[i].total,
		       hwt_model_str(m, funcs[i].name));
	}
	status = 0;
	goto out;
oom:
	cli_error("out of memory");
out:
	free(funcs);
	free(sums);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return status;
}

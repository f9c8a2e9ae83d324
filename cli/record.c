/* `hwtrace record`: run a program under a tracer plugin and write a .hwt (or export it at once). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/host.h"
#include "cli.h"

#define MAX_PLUGINS 16
#define MAX_EVENTS  8
#define MAX_FUNCS   64

static int cmd_record(int argc, char **argv);

const struct cli_command cli_record = {
	.name = "record",
	.usage = "record [-o FILE] [-b auto|pt|uprobe|sample] [-F FUNC]... [-N FUNC]... [-D DEPTH] "
		 "[--min-duration T] [-e EVENT]... [-P PLUGIN[:ARGS]]... [--freq HZ] "
		 "[--snapshot SIZE] [--trigger FUNC] -- PROG [ARGS]",
	.help = "Runs PROG under perf_event and records what it does.\n\n"
		"  -o, --output FILE     recording to write (default hwtrace.hwt); another "
		"extension\n"
		"                        (.pftrace .json .folded .pb.gz .svg) records and exports\n"
		"  -b, --backend NAME    auto (default: the first of pt, uprobe, sample that "
		"works\n"
		"                        here), sample, pt, uprobe: see `hwtrace list`\n"
		"pt (Intel Processor Trace: every branch; Intel CPUs, see `hwtrace list`):\n"
		"      --snapshot SIZE   keep only the last SIZE of trace per CPU (e.g. 4M) and "
		"record\n"
		"                        it at exit, on SIGUSR2 to hwtrace, and on --trigger\n"
		"      --trigger FUNC    also record a snapshot when FUNC of the program runs (a\n"
		"                        hardware breakpoint; implies --snapshot 4M)\n"
		"                        (-m SIZE: the trace area per CPU without --snapshot, "
		"default 4M)\n"
		"uprobe (every call of the chosen functions, exactly nested):\n"
		"  -F, --function GLOB   trace the functions of the program matching GLOB "
		"(default: all\n"
		"                        of them); LIB:GLOB adds functions of a shared library, "
		"e.g.\n"
		"                        -F 'libc.so*:qsort', attached when it is mapped "
		"(repeatable)\n"
		"  -N, --notrace GLOB    do not trace functions matching GLOB (LIB:GLOB too)\n"
		"  -D, --depth N         show calls at most N deep\n"
		"      --min-duration T  show calls that took at least T (e.g. 10us, 1ms, 500ns)\n"
		"sample (statistical sampling with call stacks):\n"
		"  -e, --event EVENT     count EVENT with every sample and as a counter track:\n"
		"                        page-faults, context-switches, task-clock, cycles, or "
		"any\n"
		"                        libpfm4 name such as perf::PAGE-FAULTS (repeatable)\n"
		"      --freq HZ         samples per second per thread (default 4000, at most "
		"100000)\n"
		"  -g, --call-graph MODE fp (frame pointers, default), dwarf (copy the user stack "
		"and\n"
		"                        unwind with libdw: works without frame pointers), none\n"
		"      --sample-event E  sampling event (default cycles where the CPU has a PMU,\n"
		"                        else cpu-clock)\n"
		"  -m, --ring SIZE       ring buffer per CPU, e.g. 512K, 4M (default 1M; 4M with "
		"dwarf)\n"
		"  -P, --plugin P[:ARGS] also run plugin P (a built-in name or a .so path)\n"
		"  -f, --format FMT      export format when -o has another extension\n"
		"      --view VIEW       weight for folded/pprof/svg exports\n"
		"  -q, --quiet           no summary line\n",
	.exec = cmd_record,
};

static int parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k':
	case 'K':
		v <<= 10;
		end++;
		break;
	case 'm':
	case 'M':
		v <<= 20;
		end++;
		break;
	case 'g':
	case 'G':
		v <<= 30;
		end++;
		break;
	}
	if (*end && strcmp(end, "B") && strcmp(end, "iB"))
		return -1;
	*out = (size_t)v;
	return 0;
}

static int parse_duration(const char *s, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000 }, { "", 1 }
	};
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			*ns = (uint64_t)(v * (double)units[i].ns);
			return 0;
		}
	return -1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static char *join_argv(int argc, char **argv)
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *s = calloc(1, len);
	for (int i = 0; s && i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int cmd_record(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "backend", required_argument, NULL, 'b' },
		{ "function", required_argument, NULL, 'F' },
		{ "notrace", required_argument, NULL, 'N' },
		{ "depth", required_argument, NULL, 'D' },
		{ "min-duration", required_argument, NULL, 'T' },
		{ "event", required_argument, NULL, 'e' },
		{ "freq", required_argument, NULL, 'r' },
		{ "call-graph", required_argument, NULL, 'g' },
		{ "sample-event", required_argument, NULL, 's' },
		{ "ring", required_argument, NULL, 'm' },
		{ "plugin", required_argument, NULL, 'P' },
		{ "format", required_argument, NULL, 'f' },
		{ "view", required_argument, NULL, 'V' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "snapshot", required_argument, NULL, 'S' },
		{ "trigger", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *output = "hwtrace.hwt", *backend = "auto", *freq = NULL, *cg = "fp";
	const char *sample_event = NULL, *format = NULL, *view = NULL;
	const char *events[MAX_EVENTS], *plugin_specs[MAX_PLUGINS], *depth = NULL;
	const char *funcs[MAX_FUNCS], *trigger = NULL;
	int nfuncs = 0, neg[MAX_FUNCS] = { 0 };
	uint64_t min_dur = 0;
	int nevents = 0, nplugins = 0, quiet = 0, cg_given = 0, c;
	size_t ring = 0, snapshot = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:b:e:g:m:P:f:F:N:D:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			output = optarg;
			break;
		case 'b':
			backend = optarg;
			break;
		case 'F':
		case 'N':
			if (nfuncs == MAX_FUNCS)
				return cli_error("too many -F/-N patterns: at most %d", MAX_FUNCS);
			if (!*optarg || strchr(optarg, ','))
				return cli_error("bad function pattern '%s': one glob per -%c",
						 optarg, c);
			neg[nfuncs] = c == 'N';
			funcs[nfuncs++] = optarg;
			break;
		case 'D': {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 1000000)
				return cli_error("-D %s: give a depth from 1 to 1000000", optarg);
			depth = optarg;
			break;
		}
		case 'T':
			if (parse_duration(optarg, &min_dur))
				return cli_error(
					"--min-duration %s: give a time like 500ns, 10us, 1ms "
					"or 2s",
					optarg);
			break;
		case 'e':
			if (nevents == MAX_EVENTS)
				return cli_error("too many -e events: at most %d", MAX_EVENTS);
			events[nevents++] = optarg;
			break;
		case 'r':
			freq = optarg;
			break;
		case 'g':
			cg = optarg;
			cg_given = 1;
			break;
		case 's':
			sample_event = optarg;
			break;
		case 'm':
			if (parse_size(optarg, &ring) || ring < 4096 || (ring & (ring - 1)) ||
			    ring > (1ull << 30))
				return cli_error(
					"--ring %s: give a power of two from 4K to 1G, e.g. "
					"512K or 4M",
					optarg);
			break;
		case 'P':
			if (nplugins == MAX_PLUGINS)
				return cli_error("too many -P plugins: at most %d", MAX_PLUGINS);
			plugin_specs[nplugins++] = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case 'V':
			view = optarg;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'S':
			if (parse_size(optarg, &snapshot) || snapshot < 4096 ||
			    (snapshot & (snapshot - 1)) || snapshot > (1ull << 30))
				return cli_error(
					"--snapshot %s: give a power of two from 4K to 1G, e.g. 4M",
					optarg);
			break;
		case 't':
			if (!*optarg || strchr(optarg, ',') || strchr(optarg, '='))
				return cli_error("--trigger '%s': give one function name", optarg);
			trigger = optarg;
			break;
		case 'h':
			return cli_help(&cli_record);
		default:
			return cli_bad_option(&cli_record, c, argc, argv);
		}
	}
	if (optind >= argc)
		return cli_error(
			"record: no program given: hwtrace record [options] -- PROG [ARGS]");

	/* Output: a recording, or a recording exported on the spot. */
	const struct hwt_exporter_ops *ops = NULL;
	if (!ends_with(output, ".hwt") || format) {
		ops = cli_pick_format(format, output);
		if (!ops)
			return 1;
	}
	if (cli_check_output(output))
		return 1;

	/* The tracer. */
	const struct hwt_plugin *tracer = NULL;
	struct hwt_host *probe_host = hwt_host_alloc_probe();
	char twhy[512] = "";
	if (!probe_host)
		return cli_error("out of memory");
	int pt_only = snapshot || trigger;
	if (pt_only && strcmp(backend, "auto") && strcmp(backend, "pt")) {
		hwt_host_free(probe_host);
		return cli_error("--snapshot and --trigger are for -b pt (Intel PT)");
	}
	if (pt_only)
		backend = "pt"; /* auto: only pt takes snapshots */
	if (!strcmp(backend, "auto")) {
		/* The first tracer that works here, in the table's order. */
		for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p && !tracer; p++)
			if ((*p)->kind == HWT_PLUGIN_TRACER &&
			    (!(*p)->probe || (*p)->probe(probe_host, twhy, sizeof(twhy)) > 0))
				tracer = *p;
		/* Counters and sampling options ask for the sampling backend, function filters
		 * for uprobe. */
		if (nevents || freq || sample_event || cg_given)
			tracer = hwt_plugin_by_name("sample");
		else if (nfuncs || depth || min_dur)
			tracer = hwt_plugin_by_name("uprobe");
	} else {
		tracer = hwt_plugin_by_name(backend);
		if (!tracer || tracer->kind != HWT_PLUGIN_TRACER) {
			hwt_host_free(probe_host);
			return cli_error("unknown backend '%s': use auto, sample, pt or uprobe",
					 backend);
		}
		if (tracer->probe && tracer->probe(probe_host, twhy, sizeof(twhy)) <= 0) {
			hwt_host_free(probe_host);
			return cli_error("backend '%s' is not available here: %s (see `hwtrace "
					 "list`)",
					 backend, twhy);
		}
	}
	hwt_host_free(probe_host);
	int is_uprobe = !strcmp(tracer->name, "uprobe"), is_pt = !strcmp(tracer->name, "pt");
	if ((is_uprobe || is_pt) && (nevents || freq || sample_event || cg_given))
		return cli_error("-e, --freq, -g and --sample-event are for -b sample; -b %s "
				 "records every call instead",
				 tracer->name);
	if (!is_uprobe && (nfuncs || depth || min_dur))
		return cli_error("-F, -N, -D and --min-duration are for -b uprobe");

	char sargs[4096];
	int off = 0;
	if (is_pt) {
		if (snapshot)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "snapshot=%zu",
					snapshot);
		if (trigger)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "%strigger=%s",
					off ? "," : "", trigger);
		if (ring && !snapshot)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "%saux=%zu",
					off ? "," : "", ring);
		if (!off)
			sargs[0] = 0;
		ring = 0; /* -m sized the trace area; side band takes the default ring */
	} else if (is_uprobe) {
		for (int i = 0; i < nfuncs; i++)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "%s%s=%s",
					off ? "," : "", neg[i] ? "nofunc" : "func", funcs[i]);
		if (depth)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "%sdepth=%s",
					off ? "," : "", depth);
		if (min_dur)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off,
					"%smin_duration_ns=%llu", off ? "," : "",
					(unsigned long long)min_dur);
		if (ring)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, "%sring=%zu",
					off ? "," : "", ring);
	} else {
		off = snprintf(sargs, sizeof(sargs), "callgraph=%s", cg);
		if (freq)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, ",freq=%s", freq);
		if (sample_event)
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, ",event=%s",
					sample_event);
		for (int i = 0; i < nevents; i++) {
			if (strchr(events[i], ',') || !*events[i])
				return cli_error("bad event name '%s': give one event per -e",
						 events[i]);
			off += snprintf(sargs + off, sizeof(sargs) - (size_t)off, ",counter=%s",
					events[i]);
		}
	}
	if (off >= (int)sizeof(sargs))
		return cli_error("record: options too long");
	if (!ring || is_uprobe)
		ring = strcmp(cg, "dwarf") ? 1u << 20 : 4u << 20;

	struct hwt_plugin_use uses[1 + MAX_PLUGINS];
	char *plugin_args[MAX_PLUGINS] = { 0 };
	int nuses = 0, status = 1;
	uses[nuses++] = (struct hwt_plugin_use){ tracer, sargs };
	for (int i = 0; i < nplugins; i++) {
		char *spec = strdup(plugin_specs[i]), *colon, why[512];
		if (!spec)
			goto out;
		plugin_args[i] = spec;
		colon = strchr(spec, ':');
		if (colon)
			*colon++ = 0;
		const struct hwt_plugin *p = strchr(spec, '/') || ends_with(spec, ".so")
						     ? hwt_plugin_load(spec, why, sizeof(why))
						     : hwt_plugin_by_name(spec);
		if (!p) {
			if (strchr(spec, '/') || ends_with(spec, ".so"))
				cli_error("%s", why);
			else
				cli_error("unknown plugin '%s': see `hwtrace list`", spec);
			goto out;
		}
		uses[nuses++] = (struct hwt_plugin_use){ p, colon ? colon : "" };
	}

	/* Where the recording goes: the output itself, or a scratch file next to it. */
	char hwt_path[4096];
	if (ops)
		snprintf(hwt_path, sizeof(hwt_path), "%s.rec.%d.hwt", output, (int)getpid());
	else
		snprintf(hwt_path, sizeof(hwt_path), "%s", output);

	struct hwt_record_config cfg;
	struct hwt_record_result res;
	char why[1024] = "";
	hwt_record_config_init(&cfg);
	cfg.output = hwt_path;
	cfg.argv = argv + optind;
	cfg.plugins = uses;
	cfg.nplugins = nuses;
	cfg.ring_bytes = ring;
	cfg.quiet = quiet;
	char *cmdline = join_argv(argc, argv);
	cfg.cmdline = cmdline;
	int err = hwt_record(&cfg, &res, why, sizeof(why));
	free(cmdline);
	if (err) {
		cli_error("%s", why[0] ? why : hwt_errstr(err));
		goto out;
	}
	if (!quiet) {
		fprintf(stderr, "hwtrace: recorded %.1f KiB in %s", res.file_bytes / 1024.0,
			ops ? output : hwt_path);
		if (res.end.samples)
			fprintf(stderr, " (%llu samples)", (unsigned long long)res.end.samples);
		if (res.end.lost)
			fprintf(stderr,
				", %llu records LOST (use a bigger --ring or a lower --freq)",
				(unsigned long long)res.end.lost);
		if (res.end.signal)
			fprintf(stderr, "; the program was killed by signal %d (%s)",
				res.end.signal, strsignal(res.end.signal));
		fputc('\n', stderr);
	}
	status = 0;
	if (ops) {
		status = cli_export_file(hwt_path, output, ops, view);
		unlink(hwt_path);
	}
out:
	for (int i = 0; i < nplugins; i++)
		free(plugin_args[i]);
	return status;
}

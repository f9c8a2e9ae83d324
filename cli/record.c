/* `hwtrace record`: run a program under a tracer plugin and write a .hwt (or export it at once).
 * Its own options and the tracers' come from option tables (core/options.h): the getopt tables
 * are built from them, every value is checked once against them, and --help is written from
 * them; plugins get typed values. Sampling flags given to an exact-call tracer add the `sample`
 * tracer beside it, in the same recording. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/host.h"
#include "core/options.h"
#include "core/redact.h"
#include "cli.h"
#include "live.h"
#include "record.h"
#include "plugins/inproc/inproc_plugin.h"

static int cmd_record(int argc, char **argv);

const struct cli_command cli_record = {
	.name = "record",
	.usage = "record [-o FILE] [-b auto|pt|uprobe|sample] [-F FUNC]... [-N FUNC]... [-D DEPTH] "
		 "[--min-duration T] [-e EVENT]... [-P PLUGIN[:ARGS]]... [--freq HZ | -c N] "
		 "[--snapshot SIZE] [--trigger FUNC] [--duration T] {-- PROG [ARGS] | -p "
		 "PID[,PID...] "
		 "| -a [-- PROG [ARGS]]}",
	.help = "Runs PROG under perf_event and records what it does; or records processes that "
		"run already (-p: until ^C, --duration or their exit; they run on, untouched), or "
		"the whole system (-a: until ^C, --duration or PROG's exit).\n\n",
	.exec = cmd_record,
};

const struct hwt_option record_options[R_NOPTIONS] = {
	[R_OUTPUT] = { .name = "output",
		       .type = HWT_OPT_STRING,
		       .flags = HWT_OPT_COMMAS,
		       .def = "hwtrace.hwt",
		       .arg = "FILE",
		       .short_flag = 'o',
		       .long_flag = "output",
		       .help = "recording to write; another extension (.pftrace .json .folded "
			       ".pb.gz .svg) records and exports; - exports to standard output in "
			       "the format -f names, the program's own standard output going to "
			       "standard error (as perf record -o - does)" },
	[R_BACKEND] = { .name = "backend",
			.type = HWT_OPT_STRING,
			.flags = HWT_OPT_COMMAS,
			.def = "auto",
			.arg = "NAME[:ARGS]",
			.short_flag = 'b',
			.long_flag = "backend",
			.help = "auto (pt where it works, else sample; the one whose flags are "
				"given, e.g. uprobe for -F), pt, uprobe or sample (see `hwtrace "
				"list`); ARGS: its options below as KEY=VALUE,...; sample's flags "
				"given to pt or uprobe add sampling beside it" },
	[R_PLUGIN] = { .name = "plugin",
		       .type = HWT_OPT_LIST,
		       .flags = HWT_OPT_COMMAS,
		       .max = MAX_PLUGINS,
		       .arg = "PLUGIN[:ARGS]",
		       .short_flag = 'P',
		       .long_flag = "plugin",
		       .help = "also run PLUGIN (a built-in name or a .so path) with its options "
			       "as KEY=VALUE,... (--help after -P PLUGIN lists them)" },
	[R_FORMAT] = { .name = "format",
		       .type = HWT_OPT_STRING,
		       .flags = HWT_OPT_COMMAS,
		       .arg = "FMT",
		       .short_flag = 'f',
		       .long_flag = "format",
		       .help = "export format when -o has another extension" },
	[R_VIEW] = { .name = "view",
		     .type = HWT_OPT_STRING,
		     .flags = HWT_OPT_COMMAS,
		     .arg = "VIEW",
		     .long_flag = "view",
		     .help = "weight for folded/pprof/svg exports (default: samples where the "
			     "recording has any, events with -c, else the time of traced calls; "
			     "time or calls: the traced calls)" },
	[R_PID] = { .name = "pid",
		    .type = HWT_OPT_STRING,
		    .flags = HWT_OPT_COMMAS,
		    .arg = "PID[,PID...]",
		    .short_flag = 'p',
		    .long_flag = "pid",
		    .help = "record these running processes instead of starting one: every "
			    "thread, and the threads and children they start, until ^C, "
			    "--duration or their exit; they run on untouched (-b sample or "
			    "uprobe)" },
	[R_ALL] = { .name = "all_cpus",
		    .type = HWT_OPT_BOOL,
		    .short_flag = 'a',
		    .long_flag = "all-cpus",
		    .help = "sample every process on every CPU (-b sample), until ^C, "
			    "--duration or the exit of PROG if one is given" },
	[R_DURATION] = { .name = "duration",
			 .type = HWT_OPT_DURATION,
			 .min = 1000000,
			 .max = 366ll * 86400 * 1000000000,
			 .arg = "T",
			 .long_flag = "duration",
			 .help = "stop recording after T (e.g. 500ms, 10s); a program started "
				 "for the recording is not stopped: it runs to its end and "
				 "hwtrace exits with its status" },
	[R_QUIET] = { .name = "quiet",
		      .type = HWT_OPT_BOOL,
		      .short_flag = 'q',
		      .long_flag = "quiet",
		      .help = "no summary line" },
	[R_LIVE] = { .name = "live",
		     .type = HWT_OPT_BOOL,
		     .long_flag = "live",
		     .help = "redraw the terminal every second with the functions that took the "
			     "most in the last second and the counters' latest values, read back "
			     "from the recording (the same recording as without it)" },
	[R_PROJECT_ROOT] = { .name = "project_root",
			     .type = HWT_OPT_STRING,
			     .arg = "DIR",
			     .long_flag = "project-root",
			     .help = "the directory outputs show paths relative to (kept in the "
				     "recording; default: the working directory); paths outside "
				     "it are shown as buckets: external/tmp, "
				     "external/usr/libc.so.6" },
	[R_RECORD_ARGS] = { .name = "record_args",
			    .type = HWT_OPT_BOOL,
			    .long_flag = "record-args",
			    .help = "keep the program's arguments in the recording (by default "
				    "only the program is kept)" },
	[R_RECORD_ENV] = { .name = "record_env",
			   .type = HWT_OPT_BOOL,
			   .long_flag = "record-env",
			   .help = "keep the environment in the recording (by default it is not "
				   "recorded; outputs show it with --no-redact)" },
	[R_NO_REDACT] = { .name = "no_redact",
			  .type = HWT_OPT_BOOL,
			  .long_flag = "no-redact",
			  .help = "an export (-o with another extension) or --live shows paths as "
				  "they are, not redacted outside the project root" },
	[R_HELP] = { .name = "help",
		     .type = HWT_OPT_BOOL,
		     .short_flag = 'h',
		     .long_flag = "help",
		     .help = "this help" },
};

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

/* ---- the command line ------------------------------------------------------------------ */

static const struct flag *flag_of(const struct record *r, int code)
{
	if (code >= LONG_ONLY)
		return code - LONG_ONLY < r->nflags ? &r->flags[code - LONG_ONLY] : NULL;
	for (int i = 0; i < r->nflags; i++)
		if (r->flags[i].c == code)
			return &r->flags[i];
	return NULL;
}

/* Adds the flags of @table to the getopt tables; one flag may be declared by several. */
static int add_flags(struct record *r, const struct hwt_option *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hwt_option *o = &table[i];
		struct flag f = { o->short_flag, o->long_flag, o->type != HWT_OPT_BOOL };
		int j;
		if (!f.c && !f.name)
			continue;
		for (j = 0; j < r->nflags; j++)
			if ((f.c && r->flags[j].c == f.c) ||
			    (f.name && r->flags[j].name && !strcmp(f.name, r->flags[j].name)))
				break;
		if (j < r->nflags) {
			if (r->flags[j].has_arg != f.has_arg)
				return cli_error("option '%s' is declared with and without a value",
						 o->name);
			continue;
		}
		if (r->nflags == MAX_FLAGS)
			return cli_error("more than %d flags declared", MAX_FLAGS);
		r->flags[r->nflags] = f;
		size_t len = strlen(r->shorts);
		if (f.c)
			snprintf(r->shorts + len, sizeof(r->shorts) - len, "%c%s", f.c,
				 f.has_arg ? ":" : "");
		if (f.name)
			r->longopts[r->nflags] =
				(struct option){ f.name,
						 f.has_arg ? required_argument : no_argument, NULL,
						 f.c ? f.c : LONG_ONLY + r->nflags };
		r->nflags++;
	}
	return 0;
}

/* Fills the getopt tables from record_options and every built-in tracer's table. */
static int build_getopt(struct record *r)
{
	snprintf(r->shorts, sizeof(r->shorts), "+:");
	if (add_flags(r, record_options, R_NOPTIONS))
		return 1;
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++)
		if ((*p)->kind == HWT_PLUGIN_TRACER && add_flags(r, (*p)->options, (*p)->noptions))
			return 1;
	/* getopt_long stops at the first entry without a name: pack them. */
	int n = 0;
	for (int i = 0; i < r->nflags; i++)
		if (r->longopts[i].name)
			r->longopts[n++] = r->longopts[i];
	memset(&r->longopts[n], 0, sizeof(r->longopts[n]));
	return 0;
}

/* Runs getopt over @argv: record options take their values now, tracer flags wait in r->given. */
static int parse_argv(struct record *r, int argc, char **argv)
{
	char spelled[80];
	int c, li;

	r->given = calloc((size_t)argc + 1, sizeof(*r->given));
	if (!r->given || build_getopt(r))
		return r->given ? 1 : cli_error("out of memory");
	optind = 1;
	opterr = 0;
	while ((li = -1, c = getopt_long(argc, argv, r->shorts, r->longopts, &li)) != -1) {
		const struct flag *f = c == ':' || c == '?' ? NULL : flag_of(r, c);
		if (!f)
			return cli_bad_option(&cli_record, c, argc, argv);
		record_spell(f, li >= 0, spelled, sizeof(spelled));
		int i = hwt_option_find_flag(record_options, R_NOPTIONS, f->c, f->name);
		if (i < 0) {
			r->given[r->ngiven++] = (struct given){ f, optarg, li >= 0 };
			continue;
		}
		if (hwt_options_set(&r->rec, (size_t)i, f->has_arg ? optarg : "1", spelled, r->why,
				    sizeof(r->why)))
			return cli_error("%s", r->why);
	}
	return 0;
}

static void print_options(const struct hwt_option *table, size_t n)
{
	char buf[2048];

	for (size_t i = 0; i < n; i++)
		if (hwt_option_help(&table[i], buf, sizeof(buf)) > 0)
			fputs(buf, stdout);
}

/* The flags of SAMPLER that @p takes too, adding sampling beside it. */
static void print_beside(const struct hwt_plugin *p)
{
	const struct hwt_plugin *sp = hwt_plugin_by_name(SAMPLER);
	char list[512] = "";

	if (!sp || sp == p)
		return;
	record_flags_lacking(sp, p, list, sizeof(list));
	printf("  %s taken too: %s's, sampling beside it\n", list, SAMPLER);
}

/* --help: record's options, each backend's and those of the plugins given with -P. */
static int print_help(struct record *r)
{
	cli_help(&cli_record);
	print_options(record_options, R_NOPTIONS);
	printf("\nbackends (-b NAME, or -b NAME:KEY=VALUE,... for any of its options):\n");
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		if ((*p)->kind != HWT_PLUGIN_TRACER)
			continue;
		printf("\n%s: %s\n", (*p)->name, (*p)->summary);
		print_options((*p)->options, (*p)->noptions);
		print_beside(*p);
	}
	for (int i = 0; i < r->nplugins; i++) {
		const struct hwt_plugin *p = r->uses[1 + i].plugin;
		printf("\nplugin %s (-P %s:KEY=VALUE,...): %s\n", p->name, r->specs[i],
		       p->summary ? p->summary : "");
		print_options(p->options, p->noptions);
		if (!p->noptions)
			printf("      (no options)\n");
	}
	return 0;
}

/* ---- plugins, recording ---------------------------------------------------------------- */

/* -P PLUGIN[:ARGS]: each plugin found or loaded, its ARGS checked against its table. */
static int load_plugins(struct record *r)
{
	const struct hwt_option_value *v = &r->rec.values[R_PLUGIN];

	for (size_t i = 0; i < v->n; i++) {
		char *spec = r->specs[i] = strdup(v->list[i]), *colon;
		if (!spec)
			return cli_error("out of memory");
		colon = strchr(spec, ':');
		if (colon)
			*colon++ = 0;
		/* A file only from a path: a bare name is a built-in plugin's, never one for
		 * dlopen() to look up in the library path. */
		int path = strchr(spec, '/') != NULL;
		const struct hwt_plugin *p = path ? hwt_plugin_load(spec, r->why, sizeof(r->why))
						  : hwt_plugin_by_name(spec);
		if (!p && !path && strstr(spec, ".so"))
			return cli_error("-P %s: a plugin file is loaded only from a path: give "
					 "./%s or an absolute path",
					 spec, spec);
		if (!p)
			return path ? cli_error("%s", r->why)
				    : cli_error(
					      "unknown plugin '%s': use a built-in plugin (see "
					      "`hwtrace list`) or a .so file by its path (./%s.so)",
					      spec, spec);
		if (p == r->sp)
			return cli_error(
				"-P %s beside %s's flags given to -b %s: give the flags or "
				"-P %s:KEY=VALUE,..., not both",
				spec, SAMPLER, r->tp->name, SAMPLER);
		r->nplugins++;
		r->uses[1 + i].plugin = p;
		if (hwt_options_init(&r->plugins[i], spec, p->options, p->noptions, r->why,
				     sizeof(r->why)) ||
		    hwt_options_parse(&r->plugins[i], colon, r->why, sizeof(r->why)))
			return cli_error("-P %s", r->why);
		r->uses[1 + i].values = r->plugins[i].values;
	}
	return 0;
}

/* What to change when records were lost: the rings of the tracers that ran. */
static const char *loss_hint(const struct record *r)
{
	int sampled = r->sp || !strcmp(r->tp->name, SAMPLER);

	if (!strcmp(r->tp->name, "uprobe") || !strcmp(r->tp->name, "inproc"))
		return sampled ? "use a bigger --ring, fewer functions with -F/-N, or a lower "
				 "--freq"
			       : "use a bigger --ring, or fewer functions with -F/-N";
	return sampled ? "use a bigger --ring or a lower --freq" : "use a bigger --ring";
}

/* -b inproc: the program starts with the runtime preloaded, after the user's own preloads (the
 * environment the recorder launches it with; put back afterwards). *@saved gets the user's
 * LD_PRELOAD (NULL: none). Returns 0, or -1 when the runtime is missing (the plugin says so). */
static int inproc_preload(char **saved)
{
	char lib[PATH_MAX + 64];
	const char *old = getenv("LD_PRELOAD");

	if (hwt_inproc_runtime(lib, sizeof(lib)))
		return -1;
	*saved = old ? strdup(old) : NULL;
	size_t len = (old ? strlen(old) + 1 : 0) + strlen(lib) + 1;
	char *v = malloc(len);
	if (!v || (old && !*saved)) {
		free(v);
		free(*saved);
		*saved = NULL;
		return -1;
	}
	snprintf(v, len, "%s%s%s", old && *old ? old : "", old && *old ? ":" : "", lib);
	setenv("LD_PRELOAD", v, 1);
	free(v);
	return 0;
}

/* The program @cfg runs as outputs show it (core/redact.h), into @out (@len bytes). */
static const char *shown_program(const struct hwt_record_config *cfg, char *out, size_t len)
{
	char cwd[4096];

	snprintf(out, len, "%s", cfg->argv ? cfg->argv[0] : "the recording");
	if (cfg->argv && !cli_redaction.off && getcwd(cwd, sizeof(cwd)))
		hwt_redact_path(cfg->project_root ? cfg->project_root : cwd, cwd, cfg->argv[0],
				strlen(cfg->argv[0]), HWT_REDACT_BASENAME, out, len);
	return out;
}

/* What @cfg keeps of the program's arguments and environment, and its project root; returns
 * our own command line for it (malloc()ed, NULL when out of memory), without the program's
 * arguments unless they are kept. */
static char *config_privacy(const struct record *r, struct hwt_record_config *cfg, int argc,
			    char **argv)
{
	cfg->record_args = (int)r->rec.values[R_RECORD_ARGS].i;
	cfg->record_env = (int)r->rec.values[R_RECORD_ENV].i;
	cfg->project_root = r->root[0] ? r->root : NULL;
	cfg->cmdline = join_argv(cfg->record_args || optind >= argc ? argc : optind + 1, argv);
	return (char *)cfg->cmdline;
}

/* The rings are shared: the bigger of what the tracers and the -P plugins ask for (a plugin's
 * records that copy stacks need room), but the tracer's -m when it was given (@fixed); 0: the
 * default. */
static size_t ring_asked(const struct record *r, int fixed)
{
	size_t ring = r->tp->ring_bytes ? r->tp->ring_bytes(r->tracer.values) : 0;
	size_t sring = r->sp && r->sp->ring_bytes ? r->sp->ring_bytes(r->sampling.values) : 0;

	if (fixed)
		return ring;
	if (sring > ring)
		ring = sring;
	for (int i = 0; i < r->nplugins; i++) {
		const struct hwt_plugin *p = r->uses[1 + i].plugin;
		size_t pring = p->ring_bytes ? p->ring_bytes(r->plugins[i].values) : 0;
		if (pring > ring)
			ring = pring;
	}
	return ring;
}

/* Records argv[optind...] with the tracer and plugins, then exports it when @ops is set. */
static int run(struct record *r, int argc, char **argv, const struct hwt_exporter_ops *ops)
{
	const char *output = r->rec.values[R_OUTPUT].s;
	int quiet = (int)r->rec.values[R_QUIET].i;
	struct hwt_record_config cfg;
	struct hwt_record_result res;
	char hwt_path[64];
	int to_stdout = cli_is_stdout(output), kept = -1;

	r->uses[0] = (struct hwt_plugin_use){ r->tp, r->tracer.values };
	if (r->sp)
		r->uses[1 + r->nplugins] = (struct hwt_plugin_use){ r->sp, r->sampling.values };
	hwt_record_config_init(&cfg);
	/* A recording to export has no name: gone with us, whatever ends us. */
	cfg.output = to_stdout && ops ? "-" : output;
	cfg.anonymous = ops != NULL;
	cfg.argv = optind < argc ? argv + optind : NULL;
	cfg.pids = r->npids ? r->pids : NULL;
	cfg.npids = r->npids;
	cfg.system_wide = (int)r->rec.values[R_ALL].i;
	cfg.duration_ns = (uint64_t)r->rec.values[R_DURATION].i;
	/* -p opens events per thread and CPU: as many descriptors as the limit allows. */
	struct rlimit nofile;
	if (r->npids && !getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	cfg.plugins = r->uses;
	cfg.nplugins = 1 + r->nplugins + !!r->sp;
	int m = hwt_option_find_flag(r->tp->options, r->tp->noptions, 'm', "ring");
	cfg.ring_fixed = m >= 0 && r->tracer.values[m].set;
	size_t ring = ring_asked(r, cfg.ring_fixed);
	if (ring)
		cfg.ring_bytes = ring;
	/* -b inproc's call rings are the in-program API's: each thread's, --ring bytes. */
	if (!strcmp(r->tp->name, "inproc"))
		cfg.api_ring_bytes = (size_t)r->tracer.values[m].i;
	cfg.quiet = quiet;
	char *cmdline = config_privacy(r, &cfg, argc, argv);
	r->why[0] = 0;
	if (to_stdout && (kept = cli_stdout_aside()) < 0) {
		free(cmdline);
		return 1;
	}
	if (to_stdout && !ops)
		cfg.output_fd = kept; /* the recording itself, written in place */
	struct cli_live *live = NULL;
	if (r->rec.values[R_LIVE].i) {
		if (to_stdout || !isatty(STDERR_FILENO)) {
			free(cmdline);
			cli_stdout_back(kept);
			return cli_error("--live draws on a terminal: %s",
					 to_stdout ? "not with a recording to standard output"
						   : "standard error is not one");
		}
		char prog[256];
		live = cli_live_alloc(shown_program(&cfg, prog, sizeof(prog)));
		cfg.on_output = cli_live_output;
		cfg.output_ctx = live;
	}
	char *saved_preload = NULL;
	int preloaded =
		cfg.argv && !strcmp(r->tp->name, "inproc") && inproc_preload(&saved_preload) == 0;
	int err = hwt_record(&cfg, &res, r->why, sizeof(r->why));
	cli_live_free(live);
	if (preloaded) {
		if (saved_preload)
			setenv("LD_PRELOAD", saved_preload, 1);
		else
			unsetenv("LD_PRELOAD");
		free(saved_preload);
	}
	cli_stdout_back(kept);
	free(cmdline);
	if (err && res.running)
		waitpid(res.running, NULL, 0); /* never left behind, even by a failed recording */
	if (err)
		return cli_error("%s", r->why[0] ? r->why : hwt_errstr(err));
	/* Said with the summary: a bad input (a missing program too) stays one line. */
	if (r->auto_chose == 1 && strcmp(r->tp->name, "pt") && !quiet)
		fprintf(stderr,
			"hwtrace: -b auto chose sampling (no Intel PT here for every call at "
			"low cost; -b uprobe records every call exactly, a trap per call)\n");
	else if (r->auto_chose == 2 && !quiet)
		fprintf(stderr, "hwtrace: -b auto chose sampling%s\n",
			r->npids
				? " (-b uprobe -F FUNC records every call exactly, a trap per call)"
				: "");
	if (!quiet)
		cli_record_summary(&res, to_stdout ? "standard output" : output, loss_hint(r));
	int status = 0;
	if (ops) {
		snprintf(hwt_path, sizeof(hwt_path), "/proc/self/fd/%d", res.fd);
		status = cli_export_file(hwt_path, to_stdout ? "-" : output, ops,
					 r->rec.values[R_VIEW].s, NULL, NULL, NULL);
		close(res.fd);
	}
	/* Like perf: the program's status, 128 + the signal that killed it; one that --duration
	 * left running is waited for (it keeps the terminal, its status is ours). */
	int prog = res.end.signal	     ? 128 + res.end.signal
		   : res.end.exit_status > 0 ? res.end.exit_status & 0xff
					     : 0;
	if (res.running) {
		int ws = 0;
		if (!quiet)
			fprintf(stderr,
				"hwtrace: --duration is over: %s runs on unrecorded; waiting for "
				"it to end\n",
				argv[optind]);
		while (waitpid(res.running, &ws, 0) < 0 && errno == EINTR)
			;
		prog = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	}
	return status ? status : prog;
}

/* What to record: a program, processes (-p) or the system (-a, with or without a program). */
static int check_target(struct record *r, int argc)
{
	const char *pids = r->rec.values[R_PID].s;
	int all = (int)r->rec.values[R_ALL].i;

	if (pids && cli_parse_pids(pids, r->pids, MAX_PIDS, &r->npids))
		return 1;
	if (pids && optind < argc)
		return cli_error("-p records processes that run already: give no program with it "
				 "(or drop -p %s to start the program)",
				 pids);
	if (pids && all)
		return cli_error("-p and -a: choose one (-a records every process)");
	if (!pids && !all && optind >= argc)
		return cli_error("record: no program given: hwtrace record [options] -- PROG "
				 "[ARGS], or -p PID, or -a");
	if (all && optind >= argc && r->rec.values[R_PLUGIN].n)
		return cli_error("-P with -a needs a process to watch: -a -- PROG [ARGS]");
	return 0;
}

static void record_fini(struct record *r)
{
	hwt_options_fini(&r->rec);
	hwt_options_fini(&r->tracer);
	hwt_options_fini(&r->sampling);
	for (int i = 0; i < MAX_PLUGINS; i++) {
		hwt_options_fini(&r->plugins[i]);
		free(r->specs[i]);
	}
	free(r->given);
	free(r);
}

static int cmd_record(int argc, char **argv)
{
	struct record *r = calloc(1, sizeof(*r));
	const struct hwt_exporter_ops *ops = NULL;
	int status = 1;

	if (!r)
		return cli_error("out of memory");
	if (hwt_options_init(&r->rec, "record", record_options, R_NOPTIONS, r->why,
			     sizeof(r->why))) {
		cli_error("%s", r->why);
		goto out;
	}
	if (parse_argv(r, argc, argv))
		goto out;
	if (r->rec.values[R_HELP].i) {
		status = load_plugins(r) ? 1 : print_help(r);
		goto out;
	}
	if (check_target(r, argc))
		goto out;
	if (r->rec.values[R_PROJECT_ROOT].s &&
	    cli_project_root(r->rec.values[R_PROJECT_ROOT].s, 1, r->root, sizeof(r->root)))
		goto out;
	cli_redaction.off = (int)r->rec.values[R_NO_REDACT].i;

	if (cli_record_output(r->rec.values[R_OUTPUT].s, r->rec.values[R_FORMAT].s,
			      r->rec.values[R_VIEW].s, &ops))
		goto out;

	/* The tracer: its options are checked before it is probed, so a bad value is named
	 * even where the tracer cannot run; then the plugins. */
	if (record_choose_tracer(r) || record_tracer_options(r) || record_probe_tracer(r) ||
	    load_plugins(r))
		goto out;
	struct cli_record_view rv = {
		.tracer = r->tp,
		.tracer_values = r->tracer.values,
		.sampler = r->sp,
		.sampler_values = r->sampling.values,
		.nplugins = r->nplugins,
		.attached = r->npids || r->rec.values[R_ALL].i,
		.argv = optind < argc ? argv + optind : NULL,
	};
	if (ops && cli_record_check_view(r->rec.values[R_VIEW].s, &rv))
		goto out;
	status = run(r, argc, argv, ops);
out:
	record_fini(r);
	return status;
}

/* `hwtrace record`'s output: what it writes (a recording, an export), the views an export of the
 * recording will have, checked before the program runs; standard output kept aside while it runs;
 * the summary line. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/elfsym.h"
#include "core/host.h"
#include "core/options.h"
#include "core/record_output.h"
#include "core/target.h"
#include "cli.h"

/* The value of the option @name of plugin @p in @v; NULL if it has none. */
static const struct hwt_option_value *value_of(const struct hwt_plugin *p,
					       const struct hwt_option_value *v, const char *name)
{
	int k = p && v ? hwt_option_find(p->options, p->noptions, name) : -1;
	return k >= 0 ? &v[k] : NULL;
}

/* Whether @view is a weight of the samples @p (the sampling tracer, values @v) takes. */
static int sampled_weight(const char *view, const struct hwt_plugin *p,
			  const struct hwt_option_value *v)
{
	static const char *const clocks[] = { "samples", "cpu-time", "cpu-clock", "task-clock",
					      "cycles" };
	const struct hwt_option_value *ev = value_of(p, v, "event"),
				      *ctr = value_of(p, v, "counter");

	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		if (!strcmp(view, clocks[i]))
			return 1;
	if (ev && ev->s && !strcmp(ev->s, view))
		return 1;
	for (size_t i = 0; ctr && i < ctr->n; i++)
		if (!strcmp(ctr->list[i], view))
			return 1;
	return 0;
}

/* Whether a program of @argv may add counter tracks of its own (it uses libhwtrace). */
static int program_counters(char *const *argv)
{
	char path[4096];
	char why[256];

	if (!argv || !argv[0] || hwt_target_resolve(argv[0], path, sizeof(path), why, sizeof(why)))
		return 0;
	return hwt_elf_has_symbol(path, "hwt__", HWT_ELFSYM_PREFIX) != 0;
}

int cli_record_check_view(const char *view, const struct cli_record_view *rv)
{
	const char *tracer = rv->tracer->name;
	int exact = !strcmp(tracer, "uprobe") || !strcmp(tracer, "pt") || !strcmp(tracer, "inproc");
	const struct hwt_plugin *sp = !strcmp(tracer, "sample") ? rv->tracer : rv->sampler;
	const struct hwt_option_value *sv =
		sp == rv->tracer ? rv->tracer_values : rv->sampler_values;

	if (!view)
		return 0;
	if (!strcmp(view, "time") || !strcmp(view, "calls")) {
		if (exact)
			return 0;
		return cli_error("--view %s: -b %s records no calls, only samples: use -b uprobe "
				 "-F FUNC (or -b pt) for %s, or another view (samples, cpu-time)",
				 view, tracer, view);
	}
	if (sp && sampled_weight(view, sp, sv))
		return 0;
	if (!sp && (!strcmp(view, "samples") || !strcmp(view, "cpu-time")))
		return cli_error("--view %s: -b %s records no samples: add sampling beside it "
				 "(--freq HZ or -c N), or use --view time or calls",
				 view, tracer);
	/* A counter track may carry the name: the plugins' (-P), the program's own (libhwtrace),
	 * those of processes that run already; they are known once the recording is made. */
	if (rv->nplugins || rv->attached || program_counters(rv->argv))
		return 0;
	return cli_error("--view %s: the recording will have no such weight: use %s%s%s, an "
			 "event given with -e, or a counter track of a plugin given with -P",
			 view, sp ? "samples, cpu-time" : "time, calls", sp && exact ? ", " : "",
			 sp && exact ? "time, calls" : "");
}

int cli_record_output(const char *output, const char *format, const char *view,
		      const struct hwt_exporter_ops **ops)
{
	char why[PATH_MAX + 256];
	size_t n = strlen(output);

	*ops = NULL;
	if (!strcmp(output, "-")) {
		/* Standard output has no extension to tell the format. */
		if (!format)
			return cli_error("record -o -: name the format with -f (perfetto, chrome, "
					 "folded, pprof or svg): it is exported to standard output "
					 "when the program ends");
		*ops = cli_pick_format(format, NULL);
		return !*ops || cli_check_export(*ops, output, view);
	}
	int kind = hwt_rec_output_kind(output, why, sizeof(why));
	if (kind < 0)
		return cli_error("%s", why);
	int stream = kind == HWT_OUTPUT_DIRECT || cli_is_stdout(output);
	if (format || !((n >= 4 && !strcmp(output + n - 4, ".hwt")) ||
			(stream && !hwt_exporter_by_path(output)))) {
		*ops = cli_pick_format(format, output);
		return !*ops || cli_check_export(*ops, output, view);
	}
	if (view)
		return cli_error("--view %s: a view weights an export (folded, pprof, svg) and %s "
				 "is a recording, which keeps every view: give -o NAME.folded, "
				 ".pb.gz or .svg, or --view to `hwtrace export`",
				 view, output);
	return cli_binary_to_tty(output, "hwt");
}

int cli_stdout_aside(void)
{
	int fd;

	fflush(stdout);
	fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
		cli_error("-o -: cannot set standard output aside: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

void cli_stdout_back(int fd)
{
	if (fd < 0)
		return;
	fflush(stdout);
	dup2(fd, STDOUT_FILENO);
	close(fd);
}

void cli_record_summary(const struct hwt_record_result *res, const char *where,
			const char *loss_hint)
{
	fprintf(stderr, "hwtrace: recorded %.1f KiB in %s", res->file_bytes / 1024.0, where);
	if (res->end.samples)
		fprintf(stderr, " (%llu samples)", (unsigned long long)res->end.samples);
	if (res->end.lost)
		fprintf(stderr, ", %llu records LOST (%s)", (unsigned long long)res->end.lost,
			loss_hint);
	if (res->end.signal)
		fprintf(stderr, "; the program was killed by signal %d (%s)", res->end.signal,
			strsignal(res->end.signal));
	fputc('\n', stderr);
}

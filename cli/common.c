/* Helpers shared by the subcommands: one-line errors, format choice, safe export to a file. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/record_output.h"
#include "core/store.h"
#include "exporters/compensate.h"
#include "decoders/decode.h"
#include "exporters/filter.h"
#include "exporters/tags.h"
#include "cli.h"
#include "progress.h"

int cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("hwtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_nocalls(const char *trace, const char *view)
{
	return cli_error("'%s' has no traced calls: view '%s' needs a recording made with "
			 "-b uprobe or -b pt",
			 trace, view);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("hwtrace: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_warn_damaged(const char *trace, const struct hwt_store_status *st, const char *done, ...)
{
	va_list ap;

	if (!st->error)
		return;
	fprintf(stderr, "hwtrace: warning: '%s' is %s at byte %llu (%s); ", trace,
		st->error == HWT_E_TRUNCATED ? "truncated" : "corrupt",
		(unsigned long long)st->bad_offset, st->why);
	va_start(ap, done);
	vfprintf(stderr, done, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_help(const struct cli_command *c)
{
	printf("usage: hwtrace %s\n\n%s", c->usage, c->help);
	return 0;
}

int cli_bad_option(const struct cli_command *c, int code, int argc, char **argv)
{
	char opt[64];

	/* A long option is the word just parsed; getopt leaves a short one in optopt. */
	const char *last = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	if (!strncmp(last, "--", 2) || !optopt)
		snprintf(opt, sizeof(opt), "%.*s", (int)strcspn(last, "="), last);
	else
		snprintf(opt, sizeof(opt), "-%c", optopt);
	if (code == ':')
		return cli_error("%s: option %s needs a value (see hwtrace %s --help)", c->name,
				 opt, c->name);
	return cli_error("%s: unknown option %s (see hwtrace %s --help)", c->name, opt, c->name);
}

static void list_formats(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (const struct hwt_exporter_ops *const *e = hwt_exporters; *e && off < len; e++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s)",
					e == hwt_exporters ? "" : ", ", (*e)->name, (*e)->exts);
}

const struct hwt_exporter_ops *cli_pick_format(const char *fmt, const char *path)
{
	const struct hwt_exporter_ops *ops;
	char formats[512];

	list_formats(formats, sizeof(formats));
	if (fmt) {
		ops = hwt_exporter_by_name(fmt);
		if (!ops)
			cli_error("unknown format '%s': use one of %s", fmt, formats);
		return ops;
	}
	ops = hwt_exporter_by_path(path);
	if (!ops)
		cli_error("cannot tell the format of '%s' from its extension: use one of %s, .hwt "
			  "for a recording, or -f FORMAT",
			  path, formats);
	return ops;
}

int cli_check_output(const char *path)
{
	char why[PATH_MAX + 256];

	if (hwt_rec_output_kind(path, why, sizeof(why)) < 0)
		return cli_error("%s", why);
	return 0;
}

int cli_is_stdout(const char *path)
{
	struct stat a, b;

	if (!strcmp(path, "-"))
		return 1;
	return !stat(path, &a) && !fstat(STDOUT_FILENO, &b) && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int cli_same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_binary_to_tty(const char *out, const char *format)
{
	int tty = 0;

	if (cli_is_stdout(out)) {
		tty = isatty(STDOUT_FILENO);
	} else {
		struct stat st;
		int fd = stat(out, &st) || !S_ISCHR(st.st_mode)
				 ? -1
				 : open(out, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
		tty = fd >= 0 && isatty(fd);
		if (fd >= 0)
			close(fd);
	}
	if (!tty ||
	    (strcmp(format, "hwt") && strcmp(format, "perfetto") && strcmp(format, "pprof")))
		return 0;
	return cli_error("-o %s: %s is binary and %s is a terminal: redirect it, or give -o FILE",
			 out, strcmp(format, "hwt") ? format : "a recording (.hwt)",
			 strcmp(out, "-") ? out : "standard output");
}

int cli_check_export(const struct hwt_exporter_ops *ops, const char *out, const char *view)
{
	size_t n = strlen(out);
	char ext[32] = "";

	sscanf(ops->exts, "%31s", ext);
	if (n >= 4 && !strcmp(out + n - 4, ".hwt"))
		return cli_error("-o %s: a .hwt name is for recordings, not %s output: name it "
				 "%.*s%s, or drop -f to write a recording",
				 out, ops->name, (int)(n - 4), out, ext);
	if (view && strcmp(ops->name, "folded") && strcmp(ops->name, "pprof") &&
	    strcmp(ops->name, "svg"))
		return cli_error("--view %s: %s output has no views (they weight folded, pprof and "
				 "svg output): drop --view, or use -f folded, pprof or svg",
				 view, ops->name);
	return cli_binary_to_tty(out, ops->name);
}

int cli_filter_parse(const char *tids, const char *window, struct hwt_filter_config *cfg,
		     uint32_t **tidv)
{
	char why[256];

	hwt_filter_config_init(cfg);
	*tidv = NULL;
	if ((tids && hwt_filter_parse_tids(tids, tidv, &cfg->ntids, why, sizeof(why))) ||
	    (window && hwt_filter_parse_time(window, cfg, why, sizeof(why)))) {
		free(*tidv);
		*tidv = NULL;
		cli_error("%s", why);
		return -1;
	}
	cfg->tids = *tidv;
	return tids || window;
}

/* A stream on the export's output @out, opened into @o; NULL after saying why. Without a name
 * until it is whole (a device or a FIFO: in place): an export killed midway leaves nothing. */
static FILE *open_export(const char *out, struct hwt_rec_output *o)
{
	char why[PATH_MAX + 256] = "";
	int fd = hwt_rec_output_open(o, out, 0, why, sizeof(why));
	FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;

	if (!f) {
		if (fd >= 0) {
			close(fd);
			hwt_rec_output_drop(o);
		}
		cli_error("%s", why[0] ? why : strerror(errno));
	}
	return f;
}

FILE *cli_open_output(const char *out, struct hwt_rec_output *o)
{
	return open_export(out, o);
}

int cli_tags_option(const struct cli_command *c, struct cli_tags *t, int opt, const char *arg,
		    int argc, char **argv)
{
	char why[512];
	int rc;

	if (opt == CLI_OPT_BY) {
		if (strcmp(arg, "tag"))
			return cli_error("--by %s: the only grouping is --by tag", arg);
		t->by_tag = 1;
		return 0;
	}
	if (opt != CLI_OPT_TAG_RULE && opt != CLI_OPT_TAG_RULES)
		return cli_bad_option(c, opt, argc, argv);
	if (!t->rules && !(t->rules = hwt_tag_rules_alloc()))
		return cli_error("out of memory");
	rc = opt == CLI_OPT_TAG_RULE ? hwt_tag_rules_add(t->rules, arg, why, sizeof(why))
				     : hwt_tag_rules_load(t->rules, arg, why, sizeof(why));
	if (rc == HWT_E_NOMEM)
		return cli_error("out of memory");
	if (rc < 0)
		return cli_error("%s", why);
	if (opt == CLI_OPT_TAG_RULES && !rc)
		return cli_error("--tag-rules %s: the file has no rule", arg);
	return 0;
}

int cli_parse_top(const struct cli_command *c, const char *arg, long *top)
{
	char *end;

	errno = 0;
	*top = strtol(arg, &end, 10);
	if (*end || end == arg || errno || *top < 0 || *top > UINT32_MAX)
		return cli_error("%s: -n %s: give a count, 0 for all", c->name, arg);
	return 0;
}

int cli_tags_rules(const struct cli_tags *t, const struct hwt_tag_rules **rules)
{
	*rules = NULL;
	if (t->by_tag && !t->rules)
		return cli_error(
			"--by tag: give the rules (--tag-rule TAG=REGEX, --tag-rules FILE)");
	if (!t->by_tag && t->rules)
		return cli_error("tag rules given without --by tag: add --by tag to see stacks by "
				 "tag");
	*rules = t->by_tag ? t->rules : NULL;
	return 0;
}

void cli_tags_fini(struct cli_tags *t)
{
	hwt_tag_rules_free(t->rules);
	t->rules = NULL;
}

/* Hands what the filter keeps to the exporter, by tag when a tagger is given. */
struct to_exporter {
	const struct hwt_exporter_ops *ops;
	struct hwt_exporter *e;
	struct hwt_tagger *tg;
};

static int to_exporter(void *ctx, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct to_exporter *x = ctx;
	struct hwt_event tagged;

	if (x->tg) {
		int err = hwt_tagger_event(x->tg, ev, &tagged);
		if (err < 0)
			return err;
		ev = &tagged;
	}
	return x->ops->event(x->e, m, ev);
}

int cli_export_file(const char *trace, const char *out, const struct hwt_exporter_ops *ops,
		    const char *view, const struct hwt_filter_config *filter,
		    const struct hwt_probe_costs *compensate, const struct hwt_tag_rules *tags)
{
	struct hwt_model *m = cli_model_alloc();
	struct hwt_decoder_config dcfg;
	struct hwt_decoder *d = NULL;
	struct hwt_exporter *e = NULL;
	char why[512] = "";
	struct hwt_rec_output o = { .keep_fd = -1 };
	FILE *f = NULL;
	int err = 0, status = 1;
	uint64_t nevents = 0;

	int to_stdout = cli_is_stdout(out);
	struct hwt_filter *flt = filter ? hwt_filter_alloc(filter) : NULL;
	struct to_exporter x = { ops, NULL, m && tags ? hwt_tagger_alloc(tags, m) : NULL };

	if (!m || (filter && !flt) || (tags && !x.tg)) {
		hwt_tagger_free(x.tg);
		hwt_model_free(m);
		hwt_filter_free(flt);
		return cli_error("out of memory");
	}
	if (!to_stdout && cli_check_output(out))
		goto out;
	if (!to_stdout && cli_same_file(trace, out)) {
		cli_error("-o %s is the recording being exported: give another output name", out);
		goto out;
	}
	hwt_decoder_config_init(&dcfg);
	dcfg.threads = cli_decode_threads;
	dcfg.sources = hwt_tag_rules_need_sources(tags);
	d = hwt_decoder_open(trace, m, &dcfg, &err, why, sizeof(why));
	if (!d) {
		cli_error("%s", why);
		goto out;
	}
	f = to_stdout ? stdout : open_export(out, &o);
	if (!f)
		goto out;
	struct hwt_export_config ecfg;
	hwt_export_config_init(&ecfg);
	ecfg.out = f;
	ecfg.view = view;
	ecfg.compensate = compensate;
	e = ops->create(&ecfg, m, &err, why, sizeof(why));
	if (!e) {
		cli_error("%s", why[0] ? why : hwt_errstr(err));
		goto out;
	}
	const struct hwt_event *evs;
	int n;
	struct cli_progress prog;
	cli_progress_start(&prog, d, "exporting", trace);
	x.e = e;
	/* Nothing between the decoder and the exporter: whole batches, where it takes them. */
	int batches = !flt && !x.tg && hwt_exporter_has_events(ops);
	while ((err = n = hwt_decoder_batch(d, &evs)) > 0) {
		if (batches) {
			err = ops->events(e, m, evs, (size_t)n);
			nevents += (uint64_t)n;
		}
		for (int i = 0; !batches && i < n && err >= 0; i++, nevents++)
			err = flt ? hwt_filter_event(flt, m, &evs[i], to_exporter, &x)
				  : to_exporter(&x, m, &evs[i]);
		if (err < 0)
			break;
		cli_progress_tick(&prog, (uint64_t)n);
	}
	cli_progress_end(&prog);
	if (err >= 0 && flt)
		err = hwt_filter_finish(flt, m, to_exporter, &x);
	if (err < 0) {
		cli_error("exporting '%s' failed: %s", trace, hwt_errstr(err));
		goto out;
	}
	const struct hwt_store_status *st = hwt_decoder_store_status(d);
	if (st->error && !nevents) {
		cli_error("'%s' has no readable events: %s at byte %llu", trace, st->why,
			  (unsigned long long)st->bad_offset);
		goto out;
	}
	if (flt && hwt_filter_unseen_tid(flt)) {
		cli_error("--tid: '%s' has no thread %u: `hwtrace inspect` lists them", trace,
			  hwt_filter_unseen_tid(flt));
		goto out;
	}
	err = ops->finish(e, m);
	if (err == HWT_E_NOCALLS) {
		cli_nocalls(trace, view);
		goto out;
	}
	if (err < 0) {
		cli_error("exporting '%s' failed: %s", trace, why[0] ? why : hwt_errstr(err));
		goto out;
	}
	if (fflush(f) || ferror(f)) {
		cli_error("cannot write '%s': %s", out, strerror(errno));
		goto out;
	}
	cli_warn_damaged(trace, st, "exported the %llu events before it",
			 (unsigned long long)nevents);
	status = 0;
out:
	if (e)
		ops->destroy(e);
	if (f == stdout) {
		if (fflush(f) && !status)
			status = cli_error("cannot write to standard output: %s", strerror(errno));
	} else if (f) {
		if (fflush(f) && !status)
			status = cli_error("cannot write '%s': %s", out, strerror(errno));
		why[0] = 0;
		if (!status && hwt_rec_output_name(&o, why, sizeof(why)))
			status = cli_error("%s", why);
		if (fclose(f) && !status)
			status = cli_error("cannot write '%s': %s", out, strerror(errno));
		if (status)
			hwt_rec_output_drop(&o);
	}
	hwt_decoder_close(d);
	hwt_tagger_free(x.tg);
	hwt_model_free(m);
	hwt_filter_free(flt);
	return status;
}

int cli_parse_pids(const char *text, int *pids, int max, int *n)
{
	char *copy = strdup(text), *next = copy;

	*n = 0;
	if (!copy)
		return cli_error("out of memory");
	for (char *t; (t = strsep(&next, ","));) {
		char *end;
		errno = 0;
		long v = strtol(t, &end, 10);
		if (*end || end == t || v <= 0 || v > 0x3fffffff || errno) {
			cli_error("-p %s: '%s' is not a process id: give pids, e.g. -p 1234 or "
				  "-p 1234,5678",
				  text, t);
			free(copy);
			return 1;
		}
		if (*n == max) {
			free(copy);
			return cli_error("-p %s: at most %d processes", text, max);
		}
		pids[(*n)++] = (int)v;
	}
	free(copy);
	return 0;
}

int cli_probe_costs(const char *trace, struct hwt_probe_costs *c, char *desc, size_t len)
{
	char why[512];
	int err = 0;
	struct hwt_store_reader *r = hwt_store_reader_open(trace, &err);
	struct hwt_model *m = r ? hwt_model_alloc() : NULL;
	uint32_t type;
	const void *data;
	size_t n;

	if (!r)
		return cli_error("cannot read '%s': %s", trace, hwt_errstr(err));
	if (!m) {
		hwt_store_reader_close(r);
		return cli_error("out of memory");
	}
	/* Only the metadata: a damaged chunk ends the look as it ends the decoding. */
	while ((err = hwt_store_read(r, &type, &data, &n)) > 0) {
		const char *k = data, *v = type == HWT_CHUNK_META ? memchr(data, 0, n) : NULL;
		if (v && memchr(v + 1, 0, n - (size_t)(v + 1 - k)))
			err = hwt_model_set_meta(m, k, v + 1);
		if (err < 0)
			break;
	}
	hwt_store_reader_close(r);
	if (err >= 0)
		err = hwt_probe_costs_from_model(m, c, why, sizeof(why));
	hwt_model_free(m);
	if (err < 0)
		return cli_error("--compensate: '%s': %s", trace,
				 err == HWT_E_NOMEM ? "out of memory" : why);
	if (desc && len)
		snprintf(desc, len, "%s", why);
	return 0;
}

struct cli_redaction cli_redaction;

int cli_project_root(const char *arg, int must_exist, char *out, size_t len)
{
	char *real = realpath(arg, NULL);
	struct stat st;

	if (real && (stat(real, &st) || !S_ISDIR(st.st_mode))) {
		free(real);
		return cli_error("--project-root %s: not a directory: give the directory paths "
				 "are to be shown relative to",
				 arg);
	}
	if (!real && (must_exist || arg[0] != '/'))
		return cli_error("--project-root %s: %s: give an existing directory%s", arg,
				 strerror(errno), must_exist ? "" : " or an absolute path");
	snprintf(out, len, "%s", real ? real : arg);
	free(real);
	return 0;
}

int cli_redact_option(int opt, const char *arg)
{
	if (opt == CLI_OPT_NO_REDACT) {
		cli_redaction.off = 1;
		return 0;
	}
	return cli_project_root(arg, 0, cli_redaction.root, sizeof(cli_redaction.root));
}

struct hwt_model *cli_model_alloc(void)
{
	struct hwt_model *m = hwt_model_alloc();

	if (m && hwt_model_set_redaction(m, !cli_redaction.off,
					 cli_redaction.root[0] ? cli_redaction.root : NULL)) {
		hwt_model_free(m);
		return NULL;
	}
	return m;
}

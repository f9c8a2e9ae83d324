/* Shared pieces of the command-line front end: the command table and helpers every command uses. */
#ifndef HWT_CLI_H
#define HWT_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exporters/exporter.h"

/** One subcommand. */
struct cli_command {
	const char *name;
	const char *usage; /* first line of --help */
	const char *help;  /* the rest of --help */
	int (*exec)(int argc, char **argv);
};

extern const struct cli_command cli_record, cli_export, cli_report, cli_inspect, cli_info, cli_list,
	cli_import, cli_diff;

/** `hwtrace list PROG`'s lines on -b inproc: functions the patcher takes and refuses, by
 *  reason, in the file @path; nothing when it cannot be read. */
void list_inproc(const char *path);

/** Prints "hwtrace: MESSAGE" on stderr; returns 1 (the exit status for bad input). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints "hwtrace: warning: MESSAGE" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
struct hwt_store_status;
/** When reading @trace stopped at damage (@st->error), warns in one line where and why, then what
 *  the command made of the part before it (@done, a printf format: "reported what comes before
 *  it"). Nothing otherwise. */
void cli_warn_damaged(const char *trace, const struct hwt_store_status *st, const char *done, ...)
	__attribute__((format(printf, 3, 4)));
/** The error for a time or calls view of @trace, which traced no call (HWT_E_NOCALLS); 1. */
int cli_nocalls(const char *trace, const char *view);

/** Prints @c's help on stdout; returns 0. */
int cli_help(const struct cli_command *c);

/** Reports what getopt returned @code (':' missing value, '?' unknown option) for, in one line;
 *  returns 1. Option strings must start with ':' (after any '+'). */
int cli_bad_option(const struct cli_command *c, int code, int argc, char **argv);

/** Picks the exporter for @fmt (a name) or else @path's extension. On failure prints one line
 *  listing the formats and returns NULL. */
const struct hwt_exporter_ops *cli_pick_format(const char *fmt, const char *path);

struct hwt_filter_config;
struct hwt_tag_rules;

/** Sets @cfg from --tid @tids and --time @window (each NULL when not given); *@tidv gets the
 *  thread ids (free() it). Returns 1 when either was given, 0 when neither, -1 after saying
 *  what is wrong in one line. */
int cli_filter_parse(const char *tids, const char *window, struct hwt_filter_config *cfg,
		     uint32_t **tidv);

/** Exports the recording @trace to @out with @ops and @view, the events cut by @filter (NULL:
 *  all): written to a temporary file (mode 0600) and renamed, so a failure leaves nothing
 *  behind; "-" or the path of standard output writes to standard output, a device or a FIFO
 *  is written in place (hwt_rec_output_open()); never over @trace itself. Prints errors and
 *  warnings; returns the exit status. @compensate (NULL: none) is the probe cost the aggregated
 *  views take out of call times (cli_probe_costs()). */
int cli_export_file(const char *trace, const char *out, const struct hwt_exporter_ops *ops,
		    const char *view, const struct hwt_filter_config *filter,
		    const struct hwt_probe_costs *compensate, const struct hwt_tag_rules *tags);

/** The tag options export, report and diff take: --tag-rule [KIND:]TAG=REGEX (repeatable, in
 *  order), --tag-rules FILE, --by tag (views by chains of tags, exporters/tags.h). */
struct cli_tags {
	struct hwt_tag_rules *rules; /* NULL until a rule is given */
	int by_tag;
};
enum { CLI_OPT_TAG_RULE = 0x100, CLI_OPT_TAG_RULES, CLI_OPT_BY };
#define CLI_TAG_OPTIONS                                                      \
	{ "tag-rule", required_argument, NULL, CLI_OPT_TAG_RULE },           \
		{ "tag-rules", required_argument, NULL, CLI_OPT_TAG_RULES }, \
	{                                                                    \
		"by", required_argument, NULL, CLI_OPT_BY                    \
	}
#define CLI_TAG_HELP                                                                       \
	"      --by tag        stacks as chains of tags: each frame gets the tag of the\n" \
	"                      first rule that matches it, frames no rule matches are\n"   \
	"                      left out, a tag repeated next to itself counts once\n"      \
	"      --tag-rule [KIND:]TAG=REGEX  a rule (repeatable, tried in order): KIND\n"   \
	"                      function (default), library (the file's path as shown),\n"  \
	"                      file (the function's source file, from DWARF, as shown:\n"  \
	"                      relative to the project root) or thread\n"                  \
	"                      (its name: the tag at the root of its stacks); REGEX a\n"   \
	"                      POSIX extended expression found anywhere in the name\n"     \
	"      --tag-rules FILE  rules, one a line (# comments), after those given before\n"

/** What getopt returned (@opt, with @arg) that command @c's own options did not take: a tag
 *  option (CLI_OPT_*) goes into @t. Returns 0 when it was taken, else the exit status after
 *  saying what is wrong in one line (a bad tag rule, an unknown or incomplete option). */
int cli_tags_option(const struct cli_command *c, struct cli_tags *t, int opt, const char *arg,
		    int argc, char **argv);

/** How this run's outputs show paths (core/redact.h): --no-redact, --project-root DIR. */
struct cli_redaction {
	int off;	 /* --no-redact: paths as recorded */
	char root[4096]; /* --project-root, absolute; "": the recording's own */
};
extern struct cli_redaction cli_redaction;
enum { CLI_OPT_PROJECT_ROOT = 0x110, CLI_OPT_NO_REDACT };
#define CLI_REDACT_OPTIONS                                                 \
	{ "project-root", required_argument, NULL, CLI_OPT_PROJECT_ROOT }, \
	{                                                                  \
		"no-redact", no_argument, NULL, CLI_OPT_NO_REDACT          \
	}
#define CLI_REDACT_HELP                                                                         \
	"      --project-root DIR  show paths under DIR relative to it, others as buckets\n"    \
	"                      (external/tmp, external/usr/libc.so.6); default: the\n"          \
	"                      directory the recording was made from (or its --project-root)\n" \
	"      --no-redact     show paths, the command line and a recorded environment as\n"    \
	"                      recorded\n"

/** --project-root @arg into @out (@len bytes): the directory's real path; with @must_exist 0
 *  a directory that is not here (the recording's machine had it) is taken as given when
 *  absolute. Returns 0, or 1 after saying what is wrong in one line. */
int cli_project_root(const char *arg, int must_exist, char *out, size_t len);

/** Takes the redaction option @opt (CLI_OPT_PROJECT_ROOT, CLI_OPT_NO_REDACT) with @arg into
 *  cli_redaction. Returns 0, or 1 after saying what is wrong in one line. */
int cli_redact_option(int opt, const char *arg);

/** A new model (hwt_model_alloc()) that shows paths as cli_redaction says; NULL when out of
 *  memory. */
struct hwt_model *cli_model_alloc(void);

/** -n @arg of command @c as a count into *@top (0: all). 0, or 1 after saying what is wrong. */
int cli_parse_top(const struct cli_command *c, const char *arg, long *top);
/** The rules to apply: NULL without --by tag; 0 into *@rules, or 1 after saying what is
 *  missing (--by tag without rules, rules without --by tag). */
int cli_tags_rules(const struct cli_tags *t, const struct hwt_tag_rules **rules);
/** Frees what @t holds. */
void cli_tags_fini(struct cli_tags *t);

struct hwt_probe_costs;

/** --compensate: the probe costs of @trace into @c, from its metadata wherever it lies in the
 *  file (the recorder writes it at the end). Returns 0, or prints one line saying why not (no
 *  measured cost: which backends measure it) and returns 1. With @desc (@len bytes), what will
 *  be subtracted, for a header line. */
int cli_probe_costs(const char *trace, struct hwt_probe_costs *c, char *desc, size_t len);

/** Checks that @path can be written as an output (hwt_rec_output_kind(): not a directory, in a
 *  directory that exists and is writable; a device or FIFO is written in place). Prints the
 *  error and returns 1 if not. */
int cli_check_output(const char *path);

struct hwt_rec_output;

/** A stream on the output file @out (borrowed), opened into @o (hwt_rec_output_open(): without
 *  a name until hwt_rec_output_name(), so a failure leaves nothing behind; a device or a FIFO
 *  is written in place). NULL after saying why in one line. */
FILE *cli_open_output(const char *out, struct hwt_rec_output *o);

/** Whether @path is "-" or names the file open as standard output (-o /dev/stdout). */
int cli_is_stdout(const char *path);

/** Whether @a and @b both exist and are the same file. */
int cli_same_file(const char *a, const char *b);

/** Prints the error and returns 1 when @out ("-" for standard output) is a terminal and
 *  @format ("hwt" for a recording) binary; else 0. */
int cli_binary_to_tty(const char *out, const char *format);

/** Checks an export of format @ops to @out with @view (NULL: the default) before any work: no
 *  .hwt name for an export, no view for a format without views, no binary format onto a
 *  terminal. Prints the error and returns 1; else 0. */
int cli_check_export(const struct hwt_exporter_ops *ops, const char *out, const char *view);

/** Reads "-p" @text, PID[,PID...], into @pids (room for @max), their count into *@n. Prints the
 *  error (an item that is not a positive number, more than @max) and returns 1; else 0. */
int cli_parse_pids(const char *text, int *pids, int max, int *n);

struct hwt_plugin;
struct hwt_option_value;
struct hwt_record_result;

/** What `hwtrace record` will record, for checking an export's view before it runs. */
struct cli_record_view {
	const struct hwt_plugin *tracer; /* the backend */
	const struct hwt_option_value *tracer_values;
	const struct hwt_plugin *sampler; /* sampling beside it, NULL if none */
	const struct hwt_option_value *sampler_values;
	int nplugins;	   /* -P plugins: their counter tracks are known only once they run */
	int attached;	   /* -p or -a: what runs already may add counter tracks */
	char *const *argv; /* the program, NULL if none */
};

/** Chooses what `hwtrace record -o @output [-f @format] [--view @view]` writes: the recording
 *  itself (*@ops NULL: a .hwt name; a device, a FIFO or standard output named by a path, such
 *  as /dev/stdout, that neither -f nor an extension gives a format), or an export of it in the
 *  format *@ops. Prints the error (an unknown format, a view with no export or with a format
 *  without views, a binary format onto a terminal, an output that cannot be written) and
 *  returns 1; else 0. */
int cli_record_output(const char *output, const char *format, const char *view,
		      const struct hwt_exporter_ops **ops);

/** Checks that an export of what @rv records can have the view @view (NULL: the default) before
 *  anything runs: time and calls need traced calls, samples and cpu-time sampling, a sampled
 *  event's name that -e or --sample-event gives it; another name must be able to come from a
 *  counter track (-P plugins, a program using libhwtrace, -p, -a). Prints the error and returns
 *  1; else 0. */
int cli_record_check_view(const char *view, const struct cli_record_view *rv);

/** record -o -: standard output is kept aside for the export and, until the recording ends, is
 *  standard error, which the program inherits, as perf record -o - does: its output never mixes
 *  into the export. Returns the kept descriptor, or -1 with the error said. */
int cli_stdout_aside(void);

/** Gives standard output back its descriptor @fd (from cli_stdout_aside(), -1: nothing). */
void cli_stdout_back(int fd);

/** Prints the summary line of a recording written to @where; @loss_hint says what to change
 *  when records were lost. */
void cli_record_summary(const struct hwt_record_result *res, const char *where,
			const char *loss_hint);

#endif

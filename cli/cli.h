/* Shared pieces of the command-line front end: the command table and helpers every command uses. */
#ifndef HWT_CLI_H
#define HWT_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "exporters/exporter.h"

/** One subcommand. */
struct cli_command {
	const char *name;
	const char *usage; /* first line of --help */
	const char *help;  /* the rest of --help */
	int (*exec)(int argc, char **argv);
};

extern const struct cli_command cli_record, cli_export, cli_report, cli_inspect, cli_info, cli_list,
	cli_import;

/** Prints "hwtrace: MESSAGE" on stderr; returns 1 (the exit status for bad input). */
int cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/** Prints "hwtrace: warning: MESSAGE" on stderr. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
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

/** Sets @cfg from --tid @tids and --time @window (each NULL when not given); *@tidv gets the
 *  thread ids (free() it). Returns 1 when either was given, 0 when neither, -1 after saying
 *  what is wrong in one line. */
int cli_filter_parse(const char *tids, const char *window, struct hwt_filter_config *cfg,
		     uint32_t **tidv);

/** Exports the recording @trace to @out with @ops and @view, the events cut by @filter (NULL:
 *  all): written to a temporary file and renamed, so a failure leaves nothing behind. Prints
 *  errors and warnings; returns the exit status. */
int cli_export_file(const char *trace, const char *out, const struct hwt_exporter_ops *ops,
		    const char *view, const struct hwt_filter_config *filter);

/** Checks that @path can be created as a file (not a directory, directory exists). Prints the
 *  error and returns 1 if not. */
int cli_check_output(const char *path);

#endif

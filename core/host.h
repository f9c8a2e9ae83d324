/* The recording host: runs the target under the chosen plugins and writes the .hwt. */
#ifndef HWT_CORE_HOST_H
#define HWT_CORE_HOST_H

#include <stddef.h>
#include <stdint.h>

#include <hwtrace/plugin.h>

#include "core/format/records.h"

/** Built-in plugins, NULL-terminated. */
extern const struct hwt_plugin *const hwt_builtin_plugins[];

/** The built-in plugin called @name, NULL if none. */
const struct hwt_plugin *hwt_plugin_by_name(const char *name);

/** Loads an external plugin from the file @path, which must contain a slash ("./x.so", an
 *  absolute path: a bare name would make dlopen() search the library path): its dynamic symbol
 *  table must define HWT_PLUGIN_ENTRY before it is loaded (no constructor of a file that is no
 *  plugin runs), then dlopen, entry called, ABI checked. Returns NULL with @why filled. The
 *  library stays loaded for the life of the process. */
const struct hwt_plugin *hwt_plugin_load(const char *path, char *why, size_t whylen);

/** A plugin to run and the values of its options. */
struct hwt_plugin_use {
	const struct hwt_plugin *plugin;       /* borrowed */
	const struct hwt_option_value *values; /* borrowed until hwt_record() returns: indexed
						* like plugin->options, checked against them
						* (core/options.h); NULL if it has none */
};

/** What to record; hwt_record_config_init() gives the defaults. */
struct hwt_record_config {
	const char *output; /* borrowed: the .hwt to write; with @anonymous, the file it is exported
			     * to ("-": standard output), for its folder and for messages */
	int output_fd; /* borrowed: else write the recording in place to this descriptor (standard
			* output), named @output in messages; -1 (the default): create @output */
	char *const *argv;		      /* borrowed: program and arguments */
	const struct hwt_plugin_use *plugins; /* borrowed: the tracer first */
	int nplugins;
	size_t ring_bytes; /* data bytes per CPU ring, a power of two */
	int ring_fixed;	   /* @ring_bytes is the user's: not shrunk to the locked-memory limit */
	size_t api_ring_bytes;	  /* per thread ring of the in-program API's area (libhwtrace, the
				   * inproc runtime), a power of two; 0: its default */
	const char *cmdline;	  /* borrowed: the hwtrace command line, for metadata (the program's
				   * arguments left out unless @record_args) */
	const char *project_root; /* borrowed: the directory outputs show paths relative to (an
				   * absolute path); NULL: the working directory */
	int record_args;	  /* keep the program's arguments in the metadata ("command") */
	int record_env;		  /* keep the environment in the metadata ("environment") */
	int quiet;		  /* notes go to the recording only, not to the note function */
	const int *pids;	  /* borrowed: attach to these running processes (-p) instead of
				   * launching @argv (NULL then); the recording ends when all are gone */
	int npids;
	int system_wide;      /* -a: every process on every CPU, with or without @argv */
	uint64_t duration_ns; /* stop recording after this long (0: when the target ends); a
			       * launched program then runs on (see hwt_record_result.running) */
	int anonymous;	      /* the recording never gets a name (a scratch for an export): it is
			       * in hwt_record_result.fd, gone with it */
	/* Called once the recording's file is open, with its descriptor (readable through
	 * /proc/self/fd/FD while it is written, e.g. by a live view); may be NULL. Not for a
	 * recording written in place to standard output. */
	void (*on_output)(void *ctx, int fd);
	void *output_ctx;
};

void hwt_record_config_init(struct hwt_record_config *cfg);

/** What happened. */
struct hwt_record_result {
	struct hwt_end_rec end;
	uint64_t file_bytes;
	int ndisabled; /* plugins that failed and were disabled */
	int running;   /* the launched program still runs (--duration ended the recording
			* first): the caller's child, to wait for; 0 if none */
	int fd;	       /* with hwt_record_config.anonymous, the recording (read it through
			* /proc/self/fd/FD; transferred: the caller closes it); else -1 */
};

/** Receives a note of a recording (hwt_host_note(): a plugin disabled, what was attached...) as
 *  it is made, on the recording thread; @msg (one line, no newline) is borrowed for the call. */
typedef void (*hwt_note_fn)(void *ctx, const char *msg);

/** Sets where the notes of recordings that are not quiet go as they are made, besides the
 *  recording itself (where `hwtrace info` shows them): the CLI prints them. Process-wide; NULL,
 *  the default, keeps them in the recording only. Set it before recording. */
void hwt_record_set_note_fn(hwt_note_fn fn, void *ctx);

/** Records @cfg->argv, the processes @cfg->pids or the whole system into @cfg->output. Returns
 *  0, or a negative error with @why filled (one line saying what is wrong and how to fix it);
 *  then no output file is left behind, except after a write error (ENOSPC...) once the recording
 *  had its name: it is kept, cut back to its last whole chunk, with its end chunk if that fits.
 *  The output has no name until its events are written: a recorder killed before that, at any
 *  moment, leaves no file (O_TMPFILE; where the file system lacks it, a temporary name beside the
 *  output, removed on every failure but SIGKILL's). A launched program is stopped when the
 *  recording fails while it runs (SIGINT, then SIGKILL); processes attached to run on. */
int hwt_record(const struct hwt_record_config *cfg, struct hwt_record_result *res, char *why,
	       size_t whylen);

/** The host of a recording in progress, created by hwt_record(); exposed for probes (`list`)
 *  that need a host but record nothing. */
struct hwt_host *hwt_host_alloc_probe(void);
void hwt_host_free(struct hwt_host *h);

#endif

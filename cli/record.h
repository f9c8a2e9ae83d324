/* `hwtrace record`'s state, shared by cli/record.c (the command line, running) and
 * cli/record_tracer.c (which tracer records, and with which options). Private to those. */
#ifndef HWT_CLI_RECORD_H
#define HWT_CLI_RECORD_H

#include <getopt.h>

#include "core/host.h"
#include "core/options.h"

#define MAX_PLUGINS 16
#define SAMPLER	    "sample" /* the tracer that samples beside the others */
#define MAX_FLAGS   64
#define LONG_ONLY   256 /* getopt codes of flags without a short form: LONG_ONLY + index */

enum {
	R_OUTPUT,
	R_BACKEND,
	R_PLUGIN,
	R_FORMAT,
	R_VIEW,
	R_PID,
	R_ALL,
	R_DURATION,
	R_QUIET,
	R_LIVE,
	R_PROJECT_ROOT,
	R_RECORD_ARGS,
	R_RECORD_ENV,
	R_NO_REDACT,
	R_HELP,
	R_NOPTIONS
};

#define MAX_PIDS 64

/** record's own options, indexed by the R_ values. */
extern const struct hwt_option record_options[R_NOPTIONS];

/* A flag of the command line, declared by record_options or by built-in tracers. */
struct flag {
	char c;		  /* short form, 0 if none */
	const char *name; /* long form, NULL if none */
	int has_arg;
};

/* A tracer's flag as given; it is checked once the tracer is known. */
struct given {
	const struct flag *f;
	const char *arg; /* borrowed from argv; NULL for a flag without a value */
	int typed_long;	 /* given as --name */
};

struct record {
	struct hwt_options rec;	   /* record_options */
	struct hwt_options tracer; /* the tracer's */
	const struct hwt_plugin *tp;
	struct hwt_options sampling; /* sampling beside tp: the options of sp */
	const struct hwt_plugin *sp; /* SAMPLER when its flags were given to another tracer */
	char backend[64];	     /* the NAME of -b NAME[:ARGS] */
	const char *tracer_args;     /* its ARGS, NULL if none */
	struct hwt_options plugins[MAX_PLUGINS];
	/* tp, the -P plugins, sp */
	struct hwt_plugin_use uses[2 + MAX_PLUGINS];
	char *specs[MAX_PLUGINS]; /* copies of the -P values, cut at ':' */
	int nplugins;
	int auto_chose;	    /* -b auto picked the tracer: 1 by what works here, 2 for -p or -a */
	int pids[MAX_PIDS]; /* -p */
	int npids;
	struct flag flags[MAX_FLAGS];
	int nflags;
	struct option longopts[MAX_FLAGS + 1];
	char shorts[3 * MAX_FLAGS + 3];
	struct given *given;
	int ngiven;
	char why[1024];
	char root[4096]; /* --project-root, absolute; "" when not given */
};

/** Non-zero if plugin @p declares the flag @f. */
int record_declares(const struct hwt_plugin *p, const struct flag *f);

/** "-x" or "--name", as the user typed the flag (@typed_long) or its short form. */
void record_spell(const struct flag *f, int typed_long, char *buf, size_t len);

/** "-e, --freq and -g are": the flags of @p that @other lacks, into @buf. */
void record_flags_lacking(const struct hwt_plugin *p, const struct hwt_plugin *other, char *buf,
			  size_t len);

/** Finds the tracer -b names, or the one -b auto picks. Returns 0, or 1 after an error line. */
int record_choose_tracer(struct record *r);

/** The options of the tracer, and of the sampler beside it when its flags were given. Returns 0,
 *  or 1 after an error line. */
int record_tracer_options(struct record *r);

/** Checks that the tracer works here. Returns 0, or 1 after an error line. */
int record_probe_tracer(struct record *r);

#endif

/* hwtrace's entry point: dispatches to the subcommand named by the first argument. */
#include <stdio.h>
#include <string.h>

#include "core/host.h"
#include "cli.h"

static const struct cli_command *const commands[] = {
	&cli_record, &cli_export, &cli_report, &cli_inspect,
	&cli_info,   &cli_list,	  &cli_import, &cli_diff,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: hwtrace COMMAND [OPTIONS]\n\n"
		"Records programs with Linux perf_event (and Intel PT where the CPU has it) and\n"
		"exports what ran as Perfetto traces, Chrome JSON, folded stacks, pprof and "
		"SVG.\n\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %s\n", commands[i]->usage);
	fprintf(f, "\n`hwtrace COMMAND --help` tells more.\n");
}

/* A note of a recording (a plugin disabled, what was attached...), as it is made. */
static void print_note(void *ctx, const char *msg)
{
	fprintf(stderr, "hwtrace: %s\n", msg);
}

int main(int argc, char **argv)
{
	hwt_record_set_note_fn(print_note, NULL);
	if (argc < 2) {
		usage(stderr);
		return 1;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i]->name))
			return commands[i]->exec(argc - 1, argv + 1);
	return cli_error("unknown command '%s': use record, export, report, inspect, info, list "
			 "or import (hwtrace --help)",
			 argv[1]);
}

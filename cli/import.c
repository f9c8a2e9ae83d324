/* `hwtrace import`: a recording from raw Intel PT data taken elsewhere (perf's AUX bytes, a
 * simulator) and the ELF images it ran, for export, report and inspect like any other. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/record_output.h"
#include "decoders/intel_pt/pt_import.h"
#include "cli.h"

#define MAX_IMAGES 64

static int cmd_import(int argc, char **argv);

const struct cli_command cli_import = {
	.name = "import",
	.usage = "import --pt-raw FILE --image ELF[@ADDR]... [--cpu F/M/S] [--tsc-hz HZ] "
		 "[--mtc-freq N] [--nom-freq N] [--cpuid15 EAX/EBX] [--noretcomp] [--pid N] "
		 "[--tid N] [-o OUT.hwt]",
	.help = "Writes a recording (default hwtrace.hwt) from raw Intel PT data of one thread,\n"
		"to export, report or inspect like one `hwtrace record` made.\n\n"
		"      --pt-raw FILE     the raw trace: PT packets as the hardware wrote them\n"
		"      --image ELF[@ADDR] an executable or library the trace ran, loaded at ADDR\n"
		"                        (the load bias added to its addresses: omit for a fixed-\n"
		"                        address executable); every one the trace runs "
		"(repeatable)\n"
		"      --cpu F/M/S       family/model/stepping of the CPU that traced (e.g. "
		"6/85/4),\n"
		"                        for its errata\n"
		"      --tsc-hz HZ       TSC frequency: times become nanoseconds (default: TSC "
		"ticks\n"
		"                        are taken as nanoseconds)\n"
		"      --mtc-freq N      IA32_RTIT_CTL.MTCFreq, when the trace has MTC packets\n"
		"      --nom-freq N      the nominal core:bus ratio, when it has CYC packets\n"
		"      --cpuid15 EAX/EBX CPUID leaf 0x15 (TSC to crystal clock ratio), for MTC\n"
		"      --noretcomp       the trace was taken with return compression off\n"
		"      --pid N, --tid N  the process and thread it belongs to (default 1)\n"
		"  -o, --output FILE     recording to write (default hwtrace.hwt)\n",
	.exec = cmd_import,
};

static int number(const char *opt, const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || end == s || *end || *s == '-' || v > max)
		return cli_error("import: %s wants a number up to %" PRIu64 ", not '%s'", opt, max,
				 s);
	*out = v;
	return 0;
}

/* "A/B" or "A/B/C" into @n numbers. */
static int numbers(const char *opt, const char *s, int n, uint32_t *out, const char *form)
{
	const char *p = s;

	for (int i = 0; i < n; i++) {
		char *end;
		errno = 0;
		unsigned long v = strtoul(p, &end, 0);
		if (errno || end == p || *p == '-' || v > UINT32_MAX ||
		    (i + 1 < n ? *end != '/' : *end != 0))
			return cli_error("import: %s wants %s, not '%s'", opt, form, s);
		out[i] = (uint32_t)v;
		p = end + 1;
	}
	return 0;
}

/* What the options give: the import's configuration and the images it points to. */
struct import_args {
	struct hwt_pt_import_config cfg;
	struct hwt_pt_image images[MAX_IMAGES];
	char *paths[MAX_IMAGES]; /* owned: the images' paths */
	const char *out;
};

/* --image ELF[@ADDR]. Returns 0, or 1 with the error printed. */
static int add_image(struct import_args *a, const char *arg)
{
	struct hwt_pt_import_config *cfg = &a->cfg;
	uint64_t v;

	if (cfg->nimages == MAX_IMAGES)
		return cli_error("import: more than %d --image options", MAX_IMAGES);
	char *path = strdup(arg), *at = path ? strrchr(path, '@') : NULL;
	if (!path)
		return cli_error("out of memory");
	a->paths[cfg->nimages] = path;
	a->images[cfg->nimages] = (struct hwt_pt_image){ .path = path };
	cfg->nimages++;
	if (at) {
		*at = 0;
		if (number("--image ELF@ADDR", at + 1, UINT64_MAX, &v))
			return 1;
		a->images[cfg->nimages - 1].bias = v;
	}
	if (!*path)
		return cli_error("import: --image '%s' names no file", arg);
	return 0;
}

/* One option @c with its argument @arg, but --help. Returns 0, 1 with the error printed, or -1
 * for what getopt_long() says is not an option. */
static int set_option(struct import_args *a, int c, const char *arg)
{
	struct hwt_pt_import_config *cfg = &a->cfg;
	uint32_t three[3];
	uint64_t v;

	switch (c) {
	case 'r':
		cfg->raw_path = arg;
		return 0;
	case 'i':
		return add_image(a, arg);
	case 'c':
		if (numbers("--cpu", arg, 3, three, "FAMILY/MODEL/STEPPING (e.g. 6/85/4)"))
			return 1;
		cfg->have_cpu = 1;
		cfg->family = three[0];
		cfg->model = three[1];
		cfg->stepping = three[2];
		return 0;
	case 't':
		if (number("--tsc-hz", arg, UINT64_MAX, &v))
			return 1;
		cfg->tsc_hz = v;
		return 0;
	case 'm':
		if (number("--mtc-freq", arg, 15, &v))
			return 1;
		cfg->mtc_freq = (uint32_t)v;
		return 0;
	case 'n':
		if (number("--nom-freq", arg, 255, &v))
			return 1;
		cfg->nom_freq = (uint32_t)v;
		return 0;
	case 'q':
		if (numbers("--cpuid15", arg, 2, three, "EAX/EBX (e.g. 2/176)"))
			return 1;
		/* The TSC runs at EBX/EAX times the crystal: a zero is no ratio. */
		if (!three[0] || !three[1])
			return cli_error("import: --cpuid15 %s: EAX and EBX must both be non-zero "
					 "(the TSC is EBX/EAX times the crystal clock), e.g. 2/176",
					 arg);
		cfg->cpuid15_eax = three[0];
		cfg->cpuid15_ebx = three[1];
		return 0;
	case 'R':
		cfg->noretcomp = 1;
		return 0;
	case 'p':
	case 'T':
		if (number(c == 'p' ? "--pid" : "--tid", arg, INT32_MAX, &v))
			return 1;
		if (!v)
			return cli_error("import: %s must not be 0", c == 'p' ? "--pid" : "--tid");
		if (c == 'p')
			cfg->pid = (uint32_t)v;
		else
			cfg->tid = (uint32_t)v;
		return 0;
	case 'o':
		a->out = arg;
		return 0;
	}
	return -1;
}

static int cmd_import(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pt-raw", required_argument, NULL, 'r' },
		{ "image", required_argument, NULL, 'i' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "tsc-hz", required_argument, NULL, 't' },
		{ "mtc-freq", required_argument, NULL, 'm' },
		{ "nom-freq", required_argument, NULL, 'n' },
		{ "cpuid15", required_argument, NULL, 'q' },
		{ "noretcomp", no_argument, NULL, 'R' },
		{ "pid", required_argument, NULL, 'p' },
		{ "tid", required_argument, NULL, 'T' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct import_args a = { .out = "hwtrace.hwt" };
	int c, status = 1;

	hwt_pt_import_config_init(&a.cfg);
	a.cfg.images = a.images;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		if (c == 'h') {
			status = cli_help(&cli_import);
			goto out;
		}
		int r = set_option(&a, c, optarg);
		if (r < 0)
			status = cli_bad_option(&cli_import, c, argc, argv);
		if (r)
			goto out;
	}
	if (optind < argc) {
		cli_error("import: unexpected argument '%s' (see hwtrace import --help)",
			  argv[optind]);
		goto out;
	}
	if (!a.cfg.raw_path) {
		cli_error("import: give the raw trace with --pt-raw FILE (see hwtrace import "
			  "--help)");
		goto out;
	}
	if (cli_check_output(a.out))
		goto out;
	/* The import is written under a temporary name and renamed: never over a device. */
	if (hwt_rec_output_kind(a.out, NULL, 0) == HWT_OUTPUT_DIRECT) {
		cli_error("import: -o %s is not a regular file: give the name of a file to "
			  "write",
			  a.out);
		goto out;
	}
	char why[512];
	if (hwt_pt_import(&a.cfg, a.out, why, sizeof(why)) < 0) {
		cli_error("import: %s", why);
		goto out;
	}
	status = 0;
out:
	for (size_t i = 0; i < a.cfg.nimages; i++)
		free(a.paths[i]);
	return status;
}

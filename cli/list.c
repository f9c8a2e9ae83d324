/* `hwtrace list`: what can be recorded on this machine, and why not where it cannot. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/perf_event.h>

#include "hwtrace/error.h"
#include "core/elfdeps.h"
#include "core/elffuncs.h"
#include "core/events.h"
#include "core/target.h"
#include "core/host.h"
#include "plugins/counters/watch_bp.h"
#include "cli.h"

static int cmd_list(int argc, char **argv);

const struct cli_command cli_list = {
	.name = "list",
	.usage = "list [PROG|LIB] | list --functions PROG|LIB",
	.help = "Prints each backend, plugin, event family and export format with whether it\n"
		"works on this machine, and why not when it does not. With PROG, also what\n"
		"-b uprobe would trace in it: how many functions, and how many of them take the\n"
		"kernel's slow path (single-stepped, ~10 us a call instead of ~1 us), and the\n"
		"libraries it needs with theirs. With a library, what -F 'LIB:GLOB' attaches to.\n"
		"--functions (-l) prints the name of each function of PROG or LIB instead.\n",
	.exec = cmd_list,
};

static void row(const char *name, int yes, const char *what)
{
	printf("  %-18s %-4s %s\n", name, yes ? "yes" : "no", what);
}

static int have_dir(const char *path)
{
	struct stat st;
	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int try_open(uint32_t type, uint64_t config, char *why, size_t len)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = type,
		.config = config,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		snprintf(why, len, "perf_event_open: %s", strerror(errno));
		return 0;
	}
	close(fd);
	return 1;
}

/* What record can run on: a program it starts, running processes (-p), every CPU (-a). */
static void print_targets(void)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_CPU_CLOCK,
		.disabled = 1,
	};
	int yama = -1;
	FILE *f = fopen("/proc/sys/kernel/yama/ptrace_scope", "r");

	if (f && fscanf(f, "%d", &yama) != 1)
		yama = -1;
	if (f)
		fclose(f);
	int fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	int e = errno, root = geteuid() == 0;
	if (fd >= 0)
		close(fd);
	printf("\ntargets (record ...):\n");
	row("-- PROG", 1, "a program hwtrace starts, with any backend that works here");
	row("-p PID", root || yama < 1,
	    root       ? "running processes, any user's (-b sample, uprobe)"
	    : yama < 1 ? "running processes of yours (-b sample; -b uprobe needs root)"
		       : "root only: yama ptrace_scope is not 0 (run as root, or set it to 0)");
	char why[160];
	snprintf(why, sizeof(why),
		 "not allowed (%s): run as root or lower perf_event_paranoid to 0", strerror(e));
	row("-a", fd >= 0, fd >= 0 ? "every process on every CPU (-b sample)" : why);
}

static int tracefs_path(char *out, size_t len)
{
	const char *cands[] = { "/sys/kernel/tracing/events", "/sys/kernel/debug/tracing/events" };
	for (size_t i = 0; i < 2; i++)
		if (have_dir(cands[i])) {
			snprintf(out, len, "%s", cands[i]);
			return 1;
		}
	return 0;
}

struct prog_counts {
	uint64_t funcs, slow, endbr;
};

static int count_func(const struct hwt_elf_func *f, void *ctx)
{
	struct prog_counts *c = ctx;
	c->funcs++;
	c->slow += !!(f->flags & HWT_FUNC_SLOW);
	c->endbr += !!(f->flags & HWT_FUNC_ENDBR);
	return 0;
}

/* @prog as the user named it: a path as it is (a library too), else found in PATH. */
static int resolve(const char *prog, char *path, size_t len)
{
	char why[512];

	if (strchr(prog, '/') && !access(prog, R_OK)) {
		snprintf(path, len, "%s", prog);
		return 0;
	}
	if (hwt_target_resolve(prog, path, len, why, sizeof(why)))
		return cli_error("%s", why);
	return 0;
}

static int print_func(const struct hwt_elf_func *f, void *ctx)
{
	printf("%s%s\n", f->demangled, f->flags & HWT_FUNC_SLOW ? "  (single-stepped)" : "");
	return 0;
}

/* One library @prog needs, with its function count; @ctx counts those that have some. */
static int needed_lib(const char *name, const char *found, void *ctx)
{
	struct prog_counts c = { 0 }, *with = ctx;
	char why[512];

	if (!found) {
		printf("    %-24s not found by the loader's search\n", name);
		return 0;
	}
	int n = hwt_elf_functions(found, 0, count_func, &c, why, sizeof(why));
	printf("    %-24s %s: %llu functions\n", name, found,
	       (unsigned long long)(n < 0 ? 0 : c.funcs));
	with->funcs += n > 0;
	return 0;
}

/* What -b uprobe would attach to in @prog (a program, or a library for -F LIB:GLOB) with the
 * default selection, each function's name with @functions; the libraries it needs and what
 * they hold. */
static int list_program(const char *prog, int functions)
{
	char path[4096], why[512];
	struct prog_counts c = { 0 }, libs = { 0 };

	if (resolve(prog, path, sizeof(path)))
		return 1;
	int lib = hwt_elf_is_library(path);
	int n = hwt_elf_functions(path, 0, functions ? print_func : count_func, &c, why,
				  sizeof(why));
	if (n < 0 && (n != HWT_E_ELF || !strstr(why, "no symbol table")))
		return cli_error("%s", why);
	if (functions)
		return 0;
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	printf("\nuprobe in %s%s:\n", path, lib ? " (a library: -b uprobe -F 'LIB:GLOB')" : "");
	printf("  %llu functions; %llu single-stepped at entry (first instruction not push, nop "
	       "or a jump: ~10 us a call)%s\n",
	       (unsigned long long)c.funcs, (unsigned long long)c.slow,
	       c.endbr ? "; endbr64 skipped" : "");
	if (lib && c.funcs)
		printf("  -F '%s:GLOB' attaches to those matching GLOB (hwtrace list --functions "
		       "%s names them)\n",
		       base, prog);
	if (hwt_elf_uses_exceptions(path))
		printf("  C++ exceptions: returns are caught on ret instructions (single-stepped) "
		       "instead of uretprobes, which would make the unwinder abort the program\n");
	list_inproc(path);
	printf("  libraries it needs (-F 'LIB:GLOB' traces their functions):\n");
	if (hwt_elf_needed(path, needed_lib, &libs, why, sizeof(why)) == 0)
		printf("    none\n");
	if (!c.funcs && libs.funcs)
		printf("  '%s' has no functions of its own (stripped): its code runs in the "
		       "libraries above, and -b sample profiles all of it\n",
		       base);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
					      { "functions", no_argument, NULL, 'l' },
					      { 0 } };
	char why[512], buf[768];
	int c, functions = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":hl", opts, NULL)) != -1) {
		if (c == 'h')
			return cli_help(&cli_list);
		if (c == 'l') {
			functions = 1;
			continue;
		}
		return cli_bad_option(&cli_list, c, argc, argv);
	}

	if (functions && optind >= argc)
		return cli_error("list --functions: name a program or a library, e.g. hwtrace list "
				 "--functions /usr/lib/x86_64-linux-gnu/libz.so.1");
	if (functions)
		return list_program(argv[optind], 1);
	printf("backends (-b):\n");
	struct hwt_host *h = hwt_host_alloc_probe();
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		if ((*p)->kind != HWT_PLUGIN_TRACER)
			continue;
		why[0] = 0;
		int ok = !(*p)->probe || (*p)->probe(h, why, sizeof(why)) > 0;
		row((*p)->name, ok, ok ? (*p)->summary : why);
	}
	int up = have_dir("/sys/bus/event_source/devices/uprobe");
	const char *pick = NULL;
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p && !pick; p++)
		if ((*p)->kind == HWT_PLUGIN_TRACER &&
		    (!(*p)->probe || (*p)->probe(h, why, sizeof(why)) > 0))
			pick = (*p)->name;
	snprintf(buf, sizeof(buf),
		 "pt where it works, else sample: here %s (uprobe when -F, -N, -D or "
		 "--min-duration is given)",
		 pick ? pick : "none");
	row("auto", pick != NULL, buf);

	printf("\nplugins (-P):\n");
	int nplug = 0;
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		if ((*p)->kind == HWT_PLUGIN_TRACER)
			continue;
		why[0] = 0;
		int ok = !(*p)->probe || (*p)->probe(h, why, sizeof(why)) > 0;
		row((*p)->name, ok, ok ? (*p)->summary : why);
		nplug++;
	}
	if (!nplug)
		printf("  (no built-in counter or object plugins yet; -P loads a .so)\n");
	hwt_host_free(h);

	printf("\nevent families (-e, --sample-event):\n");
	int sw = try_open(PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK, why, sizeof(why));
	row("software", sw,
	    sw ? "cpu-clock task-clock page-faults minor-faults major-faults context-switches "
		 "cpu-migrations (perf::NAME)"
	       : why);
	int hw = hwt_event_have_pmu(why, sizeof(why));
	row("hardware", hw,
	    hw ? "cycles instructions branches branch-misses cache-references cache-misses, and "
		 "PMU-specific libpfm4 names"
	       : why);
	char tp[128];
	int tfs = tracefs_path(tp, sizeof(tp));
	snprintf(buf, sizeof(buf), "%s%s",
		 tfs ? "tracefs at "
		     : "tracefs is not mounted (mount -t tracefs nodev "
		       "/sys/kernel/tracing)",
		 tfs ? tp : "");
	row("tracepoint", tfs, buf);
	int bp = have_dir("/sys/bus/event_source/devices/breakpoint");
	char bpwhy[200] = "";
	if (bp && hwt_watch_bp_fires(bpwhy, sizeof(bpwhy)) == 0)
		bp = 0; /* it opens, but no write is ever seen */
	row("breakpoint", bp,
	    bp	       ? "hardware breakpoints (PERF_TYPE_BREAKPOINT)"
	    : bpwhy[0] ? bpwhy
		       : "no breakpoint PMU in sysfs");
	row("uprobe", up,
	    up ? "uprobe PMU in /sys/bus/event_source/devices/uprobe"
	       : "no uprobe PMU in /sys/bus/event_source/devices");
	int pt = have_dir("/sys/bus/event_source/devices/intel_pt");
	row("intel_pt", pt,
	    pt ? "/sys/bus/event_source/devices/intel_pt"
	       : "no /sys/bus/event_source/devices/intel_pt");

	print_targets();
	if (optind < argc && list_program(argv[optind], 0))
		return 1;

	printf("\ncall graphs (-g):\n");
	row("fp", 1, "frame pointers: cheap; stops at code built without them (Debian's libc)");
	row("dwarf", 1, "user stack copied per sample, unwound with libdw when exporting");

	printf("\nexport formats (-f, or the output's extension):\n");
	for (const struct hwt_exporter_ops *const *e = hwt_exporters; *e; e++) {
		snprintf(buf, sizeof(buf), "%s: %s", (*e)->exts, (*e)->summary);
		row((*e)->name, 1, buf);
	}
	return 0;
}

/* The uprobe tracer's hold on its target: side-band events on every thread it has, and the code
 * files of a process that runs already. */
#include "uprobe_target.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

int hwt_uprobe_sideband_open(struct hwt_host *h, const struct hwt_target *t)
{
	int on_exec = !(t->flags & HWT_TARGET_ATTACHED);

	for (int k = 0; k < hwt_target_ntids(t); k++) {
		int tid = hwt_target_tid(t, k);
		for (int cpu = 0; cpu < t->ncpus; cpu++) {
			struct perf_event_attr a = {
				.type = PERF_TYPE_SOFTWARE,
				.config = PERF_COUNT_SW_DUMMY,
				.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
				.inherit = 1,
				.disabled = (unsigned)on_exec,
				.enable_on_exec = (unsigned)on_exec,
				.task = 1,
				.comm = 1,
				.comm_exec = 1,
				.mmap = 1,
				.mmap2 = 1,
				.build_id = 1,
				.exclude_kernel = 1,
				.exclude_hv = 1,
			};
			int fd = hwt_host_open_event(h, &a, tid, cpu, -1, "sideband",
						     HWT_EVENT_RING);
			if (fd < 0 && errno == ENODEV)
				continue; /* CPU offline */
			if (fd < 0 && errno == ESRCH && tid != t->pid)
				break; /* a thread that ended since it was listed */
			if (fd < 0)
				return fd;
		}
	}
	return 0;
}

int hwt_uprobe_code_files(int pid, int (*fn)(const char *path, void *ctx), void *ctx)
{
	char path[64], line[PATH_MAX + 128], last[PATH_MAX] = "";
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	while (f && rc >= 0 && fgets(line, sizeof(line), f)) {
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%*x-%*x %7s %*x %*s %*u %n", perms, &pos) < 1 || !pos ||
		    perms[2] != 'x' || line[pos] != '/')
			continue;
		char *file = line + pos;
		file[strcspn(file, "\n")] = 0;
		if (strcmp(file, last))
			rc = fn(file, ctx);
		snprintf(last, sizeof(last), "%s", file);
	}
	if (f)
		fclose(f);
	return rc < 0 ? rc : 0;
}

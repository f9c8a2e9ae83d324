/* What the uprobe tracer follows of its target: side-band events on each of its threads, and the
 * code files its running processes have mapped (record -p). */
#ifndef HWT_PLUGINS_UPROBE_TARGET_H
#define HWT_PLUGINS_UPROBE_TARGET_H

#include <hwtrace/plugin.h>

/** Opens a dummy event for the process tree, exec and mmap side-band records (FORK, EXIT, COMM,
 *  MMAP2) on each thread of @t (hwt_target_tid()) on every CPU, inherited by the threads and
 *  processes they start: enabled at exec for a launched program, at once for processes attached
 *  to. A listed thread that ended meanwhile is skipped. Returns 0 or the host's error. */
int hwt_uprobe_sideband_open(struct hwt_host *h, const struct hwt_target *t);

/** Calls @fn with the path of each file mapped executable into process @pid (from
 *  /proc/PID/maps; @path borrowed for the call), in address order, a file once per run of
 *  mappings. Stops at the first negative return of @fn and returns it; else 0 (also when the
 *  process is gone). */
int hwt_uprobe_code_files(int pid, int (*fn)(const char *path, void *ctx), void *ctx);

#endif

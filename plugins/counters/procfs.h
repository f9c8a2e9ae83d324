/* Reading /proc cheaply for the counter plugins: a file kept open and re-read with one pread(),
 * and the parsers of /proc/PID/stat, status, io and task/TID/children. */
#ifndef HWT_PLUGINS_PROCFS_H
#define HWT_PLUGINS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

/** What the proc plugin reads of a process. A field a file did not hold keeps its value. */
struct hwt_procstat {
	/* /proc/PID/stat */
	char state;		 /* R, S, D, Z (zombie), X (dead)... */
	uint64_t minflt, majflt; /* page faults so far, minor and major */
	uint64_t utime_ns;	 /* user and system CPU time so far, at clock tick resolution */
	uint64_t stime_ns;
	uint64_t threads;   /* threads now */
	uint64_t rss_bytes; /* resident set size now */
	/* /proc/PID/status */
	uint64_t rss_peak_bytes; /* VmHWM: the highest RSS so far */
	uint64_t vcsw, ivcsw;	 /* voluntary and involuntary context switches so far */
	/* /proc/PID/io */
	uint64_t rchar, wchar; /* bytes read and written through system calls so far */
};

/**
 * Parses the @len bytes of a /proc/PID/stat at @buf (not NUL-terminated) into @out: faults,
 * times (ticks of @ticks_per_s, > 0), threads and RSS (pages of @page_bytes). The command name
 * may hold spaces and parentheses: fields are counted from its last ')'. Returns 0, or
 * HWT_E_CORRUPT (fewer fields than RSS needs, or a field that is not a number; @out unchanged).
 */
int hwt_procstat_parse_stat(const char *buf, size_t len, long ticks_per_s, long page_bytes,
			    struct hwt_procstat *out);

/** Parses a /proc/PID/status (@len bytes at @buf) into @out: VmHWM, voluntary_ctxt_switches,
 *  nonvoluntary_ctxt_switches. Missing lines (a zombie has no Vm* lines) leave their fields.
 *  Returns how many of the three it found. */
int hwt_procstat_parse_status(const char *buf, size_t len, struct hwt_procstat *out);

/** Parses a /proc/PID/io (@len bytes at @buf) into @out: rchar, wchar. Returns how many of the
 *  two it found. */
int hwt_procstat_parse_io(const char *buf, size_t len, struct hwt_procstat *out);

/** Calls @fn(@ctx, pid) for each process id in a /proc/PID/task/TID/children (@len bytes at
 *  @buf: ids separated by spaces), in order, until @fn returns non-zero. Returns the number of
 *  ids, or the first non-zero return of @fn, or HWT_E_CORRUPT on text that is not ids. */
int hwt_procfs_parse_pids(const char *buf, size_t len, int (*fn)(void *ctx, int pid), void *ctx);

/** Opens /proc/@pid/@name (task/TID/... allowed; @tid 0 for a process's own file) read-only and
 *  close-on-exec. Returns the fd, or a negative enum hwt_error (HWT_E_NOENT: no such process).
 *  With @tid > 0 the path is /proc/@pid/task/@tid/@name. */
int hwt_procfs_open(int pid, int tid, const char *name);

/** Re-reads an open /proc file @fd from its start with one pread() into @buf (@cap bytes, the
 *  file must fit: a longer one is cut). Returns the bytes read (0: the process is gone), or a
 *  negative enum hwt_error (HWT_E_NOENT when the process is gone: ESRCH). */
long hwt_procfs_reread(int fd, char *buf, size_t cap);

#endif

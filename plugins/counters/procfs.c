/* Reading /proc cheaply for the counter plugins: one pread() per file and sample, and parsers that
 * take the bytes as read (no stdio, no copies). */
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"

/* One unsigned decimal number at *@p (before @end), after any blanks; *@p moves past it. Returns
 * 0, or -1 when there is none. A '-' sign is accepted and the value is then 0: stat has signed
 * fields (tty_nr, tpgid, nice) that we only skip. */
static int next_number(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	int neg = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (s < end && *s == '-') {
		neg = 1;
		s++;
	}
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	uint64_t x = 0;
	while (s < end && *s >= '0' && *s <= '9')
		x = x * 10 + (uint64_t)(*s++ - '0');
	if (s < end && *s != ' ' && *s != '\t' && *s != '\n')
		return -1;
	*v = neg ? 0 : x;
	*p = s;
	return 0;
}

/* Fields of /proc/PID/stat we read, numbered as proc(5) numbers them (pid is 1, comm 2). */
enum {
	STAT_MINFLT = 10,
	STAT_MAJFLT = 12,
	STAT_UTIME = 14,
	STAT_STIME = 15,
	STAT_THREADS = 20,
	STAT_RSS = 24,
};

int hwt_procstat_parse_stat(const char *buf, size_t len, long ticks_per_s, long page_bytes,
			    struct hwt_procstat *out)
{
	const char *end = buf + len, *p = NULL;
	uint64_t f[STAT_RSS + 1] = { 0 };

	if (!buf || !out || ticks_per_s <= 0 || page_bytes <= 0)
		return HWT_E_INVAL;
	for (const char *s = buf; s < end; s++) /* the last ')': comm may hold any byte */
		if (*s == ')')
			p = s + 1;
	if (!p || p + 2 > end || p[0] != ' ')
		return HWT_E_CORRUPT;
	p++; /* field 3, the state: a letter */
	char state = *p;
	while (p < end && *p != ' ')
		p++;
	for (int i = 4; i <= STAT_RSS; i++)
		if (next_number(&p, end, &f[i]))
			return HWT_E_CORRUPT;
	if (p >= end || *p != ' ') /* RSS is not the last field: a read cut inside it */
		return HWT_E_CORRUPT;
	out->state = state;
	out->minflt = f[STAT_MINFLT];
	out->majflt = f[STAT_MAJFLT];
	out->utime_ns = f[STAT_UTIME] * (1000000000ull / (uint64_t)ticks_per_s);
	out->stime_ns = f[STAT_STIME] * (1000000000ull / (uint64_t)ticks_per_s);
	out->threads = f[STAT_THREADS];
	out->rss_bytes = f[STAT_RSS] * (uint64_t)page_bytes;
	return 0;
}

/* The number after "KEY:" on the line starting at @line (before @end), or -1. */
static int key_number(const char *line, const char *end, const char *key, uint64_t *v)
{
	size_t kl = strlen(key);

	if ((size_t)(end - line) <= kl || memcmp(line, key, kl) || line[kl] != ':')
		return -1;
	const char *p = line + kl + 1;
	return next_number(&p, end, v);
}

int hwt_procstat_parse_status(const char *buf, size_t len, struct hwt_procstat *out)
{
	const char *end = buf + len;
	int found = 0;
	uint64_t v;

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (!key_number(line, le, "VmHWM", &v)) {
			out->rss_peak_bytes = v * 1024; /* the kernel writes kB: KiB */
			found++;
		} else if (!key_number(line, le, "voluntary_ctxt_switches", &v)) {
			out->vcsw = v;
			found++;
		} else if (!key_number(line, le, "nonvoluntary_ctxt_switches", &v)) {
			out->ivcsw = v;
			found++;
		}
		line = le + 1;
	}
	return found;
}

int hwt_procstat_parse_io(const char *buf, size_t len, struct hwt_procstat *out)
{
	const char *end = buf + len;
	int found = 0;
	uint64_t v;

	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		if (!key_number(line, le, "rchar", &v)) {
			out->rchar = v;
			found++;
		} else if (!key_number(line, le, "wchar", &v)) {
			out->wchar = v;
			found++;
		}
		line = le + 1;
	}
	return found;
}

int hwt_procfs_parse_pids(const char *buf, size_t len, int (*fn)(void *ctx, int pid), void *ctx)
{
	const char *p = buf, *end = buf + len;
	int n = 0;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\n'))
			p++;
		if (p >= end)
			return n;
		uint64_t v;
		if (*p == '-' || next_number(&p, end, &v) || v == 0 || v > 0x7fffffff)
			return HWT_E_CORRUPT;
		n++;
		int r = fn(ctx, (int)v);
		if (r)
			return r;
	}
}

int hwt_procfs_open(int pid, int tid, const char *name)
{
	char path[96];

	if (pid <= 0 || tid < 0 || !name)
		return HWT_E_INVAL;
	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", pid, tid, name);
	else
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ESRCH ? HWT_E_NOENT : hwt_error_from_errno(errno);
	return fd;
}

long hwt_procfs_reread(int fd, char *buf, size_t cap)
{
	ssize_t n = pread(fd, buf, cap, 0);

	if (n < 0)
		return errno == ESRCH ? HWT_E_NOENT : hwt_error_from_errno(errno);
	return (long)n;
}

/* Attaching to running processes and to the whole system: checks a pid, lists its threads, and
 * writes the COMM and MMAP2 records of what existed before recording, read from /proc the way
 * perf synthesizes them, so that threads are named and addresses resolve. */
#include "attach.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "host_internal.h"
#include "store.h"
#include "util.h"

#define SYNTH_ITEM_BYTES (256u << 10) /* records per stream item, at most */

/* The value of "Key:" in /proc/@pid/status, -1 if unreadable; *@state gets the State letter. */
static long status_field(int pid, const char *key, char *state)
{
	char path[64], line[256];
	long v = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "State:", 6) && state)
			sscanf(line + 6, " %c", state);
		if (!strncmp(line, key, kl) && line[kl] == ':')
			v = strtol(line + kl + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

int hwt_attach_check(int pid, char *why, size_t whylen)
{
	char state = 0, path[64];

	if (pid <= 0)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"-p %d: not a process id (give the pid of a running process)", pid);
	if (pid == (int)getpid())
		return hwt_fail(why, whylen, HWT_E_INVAL, "-p %d: hwtrace cannot record itself",
				pid);
	long tgid = status_field(pid, "Tgid", &state);
	if (tgid < 0)
		return hwt_fail(why, whylen, HWT_E_NOENT,
				"-p %d: no such process: check the pid (ps -e)", pid);
	if (tgid != pid)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"-p %d: that is a thread of process %ld: give the process id, "
				"-p %ld (its threads are all recorded)",
				pid, tgid, tgid);
	if (state == 'Z' || state == 'X')
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"-p %d: the process has exited already (a zombie)", pid);
	/* perf_event_open() on another task wants what reading its maps wants: ptrace access. */
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char c;
	if (fd < 0 || read(fd, &c, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		if (e == ENOENT || e == ESRCH)
			return hwt_fail(why, whylen, HWT_E_NOENT, "-p %d: the process has exited",
					pid);
		int yama = !access("/proc/sys/kernel/yama/ptrace_scope", F_OK);
		return hwt_fail(why, whylen, HWT_E_PERM,
				"-p %d: not allowed to trace that process (%s): run as its owner "
				"or as root%s",
				pid, strerror(e),
				yama ? ", or lower /proc/sys/kernel/yama/ptrace_scope" : "");
	}
	close(fd);
	return 0;
}

void hwt_attach_command(const int *pids, int npids, int args, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = 0;
	for (int i = 0; i < npids && off + 3 < len; i++) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/cmdline", pids[i]);
		if (i)
			off += (size_t)snprintf(buf + off, len - off, "; ");
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf + off, 1, len - off - 1, f) : 0;
		if (f)
			fclose(f);
		if (n && !args)
			n = strnlen(buf + off, n); /* the program alone */
		for (size_t k = 0; n && k < n - 1; k++)
			if (!buf[off + k])
				buf[off + k] = ' '; /* the arguments end in NUL each */
		off += n && !buf[off + n - 1] ? n - 1 : n;
		buf[off] = 0;
	}
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

int hwt_attach_threads(const int *pids, int npids, int **tids, int *ntids)
{
	size_t cap = (size_t)*ntids;
	int added = 0;

	for (int i = 0; i < npids; i++) {
		char path[64];
		int found = 0;
		snprintf(path, sizeof(path), "/proc/%d/task", pids[i]);
		DIR *d = opendir(path);
		if (!d)
			return HWT_E_NOENT;
		for (struct dirent *e; (e = readdir(d));) {
			if (!is_number(e->d_name))
				continue;
			if (HWT_ARRAY_GROW(*tids, &cap, (size_t)*ntids + 1)) {
				closedir(d);
				return HWT_E_NOMEM;
			}
			(*tids)[(*ntids)++] = atoi(e->d_name);
			found++;
		}
		closedir(d);
		if (!found)
			return HWT_E_NOENT;
		added += found;
	}
	return added;
}

/* ---- synthesized records ------------------------------------------------------------------ */

/* Records being built, and the trailer every one of them ends with. */
struct synth {
	struct hwt_host *h;
	uint64_t ts;
	const struct hwt_event_desc *desc; /* whose sample_id trailer the records carry */
	uint8_t *buf;
	size_t len, cap;
	int nrecords;
	int err;
};

/* The first event whose records carry a thread id and a time: its trailer layout is known to
 * the decoder through the events chunk. */
static const struct hwt_event_desc *trailer_desc(const struct hwt_host *h)
{
	for (int i = 0; i < h->nevents; i++) {
		uint64_t st = h->events[i].desc.sample_type;
		if ((st & PERF_SAMPLE_TID) && (st & PERF_SAMPLE_TIME) &&
		    (st & PERF_SAMPLE_IDENTIFIER))
			return &h->events[i].desc;
	}
	return NULL;
}

static int synth_flush(struct synth *s)
{
	if (!s->len || s->err)
		return s->err;
	struct hwt_stream_item it = {
		.ts = s->ts,
		.cpu = -1,
		.kind = HWT_ITEM_RING,
		.len = (uint32_t)s->len,
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { s->buf, s->len } };
	hwt_host_lock(s->h);
	s->err = hwt_store_appendv(s->h->store, HWT_CHUNK_STREAM, iov, 2);
	hwt_host_unlock(s->h);
	s->len = 0;
	return s->err;
}

static void put64(struct synth *s, uint64_t v)
{
	memcpy(s->buf + s->len, &v, 8);
	s->len += 8;
}

/* Appends one record: @body (@blen bytes), then @str NUL-padded to 8 bytes, then the trailer
 * (TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER as the event has them). */
static void synth_record(struct synth *s, uint16_t type, uint16_t misc, const void *body,
			 size_t blen, const char *str, uint32_t pid, uint32_t tid)
{
	size_t sl = (strlen(str) + 1 + 7) & ~(size_t)7;
	size_t size = sizeof(struct perf_event_header) + blen + sl + 6 * 8;

	if (s->err || size > 0xffff)
		return;
	if (s->len + size > SYNTH_ITEM_BYTES && synth_flush(s))
		return;
	if (HWT_ARRAY_GROW(s->buf, &s->cap, s->len + size)) {
		s->err = HWT_E_NOMEM;
		return;
	}
	size_t start = s->len;
	uint64_t st = s->desc->sample_type;
	struct perf_event_header hd = { .type = type, .misc = misc };
	s->len += sizeof(hd);
	memcpy(s->buf + s->len, body, blen);
	s->len += blen;
	memset(s->buf + s->len, 0, sl);
	memcpy(s->buf + s->len, str, strlen(str));
	s->len += sl;
	put64(s, (uint64_t)tid << 32 | pid);
	put64(s, s->ts);
	if (st & PERF_SAMPLE_ID)
		put64(s, s->desc->id);
	if (st & PERF_SAMPLE_STREAM_ID)
		put64(s, s->desc->id);
	if (st & PERF_SAMPLE_CPU)
		put64(s, 0);
	put64(s, s->desc->id);
	hd.size = (uint16_t)(s->len - start);
	memcpy(s->buf + start, &hd, sizeof(hd));
	s->nrecords++;
}

/* PERF_RECORD_COMM for each thread of @pid. */
static void synth_comms(struct synth *s, int pid)
{
	char path[96], comm[32];
	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	DIR *d = opendir(path);

	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) && !s->err;) {
		if (!is_number(e->d_name))
			continue;
		int tid = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
		FILE *f = fopen(path, "r");
		if (!f)
			continue; /* gone meanwhile */
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
		comm[strcspn(comm, "\n")] = 0;
		uint32_t ids[2] = { (uint32_t)pid, (uint32_t)tid };
		synth_record(s, PERF_RECORD_COMM, 0, ids, sizeof(ids), comm, (uint32_t)pid,
			     (uint32_t)tid);
	}
	closedir(d);
}

/* The body of PERF_RECORD_MMAP2 up to the file name (64 bytes). */
struct mmap2_body {
	uint32_t pid, tid;
	uint64_t addr, len, pgoff;
	uint32_t maj, min;
	uint64_t ino, ino_generation;
	uint32_t prot, flags;
};

/* PERF_RECORD_MMAP2 for each executable mapping of @pid that has a name. */
static void synth_mmaps(struct synth *s, int pid)
{
	char path[64], line[4352];
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");

	if (!f)
		return; /* a kernel thread has none to read; a process may be gone */
	while (fgets(line, sizeof(line), f) && !s->err) {
		unsigned long long start, end, off, ino;
		unsigned maj, min;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &off,
			   &maj, &min, &ino, &pos) < 7 ||
		    !pos || perms[2] != 'x')
			continue;
		char *name = line + pos;
		name[strcspn(name, "\n")] = 0;
		/* Code the scrub keeps the words pointing into, in sparse stack copies: the
		 * process may be gone when its first samples are drained. */
		hwt_host_lock(s->h);
		hwt_scrub_learn_range(&s->h->scrub, start, end);
		hwt_host_unlock(s->h);
		if (!*name)
			continue; /* anonymous code: nothing to symbolize it with */
		struct mmap2_body b = {
			.pid = (uint32_t)pid,
			.tid = (uint32_t)pid,
			.addr = start,
			.len = end - start,
			.pgoff = off,
			.maj = maj,
			.min = min,
			.ino = ino,
			.prot = (perms[0] == 'r' ? PROT_READ : 0) |
				(perms[1] == 'w' ? PROT_WRITE : 0) | PROT_EXEC,
			.flags = perms[3] == 's' ? MAP_SHARED : MAP_PRIVATE,
		};
		synth_record(s, PERF_RECORD_MMAP2, PERF_RECORD_MISC_USER, &b, sizeof(b), name,
			     (uint32_t)pid, (uint32_t)pid);
	}
	fclose(f);
}

int hwt_attach_synthesize(struct hwt_host *h, const int *pids, int npids, uint64_t ts)
{
	struct synth s = { .h = h, .ts = ts, .desc = trailer_desc(h) };

	if (!s.desc || !h->store)
		return 0; /* no event whose records the decoder would place on a thread */
	if (npids >= 0) {
		for (int i = 0; i < npids && !s.err; i++) {
			synth_comms(&s, pids[i]);
			synth_mmaps(&s, pids[i]);
		}
	} else {
		DIR *d = opendir("/proc");
		for (struct dirent *e; d && (e = readdir(d)) && !s.err;) {
			if (!is_number(e->d_name))
				continue;
			synth_comms(&s, atoi(e->d_name));
			synth_mmaps(&s, atoi(e->d_name));
		}
		if (d)
			closedir(d);
	}
	synth_flush(&s);
	free(s.buf);
	return s.err ? s.err : s.nrecords;
}

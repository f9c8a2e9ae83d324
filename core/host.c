/* The recording host: plugin services (events, rings, chunks, notes), the target's lifetime and
 * the loop that drains every ring into the store. */
#include "host.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "store.h"
#include "target.h"
#include "util.h"

#define HWT_POLL_MS 10 /* drain rings and read counters this often: counter track resolution */

struct ring {
	int fd;
	int cpu;
	struct perf_event_mmap_page *page;
	uint8_t *data;
	size_t size; /* data bytes, a power of two */
	void *aux;   /* the AUX area mapped by hwt_host_map_aux(), NULL if none */
	size_t aux_size;
};

struct event {
	int fd;
	struct hwt_event_desc desc;
};

struct hwt_host {
	struct hwt_store_writer *store;
	size_t ring_bytes;
	struct event *events;
	int nevents, cap_events;
	struct ring *rings;
	int nrings, cap_rings;
	char error[512];
	struct hwt_end_rec end;
	int quiet;
	uint8_t *scratch; /* one ring's worth, for reads that wrap */
	size_t scratch_cap;
	uint64_t round_ts; /* when the current drain started: the stamp of stream items */
	uint32_t nsources;
	struct running *run; /* plugins started so far, for the sideband hook */
	int nrun;
};

struct running {
	const struct hwt_plugin *plugin;
	void *st;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- services for plugins -------------------------------------------------------------- */

void hwt_host_set_error(struct hwt_host *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
}

const char *hwt_host_error(const struct hwt_host *h)
{
	return h->error;
}

/* Where notes go as they are made (the CLI prints them), besides the recording. */
static hwt_note_fn note_fn;
static void *note_ctx;

void hwt_record_set_note_fn(hwt_note_fn fn, void *ctx)
{
	note_fn = fn;
	note_ctx = ctx;
}

void hwt_host_note(struct hwt_host *h, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (!h->quiet && note_fn)
		note_fn(note_ctx, msg);
	if (h->store)
		hwt_store_write(h->store, HWT_CHUNK_NOTE, msg, strlen(msg));
}

void hwt_host_count_lost(struct hwt_host *h, uint64_t n)
{
	h->end.lost += n;
}

int hwt_host_set_meta(struct hwt_host *h, const char *key, const char *value)
{
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
	char *buf = malloc(kl + vl);

	if (!buf)
		return HWT_E_NOMEM;
	memcpy(buf, key, kl);
	memcpy(buf + kl, value, vl);
	int err = h->store ? hwt_store_write(h->store, HWT_CHUNK_META, buf, kl + vl) : 0;
	free(buf);
	return err;
}

int hwt_host_write_chunk(struct hwt_host *h, const char *plugin, const void *data, size_t len)
{
	uint32_t nl = (uint32_t)strlen(plugin);
	struct iovec iov[3] = { { &nl, 4 }, { (void *)plugin, nl }, { (void *)data, len } };

	if (!h->store)
		return HWT_E_INVAL;
	int err = hwt_store_appendv(h->store, HWT_CHUNK_PLUGIN, iov, 3);
	return err ? err : hwt_store_flush(h->store, 1);
}

int hwt_host_add_source(struct hwt_host *h, const char *name)
{
	struct hwt_source_desc d = { .id = ++h->nsources };
	struct iovec iov[2] = { { &d, sizeof(d) }, { (void *)name, strlen(name) + 1 } };

	if (!h->store)
		return HWT_E_INVAL;
	int err = hwt_store_appendv(h->store, HWT_CHUNK_SOURCE, iov, 2);
	if (!err)
		err = hwt_store_flush(h->store, 1);
	return err ? err : (int)d.id;
}

int hwt_host_stream(struct hwt_host *h, int id, const void *data, size_t len)
{
	static const uint8_t pad[8];
	struct hwt_stream_item it = {
		.ts = h->round_ts,
		.id = (uint64_t)id,
		.kind = HWT_ITEM_SOURCE,
		.len = (uint32_t)len,
	};
	struct iovec iov[3] = { { &it, sizeof(it) },
				{ (void *)data, len },
				{ (void *)pad, -len & 7 } };

	if (!h->store || id <= 0 || (uint32_t)id > h->nsources || len > HWT_CHUNK_MAX / 2)
		return HWT_E_INVAL;
	return hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 3);
}

static struct ring *ring_for_cpu(struct hwt_host *h, int cpu)
{
	for (int i = 0; i < h->nrings; i++)
		if (h->rings[i].cpu == cpu)
			return &h->rings[i];
	return NULL;
}

static int map_ring(struct hwt_host *h, int fd, int cpu)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)page + h->ring_bytes;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (base == MAP_FAILED) {
		hwt_host_set_error(
			h,
			"cannot map a %zu KiB ring buffer for CPU %d (%s): try a smaller "
			"--ring or raise /proc/sys/kernel/perf_event_mlock_kb",
			h->ring_bytes >> 10, cpu, strerror(errno));
		return HWT_E_NOMEM;
	}
	if (h->nrings == h->cap_rings) {
		int cap = h->cap_rings ? 2 * h->cap_rings : 16;
		struct ring *nr = realloc(h->rings, cap * sizeof(*nr));
		if (!nr) {
			munmap(base, len);
			return HWT_E_NOMEM;
		}
		h->rings = nr;
		h->cap_rings = cap;
	}
	h->rings[h->nrings++] = (struct ring){
		.fd = fd,
		.cpu = cpu,
		.page = base,
		.data = (uint8_t *)base + page,
		.size = h->ring_bytes,
	};
	if (h->scratch_cap < h->ring_bytes) {
		free(h->scratch);
		h->scratch = malloc(h->ring_bytes);
		h->scratch_cap = h->scratch ? h->ring_bytes : 0;
		if (!h->scratch)
			return HWT_E_NOMEM;
	}
	return 0;
}

/* The reason perf_event_open() (or the PERF_EVENT_IOC_ID after it) failed with @e, for @name. The
 * shared errno mapping, with what perf_event_open's errors mean on top of it. */
static int open_error(struct hwt_host *h, const struct perf_event_attr *attr, const char *name,
		      int e)
{
	errno = e;
	/* A hardware event the kernel has no PMU for: ENOENT, EOPNOTSUPP or ENODEV. */
	if ((e == ENOENT || e == EOPNOTSUPP || e == ENODEV) &&
	    (attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE ||
	     attr->type == PERF_TYPE_RAW || attr->type >= PERF_TYPE_MAX)) {
		hwt_host_set_error(h,
				   "event '%s' needs a hardware PMU and this machine has none "
				   "(a VM without PMU passthrough?); see `hwtrace list`",
				   name);
		return HWT_E_NOPMU;
	}
	if (e == EACCES || e == EPERM) {
		hwt_host_set_error(h,
				   "not allowed to open event '%s' (%s): run as root or lower "
				   "/proc/sys/kernel/perf_event_paranoid",
				   name, strerror(e));
		return HWT_E_PERM;
	}
	/* Out of file descriptors: a limit the user can raise, not a failing device. */
	if (e == EMFILE || e == ENFILE) {
		hwt_host_set_error(
			h, "out of file descriptors opening event '%s': raise `ulimit -n`", name);
		return HWT_E_BUSY;
	}
	hwt_host_set_error(h, "cannot open event '%s': %s", name, strerror(e));
	/* ENOENT: no such event in its PMU (an event this kernel does not have), not a missing
	 * file. ENODEV from a software event: the CPU is offline, which plugins skip on
	 * HWT_E_INVAL with errno ENODEV (plugins/sample.c). */
	if (e == ENOENT)
		return HWT_E_NOTSUP;
	if (e == ENODEV)
		return HWT_E_INVAL;
	return hwt_error_from_errno(e);
}

int hwt_host_open_event(struct hwt_host *h, struct perf_event_attr *attr, int pid, int cpu,
			int group_fd, const char *name, unsigned flags)
{
	attr->size = sizeof(*attr);
	attr->sample_id_all = 1;
	attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
	attr->read_format |= PERF_FORMAT_ID;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
	int ring = attr->sample_period || attr->freq || (flags & HWT_EVENT_RING);
	if (ring) {
		attr->watermark = 1;
		attr->wakeup_watermark = (uint32_t)(h->ring_bytes / 4);
	}

	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return open_error(h, attr, name, errno);

	struct event ev = { .fd = fd };
	uint64_t id = 0;
	if (ioctl(fd, PERF_EVENT_IOC_ID, &id)) {
		int e = errno;
		close(fd);
		return open_error(h, attr, name, e);
	}
	ev.desc = (struct hwt_event_desc){
		.id = id,
		.config = attr->config,
		.sample_type = attr->sample_type,
		.read_format = attr->read_format,
		.sample_regs_user = attr->sample_regs_user,
		.sample_period = attr->sample_period,
		.type = attr->type,
		.cpu = cpu,
		.sample_stack_user = attr->sample_stack_user,
		.flags = (attr->freq ? HWT_DESC_FREQ : 0) |
			 (flags & HWT_EVENT_READ_PERIODIC ? HWT_DESC_PERIODIC : 0),
	};
	ev.desc.leader_id = id;
	for (int i = 0; group_fd >= 0 && i < h->nevents; i++)
		if (h->events[i].fd == group_fd)
			ev.desc.leader_id = h->events[i].desc.id;
	snprintf(ev.desc.name, sizeof(ev.desc.name), "%s", name);

	int err = 0;
	if (ring) {
		struct ring *r = ring_for_cpu(h, cpu);
		if (r) {
			if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT, r->fd)) {
				hwt_host_set_error(h,
						   "cannot share the ring of CPU %d with '%s': %s",
						   cpu, name, strerror(errno));
				err = HWT_E_INVAL;
			}
		} else {
			err = map_ring(h, fd, cpu);
		}
	}
	if (!err && h->nevents == h->cap_events) {
		int cap = h->cap_events ? 2 * h->cap_events : 32;
		struct event *ne = realloc(h->events, cap * sizeof(*ne));
		if (ne) {
			h->events = ne;
			h->cap_events = cap;
		} else {
			err = HWT_E_NOMEM;
		}
	}
	if (err) {
		close(fd);
		return err;
	}
	h->events[h->nevents++] = ev;
	return fd;
}

int hwt_host_map_aux(struct hwt_host *h, int fd, size_t bytes, int overwrite, void **aux,
		     struct perf_event_mmap_page **page)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct ring *r = NULL;

	for (int i = 0; i < h->nrings && !r; i++)
		if (h->rings[i].fd == fd)
			r = &h->rings[i];
	if (!r) {
		hwt_host_set_error(h,
				   "cannot map an AUX area: the event does not own a ring (it must "
				   "be the first event opened on its CPU)");
		return HWT_E_INVAL;
	}
	if (r->aux || !bytes || bytes % (size_t)pg || (bytes & (bytes - 1))) {
		hwt_host_set_error(h, "cannot map an AUX area of %zu bytes for CPU %d: %s", bytes,
				   r->cpu,
				   r->aux ? "it has one already" : "give a power of two of pages");
		return HWT_E_INVAL;
	}
	/* The AUX area lies behind the data pages; the kernel takes its place and size from the
	 * user page, and makes it an overwritten ring when it is mapped read-only. */
	uint64_t off = (uint64_t)pg + r->size;
	r->page->aux_offset = off;
	r->page->aux_size = bytes;
	void *base = mmap(NULL, bytes, overwrite ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED,
			  fd, (off_t)off);
	if (base == MAP_FAILED) {
		int e = errno;
		hwt_host_set_error(
			h, "cannot map a %zu KiB AUX area for CPU %d (%s): %s", bytes >> 10, r->cpu,
			strerror(e),
			e == EPERM || e == EACCES || e == ENOMEM
				? "run as root or raise /proc/sys/kernel/perf_event_mlock_kb, or "
				  "ask for a smaller area"
			: e == EOPNOTSUPP ? "the event's PMU has no AUX area"
					  : "the kernel refused the area's place or size");
		/* Any other refusal is about the area's place or size (plugin.h): HWT_E_INVAL. */
		int err = hwt_error_from_errno(e);
		errno = e;
		return err == HWT_E_IO ? HWT_E_INVAL : err;
	}
	r->aux = base;
	r->aux_size = bytes;
	*aux = base;
	*page = r->page;
	return 0;
}

/* ---- draining -------------------------------------------------------------------------- */

static void count_records(struct hwt_host *h, const uint8_t *p, size_t len)
{
	for (size_t off = 0; off + sizeof(struct perf_event_header) <= len;) {
		const struct perf_event_header *hd = (const void *)(p + off);
		if (hd->size < sizeof(*hd))
			break;
		if (hd->type != PERF_RECORD_SAMPLE)
			for (int i = 0; i < h->nrun; i++)
				if (h->run[i].plugin->sideband)
					h->run[i].plugin->sideband(h->run[i].st, hd);
		switch (hd->type) {
		case PERF_RECORD_SAMPLE:
			h->end.samples++;
			break;
		case PERF_RECORD_LOST:
			h->end.lost_records += ((const uint64_t *)(hd + 1))[1];
			break;
		case PERF_RECORD_THROTTLE:
			h->end.throttled++;
			break;
		}
		off += hd->size;
	}
}

static int drain_ring(struct hwt_host *h, struct ring *r, uint64_t ts)
{
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->page->data_tail;
	size_t len = (size_t)(head - tail);

	if (!len)
		return 0;
	size_t off = tail & (r->size - 1);
	const uint8_t *src = r->data + off;
	if (off + len > r->size) { /* wraps: make it contiguous */
		size_t first = r->size - off;
		memcpy(h->scratch, r->data + off, first);
		memcpy(h->scratch + first, r->data, len - first);
		src = h->scratch;
	}
	count_records(h, src, len);
	struct hwt_stream_item it = {
		.ts = ts,
		.cpu = r->cpu,
		.kind = HWT_ITEM_RING,
		.len = (uint32_t)len,
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { (void *)src, len } };
	int err = hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 2);
	h->end.bytes += len;
	__atomic_store_n(&r->page->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

static int drain_all(struct hwt_host *h)
{
	int err = 0;

	h->round_ts = mono_ns();
	for (int i = 0; i < h->nrings && !err; i++)
		err = drain_ring(h, &h->rings[i], h->round_ts);
	return err;
}

/* Plugins drain what they keep themselves (BPF rings) into the stream, after the perf rings. */
static void poll_plugins(struct hwt_host *h)
{
	for (int i = 0; i < h->nrun; i++)
		if (h->run[i].plugin->poll && h->run[i].plugin->poll(h->run[i].st, mono_ns()) < 0)
			hwt_host_note(h, "plugin '%s' failed while recording: %s",
				      h->run[i].plugin->name, hwt_host_error(h));
}

static int read_counters(struct hwt_host *h)
{
	uint64_t buf[512];
	uint64_t ts = mono_ns();

	for (int i = 0; i < h->nevents; i++) {
		struct event *ev = &h->events[i];
		if (!(ev->desc.flags & HWT_DESC_PERIODIC))
			continue;
		ssize_t n = read(ev->fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		struct hwt_stream_item it = {
			.ts = ts,
			.id = ev->desc.id,
			.cpu = ev->desc.cpu,
			.kind = HWT_ITEM_READ,
			.len = (uint32_t)n,
		};
		struct iovec iov[2] = { { &it, sizeof(it) }, { buf, (size_t)n } };
		int err = hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 2);
		if (err)
			return err;
	}
	return 0;
}

/* Exact loss: the kernel counts every record it could not write in PERF_FORMAT_LOST, including
 * those lost at the very end for which no PERF_RECORD_LOST is ever written. */
static uint64_t lost_total(struct hwt_host *h)
{
	uint64_t total = 0, buf[512];

	for (int i = 0; i < h->nevents; i++) {
		const struct hwt_event_desc *d = &h->events[i].desc;
		if (!(d->read_format & PERF_FORMAT_LOST) || d->leader_id != d->id)
			continue;
		ssize_t n = read(h->events[i].fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		size_t nv = (size_t)n / 8, k = 0;
		int te = !!(d->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED);
		int tr = !!(d->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING);
		if (d->read_format & PERF_FORMAT_GROUP) {
			uint64_t nr = buf[k++];
			k += te + tr;
			for (uint64_t j = 0; j < nr && k + 3 <= nv; j++, k += 3)
				total += buf[k + 2]; /* value, id, lost */
		} else if (nv >= 1u + te + tr + 2) {
			total += buf[1 + te + tr + 1];
		}
	}
	return total;
}

/* ---- the recording --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t snapshot_signals; /* SIGUSR2 received while recording */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_snapshot_signal(int sig)
{
	snapshot_signals++;
}

uint64_t hwt_host_snapshot_requests(const struct hwt_host *h)
{
	return (uint64_t)snapshot_signals;
}

void hwt_record_config_init(struct hwt_record_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ring_bytes = 1u << 20;
}

struct hwt_host *hwt_host_alloc_probe(void)
{
	struct hwt_host *h = calloc(1, sizeof(*h));
	if (h) {
		h->ring_bytes = 1u << 20;
		h->quiet = 1;
	}
	return h;
}

void hwt_host_free(struct hwt_host *h)
{
	if (!h)
		return;
	long page = sysconf(_SC_PAGESIZE);
	for (int i = 0; i < h->nrings; i++) {
		if (h->rings[i].aux)
			munmap(h->rings[i].aux, h->rings[i].aux_size);
		munmap(h->rings[i].page, (size_t)page + h->rings[i].size);
	}
	for (int i = 0; i < h->nevents; i++)
		close(h->events[i].fd);
	free(h->rings);
	free(h->events);
	free(h->scratch);
	free(h);
}

static void read_first_line(const char *path, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		char *v = prefix ? strchr(line, ':') : line;
		if (!v)
			continue;
		v += prefix ? 1 : 0;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

static void write_meta(struct hwt_host *h, const struct hwt_record_config *cfg, pid_t pid)
{
	char buf[4096], cpu[256];
	struct utsname u;
	struct timespec rt, mono;
	size_t off = 0;

	for (char *const *a = cfg->argv; *a && off < sizeof(buf) - 1; a++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					a == cfg->argv ? "" : " ", *a);
	hwt_host_set_meta(h, "command", buf);
	if (cfg->cmdline)
		hwt_host_set_meta(h, "hwtrace", cfg->cmdline);
	uname(&u);
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	hwt_host_set_meta(h, "kernel", buf);
	hwt_host_set_meta(h, "hostname", u.nodename);
	read_first_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	hwt_host_set_meta(h, "cpu", cpu);
	snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	hwt_host_set_meta(h, "cpus", buf);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	snprintf(buf, sizeof(buf), "%lld.%09ld", (long long)rt.tv_sec, rt.tv_nsec);
	hwt_host_set_meta(h, "start_realtime", buf);
	snprintf(buf, sizeof(buf), "%llu",
		 (unsigned long long)mono.tv_sec * 1000000000ull +
			 (unsigned long long)mono.tv_nsec);
	hwt_host_set_meta(h, "start_monotonic", buf);
	hwt_host_set_meta(h, "clock", "CLOCK_MONOTONIC");
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	hwt_host_set_meta(h, "pid", buf);
}

static int write_events(struct hwt_host *h)
{
	size_t len = (size_t)h->nevents * sizeof(struct hwt_event_desc);
	struct hwt_event_desc *all = malloc(len ? len : 1);

	if (!all)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nevents; i++)
		all[i] = h->events[i].desc;
	int err = hwt_store_write(h->store, HWT_CHUNK_EVENTS, all, len);
	free(all);
	return err;
}

/* The initial address space, for what the kernel never sends MMAP records about ([vdso]). */
static void write_proc_maps(struct hwt_host *h, pid_t pid)
{
	char path[64], *text = NULL;
	size_t cap = 0, len = 8;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	for (;;) {
		if (len + 4096 > cap) {
			char *nt = realloc(text, cap = cap ? cap * 2 : 16384);
			if (!nt)
				break;
			text = nt;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (text && len > 8) {
		uint32_t p32 = (uint32_t)pid, pad = 0;
		memcpy(text, &p32, 4);
		memcpy(text + 4, &pad, 4);
		hwt_store_write(h->store, HWT_CHUNK_PROC_MAPS, text, len);
	}
	free(text);
}

static int open_output(const char *output, char *tmp, size_t len, char *why, size_t whylen)
{
	snprintf(tmp, len, "%s.tmp.%d", output, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				output, strerror(errno));
	return fd;
}

static int run_loop(struct hwt_host *h, struct hwt_launch *l, int *status)
{
	struct pollfd *fds = calloc((size_t)h->nrings + 1, sizeof(*fds));
	int exited = 0, err = 0;

	if (!fds)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nrings; i++)
		fds[i] = (struct pollfd){ .fd = h->rings[i].fd, .events = POLLIN };
	fds[h->nrings] = (struct pollfd){ .fd = l->pidfd, .events = POLLIN };
	int forwarded = 0;
	uint64_t last_read = 0;

	while (!exited && !err) {
		int n = poll(fds, (nfds_t)h->nrings + 1, HWT_POLL_MS);
		if (n < 0 && errno != EINTR) {
			err = HWT_E_IO;
			break;
		}
		/* A ring whose task is gone reports POLLHUP for good: stop asking, or the loop
		 * spins until the pidfd says the whole process is gone. */
		for (int i = 0; n > 0 && i < h->nrings; i++)
			if (fds[i].revents & (POLLHUP | POLLERR))
				fds[i].fd = -1;
		if (stop_signal && !forwarded) {
			/* Ctrl-C reaches the target through the terminal too; kill() covers the
			 * signals that were sent to the recorder alone. */
			kill(l->pid, stop_signal);
			h->end.stopped_by = (uint32_t)stop_signal;
			forwarded = 1;
		}
		err = drain_all(h);
		uint64_t now = mono_ns();
		if (!err && now - last_read >= HWT_POLL_MS * 1000000ull) {
			err = read_counters(h);
			last_read = now;
		}
		if (!err)
			poll_plugins(h);
		if (!err)
			err = hwt_store_flush(h->store, 0);
		if (l->pidfd < 0 || (fds[h->nrings].revents & POLLIN)) {
			pid_t w = waitpid(l->pid, status, l->pidfd < 0 ? WNOHANG : 0);
			exited = w == l->pid;
		}
	}
	free(fds);
	return err;
}

int hwt_record(const struct hwt_record_config *cfg, struct hwt_record_result *res, char *why,
	       size_t whylen)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	struct hwt_launch l = { .pid = -1, .go_fd = -1, .err_fd = -1, .pidfd = -1 };
	struct running *run = calloc((size_t)cfg->nplugins + 1, sizeof(*run));
	struct hwt_host *h = calloc(1, sizeof(*h));
	int nrun = 0, err, renamed = 0, status = 0;

	memset(res, 0, sizeof(*res));
	if (!run || !h) {
		free(run);
		free(h);
		return HWT_E_NOMEM;
	}
	h->ring_bytes = cfg->ring_bytes;
	h->quiet = cfg->quiet;
	err = hwt_target_resolve(cfg->argv ? cfg->argv[0] : NULL, path, sizeof(path), why, whylen);
	if (err)
		goto out;
	int fd = open_output(cfg->output, tmp, sizeof(tmp), why, whylen);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	h->store = hwt_store_writer_open(fd, NULL, &err);
	if (!h->store) {
		snprintf(why, whylen, "cannot write '%s': %s", cfg->output, hwt_errstr(err));
		unlink(tmp);
		goto out;
	}
	err = hwt_launch_start(&l, path, cfg->argv);
	if (err) {
		snprintf(why, whylen, "cannot start '%s': %s", path, strerror(errno));
		goto fail;
	}
	write_meta(h, cfg, l.pid);

	struct hwt_target t = {
		.pid = l.pid,
		.argv = (const char *const *)cfg->argv,
		.path = path,
		.ncpus = (int)sysconf(_SC_NPROCESSORS_CONF),
	};
	for (int i = 0; i < cfg->nplugins; i++) {
		const struct hwt_plugin *p = cfg->plugins[i].plugin;
		char pwhy[256] = "";
		void *st = NULL;

		h->error[0] = 0;
		if (p->probe && p->probe(h, pwhy, sizeof(pwhy)) <= 0)
			err = HWT_E_NOTSUP;
		else
			err = p->start(h, &t, cfg->plugins[i].args ? cfg->plugins[i].args : "",
				       &st);
		if (err >= 0) {
			run[nrun++] = (struct running){ p, st };
			h->run = run;
			h->nrun = nrun;
			hwt_host_set_meta(h, p->kind == HWT_PLUGIN_TRACER ? "backend" : "plugin",
					  p->name);
			continue;
		}
		const char *reason = pwhy[0] ? pwhy : h->error[0] ? h->error : hwt_errstr(err);
		if (p->kind == HWT_PLUGIN_TRACER) {
			snprintf(why, whylen, "%s", reason);
			goto fail;
		}
		hwt_host_note(h, "plugin '%s' disabled: %s", p->name, reason);
		res->ndisabled++;
		err = 0;
	}
	err = write_events(h);
	if (err) {
		snprintf(why, whylen, "cannot write '%s': %s", cfg->output, hwt_errstr(err));
		goto fail;
	}
	/* From here on the recording is worth keeping, even if we are killed. */
	if (rename(tmp, cfg->output)) {
		snprintf(why, whylen, "cannot write '%s': %s", cfg->output, strerror(errno));
		err = HWT_E_IO;
		goto fail;
	}
	renamed = 1;

	struct sigaction sa = { .sa_handler = on_signal }, old_int, old_term, old_usr2;
	struct sigaction snap = { .sa_handler = on_snapshot_signal };
	sigemptyset(&sa.sa_mask);
	sigemptyset(&snap.sa_mask);
	stop_signal = 0;
	snapshot_signals = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGUSR2, &snap, &old_usr2);

	err = hwt_launch_release(&l);
	if (err) {
		int e = errno;
		snprintf(why, whylen, "cannot run '%s': %s", path, strerror(e));
		l.pid = -1;
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGUSR2, &old_usr2, NULL);
		goto fail;
	}
	write_proc_maps(h, l.pid);
	err = run_loop(h, &l, &status);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGUSR2, &old_usr2, NULL);
	l.pid = -1;

	if (!err)
		err = drain_all(h);
	if (!err)
		poll_plugins(h);
	if (!err)
		err = read_counters(h);
	for (int i = 0; i < nrun; i++)
		if (run[i].plugin->stop)
			run[i].plugin->stop(run[i].st);
	h->nrun = 0;
	h->end.ts = mono_ns();
	h->end.pid = t.pid;
	h->end.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	h->end.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	h->end.lost += lost_total(h);
	if (!err)
		err = hwt_store_write(h->store, HWT_CHUNK_END, &h->end, sizeof(h->end));
	res->end = h->end;
	res->file_bytes = hwt_store_writer_bytes(h->store);
	int cerr = hwt_store_writer_close(h->store);
	h->store = NULL;
	if (!err)
		err = cerr;
	if (err)
		snprintf(why, whylen, "writing '%s' failed: %s", cfg->output, hwt_errstr(err));
	struct stat st;
	if (!stat(cfg->output, &st))
		res->file_bytes = (uint64_t)st.st_size;
	goto out;

fail:
	hwt_launch_abort(&l);
	hwt_store_writer_close(h->store);
	h->store = NULL;
	unlink(renamed ? cfg->output : tmp);
out:
	hwt_launch_fini(&l);
	if (l.pidfd >= 0)
		close(l.pidfd);
	hwt_host_free(h);
	free(run);
	return err;
}

/* ---- plugins --------------------------------------------------------------------------- */

const struct hwt_plugin *hwt_plugin_by_name(const char *name)
{
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}

const struct hwt_plugin *hwt_plugin_load(const char *path, char *why, size_t whylen)
{
	void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		snprintf(why, whylen, "cannot load plugin '%s': %s", path, dlerror());
		return NULL;
	}
	const struct hwt_plugin *(*entry)(void) =
		(const struct hwt_plugin *(*)(void))dlsym(lib, HWT_PLUGIN_ENTRY);
	const struct hwt_plugin *p = entry ? entry() : NULL;
	if (!p) {
		snprintf(why, whylen, "'%s' is not an hwtrace plugin: it exports no %s()", path,
			 HWT_PLUGIN_ENTRY);
		dlclose(lib);
		return NULL;
	}
	if (p->abi != HWT_PLUGIN_ABI || p->size < sizeof(*p) || !p->name || !p->start) {
		snprintf(why, whylen,
			 "plugin '%s' was built for plugin ABI %u, this hwtrace has %u: "
			 "rebuild it against this hwtrace's <hwtrace/plugin.h>",
			 path, p->abi, HWT_PLUGIN_ABI);
		dlclose(lib);
		return NULL;
	}
	return p;
}

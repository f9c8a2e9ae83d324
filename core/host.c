/* The recording host's services to plugins: perf events and the rings they share, AUX areas,
 * chunks, streams, notes and errors; and the loading of built-in and external plugins. */
#include "host.h"

#include <dlfcn.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "elfsym.h"
#include "host_internal.h"
#include "store.h"
#include "util.h"

/* The most a ring fills before the recording loop is woken to drain it. */
#define HWT_WAKEUP_MAX (256u << 10)

/* The least a ring is shrunk to when the locked-memory limit refuses more (a -g dwarf sample is
 * 8.4 KiB). */
#define HWT_RING_FLOOR (64u << 10)

/* Data bytes of a watch ring: a few hundred fork, exec and mmap records between two rounds. */
#define HWT_WATCH_RING (16u << 10)

/* ---- services for plugins -------------------------------------------------------------- */

/* A plugin's poll thread keeps its errors apart from the recording thread's. */
static __thread char *thread_error;

void hwt_host_thread_error(char *buf)
{
	thread_error = buf;
}

void hwt_host_set_error(struct hwt_host *h, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(thread_error ? thread_error : h->error, sizeof(h->error), fmt, ap);
	va_end(ap);
}

const char *hwt_host_error(const struct hwt_host *h)
{
	return thread_error ? thread_error : h->error;
}

/* Where notes go as they are made (the CLI prints them), besides the recording. */
static hwt_note_fn note_fn;
static void *note_ctx;

void hwt_record_set_note_fn(hwt_note_fn fn, void *ctx)
{
	note_fn = fn;
	note_ctx = ctx;
}

/* A progress line is on the terminal: the next line printed goes over it. */
static int progress_shown;

static void clear_progress(void)
{
	if (progress_shown)
		fputs("\r\033[K", stderr);
	progress_shown = 0;
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
	hwt_host_lock(h);
	clear_progress();
	if (!h->quiet && note_fn)
		note_fn(note_ctx, msg);
	if (h->store)
		hwt_store_write(h->store, HWT_CHUNK_NOTE, msg, strlen(msg));
	hwt_host_unlock(h);
}

void hwt_host_progress(struct hwt_host *h, const char *fmt, ...)
{
	va_list ap;

	hwt_host_lock(h);
	if (!fmt || h->quiet || !isatty(STDERR_FILENO)) {
		clear_progress();
		hwt_host_unlock(h);
		return;
	}
	fputs("\rhwtrace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
	progress_shown = 1;
	hwt_host_unlock(h);
}

void hwt_host_fail(struct hwt_host *h, const char *fmt, ...)
{
	va_list ap;

	hwt_host_lock(h);
	va_start(ap, fmt);
	vsnprintf(h->failed, sizeof(h->failed), fmt, ap);
	va_end(ap);
	hwt_host_unlock(h);
}

void hwt_host_count_lost(struct hwt_host *h, uint64_t n)
{
	hwt_host_lock(h);
	h->end.lost += n;
	hwt_host_unlock(h);
}

static int set_meta_locked(struct hwt_host *h, const char *key, const char *value)
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

int hwt_host_set_meta(struct hwt_host *h, const char *key, const char *value)
{
	hwt_host_lock(h);
	int rc = set_meta_locked(h, key, value);
	hwt_host_unlock(h);
	return rc;
}

static int write_chunk_locked(struct hwt_host *h, const char *plugin, const void *data, size_t len)
{
	uint32_t nl = (uint32_t)strlen(plugin);
	struct iovec iov[3] = { { &nl, 4 }, { (void *)plugin, nl }, { (void *)data, len } };

	if (!h->store)
		return HWT_E_INVAL;
	int err = hwt_store_appendv(h->store, HWT_CHUNK_PLUGIN, iov, 3);
	return err ? err : hwt_store_flush(h->store, 1);
}

int hwt_host_write_chunk(struct hwt_host *h, const char *plugin, const void *data, size_t len)
{
	hwt_host_lock(h);
	int rc = write_chunk_locked(h, plugin, data, len);
	hwt_host_unlock(h);
	return rc;
}

static int add_source_locked(struct hwt_host *h, const char *name)
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

int hwt_host_add_source(struct hwt_host *h, const char *name)
{
	hwt_host_lock(h);
	int rc = add_source_locked(h, name);
	hwt_host_unlock(h);
	return rc;
}

static int stream_locked(struct hwt_host *h, int id, const void *data, size_t len)
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

int hwt_host_stream(struct hwt_host *h, int id, const void *data, size_t len)
{
	hwt_host_lock(h);
	int rc = stream_locked(h, id, data, len);
	hwt_host_unlock(h);
	return rc;
}

static struct ring *ring_for_cpu(struct hwt_host *h, int cpu)
{
	for (int i = 0; i < h->nrings; i++)
		if (h->rings[i].cpu == cpu && !h->rings[i].watch)
			return &h->rings[i];
	return NULL;
}

static int map_ring(struct hwt_host *h, int fd, int cpu, int watch)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t bytes = watch ? HWT_WATCH_RING : h->ring_bytes, len = (size_t)page + bytes;
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (base == MAP_FAILED && watch)
		return HWT_E_NOMEM; /* said by the caller, if at all */
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
		.size = bytes,
		.watch = watch,
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

/* The side-band records an event asks for, as bits. */
enum {
	SB_MMAP = 1,
	SB_MMAP2 = 2,
	SB_MMAP_DATA = 4,
	SB_BUILD_ID = 8,
	SB_COMM = 16,
	SB_COMM_EXEC = 32,
	SB_TASK = 64,
	SB_SWITCH = 128,
};

static struct event sideband_of(const struct perf_event_attr *a, int pid)
{
	return (struct event){
		.pid = pid,
		.sideband = (a->mmap ? SB_MMAP : 0) | (a->mmap2 ? SB_MMAP2 : 0) |
			    (a->mmap_data ? SB_MMAP_DATA : 0) | (a->build_id ? SB_BUILD_ID : 0) |
			    (a->comm ? SB_COMM : 0) | (a->comm_exec ? SB_COMM_EXEC : 0) |
			    (a->task ? SB_TASK : 0) | (a->context_switch ? SB_SWITCH : 0),
		.inherit = (uint8_t)a->inherit,
		.starts = (uint8_t)(a->disabled ? 1 + !a->enable_on_exec : 0),
	};
}

/* Two tracers in one recording (an exact-call tracer and sampling) each ask for MMAP2, COMM,
 * FORK and EXIT records of the same task on the same CPU; the decoders would see every thread
 * start twice. The later event asks for none when an earlier one on that task and CPU already
 * gets all it asks for, as early and for the children too. */
static void drop_repeated_sideband(struct hwt_host *h, struct perf_event_attr *attr, int pid,
				   int cpu)
{
	struct event want = sideband_of(attr, pid);

	for (int i = 0; want.sideband && i < h->nevents; i++) {
		const struct event *e = &h->events[i];
		if (e->pid != pid || e->desc.cpu != cpu ||
		    (e->sideband & want.sideband) != want.sideband || e->inherit < want.inherit ||
		    e->starts > want.starts)
			continue;
		attr->mmap = attr->mmap2 = attr->mmap_data = attr->build_id = 0;
		attr->comm = attr->comm_exec = attr->task = attr->context_switch = 0;
		return;
	}
}

/* The scrub of copied stacks must read a process's /proc entry while it lives: a process that
 * exits before the recording loop's next round (10 ms, or a quarter ring) would keep no stacks.
 * Beside the first event of task @pid on @cpu that copies stacks, a watch event on the same
 * target records its forks, execs and code mappings into a small ring of its own that wakes the
 * loop at each record: the scrub then reads the new process's entry at once. Best effort: no
 * watch where it cannot be opened or mapped (the locked-memory limit), stacks as before. */
static void watch_tasks(struct hwt_host *h, const struct perf_event_attr *like, int pid, int cpu)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY,
		.task = 1,
		.comm = 1,
		.comm_exec = 1,
		.mmap = 1,
		.watermark = 1,
		.wakeup_watermark = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.inherit = like->inherit,
		.disabled = like->disabled,
		.enable_on_exec = like->enable_on_exec,
	};

	if (!(like->sample_type & PERF_SAMPLE_STACK_USER) || !h->store)
		return;
	for (int i = 0; i < h->nrings; i++)
		if (h->rings[i].watch && h->rings[i].cpu == cpu)
			return;
	int fd = (int)syscall(SYS_perf_event_open, &a, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0 && map_ring(h, fd, cpu, 1))
		close(fd);
}

static int open_event_locked(struct hwt_host *h, struct perf_event_attr *attr, int pid, int cpu,
			     int group_fd, const char *name, unsigned flags)
{
	drop_repeated_sideband(h, attr, pid, cpu);
	attr->size = sizeof(*attr);
	attr->sample_id_all = 1;
	attr->sample_type |= PERF_SAMPLE_IDENTIFIER;
	attr->read_format |= PERF_FORMAT_ID;
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
	int ring = attr->sample_period || attr->freq || (flags & HWT_EVENT_RING);
	if (ring) {
		/* A quarter of the ring, 256 KiB at most: a big ring is room for bursts, not a
		 * reason to drain less often (the scrub of copied stacks reads /proc while the
		 * process lives; a short one drained after its exit keeps no stacks). */
		attr->watermark = 1;
		attr->wakeup_watermark =
			(uint32_t)(h->ring_bytes / 4 < HWT_WAKEUP_MAX ? h->ring_bytes / 4
								      : HWT_WAKEUP_MAX);
	}

	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, group_fd, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return open_error(h, attr, name, errno);

	struct event ev = sideband_of(attr, pid);
	uint64_t id = 0;

	ev.fd = fd;
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
	if (h->starting >= 0 && h->run)
		snprintf(ev.desc.plugin, sizeof(ev.desc.plugin), "%s",
			 h->run[h->starting].plugin->name);

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
			err = map_ring(h, fd, cpu, 0);
		}
		if (!err)
			watch_tasks(h, attr, pid, cpu);
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

/* Maps @n rings of @bytes on dummy events of this process, as the recording's will be, and undoes
 * it: 0 if the kernel allows it, else the errno of the first mapping it refuses. */
static int rings_fit(int n, size_t bytes)
{
	struct perf_event_attr a = { .type = PERF_TYPE_SOFTWARE,
				     .size = sizeof(a),
				     .config = PERF_COUNT_SW_DUMMY,
				     .disabled = 1,
				     .exclude_kernel = 1,
				     .exclude_hv = 1 };
	size_t len = (size_t)sysconf(_SC_PAGESIZE) + bytes;
	int fds[64], err = 0, k = 0;
	void *maps[64];

	for (; k < n && k < 64 && !err; k++) {
		maps[k] = MAP_FAILED;
		fds[k] = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fds[k] < 0)
			break; /* no dummy event to try with: the real ones will say */
		maps[k] = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[k], 0);
		if (maps[k] == MAP_FAILED)
			err = errno;
	}
	while (k-- > 0) {
		if (maps[k] != MAP_FAILED)
			munmap(maps[k], len);
		close(fds[k]);
	}
	return err;
}

/* Non-zero if this process may lock memory beyond the limits (CAP_IPC_LOCK in effect). */
static int may_lock_memory(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return (data[CAP_IPC_LOCK / 32].effective >> (CAP_IPC_LOCK % 32)) & 1;
}

void hwt_host_fit_rings(struct hwt_host *h, int ncpus)
{
	size_t asked = h->ring_bytes;

	if (may_lock_memory())
		return; /* trying would cost the mapping of every ring, twice */

	/* The kernel locks a ring's pages against the user's perf_event_mlock_kb per CPU, then
	 * RLIMIT_MEMLOCK, unless the recorder may lock memory (root, CAP_IPC_LOCK): a user with
	 * CAP_PERFMON alone gets about 9 MiB on 2 CPUs. Beyond 64 CPUs, 64 rings stand for all. */
	while (h->ring_bytes > HWT_RING_FLOOR && rings_fit(ncpus, h->ring_bytes) == EPERM)
		h->ring_bytes /= 2;
	if (h->ring_bytes < asked)
		hwt_host_note(h,
			      "rings of %zu KiB a CPU, not %zu: perf's locked-memory limit allows "
			      "no more (raise /proc/sys/kernel/perf_event_mlock_kb, or record with "
			      "CAP_IPC_LOCK)",
			      h->ring_bytes >> 10, asked >> 10);
}

int hwt_host_open_event(struct hwt_host *h, struct perf_event_attr *attr, int pid, int cpu,
			int group_fd, const char *name, unsigned flags)
{
	hwt_host_lock(h);
	int rc = open_event_locked(h, attr, pid, cpu, group_fd, name, flags);
	hwt_host_unlock(h);
	return rc;
}

static int map_aux_locked(struct hwt_host *h, int fd, size_t bytes, int overwrite, void **aux,
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

int hwt_host_map_aux(struct hwt_host *h, int fd, size_t bytes, int overwrite, void **aux,
		     struct perf_event_mmap_page **page)
{
	hwt_host_lock(h);
	int rc = map_aux_locked(h, fd, bytes, overwrite, aux, page);
	hwt_host_unlock(h);
	return rc;
}

/* ---- the host -------------------------------------------------------------------------- */

struct hwt_host *hwt_host_alloc(void)
{
	struct hwt_host *h = calloc(1, sizeof(*h));
	pthread_mutexattr_t attr;

	if (!h)
		return NULL;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&h->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	h->starting = -1;
	return h;
}

struct hwt_host *hwt_host_alloc_probe(void)
{
	struct hwt_host *h = hwt_host_alloc();
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
		if (h->rings[i].watch)
			close(h->rings[i].fd);
	}
	for (int i = 0; i < h->nevents; i++)
		close(h->events[i].fd);
	free(h->rings);
	free(h->events);
	free(h->scratch);
	hwt_scrub_fini(&h->scrub);
	free(h->custom);
	pthread_mutex_destroy(&h->lock);
	free(h);
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
	/* dlopen() of a name without a slash searches LD_LIBRARY_PATH and the system's library
	 * directories, and any file it loads runs its constructors before the ABI is seen: only
	 * the file named, and only once its symbol table shows the entry point. */
	if (!path || !strchr(path, '/')) {
		snprintf(why, whylen,
			 "-P %s: a plugin file is loaded only from a path: give ./%s or an "
			 "absolute path",
			 path ? path : "", path ? path : "");
		return NULL;
	}
	int has =
		hwt_elf_has_symbol(path, HWT_PLUGIN_ENTRY, HWT_ELFSYM_DEFINED | HWT_ELFSYM_DYNAMIC);
	if (has <= 0) {
		if (has == HWT_E_NOENT || has == HWT_E_PERM)
			snprintf(why, whylen, "cannot load plugin '%s': %s", path, strerror(errno));
		else if (has == HWT_E_INVAL)
			snprintf(why, whylen, "cannot load plugin '%s': not a regular file", path);
		else
			snprintf(why, whylen,
				 "'%s' is not an hwtrace plugin: %s; build one against "
				 "<hwtrace/plugin.h>",
				 path,
				 has == HWT_E_ELF ? "not an ELF shared object"
						  : "it exports no " HWT_PLUGIN_ENTRY "()");
		return NULL;
	}
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

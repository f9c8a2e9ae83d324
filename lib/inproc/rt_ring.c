/* The inproc runtime's half of the in-program API's area: maps it, finds the recorder's
 * selection in its log, writes declarations, gives each thread a call ring (again in a forked
 * child, the same one after exec) and writes the patcher's entries and returns into it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/inproc/patch.h"
#include "rt_internal.h"

struct hwt_api_area *rt_area;
struct hwt_inproc_config *rt_config;
const uint8_t *rt_config_body;
size_t rt_config_len;

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* A thread takes a sample of what a traced call costs (rt_cost_sample()) every this many bytes of
 * its records: every 65,536 calls, a few microseconds each time. */
#define RT_COST_EVERY (1ull << 20)

static uint64_t area_size;
static uint64_t image; /* this program image (its AT_RANDOM bytes): new at each exec */
static uint64_t ring_limit;
static pthread_key_t ring_key;

/* The calling thread's ring. Initial-exec TLS: no call to find it. */
struct rt_tls {
	struct hwt_api_ring *r;
	uint64_t *data;	     /* the ring's 8-byte words */
	uint64_t mask;	     /* words - 1 */
	uint64_t head, tail; /* bytes; tail as last read, re-read only when the ring looks full */
	uint64_t last;	     /* time of the last record written; 0: none yet (a SYNC comes) */
	int calibrating;
	uint64_t cal_off;   /* while calibrating: where its records go, past head */
	uint64_t next_cost; /* head at which the next in-run cost sample is taken */
	uint64_t
		cal_inside; /* while calibrating: ns from each entry's clock read to its return's */
	int quiet;  /* the runtime's own work: its calls of patched functions are not the program's
		     */
	int failed; /* no ring could be had: stop trying */
};
static __thread struct rt_tls t __attribute__((tls_model("initial-exec")));

uint64_t rt_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int area_ok(const struct hwt_api_area *a)
{
	uint64_t rings_end = a->rings_off + (uint64_t)a->nrings * sizeof(struct hwt_api_ring);

	return a->magic == HWT_API_MAGIC && a->version == HWT_API_VERSION && a->size == area_size &&
	       a->ring_bytes >= 4096 && !(a->ring_bytes & (a->ring_bytes - 1)) &&
	       a->rings_off >= sizeof(*a) && rings_end <= a->decl_off &&
	       a->decl_off + a->decl_bytes <= a->data_off &&
	       a->data_off + a->nrings * a->ring_bytes <= a->size;
}

/* The config: the log's first entry of its type (the recorder writes it before the program
 * starts). */
static int find_config(void)
{
	uint8_t *log = (uint8_t *)rt_area + rt_area->decl_off;
	uint64_t used = __atomic_load_n(&rt_area->decl_used, __ATOMIC_ACQUIRE), off = 0;

	if (used > rt_area->decl_bytes)
		used = rt_area->decl_bytes;
	while (off + sizeof(struct hwt_api_decl) + sizeof(struct hwt_custom_rec) <= used) {
		struct hwt_api_decl *d = (struct hwt_api_decl *)(log + off);
		if (d->size < sizeof(*d) + sizeof(struct hwt_custom_rec) || d->size % 8 ||
		    d->size > used - off)
			return -1;
		struct hwt_custom_rec *rec = (struct hwt_custom_rec *)(d + 1);
		if (__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE) &&
		    rec->type == HWT_CR_INPROC_CONFIG && rec->len >= sizeof(*rt_config) &&
		    rec->len <= d->size - sizeof(*d) - sizeof(*rec)) {
			rt_config = (struct hwt_inproc_config *)(rec + 1);
			rt_config_body = (const uint8_t *)(rec + 1);
			rt_config_len = rec->len;
			return rt_config->version == HWT_INPROC_CONFIG_VERSION ? 0 : -1;
		}
		off += d->size;
	}
	return -1;
}

/* A thread ended (its key's destructor): the recorder drains its ring and frees it. */
static void ring_exit(void *p)
{
	struct hwt_api_ring *r = p;

	if (t.r == r)
		t = (struct rt_tls){ .failed = 1 };
	__atomic_store_n(&r->state, HWT_API_DEAD, __ATOMIC_RELEASE);
}

/* The process exits (exit(), returning from main): the main thread's ring, whose key destructor
 * never runs, goes back to the recorder. Late, after the program's own destructors; what runs
 * after this is not recorded (counted as lost). */
__attribute__((destructor(101))) static void ring_at_exit(void)
{
	struct hwt_api_ring *r = t.r;

	if (!r)
		return;
	t = (struct rt_tls){ .failed = 1 };
	__atomic_store_n(&r->state, HWT_API_DEAD, __ATOMIC_RELEASE);
}

/* In the child of fork(): the parent's ring is not ours. */
static void after_fork_child(void)
{
	t = (struct rt_tls){ 0 };
}

int rt_area_open(void)
{
	const char *env = getenv(HWT_API_ENV);
	char *end;
	struct stat st;

	if (!env || !*env)
		return -1;
	errno = 0;
	long fd = strtol(env, &end, 10);
	if (errno || *end != ':' || fd < 0 || fd > 1 << 20)
		return -1;
	area_size = strtoull(end + 1, &end, 10);
	if (errno || *end || area_size < sizeof(struct hwt_api_area))
		return -1;
	/* The fd may have been closed and reused since: only a file of the area's size. */
	if (fstat((int)fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != area_size)
		return -1;
	void *p = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_SHARED, (int)fd, 0);
	if (p == MAP_FAILED)
		return -1;
	rt_area = p;
	if (!area_ok(rt_area) || find_config() || pthread_key_create(&ring_key, ring_exit) ||
	    pthread_atfork(NULL, NULL, after_fork_child)) {
		munmap(p, area_size);
		rt_area = NULL;
		rt_config = NULL;
		return -1;
	}
	const void *rnd = (const void *)getauxval(AT_RANDOM);
	if (rnd)
		memcpy(&image, rnd, sizeof(image));
	else
		image = rt_now() ^ (uint64_t)getpid() << 32;
	ring_limit = rt_area->ring_bytes;
	if (rt_config->ring_bytes >= 4096 && rt_config->ring_bytes < ring_limit)
		ring_limit = rt_config->ring_bytes;
	return 0;
}

void *rt_declare_begin(uint16_t type, size_t len)
{
	size_t size = sizeof(struct hwt_api_decl) + hwt_custom_size(len);

	if (!rt_area || len > UINT32_MAX)
		return NULL;
	uint64_t off = __atomic_fetch_add(&rt_area->decl_used, size, __ATOMIC_RELAXED);
	if (off + size > rt_area->decl_bytes) {
		__atomic_fetch_add(&rt_area->lost_nodecl, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	struct hwt_api_decl *d =
		(struct hwt_api_decl *)((uint8_t *)rt_area + rt_area->decl_off + off);
	struct hwt_custom_rec *h = (struct hwt_custom_rec *)(d + 1);
	*h = (struct hwt_custom_rec){ .type = type,
				      .len = (uint32_t)len,
				      .ts = rt_now(),
				      .pid = (int32_t)getpid(),
				      .tid = (int32_t)syscall(SYS_gettid) };
	memset(h + 1, 0, size - sizeof(*d) - sizeof(*h));
	d->size = (uint32_t)size;
	return h + 1;
}

void rt_declare_end(void *body)
{
	struct hwt_api_decl *d =
		(struct hwt_api_decl *)((uint8_t *)body - sizeof(struct hwt_custom_rec)) - 1;
	__atomic_store_n(&d->ready, 1, __ATOMIC_RELEASE);
}

static struct hwt_api_ring *ring_at(uint32_t i)
{
	return (struct hwt_api_ring *)((uint8_t *)rt_area + rt_area->rings_off) + i;
}

static void take(struct hwt_api_ring *r, uint32_t i)
{
	t.r = r;
	t.data = (uint64_t *)((uint8_t *)rt_area + rt_area->data_off +
			      (uint64_t)i * rt_area->ring_bytes);
	t.mask = rt_area->ring_bytes / 8 - 1;
	t.head = r->head;
	t.tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	t.last = 0;
	t.next_cost = t.head + RT_COST_EVERY;
	pthread_setspecific(ring_key, r);
}

/* Gives the calling thread a call ring: the one its thread id had in an image before an exec
 * (whose writer is gone), else a free one. Returns 0 or -1. */
static int claim(void)
{
	if (!rt_area || t.failed)
		return -1;
	int32_t pid = (int32_t)getpid(), tid = (int32_t)syscall(SYS_gettid);
	for (uint32_t i = 0; i < rt_area->nrings; i++) {
		struct hwt_api_ring *r = ring_at(i);
		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == HWT_API_USED &&
		    r->kind == HWT_API_RING_CALLS && r->pid == pid && r->tid == tid &&
		    r->image != image) {
			r->image = image;
			take(r, i);
			return 0;
		}
	}
	for (uint32_t i = 0; i < rt_area->nrings; i++) {
		struct hwt_api_ring *r = ring_at(i);
		uint32_t free_state = HWT_API_FREE;
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != HWT_API_FREE ||
		    !__atomic_compare_exchange_n(&r->state, &free_state, HWT_API_CLAIMING, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		r->pid = pid;
		r->tid = tid;
		r->image = image;
		r->kind = HWT_API_RING_CALLS;
		__atomic_store_n(&r->state, HWT_API_USED, __ATOMIC_RELEASE);
		take(r, i);
		return 0;
	}
	t.failed = 1;
	return -1;
}

void rt_ring_populate(void)
{
	if (!t.r && claim())
		return;
	/* A first write into each page of the ring is a page fault (4-12 us on this project's
	 * VMs): 1,024 of them for a 4 MiB ring, each landing inside the traced call whose record
	 * crossed the page. Here they are taken at once, before main. Threads started later still
	 * take theirs as they go (populating a ring per thread would cost thread-heavy programs
	 * milliseconds per thread). Linux >= 5.14; where it is missing, nothing happens. */
	madvise(t.data, rt_area->ring_bytes, MADV_POPULATE_WRITE);
}

void rt_set_quiet(int on)
{
	t.quiet = on;
}

uint64_t rt_calibrated_inside(void)
{
	return t.cal_inside;
}

void rt_set_calibrating(int on)
{
	if (on)
		t.cal_inside = 0;
	t.calibrating = on;
	t.cal_off = 0;
	t.last = 0; /* the next record published starts with a SYNC */
}

/* Measures what a traced call costs now, in the run's conditions (rt_cost_sample()), after this
 * thread's record was published: its calls are measured, not recorded. Signals are blocked
 * meanwhile, so that no handler's calls are taken for the measurement's. */
static __attribute__((noinline)) void cost_sample(void)
{
	uint64_t last = t.last;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	t.calibrating = 1;
	t.cal_inside = 0;
	rt_cost_sample();
	t.calibrating = 0;
	t.cal_off = 0;
	t.last = last;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Writes one record (with a SYNC first when needed) and publishes it. */
static inline void put(uint32_t code)
{
	if (__builtin_expect(t.quiet, 0))
		return;
	if (__builtin_expect(!t.r, 0) && claim()) {
		if (rt_area)
			__atomic_fetch_add(&rt_area->lost_noring, 1, __ATOMIC_RELAXED);
		return;
	}
	/* The clock after the drains seen: see "Time order" in core/progapi.h. */
	uint64_t gen = __atomic_load_n(&rt_area->drain_gen, __ATOMIC_ACQUIRE);
	uint64_t now = rt_now(), dt = now - t.last;
	uint64_t need = dt >> 32 ? 16 : 8, head = t.head;
	if (head + need - t.tail > ring_limit) {
		t.tail = __atomic_load_n(&t.r->tail, __ATOMIC_ACQUIRE);
		if (__builtin_expect(head + need - t.tail > ring_limit, 0)) {
			__atomic_store_n(&t.r->lost, t.r->lost + 1, __ATOMIC_RELAXED);
			return;
		}
	}
	if (need == 16) {
		t.data[(head / 8) & t.mask] = (uint64_t)(uint32_t)now << 32 | HWT_INPROC_SYNC;
		t.data[(head / 8 + 1) & t.mask] = now >> 32;
		head += 16;
		dt = 0;
	}
	uint64_t *slot = &t.data[((head + t.cal_off) / 8) & t.mask];
	*slot = dt << 32 | code;
	if (__builtin_expect(t.calibrating, 0)) {
		if ((code & 3) == HWT_INPROC_RETURN)
			t.cal_inside += dt; /* entry's clock read to the return's */
		t.last = now;		    /* the work done, nothing published */
		/* Into the ring's next free words, as the run's records go (a new cache line every
		 * eight): what they cost is part of a call's. */
		if (head + t.cal_off + 16 - t.tail <= ring_limit)
			t.cal_off += 8;
		return;
	}
	if (__builtin_expect(__atomic_load_n(&rt_area->drain_gen, __ATOMIC_ACQUIRE) != gen, 0)) {
		/* Held up across a drain: now is the time. */
		uint64_t later = rt_now();
		if (need == 8 && !((later - t.last) >> 32)) {
			*slot = (later - t.last) << 32 | code;
			now = later;
		}
	}
	t.head = head + 8;
	t.last = now;
	__atomic_store_n(&t.r->head, t.head, __ATOMIC_RELEASE);
	/* Not at an UNWOUND record: frames left by longjmp may still be on the shadow stack. */
	if (__builtin_expect(t.head >= t.next_cost, 0) && (code & 3) != HWT_INPROC_UNWOUND) {
		t.next_cost = t.head + RT_COST_EVERY;
		cost_sample();
	}
}

void rt_enter(void *ctx, uint32_t id)
{
	put(id << 2 | HWT_INPROC_ENTRY);
}

void rt_leave(void *ctx, uint32_t id, unsigned flags)
{
	put(id << 2 | (flags & HWT_PATCH_LEAVE_UNWOUND ? HWT_INPROC_UNWOUND : HWT_INPROC_RETURN));
}

/* libhwtrace's half of the shared area: finds it in the environment, maps it at the first event,
 * gives each thread a ring (again in a forked child, the same one after exec), reserves and
 * publishes records, declares tracks. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "api_internal.h"

HWT_EXPORT int hwt__active;
uint32_t hwt_lib_fork_gen;

static int area_fd = -1;
static uint64_t area_size;
static struct hwt_api_area *area;
static pthread_once_t map_once = PTHREAD_ONCE_INIT;
static pthread_key_t ring_key;
static uint64_t image; /* this program image: its AT_RANDOM bytes, the same for every copy of
			* the library in it, new at each exec */

/* The calling thread's ring. Initial-exec TLS: no call to find it. */
struct tls {
	struct hwt_api_ring *r;
	uint8_t *data;
	uint64_t mask;
	uint64_t tail; /* the ring's tail as last read: re-read only when it looks full */
	int32_t pid, tid;
	int busy; /* an event is being written: a signal handler's event is dropped */
};
static __thread struct tls t __attribute__((tls_model("initial-exec")));

/* Reads HWTRACE_API=FD:BYTES before main(); maps nothing yet. Priority 101: before the
 * program's own constructors, so that they may record. */
__attribute__((constructor(101))) HWT_EXPORT void hwt__init(void)
{
	const char *env = getenv(HWT_API_ENV);
	char *end;

	hwt__active = 0;
	if (!env || !*env)
		return;
	errno = 0;
	long fd = strtol(env, &end, 10);
	if (errno || *end != ':' || fd < 0 || fd > 1 << 20)
		return;
	unsigned long long size = strtoull(end + 1, &end, 10);
	if (errno || *end || size < sizeof(struct hwt_api_area))
		return;
	area_fd = (int)fd;
	area_size = size;
	hwt__active = 1;
}

uint64_t hwt_lib_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A thread ended (its key's destructor): the recorder drains its ring and frees it. */
static void hwt_lib_ring_exit(void *p)
{
	struct hwt_api_ring *r = p;

	if (t.r == r)
		t.r = NULL;
	__atomic_store_n(&r->state, HWT_API_DEAD, __ATOMIC_RELEASE);
}

/* In the child of fork(): the parent's ring is not ours; tracks are the parent's. */
static void hwt_lib_after_fork_child(void)
{
	t.r = NULL;
	hwt_lib_fork_gen++;
}

static int hwt_lib_area_ok(const struct hwt_api_area *a)
{
	uint64_t rings_end = a->rings_off + (uint64_t)a->nrings * sizeof(struct hwt_api_ring);

	return a->magic == HWT_API_MAGIC && a->version == HWT_API_VERSION && a->size == area_size &&
	       a->ring_bytes >= 4096 && !(a->ring_bytes & (a->ring_bytes - 1)) &&
	       a->rings_off >= sizeof(*a) && rings_end <= a->decl_off &&
	       a->decl_off + a->decl_bytes <= a->data_off &&
	       a->data_off + a->nrings * a->ring_bytes <= a->size;
}

static void hwt_lib_map_area(void)
{
	struct stat st;

	/* The fd may have been closed and reused since (an exec'ed image): only a file of the
	 * area's size is mapped, whose head is then checked; a shorter one would fault. */
	if (fstat(area_fd, &st) || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != area_size)
		return;
	void *p = mmap(NULL, area_size, PROT_READ | PROT_WRITE, MAP_SHARED, area_fd, 0);
	if (p == MAP_FAILED)
		return;
	if (!hwt_lib_area_ok(p) || pthread_key_create(&ring_key, hwt_lib_ring_exit) ||
	    pthread_atfork(NULL, NULL, hwt_lib_after_fork_child)) {
		munmap(p, area_size);
		return;
	}
	const void *rnd = (const void *)getauxval(AT_RANDOM);
	if (rnd)
		memcpy(&image, rnd, sizeof(image));
	else
		image = hwt_lib_now() ^ (uint64_t)getpid() << 32;
	area = p;
}

/* The area, mapped at the first call; NULL (and nothing recorded from now on) when it cannot
 * be. */
static struct hwt_api_area *hwt_lib_get_area(void)
{
	if (__builtin_expect(!area, 0)) {
		pthread_once(&map_once, hwt_lib_map_area);
		if (!area)
			hwt__active = 0;
	}
	return area;
}

static struct hwt_api_ring *hwt_lib_ring_at(uint32_t i)
{
	return (struct hwt_api_ring *)((uint8_t *)area + area->rings_off) + i;
}

static void hwt_lib_take(struct hwt_api_ring *r, uint32_t i, int32_t pid, int32_t tid)
{
	t.r = r;
	t.data = (uint8_t *)area + area->data_off + (uint64_t)i * area->ring_bytes;
	t.mask = area->ring_bytes - 1;
	t.tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	t.pid = pid;
	t.tid = tid;
	pthread_setspecific(ring_key, r);
}

/* Gives the calling thread a ring: the one its thread id had in an image before an exec (whose
 * writer is gone), else a free one. A ring of this thread in this image belongs to another copy
 * of the library (a static one in a shared object): left alone. */
static struct hwt_api_ring *hwt_lib_claim(void)
{
	if (!hwt_lib_get_area())
		return NULL;
	int32_t pid = (int32_t)getpid(), tid = (int32_t)syscall(SYS_gettid);
	for (uint32_t i = 0; i < area->nrings; i++) {
		struct hwt_api_ring *r = hwt_lib_ring_at(i);
		if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) == HWT_API_USED && r->pid == pid &&
		    r->tid == tid && r->image != image && r->kind == HWT_API_RING_API) {
			r->image = image;
			hwt_lib_take(r, i, pid, tid);
			return r;
		}
	}
	for (uint32_t i = 0; i < area->nrings; i++) {
		struct hwt_api_ring *r = hwt_lib_ring_at(i);
		uint32_t free_state = HWT_API_FREE;
		if (__atomic_load_n(&r->state, __ATOMIC_RELAXED) != HWT_API_FREE ||
		    !__atomic_compare_exchange_n(&r->state, &free_state, HWT_API_CLAIMING, 0,
						 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			continue;
		r->pid = pid;
		r->tid = tid;
		r->image = image;
		r->kind = HWT_API_RING_API;
		__atomic_store_n(&r->state, HWT_API_USED, __ATOMIC_RELEASE);
		hwt_lib_take(r, i, pid, tid);
		return r;
	}
	return NULL;
}

void hwt_lib_lost(uint64_t n)
{
	if (area)
		__atomic_fetch_add(&area->lost_noring, n, __ATOMIC_RELAXED);
}

int hwt_lib_reserve(struct hwt_lib_rec *rec, int type, int scope, size_t body)
{
	struct hwt_api_ring *r = t.r;
	size_t size = hwt_custom_size(body);

	if (__builtin_expect(t.busy, 0)) {
		hwt_lib_lost(1);
		return -1;
	}
	t.busy = 1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (__builtin_expect(!r, 0) && !(r = hwt_lib_claim())) {
		hwt_lib_lost(1);
		t.busy = 0;
		return -1;
	}
	uint64_t head = r->head;
	uint64_t off = head & t.mask, to_end = t.mask + 1 - off;
	uint64_t need = size <= to_end ? size : to_end + size;
	if (need > t.mask + 1 - (head - t.tail))
		t.tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE);
	if (__builtin_expect(need > t.mask + 1 - (head - t.tail), 0)) {
		__atomic_store_n(&r->lost, r->lost + 1, __ATOMIC_RELAXED);
		t.busy = 0;
		return -1;
	}
	if (size > to_end) { /* records never wrap: skip to the start */
		if (to_end >= sizeof(struct hwt_custom_rec))
			((struct hwt_custom_rec *)(t.data + off))->type = HWT_API_PAD;
		head += to_end;
		off = 0;
	}
	rec->hdr = (struct hwt_custom_rec *)(t.data + off);
	rec->body = (uint8_t *)(rec->hdr + 1);
	rec->next = head + size;
	/* The clock after the drains seen: see "Time order" in core/progapi.h. */
	rec->gen = __atomic_load_n(&area->drain_gen, __ATOMIC_ACQUIRE);
	*rec->hdr = (struct hwt_custom_rec){
		.type = (uint16_t)type,
		.len = (uint32_t)body,
		.ts = hwt_lib_now(),
		.pid = scope == HWT__GLOBAL ? 0 : t.pid,
		.tid = scope == HWT__THREAD ? t.tid : 0,
	};
	return 0;
}

void hwt_lib_commit(const struct hwt_lib_rec *rec)
{
	if (__builtin_expect(__atomic_load_n(&area->drain_gen, __ATOMIC_ACQUIRE) != rec->gen, 0))
		rec->hdr->ts = hwt_lib_now(); /* held up across a drain: now is the time */
	__atomic_store_n(&t.r->head, rec->next, __ATOMIC_RELEASE);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	t.busy = 0;
}

uint64_t hwt_lib_link_id(void)
{
	return hwt_lib_get_area() ? __atomic_add_fetch(&area->next_link, 1, __ATOMIC_RELAXED) : 0;
}

uint32_t hwt_lib_declare(int type, const char *name)
{
	if (!hwt_lib_get_area())
		return 0;
	size_t nl = strlen(name) + 1;
	size_t body = (type == HWT_CR_COUNTER_TRACK ? 16 + 1 : 8) + nl; /* counters: unit "" */
	size_t size = sizeof(struct hwt_api_decl) + hwt_custom_size(body);
	uint64_t off = __atomic_fetch_add(&area->decl_used, size, __ATOMIC_RELAXED);
	if (off + size > area->decl_bytes) {
		__atomic_fetch_add(&area->lost_nodecl, 1, __ATOMIC_RELAXED);
		return 0;
	}
	uint32_t id = __atomic_add_fetch(&area->next_track, 1, __ATOMIC_RELAXED);
	uint8_t *e = (uint8_t *)area + area->decl_off + off;
	struct hwt_api_decl *d = (struct hwt_api_decl *)e;
	struct hwt_custom_rec *h = (struct hwt_custom_rec *)(d + 1);
	uint8_t *b = (uint8_t *)(h + 1);
	*h = (struct hwt_custom_rec){
		.type = (uint16_t)type,
		.len = (uint32_t)body,
		.ts = hwt_lib_now(),
		.pid = (int32_t)getpid(),
	};
	uint32_t head[4] = { id, 1 /* HWT_SCOPE_PROCESS */, 0, 0 };
	memcpy(b, head, type == HWT_CR_COUNTER_TRACK ? 16 : 8);
	b += type == HWT_CR_COUNTER_TRACK ? 16 : 8;
	memcpy(b, name, nl);
	if (type == HWT_CR_COUNTER_TRACK)
		b[nl] = 0;
	d->size = (uint32_t)size;
	__atomic_store_n(&d->ready, 1, __ATOMIC_RELEASE);
	return id;
}

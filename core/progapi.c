/* The recorder's side of the in-program API (libhwtrace): creates the shared area before the
 * target starts and drains its rings every round into the host's stream, giving the library's
 * counter and object tracks the host's ids and counting what the rings dropped. */
#include "progapi.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "hwtrace/plugin.h"
#include "core/format/custom_format.h"
#include "core/format/value.h"
#include "host_internal.h"
#include "util.h"

_Static_assert(sizeof(struct hwt_api_area) == 128, "area head layout");
_Static_assert(sizeof(struct hwt_api_ring) == 192, "ring layout");
_Static_assert(sizeof(struct hwt_custom_rec) == 24, "record header layout");

#define RECLAIM_ROUNDS	    100		/* look for rings of threads gone every this many drains */
#define CALL_RECLAIM_ROUNDS 10		/* the same for call rings (hwt_progapi_calls()) */
#define APPEND_BYTES	    (256 << 10) /* hand records to the sink in pieces of about this much */

struct hwt_progapi {
	int fd;
	struct hwt_api_area *a;
	uint64_t size;
	/* The area's geometry as created: the program may write over the area's head. */
	uint32_t nrings;
	uint64_t ring_bytes, decl_bytes;
	struct hwt_api_ring *rings;
	uint8_t *decl, *data;
	uint64_t decl_cursor;	 /* the log's entries before it are declared */
	struct hwt_idmap tracks; /* the area's track id -> the host's */
	uint64_t *lost_seen;	 /* per ring: its lost counter as last drained */
	uint64_t lost_area_seen; /* lost_noring + lost_nodecl as last drained */
	uint64_t lost;		 /* all counted so far */
	uint8_t *out;		 /* records to hand over */
	size_t out_len, out_cap;
	uint32_t rounds;
	uint32_t call_rounds; /* hwt_progapi_calls() so far */
	int disabled;	      /* a drain failed: the area is left alone */
	char env[64];
};

int hwt_progapi_create(struct hwt_progapi **out, const struct hwt_progapi_config *cfg, char *why,
		       size_t whylen)
{
	struct hwt_progapi_config c = cfg ? *cfg : (struct hwt_progapi_config){ 0 };
	struct hwt_progapi *pa;

	*out = NULL;
	c.nrings = c.nrings ? c.nrings : 128;
	c.ring_bytes = c.ring_bytes ? c.ring_bytes : 4u << 20;
	c.decl_bytes = c.decl_bytes ? (c.decl_bytes + 7) & ~7ull : 8u << 20; /* inproc's tables */
	if (c.ring_bytes < 4096 || (c.ring_bytes & (c.ring_bytes - 1)) || c.nrings > 65536 ||
	    c.ring_bytes > 1ull << 30)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"in-program API rings of %llu bytes: give a power of two >= 4096",
				(unsigned long long)c.ring_bytes);
	pa = calloc(1, sizeof(*pa));
	if (!pa || !(pa->lost_seen = calloc(c.nrings, sizeof(*pa->lost_seen)))) {
		free(pa);
		return HWT_E_NOMEM;
	}
	uint64_t rings_off = sizeof(struct hwt_api_area);
	uint64_t decl_off = rings_off + c.nrings * sizeof(struct hwt_api_ring);
	uint64_t data_off = (decl_off + c.decl_bytes + 4095) & ~4095ull;
	pa->size = data_off + c.nrings * c.ring_bytes;
	/* No close-on-exec: the target inherits it, and so do its children and exec'ed images. */
	pa->fd = (int)syscall(SYS_memfd_create, "hwtrace-api", 0);
	if (pa->fd < 0 || ftruncate(pa->fd, (off_t)pa->size) ||
	    (pa->a = mmap(NULL, pa->size, PROT_READ | PROT_WRITE, MAP_SHARED, pa->fd, 0)) ==
		    MAP_FAILED) {
		int e = errno;
		pa->a = NULL;
		hwt_progapi_free(pa);
		return hwt_fail(why, whylen, hwt_error_from_errno(e),
				"cannot create the in-program API's shared memory (%llu bytes): %s",
				(unsigned long long)pa->size, strerror(e));
	}
	*pa->a = (struct hwt_api_area){
		.magic = HWT_API_MAGIC,
		.version = HWT_API_VERSION,
		.nrings = c.nrings,
		.size = pa->size,
		.ring_bytes = c.ring_bytes,
		.rings_off = rings_off,
		.decl_off = decl_off,
		.data_off = data_off,
		.decl_bytes = c.decl_bytes,
	};
	pa->nrings = c.nrings;
	pa->ring_bytes = c.ring_bytes;
	pa->decl_bytes = c.decl_bytes;
	pa->rings = (struct hwt_api_ring *)((uint8_t *)pa->a + rings_off);
	pa->decl = (uint8_t *)pa->a + decl_off;
	pa->data = (uint8_t *)pa->a + data_off;
	snprintf(pa->env, sizeof(pa->env), "%d:%llu", pa->fd, (unsigned long long)pa->size);
	if (setenv(HWT_API_ENV, pa->env, 1)) {
		hwt_progapi_free(pa);
		return HWT_E_NOMEM;
	}
	*out = pa;
	return 0;
}

void hwt_progapi_started(struct hwt_progapi *pa)
{
	if (!pa)
		return;
	unsetenv(HWT_API_ENV);
	if (pa->fd >= 0)
		close(pa->fd);
	pa->fd = -1;
}

void hwt_progapi_free(struct hwt_progapi *pa)
{
	if (!pa)
		return;
	hwt_progapi_started(pa);
	if (pa->a)
		munmap(pa->a, pa->size);
	hwt_idmap_fini(&pa->tracks);
	free(pa->lost_seen);
	free(pa->out);
	free(pa);
}

uint64_t hwt_progapi_lost(const struct hwt_progapi *pa)
{
	return pa ? pa->lost : 0;
}

/* ---- draining -------------------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* Declares the host's track for the log entry holding @rec (@body, @len bytes). */
static int declare(struct hwt_progapi *pa, const struct hwt_progapi_sink *s,
		   const struct hwt_custom_rec *rec, const uint8_t *body)
{
	const char *name, *unit = NULL;
	int id;
	long off;

	if (rec->type == HWT_CR_COUNTER_TRACK && rec->len >= 16 &&
	    (off = hwt_custom_str(body, rec->len, 16, &name)) > 0 &&
	    hwt_custom_str(body, rec->len, (size_t)off, &unit) > 0) {
		struct hwt_counter_desc d = {
			.name = name,
			.unit = *unit ? unit : NULL,
			.scope = rd32(body + 4),
			.flags = rd32(body + 8),
			.pid = rec->pid,
			.tid = rec->tid,
		};
		id = s->counter_track(s->ctx, &d);
	} else if (rec->type == HWT_CR_OBJECT_TRACK && rec->len >= 8 &&
		   hwt_custom_str(body, rec->len, 8, &name) > 0) {
		id = s->object_track(s->ctx, name, rd32(body + 4), rec->pid, rec->tid);
	} else {
		return 0; /* not a declaration: skipped */
	}
	if (id <= 0)
		id = 0; /* refused (no name...): its values are dropped, counted as lost */
	uint32_t *slot = hwt_idmap_put(&pa->tracks, rd32(body), NULL);
	if (!slot)
		return HWT_E_NOMEM;
	*slot = (uint32_t)id;
	return 0;
}

/* Declares what the log holds past the cursor, up to the first entry not yet ready. */
static int scan_decls(struct hwt_progapi *pa, const struct hwt_progapi_sink *s)
{
	uint64_t end = pa->decl_bytes;

	while (pa->decl_cursor + sizeof(struct hwt_api_decl) <= end) {
		struct hwt_api_decl *d = (struct hwt_api_decl *)(pa->decl + pa->decl_cursor);
		if (!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE))
			break;
		uint32_t size = d->size;
		struct hwt_custom_rec rec;
		const uint8_t *body;
		if (size < sizeof(*d) + sizeof(rec) || size % 8 || size > end - pa->decl_cursor)
			return HWT_E_CORRUPT; /* the program wrote over the area */
		pa->decl_cursor += size;
		if (hwt_custom_next(d + 1, size - sizeof(*d), &rec, &body) > 0) {
			int err = declare(pa, s, &rec, body);
			if (err)
				return err;
		}
	}
	return 0;
}

/* The host's id of the area's track @id, 0 if it was never declared. */
static uint32_t host_track(struct hwt_progapi *pa, const struct hwt_progapi_sink *s, uint32_t id,
			   int *err)
{
	uint32_t *v = hwt_idmap_find(&pa->tracks, id);

	if (!v) {
		*err = scan_decls(pa, s);
		v = hwt_idmap_find(&pa->tracks, id);
	}
	return v ? *v : 0;
}

static int flush(struct hwt_progapi *pa, const struct hwt_progapi_sink *s)
{
	int err = pa->out_len ? s->append(s->ctx, pa->out, pa->out_len) : 0;

	pa->out_len = 0;
	return err < 0 ? err : 0;
}

/* Copies a record of @size bytes at @p to the output, the track of a value translated. */
static int put(struct hwt_progapi *pa, const struct hwt_progapi_sink *s, const uint8_t *p,
	       size_t size)
{
	int err = 0;

	if (pa->out_len + size > APPEND_BYTES && (err = flush(pa, s)))
		return err;
	if (HWT_ARRAY_GROW(pa->out, &pa->out_cap, pa->out_len + size))
		return HWT_E_NOMEM;
	uint8_t *o = pa->out + pa->out_len;
	memcpy(o, p, size);
	const struct hwt_custom_rec *rec = (const void *)o;
	switch (rec->type) {
	case HWT_CR_INSTANT:
	case HWT_CR_SPAN_BEGIN:
	case HWT_CR_SPAN_ARGS:
	case HWT_CR_SPAN_END:
	case HWT_CR_FLOW:
	case HWT_CR_COUNTER:
	case HWT_CR_OBJECT:
	case HWT_CR_LOST: /* lost_marker()'s */
		break;
	default: /* what the library never writes (tracks, markers): the area was written over */
		return 0;
	}
	if (rec->type == HWT_CR_COUNTER || rec->type == HWT_CR_OBJECT) {
		if (rec->len < 8)
			return 0;
		uint32_t id = host_track(pa, s, rd32(o + sizeof(*rec)), &err);
		if (err)
			return err;
		if (!id) { /* refused, or never declared (the program wrote over the area) */
			pa->lost++;
			if (s->lost)
				s->lost(s->ctx, 1);
			return 0;
		}
		memcpy(o + sizeof(*rec), &id, 4);
	}
	pa->out_len += size;
	return 0;
}

/* A LOST record {@n} on the ring's thread: where data is missing. */
static int lost_marker(struct hwt_progapi *pa, const struct hwt_progapi_sink *s,
		       const struct hwt_api_ring *r, uint64_t n, uint64_t now)
{
	uint8_t rec[sizeof(struct hwt_custom_rec) + 8];

	*(struct hwt_custom_rec *)rec = (struct hwt_custom_rec){
		.type = HWT_CR_LOST, .len = 8, .ts = now, .pid = r->pid, .tid = r->tid
	};
	memcpy(rec + sizeof(struct hwt_custom_rec), &n, 8);
	pa->lost += n;
	if (s->lost)
		s->lost(s->ctx, n);
	return put(pa, s, rec, sizeof(rec));
}

/* The ring's thread is gone (a process exits without ending its threads' keys). */
static int thread_gone(const struct hwt_api_ring *r)
{
	return r->pid > 0 && r->tid > 0 && syscall(SYS_tgkill, r->pid, r->tid, 0) && errno == ESRCH;
}

/* Drains ring @i; returns the records (>= 0) or a negative error. */
static long drain_ring(struct hwt_progapi *pa, const struct hwt_progapi_sink *s, uint32_t i,
		       uint64_t now)
{
	struct hwt_api_ring *r = &pa->rings[i];
	uint32_t state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
	uint64_t rb = pa->ring_bytes;
	const uint8_t *data = pa->data + (uint64_t)i * rb;
	long n = 0;
	int err = 0;

	if ((state != HWT_API_USED && state != HWT_API_DEAD) || r->kind != HWT_API_RING_API)
		return 0; /* call rings: hwt_progapi_calls() */
	/* Before draining: what a thread gone wrote is all there. */
	int gone = state == HWT_API_DEAD || (pa->rounds % RECLAIM_ROUNDS == 0 && thread_gone(r));
	uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), tail = r->tail;
	if (head - tail > rb)
		tail = head; /* the program wrote over the area: nothing there can be trusted */
	while (tail < head && !err) {
		uint64_t off = tail & (rb - 1), to_end = rb - off;
		struct hwt_custom_rec rec;
		if (to_end < sizeof(rec)) {
			tail += to_end;
			continue;
		}
		memcpy(&rec, data + off, sizeof(rec));
		size_t size = hwt_custom_size(rec.len);
		if (rec.type == HWT_API_PAD) {
			tail += to_end;
			continue;
		}
		if (size > to_end || size > head - tail)
			break; /* damaged: skip the rest */
		err = put(pa, s, data + off, size);
		tail += size;
		n++;
	}
	__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
	uint64_t lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
	if (!err && lost != pa->lost_seen[i])
		err = lost_marker(pa, s, r, lost - pa->lost_seen[i], now);
	pa->lost_seen[i] = lost;
	if (!err)
		err = flush(pa, s);
	if (gone) {
		/* Its memory goes back to the system until a thread takes the ring again. */
		madvise((void *)data, rb, MADV_REMOVE);
		r->head = r->tail = r->lost = 0;
		pa->lost_seen[i] = 0;
		__atomic_store_n(&r->state, HWT_API_FREE, __ATOMIC_RELEASE);
	}
	return err ? err : n;
}

long hwt_progapi_drain_sink(struct hwt_progapi *pa, const struct hwt_progapi_sink *s, uint64_t now)
{
	long total = 0;

	/* A writer that read the clock before this reads it again (see "Time order"); a locked
	 * add, seen before the rings are read. */
	__atomic_add_fetch(&pa->a->drain_gen, 1, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < pa->nrings; i++) {
		long n = drain_ring(pa, s, i, now);
		if (n < 0)
			return n;
		total += n;
	}
	uint64_t area_lost = __atomic_load_n(&pa->a->lost_noring, __ATOMIC_RELAXED) +
			     __atomic_load_n(&pa->a->lost_nodecl, __ATOMIC_RELAXED);
	if (area_lost != pa->lost_area_seen) {
		pa->lost += area_lost - pa->lost_area_seen;
		if (s->lost)
			s->lost(s->ctx, area_lost - pa->lost_area_seen);
		pa->lost_area_seen = area_lost;
	}
	pa->rounds++;
	return total;
}

/* ---- into the host --------------------------------------------------------------------- */

static int host_counter_track(void *ctx, const struct hwt_counter_desc *d)
{
	return hwt_host_counter_track(ctx, d);
}

static int host_object_track(void *ctx, const char *name, uint32_t scope, int pid, int tid)
{
	return hwt_host_object_track(ctx, name, scope, pid, tid);
}

static int host_append(void *ctx, const void *recs, size_t len)
{
	return hwt_host_custom_append(ctx, recs, len);
}

static void host_lost(void *ctx, uint64_t n)
{
	hwt_host_count_lost(ctx, n);
}

long hwt_progapi_drain(struct hwt_progapi *pa, struct hwt_host *h)
{
	const struct hwt_progapi_sink sink = {
		.ctx = h,
		.counter_track = host_counter_track,
		.object_track = host_object_track,
		.append = host_append,
		.lost = host_lost,
	};

	if (!pa || pa->disabled)
		return 0;
	long n = hwt_progapi_drain_sink(pa, &sink, hwt_host_now());
	if (n < 0) {
		/* The recording goes on without the program's events. */
		hwt_host_note(h, "in-program API (libhwtrace) disabled: %s", hwt_errstr((int)n));
		pa->disabled = 1;
	}
	return n;
}

struct hwt_progapi *hwt_host_progapi(struct hwt_host *h)
{
	return h ? h->api : NULL;
}

void *hwt_progapi_declare(struct hwt_progapi *pa, uint16_t type, size_t len)
{
	size_t size = sizeof(struct hwt_api_decl) + hwt_custom_size(len);

	if (!pa || len > UINT32_MAX)
		return NULL;
	uint64_t off = __atomic_fetch_add(&pa->a->decl_used, size, __ATOMIC_RELAXED);
	if (off + size > pa->decl_bytes)
		return NULL;
	struct hwt_api_decl *d = (struct hwt_api_decl *)(pa->decl + off);
	struct hwt_custom_rec *h = (struct hwt_custom_rec *)(d + 1);
	*h = (struct hwt_custom_rec){
		.type = type, .len = (uint32_t)len, .ts = hwt_host_now(), .pid = (int32_t)getpid()
	};
	memset(h + 1, 0, size - sizeof(*d) - sizeof(*h));
	d->size = (uint32_t)size;
	__atomic_store_n(&d->ready, 1, __ATOMIC_RELEASE);
	return h + 1;
}

int hwt_progapi_decls(struct hwt_progapi *pa, uint64_t *cursor,
		      int (*fn)(const struct hwt_custom_rec *rec, uint8_t *body, void *ctx),
		      void *ctx)
{
	while (pa && *cursor + sizeof(struct hwt_api_decl) <= pa->decl_bytes) {
		struct hwt_api_decl *d = (struct hwt_api_decl *)(pa->decl + *cursor);
		if (!__atomic_load_n(&d->ready, __ATOMIC_ACQUIRE))
			break;
		uint32_t size = d->size;
		struct hwt_custom_rec rec;
		const uint8_t *body;
		if (size < sizeof(*d) + sizeof(rec) || size % 8 || size > pa->decl_bytes - *cursor)
			return HWT_E_CORRUPT;
		*cursor += size;
		if (hwt_custom_next(d + 1, size - sizeof(*d), &rec, &body) > 0) {
			int err = fn(&rec, (uint8_t *)body, ctx);
			if (err)
				return err;
		}
	}
	return 0;
}

int hwt_progapi_calls(struct hwt_progapi *pa,
		      int (*fn)(int32_t pid, int32_t tid, const uint8_t *a, size_t alen,
				const uint8_t *b, size_t blen, uint64_t lost, int gone, void *ctx),
		      void *ctx)
{
	if (!pa || pa->disabled)
		return 0;
	/* Writers that read the clock before this read it again (see "Time order"). */
	__atomic_add_fetch(&pa->a->drain_gen, 1, __ATOMIC_SEQ_CST);
	for (uint32_t i = 0; i < pa->nrings; i++) {
		struct hwt_api_ring *r = &pa->rings[i];
		uint32_t state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
		uint64_t rb = pa->ring_bytes;
		uint8_t *data = pa->data + (uint64_t)i * rb;
		if ((state != HWT_API_USED && state != HWT_API_DEAD) ||
		    r->kind != HWT_API_RING_CALLS)
			continue;
		/* Processes end without ending their main thread's ring (exit, _exit): looked for
		 * often, as a program that starts many short ones would run out of rings. */
		int gone = state == HWT_API_DEAD ||
			   (pa->call_rounds % CALL_RECLAIM_ROUNDS == 0 && thread_gone(r));
		uint64_t head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE), tail = r->tail;
		if (head - tail > rb || (head - tail) % 8)
			tail = head; /* written over: nothing there can be trusted */
		uint64_t off = tail & (rb - 1), n = head - tail,
			 first = rb - off < n ? rb - off : n;
		uint64_t lost = __atomic_load_n(&r->lost, __ATOMIC_RELAXED);
		int err = 0;
		if (n || gone || lost != pa->lost_seen[i])
			err = fn(r->pid, r->tid, data + off, first, data, n - first,
				 lost - pa->lost_seen[i], gone, ctx);
		pa->lost += lost - pa->lost_seen[i];
		pa->lost_seen[i] = lost;
		__atomic_store_n(&r->tail, head, __ATOMIC_RELEASE);
		if (gone) {
			madvise((void *)data, rb, MADV_REMOVE);
			r->head = r->tail = r->lost = 0;
			r->kind = HWT_API_RING_API;
			pa->lost_seen[i] = 0;
			__atomic_store_n(&r->state, HWT_API_FREE, __ATOMIC_RELEASE);
		}
		if (err)
			return err;
	}
	pa->call_rounds++;
	return 0;
}

void hwt_progapi_open(struct hwt_host *h)
{
	struct hwt_progapi_config c = { .ring_bytes = h->api_ring_bytes };
	char why[256];

	if (hwt_progapi_create(&h->api, &c, why, sizeof(why)))
		hwt_host_note(h, "%s: libhwtrace events are not recorded", why);
}

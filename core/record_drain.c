/* Draining a recording's rings and reading its counters into the store, each round of the
 * recording loop and once at its end. */
#include "record_drain.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "format/perf_sample.h"
#include "host_internal.h"
#include "hwtrace/error.h"
#include "progapi.h"
#include "store.h"

uint64_t hwt_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

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

static const struct hwt_event_desc *desc_of(void *ctx, uint64_t id)
{
	struct hwt_host *h = ctx;
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].desc.id == id)
			return &h->events[i].desc;
	return NULL;
}

static int copies_stacks(const struct hwt_host *h)
{
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].desc.sample_type & PERF_SAMPLE_STACK_USER)
			return 1;
	return 0;
}

static int sparse_stacks(const struct hwt_host *h)
{
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].desc.flags & HWT_DESC_SPARSE_STACK)
			return 1;
	return 0;
}

/* Copies @n bytes at ring offset @pos (any position) of @r to @dst, across its end if need be. */
static void ring_read(const struct ring *r, uint64_t pos, void *dst, size_t n)
{
	size_t off = pos & (r->size - 1), first = r->size - off < n ? r->size - off : n;

	memcpy(dst, r->data + off, first);
	memcpy((uint8_t *)dst + first, r->data, n - first);
}

/* Teaches the scrub the executable mappings of @r's records not drained yet, up to its head now. */
static void learn_ring(struct hwt_host *h, const struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint8_t rec[72];

	for (uint64_t pos = r->page->data_tail; pos + sizeof(struct perf_event_header) <= head;) {
		struct perf_event_header hd;
		ring_read(r, pos, &hd, sizeof(hd));
		if (hd.size < sizeof(hd) || hd.size > head - pos)
			break;
		if (hd.type == PERF_RECORD_MMAP || hd.type == PERF_RECORD_MMAP2) {
			size_t n = hd.size < sizeof(rec) ? hd.size : sizeof(rec);
			ring_read(r, pos, rec, n);
			hwt_scrub_learn(&h->scrub, rec, n);
		} else if (hd.type == PERF_RECORD_LOST) {
			hwt_scrub_lost(&h->scrub);
		}
		pos += hd.size;
	}
}

static int drain_ring(struct hwt_host *h, struct ring *r, uint64_t ts, uint64_t head)
{
	uint64_t tail = r->page->data_tail;
	size_t len = (size_t)(head - tail);

	if (!len)
		return 0;
	size_t off = tail & (r->size - 1);
	const uint8_t *src = r->data + off;
	if (off + len > r->size) { /* wraps: make it contiguous */
		ring_read(r, tail, h->scratch, len);
		src = h->scratch;
	}
	struct hwt_stream_item it = {
		.ts = ts,
		.cpu = r->cpu,
		.kind = HWT_ITEM_RING,
		.len = (uint32_t)len,
	};
	int err;
	/* The copied user stacks lose what lies above the stack's strings (the environment)
	 * before anything is written: copied into the store's chunk without it, and without what
	 * the kernel could not fill (the decoder never reads it), as the kernel refuses writes to
	 * ring pages. */
	if (copies_stacks(h)) {
		uint8_t *dst =
			hwt_store_reserve(h->store, HWT_CHUNK_STREAM, sizeof(it) + len, &err);
		if (!dst)
			return err;
		len = hwt_scrub_copy(&h->scrub, dst + sizeof(it), src, len, desc_of, h);
		it.len = (uint32_t)len;
		memcpy(dst, &it, sizeof(it));
		count_records(h, dst + sizeof(it), len);
		err = hwt_store_commit(h->store, sizeof(it) + len);
	} else {
		count_records(h, src, len);
		struct iovec iov[2] = { { &it, sizeof(it) }, { (void *)src, len } };
		err = hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 2);
	}
	h->end.bytes += len;
	__atomic_store_n(&r->page->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

/* Reads watch ring @r (see watch_tasks() in host.c): each process that forked, exec'd or mapped
 * code since has its /proc entry read by the scrub now, while it most likely lives. */
static void read_watch(struct hwt_host *h, struct ring *r)
{
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t pos = r->page->data_tail;
	uint8_t rec[sizeof(struct perf_event_header) + 8];

	while (pos + sizeof(rec) <= head) {
		struct perf_event_header hd;
		uint32_t pid, ppid; /* the first two fields of FORK; COMM and MMAP: pid, tid */
		ring_read(r, pos, rec, sizeof(rec));
		memcpy(&hd, rec, sizeof(hd));
		if (hd.size < sizeof(rec) || hd.size > head - pos)
			break;
		memcpy(&pid, rec + sizeof(hd), 4);
		memcpy(&ppid, rec + sizeof(hd) + 4, 4);
		if (hd.type == PERF_RECORD_FORK && ppid != pid) /* a process, not a thread */
			hwt_scrub_fork(&h->scrub, ppid, pid);
		else if (hd.type == PERF_RECORD_MMAP ||
			 (hd.type == PERF_RECORD_COMM && (hd.misc & PERF_RECORD_MISC_COMM_EXEC)))
			hwt_scrub_prime(&h->scrub, pid);
		pos += hd.size;
	}
	__atomic_store_n(&r->page->data_tail, head, __ATOMIC_RELEASE);
}

int hwt_rec_drain_all(struct hwt_host *h)
{
	uint64_t some[64], *heads = some;
	int err = 0, sparse = sparse_stacks(h);

	h->round_ts = hwt_mono_ns();
	if (h->nrings > 64 && !(heads = malloc((size_t)h->nrings * sizeof(*heads))))
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nrings; i++)
		heads[i] = __atomic_load_n(&h->rings[i].page->data_head, __ATOMIC_ACQUIRE);
	for (int i = 0; i < h->nrings; i++)
		if (h->rings[i].watch)
			read_watch(h, &h->rings[i]);
	/* Sparse stack copies keep the words that point into code: every mapping made before a
	 * sample must be known when it is rewritten, though its MMAP record may lie in another
	 * CPU's ring. The kernel wrote that record before mmap() returned, so before the sample,
	 * before the heads above were read: each ring's records up to a head read after them hold
	 * it. (The watch rings hold MMAP records too, copies of those of the others.) */
	for (int i = 0; sparse && i < h->nrings; i++)
		if (!h->rings[i].watch)
			learn_ring(h, &h->rings[i]);
	for (int i = 0; i < h->nrings && !err; i++)
		if (!h->rings[i].watch)
			err = drain_ring(h, &h->rings[i], h->round_ts, heads[i]);
	if (heads != some)
		free(heads);
	hwt_progapi_drain(h->api, h); /* libhwtrace's rings */
	return err;
}

int hwt_rec_read_counters(struct hwt_host *h)
{
	uint64_t buf[512];
	uint64_t ts = hwt_mono_ns();

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
uint64_t hwt_rec_lost_total(struct hwt_host *h)
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

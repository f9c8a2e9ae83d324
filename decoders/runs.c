/* The records waiting for their turn: copied into blocks, listed in runs of records already in
 * (timestamp, sequence) order, the runs merged through a binary heap on their first waiting
 * record. A stream's records mostly come in order, so the heap is touched once per run and a
 * record costs a comparison with the next run's first. Runs are lists of fixed segments, reused:
 * no record is moved once queued, and memory follows what waits, not the largest run seen. */
#include "internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"

#define ITEM_BLOCK_BYTES (256u << 10)

/* Spare segments kept (24 KiB each): about a chunk's records, so that reading one allocates
 * nothing once warm. */
#define MAX_SPARE_SEGS 384

/* The spare blocks, runs and segments are shared with the reader thread, when there is one. */
static void pool_lock(struct hwt_decoder *d)
{
	if (d->pipe)
		hwt_pipe_lock(d->pipe);
}

static void pool_unlock(struct hwt_decoder *d)
{
	if (d->pipe)
		hwt_pipe_unlock(d->pipe);
}

/* ---- blocks --------------------------------------------------------------------------- */

void hwt_dec_block_seal(struct hwt_decoder *d, struct item_block *b)
{
	if (b->refs) {
		b->sealed = 1;
		return;
	}
	pool_lock(d);
	b->next = d->free_blocks;
	d->free_blocks = b;
	pool_unlock(d);
}

/* Makes d->block a block with room for @need bytes. The current one is reset if nothing in it
 * waits any more, else sealed, left to its waiting records. */
static struct item_block *block_get(struct hwt_decoder *d, size_t need)
{
	struct item_block *b = d->block, **pp;

	if (b && !b->refs && b->cap >= need) {
		b->used = 0;
		return b;
	}
	d->block = NULL;
	if (b)
		hwt_dec_block_seal(d, b);
	pool_lock(d);
	for (pp = &d->free_blocks; *pp && (*pp)->cap < need; pp = &(*pp)->next)
		;
	b = *pp;
	if (b)
		*pp = b->next;
	pool_unlock(d);
	if (!b) {
		size_t cap = need > ITEM_BLOCK_BYTES ? need : ITEM_BLOCK_BYTES;

		b = malloc(sizeof(*b) + cap);
		if (!b)
			return NULL;
		b->cap = cap;
	}
	b->refs = 0;
	b->used = 0;
	b->sealed = 0;
	d->block = b;
	return b;
}

void hwt_dec_block_put(struct hwt_decoder *d, struct item_block *b)
{
	if (--b->refs || !b->sealed)
		return;
	if (d->pipe) {
		/* Events handed out may still point into it (a record's bytes) while the reader
		 * thread would fill it again: it is free from the next batch on. */
		b->next = d->retired;
		d->retired = b;
		return;
	}
	b->next = d->free_blocks;
	d->free_blocks = b;
}

void hwt_dec_unretire(struct hwt_decoder *d)
{
	if (!d->retired)
		return;
	pool_lock(d);
	/* Behind the blocks free already: those the reader thread reuses first are the ones this
	 * thread read longest ago, out of its cache, so that writing them costs no line taken from
	 * it. */
	struct item_block **pp = &d->free_blocks;
	while (*pp)
		pp = &(*pp)->next;
	*pp = d->retired;
	pool_unlock(d);
	d->retired = NULL;
}

/* ---- runs ----------------------------------------------------------------------------- */

static struct run_seg *seg_get(struct hwt_decoder *d)
{
	pool_lock(d);
	struct run_seg *s = d->spare_segs;
	if (s) {
		d->spare_segs = s->next;
		if (!d->spare_segs)
			d->spare_segs_tail = NULL;
		d->nspare_segs--;
	}
	pool_unlock(d);
	if (!s && !(s = malloc(sizeof(*s))))
		return NULL;
	s->next = NULL;
	s->n = 0;
	return s;
}

static void seg_put(struct hwt_decoder *d, struct run_seg *s)
{
	pool_lock(d);
	int keep = d->nspare_segs < MAX_SPARE_SEGS;
	if (keep && d->pipe) { /* last out: as with blocks (hwt_dec_unretire()) */
		s->next = NULL;
		if (d->spare_segs_tail)
			d->spare_segs_tail->next = s;
		else
			d->spare_segs = s;
		d->spare_segs_tail = s;
		d->nspare_segs++;
	} else if (keep) {
		s->next = d->spare_segs;
		d->spare_segs = s;
		if (!s->next)
			d->spare_segs_tail = s;
		d->nspare_segs++;
	}
	pool_unlock(d);
	if (!keep)
		free(s);
}

/* Run @r, its records gone, goes back to the spares with its segments. */
static void run_recycle(struct hwt_decoder *d, struct run *r)
{
	for (struct run_seg *s = r->first, *next; s; s = next) {
		next = s->next;
		seg_put(d, s);
	}
	*r = (struct run){ 0 };
	pool_lock(d);
	r->next = d->spare_runs;
	d->spare_runs = r;
	pool_unlock(d);
}

void hwt_dec_drop_run(struct hwt_decoder *d, struct run *r)
{
	for (struct run_seg *s = r->first; s; s = s->next)
		for (uint32_t k = s == r->first ? r->head : 0; k < s->n; k++)
			if (s->items[k].kind != HWT_ITEM_INLINE)
				hwt_dec_block_put(d, hwt_dec_item_block(&s->items[k]));
	run_recycle(d, r);
}

void hwt_dec_free_spares(struct hwt_decoder *d)
{
	for (struct run *r = d->spare_runs, *next; r; r = next) {
		next = r->next;
		free(r);
	}
	for (struct run_seg *s = d->spare_segs, *next; s; s = next) {
		next = s->next;
		free(s);
	}
	d->spare_runs = NULL;
	d->spare_segs = d->spare_segs_tail = NULL;
	d->nspare_segs = 0;
}

/* ---- the heap of runs ------------------------------------------------------------------ */

/* Whether run @a's first waiting record goes before @b's. */
static inline int run_less(const struct run *a, const struct run *b)
{
	uint64_t ta = hwt_dec_run_first(a)->ts, tb = hwt_dec_run_first(b)->ts;

	return ta < tb || (ta == tb && hwt_dec_run_seq(a) < hwt_dec_run_seq(b));
}

/* Moves the run at @i down to its place. */
static void heap_down(struct hwt_decoder *d, size_t i)
{
	struct run *r = d->heap[i];
	size_t n = d->nheap;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && run_less(d->heap[c + 1], d->heap[c]))
			c++;
		if (!run_less(d->heap[c], r))
			break;
		d->heap[i] = d->heap[c];
		i = c;
	}
	d->heap[i] = r;
}

static int heap_push(struct hwt_decoder *d, struct run *r)
{
	if (HWT_ARRAY_GROW(d->heap, &d->cap_heap, d->nheap + 1))
		return HWT_E_NOMEM;
	size_t i = d->nheap++;
	while (i && run_less(r, d->heap[(i - 1) / 2])) {
		d->heap[i] = d->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	d->heap[i] = r;
	return 0;
}

/* The first run's head moved on: on to its next segment, or it is drained; the heap is put
 * back in order. */
static void first_advanced(struct hwt_decoder *d)
{
	struct run *r = d->heap[0];
	struct run_seg *s = r->first;

	if (r->head < s->n) {
		if (d->nheap > 1)
			heap_down(d, 0);
		return;
	}
	if (s != r->last) { /* on to the next segment (only the last is not full) */
		r->first = s->next;
		r->head = 0;
		seg_put(d, s);
		if (d->nheap > 1)
			heap_down(d, 0);
		return;
	}
	if (d->main_queues && r == d->cur)
		d->cur = NULL;
	run_recycle(d, r);
	d->heap[0] = d->heap[--d->nheap];
	if (d->nheap > 1)
		heap_down(d, 0);
}

void hwt_dec_pop(struct hwt_decoder *d, struct item *out)
{
	struct run *r = d->heap[0];

	*out = r->first->items[r->head++];
	d->nwaiting--;
	first_advanced(d);
}

const struct item *hwt_dec_span(const struct hwt_decoder *d, struct hwt_dec_key *next,
				uint64_t *seq, size_t *n)
{
	const struct run *r = d->heap[0];
	const struct run_seg *s = r->first;
	const struct item *first = &s->items[r->head];

	*n = s->n - r->head;
	*seq = s->seq0 + r->head;
	*next = (struct hwt_dec_key){ UINT64_MAX, UINT64_MAX };
	for (size_t i = 1; i < 3 && i < d->nheap; i++) {
		const struct run *o = d->heap[i];
		uint64_t ts = hwt_dec_run_first(o)->ts, sq = hwt_dec_run_seq(o);
		if (hwt_dec_key_less(ts, sq, next))
			*next = (struct hwt_dec_key){ ts, sq };
	}
	return first;
}

void hwt_dec_span_done(struct hwt_decoder *d, size_t k)
{
	if (!k)
		return;
	d->heap[0]->head += (uint32_t)k;
	d->nwaiting -= k;
	first_advanced(d);
}

int hwt_dec_take_run(struct hwt_decoder *d, struct run *r)
{
	int err = heap_push(d, r);

	if (!err)
		d->nwaiting += r->n;
	return err;
}

/* ---- queueing ------------------------------------------------------------------------ */

/* Room for one more record at the end of d->cur, a new run when @ts would break its order
 * (records keep their (ts, seq) order: seq only grows). NULL when out of memory. */
static struct item *run_append(struct hwt_decoder *d, uint64_t ts, int *fresh)
{
	struct run *r = d->cur;

	*fresh = 0;
	if (!r || ts < r->last->items[r->last->n - 1].ts) {
		pool_lock(d);
		r = d->spare_runs;
		if (r)
			d->spare_runs = r->next;
		pool_unlock(d);
		if (!r && !(r = calloc(1, sizeof(*r))))
			return NULL;
		*r = (struct run){ 0 };
		d->cur = r;
		*fresh = 1;
	}
	struct run_seg *s = r->last;
	if (!s || s->n == RUN_SEG_ITEMS) {
		if (!(s = seg_get(d))) {
			if (*fresh) {
				d->cur = NULL;
				run_recycle(d, r);
			}
			return NULL;
		}
		s->seq0 = d->seq; /* the number the item placed now gets */
		if (r->last)
			r->last->next = s;
		else
			r->first = s;
		r->last = s;
	}
	return &s->items[s->n];
}

/* The item run_append() just placed is counted in the current run; a run it opened (@fresh)
 * goes with its chunk (the reader thread's) or into the heap (this thread's). Returns 0, or -1
 * when that failed (out of memory): the run is dropped. */
static inline int run_counted(struct hwt_decoder *d, int fresh)
{
	struct run *r = d->cur;

	r->last->n++;
	r->n++;
	if (fresh && (d->collect ? hwt_pipe_collect(d->collect, r) : heap_push(d, r))) {
		d->cur = NULL;
		run_recycle(d, r);
		return -1;
	}
	if (!d->collect)
		d->nwaiting++;
	return 0;
}

void *hwt_dec_queue_alloc(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind,
			  uint64_t id, size_t len)
{
	size_t need = sizeof(struct item_head) + ((len + 7) & ~(size_t)7);
	struct item_block *b = d->block;
	int fresh;

	assert(len <= HWT_CHUNK_MAX); /* what struct item's len holds: a record is in a chunk */
	if (!b || b->cap - b->used < need) {
		b = block_get(d, need);
		if (!b)
			return NULL;
	}
	struct item *it = run_append(d, ts, &fresh);
	if (!it)
		return NULL;
	struct item_head *h = (void *)(b->data + b->used);
	*h = (struct item_head){ .id = id, .block = b };
	*it = (struct item){
		.ts = ts, .cpu = cpu, .kind = kind, .len = (uint32_t)len, .data = (uint8_t *)(h + 1)
	};
	d->seq++;
	if (run_counted(d, fresh))
		return NULL;
	b->used += need;
	b->refs++;
	return it->data;
}

void *hwt_dec_queue_inline_alloc(struct hwt_decoder *d, uint64_t ts, uint32_t source)
{
	int fresh;
	struct item *it = run_append(d, ts, &fresh);

	if (!it)
		return NULL;
	d->seq++;
	*it = (struct item){ .ts = ts,
			     .cpu = (int32_t)source,
			     .kind = HWT_ITEM_INLINE,
			     .len = HWT_ITEM_INLINE_BYTES };
	return run_counted(d, fresh) ? NULL : it->inl;
}

int hwt_dec_queue(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind, uint64_t id,
		  const void *data, size_t len)
{
	void *to = hwt_dec_queue_alloc(d, ts, cpu, kind, id, len);

	if (!to)
		return HWT_E_NOMEM;
	memcpy(to, data, len);
	return 0;
}

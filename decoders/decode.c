/* The decoding driver: reads the chunks of a .hwt, puts the records of every ring and plugin
 * stream back in timestamp order, keeps the thread table, and hands the events the perf-record
 * and stream decoders make out one at a time. */
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"

void hwt_decoder_config_init(struct hwt_decoder_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->symbolize = 1;
}

struct thread *hwt_dec_thread(struct hwt_decoder *d, uint32_t tid, int create)
{
	if (d->nthreads * 2 >= d->cap_threads) {
		if (!create && d->cap_threads)
			goto lookup;
		size_t cap = d->cap_threads ? d->cap_threads * 2 : 256;
		struct thread *nt = calloc(cap, sizeof(*nt));
		if (!nt)
			return NULL;
		for (size_t i = 0; i < d->cap_threads; i++) {
			struct thread *t = &d->threads[i];
			if (!t->tid)
				continue;
			size_t j = (t->tid * 2654435761u) & (cap - 1);
			while (nt[j].tid)
				j = (j + 1) & (cap - 1);
			nt[j] = *t;
		}
		free(d->threads);
		d->threads = nt;
		d->cap_threads = cap;
	}
lookup:
	if (!d->cap_threads)
		return NULL;
	size_t j = (tid * 2654435761u) & (d->cap_threads - 1);
	while (d->threads[j].tid) {
		if (d->threads[j].tid == tid)
			return &d->threads[j];
		j = (j + 1) & (d->cap_threads - 1);
	}
	if (!create || !tid)
		return NULL;
	d->threads[j] = (struct thread){ .tid = tid };
	d->nthreads++;
	return &d->threads[j];
}

/* ---- the records waiting in the heap ------------------------------------------------------ */

/* Records that may wait for their round: a recording whose timestamps never advance (damaged,
 * or made to exhaust memory) would otherwise keep every record of every chunk. Past this, the
 * oldest go in the order they have; real recordings hold a few rounds, far below. */
#define MAX_WAITING (1u << 20)

#define ITEM_BLOCK_BYTES (256u << 10)

/* The spare blocks and runs are shared with the reader thread, when there is one. */
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

/* Block @b is no longer the one records are copied into: free for reuse once nothing in it
 * waits (then block_put() recycles it). */
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

/* A record of @b was processed: a sealed block no record waits in any more is free for reuse. */
static void block_put(struct hwt_decoder *d, struct item_block *b)
{
	if (--b->refs || !b->sealed)
		return;
	if (d->pipe) {
		/* Events handed out may still point into it (a record's bytes) while the reader
		 * thread would fill it again: it is free from the next fill() on. */
		b->next = d->retired;
		d->retired = b;
		return;
	}
	b->next = d->free_blocks;
	d->free_blocks = b;
}

/* The blocks retired while the events of the last batch were made, free now that the caller is
 * done with those events. */
static void unretire(struct hwt_decoder *d)
{
	struct item_block *last = d->retired;

	while (last->next)
		last = last->next;
	pool_lock(d);
	last->next = d->free_blocks;
	d->free_blocks = d->retired;
	pool_unlock(d);
	d->retired = NULL;
}

static inline int item_less(const struct item *a, const struct item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

/* Whether run @a's first waiting record goes before @b's. */
static inline int run_less(const struct run *a, const struct run *b)
{
	return item_less(&a->items[a->head], &b->items[b->head]);
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

/* Takes the first waiting record of all into @out: the first run's, which then moves to its
 * place, or goes to the spares once drained. */
static void heap_pop(struct hwt_decoder *d, struct item *out)
{
	struct run *r = d->heap[0];

	*out = r->items[r->head++];
	d->nwaiting--;
	if (r->head < r->n) {
		heap_down(d, 0);
		return;
	}
	if (d->main_queues && r == d->cur)
		d->cur = NULL;
	r->head = r->n = 0;
	pool_lock(d);
	r->next = d->spare_runs;
	d->spare_runs = r;
	pool_unlock(d);
	d->heap[0] = d->heap[--d->nheap];
	if (d->nheap)
		heap_down(d, 0);
}

/* Room for one more record at the end of d->cur, a new run when @ts would break its order
 * (records keep their (ts, seq) order: seq only grows). NULL when out of memory. */
static struct item *run_append(struct hwt_decoder *d, uint64_t ts, int *fresh)
{
	struct run *r = d->cur;

	*fresh = 0;
	if (!r || ts < r->items[r->n - 1].ts) {
		pool_lock(d);
		r = d->spare_runs;
		if (r)
			d->spare_runs = r->next;
		pool_unlock(d);
		if (!r && !(r = calloc(1, sizeof(*r))))
			return NULL;
		d->cur = r;
		*fresh = 1;
	}
	if (HWT_ARRAY_GROW(r->items, &r->cap, r->n + 1)) {
		if (*fresh) {
			d->cur = NULL;
			pool_lock(d);
			r->next = d->spare_runs;
			d->spare_runs = r;
			pool_unlock(d);
		}
		return NULL;
	}
	return &r->items[r->n];
}

/* Drops the records waiting in run @r (closing) and recycles it. */
void hwt_dec_drop_run(struct hwt_decoder *d, struct run *r)
{
	for (size_t k = r->head; k < r->n; k++)
		block_put(d, r->items[k].block);
	r->head = r->n = 0;
	pool_lock(d);
	r->next = d->spare_runs;
	d->spare_runs = r;
	pool_unlock(d);
}

/* Takes run @r, handed over by the reader thread, into the heap: @n records more wait. */
int hwt_dec_take_run(struct hwt_decoder *d, struct run *r)
{
	int err = heap_push(d, r);

	if (!err)
		d->nwaiting += r->n;
	return err;
}

/* ---- output ---------------------------------------------------------------------------- */

int hwt_dec_out_grow(struct hwt_decoder *d)
{
	return HWT_ARRAY_GROW(d->out, &d->cap_out, d->cap_out + 1);
}

void hwt_dec_announce(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct thread *t = hwt_dec_thread(d, tid, 1);

	if (!t || t->announced)
		return;
	t->pid = pid;
	if (!t->name) {
		struct thread *p = hwt_dec_thread(d, pid, 0);
		char buf[32];
		snprintf(buf, sizeof(buf), "[%u]", tid);
		int64_t id = p && p->name ? p->name : hwt_model_intern_str(d->m, buf);
		t->name = id > 0 ? (uint32_t)id : 0;
	}
	if (tid == pid) {
		struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_PROCESS, pid, tid, ts);
		if (ev)
			ev->proc.name = t->name;
		d->stats.processes++;
	} else {
		struct thread *p = hwt_dec_thread(d, pid, 0);
		if (!p || !p->announced)
			hwt_dec_announce(d, pid, pid, ts);
		t = hwt_dec_thread(d, tid, 0);
	}
	struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_THREAD, pid, tid, ts);
	if (ev)
		ev->thread.name = t->name;
	t->announced = 1;
	d->stats.threads++;
}

/* ---- records --------------------------------------------------------------------------- */

/* ---- plugin streams -------------------------------------------------------------------- */

int hwt_dec_thread_end(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts)
{
	for (uint32_t i = 0; i < d->nsources; i++) {
		int err = d->sources[i].ops->thread_end(d->sources[i].st, pid, tid, ts);
		if (err < 0)
			return err;
	}
	return 0;
}

int hwt_dec_perf_record(struct hwt_decoder *d, const struct perf_event_header *rec, int32_t cpu,
			uint64_t ts)
{
	for (uint32_t i = 0; i < d->nsources; i++) {
		const struct hwt_source_ops *o = d->sources[i].ops;
		int err = o->perf_record ? o->perf_record(d->sources[i].st, rec, cpu, ts) : 0;
		if (err < 0)
			return err;
	}
	return 0;
}

static int finish_sources(struct hwt_decoder *d, uint64_t ts)
{
	for (uint32_t i = 0; i < d->nsources; i++) {
		int err = d->sources[i].ops->finish(d->sources[i].st, ts);
		if (err < 0)
			return err;
	}
	return 0;
}

/* ---- the driver ------------------------------------------------------------------------ */

static int process_item(struct hwt_decoder *d, struct item *it)
{
	int err = 0;

	/* The reads of one round share a timestamp and come out of the heap together: anything
	 * else means the round is complete. */
	if (d->read_leader_desc && (it->kind != HWT_ITEM_READ || it->ts != d->read_round)) {
		err = hwt_perf_flush_reads(d);
		if (err)
			return err;
	}
	switch (it->kind) {
	case HWT_ITEM_RING:
		err = hwt_perf_record(d, it->data, it->len, it->cpu, it->ts);
		break;
	case HWT_ITEM_READ:
		err = hwt_perf_read(d, it->ts, it->id, it->data, it->len);
		break;
	case HWT_ITEM_SOURCE: {
		struct source *src = hwt_dec_source(d, it->id);
		if (src)
			err = src->ops->record(src->st, it->ts, it->data, it->len);
		break;
	}
	default: { /* the end of the recording */
		const struct hwt_end_rec *end = (const void *)it->data;
		err = hwt_perf_flush_reads(d);
		if (!err)
			err = finish_sources(d, d->target_exit_ts ? d->target_exit_ts : end->ts);
		d->sources_finished = 1;
		/* No pid: the processes ran on past the recording (attached to, -a, --duration). */
		struct hwt_event *ev =
			!end->pid ? NULL
				  : hwt_dec_emit(d, HWT_EV_PROCESS_EXIT, (uint32_t)end->pid,
						 (uint32_t)end->pid,
						 d->target_exit_ts ? d->target_exit_ts : end->ts);
		if (ev) {
			ev->exit.status = end->exit_status;
			ev->exit.signal = end->signal;
		}
		break;
	}
	}
	if (it->ts != UINT64_MAX && it->ts > d->last_ts)
		d->last_ts = it->ts;
	block_put(d, it->block);
	return err;
}

void *hwt_dec_queue_alloc(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind,
			  uint64_t id, size_t len)
{
	size_t need = (len + 7) & ~(size_t)7;
	struct item_block *b = d->block;
	int fresh;

	if (!b || b->cap - b->used < need) {
		b = block_get(d, need);
		if (!b)
			return NULL;
	}
	struct item *it = run_append(d, ts, &fresh);
	if (!it)
		return NULL;
	*it = (struct item){ .ts = ts,
			     .seq = d->seq++,
			     .cpu = cpu,
			     .kind = kind,
			     .id = id,
			     .len = (uint32_t)len,
			     .data = b->data + b->used,
			     .block = b };
	d->cur->n++;
	if (d->collect) { /* the reader thread's: main takes the runs with their chunk */
		if (fresh && hwt_pipe_collect(d->collect, d->cur)) {
			d->cur->n--;
			return NULL;
		}
	} else {
		if (fresh && heap_push(d, d->cur)) {
			d->cur->n--;
			return NULL;
		}
		d->nwaiting++;
	}
	b->used += need;
	b->refs++;
	return it->data;
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

/* Events handed out at once by hwt_decoder_batch(): records are processed until this many are
 * ready, so a consumer's loop runs per batch, not per record. */
#define FILL_BATCH 256

/* Whether events [@from, d->nout) borrow memory that the next record may reuse (the weights
 * buffer, a record's bytes): then they go out before another record is processed. */
static int borrowing(const struct hwt_decoder *d, size_t from)
{
	for (size_t i = from; i < d->nout; i++) {
		enum hwt_event_type t = d->out[i].type;
		if (t == HWT_EV_SAMPLE || t == HWT_EV_INSTANT || t == HWT_EV_OBJECT ||
		    t == HWT_EV_SLICE_ARGS)
			return 1;
	}
	return 0;
}

/* The driver's loop, once the events ready were all handed out: makes more. Returns 1 when
 * there are some, 0 at the end, or a negative enum hwt_error (after the events made before it
 * went out). */
static __attribute__((noinline)) int fill(struct hwt_decoder *d)
{
	d->iout = d->nout = 0;
	if (d->retired)
		unretire(d);
	if (d->err)
		return d->err;
	for (;;) {
		if (d->nout >= FILL_BATCH)
			return 1;
		/* An item may go once a later round started after its own: nothing older can
		 * still be in a ring that was drained before. */
		if (d->nheap &&
		    (d->input_done || d->heap[0]->items[d->heap[0]->head].ts < d->round_prev ||
		     d->nwaiting > MAX_WAITING)) {
			struct item it;
			size_t from = d->nout;
			heap_pop(d, &it);
			int err = process_item(d, &it);
			if (err < 0) {
				d->err = err;
				return d->nout ? 1 : err;
			}
			if (d->nout > from && borrowing(d, from))
				return 1;
			continue;
		}
		if (d->nout)
			return 1; /* before reading on: a chunk reuses the bytes events may point to
				   */
		if (d->input_done) {
			int err = hwt_perf_flush_reads(d);
			/* A recording without its end (recorder killed): close what is open at the
			 * last thing seen. */
			if (!err && !d->sources_finished) {
				d->sources_finished = 1;
				err = finish_sources(d, d->last_ts);
			}
			if (err < 0) {
				d->err = err;
				return d->nout ? 1 : err;
			}
			return d->nout ? 1 : 0;
		}
		int err = hwt_dec_read_chunk(d);
		if (err < 0) {
			d->err = err;
			return err;
		}
	}
}

int hwt_decoder_next(struct hwt_decoder *d, struct hwt_event *ev)
{
	/* Most calls hand out an event made earlier: no frame for the loop in fill(). */
	if (d->iout >= d->nout) {
		int r = fill(d);
		if (r <= 0)
			return r;
	}
	*ev = d->out[d->iout++];
	return 1;
}

int hwt_decoder_batch(struct hwt_decoder *d, const struct hwt_event **evs)
{
	if (d->iout >= d->nout) {
		int r = fill(d);
		if (r <= 0)
			return r;
	}
	size_t n = d->nout - d->iout;
	if (n > INT_MAX)
		n = INT_MAX;
	*evs = d->out + d->iout;
	d->iout += n;
	return (int)n;
}

struct hwt_decoder *hwt_decoder_open(const char *path, struct hwt_model *m,
				     const struct hwt_decoder_config *cfg, int *err, char *why,
				     size_t whylen)
{
	struct hwt_decoder *d = calloc(1, sizeof(*d));

	if (!d) {
		*err = HWT_E_NOMEM;
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (cfg)
		d->cfg = *cfg;
	else
		hwt_decoder_config_init(&d->cfg);
	d->m = m;
	d->main_queues = 1;
	d->r = hwt_store_reader_open(path, err);
	if (!d->r) {
		switch (*err) {
		case HWT_E_BADFILE:
			snprintf(why, whylen,
				 "'%s' is not an hwtrace recording (empty or another "
				 "format): record one with `hwtrace record`",
				 path);
			break;
		case HWT_E_VERSION:
			snprintf(why, whylen,
				 "'%s' was written by a newer hwtrace: upgrade to read it", path);
			break;
		default:
			snprintf(why, whylen, "cannot read '%s': %s", path,
				 *err == HWT_E_IO ? strerror(errno) : hwt_errstr(*err));
		}
		free(d);
		return NULL;
	}
	d->sym = hwt_symbolizer_alloc(m);
	d->unw = d->sym ? hwt_unwinder_alloc(d->sym) : NULL;
	if (!d->sym || !d->unw) {
		*err = HWT_E_NOMEM;
		snprintf(why, whylen, "out of memory");
		hwt_decoder_close(d);
		return NULL;
	}
	hwt_chain_check_init(&d->chk, d->sym);
	/* Read up to the event list, so the model knows its metadata and sample weights before
	 * the first event: exporters look their view up among the weights. */
	while (!d->weights_ready && !d->input_done && !d->nheap) {
		*err = hwt_dec_read_chunk(d);
		if (*err < 0) {
			snprintf(why, whylen, "cannot read '%s': %s", path, hwt_errstr(*err));
			hwt_decoder_close(d);
			return NULL;
		}
	}
	*err = hwt_pipe_start(d);
	if (*err < 0) {
		snprintf(why, whylen, "cannot read '%s': %s", path, hwt_errstr(*err));
		hwt_decoder_close(d);
		return NULL;
	}
	*err = 0;
	return d;
}

const struct hwt_decode_stats *hwt_decoder_stats(const struct hwt_decoder *d)
{
	return &d->stats;
}

const struct hwt_store_status *hwt_decoder_store_status(const struct hwt_decoder *d)
{
	return hwt_store_reader_status(d->r);
}

void hwt_decoder_progress(const struct hwt_decoder *d, uint64_t *done, uint64_t *size)
{
	hwt_store_reader_position(d ? d->r : NULL, done, size);
}

void hwt_decoder_close(struct hwt_decoder *d)
{
	if (!d)
		return;
	hwt_pipe_stop(d);
	for (size_t i = 0; i < d->nheap; i++)
		hwt_dec_drop_run(d, d->heap[i]);
	for (struct run *r = d->spare_runs, *next; r; r = next) {
		next = r->next;
		free(r->items);
		free(r);
	}
	if (d->retired)
		unretire(d);
	for (struct item_block *b = d->free_blocks, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(d->block);
	free(d->heap);
	free(d->threads);
	for (uint32_t i = 0; i < d->nsources; i++)
		d->sources[i].ops->destroy(d->sources[i].st);
	free(d->sources);
	free(d->out);
	free(d->stacks);
	free(d->descs);
	hwt_unwinder_free(d->unw);
	hwt_symbolizer_free(d->sym);
	hwt_store_reader_close(d->r);
	free(d);
}

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
		int from_process = p && p != t && p->name;
		int64_t id = from_process ? p->name : hwt_model_intern_str(d->m, buf);
		t->name = id > 0 ? (uint32_t)id : 0;
		t->made_up = !from_process || p->made_up;
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

int hwt_dec_stream_thread(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts,
			  int *ready)
{
	if (!hwt_dec_thread(d, tid, 0))
		return 0;
	hwt_dec_announce(d, pid, tid, ts);
	struct thread *t = hwt_dec_thread(d, tid, 0);
	*ready = t && t->announced;
	return 1;
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

static int process_item(struct hwt_decoder *d, const struct item *it)
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
		err = hwt_perf_record(d, it->data, it->len, it->cpu, it->ts, hwt_dec_item_id(it));
		break;
	case HWT_ITEM_READ:
		err = hwt_perf_read(d, it->ts, hwt_dec_item_id(it), it->data, it->len);
		break;
	case HWT_ITEM_SOURCE: {
		struct source *src = hwt_dec_source(d, hwt_dec_item_id(it));
		if (src)
			err = src->ops->record(src->st, it->ts, it->data, it->len);
		break;
	}
	case HWT_ITEM_INLINE: {
		struct source *src = hwt_dec_source(d, (uint32_t)it->cpu);
		if (src)
			err = src->ops->record(src->st, it->ts, it->inl, HWT_ITEM_INLINE_BYTES);
		if (it->ts > d->last_ts)
			d->last_ts = it->ts;
		return err;
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
	hwt_dec_block_put(d, hwt_dec_item_block(it));
	return err;
}

/* Records that may wait for their round: a recording whose timestamps never advance (damaged,
 * or made to exhaust memory) would otherwise keep every record of every chunk. Past this, the
 * oldest go in the order they have; real recordings hold a few rounds, far below. */
#define MAX_WAITING (1u << 20)

#define FILL_BATCH HWT_DEC_FILL_BATCH

/* Records taken out of the heap at once when samples unwind ahead. */
#define AHEAD_BATCH 256

/* Whether events [@from, d->nout) borrow memory that the next record may reuse (the one
 * weights buffer, a record's bytes): then they go out before another record is processed. A
 * sample's weights in its row of d->sample_weights stay until the next batch. */
static int borrowing(const struct hwt_decoder *d, size_t from)
{
	for (size_t i = from; i < d->nout; i++) {
		enum hwt_event_type t = d->out[i].type;
		if ((t == HWT_EV_SAMPLE && d->out[i].sample.weights == d->weights) ||
		    t == HWT_EV_INSTANT || t == HWT_EV_OBJECT || t == HWT_EV_SLICE_ARGS)
			return 1;
	}
	return 0;
}

/* The driver's loop, once the events ready were all handed out: makes more. Returns 1 when
 * there are some, 0 at the end, or a negative enum hwt_error (after the events made before it
 * went out). */
/* An item may go once a later round started after its own: nothing older can still be in a ring
 * that was drained before. */
static int item_ready(const struct hwt_decoder *d)
{
	return d->nheap && (d->input_done || hwt_dec_run_first(d->heap[0])->ts < d->round_prev ||
			    d->nwaiting > MAX_WAITING);
}

/* Records ready to go, taken out together (in the order one at a time would give: taking them
 * out queues nothing) so that their -g dwarf samples unwind ahead on other threads. */
static int pop_batch(struct hwt_decoder *d)
{
	if (HWT_ARRAY_GROW(d->batch, &d->cap_batch, AHEAD_BATCH))
		return HWT_E_NOMEM;
	d->nbatch = d->ibatch = 0;
	while (d->nbatch < AHEAD_BATCH && item_ready(d))
		hwt_dec_pop(d, &d->batch[d->nbatch++]);
	/* Unwound ahead or not, each sample gets the same frames. */
	int err = hwt_dec_unwind_ahead(d, d->batch, d->nbatch);
	return err == HWT_E_NOMEM ? err : 0;
}

/* Takes HWT_ITEM_INLINE record @it (sequence number @seq), the first of @n in a span whose next
 * run starts with @next, with the records of the same stream ready after it, together where the
 * stream decoder takes them so (its records hook); sets *@did to how many were taken, and *@hooked
 * when the hook took them (their events borrow nothing). */
static int process_inline(struct hwt_decoder *d, const struct item *it, uint64_t seq, size_t n,
			  const struct hwt_dec_key *next, size_t *did, int *hooked)
{
	struct source *src = hwt_dec_source(d, (uint32_t)it->cpu);

	*did = 1;
	if (!src || !src->ops->records)
		return process_item(d, it);
	*hooked = 1;
	/* The hook stops once a batch of events is ready, about as many records as that: looking
	 * further ahead would look at most records several times over (a run segment holds
	 * RUN_SEG_ITEMS), the first reading of each being its cost. */
	if (n > FILL_BATCH)
		n = FILL_BATCH;
	size_t m = 1;
	while (m < n && it[m].kind == HWT_ITEM_INLINE && it[m].cpu == it->cpu &&
	       (d->input_done || it[m].ts < d->round_prev) &&
	       hwt_dec_key_less(it[m].ts, seq + m, next))
		m++;
	int err = 0;
	*did = src->ops->records(src->st, it, m, &err);
	if (it[*did - 1].ts > d->last_ts)
		d->last_ts = it[*did - 1].ts;
	return err;
}

/* Processes the records ready at the head of the first run where they lie, as many as go before
 * every other run's first and whose round is over: no heap work and no copy per record. Stops
 * where the events must go out (a batch is full, an event borrows a record's memory: 1), after
 * an error (its code), or where processing queued a record (Intel PT does) or none was ready
 * this way (records past MAX_WAITING): 0, to go on one record at a time. */
static int process_span(struct hwt_decoder *d)
{
	struct hwt_dec_key next;
	size_t n, k = 0;
	uint64_t first;
	const struct item *it = hwt_dec_span(d, &next, &first, &n);
	uint64_t seq = d->seq;
	int ret = 0;

	while (k < n) {
		if ((!d->input_done && it->ts >= d->round_prev) ||
		    !hwt_dec_key_less(it->ts, first + k, &next))
			break;
		size_t from = d->nout, did = 1;
		int hooked = 0;
		int err = it->kind == HWT_ITEM_INLINE && !d->read_leader_desc
				  ? process_inline(d, it, first + k, n - k, &next, &did, &hooked)
				  : process_item(d, it);
		k += did;
		it += did;
		if (err < 0 || (!hooked && d->nout > from && borrowing(d, from)) ||
		    d->nout >= FILL_BATCH) {
			ret = err < 0 ? err : 1;
			break;
		}
		if (d->main_queues && d->seq != seq)
			break;
	}
	hwt_dec_span_done(d, k);
	return k ? ret : 2;
}

static __attribute__((noinline)) int fill(struct hwt_decoder *d)
{
	d->iout = d->nout = 0;
	/* The events handed out last time are used: the blocks of their records may be used
	 * again, and no thread unwinding ahead may read them then. */
	if (d->nbatch)
		hwt_unwind_ahead_stop(d->unw);
	hwt_dec_unretire(d);
	if (d->err)
		return d->err;
	for (;;) {
		if (d->nout >= FILL_BATCH)
			return 1;
		if (d->nbatch && d->ibatch >= d->nbatch) {
			/* Before a block of the batch's records can be used again. */
			hwt_unwind_ahead_stop(d->unw);
			d->nbatch = d->ibatch = 0;
		}
		if (d->ibatch < d->nbatch || item_ready(d)) {
			struct item it;
			size_t from = d->nout;
			if (d->ibatch < d->nbatch) {
				it = d->batch[d->ibatch++];
			} else if (hwt_dec_wants_ahead(d)) {
				int err = pop_batch(d);
				if (err < 0) {
					d->err = err;
					return d->nout ? 1 : err;
				}
				continue;
			} else {
				int r = process_span(d);
				if (r < 0) {
					d->err = r;
					return d->nout ? 1 : r;
				}
				if (r == 1)
					return 1;
				if (r == 0)
					continue;
				hwt_dec_pop(d, &it);
			}
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

/* fill(), then the counts the frame-pointer checks keep (per sample) into the statistics, which
 * are read between batches. */
static int fill_counted(struct hwt_decoder *d)
{
	int r = fill(d);

	d->stats.chains_cut = d->chk.cut;
	d->stats.leaf_callers = d->chk.leaf_callers;
	return r;
}

int hwt_decoder_next(struct hwt_decoder *d, struct hwt_event *ev)
{
	/* Most calls hand out an event made earlier: no frame for the loop in fill(). */
	if (d->iout >= d->nout) {
		int r = fill_counted(d);
		if (r <= 0)
			return r;
	}
	*ev = d->out[d->iout++];
	return 1;
}

int hwt_decoder_batch(struct hwt_decoder *d, const struct hwt_event **evs)
{
	if (d->iout >= d->nout) {
		int r = fill_counted(d);
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
	struct hwt_decoder *d = hwt_dec_zalloc(sizeof(*d));

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
	hwt_symbolizer_sources(d->sym, d->cfg.sources);
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
	hwt_unwind_ahead_stop(d->unw);
	for (size_t i = d->ibatch; i < d->nbatch; i++)
		if (d->batch[i].kind != HWT_ITEM_INLINE)
			hwt_dec_block_put(d, hwt_dec_item_block(&d->batch[i]));
	free(d->batch);
	for (size_t i = 0; i < d->nheap; i++)
		hwt_dec_drop_run(d, d->heap[i]);
	hwt_dec_free_spares(d);
	hwt_dec_unretire(d);
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
	hwt_effects_free(d->effects);
	free(d->descs);
	hwt_unwinder_free(d->unw);
	hwt_symbolizer_free(d->sym);
	hwt_store_reader_close(d->r);
	free(d);
}

/* Decoding on two threads: a reader thread reads, checks and decompresses the chunks and splits
 * the records of the rings and streams into runs, while the caller's thread puts them in order
 * and turns them into events.
 *
 * Why this design: the events must be the same, in the same order, as decoding on one thread,
 * because the model's ids (stack nodes, frames, strings) are given out in the order things are
 * first met and every export depends on them. Splitting a stream into records depends only on
 * the stream before it (its time deltas, its thread table), never on the records' meaning, so
 * one reader thread splitting every chunk in file order gives the very records, timestamps and
 * sequence numbers one thread gives; the caller's thread takes each chunk's runs exactly where
 * one thread would have read that chunk (when nothing waiting may go yet), so the merge, the
 * interning and the events cannot differ. Decoding chunk ranges on several threads would need
 * the call stacks open at each range's start, which only the ranges before can tell; on the
 * 2-core machines this runs on, the two halves (reading and splitting; ordering and building
 * events) are of a size.
 *
 * What only the caller's thread may touch stays there: chunks that change the model or the
 * decoder (metadata, mappings, function tables, notes) go over as copies and are taken in on
 * the caller's thread at their turn; the reader waits at the chunks its splitting depends on
 * (a stream declared, the event list) until they are taken in. A stream whose splitting is not
 * alone (splitting declares model tracks, or Intel PT) turns the reader into a prefetcher:
 * chunks go over whole and are split on the caller's thread, as on one thread.
 *
 * What made two threads slower than one, measured: a cache line written by one thread and read
 * by the other on every record (the queueing state beside the ordering state in the decoder,
 * the splitting state beside the decoding state in a stream decoder) cost each thread a miss per
 * record, 5x their CPU time; those now lie on lines of their own (HWT_DEC_LINE). And memory
 * handed back by the caller's thread, reused at once, was still in that thread's cache when the
 * reader wrote it again: blocks and run segments are reused oldest first (runs.c), which took
 * the reader's CPU time with both threads running from 0.57 s to 0.36 s, its time alone.
 *
 * Tried and left out, measured: the caller's thread decompressing, while it waits, the chunk the
 * reader fetched ahead (the reader is the larger half: 0.40 s of CPU against the caller's 0.27
 * s, which waits 0.15 s). Built and correct (errors told at their chunk's turn, outputs the
 * same), it moved the work but not the wall time: a chunk decompressed on the other core cost
 * that thread 1.3 to 3 times its zstd time, the stored bytes coming from the reader's cache and
 * the output going back to it. SQLite's 10.9 M calls, 12 x 3 alternating rounds, best / median:
 * 0.359 / 0.477 s as here, 0.361 / 0.478 s with it.
 *
 * Where this design stops: two copies of the whole one-thread decode, each pinned to a CPU of its
 * own, take as long together as alone (so the two CPUs share no core and little cache), while the
 * two halves here cost 1.3x to 1.7x the CPU time of one thread, the difference being the bytes
 * that cross. Two threads reach 1.3x to 1.45x one on SQLite's calls; 1.8x would take each thread
 * decoding a range of chunks of its own, its ids and open call stacks mapped onto the ranges'
 * before it afterwards. Not built: decoding is no longer what an export waits on (one thread
 * decodes SQLite's 21.7 M events in 0.47 s, exporting Perfetto from them takes 1.5 s). */
#include "internal.h"

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hwtrace/error.h"

/* Chunks read ahead: enough to keep both threads busy, few for memory's sake; and no more once
 * this many records wait in them (a chunk of tiny records holds millions). */
#define PIPE_AHEAD	   3
#define PIPE_AHEAD_RECORDS (256u << 10)

/* Recordings of calls this large decode on two threads unless told otherwise (-j,
 * HWT_DECODE_THREADS, HWT_DECODE_PARALLEL_MIN), where the process may run on two CPUs: from about a
 * dozen chunks on, the reader thread's work overlaps enough to matter, and below that decoding
 * takes a few tens of milliseconds either way. Figures (10.9 M-call SQLite recording, 10 MB): see
 * the note of hwt_decoder_config.threads. */
#define PIPE_MIN_BYTES (2u << 20)

/* One chunk, as the reader thread hands it over. */
struct pipe_chunk {
	struct pipe_chunk *next;
	uint32_t type;
	int end;       /* no chunk after it: @err is how reading ended */
	int err;       /* a negative enum hwt_error the reader met, 0 */
	int split;     /* its records were split into @runs; else @data is taken in as it is */
	int barrier;   /* the reader waits until this one was taken in */
	uint8_t *data; /* a copy of the chunk (not split, or an END) */
	size_t len, cap;
	struct run **runs;
	size_t nruns, cap_runs;
	size_t nrecords;		/* in @runs */
	uint64_t round_cur, round_prev; /* the rounds after it */
};

struct hwt_pipe {
	struct hwt_decoder *d;
	pthread_t thread;
	pthread_mutex_t mu;	 /* the queue below, and the decoder's spare blocks and runs */
	pthread_cond_t cv_ready; /* a chunk was queued */
	pthread_cond_t cv_room;	 /* a chunk was taken, a barrier passed, or stop */
	struct pipe_chunk *head, *tail;
	int nqueued;
	size_t queued_records; /* in the chunks queued */
	int stop;
	int waiting_barrier; /* the reader waits at a barrier */
	int raw;	     /* split nothing from now on: a stream's splitting is not alone */
	int dead;	     /* the reader stopped without a last chunk (no memory) */
	uint64_t reader_cpu_ns,
		reader_wait_ns; /* for hwt_decode_stats, once the last chunk is in */
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Waits on @cv, adding the time waited to *@ns. */
static void wait_timed(pthread_cond_t *cv, pthread_mutex_t *mu, uint64_t *ns)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC);

	pthread_cond_wait(cv, mu);
	*ns += now_ns(CLOCK_MONOTONIC) - t0;
}

void hwt_pipe_lock(struct hwt_pipe *p)
{
	pthread_mutex_lock(&p->mu);
}

void hwt_pipe_unlock(struct hwt_pipe *p)
{
	pthread_mutex_unlock(&p->mu);
}

int hwt_pipe_collect(struct pipe_chunk *c, struct run *r)
{
	if (HWT_ARRAY_GROW(c->runs, &c->cap_runs, c->nruns + 1))
		return HWT_E_NOMEM;
	c->runs[c->nruns++] = r;
	return 0;
}

static int all_alone(const struct hwt_decoder *d)
{
	for (uint32_t i = 0; i < d->nsources; i++)
		if (!d->sources[i].ops->split_alone)
			return 0;
	return 1;
}

static void chunk_free(struct hwt_decoder *d, struct pipe_chunk *c)
{
	for (size_t i = 0; i < c->nruns; i++)
		hwt_dec_drop_run(d, c->runs[i]);
	free(c->runs);
	free(c->data);
	free(c);
}

/* The reader's work on one chunk: split it or copy it into @c. */
static int read_one(struct hwt_pipe *p, struct pipe_chunk *c, uint32_t type, const void *data,
		    size_t len)
{
	struct hwt_decoder *d = p->d;
	int err = 0;

	c->type = type;
	if (!p->raw && (type == HWT_CHUNK_STREAM || type == HWT_CHUNK_END)) {
		/* Queued as one thread would, the runs kept for the caller's thread. */
		c->split = 1;
		d->collect = c;
		if (type == HWT_CHUNK_STREAM)
			err = hwt_dec_read_stream(d, data, len);
		else if (len >= sizeof(struct hwt_end_rec))
			err = hwt_dec_queue(d, UINT64_MAX, -1, 0, 0, data, len);
		d->collect = NULL;
		d->cur = NULL;
		/* The caller's thread owns every record of this chunk from here. */
		if (d->block) {
			hwt_dec_block_seal(d, d->block);
			d->block = NULL;
		}
		c->round_cur = d->q_round_cur;
		c->round_prev = d->q_round_prev;
		if (type == HWT_CHUNK_STREAM || err)
			return err;
	}
	if (len && !(c->data = malloc(len)))
		return HWT_E_NOMEM;
	memcpy(c->data, data, len);
	c->len = len;
	/* Splitting what follows depends on these: the streams, the events' sample layouts. */
	c->barrier = type == HWT_CHUNK_SOURCE || type == HWT_CHUNK_EVENTS;
	return 0;
}

static void *reader_main(void *arg)
{
	struct hwt_pipe *p = arg;
	struct hwt_decoder *d = p->d;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && (p->nqueued >= PIPE_AHEAD ||
				    (p->nqueued && p->queued_records >= PIPE_AHEAD_RECORDS)))
			wait_timed(&p->cv_room, &p->mu, &p->reader_wait_ns);
		int stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;

		struct pipe_chunk *c = calloc(1, sizeof(*c));
		uint32_t type;
		const void *data;
		size_t len;
		int n = c ? hwt_store_read(d->r, &type, &data, &len) : HWT_E_NOMEM;
		if (n <= 0 || !c) {
			if (c) {
				c->end = 1;
				c->err = n;
			}
		} else {
			c->err = read_one(p, c, type, data, len);
		}

		int last = !c || c->end || c->err;
		uint64_t cpu = last ? now_ns(CLOCK_THREAD_CPUTIME_ID) : 0;
		pthread_mutex_lock(&p->mu);
		p->reader_cpu_ns = cpu;
		if (!c) {
			p->dead = 1; /* no memory for a chunk that would say so */
			pthread_cond_signal(&p->cv_ready);
			pthread_mutex_unlock(&p->mu);
			break;
		}
		if (p->tail)
			p->tail->next = c;
		else
			p->head = c;
		p->tail = c;
		p->nqueued++;
		for (size_t i = 0; i < c->nruns; i++)
			c->nrecords += c->runs[i]->n;
		p->queued_records += c->nrecords;
		pthread_cond_signal(&p->cv_ready);
		if (c->barrier && !last) {
			p->waiting_barrier = 1;
			while (!p->stop && p->waiting_barrier)
				wait_timed(&p->cv_room, &p->mu, &p->reader_wait_ns);
		}
		pthread_mutex_unlock(&p->mu);
		if (last)
			break;
	}
	return NULL;
}

/* The CPUs this process may run on. */
static int cpus(void)
{
	cpu_set_t set;

	return sched_getaffinity(0, sizeof(set), &set) ? 1 : CPU_COUNT(&set);
}

/* Whether the reader thread would split call records (inproc and uprobe streams, and nothing
 * that turns it into a prefetcher), the work it takes off the caller's thread. On a recording of
 * samples, unwinding and symbolizing on the caller's thread are most of the work: xz's -g dwarf
 * recording (8 MiB) took 6 % longer on two threads, with 48 % more CPU (tests/bench/unwind.sh). */
static int splits_calls(const struct hwt_decoder *d)
{
	return d->nsources && all_alone(d);
}

int hwt_pipe_start(struct hwt_decoder *d)
{
	int threads = d->cfg.threads;

	if (!threads) {
		const char *env = getenv("HWT_DECODE_THREADS");
		uint64_t done, size;
		hwt_decoder_progress(d, &done, &size);
		env = env && *env ? env : NULL;
		const char *min = getenv("HWT_DECODE_PARALLEL_MIN");
		uint64_t lim = min && *min ? strtoull(min, NULL, 10) : PIPE_MIN_BYTES;
		threads = env ? atoi(env) : size >= lim && splits_calls(d) && cpus() >= 2 ? 2 : 1;
	}
	if (threads < 2 || d->input_done)
		return 0;
	struct hwt_pipe *p = calloc(1, sizeof(*p));
	if (!p)
		return HWT_E_NOMEM;
	p->d = d;
	p->raw = !all_alone(d);
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_ready, NULL);
	pthread_cond_init(&p->cv_room, NULL);
	/* Records the caller's thread queued so far stay its; the reader starts a block. */
	if (d->block) {
		hwt_dec_block_seal(d, d->block);
		d->block = NULL;
	}
	d->cur = NULL;
	d->main_queues = p->raw;
	d->pipe = p;
	if (pthread_create(&p->thread, NULL, reader_main, p)) {
		d->pipe = NULL;
		d->main_queues = 1;
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv_ready);
		pthread_cond_destroy(&p->cv_room);
		free(p);
		return 0; /* one thread it is */
	}
	return 0;
}

/* Takes in chunk @c on the caller's thread, as hwt_dec_read_chunk() does on one thread. */
static int take(struct hwt_decoder *d, struct hwt_pipe *p, struct pipe_chunk *c)
{
	int err = 0;

	if (c->end) {
		d->input_done = 1;
		return c->err;
	}
	if (c->err)
		return c->err;
	if (c->split) {
		for (size_t i = 0; i < c->nruns && !err; i++) {
			err = hwt_dec_take_run(d, c->runs[i]);
			if (!err)
				c->runs[i] = NULL;
		}
		d->round_cur = c->round_cur;
		d->round_prev = c->round_prev;
		if (!err && c->type == HWT_CHUNK_END && c->len >= sizeof(struct hwt_end_rec)) {
			memcpy(&d->stats.end, c->data, sizeof(d->stats.end));
			d->stats.have_end = 1;
		}
		return err;
	}
	err = hwt_dec_apply_chunk(d, c->type, c->data, c->len);
	if (p->raw) { /* split here: the rounds are this thread's */
		d->round_cur = d->q_round_cur;
		d->round_prev = d->q_round_prev;
	}
	return err;
}

int hwt_pipe_next(struct hwt_decoder *d)
{
	struct hwt_pipe *p = d->pipe;

	pthread_mutex_lock(&p->mu);
	while (!p->head && !p->dead)
		wait_timed(&p->cv_ready, &p->mu, &d->stats.main_wait_ns);
	struct pipe_chunk *c = p->head;
	if (c && (c->end || c->err)) { /* the reader is done: its figures are final */
		d->stats.reader_cpu_ns = p->reader_cpu_ns;
		d->stats.reader_wait_ns = p->reader_wait_ns;
	}
	if (!c) {
		pthread_mutex_unlock(&p->mu);
		return HWT_E_NOMEM;
	}
	p->head = c->next;
	if (!p->head)
		p->tail = NULL;
	p->nqueued--;
	p->queued_records -= c->nrecords;
	pthread_cond_broadcast(&p->cv_room);
	pthread_mutex_unlock(&p->mu);

	int err = take(d, p, c);
	if (c->barrier) {
		/* The reader waits: its view of the streams and events is this thread's now. */
		pthread_mutex_lock(&p->mu);
		if (!p->raw && !all_alone(d)) {
			p->raw = 1;
			d->main_queues = 1;
		}
		p->waiting_barrier = 0;
		pthread_cond_broadcast(&p->cv_room);
		pthread_mutex_unlock(&p->mu);
	}
	for (size_t i = 0; i < c->nruns; i++)
		if (c->runs[i])
			hwt_dec_drop_run(d, c->runs[i]);
	c->nruns = 0;
	chunk_free(d, c);
	return err;
}

void hwt_pipe_stop(struct hwt_decoder *d)
{
	struct hwt_pipe *p = d->pipe;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->cv_room);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	while (p->head) {
		struct pipe_chunk *c = p->head;
		p->head = c->next;
		chunk_free(d, c);
	}
	d->pipe = NULL;
	d->main_queues = 1;
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv_ready);
	pthread_cond_destroy(&p->cv_room);
	free(p);
}

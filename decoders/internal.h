/* What the decoding driver (decode.c) shares with the decoders of each kind of recorded data:
 * perf records (perf.c) and plugin streams (uprobe.c, ...). Private to decoders/. */
#ifndef HWT_DECODERS_INTERNAL_H
#define HWT_DECODERS_INTERNAL_H

#include "decode.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/symbols.h"
#include "core/util.h"
#include "callchain.h"
#include "unwind.h"
#include "effects/effects.h"

#define MAX_WEIGHTS	  16
#define WEIGHT_ROWS	  320 /* samples' weights kept for one batch of events out */
#define MAX_CHAIN	  512
#define HWT_USER_ADDR_END 0x800000000000ull /* x86-64, 4-level page tables */
#define MAX_GROUP	  16

/* Starts a member on a cache line of its own: what one thread writes per record and another
 * thread reads must not share a line (the objects holding them come from hwt_dec_zalloc()). */
#define HWT_DEC_LINE_SIZE 64
#define HWT_DEC_LINE	  __attribute__((aligned(HWT_DEC_LINE_SIZE)))

/** Zeroed memory for @size bytes starting on a cache line, released with free(); NULL when out
 *  of memory. */
static inline void *hwt_dec_zalloc(size_t size)
{
	void *p = NULL;

	if (posix_memalign(&p, HWT_DEC_LINE_SIZE, size))
		return NULL;
	return memset(p, 0, size);
}

struct thread {
	uint32_t tid, pid;
	uint32_t name; /* string id */
	int made_up;   /* @name is "[TID]" (or none): no COMM or FORK told it */
	int announced; /* a THREAD event went out */
	int exited;
	uint64_t last[MAX_GROUP]; /* group values at the previous sample, for deltas */
	int have_last;
};

/* Kind of a queued record whose bytes lie in the item itself (struct item's @inl), not in a
 * block: a stream record of HWT_ITEM_INLINE_BYTES, of the source whose id is the item's @cpu.
 * Beside enum hwt_item_kind (1-3), in the item's 5 bits; never in a file. */
#define HWT_ITEM_INLINE	      31
#define HWT_ITEM_INLINE_BYTES 8

struct item { /* a record waiting for its turn: 24 bytes, a million may wait */
	uint64_t ts;
	union {
		/* In a block, 8-byte aligned, after its struct item_head. */
		uint8_t *data;
		/* HWT_ITEM_INLINE: the record. Streams of tiny records (a call's entry or return)
		 * queue them here: no block, and the bytes the ordering thread reads per record
		 * are the item's alone. */
		uint8_t inl[HWT_ITEM_INLINE_BYTES];
	};
	int32_t cpu;	   /* HWT_ITEM_INLINE: the source id */
	uint32_t len : 27; /* a record lies in one chunk: HWT_CHUNK_MAX (2^26) at most */
	uint32_t kind : 5; /* enum hwt_item_kind, HWT_ITEM_INLINE, or 0 for the end record */
};
/* The reader thread writes every item and the ordering thread reads it from the other core's
 * cache or from memory, so the item's size is most of what a record costs either thread. Its
 * sequence number is its place in its run segment (struct run_seg). */
_Static_assert(sizeof(struct item) == 24, "struct item stays small");

/* What lies before a queued record's bytes in its block: read per record only where the record
 * itself is. */
struct item_head {
	uint64_t id;		  /* the id it was queued with */
	struct item_block *block; /* the block, which holds a reference for the record */
};

/** The id record @it (not HWT_ITEM_INLINE) was queued with. */
static inline uint64_t hwt_dec_item_id(const struct item *it)
{
	return ((const struct item_head *)(const void *)it->data)[-1].id;
}

/** The block of record @it (not HWT_ITEM_INLINE). */
static inline struct item_block *hwt_dec_item_block(const struct item *it)
{
	return ((const struct item_head *)(const void *)it->data)[-1].block;
}

/* A record's place in the order: records with the same timestamp go in the order they were
 * queued (@seq). */
struct hwt_dec_key {
	uint64_t ts, seq;
};

/** Whether record @ts, @seq goes before @k: (timestamp, sequence) order. */
static inline int hwt_dec_key_less(uint64_t ts, uint64_t seq, const struct hwt_dec_key *k)
{
	return ts < k->ts || (ts == k->ts && seq < k->seq);
}

/* A run's records in fixed segments (runs.c). */
#define RUN_SEG_ITEMS 1024
struct run_seg {
	struct run_seg *next;
	/* The sequence number of @items[0]: a run's records are queued one after the other, each
	 * with the next number, so @items[k]'s is @seq0 + k and no item holds its own. */
	uint64_t seq0;
	uint32_t n; /* records in @items; all but the run's last segment are full */
	struct item items[RUN_SEG_ITEMS];
};

/* Records in (ts, seq) order: those from @first's @head on are waiting. */
struct run {
	struct run *next; /* in the spare list */
	struct run_seg *first, *last;
	uint32_t head;
	size_t n; /* records added */
};

/** The first waiting record of run @r. */
static inline struct item *hwt_dec_run_first(const struct run *r)
{
	return &r->first->items[r->head];
}

/** The sequence number of run @r's first waiting record. */
static inline uint64_t hwt_dec_run_seq(const struct run *r)
{
	return r->first->seq0 + r->head;
}

/* Records waiting in the heap are copied into blocks of one arena, not a malloc each: a block
 * goes back to the free list once every record in it was processed. */
struct item_block {
	struct item_block *next; /* in the free list */
	uint32_t refs;		 /* records in it still waiting */
	int sealed;		 /* no longer the block records are copied into */
	size_t used, cap;
	uint8_t data[] __attribute__((aligned(8)));
};

/* Stacks of samples seen, by their frames' addresses in one address space (generation): the same
 * addresses give the same stack node, symbolized and interned once. */
#define STACK_CACHE_SIZE   2048 /* entries, a power of two */
#define STACK_CACHE_FRAMES 24	/* deeper stacks are not kept */
struct stack_cache_entry {
	uint64_t gen; /* the address space's hwt_symbolizer_generation(), 0: empty */
	uint32_t pid;
	uint32_t n;	 /* frames */
	uint32_t kernel; /* bit i: frame i is the kernel's */
	uint32_t node;
	uint64_t pcs[STACK_CACHE_FRAMES];
};

struct hwt_decoder {
	struct hwt_decoder_config cfg;
	struct hwt_model *m;
	struct hwt_store_reader *r;
	struct hwt_symbolizer *sym;
	struct hwt_unwinder *unw;
	/* Records taken out of the heap together when -g dwarf samples unwind ahead on other
	 * threads (unwind_ahead.c): processed in order from ibatch; each holds its block. */
	struct item *batch;
	size_t nbatch, ibatch, cap_batch;
	int ahead; /* the recording has -g dwarf samples and there are threads for them */
	size_t ahead_ndescs;
	struct hwt_chain_check chk; /* frame-pointer callchains checked against the mappings */
	struct hwt_decode_stats stats;

	struct hwt_event_desc *descs;
	size_t ndescs;
	int weights_ready;
	int w_period;		  /* weight index of the sampling period, -1 if none */
	int w_members[MAX_GROUP]; /* weight index for each group member (by position) */
	uint32_t target_pid;
	uint64_t target_exit_ts;
	/* The target exec'ed and its new executable's mapping is not seen yet: the first file
	 * mapped for it after the exec (the kernel maps the program before its interpreter)
	 * becomes the model's "exe" metadata. */
	int exe_pending;

	/* Threads: open addressing on tid. */
	struct thread *threads;
	size_t nthreads, cap_threads;

	/* Records waiting to be put in order: runs of records already in (ts, seq) order (a
	 * stream's records mostly come in order), merged through a binary heap of runs on their
	 * first waiting record, so the heap is touched once per run, not once per record. These
	 * are the ordering thread's (the caller's), touched per record. */
	struct run **heap;
	size_t nheap, cap_heap;
	int main_queues;	    /* this thread queues records (no reader thread splits them) */
	struct hwt_pipe *pipe;	    /* the reader thread, NULL: none (decoders/pipeline.c) */
	size_t nwaiting;	    /* records waiting in all runs */
	struct item_block *retired; /* with a reader thread: free from the next batch on */
	uint64_t round_cur, round_prev; /* drain times of the last two rounds */
	uint64_t last_ts;		/* of the last record processed */
	int input_done;
	int err; /* the error decoding stopped at, returned once the events before it went out */

	/* The queueing side, written per record by whichever thread splits (the reader thread,
	 * with one): on cache lines of their own (the decoder is allocated on a line), for a line
	 * written by one thread and read by the other on every record costs both threads a miss
	 * each time (it made two threads 5x slower each). */
	struct run *cur HWT_DEC_LINE;	    /* the run records are appended to, NULL: start one */
	struct pipe_chunk *collect;	    /* the reader thread's: the chunk whose runs it makes */
	uint64_t q_round_cur, q_round_prev; /* rounds as the chunks queued so far tell them */
	struct item_block *block;	    /* where records are copied */
	uint64_t seq;

	/* Spares shared by both threads under hwt_pipe_lock(), taken once per segment or block. */
	struct run *spare_runs HWT_DEC_LINE;	      /* drained runs to reuse */
	struct run_seg *spare_segs, *spare_segs_tail; /* and their segments, a few */
	int nspare_segs;
	struct item_block *free_blocks; /* blocks to reuse */

	/* Counter reads of one round, summed over CPUs before they become events. */
	uint64_t read_ts;	   /* when the pending values are shown */
	uint64_t read_round;	   /* the round they were read in */
	uint64_t read_leader_desc; /* index + 1 of the leader's desc, 0 if none pending */
	double read_sum[MAX_GROUP];
	uint32_t read_names[MAX_GROUP];
	uint32_t read_units[MAX_GROUP]; /* string ids: "ns" for the clocks, else "count" */
	int read_n;
	uint32_t tracks[MAX_GROUP]; /* track id per group member position */

	/* Plugin streams and their decoders (read by the reader thread too). */
	struct source *sources HWT_DEC_LINE;
	uint32_t nsources;
	int sources_finished;

	/* Events ready to hand out, up to a batch of them (FILL_BATCH, decode.c). A sample's
	 * weights lie in the row of sample_weights of its place in out (a row as long as the
	 * model has weights): valid until the next batch is made, so samples go out in batches.
	 * Past WEIGHT_ROWS places a sample uses weights, which the next record may reuse: it goes
	 * out before that record is processed. */
	struct hwt_event *out;
	size_t nout, iout, cap_out;
	struct stack_cache_entry *stacks; /* STACK_CACHE_SIZE, allocated at the first sample */
	uint64_t weights[MAX_WEIGHTS];
	uint64_t sample_weights[WEIGHT_ROWS * MAX_WEIGHTS];
	struct hwt_effects *effects; /* the syscalls plugin's records, NULL until the first */
};

/** A decoder of one plugin stream. Hooks return >= 0 or a negative enum hwt_error. */
struct hwt_source_ops {
	const char *name; /* the stream's name, and the name of the plugin chunks it reads */
	/** 1: split touches its own splitting state and queues records (hwt_dec_queue*()), nothing
	 *  else (the model, the decoder, what record() uses), so the reader thread may run it. */
	int split_alone;
	void *(*create)(struct hwt_decoder *d, uint32_t id);
	void (*destroy)(void *st);
	/** A chunk its plugin wrote with hwt_host_write_chunk() (function tables...). */
	int (*chunk)(void *st, const void *data, size_t len);
	/** Bytes of the stream, in file order: split them into records and queue each with
	 *  hwt_dec_queue() (@item_ts is when the recorder drained them). */
	int (*split)(void *st, uint64_t item_ts, const uint8_t *data, size_t len);
	/** One queued record, in timestamp order with every other record of the recording. */
	int (*record)(void *st, uint64_t ts, const uint8_t *rec, size_t len);
	/** Optional: HWT_ITEM_INLINE records @it[0] to @it[@n - 1] of this stream, in a row, each
	 *  taken as record() would take it (with @it[i].inl, HWT_ITEM_INLINE_BYTES), stopping after
	 *  the one that brings the decoder's events ready to HWT_DEC_FILL_BATCH or fails (*@err
	 *  set to its negative enum hwt_error). Their events borrow no record's memory. Returns how
	 *  many records were taken (at least 1 when @n is): a call per record costs the ordering
	 *  thread more than the record's own work. */
	size_t (*records)(void *st, const struct item *it, size_t n, int *err);
	/** Thread @tid is gone (exit) or became another program (exec) at @ts. */
	int (*thread_end)(void *st, uint32_t pid, uint32_t tid, uint64_t ts);
	/** No more records: close what is open at @ts. */
	int (*finish)(void *st, uint64_t ts);
	/** Optional: a perf side-band record the perf decoder does not use itself (SWITCH,
	 *  SWITCH_CPU_WIDE, ITRACE_START, AUX), in timestamp order; @cpu is the ring's CPU. */
	int (*perf_record)(void *st, const struct perf_event_header *rec, int32_t cpu, uint64_t ts);
};

/* Events made before they are handed out at once by hwt_decoder_batch(): records are processed
 * until this many are ready, so a consumer's loop runs per batch, not per record. */
#define HWT_DEC_FILL_BATCH 256

struct source {
	uint32_t id;
	const struct hwt_source_ops *ops;
	void *st;
};

/** Built-in stream decoders, NULL-terminated. */
extern const struct hwt_source_ops *const hwt_source_decoders[];

/* The driver's services (decode.c). */
struct thread *hwt_dec_thread(struct hwt_decoder *d, uint32_t tid, int create);
/** Doubles the room for events to hand out. Returns 0 or HWT_E_NOMEM. */
int hwt_dec_out_grow(struct hwt_decoder *d);
/** A new event to hand out (zeroed but for the header); NULL when out of memory. The pointer is
 *  valid until the next call. Inline: the Intel PT decoder makes one per call and return. */
static inline struct hwt_event *hwt_dec_emit(struct hwt_decoder *d, enum hwt_event_type type,
					     uint32_t pid, uint32_t tid, uint64_t ts)
{
	if (d->nout == d->cap_out && hwt_dec_out_grow(d))
		return NULL;
	struct hwt_event *ev = &d->out[d->nout++];
	memset(ev, 0, sizeof(*ev)); /* the whole union too: callers set only their member */
	ev->type = type;
	ev->pid = pid;
	ev->tid = tid;
	ev->ts = ts;
	return ev;
}
/** Slice event @ev, a begin or an end of @frame on a thread whose innermost slice out is
 *  *@cur, gets its frame and stack node (hwt_model_slice_node()). 0 or HWT_E_NOMEM. */
static inline int hwt_dec_slice(struct hwt_decoder *d, uint32_t *cur, struct hwt_event *ev,
				uint32_t frame)
{
	int64_t node = hwt_model_slice_node(d->m, cur, ev->type, frame);

	if (node < 0)
		return (int)node;
	ev->slice.frame = frame;
	ev->slice.node = (uint32_t)node;
	return 0;
}
/** Announces thread @tid of @pid (and the process) unless done. */
void hwt_dec_announce(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts);
/** For a stream decoder meeting thread @tid of @pid at @ts: 0 when the thread is not of the
 *  recorded process tree (probes fire in any process running the file: its records are
 *  dropped), else 1 after announcing it, with *@ready set when it stays announced (then the
 *  decoder need not ask again while records of this thread follow). */
int hwt_dec_stream_thread(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts,
			  int *ready);
/** Queues a record of stream @source (copied) to come back in timestamp order. */
int hwt_dec_queue(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind, uint64_t id,
		  const void *data, size_t len);
/** Queues a record of @len bytes like hwt_dec_queue(), to be written at the pointer returned
 *  (8-byte aligned, valid until the record is processed): no copy. NULL when out of memory. */
void *hwt_dec_queue_alloc(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind,
			  uint64_t id, size_t len);
/** hwt_dec_queue_alloc() inline where it costs least, as streams of tiny records call it: the
 *  record goes on at the end of the run being made, in the block being filled. */
static inline void *hwt_dec_queue_next(struct hwt_decoder *d, uint64_t ts, int32_t cpu,
				       uint16_t kind, uint64_t id, size_t len)
{
	size_t need = sizeof(struct item_head) + ((len + 7) & ~(size_t)7);
	struct item_block *b = d->block;
	struct run *r = d->cur;

	if (!b || b->cap - b->used < need || !r || r->last->n == RUN_SEG_ITEMS ||
	    ts < r->last->items[r->last->n - 1].ts)
		return hwt_dec_queue_alloc(d, ts, cpu, kind, id, len);
	struct item *it = &r->last->items[r->last->n++];
	struct item_head *h = (void *)(b->data + b->used);
	*h = (struct item_head){ .id = id, .block = b };
	*it = (struct item){
		.ts = ts, .cpu = cpu, .kind = kind, .len = (uint32_t)len, .data = (uint8_t *)(h + 1)
	};
	d->seq++;
	r->n++;
	if (!d->collect)
		d->nwaiting++;
	b->used += need;
	b->refs++;
	return it->data;
}
/** Queues a record of stream @source like hwt_dec_queue_alloc(), of HWT_ITEM_INLINE_BYTES, in
 *  the queued item itself (HWT_ITEM_INLINE): the pointer returned (8-byte aligned, valid until
 *  the record is processed) is where to write it; the stream decoder's record hook gets it with
 *  its length HWT_ITEM_INLINE_BYTES. NULL when out of memory. */
void *hwt_dec_queue_inline_alloc(struct hwt_decoder *d, uint64_t ts, uint32_t source);
/** hwt_dec_queue_inline_alloc() inline where it costs least, like hwt_dec_queue_next(). */
static inline void *hwt_dec_queue_inline(struct hwt_decoder *d, uint64_t ts, uint32_t source)
{
	struct run *r = d->cur;

	if (!r || r->last->n == RUN_SEG_ITEMS || ts < r->last->items[r->last->n - 1].ts)
		return hwt_dec_queue_inline_alloc(d, ts, source);
	struct item *it = &r->last->items[r->last->n++];
	it->ts = ts;
	d->seq++;
	it->cpu = (int32_t)source;
	it->len = HWT_ITEM_INLINE_BYTES;
	it->kind = HWT_ITEM_INLINE;
	r->n++;
	if (!d->collect)
		d->nwaiting++;
	return it->inl;
}
/* A splitting loop's cursor over the free slots of the run being made, for streams of tiny
 * records queued one after the other (HWT_ITEM_INLINE): a record costs the writing of its item,
 * no count in the run or the decoder, which hwt_dec_inline_sync() brings up to date. */
struct hwt_dec_icur {
	struct item *at, *end; /* the free slots of the run's last segment; at == end: none */
	uint64_t last_ts;      /* of the run's last record */
	uint64_t seq;	       /* the next record's, while @at is set */
	uint32_t n;	       /* records put in since the run's counts were */
};

/** Counts the records cursor @c put in: before anything else queues or reads the run (another
 *  hwt_dec_queue*() call), and at the end of the splitting loop. */
static inline void hwt_dec_inline_sync(struct hwt_decoder *d, struct hwt_dec_icur *c)
{
	if (c->n) {
		struct run *r = d->cur;
		r->last->n += c->n;
		r->n += c->n;
		if (!d->collect)
			d->nwaiting += c->n;
		c->n = 0;
	}
	if (c->at)
		d->seq = c->seq;
	c->at = c->end = NULL;
}

/** hwt_dec_queue_inline() through cursor @c (zeroed to start; hwt_dec_inline_sync() before any
 *  other queueing and at the end). */
static inline void *hwt_dec_inline_next(struct hwt_decoder *d, struct hwt_dec_icur *c, uint64_t ts,
					uint32_t source)
{
	if (c->at == c->end || ts < c->last_ts) {
		hwt_dec_inline_sync(d, c);
		void *p = hwt_dec_queue_inline_alloc(d, ts, source);
		if (p) { /* it is the run's last record now: the cursor goes on after it */
			struct run_seg *s = d->cur->last;
			c->at = &s->items[s->n];
			c->end = &s->items[RUN_SEG_ITEMS];
			c->last_ts = ts;
			c->seq = d->seq;
		}
		return p;
	}
	struct item *it = c->at++;
	it->ts = ts;
	c->seq++;
	it->cpu = (int32_t)source;
	it->len = HWT_ITEM_INLINE_BYTES;
	it->kind = HWT_ITEM_INLINE;
	c->n++;
	c->last_ts = ts;
	return it->inl;
}
/** Hands a side-band record to every stream decoder that wants it. */
int hwt_dec_perf_record(struct hwt_decoder *d, const struct perf_event_header *rec, int32_t cpu,
			uint64_t ts);
/** Tells every stream decoder that @tid ended (exit or exec). */
int hwt_dec_thread_end(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts);

/* The reader thread (pipeline.c). */
struct hwt_pipe;
struct pipe_chunk;
void hwt_pipe_lock(struct hwt_pipe *p);
void hwt_pipe_unlock(struct hwt_pipe *p);
/** The reader thread keeps run @r (new, filled while its chunk is read) for main. 0 or
 *  HWT_E_NOMEM. */
int hwt_pipe_collect(struct pipe_chunk *c, struct run *r);
/** Starts the reader thread if @d is to decode in parallel (hwt_decoder_config.threads, the
 *  recording's size): returns 0 (started or not) or a negative enum hwt_error. */
int hwt_pipe_start(struct hwt_decoder *d);
/** The next chunk from the reader thread, taken in (hwt_dec_read_chunk()). */
int hwt_pipe_next(struct hwt_decoder *d);
/** Stops the reader thread and drops what it read ahead; NULL accepted. */
void hwt_pipe_stop(struct hwt_decoder *d);

/* Unwinding ahead (unwind_ahead.c). */
/** Whether records are taken out of the heap in batches whose samples unwind ahead. */
int hwt_dec_wants_ahead(struct hwt_decoder *d);
/** Starts unwinding the -g dwarf samples among @items, the next records in order. */
int hwt_dec_unwind_ahead(struct hwt_decoder *d, const struct item *items, size_t n);

/* The records waiting (runs.c). */
void hwt_dec_block_seal(struct hwt_decoder *d, struct item_block *b);
/** A record of @b was processed: a sealed block no record waits in any more is free for reuse
 *  (with a reader thread, from the next batch on: hwt_dec_unretire()). */
void hwt_dec_block_put(struct hwt_decoder *d, struct item_block *b);
/** The blocks retired while the last batch was made are free now. */
void hwt_dec_unretire(struct hwt_decoder *d);
/** Takes the first waiting record of all into @out (d->nheap > 0). */
void hwt_dec_pop(struct hwt_decoder *d, struct item *out);
/** The first waiting records of all, without taking them (d->nheap > 0): *@n records from the
 *  one returned on lie together in the first run, in order, with sequence numbers from *@seq on,
 *  and those of them before *@next (the first record of another run; UINT64_MAX, UINT64_MAX:
 *  none) come before every other record waiting. Valid until records are queued or taken. */
const struct item *hwt_dec_span(const struct hwt_decoder *d, struct hwt_dec_key *next,
				uint64_t *seq, size_t *n);
/** Takes the first @k records of the span hwt_dec_span() gave (processed in place). */
void hwt_dec_span_done(struct hwt_decoder *d, size_t k);
/** Takes run @r, handed over by the reader thread, into the heap. 0 or HWT_E_NOMEM. */
int hwt_dec_take_run(struct hwt_decoder *d, struct run *r);
/** Drops the records waiting in run @r and recycles it. */
void hwt_dec_drop_run(struct hwt_decoder *d, struct run *r);
/** Frees the spare runs and segments (closing). */
void hwt_dec_free_spares(struct hwt_decoder *d);

/* Chunks (chunk.c). */
/** The stream decoder of stream @id, NULL if none. */
struct source *hwt_dec_source(struct hwt_decoder *d, uint64_t id);
/** Splits the stream items of a HWT_CHUNK_STREAM and queues their records. */
int hwt_dec_read_stream(struct hwt_decoder *d, const uint8_t *p, size_t len);
/** What chunk @type of @len bytes at @data says, taken in. Returns >= 0 or an enum hwt_error. */
int hwt_dec_apply_chunk(struct hwt_decoder *d, uint32_t type, const void *data, size_t len);
/** Reads the next chunk (from the reader thread when there is one) and takes it in; sets
 *  d->input_done at the end. Returns >= 0 or a negative enum hwt_error. */
int hwt_dec_read_chunk(struct hwt_decoder *d);

/* Perf records (perf.c). */
const struct hwt_event_desc *hwt_perf_desc(struct hwt_decoder *d, uint64_t id);
int hwt_perf_declare_weights(struct hwt_decoder *d);
/** Record @rec (@size bytes) of the ring of @cpu, at its turn @ts. @hint: what
 *  hwt_perf_record_time() set when it was queued, 0 if it was not. */
int hwt_perf_record(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, int32_t cpu,
		    uint64_t ts, uint64_t hint);
int hwt_perf_read(struct hwt_decoder *d, uint64_t ts, uint64_t id, const uint8_t *data, size_t len);
int hwt_perf_flush_reads(struct hwt_decoder *d);
/** The time of record @rec (@size bytes), @fallback if it has none. *@hint is set to what
 *  hwt_perf_record() takes of it: for a sample that parsed whole, its event's index in d->descs
 *  plus one (events are only added, so it stays that event), else 0. */
uint64_t hwt_perf_record_time(struct hwt_decoder *d, const uint8_t *rec, uint32_t size,
			      uint64_t fallback, uint64_t *hint);

#endif

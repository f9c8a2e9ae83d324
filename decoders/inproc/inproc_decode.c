/* The inproc stream decoder: function tables to frames, entries and returns to exactly nested
 * slices on a shadow stack per thread. The runtime sees every return (its own shadow stack), so
 * a return closes the innermost open call of its function, and frames left without returning
 * (longjmp, exceptions: UNWOUND, or uprobe-traced frames whose return never came) end,
 * unfinished, when a frame below them returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"
#include "decoders/internal.h"

#define IP_MAX_ID (1u << 26)

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* An entry or a return: what the decoding takes from it. */
struct irec {
	uint32_t tid, pid;
	uint32_t id;
	uint32_t kind; /* UP_KIND_ENTRY or UP_KIND_RETURN, | IREC_UNWOUND */
};
#define IREC_UNWOUND (1u << 31) /* HWT_INPROC_FLAG_UNWOUND */

/* An entry or a return as queued for its turn, in the queue's item itself (HWT_ITEM_INLINE): the
 * thread by its index in the stream's table of threads (struct ipdec's @shared), so that the
 * item is 24 bytes, not 32: the ordering thread's cost per record is mostly reading it. A thread
 * past that table's room goes as a whole struct irec, in a block. */
struct icall {
	uint32_t id;
	uint32_t thread; /* index << 2 | ICALL_UNWOUND | the kind (UP_KIND_ENTRY, UP_KIND_RETURN) */
};
_Static_assert(sizeof(struct icall) == HWT_ITEM_INLINE_BYTES, "an icall fits in a queued item");
#define ICALL_UNWOUND 2u

/* The threads of the stream by index, in pages that never move once written: the splitting
 * (the reader thread) adds them, the decoding reads them, for the records of the chunks it was
 * handed (their threads were added before the chunk was). */
#define SHARED_PAGE  1024u /* threads a page */
#define SHARED_PAGES 4096u /* pages: the first 4 M threads go by index */

/* A loss as queued for its turn (rare: in a block, like any record). */
struct igap {
	uint32_t tid, pid;
	uint64_t lost; /* records of this thread lost here */
	uint64_t pad;  /* told apart from an irec and an icall by length */
};

struct iframe {
	uint32_t id, frame;
	uint64_t ts;
	int emitted;
	uint32_t node;			  /* its stack node (every call shown: fast()) */
	uint32_t child_frame, child_node; /* the last call made from it, and its node */
};

struct ithread {
	uint32_t tid, pid;
	struct iframe *stack;
	uint32_t depth, cap;
	uint32_t node; /* stack node of the innermost slice shown */
	int ready;     /* in the decoder's thread table and announced: both stay so */
	uint32_t root_frame, root_node; /* the last outermost call, and its node */
};

struct split_thread {
	uint32_t tid, pid;
};
_Static_assert(sizeof(struct icall) != sizeof(struct irec), "told apart by length");

/* Stack nodes met, by (parent node, frame): most calls repeat a call made before from the same
 * stack, and the model's table of every node is too large to stay in the cache. Exact: a node,
 * once made, never changes. */
#define NODE_CACHE 8192 /* entries, a power of two */
struct node_slot {
	uint32_t parent, frame, node; /* node 0: empty */
};

struct ipdec {
	struct hwt_decoder *d;
	uint32_t source;
	uint32_t *frames; /* function id -> frame id */
	uint32_t nframes;
	uint32_t mapping;

	/* Splitting's, on the reader thread when there is one: lines of their own. */
	struct split_thread *split HWT_DEC_LINE;
	uint32_t nsplit, cap_split;
	uint64_t prev_ts;
	/* Written when a thread is met, read per record by the decoding: a line of its own. */
	struct split_thread *shared[SHARED_PAGES] HWT_DEC_LINE;

	struct hwt_idmap map HWT_DEC_LINE; /* tid -> index into threads */
	struct ithread *threads;
	uint32_t nthreads, cap_threads;
	uint32_t max_depth;
	uint64_t min_dur;
	uint32_t last; /* index + 1 of the thread of the last record: runs of one thread's */
	struct node_slot nodes[NODE_CACHE];
};

/* ---- function tables ------------------------------------------------------------------- */

static int set_frame(struct ipdec *u, uint32_t id, uint32_t frame)
{
	if (id >= u->nframes) {
		uint32_t n = u->nframes ? u->nframes : 256;
		while (n <= id)
			n *= 2;
		uint32_t *nf = realloc(u->frames, n * sizeof(*nf));
		if (!nf)
			return HWT_E_NOMEM;
		memset(nf + u->nframes, 0, (n - u->nframes) * sizeof(*nf));
		u->frames = nf;
		u->nframes = n;
	}
	u->frames[id] = frame;
	return 0;
}

static int ip_func(const struct hwt_uprobe_func *fn, void *ctx)
{
	struct ipdec *u = ctx;
	struct hwt_model *m = u->d->m;
	char *name, *dm = NULL;
	int status = -1;

	if (fn->id >= IP_MAX_ID)
		return 0; /* a damaged entry: its function shows as unknown */
	if (!(name = strndup(fn->name, fn->name_len)))
		return HWT_E_NOMEM;
	if (!strncmp(name, "_Z", 2))
		dm = __cxa_demangle(name, NULL, NULL, &status);
	int64_t sid = hwt_model_intern_str(m, dm && !status ? dm : name);
	free(dm);
	free(name);
	if (sid < 0)
		return (int)sid;
	struct hwt_frame f = { .name = (uint32_t)sid, .mapping = u->mapping, .addr = fn->vaddr };
	int64_t fid = hwt_model_intern_frame(m, &f);
	return fid < 0 ? (int)fid : set_frame(u, fn->id, (uint32_t)fid);
}

static int ip_file(const char *path, size_t len, void *ctx)
{
	struct ipdec *u = ctx;
	struct hwt_model *m = u->d->m;
	int64_t sid = hwt_model_intern_mapped_path(m, path, len);
	struct hwt_mapping map = { .path = sid > 0 ? (uint32_t)sid : 0 };
	int64_t id = sid > 0 ? hwt_model_intern_mapping(m, &map) : sid;

	if (id < 0)
		return (int)id;
	u->mapping = (uint32_t)id;
	return 0;
}

static int ip_chunk(void *st, const void *data, size_t len)
{
	static const struct hwt_uprobe_table_reader rd = { .file = ip_file, .func = ip_func };
	int err = hwt_uprobe_table_read(data, len, &rd, st);

	return err == HWT_E_CORRUPT ? 0 : err;
}

/* ---- splitting the stream into records ------------------------------------------------- */

/* ip_split()'s loop, queueing through cursor @c, the stream's time in *@ts. */
static int split_records(struct ipdec *u, struct hwt_dec_icur *c, uint64_t *ts, const uint8_t *p,
			 const uint8_t *end)
{
	while (p < end) {
		struct hwt_uprobe_record in;

		if (hwt_uprobe_record_next(&p, end, &in))
			return 0; /* damaged: the rest of this item cannot be trusted */
		if (in.kind == UP_KIND_THREAD) {
			if (HWT_ARRAY_GROW(u->split, &u->cap_split, u->nsplit + 1))
				return HWT_E_NOMEM;
			struct split_thread st = { .tid = (uint32_t)in.a, .pid = (uint32_t)in.b };
			uint32_t i = u->nsplit++;
			u->split[i] = st;
			if (i < SHARED_PAGE * SHARED_PAGES) {
				struct split_thread **pg = &u->shared[i / SHARED_PAGE];
				if (!*pg && !(*pg = malloc(SHARED_PAGE * sizeof(**pg))))
					return HWT_E_NOMEM;
				(*pg)[i % SHARED_PAGE] = st;
			}
			continue;
		}
		if (in.a >= u->nsplit)
			return 0;
		struct split_thread *t = &u->split[in.a];
		if (in.kind == UP_KIND_GAP) {
			hwt_dec_inline_sync(u->d, c);
			struct igap *g = hwt_dec_queue_next(u->d, *ts, -1, HWT_ITEM_SOURCE,
							    u->source, sizeof(*g));
			if (!g)
				return HWT_E_NOMEM;
			*g = (struct igap){ .tid = t->tid, .pid = t->pid, .lost = in.b };
			continue;
		}
		*ts += in.b;
		uint32_t unwound = in.c & HWT_INPROC_FLAG_UNWOUND;
		if (in.a >= SHARED_PAGE * SHARED_PAGES) {
			hwt_dec_inline_sync(u->d, c);
			struct irec *r = hwt_dec_queue_next(u->d, *ts, -1, HWT_ITEM_SOURCE,
							    u->source, sizeof(*r));
			if (!r)
				return HWT_E_NOMEM;
			*r = (struct irec){ .tid = t->tid,
					    .pid = t->pid,
					    .id = in.id,
					    .kind = in.kind | (unwound ? IREC_UNWOUND : 0) };
			continue;
		}
		/* Written where it waits for its turn: no copy. */
		struct icall *r = hwt_dec_inline_next(u->d, c, *ts, u->source);
		if (!r)
			return HWT_E_NOMEM;
		*r = (struct icall){ .id = in.id,
				     .thread = (uint32_t)in.a << 2 | (unwound ? ICALL_UNWOUND : 0) |
					       in.kind };
	}
	return 0;
}

static int ip_split(void *st, uint64_t item_ts, const uint8_t *p, size_t len)
{
	struct ipdec *u = st;
	struct hwt_dec_icur c = { 0 };
	uint64_t ts = u->prev_ts;
	int err = split_records(u, &c, &ts, p, p + len);

	hwt_dec_inline_sync(u->d, &c);
	u->prev_ts = ts;
	return err;
}

/* ---- shadow stacks --------------------------------------------------------------------- */

static struct ithread *ithread(struct ipdec *u, uint32_t tid, uint32_t pid)
{
	int created = 0;

	if (HWT_ARRAY_GROW(u->threads, &u->cap_threads, u->nthreads + 1))
		return NULL;
	uint32_t *slot = hwt_idmap_put(&u->map, tid, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = u->nthreads;
		u->threads[u->nthreads++] = (struct ithread){ .tid = tid, .pid = pid };
	} else if (u->threads[*slot].pid != pid) {
		/* The id of a thread gone, in another process now. */
		struct ithread *t = &u->threads[*slot];
		t->pid = pid;
		t->depth = 0;
		t->node = 0;
	}
	return &u->threads[*slot];
}

static int emit_slice(struct ipdec *u, struct ithread *t, enum hwt_event_type type, uint32_t frame,
		      uint64_t ts, uint32_t flags)
{
	struct hwt_event *ev = hwt_dec_emit(u->d, type, t->pid, t->tid, ts);
	if (!ev)
		return HWT_E_NOMEM;
	ev->slice.flags = flags;
	return hwt_dec_slice(u->d, &t->node, ev, frame);
}

/* Every call shows (no --depth, no --min-duration): each frame's slice opens at its entry, so
 * the frames on a thread's stack are its open slices and their stack nodes are kept with them.
 * A call's node is then the node its caller last made the same call with, not a lookup in the
 * model's table, and a return's is the frame's own: the same nodes hwt_dec_slice() gives. */
static int fast(const struct ipdec *u)
{
	return !u->min_dur && !u->max_depth;
}

/* The stack node of @frame called from node @parent: hwt_model_intern_stack(), through the
 * cache. 0 or a negative enum hwt_error. */
static int child_node(struct ipdec *u, uint32_t parent, uint32_t frame, uint32_t *node)
{
	struct node_slot *s = &u->nodes[(parent * 2654435761u ^ frame * 40503u) & (NODE_CACHE - 1)];

	if (s->node && s->parent == parent && s->frame == frame) {
		*node = s->node;
		return 0;
	}
	int64_t id = hwt_model_intern_stack(u->d->m, parent, frame);
	if (id <= 0)
		return id < 0 ? (int)id : HWT_E_INVAL;
	*s = (struct node_slot){ .parent = parent, .frame = frame, .node = (uint32_t)id };
	*node = (uint32_t)id;
	return 0;
}

/* fast(): frame @f, just pushed on @t, opens its slice at its entry. */
static int fast_begin(struct ipdec *u, struct ithread *t, struct iframe *f)
{
	struct iframe *caller = t->depth > 1 ? f - 1 : NULL;
	uint32_t *cf = caller ? &caller->child_frame : &t->root_frame;
	uint32_t *cn = caller ? &caller->child_node : &t->root_node;

	if (*cf != f->frame || !*cn) {
		int err = child_node(u, t->node, f->frame, cn);
		if (err)
			return err;
		*cf = f->frame;
	}
	struct hwt_event *ev = hwt_dec_emit(u->d, HWT_EV_SLICE_BEGIN, t->pid, t->tid, f->ts);
	if (!ev)
		return HWT_E_NOMEM;
	ev->slice.flags = HWT_SLICE_PROBE_INPROC;
	ev->slice.frame = f->frame;
	ev->slice.node = f->node = t->node = *cn;
	f->emitted = 1;
	return 0;
}

/* fast(): the innermost frame of @t ends at @ts. */
static int fast_end(struct ipdec *u, struct ithread *t, uint64_t ts, uint32_t flags)
{
	struct iframe *f = &t->stack[t->depth - 1];
	struct hwt_event *ev =
		hwt_dec_emit(u->d, HWT_EV_SLICE_END, t->pid, t->tid, ts < f->ts ? f->ts : ts);

	if (!ev)
		return HWT_E_NOMEM;
	ev->slice.flags = flags;
	ev->slice.frame = f->frame;
	ev->slice.node = f->node;
	t->node = t->depth > 1 ? f[-1].node : 0;
	t->depth--;
	return 0;
}

/* Closes the innermost frame of @t at @ts. Slices shorter than --min-duration never show; a
 * longer one shows with every ancestor not shown yet (they are at least as long). */
static int pop(struct ipdec *u, struct ithread *t, uint64_t ts, uint32_t flags)
{
	struct iframe *f = &t->stack[t->depth - 1];
	int err = 0;

	if (fast(u))
		return fast_end(u, t, ts, flags);
	if (ts < f->ts)
		ts = f->ts;
	if (!f->emitted && ts - f->ts >= u->min_dur &&
	    (!u->max_depth || t->depth <= u->max_depth)) {
		uint32_t from = t->depth;
		while (from > 1 && !t->stack[from - 2].emitted)
			from--;
		for (uint32_t i = from - 1; i < t->depth && !err; i++) {
			if (u->max_depth && i >= u->max_depth)
				break;
			err = emit_slice(u, t, HWT_EV_SLICE_BEGIN, t->stack[i].frame,
					 t->stack[i].ts, HWT_SLICE_PROBE_INPROC);
			t->stack[i].emitted = 1;
		}
	}
	if (!err && f->emitted)
		err = emit_slice(u, t, HWT_EV_SLICE_END, f->frame, ts, flags);
	t->depth--;
	return err;
}

static uint32_t frame_of(struct ipdec *u, uint32_t id, int *err)
{
	uint32_t frame = id < u->nframes ? u->frames[id] : 0;
	if (frame)
		return frame;
	char name[32];
	snprintf(name, sizeof(name), "[function %u]", id);
	int64_t sid = hwt_model_intern_str(u->d->m, name);
	struct hwt_frame f = { .name = sid > 0 ? (uint32_t)sid : 0, .kind = HWT_FRAME_UNKNOWN };
	int64_t fid = sid > 0 ? hwt_model_intern_frame(u->d->m, &f) : sid;
	if (fid < 0) {
		*err = (int)fid;
		return 0;
	}
	if (id < IP_MAX_ID)
		*err = set_frame(u, id, (uint32_t)fid);
	return (uint32_t)fid;
}

static int push(struct ipdec *u, struct ithread *t, const struct irec *r, uint64_t ts)
{
	int err = 0;

	if (HWT_ARRAY_GROW(t->stack, &t->cap, t->depth + 1))
		return HWT_E_NOMEM;
	uint32_t frame = frame_of(u, r->id, &err);
	if (err)
		return err;
	struct iframe *f = &t->stack[t->depth++];
	*f = (struct iframe){ .id = r->id, .frame = frame, .ts = ts };
	if (fast(u))
		return fast_begin(u, t, f);
	if (!u->min_dur && (!u->max_depth || t->depth <= u->max_depth)) {
		f->emitted = 1;
		/* Recorded by the patched entry: inproc.call_ns for --compensate. */
		return emit_slice(u, t, HWT_EV_SLICE_BEGIN, frame, ts, HWT_SLICE_PROBE_INPROC);
	}
	return 0;
}

static inline __attribute__((always_inline)) int record_one(struct ipdec *u, uint64_t ts,
							    const uint8_t *data, size_t len)
{
	struct irec r;
	uint64_t lost = 0;
	int err = 0;

	if (len == sizeof(struct icall)) {
		struct icall c;
		memcpy(&c, data, sizeof(c));
		uint32_t i = c.thread >> 2;
		const struct split_thread *st = &u->shared[i / SHARED_PAGE][i % SHARED_PAGE];
		r = (struct irec){ .tid = st->tid,
				   .pid = st->pid,
				   .id = c.id,
				   .kind = (c.thread & 1) |
					   (c.thread & ICALL_UNWOUND ? IREC_UNWOUND : 0) };
	} else if (len == sizeof(r)) {
		memcpy(&r, data, sizeof(r));
	} else if (len == sizeof(struct igap)) {
		struct igap g;
		memcpy(&g, data, sizeof(g));
		r = (struct irec){ .tid = g.tid, .pid = g.pid, .kind = UP_KIND_GAP };
		lost = g.lost;
	} else {
		return 0;
	}
	struct ithread *t = u->last ? &u->threads[u->last - 1] : NULL;
	if (!t || t->tid != r.tid || t->pid != r.pid || !t->ready) {
		int ready;
		if (!hwt_dec_stream_thread(u->d, r.pid, r.tid, ts, &ready))
			return 0;
		t = ithread(u, r.tid, r.pid);
		if (!t)
			return HWT_E_NOMEM;
		t->ready = ready;
		u->last = (uint32_t)(t - u->threads) + 1;
	}
	uint32_t kind = r.kind & ~IREC_UNWOUND;
	if (kind == UP_KIND_GAP) {
		struct hwt_event *ev = hwt_dec_emit(u->d, HWT_EV_LOST, r.pid, r.tid, ts);
		if (!ev)
			return HWT_E_NOMEM;
		ev->lost.count = lost;
		return 0;
	}
	if (kind == UP_KIND_ENTRY)
		return push(u, t, &r, ts);
	/* A return closes the innermost open call of its function; calls above it have ended
	 * without a return seen. None open: its entry was lost (or made before a fork). */
	uint32_t k = t->depth;
	while (k && t->stack[k - 1].id != r.id)
		k--;
	if (!k)
		return 0;
	while (!err && t->depth > k)
		err = pop(u, t, ts, HWT_SLICE_UNFINISHED);
	if (!err)
		err = pop(u, t, ts, r.kind & IREC_UNWOUND ? HWT_SLICE_UNFINISHED : 0);
	return err;
}

static int ip_record(void *st, uint64_t ts, const uint8_t *data, size_t len)
{
	return record_one(st, ts, data, len);
}

static size_t ip_records(void *st, const struct item *it, size_t n, int *err)
{
	struct ipdec *u = st;

	for (size_t i = 0; i < n; i++) {
		int e = record_one(u, it[i].ts, it[i].inl, HWT_ITEM_INLINE_BYTES);
		if (e < 0 || u->d->nout >= HWT_DEC_FILL_BATCH) {
			*err = e < 0 ? e : 0;
			return i + 1;
		}
	}
	return n;
}

static int close_all(struct ipdec *u, struct ithread *t, uint64_t ts)
{
	int err = 0;
	while (!err && t->depth)
		err = pop(u, t, ts, HWT_SLICE_UNFINISHED);
	return err;
}

static int ip_thread_end(void *st, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct ipdec *u = st;
	uint32_t *slot = hwt_idmap_find(&u->map, tid);
	return slot ? close_all(u, &u->threads[*slot], ts) : 0;
}

static int ip_finish(void *st, uint64_t ts)
{
	struct ipdec *u = st;
	int err = 0;
	for (uint32_t i = 0; i < u->nthreads && !err; i++)
		err = close_all(u, &u->threads[i], ts);
	return err;
}

/* ---- life ------------------------------------------------------------------------------ */

static void *ip_create(struct hwt_decoder *d, uint32_t id)
{
	struct ipdec *u = hwt_dec_zalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->d = d;
	u->source = id;
	const char *v = hwt_model_meta(d->m, "inproc.depth");
	u->max_depth = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
	v = hwt_model_meta(d->m, "inproc.min_duration_ns");
	u->min_dur = v ? strtoull(v, NULL, 10) : 0;
	return u;
}

static void ip_destroy(void *st)
{
	struct ipdec *u = st;
	if (!u)
		return;
	for (uint32_t i = 0; i < u->nthreads; i++)
		free(u->threads[i].stack);
	free(u->threads);
	hwt_idmap_fini(&u->map);
	free(u->split);
	for (uint32_t i = 0; i < SHARED_PAGES && u->shared[i]; i++)
		free(u->shared[i]);
	free(u->frames);
	free(u);
}

const struct hwt_source_ops hwt_inproc_source = {
	.name = HWT_INPROC_SOURCE,
	.split_alone = 1,
	.create = ip_create,
	.destroy = ip_destroy,
	.chunk = ip_chunk,
	.split = ip_split,
	.record = ip_record,
	.records = ip_records,
	.thread_end = ip_thread_end,
	.finish = ip_finish,
};

/* The uprobe stream decoder: function tables to frames, entries and returns to exactly nested
 * slices on a shadow stack per thread. Stack pointers keep the nesting right where returns are
 * missing (longjmp, exceptions, lost records): a frame whose stack slot is reused, or that the
 * stack pointer has moved above, has returned whether or not its return was seen; but an entry
 * the recorder marked as a tail call (UP_GAP_TAIL) nests in the open call at its stack slot, and
 * the returns the kernel delivers for both close them one after the other. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/elffuncs.h"
#include "core/util.h"
#include "hwtrace/error.h"
#include "core/format/uprobe_format.h"
#include "decoders/internal.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

/* A record as queued for its turn. */
struct urec {
	uint32_t kind; /* UP_KIND_ENTRY, UP_KIND_RETURN, or UP_KIND_GAP */
	uint32_t id;
	uint32_t tid, pid;
	uint64_t sp;
	uint64_t lost; /* UP_KIND_GAP: records of this thread lost here */
	int tail;      /* UP_KIND_ENTRY: a tail call from the frame at the same sp */
};

struct uframe {
	uint32_t id, frame;
	uint64_t sp, ts;
	int emitted;
	uint8_t tail;	 /* entered by a tail call from the frame below (same sp) */
	uint8_t pending; /* what it tail-called has returned: so has it, at end_ts */
	uint64_t end_ts;
};

struct uthread {
	uint32_t tid, pid;
	struct uframe *stack;
	uint32_t depth, cap;
	uint32_t node; /* stack node of the innermost slice shown (hwt_model_slice_node) */
	int ready;     /* in the decoder's thread table and announced: both stay so */
};

struct split_thread { /* decoding state of the stream, per thread index */
	uint32_t tid, pid;
	uint64_t sp;
	int tail; /* the next entry is a tail call */
};

struct updec {
	struct hwt_decoder *d;
	uint32_t source;
	uint32_t *frames; /* function id -> frame id */
	uint8_t *slow;	  /* function id -> its probes are single-stepped (slower) */
	uint32_t nframes;
	uint32_t mapping; /* of the file the table being read describes */

	/* Splitting's, on the reader thread when there is one: lines of their own. */
	struct split_thread *split HWT_DEC_LINE;
	uint32_t nsplit, cap_split;
	uint64_t prev_ts;

	struct hwt_idmap map HWT_DEC_LINE; /* tid -> index into threads */
	struct uthread *threads;
	uint32_t nthreads, cap_threads;
	uint32_t max_depth; /* emit slices this deep at most (0: all) */
	uint64_t min_dur;   /* emit slices this long at least */
	uint32_t last;	    /* index + 1 of the thread of the last record: runs of one thread's */
};

/* ---- function tables ------------------------------------------------------------------- */

static int set_frame(struct updec *u, uint32_t id, uint32_t frame, int slow)
{
	if (id >= u->nframes) {
		uint32_t n = u->nframes ? u->nframes : 256;
		while (n <= id)
			n *= 2;
		uint32_t *nf = realloc(u->frames, n * sizeof(*nf));
		if (nf)
			u->frames = nf;
		uint8_t *ns = nf ? realloc(u->slow, n) : NULL;
		if (!ns)
			return HWT_E_NOMEM;
		memset(nf + u->nframes, 0, (n - u->nframes) * sizeof(*nf));
		memset(ns + u->nframes, 0, n - u->nframes);
		u->slow = ns;
		u->nframes = n;
	}
	u->frames[id] = frame;
	u->slow[id] = slow != 0;
	return 0;
}

/* The probe flags of a begin of function @id (enum hwt_slice_flags): what recording it cost. */
static uint32_t probe_flags(const struct updec *u, uint32_t id)
{
	return id < u->nframes && u->slow[id] ? HWT_SLICE_PROBE_UPROBE_SLOW
					      : HWT_SLICE_PROBE_UPROBE;
}

/* One function of a table: its frame, named (demangled) and in the table's file. */
static int up_func(const struct hwt_uprobe_func *fn, void *ctx)
{
	struct updec *u = ctx;
	struct hwt_model *m = u->d->m;
	char *name = strndup(fn->name, fn->name_len), *dm = NULL;
	int status = -1, err;
	int64_t sid, fid;

	if (!name)
		return HWT_E_NOMEM;
	if (fn->id > (1u << 24)) {
		free(name);
		return 0; /* a damaged entry: its function shows as unknown */
	}
	if (!strncmp(name, "_Z", 2))
		dm = __cxa_demangle(name, NULL, NULL, &status);
	sid = hwt_model_intern_str(m, dm && !status ? dm : name);
	free(dm);
	free(name);
	if (sid < 0)
		return (int)sid;
	struct hwt_frame f = { .name = (uint32_t)sid, .mapping = u->mapping, .addr = fn->vaddr };
	fid = hwt_model_intern_frame(m, &f);
	err = fid < 0 ? (int)fid
		      : set_frame(u, fn->id, (uint32_t)fid,
				  fn->flags & (HWT_FUNC_SLOW | HWT_UPROBE_FUNC_RET_STEPPED));
	return err;
}

/* The file of a table: the mapping its functions' frames are in. */
static int up_file(const char *path, size_t len, void *ctx)
{
	struct updec *u = ctx;
	struct hwt_model *m = u->d->m;
	int64_t sid = hwt_model_intern_mapped_path(m, path, len);
	struct hwt_mapping map = { .path = sid > 0 ? (uint32_t)sid : 0 };
	int64_t id = sid > 0 ? hwt_model_intern_mapping(m, &map) : sid;

	if (id < 0)
		return (int)id;
	u->mapping = (uint32_t)id;
	return 0;
}

static int up_chunk(void *st, const void *data, size_t len)
{
	static const struct hwt_uprobe_table_reader rd = { .file = up_file, .func = up_func };
	int err = hwt_uprobe_table_read(data, len, &rd, st);

	/* A damaged table keeps the functions read before it; the rest show as unknown. */
	return err == HWT_E_CORRUPT ? 0 : err;
}

/* ---- splitting the stream into records ------------------------------------------------- */

static int up_split(void *st, uint64_t item_ts, const uint8_t *p, size_t len)
{
	struct updec *u = st;
	const uint8_t *end = p + len;

	while (p < end) {
		struct hwt_uprobe_record in;

		if (hwt_uprobe_record_next(&p, end, &in))
			return 0; /* damaged: the rest of this item cannot be trusted */
		if (in.kind == UP_KIND_THREAD) {
			if (HWT_ARRAY_GROW(u->split, &u->cap_split, u->nsplit + 1))
				return HWT_E_NOMEM;
			u->split[u->nsplit++] = (struct split_thread){ .tid = (uint32_t)in.a,
								       .pid = (uint32_t)in.b };
			continue;
		}
		if (in.a >= u->nsplit)
			return 0;
		struct split_thread *t = &u->split[in.a];
		struct urec r = { .kind = in.kind, .tid = t->tid, .pid = t->pid };
		if (in.kind == UP_KIND_GAP && in.id == UP_GAP_TAIL) {
			t->tail = 1;
			continue;
		}
		if (in.kind == UP_KIND_GAP) {
			/* The loss shows at the last time known before the thread's next record. */
			r.lost = in.b;
		} else {
			u->prev_ts += in.b;
			t->sp += (uint64_t)in.c;
			r.id = in.id;
			r.sp = t->sp;
			r.tail = t->tail && in.kind == UP_KIND_ENTRY;
			t->tail = 0;
		}
		struct urec *to = hwt_dec_queue_next(u->d, u->prev_ts, -1, HWT_ITEM_SOURCE,
						     u->source, sizeof(r));
		if (!to)
			return HWT_E_NOMEM;
		*to = r;
	}
	return 0;
}

/* ---- shadow stacks --------------------------------------------------------------------- */

static struct uthread *uthread(struct updec *u, uint32_t tid, uint32_t pid)
{
	int created = 0;
	uint32_t *slot;

	/* Room first, so that the map never holds a thread the array lacks. */
	if (HWT_ARRAY_GROW(u->threads, &u->cap_threads, u->nthreads + 1))
		return NULL;
	slot = hwt_idmap_put(&u->map, tid, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = u->nthreads;
		u->threads[u->nthreads++] = (struct uthread){ .tid = tid, .pid = pid };
	}
	return &u->threads[*slot];
}

static int emit_slice(struct updec *u, struct uthread *t, enum hwt_event_type type, uint32_t frame,
		      uint64_t ts, uint32_t flags)
{
	struct hwt_event *ev = hwt_dec_emit(u->d, type, t->pid, t->tid, ts);
	if (!ev)
		return HWT_E_NOMEM;
	ev->slice.flags = flags;
	return hwt_dec_slice(u->d, &t->node, ev, frame);
}

/* Closes the innermost frame of @t at @ts. Slices shorter than --min-duration never show; a
 * longer one shows with every ancestor not shown yet (they are at least as long). */
static int pop(struct updec *u, struct uthread *t, uint64_t ts, uint32_t flags)
{
	struct uframe *f = &t->stack[t->depth - 1];
	int err = 0;

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
					 t->stack[i].ts, probe_flags(u, t->stack[i].id));
			t->stack[i].emitted = 1;
		}
	}
	if (!err && f->emitted)
		err = emit_slice(u, t, HWT_EV_SLICE_END, f->frame, ts, flags);
	t->depth--;
	/* The call that jumped to this one returns with it. */
	if (f->tail && !flags && t->depth && t->stack[t->depth - 1].sp == f->sp) {
		t->stack[t->depth - 1].pending = 1;
		t->stack[t->depth - 1].end_ts = ts;
	}
	return err;
}

/* Closes the calls whose tail-called callee returned (pending), unless @r (may be NULL) is the
 * return of the innermost: under uretprobes the kernel delivers each caller's return right after
 * its callee's; returns caught at ret instructions come only for the callee. */
static int settle(struct updec *u, struct uthread *t, const struct urec *r)
{
	int err = 0;

	while (!err && t->depth && t->stack[t->depth - 1].pending) {
		struct uframe *f = &t->stack[t->depth - 1];
		if (r && r->kind == UP_KIND_RETURN && r->sp - 8 == f->sp)
			break;
		err = pop(u, t, f->end_ts, 0);
	}
	return err;
}

static int push(struct updec *u, struct uthread *t, const struct urec *r, uint64_t ts)
{
	if (HWT_ARRAY_GROW(t->stack, &t->cap, t->depth + 1))
		return HWT_E_NOMEM;
	uint32_t frame = r->id < u->nframes ? u->frames[r->id] : 0;
	if (!frame) {
		char name[32];
		snprintf(name, sizeof(name), "[function %u]", r->id);
		int64_t sid = hwt_model_intern_str(u->d->m, name);
		struct hwt_frame f = { .name = sid > 0 ? (uint32_t)sid : 0,
				       .kind = HWT_FRAME_UNKNOWN };
		int64_t fid = sid > 0 ? hwt_model_intern_frame(u->d->m, &f) : sid;
		if (fid < 0)
			return (int)fid;
		frame = (uint32_t)fid;
	}
	int tail = r->tail && t->depth && t->stack[t->depth - 1].sp == r->sp;
	struct uframe *f = &t->stack[t->depth++];
	*f = (struct uframe){ .id = r->id, .frame = frame, .sp = r->sp, .ts = ts, .tail = tail };
	/* Without a duration filter a slice shows when it starts. */
	if (!u->min_dur && (!u->max_depth || t->depth <= u->max_depth)) {
		f->emitted = 1;
		return emit_slice(u, t, HWT_EV_SLICE_BEGIN, frame, ts, probe_flags(u, r->id));
	}
	return 0;
}

static int up_record(void *st, uint64_t ts, const uint8_t *data, size_t len)
{
	struct updec *u = st;
	struct urec r;
	int err = 0;

	if (len != sizeof(r))
		return 0;
	memcpy(&r, data, sizeof(r));
	struct uthread *t = u->last ? &u->threads[u->last - 1] : NULL;
	if (!t || t->tid != r.tid || t->pid != r.pid || !t->ready) {
		int ready;
		if (!hwt_dec_stream_thread(u->d, r.pid, r.tid, ts, &ready))
			return 0;
		t = uthread(u, r.tid, r.pid);
		if (!t)
			return HWT_E_NOMEM;
		t->ready = ready;
		u->last = (uint32_t)(t - u->threads) + 1;
	}
	err = settle(u, t, &r);
	if (err)
		return err;
	if (r.kind == UP_KIND_GAP) {
		struct hwt_event *ev = hwt_dec_emit(u->d, HWT_EV_LOST, r.pid, r.tid, ts);
		if (!ev)
			return HWT_E_NOMEM;
		ev->lost.count = r.lost;
		return 0;
	}
	if (r.kind == UP_KIND_ENTRY) {
		/* Frames below this stack slot have returned, seen or not; the one at it too,
		 * unless it jumped here (a tail call). */
		while (!err && t->depth &&
		       (t->stack[t->depth - 1].sp < r.sp ||
			(t->stack[t->depth - 1].sp == r.sp && !r.tail)))
			err = pop(u, t, ts, HWT_SLICE_UNFINISHED);
		return err ? err : push(u, t, &r, ts);
	}
	uint64_t entry_sp = r.sp - 8;
	while (!err && t->depth && t->stack[t->depth - 1].sp < entry_sp)
		err = pop(u, t, ts, HWT_SLICE_UNFINISHED);
	if (!err && t->depth && t->stack[t->depth - 1].sp == entry_sp)
		err = pop(u, t, ts, 0);
	return err; /* else a return whose entry was lost: nothing to close */
}

static int close_all(struct updec *u, struct uthread *t, uint64_t ts)
{
	int err = settle(u, t, NULL);
	while (!err && t->depth)
		err = pop(u, t, ts, HWT_SLICE_UNFINISHED);
	return err;
}

static int up_thread_end(void *st, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct updec *u = st;
	uint32_t *slot = hwt_idmap_find(&u->map, tid);
	return slot ? close_all(u, &u->threads[*slot], ts) : 0;
}

static int up_finish(void *st, uint64_t ts)
{
	struct updec *u = st;
	int err = 0;
	for (uint32_t i = 0; i < u->nthreads && !err; i++)
		err = close_all(u, &u->threads[i], ts);
	return err;
}

/* ---- life ------------------------------------------------------------------------------ */

static void *up_create(struct hwt_decoder *d, uint32_t id)
{
	struct updec *u = hwt_dec_zalloc(sizeof(*u));
	if (!u)
		return NULL;
	u->d = d;
	u->source = id;
	const char *v = hwt_model_meta(d->m, "uprobe.depth");
	u->max_depth = v ? (uint32_t)strtoul(v, NULL, 10) : 0;
	v = hwt_model_meta(d->m, "uprobe.min_duration_ns");
	u->min_dur = v ? strtoull(v, NULL, 10) : 0;
	return u;
}

static void up_destroy(void *st)
{
	struct updec *u = st;
	if (!u)
		return;
	for (uint32_t i = 0; i < u->nthreads; i++)
		free(u->threads[i].stack);
	free(u->threads);
	hwt_idmap_fini(&u->map);
	free(u->split);
	free(u->frames);
	free(u->slow);
	free(u);
}

const struct hwt_source_ops hwt_uprobe_source = {
	.name = "uprobe",
	.split_alone = 1,
	.create = up_create,
	.destroy = up_destroy,
	.chunk = up_chunk,
	.split = up_split,
	.record = up_record,
	.thread_end = up_thread_end,
	.finish = up_finish,
};

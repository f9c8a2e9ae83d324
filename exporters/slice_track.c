/* The exporters' one shadow stack: threads by (pid, tid) and the slices open on each. */
#include <stdlib.h>
#include <string.h>

#include "compensate.h"
#include "core/util.h"
#include "hwtrace/error.h"
#include "slice_track.h"
#include "value_walk.h"

struct hwt_slice_track {
	const struct hwt_slice_track_ops *ops;
	void *ctx;
	size_t extra;
	struct hwt_track_thread **threads; /* owned, each with its consumer data */
	uint32_t nthreads, capthreads;
	struct hwt_idmap index; /* (pid << 32 | tid) -> index in threads */
	uint64_t last_key;
	struct hwt_track_thread *last; /* the thread of the last look-up */
	uint64_t stray_ends;
	int compensate;
	struct hwt_probe_costs costs;
};

struct hwt_slice_track *hwt_slice_track_alloc(const struct hwt_slice_track_ops *ops, void *ctx,
					      size_t extra)
{
	struct hwt_slice_track *tr = calloc(1, sizeof(*tr));

	if (!tr)
		return NULL;
	tr->ops = ops;
	tr->ctx = ctx;
	tr->extra = (extra + 7) & ~(size_t)7;
	return tr;
}

void hwt_slice_track_free(struct hwt_slice_track *tr)
{
	if (!tr)
		return;
	for (uint32_t i = 0; i < tr->nthreads; i++) {
		free(tr->threads[i]->open);
		free(tr->threads[i]->args);
		free(tr->threads[i]);
	}
	free(tr->threads);
	hwt_idmap_fini(&tr->index);
	free(tr);
}

struct hwt_track_thread *hwt_slice_track_thread(struct hwt_slice_track *tr, uint32_t pid,
						uint32_t tid, int create)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct hwt_track_thread *t;
	uint32_t *slot;
	int created;

	if (tr->last && tr->last_key == key)
		return tr->last;
	if (!create) {
		slot = hwt_idmap_find(&tr->index, key);
		if (!slot)
			return NULL;
	} else {
		/* Room first, so that the index never holds a thread the array lacks. */
		if (HWT_ARRAY_GROW(tr->threads, &tr->capthreads, tr->nthreads + 1))
			return NULL;
		slot = hwt_idmap_put(&tr->index, key, &created);
		if (!slot)
			return NULL;
		if (created) {
			t = calloc(1, sizeof(*t) + tr->extra);
			if (!t) {
				/* Never seen again: a key whose thread is missing would be. */
				*slot = UINT32_MAX;
				return NULL;
			}
			t->pid = pid;
			t->tid = tid;
			*slot = tr->nthreads;
			tr->threads[tr->nthreads++] = t;
		}
	}
	if (*slot >= tr->nthreads)
		return NULL;
	tr->last = tr->threads[*slot];
	tr->last_key = key;
	return tr->last;
}

/* hwt_slice_track_thread() with its common case, the thread of the last look-up, inline. */
static inline struct hwt_track_thread *track_thread(struct hwt_slice_track *tr, uint32_t pid,
						    uint32_t tid, int create)
{
	if (tr->last && tr->last_key == ((uint64_t)pid << 32 | tid))
		return tr->last;
	return hwt_slice_track_thread(tr, pid, tid, create);
}

uint32_t hwt_slice_track_nthreads(const struct hwt_slice_track *tr)
{
	return tr->nthreads;
}

struct hwt_track_thread *hwt_slice_track_at(const struct hwt_slice_track *tr, uint32_t i)
{
	return i < tr->nthreads ? tr->threads[i] : NULL;
}

uint64_t hwt_slice_track_stray_ends(const struct hwt_slice_track *tr)
{
	return tr->stray_ends;
}

void hwt_slice_track_compensate(struct hwt_slice_track *tr, const struct hwt_probe_costs *c)
{
	tr->compensate = c != NULL;
	if (c)
		tr->costs = *c;
}

void hwt_slice_track_probe_time(const struct hwt_slice_track *tr, uint64_t *probe_ns,
				uint64_t *traced_ns, uint64_t *excess_ns)
{
	uint64_t excess = 0;

	*probe_ns = *traced_ns = 0;
	for (uint32_t i = 0; i < tr->nthreads; i++) {
		*probe_ns += tr->threads[i]->probe_ns;
		*traced_ns += tr->threads[i]->traced_ns;
		excess += tr->threads[i]->excess_ns;
	}
	if (excess_ns)
		*excess_ns = excess;
}

/* @ts of @t less the probe time before it, never before the thread's previous time.
 *
 * Where the probe time counted since that time is more than the time that passed, the probes
 * cost less there than the cost measured at the start of the recording (a trap's cost moves with
 * the host's load). The excess is not taken out: carried on, it would be taken from whatever ran
 * next, a call with no probe in it losing time it never spent in one (t_compensate's work_b lost
 * 2.3x its own probes' cost on a loaded host). So a call never loses more than its own probes'
 * part inside it and its callees' probes. */
static uint64_t comp_ts(struct hwt_track_thread *t, uint64_t ts)
{
	uint64_t v = ts > t->probe_ns ? ts - t->probe_ns : 0;

	if (v < t->comp_last) {
		uint64_t passed = ts > t->comp_last ? ts - t->comp_last : 0;

		t->excess_ns += t->probe_ns - passed;
		t->probe_ns = passed;
		v = t->comp_last;
	}
	return t->comp_last = v;
}

/* The probe time of a call whose begin had @flags: before its begin (@entry) or from its end. */
static uint64_t probe_outside(const struct hwt_slice_track *tr, uint32_t flags, int entry)
{
	const struct hwt_probe_cost *c = hwt_probe_cost_of(&tr->costs, flags);
	uint64_t out = c->call_ns - c->in_ns;

	return entry ? out / 2 : out - out / 2;
}

/* The probe time of such a call after its begin (@entry) or up to its end. */
static uint64_t probe_inside(const struct hwt_slice_track *tr, uint32_t flags, int entry)
{
	const struct hwt_probe_cost *c = hwt_probe_cost_of(&tr->costs, flags);

	return entry ? c->in_ns / 2 : c->in_ns - c->in_ns / 2;
}

/* Ends the innermost slice of @t at @ts; forced inline, as every end goes through it. */
static inline __attribute__((always_inline)) int
slice_end(struct hwt_slice_track *tr, struct hwt_track_thread *t, uint64_t ts, uint32_t flags)
{
	struct hwt_open_slice *s = &t->open[t->nopen - 1];
	uint64_t dur;
	int rc;

	if (tr->compensate) {
		if (t->nopen == 1 && ts > t->outer_begin)
			t->traced_ns += ts - t->outer_begin;
		t->probe_ns += probe_inside(tr, s->probe, 0);
		ts = comp_ts(t, ts);
	}
	if (ts < s->begin)
		ts = s->begin;
	dur = ts - s->begin;
	rc = tr->ops->end(tr->ctx, t, s, ts, flags);
	if (tr->compensate)
		t->probe_ns += probe_outside(tr, s->probe, 0);
	t->nargs = s->args_at;
	t->nopen--;
	if (t->nopen)
		t->open[t->nopen - 1].child += dur;
	return rc;
}

int hwt_slice_track_close(struct hwt_slice_track *tr, struct hwt_track_thread *t, uint64_t ts)
{
	int rc;

	while (t->nopen)
		if ((rc = slice_end(tr, t, ts, HWT_SLICE_UNFINISHED)) < 0)
			return rc;
	return 0;
}

int hwt_slice_track_finish(struct hwt_slice_track *tr)
{
	int rc;

	for (uint32_t i = 0; i < tr->nthreads; i++)
		if ((rc = hwt_slice_track_close(tr, tr->threads[i], tr->threads[i]->last_ts)) < 0)
			return rc;
	return 0;
}

static int slice_begin(struct hwt_slice_track *tr, const struct hwt_event *ev)
{
	struct hwt_track_thread *t = track_thread(tr, ev->pid, ev->tid, 1);
	struct hwt_open_slice *s;
	uint32_t probe = ev->slice.flags & HWT_SLICE_PROBE_MASK;
	uint64_t begin = ev->ts;

	if (!t || HWT_ARRAY_GROW(t->open, &t->capopen, t->nopen + 1))
		return HWT_E_NOMEM;
	t->last_ts = ev->ts;
	if (tr->compensate) {
		if (!t->nopen)
			t->outer_begin = begin;
		t->probe_ns += probe_outside(tr, probe, 1);
		begin = comp_ts(t, begin);
		t->probe_ns += probe_inside(tr, probe, 1);
	}
	s = &t->open[t->nopen++];
	*s = (struct hwt_open_slice){ .frame = ev->slice.frame,
				      .node = ev->slice.node,
				      .begin = begin,
				      .args_at = t->nargs,
				      .probe = probe };
	return tr->ops->begin ? tr->ops->begin(tr->ctx, t, s) : 0;
}

/* Keeps the arguments of @ev for the innermost open slice of @t, if any. */
static int args_add(struct hwt_track_thread *t, const struct hwt_event *ev)
{
	uint32_t len = ev->args.len;

	if (!t->nopen || !len || !ev->args.args)
		return 0;
	if (HWT_ARRAY_GROW(t->args, &t->capargs, t->nargs + sizeof(len) + len))
		return HWT_E_NOMEM;
	memcpy(t->args + t->nargs, &len, sizeof(len));
	memcpy(t->args + t->nargs + sizeof(len), ev->args.args, len);
	t->nargs += sizeof(len) + len;
	return 0;
}

int hwt_slice_args_walk(const struct hwt_track_thread *t, const struct hwt_open_slice *s,
			const struct hwt_value_walk_ops *ops, void *ctx, uint32_t *index)
{
	size_t at = s->args_at;
	int rc;

	while (at + sizeof(uint32_t) <= t->nargs) {
		uint32_t len;

		memcpy(&len, t->args + at, sizeof(len));
		at += sizeof(len);
		if ((rc = hwt_value_walk_args(t->args + at, len, ops, ctx, index)) < 0)
			return rc;
		at += len;
	}
	return 0;
}

int hwt_slice_args_any(const struct hwt_track_thread *t, const struct hwt_open_slice *s)
{
	return t->nargs > s->args_at;
}

void hwt_slice_args_clear(struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	t->nargs = s->args_at;
}

/* hwt_slice_track_event(), inline in the batch loop (its one caller). */
static inline __attribute__((always_inline)) int track_one(struct hwt_slice_track *tr,
							   const struct hwt_event *ev)
{
	struct hwt_track_thread *t;
	int rc;

	switch (ev->type) {
	case HWT_EV_SLICE_BEGIN:
		return slice_begin(tr, ev);
	case HWT_EV_PROCESS_EXIT:
		/* The process is gone, and so are the calls its threads had open. */
		for (uint32_t i = 0; i < tr->nthreads; i++) {
			t = tr->threads[i];
			if (t->pid != ev->pid)
				continue;
			if (ev->ts > t->last_ts)
				t->last_ts = ev->ts;
			if ((rc = hwt_slice_track_close(tr, t, ev->ts)) < 0)
				return rc;
		}
		return 0;
	default:
		break;
	}
	t = track_thread(tr, ev->pid, ev->tid, 0);
	if (!t) {
		tr->stray_ends += ev->type == HWT_EV_SLICE_END;
		return 0;
	}
	if (ev->ts > t->last_ts)
		t->last_ts = ev->ts;
	switch (ev->type) {
	case HWT_EV_SLICE_END:
		if (!t->nopen) {
			tr->stray_ends++;
			return 0;
		}
		return slice_end(tr, t, ev->ts, ev->slice.flags);
	case HWT_EV_THREAD_EXIT:
		return hwt_slice_track_close(tr, t, ev->ts);
	case HWT_EV_SLICE_ARGS:
		return tr->ops->keep_args ? args_add(t, ev) : 0;
	default:
		return 0;
	}
}

int hwt_slice_track_events(struct hwt_slice_track *tr, const struct hwt_event *evs, size_t n)
{
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((rc = track_one(tr, &evs[i])) < 0)
			return rc;
	return 0;
}

int hwt_slice_track_event(struct hwt_slice_track *tr, const struct hwt_event *ev)
{
	return hwt_slice_track_events(tr, ev, 1);
}

/* Aggregation of samples (by sample weight) or slices (calls and self time) keyed by thread name
 * and stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"
#include "slice_track.h"

/* One table of (thread name, node) -> values. */
struct agg_table {
	struct idkey {
		uint32_t comm, node;
	} * keys;
	uint64_t *vals;
	uint32_t n, cap, nvalues;
	struct hwt_idmap index; /* (comm << 32 | node) -> entry */
};

/* What the aggregation keeps of a thread, beside its open slices. */
struct agg_thread {
	uint32_t name; /* string id, HWT_NONE until a THREAD event names it */
};

struct hwt_agg {
	enum hwt_agg_mode mode;
	uint32_t index;
	int implicit_count; /* the model declared no weights: samples count 1 each */
	struct agg_table samples, slices;
	uint64_t nsamples, nslices;

	struct hwt_slice_track *track; /* threads and their open slices */
	struct hwt_idmap proc_names;   /* pid -> string id */

	uint64_t first_ts, last_ts;
	int seen;
	uint32_t *path;
	uint32_t cappath;
};

static const struct hwt_slice_track_ops agg_track_ops;

/* Adds @v (nvalues of them) to the entry (comm, node), creating it. */
static int table_add(struct agg_table *t, uint32_t comm, uint32_t node, const uint64_t *v,
		     uint32_t nv)
{
	int created;
	uint32_t *slot = hwt_idmap_put(&t->index, (uint64_t)comm << 32 | node, &created);
	uint64_t *dst;
	uint32_t k;

	if (!slot)
		return HWT_E_NOMEM;
	if (created) {
		if (t->n == t->cap) {
			uint32_t ncap = t->cap ? t->cap * 2 : 64;
			struct idkey *keys = realloc(t->keys, (size_t)ncap * sizeof(*keys));
			uint64_t *vals;

			if (!keys)
				return HWT_E_NOMEM;
			t->keys = keys;
			vals = realloc(t->vals, (size_t)ncap * t->nvalues * sizeof(*vals));
			if (!vals)
				return HWT_E_NOMEM;
			t->vals = vals;
			t->cap = ncap;
		}
		*slot = t->n;
		t->keys[t->n] = (struct idkey){ .comm = comm, .node = node };
		memset(t->vals + (size_t)t->n * t->nvalues, 0, t->nvalues * sizeof(*t->vals));
		t->n++;
	}
	dst = t->vals + (size_t)*slot * t->nvalues;
	for (k = 0; k < nv && k < t->nvalues; k++)
		dst[k] += v[k];
	return 0;
}

static void table_fini(struct agg_table *t)
{
	free(t->keys);
	free(t->vals);
	hwt_idmap_fini(&t->index);
}

struct hwt_agg *hwt_agg_alloc(const struct hwt_model *m, const char *view, int *err, char *why,
			      size_t whylen)
{
	struct hwt_agg *a;
	uint32_t nw = hwt_model_nweights(m);
	int w;

	*err = 0;
	if (!m) {
		*err = HWT_E_INVAL;
		return NULL;
	}
	a = calloc(1, sizeof(*a));
	if (!a) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	a->track = hwt_slice_track_alloc(&agg_track_ops, a, sizeof(struct agg_thread));
	if (!a->track) {
		free(a);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	a->implicit_count = nw == 0;
	a->samples.nvalues = nw ? nw : 1;
	a->slices.nvalues = 2;
	if (!view) {
		a->mode = HWT_AGG_AUTO;
	} else if (!strcmp(view, "time") || !strcmp(view, "calls")) {
		a->mode = HWT_AGG_SLICES;
		a->index = !strcmp(view, "time") ? HWT_AGG_TIME : HWT_AGG_CALLS;
	} else if ((w = hwt_model_find_weight(m, view)) >= 0) {
		a->mode = HWT_AGG_SAMPLES;
		a->index = (uint32_t)w;
	} else if (nw == 0 && !strcmp(view, "samples")) {
		a->mode = HWT_AGG_SAMPLES;
		a->index = 0;
	} else {
		size_t used = 0;
		uint32_t i;

		if (why && whylen) {
			used = (size_t)snprintf(why, whylen,
						"unknown view '%s'; valid views:", view);
			for (i = 0; i < nw && used < whylen; i++)
				used += (size_t)snprintf(
					why + used, whylen - used, " %s",
					hwt_model_str(m, hwt_model_weight(m, i)->name));
			if (nw == 0 && used < whylen)
				used += (size_t)snprintf(why + used, whylen - used, " samples");
			if (used < whylen)
				snprintf(why + used, whylen - used, " time calls");
		}
		hwt_slice_track_free(a->track);
		free(a);
		*err = HWT_E_INVAL;
		return NULL;
	}
	return a;
}

void hwt_agg_free(struct hwt_agg *a)
{
	if (!a)
		return;
	table_fini(&a->samples);
	table_fini(&a->slices);
	hwt_slice_track_free(a->track);
	hwt_idmap_fini(&a->proc_names);
	free(a->path);
	free(a);
}

/* The name samples of @t are filed under: its own, else its process's. */
static uint32_t thread_comm(const struct hwt_agg *a, struct hwt_track_thread *t)
{
	const struct agg_thread *at = hwt_track_thread_data(t);
	const uint32_t *pname;

	if (at->name)
		return at->name;
	pname = hwt_idmap_find(&a->proc_names, t->pid);
	return pname ? *pname : HWT_NONE;
}

/* A call opens: counted under its node, with the thread's name of now, which it keeps. */
static int agg_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	struct hwt_agg *a = ctx;
	uint64_t v[2] = { 1, 0 };

	s->aux = thread_comm(a, t);
	return table_add(&a->slices, (uint32_t)s->aux, s->node, v, 2);
}

/* A call ends: its self time is credited. */
static int agg_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s, uint64_t ts,
		   uint32_t flags)
{
	struct hwt_agg *a = ctx;
	uint64_t dur = ts - s->begin;
	uint64_t v[2] = { 0, dur > s->child ? dur - s->child : 0 };

	return table_add(&a->slices, (uint32_t)s->aux, s->node, v, 2);
}

static const struct hwt_slice_track_ops agg_track_ops = {
	.begin = agg_begin,
	.end = agg_end,
};

int hwt_agg_event(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct hwt_track_thread *t;
	uint32_t *slot;

	if (!a || !m || !ev)
		return HWT_E_INVAL;
	if (!a->seen || ev->ts < a->first_ts)
		a->first_ts = ev->ts;
	if (!a->seen || ev->ts > a->last_ts)
		a->last_ts = ev->ts;
	a->seen = 1;

	switch (ev->type) {
	case HWT_EV_PROCESS:
		slot = hwt_idmap_put(&a->proc_names, ev->pid, NULL);
		if (!slot)
			return HWT_E_NOMEM;
		*slot = ev->proc.name;
		return 0;
	case HWT_EV_THREAD:
		t = hwt_slice_track_thread(a->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		((struct agg_thread *)hwt_track_thread_data(t))->name = ev->thread.name;
		break;
	case HWT_EV_SAMPLE: {
		uint64_t one = 1;
		uint32_t nw = hwt_model_nweights(m);

		if (a->mode == HWT_AGG_SLICES)
			return 0;
		t = hwt_slice_track_thread(a->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		if (!a->nsamples++) {
			/* Weights are all declared by the first sample, maybe after alloc. */
			a->implicit_count = nw == 0;
			a->samples.nvalues = nw ? nw : 1;
		}
		if (a->implicit_count || !ev->sample.weights)
			return table_add(&a->samples, thread_comm(a, t), ev->sample.stack, &one, 1);
		return table_add(&a->samples, thread_comm(a, t), ev->sample.stack,
				 ev->sample.weights, nw);
	}
	case HWT_EV_SLICE_BEGIN:
		a->nslices++;
		/* fall through */
	case HWT_EV_SLICE_END:
		if (a->mode == HWT_AGG_SAMPLES)
			return 0;
		break;
	default:
		break;
	}
	return hwt_slice_track_event(a->track, ev);
}

int hwt_agg_finish(struct hwt_agg *a, const struct hwt_model *m)
{
	int rc, w;

	if (!a || !m)
		return HWT_E_INVAL;
	if ((rc = hwt_slice_track_finish(a->track)))
		return rc;
	/* Asked for time or calls where nothing was traced: an empty table would look like an
	 * answer. */
	if (a->mode == HWT_AGG_SLICES && !a->nslices)
		return HWT_E_NOCALLS;
	if (a->mode == HWT_AGG_AUTO) {
		if (a->nsamples) {
			a->mode = HWT_AGG_SAMPLES;
			w = hwt_model_find_weight(m, "samples");
			a->index = w >= 0 ? (uint32_t)w : 0;
		} else {
			a->mode = HWT_AGG_SLICES;
			a->index = HWT_AGG_TIME;
		}
	}
	return 0;
}

static const struct agg_table *result(const struct hwt_agg *a)
{
	return a->mode == HWT_AGG_SLICES ? &a->slices : &a->samples;
}

enum hwt_agg_mode hwt_agg_mode(const struct hwt_agg *a)
{
	return a->mode;
}

uint32_t hwt_agg_nvalues(const struct hwt_agg *a)
{
	return result(a)->nvalues;
}

uint32_t hwt_agg_index(const struct hwt_agg *a)
{
	return a->index;
}

void hwt_agg_value_desc(const struct hwt_agg *a, const struct hwt_model *m, uint32_t k,
			const char **name, const char **unit)
{
	const struct hwt_weight_desc *w;

	if (a->mode == HWT_AGG_SLICES) {
		*name = k == HWT_AGG_CALLS ? "calls" : "time";
		*unit = k == HWT_AGG_CALLS ? "count" : "nanoseconds";
		return;
	}
	w = a->implicit_count ? NULL : hwt_model_weight(m, k);
	*name = w ? hwt_model_str(m, w->name) : "samples";
	*unit = w ? hwt_model_str(m, w->unit) : "count";
}

const char *hwt_agg_view_name(const struct hwt_agg *a, const struct hwt_model *m)
{
	const char *name, *unit;

	hwt_agg_value_desc(a, m, a->index, &name, &unit);
	return name;
}

void hwt_agg_span(const struct hwt_agg *a, uint64_t *first, uint64_t *last)
{
	*first = a->first_ts;
	*last = a->last_ts;
}

uint32_t hwt_agg_count(const struct hwt_agg *a)
{
	return result(a)->n;
}

void hwt_agg_entry(const struct hwt_agg *a, uint32_t i, uint32_t *comm, uint32_t *node,
		   const uint64_t **values)
{
	const struct agg_table *t = result(a);

	*comm = t->keys[i].comm;
	*node = t->keys[i].node;
	*values = t->vals + (size_t)i * t->nvalues;
}

int hwt_agg_path(struct hwt_agg *a, const struct hwt_model *m, uint32_t node,
		 const uint32_t **frames)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, node);
	uint32_t depth = s ? s->depth : 0, n = depth;

	if (HWT_ARRAY_GROW(a->path, &a->cappath, depth + 1))
		return HWT_E_NOMEM;
	for (; n && (s = hwt_model_stack(m, node)); node = s->parent)
		a->path[--n] = s->frame;
	/* A malformed tree (depth larger than the chain) leaves a gap: drop it. */
	*frames = a->path + n;
	return (int)(depth - n);
}

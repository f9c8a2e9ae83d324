/* Aggregation of samples (by sample weight) or slices (calls and self time) keyed by thread name
 * and stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"

/* One table of (thread name, node) -> values. */
struct agg_table {
	struct idkey {
		uint32_t comm, node;
	} * keys;
	uint64_t *vals;
	uint32_t n, cap, nvalues;
	struct hwt_idmap index; /* (comm << 32 | node) -> entry */
};

/* A slice still open on a thread. */
struct agg_open {
	uint32_t node, comm;
	uint64_t begin, child;
};

struct agg_thread {
	uint32_t pid, tid, name;
	uint64_t last_ts;
	struct agg_open *open;
	uint32_t nopen, capopen;
};

struct hwt_agg {
	enum hwt_agg_mode mode;
	uint32_t index;
	int implicit_count; /* the model declared no weights: samples count 1 each */
	struct agg_table samples, slices;
	uint64_t nsamples, nslices;

	/* Stack tree of slices: the model's tree is read-only to exporters. */
	struct hwt_stack_node *snodes;
	uint32_t nsnodes, capsnodes;
	struct hwt_idmap snode_index; /* (parent << 32 | frame) -> node */

	struct agg_thread *threads;
	uint32_t nthreads, capthreads;
	struct hwt_idmap thread_index; /* (pid << 32 | tid) -> thread */
	struct hwt_idmap proc_names;   /* pid -> string id */
	uint32_t last_thread;	       /* index + 1 of the last thread looked up, 0 if none */
	uint64_t last_key;

	uint64_t first_ts, last_ts;
	int seen;
	uint32_t *path;
	uint32_t cappath;
};

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
		free(a);
		*err = HWT_E_INVAL;
		return NULL;
	}
	return a;
}

void hwt_agg_free(struct hwt_agg *a)
{
	uint32_t i;

	if (!a)
		return;
	table_fini(&a->samples);
	table_fini(&a->slices);
	free(a->snodes);
	hwt_idmap_fini(&a->snode_index);
	for (i = 0; i < a->nthreads; i++)
		free(a->threads[i].open);
	free(a->threads);
	hwt_idmap_fini(&a->thread_index);
	hwt_idmap_fini(&a->proc_names);
	free(a->path);
	free(a);
}

static struct agg_thread *thread_get(struct hwt_agg *a, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	uint32_t *slot;
	int created;

	if (a->last_thread && a->last_key == key)
		return &a->threads[a->last_thread - 1];
	slot = hwt_idmap_put(&a->thread_index, key, &created);
	if (!slot)
		return NULL;
	if (created) {
		if (hwt_array_grow((void **)&a->threads, &a->capthreads, a->nthreads + 1,
				   sizeof(*a->threads)))
			return NULL;
		*slot = a->nthreads;
		a->threads[a->nthreads++] = (struct agg_thread){ .pid = pid, .tid = tid };
	}
	a->last_thread = *slot + 1;
	a->last_key = key;
	return &a->threads[*slot];
}

/* The name samples of @t are filed under: its own, else its process's. */
static uint32_t thread_comm(const struct hwt_agg *a, const struct agg_thread *t)
{
	const uint32_t *pname;

	if (t->name)
		return t->name;
	pname = hwt_idmap_find(&a->proc_names, t->pid);
	return pname ? *pname : HWT_NONE;
}

static int64_t slice_node(struct hwt_agg *a, uint32_t parent, uint32_t frame)
{
	int created;
	uint32_t *slot = hwt_idmap_put(&a->snode_index, (uint64_t)parent << 32 | frame, &created);

	if (!slot)
		return HWT_E_NOMEM;
	if (created) {
		if (!a->nsnodes) {
			/* Node 0 is the root, as in the model. */
			if (hwt_array_grow((void **)&a->snodes, &a->capsnodes, 1,
					   sizeof(*a->snodes)))
				return HWT_E_NOMEM;
			a->snodes[0] = (struct hwt_stack_node){ 0 };
			a->nsnodes = 1;
		}
		if (hwt_array_grow((void **)&a->snodes, &a->capsnodes, a->nsnodes + 1,
				   sizeof(*a->snodes)))
			return HWT_E_NOMEM;
		*slot = a->nsnodes;
		a->snodes[a->nsnodes++] = (struct hwt_stack_node){
			.parent = parent,
			.frame = frame,
			.depth = a->snodes[parent].depth + 1,
		};
	}
	return *slot;
}

/* Ends the innermost open slice of @t at @ts, crediting its self time. */
static int slice_close(struct hwt_agg *a, struct agg_thread *t, uint64_t ts)
{
	struct agg_open *o = &t->open[--t->nopen];
	uint64_t dur = ts > o->begin ? ts - o->begin : 0;
	uint64_t v[2] = { 0, dur > o->child ? dur - o->child : 0 };

	if (t->nopen)
		t->open[t->nopen - 1].child += dur;
	return table_add(&a->slices, o->comm, o->node, v, 2);
}

int hwt_agg_event(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct agg_thread *t;
	uint32_t *slot;
	int rc;

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
		t = thread_get(a, ev->pid, ev->tid);
		if (!t)
			return HWT_E_NOMEM;
		t->name = ev->thread.name;
		t->last_ts = ev->ts;
		return 0;
	case HWT_EV_SAMPLE: {
		uint64_t one = 1;
		uint32_t nw = hwt_model_nweights(m);

		if (a->mode == HWT_AGG_SLICES)
			return 0;
		t = thread_get(a, ev->pid, ev->tid);
		if (!t)
			return HWT_E_NOMEM;
		t->last_ts = ev->ts;
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
	case HWT_EV_SLICE_BEGIN: {
		a->nslices++;
		uint32_t parent;
		uint64_t v[2] = { 1, 0 };
		int64_t node;

		if (a->mode == HWT_AGG_SAMPLES)
			return 0;
		t = thread_get(a, ev->pid, ev->tid);
		if (!t)
			return HWT_E_NOMEM;
		t->last_ts = ev->ts;
		parent = t->nopen ? t->open[t->nopen - 1].node : HWT_NONE;
		node = slice_node(a, parent, ev->slice.frame);
		if (node < 0)
			return (int)node;
		if (hwt_array_grow((void **)&t->open, &t->capopen, t->nopen + 1, sizeof(*t->open)))
			return HWT_E_NOMEM;
		t->open[t->nopen++] = (struct agg_open){
			.node = (uint32_t)node,
			.comm = thread_comm(a, t),
			.begin = ev->ts,
		};
		return table_add(&a->slices, t->open[t->nopen - 1].comm, (uint32_t)node, v, 2);
	}
	case HWT_EV_SLICE_END:
		if (a->mode == HWT_AGG_SAMPLES)
			return 0;
		t = thread_get(a, ev->pid, ev->tid);
		if (!t)
			return HWT_E_NOMEM;
		t->last_ts = ev->ts;
		/* An end with nothing open (tracing started mid-call) has nothing to credit. */
		return t->nopen ? slice_close(a, t, ev->ts) : 0;
	case HWT_EV_THREAD_EXIT:
		t = thread_get(a, ev->pid, ev->tid);
		if (!t)
			return HWT_E_NOMEM;
		t->last_ts = ev->ts;
		while (t->nopen)
			if ((rc = slice_close(a, t, ev->ts)))
				return rc;
		return 0;
	case HWT_EV_PROCESS_EXIT:
		/* The process is gone, and so are the calls its threads had open. */
		for (uint32_t i = 0; i < a->nthreads; i++) {
			t = &a->threads[i];
			if (t->pid != ev->pid)
				continue;
			t->last_ts = ev->ts;
			while (t->nopen)
				if ((rc = slice_close(a, t, ev->ts)))
					return rc;
		}
		return 0;
	default:
		return 0;
	}
}

int hwt_agg_finish(struct hwt_agg *a, const struct hwt_model *m)
{
	uint32_t i;
	int rc, w;

	if (!a || !m)
		return HWT_E_INVAL;
	for (i = 0; i < a->nthreads; i++) {
		struct agg_thread *t = &a->threads[i];

		while (t->nopen)
			if ((rc = slice_close(a, t, t->last_ts)))
				return rc;
	}
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
	uint32_t depth, n;

	if (a->mode == HWT_AGG_SLICES) {
		depth = node && node < a->nsnodes ? a->snodes[node].depth : 0;
	} else {
		const struct hwt_stack_node *s = hwt_model_stack(m, node);

		depth = s ? s->depth : 0;
	}
	if (hwt_array_grow((void **)&a->path, &a->cappath, depth + 1, sizeof(*a->path)))
		return HWT_E_NOMEM;
	n = depth;
	while (node && n) {
		if (a->mode == HWT_AGG_SLICES) {
			a->path[--n] = a->snodes[node].frame;
			node = a->snodes[node].parent;
		} else {
			const struct hwt_stack_node *s = hwt_model_stack(m, node);

			if (!s)
				break;
			a->path[--n] = s->frame;
			node = s->parent;
		}
	}
	/* A malformed tree (depth larger than the chain) leaves a gap: drop it. */
	*frames = a->path + n;
	return (int)(depth - n);
}

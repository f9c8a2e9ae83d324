/* Aggregation of samples (by sample weight), slices (calls and self time) or a counter's
 * increases keyed by thread name and stack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"
#include "effects_view.h"
#include "slice_track.h"

/* One table of (thread name, node) -> values. */
struct agg_table {
	struct idkey {
		uint32_t comm, node;
	} * keys;
	uint64_t *vals;
	uint32_t n, cap, nvalues;
	struct hwt_idmap index; /* (comm << 32 | node) -> entry */
	/* node -> 1 + the entry last found for it (0: none), and that entry's comm beside it, one
	 * load: most nodes have one thread name, so most look-ups need no hashing */
	struct node_entry {
		uint32_t entry, comm;
	} * by_node;
	size_t capnodes;
};

/* What the aggregation keeps of a thread, beside its open slices. */
struct agg_thread {
	uint32_t name;	     /* string id, HWT_NONE until a THREAD event names it */
	uint32_t last_stack; /* stack node of its latest sample, HWT_NONE before one */
	uint32_t pname;	     /* its process's name as of @pname_gen */
	uint32_t pname_gen;  /* hwt_agg.proc_gen when @pname was looked up; 0: never */
};

/* What a counter view keeps of a counter track. */
struct agg_ctrack {
	uint8_t state; /* 0 not seen yet, then CT_VIEW or CT_OTHER */
	uint8_t seen;  /* a value was seen: @prev holds it */
	int64_t prev;  /* previous value, rounded (cumulative tracks) */
};

enum { CT_VIEW = 1, CT_OTHER = 2 };

struct hwt_agg {
	enum hwt_agg_mode mode;
	uint32_t index;
	int implicit_count; /* the model declared no weights: samples count 1 each */
	struct agg_table samples, slices, counters;
	uint64_t nsamples, nslices;

	/* A counter view: its name (owned), its tracks by id, whether one was seen, its unit. */
	char *view;
	struct agg_ctrack *ct;
	uint32_t nct, capct;
	int matched;
	uint32_t unit;
	char *why;	      /* owned: why finish refused the view, NULL if it did not */
	struct hwt_fxview fx; /* HWT_AGG_EFFECTS: the view */
	uint64_t neffects;

	struct hwt_slice_track *track; /* threads and their open slices */
	struct hwt_idmap proc_names;   /* pid -> string id */
	uint32_t proc_gen;	       /* bumped by each PROCESS event: threads' pname is stale */

	uint64_t first_ts, last_ts; /* UINT64_MAX and 0 before the first event */
	uint32_t *path;
	uint32_t cappath;
};

static const struct hwt_slice_track_ops agg_track_ops;

/* The index of the entry (comm, node), created with zero values when new; negative when out of
 * memory. */
static int64_t table_entry(struct agg_table *t, uint32_t comm, uint32_t node)
{
	int created;
	uint32_t *slot, i;

	if (node < t->capnodes && (i = t->by_node[node].entry) && t->by_node[node].comm == comm)
		return i - 1;
	slot = hwt_idmap_put(&t->index, (uint64_t)comm << 32 | node, &created);
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
	if (node >= t->capnodes) {
		size_t old = t->capnodes;

		if (HWT_ARRAY_GROW(t->by_node, &t->capnodes, (size_t)node + 1))
			return *slot; /* found all the same: the cache is only a shortcut */
		memset(t->by_node + old, 0, (t->capnodes - old) * sizeof(*t->by_node));
	}
	t->by_node[node] = (struct node_entry){ .entry = *slot + 1, .comm = comm };
	return *slot;
}

/* Adds @v (nvalues of them) to the entry (comm, node), creating it. */
static int table_add(struct agg_table *t, uint32_t comm, uint32_t node, const uint64_t *v,
		     uint32_t nv)
{
	int64_t i = table_entry(t, comm, node);
	uint64_t *dst;
	uint32_t k;

	if (i < 0)
		return (int)i;
	dst = t->vals + (size_t)i * t->nvalues;
	for (k = 0; k < nv && k < t->nvalues; k++)
		dst[k] += v[k];
	return 0;
}

static void table_fini(struct agg_table *t)
{
	free(t->keys);
	free(t->vals);
	free(t->by_node);
	hwt_idmap_fini(&t->index);
}

/* "unknown view 'V'; valid views: " and every view of @m, cut to @len bytes (NUL included).
 * Returns the length of the whole message. */
static size_t views_message(const struct hwt_model *m, const char *view, char *buf, size_t len)
{
	uint32_t nw = hwt_model_nweights(m), i, j;
	size_t used = 0;

#define PUT(...)                                                                               \
	used += (size_t)snprintf(buf + (used < len ? used : len), used < len ? len - used : 0, \
				 __VA_ARGS__)
	PUT("unknown view '%s'; valid views:", view);
	for (i = 0; i < nw; i++)
		PUT(" %s", hwt_model_str(m, hwt_model_weight(m, i)->name));
	if (nw == 0)
		PUT(" samples");
	PUT(" time calls");
	/* Each counter name once, in the order the tracks were declared, unless a weight has it. */
	for (i = 1; i < hwt_model_ntracks(m); i++) {
		const struct hwt_track *t = hwt_model_track(m, i);

		if (!t || t->kind != HWT_TRACK_COUNTER ||
		    hwt_model_find_weight(m, hwt_model_str(m, t->name)) >= 0)
			continue; /* a weight of that name is the view of that name */
		for (j = 1; j < i; j++) {
			const struct hwt_track *u = hwt_model_track(m, j);

			if (u && u->kind == HWT_TRACK_COUNTER && u->name == t->name)
				break;
		}
		if (j == i)
			PUT(" %s", hwt_model_str(m, t->name));
	}
#undef PUT
	return used;
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
	a->proc_gen = 1;
	a->first_ts = UINT64_MAX;
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
	} else if (hwt_fxview_parse(view, &a->fx)) {
		a->mode = HWT_AGG_EFFECTS;
		a->counters.nvalues = 1;
	} else if (nw == 0 && !strcmp(view, "samples")) {
		a->mode = HWT_AGG_SAMPLES;
		a->index = 0;
	} else if (*view) {
		/* Counter tracks appear as the recording is decoded: checked at the end. */
		a->mode = HWT_AGG_COUNTER;
		a->counters.nvalues = 1;
		a->view = strdup(view);
		if (!a->view) {
			hwt_agg_free(a);
			*err = HWT_E_NOMEM;
			return NULL;
		}
	} else {
		if (why && whylen)
			views_message(m, view, why, whylen);
		hwt_agg_free(a);
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
	table_fini(&a->counters);
	free(a->view);
	free(a->ct);
	free(a->why);
	hwt_slice_track_free(a->track);
	hwt_idmap_fini(&a->proc_names);
	free(a->path);
	free(a);
}

void hwt_agg_compensate(struct hwt_agg *a, const struct hwt_probe_costs *c)
{
	if (a)
		hwt_slice_track_compensate(a->track, c);
}

/* The name samples of @t are filed under: its own, else its process's (looked up again only
 * after a PROCESS event). */
static uint32_t thread_comm(const struct hwt_agg *a, struct hwt_track_thread *t)
{
	struct agg_thread *at = hwt_track_thread_data(t);
	const uint32_t *pname;

	if (at->name)
		return at->name;
	if (at->pname_gen != a->proc_gen) {
		pname = hwt_idmap_find(&a->proc_names, t->pid);
		at->pname = pname ? *pname : HWT_NONE;
		at->pname_gen = a->proc_gen;
	}
	return at->pname;
}

/* A call opens: counted under its node, with the thread's name of now; it keeps its entry. */
static int agg_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	struct hwt_agg *a = ctx;
	int64_t i;

	if (a->mode == HWT_AGG_COUNTER || a->mode == HWT_AGG_EFFECTS)
		return 0; /* only the nesting is wanted */
	i = table_entry(&a->slices, thread_comm(a, t), s->node);
	if (i < 0)
		return (int)i;
	s->aux = (uint64_t)i;
	a->slices.vals[(size_t)i * a->slices.nvalues + HWT_AGG_CALLS]++;
	return 0;
}

/* A call ends: its self time is credited. */
static int agg_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s, uint64_t ts,
		   uint32_t flags)
{
	struct hwt_agg *a = ctx;
	uint64_t dur = ts - s->begin;

	if (a->mode == HWT_AGG_COUNTER || a->mode == HWT_AGG_EFFECTS)
		return 0;
	a->slices.vals[s->aux * a->slices.nvalues + HWT_AGG_TIME] +=
		dur > s->child ? dur - s->child : 0;
	return 0;
}

static const struct hwt_slice_track_ops agg_track_ops = {
	.begin = agg_begin,
	.end = agg_end,
};

/* @v rounded to an integer, within int64. */
static int64_t to_int(double v)
{
	if (!(v == v))
		return 0;
	if (v >= 9.2e18)
		return INT64_MAX;
	if (v <= -9.2e18)
		return INT64_MIN;
	return (int64_t)(v < 0 ? v - 0.5 : v + 0.5); /* halves away from zero, as llround() */
}

/* Where a value of @tr is charged: its thread's (or its process's main thread's) innermost
 * open slice, else that thread's latest sample; a global track charges no stack. */
static void charge_at(struct hwt_agg *a, const struct hwt_track *tr, uint32_t *comm, uint32_t *node)
{
	struct hwt_track_thread *t;
	const uint32_t *pname;

	*comm = *node = HWT_NONE;
	if (!tr->pid)
		return;
	t = hwt_slice_track_thread(a->track, tr->pid, tr->tid ? tr->tid : tr->pid, 0);
	if (!t) {
		pname = hwt_idmap_find(&a->proc_names, tr->pid);
		*comm = pname ? *pname : HWT_NONE;
		return;
	}
	*comm = thread_comm(a, t);
	*node = t->nopen ? t->open[t->nopen - 1].node
			 : ((const struct agg_thread *)hwt_track_thread_data(t))->last_stack;
}

/* A counter value, for a counter view: what it adds, charged to the stack of its thread. */
static int agg_counter(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev)
{
	uint32_t id = ev->counter.track, comm, node;
	const struct hwt_track *tr = hwt_model_track(m, id);
	struct agg_ctrack *c;
	int64_t now;
	uint64_t w;

	if (!tr || tr->kind != HWT_TRACK_COUNTER)
		return 0;
	if (id >= a->nct) {
		if (HWT_ARRAY_GROW(a->ct, &a->capct, id + 1))
			return HWT_E_NOMEM;
		memset(a->ct + a->nct, 0, (id + 1 - a->nct) * sizeof(*a->ct));
		a->nct = id + 1;
	}
	c = &a->ct[id];
	if (!c->state) {
		c->state = strcmp(hwt_model_str(m, tr->name), a->view) ? CT_OTHER : CT_VIEW;
		if (c->state == CT_VIEW && !a->matched) {
			a->matched = 1;
			a->unit = tr->unit;
		}
	}
	if (c->state != CT_VIEW)
		return 0;
	now = to_int(ev->counter.value);
	if (tr->cumulative) {
		int64_t before = c->prev;
		int seen = c->seen;

		c->seen = 1;
		c->prev = now;
		/* The first value is the baseline; a decrease is a reset. */
		if (!seen || now <= before)
			return 0;
		w = (uint64_t)now - (uint64_t)before;
	} else {
		if (now <= 0)
			return 0;
		w = (uint64_t)now;
	}
	charge_at(a, tr, &comm, &node);
	return table_add(&a->counters, comm, node, &w, 1);
}

/* hwt_agg_event() of a checked @a, @m and @ev: inline, for the batch loop. */
static inline int agg_one(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct hwt_track_thread *t;
	uint32_t *slot;
	int rc;

	if (ev->ts < a->first_ts)
		a->first_ts = ev->ts;
	if (ev->ts > a->last_ts)
		a->last_ts = ev->ts;

	switch (ev->type) {
	case HWT_EV_PROCESS:
		slot = hwt_idmap_put(&a->proc_names, ev->pid, NULL);
		if (!slot)
			return HWT_E_NOMEM;
		*slot = ev->proc.name;
		if (!++a->proc_gen)
			a->proc_gen = 1; /* 0 is a thread's "never" */
		return 0;
	case HWT_EV_THREAD:
		t = hwt_slice_track_thread(a->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		((struct agg_thread *)hwt_track_thread_data(t))->name = ev->thread.name;
		break;
	case HWT_EV_COUNTER:
		if (a->mode == HWT_AGG_COUNTER && (rc = agg_counter(a, m, ev)))
			return rc;
		break;
	case HWT_EV_INSTANT: {
		uint64_t v;

		if (a->mode != HWT_AGG_EFFECTS || !hwt_fxview_value(&a->fx, m, ev, &v))
			break;
		t = hwt_slice_track_thread(a->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		a->neffects++;
		return table_add(&a->counters, thread_comm(a, t), ev->stack, &v, 1);
	}
	case HWT_EV_SAMPLE: {
		uint64_t one = 1;
		uint32_t nw = hwt_model_nweights(m);

		if (a->mode == HWT_AGG_SLICES || a->mode == HWT_AGG_EFFECTS)
			return 0;
		t = hwt_slice_track_thread(a->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		((struct agg_thread *)hwt_track_thread_data(t))->last_stack = ev->sample.stack;
		if (a->mode == HWT_AGG_COUNTER)
			return hwt_slice_track_event(a->track, ev);
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
		if (a->mode == HWT_AGG_SAMPLES || a->mode == HWT_AGG_EFFECTS)
			return 0;
		break;
	default:
		break;
	}
	return hwt_slice_track_event(a->track, ev);
}

int hwt_agg_event(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev)
{
	if (!a || !m || !ev)
		return HWT_E_INVAL;
	return agg_one(a, m, ev);
}

int hwt_agg_events(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *evs,
		   size_t n)
{
	int rc;

	if (!a || !m || (n && !evs))
		return HWT_E_INVAL;
	for (size_t i = 0, j; i < n; i = j) {
		/* A run of begins and ends goes to the shadow stack in one call (as agg_one()). */
		for (j = i; j < n && a->mode != HWT_AGG_SAMPLES && a->mode != HWT_AGG_EFFECTS &&
			    (evs[j].type == HWT_EV_SLICE_BEGIN || evs[j].type == HWT_EV_SLICE_END);
		     j++) {
			if (evs[j].ts < a->first_ts)
				a->first_ts = evs[j].ts;
			if (evs[j].ts > a->last_ts)
				a->last_ts = evs[j].ts;
			a->nslices += evs[j].type == HWT_EV_SLICE_BEGIN;
		}
		if (j > i && (rc = hwt_slice_track_events(a->track, evs + i, j - i)) < 0)
			return rc;
		if (j == i && (rc = agg_one(a, m, &evs[j++])) < 0)
			return rc;
	}
	return 0;
}

/* A counter view none of whose values came: a track of that name with no values is an empty
 * view, no track of that name an unknown one. */
static int counter_view_check(struct hwt_agg *a, const struct hwt_model *m)
{
	size_t len;

	for (uint32_t i = 1; i < hwt_model_ntracks(m); i++) {
		const struct hwt_track *t = hwt_model_track(m, i);

		if (t && t->kind == HWT_TRACK_COUNTER &&
		    !strcmp(hwt_model_str(m, t->name), a->view)) {
			a->matched = 1;
			a->unit = t->unit;
			return 0;
		}
	}
	len = views_message(m, a->view, NULL, 0) + 1;
	free(a->why);
	a->why = malloc(len);
	if (!a->why)
		return HWT_E_NOMEM;
	views_message(m, a->view, a->why, len);
	return HWT_E_INVAL;
}

const char *hwt_agg_why(const struct hwt_agg *a)
{
	return a && a->why ? a->why : "";
}

int hwt_agg_finish(struct hwt_agg *a, const struct hwt_model *m)
{
	int rc;

	if (!a || !m)
		return HWT_E_INVAL;
	if ((rc = hwt_slice_track_finish(a->track)))
		return rc;
	/* Asked for time or calls where nothing was traced: an empty table would look like an
	 * answer. */
	if (a->mode == HWT_AGG_SLICES && !a->nslices)
		return HWT_E_NOCALLS;
	if (a->mode == HWT_AGG_COUNTER && !a->matched)
		return counter_view_check(a, m);
	if (a->mode == HWT_AGG_EFFECTS && !a->neffects) {
		free(a->why);
		a->why =
			strdup("the recording has no effects of this view: record with -P syscalls "
			       "(files and network system calls)");
		return a->why ? HWT_E_INVAL : HWT_E_NOMEM;
	}
	if (a->mode == HWT_AGG_AUTO) {
		if (a->nsamples) {
			a->mode = HWT_AGG_SAMPLES;
			a->index = hwt_model_default_weight(m);
		} else {
			a->mode = HWT_AGG_SLICES;
			a->index = HWT_AGG_TIME;
		}
	}
	return 0;
}

static const struct agg_table *result(const struct hwt_agg *a)
{
	if (a->mode == HWT_AGG_COUNTER || a->mode == HWT_AGG_EFFECTS)
		return &a->counters;
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

	if (a->mode == HWT_AGG_COUNTER) {
		*name = a->view;
		*unit = a->unit && *hwt_model_str(m, a->unit) ? hwt_model_str(m, a->unit) : "count";
		/* Counters say "ns" (their tracks' unit); views name it as the weights do, the
		 * word pprof knows and scales. */
		if (!strcmp(*unit, "ns"))
			*unit = "nanoseconds";
		return;
	}
	if (a->mode == HWT_AGG_EFFECTS) {
		*name = a->fx.name;
		*unit = a->fx.weight ? "bytes" : "count";
		return;
	}
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
	*first = a->first_ts == UINT64_MAX && !a->last_ts ? 0 : a->first_ts;
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

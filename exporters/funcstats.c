/* Per-function statistics of traced calls (hwtrace report), over the slices slice_track hands
 * out; and the duration format and sort keys the reports share. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "outbuf.h"
#include "slice_track.h"
#include "slices.h"

char *hwt_duration_put(char *p, uint64_t ns)
{
	static const char units[3][2] = { { 'u', 's' }, { 'm', 's' }, { ' ', 's' } };
	uint64_t whole = ns / 1000, frac = ns % 1000;
	size_t u = 0;

	if (ns < 1000) {
		p = hwt_fmt_u64_pad(p, ns, 7);
		memcpy(p, " ns", 3);
		return p + 3;
	}
	/* Seconds stay the last unit, however many. */
	while (whole >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		frac = whole % 1000;
		whole /= 1000;
		u++;
	}
	p = hwt_fmt_u64_pad(p, whole, 3);
	*p++ = '.';
	p = hwt_fmt_fixed(p, frac, 3);
	*p++ = ' ';
	memcpy(p, units[u], 2);
	return p + 2;
}

char *hwt_duration_fmt(char *buf, size_t len, uint64_t ns)
{
	char text[HWT_DURATION_LEN];

	if (!buf || !len)
		return buf;
	*hwt_duration_put(text, ns) = '\0';
	snprintf(buf, len, "%s", text);
	return buf;
}

int hwt_unit_is_ns(const char *unit)
{
	return unit && (!strcmp(unit, "nanoseconds") || !strcmp(unit, "ns"));
}

char *hwt_value_fmt(char *buf, size_t len, uint64_t v, const char *unit)
{
	char d[HWT_DURATION_LEN], *p = d, *two;

	if (!buf || !len)
		return buf;
	if (!hwt_unit_is_ns(unit)) {
		snprintf(buf, len, "%" PRIu64 "%s%s", v, unit && *unit ? " " : "",
			 unit ? unit : "");
		return buf;
	}
	hwt_duration_fmt(d, sizeof(d), v);
	while (*p == ' ')
		p++;
	/* "1.234  s" is aligned for tables; alone it reads "1.234 s". */
	if ((two = strstr(p, "  s")))
		memmove(two, two + 1, strlen(two + 1) + 1);
	snprintf(buf, len, "%s", p);
	return buf;
}

static const char *const sort_names[] = {
	[HWT_SLICE_SORT_TOTAL] = "total", [HWT_SLICE_SORT_CALLS] = "calls",
	[HWT_SLICE_SORT_SELF] = "self",	  [HWT_SLICE_SORT_AVG] = "avg",
	[HWT_SLICE_SORT_MAX] = "max",
};

int hwt_slice_sort_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof(sort_names) / sizeof(sort_names[0]); i++)
		if (!strcmp(name, sort_names[i]))
			return (int)i;
	return HWT_E_INVAL;
}

/*
 * How many calls of a function are open on a thread, keyed by (thread << 32 | name). Keys leave
 * when their count drops to 0, so it holds at most one entry per open slice: linear probing with
 * backward-shift deletion, as hwt_idmap cannot delete.
 */
struct active_slot {
	uint64_t key;
	uint32_t count; /* 0: free slot */
};

struct active_map {
	struct active_slot *slots;
	uint32_t mask, n;
};

static struct active_slot *active_find(const struct active_map *a, uint64_t key)
{
	uint32_t j;

	if (!a->slots)
		return NULL;
	for (j = (uint32_t)hwt_mix64(key) & a->mask; a->slots[j].count; j = (j + 1) & a->mask)
		if (a->slots[j].key == key)
			return &a->slots[j];
	return NULL;
}

static int active_grow(struct active_map *a)
{
	uint32_t size = a->slots ? (a->mask + 1) * 2 : 64, i, j;
	struct active_slot *slots;

	if (!size)
		return HWT_E_NOMEM;
	slots = calloc(size, sizeof(*slots));
	if (!slots)
		return HWT_E_NOMEM;
	for (i = 0; a->slots && i <= a->mask; i++) {
		if (!a->slots[i].count)
			continue;
		for (j = (uint32_t)hwt_mix64(a->slots[i].key) & (size - 1); slots[j].count;
		     j = (j + 1) & (size - 1))
			;
		slots[j] = a->slots[i];
	}
	free(a->slots);
	a->slots = slots;
	a->mask = size - 1;
	return 0;
}

/* Counts one more open call for @key; returns the count before it, or HWT_E_NOMEM. */
static int64_t active_inc(struct active_map *a, uint64_t key)
{
	struct active_slot *s = active_find(a, key);
	uint32_t j;

	if (s)
		return s->count++;
	if ((!a->slots || (uint64_t)(a->n + 1) * 2 > (uint64_t)a->mask + 1) && active_grow(a))
		return HWT_E_NOMEM;
	for (j = (uint32_t)hwt_mix64(key) & a->mask; a->slots[j].count; j = (j + 1) & a->mask)
		;
	a->slots[j] = (struct active_slot){ .key = key, .count = 1 };
	a->n++;
	return 0;
}

/* Counts one open call of @key fewer, removing the key at 0. */
static void active_dec(struct active_map *a, uint64_t key)
{
	struct active_slot *s = active_find(a, key);
	uint32_t i, j, home;

	if (!s || --s->count)
		return;
	/* Pull back the entries of the probe run that could not sit in the freed slot before. */
	i = (uint32_t)(s - a->slots);
	for (j = (i + 1) & a->mask; a->slots[j].count; j = (j + 1) & a->mask) {
		home = (uint32_t)hwt_mix64(a->slots[j].key) & a->mask;
		if (((j - home) & a->mask) >= ((j - i) & a->mask)) {
			a->slots[i] = a->slots[j];
			i = j;
		}
	}
	a->slots[i].count = 0;
	a->n--;
}

/* ---- Per-function statistics ---- */

/* What the statistics keep of a thread, beside its open slices. */
struct ss_thread {
	uint32_t index; /* 1 + the order it was first seen in: the key of its calls in @active */
	int had_calls;
};

/* Where a function's open calls are counted, per thread: the thread that opened it while no
 * other had it open keeps its count here, with no hashing; the calls of the other threads that
 * open it meanwhile are counted in @active (keyed by thread and function). A thread's count is
 * in one place at a time: a thread takes the slot only when no call of the function is counted
 * in @active. */
struct ss_open {
	uint32_t thread; /* ss_thread.index of the slot's owner */
	uint32_t count;	 /* its open calls; 0: the slot is free */
	uint32_t hashed; /* open calls counted in @active, all threads */
};

/* An open slice's aux: its function's index, whether it is the outermost active call, whether
 * its thread's count is in @active. */
#define SS_FUNC(aux)	 ((uint32_t)(aux))
#define SS_OUTERMOST	 (1ull << 32)
#define SS_HASHED	 (1ull << 33)
#define SS_KEY(th, func) ((uint64_t)(th)->index << 32 | (func))

struct hwt_slicestats {
	struct hwt_slice_func *funcs;
	struct ss_open *open; /* by function index, as @funcs */
	uint32_t nfuncs, capfuncs, capopen;
	struct hwt_idmap func_index; /* name string id -> funcs index */
	uint32_t *frame_func;	     /* owned: frame id -> 1 + funcs index, 0: not looked up */
	size_t capframes;
	struct hwt_slice_track *track;
	uint32_t nthreads;
	struct active_map active;
	struct hwt_slice_summary sum;
	const struct hwt_model *m;	    /* of the event being counted, for the track's hooks */
	const struct hwt_model *sort_model; /* for the comparison function */
	enum hwt_slice_sort sort_key;
};

/* The index of the function named @name, added when new; negative when out of memory. */
static int64_t ss_func(struct hwt_slicestats *s, uint32_t name)
{
	int created;
	uint32_t *slot;

	if (HWT_ARRAY_GROW(s->funcs, &s->capfuncs, s->nfuncs + 1) ||
	    HWT_ARRAY_GROW(s->open, &s->capopen, s->nfuncs + 1))
		return HWT_E_NOMEM;
	slot = hwt_idmap_put(&s->func_index, name, &created);
	if (!slot)
		return HWT_E_NOMEM;
	if (created) {
		*slot = s->nfuncs;
		s->funcs[s->nfuncs] = (struct hwt_slice_func){ .name = name };
		s->open[s->nfuncs++] = (struct ss_open){ 0 };
	}
	return *slot;
}

/* The index of the function of frame @frame, looked up once per frame. */
static int64_t ss_frame_func(struct hwt_slicestats *s, uint32_t frame)
{
	const struct hwt_frame *f;
	int64_t idx;

	if (frame >= hwt_model_nframes(s->m))
		frame = HWT_NONE; /* an unknown frame: an unnamed function, as frame 0 */
	if (frame < s->capframes && s->frame_func[frame])
		return s->frame_func[frame] - 1;
	if (frame >= s->capframes) {
		size_t old = s->capframes;

		if (HWT_ARRAY_GROW(s->frame_func, &s->capframes, (size_t)frame + 1))
			return HWT_E_NOMEM;
		memset(s->frame_func + old, 0, (s->capframes - old) * sizeof(*s->frame_func));
	}
	f = hwt_model_frame(s->m, frame);
	idx = ss_func(s, f ? f->name : HWT_NONE);
	if (idx >= 0)
		s->frame_func[frame] = (uint32_t)idx + 1;
	return idx;
}

static int ss_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *o)
{
	struct hwt_slicestats *s = ctx;
	struct ss_thread *th = hwt_track_thread_data(t);
	int64_t idx = ss_frame_func(s, o->frame), before;
	struct ss_open *op;

	if (idx < 0)
		return (int)idx;
	if (!th->index)
		th->index = ++s->nthreads;
	op = &s->open[idx];
	o->aux = (uint64_t)idx;
	if (op->count && op->thread == th->index) {
		op->count++;
	} else if (!op->count && !op->hashed) {
		op->thread = th->index;
		op->count = 1;
		o->aux |= SS_OUTERMOST;
	} else {
		before = active_inc(&s->active, SS_KEY(th, (uint32_t)idx));
		if (before < 0)
			return (int)before;
		op->hashed++;
		o->aux |= SS_HASHED | (before == 0 ? SS_OUTERMOST : 0);
	}
	s->funcs[idx].calls++;
	s->sum.calls++;
	if (!th->had_calls) {
		th->had_calls = 1;
		s->sum.threads++;
	}
	return 0;
}

static int ss_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *o, uint64_t ts,
		  uint32_t flags)
{
	struct hwt_slicestats *s = ctx;
	uint64_t dur = ts - o->begin;
	uint32_t idx = SS_FUNC(o->aux);
	struct hwt_slice_func *fn = &s->funcs[idx];

	fn->self += dur - (o->child < dur ? o->child : dur);
	if (o->aux & SS_OUTERMOST)
		fn->total += dur;
	if (dur > fn->max)
		fn->max = dur;
	if (flags & HWT_SLICE_UNFINISHED) {
		fn->unfinished++;
		s->sum.unfinished++;
	}
	if (o->aux & SS_HASHED) {
		active_dec(&s->active, SS_KEY((struct ss_thread *)hwt_track_thread_data(t), idx));
		s->open[idx].hashed--;
	} else {
		s->open[idx].count--;
	}
	return 0;
}

static const struct hwt_slice_track_ops ss_track_ops = {
	.begin = ss_begin,
	.end = ss_end,
};

struct hwt_slicestats *hwt_slicestats_alloc(void)
{
	struct hwt_slicestats *s = calloc(1, sizeof(*s));

	if (s)
		s->track = hwt_slice_track_alloc(&ss_track_ops, s, sizeof(struct ss_thread));
	if (s && !s->track) {
		free(s);
		return NULL;
	}
	return s;
}

void hwt_slicestats_free(struct hwt_slicestats *s)
{
	if (!s)
		return;
	free(s->funcs);
	free(s->open);
	free(s->frame_func);
	hwt_idmap_fini(&s->func_index);
	hwt_slice_track_free(s->track);
	free(s->active.slots);
	free(s);
}

void hwt_slicestats_compensate(struct hwt_slicestats *s, const struct hwt_probe_costs *c)
{
	if (s)
		hwt_slice_track_compensate(s->track, c);
}

void hwt_slicestats_probe_time(const struct hwt_slicestats *s, uint64_t *probe_ns,
			       uint64_t *traced_ns, uint64_t *excess_ns)
{
	hwt_slice_track_probe_time(s->track, probe_ns, traced_ns, excess_ns);
}

int hwt_slicestats_event(struct hwt_slicestats *s, const struct hwt_model *m,
			 const struct hwt_event *ev)
{
	if (!s || !m || !ev)
		return HWT_E_INVAL;
	if (ev->type == HWT_EV_LOST) {
		s->sum.lost_markers++;
		s->sum.lost_records += ev->lost.count;
	}
	s->m = m;
	return hwt_slice_track_event(s->track, ev);
}

int hwt_slicestats_events(struct hwt_slicestats *s, const struct hwt_model *m,
			  const struct hwt_event *evs, size_t n)
{
	if (!s || !m || (n && !evs))
		return HWT_E_INVAL;
	for (size_t i = 0; i < n; i++)
		if (evs[i].type == HWT_EV_LOST) {
			s->sum.lost_markers++;
			s->sum.lost_records += evs[i].lost.count;
		}
	s->m = m;
	return hwt_slice_track_events(s->track, evs, n);
}

int hwt_slicestats_finish(struct hwt_slicestats *s)
{
	if (!s)
		return HWT_E_INVAL;
	return hwt_slice_track_finish(s->track);
}

void hwt_slicestats_summary(const struct hwt_slicestats *s, struct hwt_slice_summary *sum)
{
	*sum = s->sum;
	sum->functions = s->nfuncs;
	sum->unmatched_ends = hwt_slice_track_stray_ends(s->track);
}

static uint64_t sort_value(const struct hwt_slice_func *f, enum hwt_slice_sort key)
{
	switch (key) {
	case HWT_SLICE_SORT_CALLS:
		return f->calls;
	case HWT_SLICE_SORT_SELF:
		return f->self;
	case HWT_SLICE_SORT_AVG:
		return f->calls ? f->total / f->calls : 0;
	case HWT_SLICE_SORT_MAX:
		return f->max;
	default:
		return f->total;
	}
}

static int by_key(const void *a, const void *b, void *ctx)
{
	const struct hwt_slicestats *s = ctx;
	const struct hwt_slice_func *x = a, *y = b;
	uint64_t vx = sort_value(x, s->sort_key), vy = sort_value(y, s->sort_key);
	int c;

	if (vx != vy)
		return vx < vy ? 1 : -1;
	if (x->total != y->total)
		return x->total < y->total ? 1 : -1;
	c = strcmp(hwt_model_str(s->sort_model, x->name), hwt_model_str(s->sort_model, y->name));
	if (c)
		return c;
	return x->name < y->name ? -1 : x->name > y->name;
}

const struct hwt_slice_func *hwt_slicestats_sorted(struct hwt_slicestats *s,
						   const struct hwt_model *m,
						   enum hwt_slice_sort key, uint32_t *n)
{
	if (n)
		*n = 0;
	if (!s || !m || !n || !s->nfuncs)
		return NULL;
	s->sort_model = m;
	s->sort_key = key;
	qsort_r(s->funcs, s->nfuncs, sizeof(*s->funcs), by_key, s);
	/* Sorted in place, so the name index follows, and the frames look their function up
	 * again (no call is open any more: the counts of open calls are all 0). */
	for (uint32_t i = 0; i < s->nfuncs; i++)
		*hwt_idmap_find(&s->func_index, s->funcs[i].name) = i;
	if (s->capframes)
		memset(s->frame_func, 0, s->capframes * sizeof(*s->frame_func));
	*n = s->nfuncs;
	return s->funcs;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

int hwt_slicestats_print(struct hwt_slicestats *s, const struct hwt_model *m,
			 enum hwt_slice_sort key, uint32_t top, const char *title, FILE *out)
{
	char t[HWT_DURATION_LEN], self[HWT_DURATION_LEN], avg[HWT_DURATION_LEN];
	char max[HWT_DURATION_LEN];
	const struct hwt_slice_func *f;
	struct hwt_slice_summary sum;
	uint32_t n;

	if (!s || !m || !out)
		return HWT_E_INVAL;
	hwt_slicestats_summary(s, &sum);
	fprintf(out, "# %" PRIu64 " %s of %" PRIu32 " %s in %" PRIu32 " %s%s%s\n", sum.calls,
		plural(sum.calls, "call", "calls"), sum.functions,
		plural(sum.functions, "function", "functions"), sum.threads,
		plural(sum.threads, "thread", "threads"), title ? " of " : "", title ? title : "");
	if (sum.unfinished)
		fprintf(out,
			"# note: %" PRIu64 " %s had no return seen (longjmp, exception, thread "
			"exit or lost records): %s at the point the tracer gave up\n",
			sum.unfinished, plural(sum.unfinished, "call", "calls"),
			plural(sum.unfinished, "it ends", "they end"));
	if (sum.lost_markers) {
		fprintf(out, "# note: records were lost %" PRIu64 " %s", sum.lost_markers,
			plural(sum.lost_markers, "time", "times"));
		if (sum.lost_records)
			fprintf(out, " (%" PRIu64 " %s)", sum.lost_records,
				plural(sum.lost_records, "record", "records"));
		fprintf(out, ": calls in the gaps are missing and times around them are "
			     "incomplete\n");
	}
	if (sum.unmatched_ends)
		fprintf(out, "# note: %" PRIu64 " %s without a traced call ignored\n",
			sum.unmatched_ends, plural(sum.unmatched_ends, "return", "returns"));
	fprintf(out, "# %10s  %10s  %10s  %10s  %10s  %s\n", "Total time", "Self time", "Avg total",
		"Max total", "Calls", "Function");
	fprintf(out, "# ==========  ==========  ==========  ==========  ==========  "
		     "====================\n");
	f = hwt_slicestats_sorted(s, m, key, &n);
	for (uint32_t i = 0; i < n && (!top || i < top); i++) {
		const char *name = hwt_model_str(m, f[i].name);

		fprintf(out, "  %s  %s  %s  %s  %10" PRIu64 "  %s",
			hwt_duration_fmt(t, sizeof(t), f[i].total),
			hwt_duration_fmt(self, sizeof(self), f[i].self),
			hwt_duration_fmt(avg, sizeof(avg),
					 f[i].calls ? f[i].total / f[i].calls : 0),
			hwt_duration_fmt(max, sizeof(max), f[i].max), f[i].calls,
			*name ? name : "[unknown]");
		if (f[i].unfinished)
			fprintf(out, " (%" PRIu64 " unfinished)", f[i].unfinished);
		fputc('\n', out);
	}
	return 0;
}

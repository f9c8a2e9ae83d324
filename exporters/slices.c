/* Per-function statistics of traced calls and the uftrace-like call tree printer, both streaming
 * over slice events with one shadow stack per thread. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "aggregate.h"
#include "hwtrace/error.h"
#include "slices.h"

char *hwt_duration_fmt(char *buf, size_t len, uint64_t ns)
{
	static const char *const units[] = { "us", "ms", " s" };
	uint64_t whole = ns / 1000, frac = ns % 1000;
	size_t u = 0;

	if (!buf || !len)
		return buf;
	if (ns < 1000) {
		snprintf(buf, len, "%7" PRIu64 " ns", ns);
		return buf;
	}
	/* Seconds stay the last unit, however many. */
	while (whole >= 1000 && u + 1 < sizeof(units) / sizeof(units[0])) {
		frac = whole % 1000;
		whole /= 1000;
		u++;
	}
	snprintf(buf, len, "%3" PRIu64 ".%03" PRIu64 " %s", whole, frac, units[u]);
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

/* The printed name of frame @frame: "[unknown]" when it has none. */
static const char *frame_name(const struct hwt_model *m, uint32_t frame)
{
	const struct hwt_frame *f = hwt_model_frame(m, frame);
	const char *s = f ? hwt_model_str(m, f->name) : "";

	return *s ? s : "[unknown]";
}

static inline uint64_t hash64(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x7fb5d329728ea185ull;
	x ^= x >> 27;
	x *= 0x81dadef4bc2dd44dull;
	x ^= x >> 33;
	return x;
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
	for (j = (uint32_t)hash64(key) & a->mask; a->slots[j].count; j = (j + 1) & a->mask)
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
		for (j = (uint32_t)hash64(a->slots[i].key) & (size - 1); slots[j].count;
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
	for (j = (uint32_t)hash64(key) & a->mask; a->slots[j].count; j = (j + 1) & a->mask)
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
		home = (uint32_t)hash64(a->slots[j].key) & a->mask;
		if (((j - home) & a->mask) >= ((j - i) & a->mask)) {
			a->slots[i] = a->slots[j];
			i = j;
		}
	}
	a->slots[i].count = 0;
	a->n--;
}

/* Threads by (pid, tid), shared by both consumers. */
struct thread_index {
	struct hwt_idmap map; /* (pid << 32 | tid) -> index */
	uint64_t last_key;
	uint32_t last; /* index + 1 of the last thread looked up, 0 if none */
};

/* Index of thread (@pid, @tid): *@created says whether it is new. -1 when absent and not
 * @create, HWT_E_NOMEM. @n is the current number of threads, the index a new one gets. */
static int64_t thread_lookup(struct thread_index *ti, uint32_t pid, uint32_t tid, uint32_t n,
			     int create, int *created)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	uint32_t *slot;

	*created = 0;
	if (ti->last && ti->last_key == key)
		return ti->last - 1;
	if (!create) {
		slot = hwt_idmap_find(&ti->map, key);
		if (!slot)
			return -1;
	} else {
		slot = hwt_idmap_put(&ti->map, key, created);
		if (!slot)
			return HWT_E_NOMEM;
		if (*created)
			*slot = n;
	}
	ti->last = *slot + 1;
	ti->last_key = key;
	return *slot;
}

/* ---- Per-function statistics ---- */

struct ss_open {
	uint32_t name; /* string id: the function */
	int outermost; /* no other call of the function was open on the thread when it began */
	uint64_t begin, child;
};

struct ss_thread {
	uint32_t pid, tid;
	int had_calls;
	uint64_t last_ts;
	struct ss_open *open;
	uint32_t nopen, capopen;
};

struct hwt_slicestats {
	struct hwt_slice_func *funcs;
	uint32_t nfuncs, capfuncs;
	struct hwt_idmap func_index; /* name string id -> funcs index */
	struct ss_thread *threads;
	uint32_t nthreads, capthreads;
	struct thread_index thread_index;
	struct active_map active;
	struct hwt_slice_summary sum;
	const struct hwt_model *sort_model; /* for the comparison function */
	enum hwt_slice_sort sort_key;
};

struct hwt_slicestats *hwt_slicestats_alloc(void)
{
	return calloc(1, sizeof(struct hwt_slicestats));
}

void hwt_slicestats_free(struct hwt_slicestats *s)
{
	if (!s)
		return;
	free(s->funcs);
	hwt_idmap_fini(&s->func_index);
	for (uint32_t i = 0; i < s->nthreads; i++)
		free(s->threads[i].open);
	free(s->threads);
	hwt_idmap_fini(&s->thread_index.map);
	free(s->active.slots);
	free(s);
}

static struct ss_thread *ss_thread_get(struct hwt_slicestats *s, const struct hwt_event *ev,
				       int create, int *err)
{
	int created;
	int64_t i;

	/* Room first, so that the index never holds a thread the array lacks. */
	if (create && hwt_array_grow((void **)&s->threads, &s->capthreads, s->nthreads + 1,
				     sizeof(*s->threads))) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	i = thread_lookup(&s->thread_index, ev->pid, ev->tid, s->nthreads, create, &created);

	*err = 0;
	if (i == -1)
		return NULL;
	if (i < 0) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	if (created)
		s->threads[s->nthreads++] = (struct ss_thread){ .pid = ev->pid, .tid = ev->tid };
	return &s->threads[i];
}

static struct hwt_slice_func *ss_func(struct hwt_slicestats *s, uint32_t name)
{
	int created;
	uint32_t *slot;

	if (hwt_array_grow((void **)&s->funcs, &s->capfuncs, s->nfuncs + 1, sizeof(*s->funcs)))
		return NULL;
	slot = hwt_idmap_put(&s->func_index, name, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = s->nfuncs;
		s->funcs[s->nfuncs++] = (struct hwt_slice_func){ .name = name };
	}
	return &s->funcs[*slot];
}

/* Ends the innermost open call of @t at @ts. */
static void ss_close(struct hwt_slicestats *s, struct ss_thread *t, uint64_t ts, int unfinished)
{
	struct ss_open *o = &t->open[--t->nopen];
	uint64_t dur = ts > o->begin ? ts - o->begin : 0;
	uint32_t *slot = hwt_idmap_find(&s->func_index, o->name);
	struct hwt_slice_func *fn = &s->funcs[*slot];

	fn->self += dur - (o->child < dur ? o->child : dur);
	if (o->outermost)
		fn->total += dur;
	if (dur > fn->max)
		fn->max = dur;
	if (unfinished) {
		fn->unfinished++;
		s->sum.unfinished++;
	}
	if (t->nopen)
		t->open[t->nopen - 1].child += dur;
	active_dec(&s->active, (uint64_t)(t - s->threads) << 32 | o->name);
}

static void ss_close_all(struct hwt_slicestats *s, struct ss_thread *t, uint64_t ts)
{
	while (t->nopen)
		ss_close(s, t, ts, 1);
	free(t->open);
	t->open = NULL;
	t->capopen = 0;
}

static int ss_begin(struct hwt_slicestats *s, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_frame *f = hwt_model_frame(m, ev->slice.frame);
	uint32_t name = f ? f->name : HWT_NONE;
	struct hwt_slice_func *fn;
	struct ss_thread *t;
	int64_t before;
	int err;

	t = ss_thread_get(s, ev, 1, &err);
	if (!t)
		return err;
	t->last_ts = ev->ts;
	fn = ss_func(s, name);
	if (!fn || hwt_array_grow((void **)&t->open, &t->capopen, t->nopen + 1, sizeof(*t->open)))
		return HWT_E_NOMEM;
	before = active_inc(&s->active, (uint64_t)(t - s->threads) << 32 | name);
	if (before < 0)
		return (int)before;
	fn->calls++;
	s->sum.calls++;
	if (!t->had_calls) {
		t->had_calls = 1;
		s->sum.threads++;
	}
	t->open[t->nopen++] = (struct ss_open){
		.name = name,
		.outermost = before == 0,
		.begin = ev->ts,
	};
	return 0;
}

int hwt_slicestats_event(struct hwt_slicestats *s, const struct hwt_model *m,
			 const struct hwt_event *ev)
{
	struct ss_thread *t;
	int err;

	if (!s || !m || !ev)
		return HWT_E_INVAL;
	switch (ev->type) {
	case HWT_EV_SLICE_BEGIN:
		return ss_begin(s, m, ev);
	case HWT_EV_SLICE_END:
		t = ss_thread_get(s, ev, 0, &err);
		if (t)
			t->last_ts = ev->ts;
		/* An end with nothing open (tracing began inside the call) credits nothing. */
		if (!t || !t->nopen) {
			s->sum.unmatched_ends++;
			return err;
		}
		ss_close(s, t, ev->ts, !!(ev->slice.flags & HWT_SLICE_UNFINISHED));
		return 0;
	case HWT_EV_LOST:
		s->sum.lost_markers++;
		s->sum.lost_records += ev->lost.count;
		return 0;
	case HWT_EV_THREAD_EXIT:
		t = ss_thread_get(s, ev, 0, &err);
		if (t)
			ss_close_all(s, t, ev->ts);
		return err;
	case HWT_EV_PROCESS_EXIT:
		/* The process is gone, and so are the calls its threads had open. */
		for (uint32_t i = 0; i < s->nthreads; i++)
			if (s->threads[i].pid == ev->pid && s->threads[i].nopen)
				ss_close_all(s, &s->threads[i], ev->ts);
		return 0;
	default:
		/* Any event of a thread moves its clock: open calls end no earlier at the end. */
		t = ss_thread_get(s, ev, 0, &err);
		if (t && ev->ts > t->last_ts)
			t->last_ts = ev->ts;
		return err;
	}
}

int hwt_slicestats_finish(struct hwt_slicestats *s)
{
	if (!s)
		return HWT_E_INVAL;
	for (uint32_t i = 0; i < s->nthreads; i++)
		if (s->threads[i].nopen)
			ss_close_all(s, &s->threads[i], s->threads[i].last_ts);
	return 0;
}

void hwt_slicestats_summary(const struct hwt_slicestats *s, struct hwt_slice_summary *sum)
{
	*sum = s->sum;
	sum->functions = s->nfuncs;
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
	/* Sorted in place, so the name index follows. */
	for (uint32_t i = 0; i < s->nfuncs; i++)
		*hwt_idmap_find(&s->func_index, s->funcs[i].name) = i;
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

/* ---- Call tree ---- */

struct ct_open {
	uint32_t frame;
	int opened; /* its "name() {" line is out */
	uint64_t begin;
};

struct ct_thread {
	uint32_t pid, tid, name;
	int headed; /* its "# thread" line is out */
	uint64_t last_ts;
	struct ct_open *open;
	uint32_t nopen, capopen;
	/* Lost markers seen while no call was open, printed before the thread's next line. */
	uint64_t lost_pending, lost_count;
	int lost_unknown;
};

struct hwt_calltree {
	struct hwt_calltree_config cfg;
	struct ct_thread *threads;
	uint32_t nthreads, capthreads;
	struct thread_index thread_index;
	struct hwt_idmap proc_names; /* pid -> string id */
	uint64_t calls;
	int headed; /* the column header is out */
};

void hwt_calltree_config_init(struct hwt_calltree_config *cfg)
{
	*cfg = (struct hwt_calltree_config){ .out = stdout };
}

struct hwt_calltree *hwt_calltree_alloc(const struct hwt_calltree_config *cfg)
{
	struct hwt_calltree *t;

	if (!cfg)
		return NULL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->cfg = *cfg;
	if (!t->cfg.out)
		t->cfg.out = stdout;
	return t;
}

void hwt_calltree_free(struct hwt_calltree *t)
{
	if (!t)
		return;
	for (uint32_t i = 0; i < t->nthreads; i++)
		free(t->threads[i].open);
	free(t->threads);
	hwt_idmap_fini(&t->thread_index.map);
	hwt_idmap_fini(&t->proc_names);
	free(t);
}

uint64_t hwt_calltree_calls(const struct hwt_calltree *t)
{
	return t ? t->calls : 0;
}

static void ct_lost_flush(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th,
			  uint32_t indent);

/* Writes one line of @th: the duration column when @has_dur, the tid, @indent levels, the text.
 * The headers and lost markers the thread still owes go first. */
static void __attribute__((format(printf, 7, 8)))
ct_line(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th, int has_dur,
	uint64_t dur, uint32_t indent, const char *fmt, ...)
{
	char d[HWT_DURATION_LEN] = "";
	va_list ap;

	if (!t->headed) {
		t->headed = 1;
		fprintf(t->cfg.out, "#%10s %8s   %s\n", "DURATION", "TID", "FUNCTION");
	}
	if (!th->headed) {
		const uint32_t *pname = hwt_idmap_find(&t->proc_names, th->pid);
		const char *name = hwt_model_str(m, th->name ? th->name : pname ? *pname : 0);

		th->headed = 1;
		fprintf(t->cfg.out, "# thread %" PRIu32 "%s%s%s, process %" PRIu32 "\n", th->tid,
			*name ? " (" : "", name, *name ? ")" : "", th->pid);
	}
	if (th->lost_pending)
		ct_lost_flush(t, m, th, indent);
	if (has_dur)
		hwt_duration_fmt(d, sizeof(d), dur);
	fprintf(t->cfg.out, " %10s [%6" PRIu32 "] | %*s", d, th->tid, (int)(2 * indent), "");
	va_start(ap, fmt);
	vfprintf(t->cfg.out, fmt, ap);
	va_end(ap);
	fputc('\n', t->cfg.out);
}

static void ct_lost_flush(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th,
			  uint32_t indent)
{
	uint64_t n = th->lost_count;
	int unknown = th->lost_unknown;

	th->lost_pending = 0;
	th->lost_count = 0;
	th->lost_unknown = 0;
	if (!n)
		ct_line(t, m, th, 0, 0, indent, "[lost records]");
	else
		ct_line(t, m, th, 0, 0, indent, "[lost %s%" PRIu64 " %s]",
			unknown ? "at least " : "", n, plural(n, "record", "records"));
}

static int ct_visible(const struct hwt_calltree *t, uint32_t depth)
{
	return !t->cfg.max_depth || depth <= t->cfg.max_depth;
}

/* "()" after a name, but for demangled C++ names that carry their parameters already. */
static const char *call_parens(const char *name)
{
	return strchr(name, '(') ? "" : "()";
}

/* Prints the "name() {" line of the open call at index @i of @th if it is not out yet. */
static void ct_open_line(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th,
			 uint32_t i)
{
	struct ct_open *o = &th->open[i];
	const char *name;

	if (o->opened)
		return;
	name = frame_name(m, o->frame);
	o->opened = 1;
	ct_line(t, m, th, 0, 0, i, "%s%s {", name, call_parens(name));
}

static void ct_close(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th,
		     uint64_t ts, int unfinished)
{
	uint32_t depth = th->nopen--;
	struct ct_open *o = &th->open[depth - 1];
	uint64_t dur = ts > o->begin ? ts - o->begin : 0;
	const char *name = frame_name(m, o->frame);

	if (!ct_visible(t, depth))
		return;
	if (o->opened)
		ct_line(t, m, th, 1, dur, depth - 1, "} /* %s%s */", name,
			unfinished ? ": no return seen" : "");
	else
		ct_line(t, m, th, 1, dur, depth - 1, "%s%s;%s", name, call_parens(name),
			unfinished ? " /* no return seen */" : "");
}

static void ct_close_all(struct hwt_calltree *t, const struct hwt_model *m, struct ct_thread *th,
			 uint64_t ts)
{
	while (th->nopen)
		ct_close(t, m, th, ts, 1);
	free(th->open);
	th->open = NULL;
	th->capopen = 0;
}

static struct ct_thread *ct_thread_get(struct hwt_calltree *t, const struct hwt_event *ev,
				       int create, int *err)
{
	int created;
	int64_t i;

	if (create && hwt_array_grow((void **)&t->threads, &t->capthreads, t->nthreads + 1,
				     sizeof(*t->threads))) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	i = thread_lookup(&t->thread_index, ev->pid, ev->tid, t->nthreads, create, &created);

	*err = 0;
	if (i == -1)
		return NULL;
	if (i < 0) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	if (created)
		t->threads[t->nthreads++] = (struct ct_thread){ .pid = ev->pid, .tid = ev->tid };
	return &t->threads[i];
}

int hwt_calltree_event(struct hwt_calltree *t, const struct hwt_model *m,
		       const struct hwt_event *ev)
{
	struct ct_thread *th;
	uint32_t *slot;
	int err;

	if (!t || !m || !ev)
		return HWT_E_INVAL;
	if (ev->type == HWT_EV_PROCESS) {
		slot = hwt_idmap_put(&t->proc_names, ev->pid, NULL);
		if (!slot)
			return HWT_E_NOMEM;
		*slot = ev->proc.name;
		return 0;
	}
	if (ev->type == HWT_EV_PROCESS_EXIT) {
		for (uint32_t i = 0; i < t->nthreads; i++)
			if (t->threads[i].pid == ev->pid && t->threads[i].nopen)
				ct_close_all(t, m, &t->threads[i], ev->ts);
		return 0;
	}
	if (t->cfg.only_tid && ev->tid != t->cfg.tid)
		return 0;
	th = ct_thread_get(t, ev,
			   ev->type == HWT_EV_SLICE_BEGIN || ev->type == HWT_EV_THREAD ||
				   ev->type == HWT_EV_LOST,
			   &err);
	if (!th)
		return err;
	if (ev->ts > th->last_ts)
		th->last_ts = ev->ts;
	switch (ev->type) {
	case HWT_EV_THREAD:
		th->name = ev->thread.name;
		return 0;
	case HWT_EV_SLICE_BEGIN: {
		uint32_t depth = th->nopen + 1;

		if (hwt_array_grow((void **)&th->open, &th->capopen, depth, sizeof(*th->open)))
			return HWT_E_NOMEM;
		t->calls++;
		/* The caller now has a printed callee: it opens a block. */
		if (depth > 1 && ct_visible(t, depth))
			ct_open_line(t, m, th, depth - 2);
		th->open[th->nopen++] =
			(struct ct_open){ .frame = ev->slice.frame, .begin = ev->ts };
		return 0;
	}
	case HWT_EV_SLICE_END:
		if (th->nopen)
			ct_close(t, m, th, ev->ts, !!(ev->slice.flags & HWT_SLICE_UNFINISHED));
		return 0;
	case HWT_EV_LOST: {
		uint32_t vis = th->nopen;

		if (t->cfg.max_depth && vis > t->cfg.max_depth)
			vis = t->cfg.max_depth;
		/* Inside a call the gap is shown where it happened, in the innermost call
		 * printed; outside any, with the next line of the thread, so a recording
		 * without calls prints nothing. */
		if (vis)
			ct_open_line(t, m, th, vis - 1);
		th->lost_pending++;
		th->lost_count += ev->lost.count;
		th->lost_unknown |= !ev->lost.count;
		if (vis)
			ct_lost_flush(t, m, th, vis);
		return 0;
	}
	case HWT_EV_THREAD_EXIT:
		ct_close_all(t, m, th, ev->ts);
		return 0;
	default:
		return 0;
	}
}

int hwt_calltree_finish(struct hwt_calltree *t, const struct hwt_model *m)
{
	if (!t || !m)
		return HWT_E_INVAL;
	for (uint32_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].nopen)
			ct_close_all(t, m, &t->threads[i], t->threads[i].last_ts);
	for (uint32_t i = 0; t->calls && i < t->nthreads; i++)
		if (t->threads[i].lost_pending)
			ct_lost_flush(t, m, &t->threads[i], 0);
	return 0;
}

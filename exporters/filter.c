/* Export filters: the events of some threads inside a time window, with the slices open across
 * the window's edges cut there, so that timelines and aggregate views see a well-nested stream. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "hwtrace/plugin.h"
#include "core/options.h"
#include "filter.h"

/* A slice open on a thread: what its begin carried. */
struct open_slice {
	uint32_t frame, node;
};

enum { BEFORE, INSIDE, AFTER }; /* where a thread's stream is with respect to the window */

struct fthread {
	uint32_t pid, tid;
	int where;
	struct open_slice *open; /* owned; innermost last */
	uint32_t nopen, capopen;
};

struct hwt_filter {
	struct hwt_filter_config cfg;
	int based;
	uint64_t from, to;	 /* the window in absolute ns, once based */
	struct hwt_idmap index;	 /* pid << 32 | tid -> index + 1 in threads */
	struct fthread *threads; /* owned */
	size_t nthreads, capthreads;
	struct hwt_idmap procs;	    /* pid -> its name (string id), 0 when said */
	struct hwt_idmap kept_pids; /* pids of kept threads -> 1 */
	uint8_t *seen;		    /* owned: per cfg.tids, whether the stream has that thread */
	uint64_t passed, dropped;
};

void hwt_filter_config_init(struct hwt_filter_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

int hwt_filter_parse_tids(const char *text, uint32_t **tids, size_t *n, char *why, size_t whylen)
{
	uint32_t *out = NULL;
	size_t cap = 0, count = 0;
	const char *p = text;

	*tids = NULL;
	*n = 0;
	while (p && *p) {
		char *end;
		unsigned long long v = strtoull(p, &end, 10);

		if (end == p || (*end && *end != ',') || !v || v > UINT32_MAX || *p == '-' ||
		    *p == '+' || *p == ' ') {
			free(out);
			return hwt_fail(why, whylen, HWT_E_INVAL,
					"--tid '%s': give thread ids, e.g. 1234 or 1234,1240",
					text);
		}
		if (HWT_ARRAY_GROW(out, &cap, count + 1)) {
			free(out);
			return HWT_E_NOMEM;
		}
		out[count++] = (uint32_t)v;
		p = *end ? end + 1 : end;
		if (*end && !*p)
			p = NULL; /* a trailing comma */
	}
	if (!count) {
		free(out);
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"--tid '%s': give thread ids, e.g. 1234 or 1234,1240",
				text ? text : "");
	}
	*tids = out;
	*n = count;
	return 0;
}

/* One end of the window: a time with a unit, into *@ns. */
static int parse_end(const char *text, size_t len, uint64_t *ns)
{
	static const struct hwt_option opt = { .name = "time", .type = HWT_OPT_DURATION };
	struct hwt_option_value v = { 0 };
	char buf[64], why[128];

	if (!len || len >= sizeof(buf))
		return HWT_E_INVAL;
	memcpy(buf, text, len);
	buf[len] = 0;
	if (hwt_option_parse_value(&opt, buf, &v, why, sizeof(why)) || v.i < 0)
		return HWT_E_INVAL;
	*ns = (uint64_t)v.i;
	return 0;
}

int hwt_filter_parse_time(const char *text, struct hwt_filter_config *cfg, char *why, size_t whylen)
{
	const char *colon = text ? strchr(text, ':') : NULL;
	size_t a = colon ? (size_t)(colon - text) : 0, b = colon ? strlen(colon + 1) : 0;

	cfg->has_from = cfg->has_to = 0;
	if (!colon || (!a && !b) || (a && parse_end(text, a, &cfg->from)) ||
	    (b && parse_end(colon + 1, b, &cfg->to)))
		goto bad;
	cfg->has_from = a > 0;
	cfg->has_to = b > 0;
	if (cfg->has_from && cfg->has_to && cfg->to <= cfg->from)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"--time '%s': the end is not after the start", text);
	return 0;
bad:
	cfg->has_from = cfg->has_to = 0;
	return hwt_fail(why, whylen, HWT_E_INVAL,
			"--time '%s': give START:END from the start of the recording, each a "
			"time with a unit (ns, us, ms, s), e.g. 10ms:2s, 1.5s: or :500ms",
			text ? text : "");
}

struct hwt_filter *hwt_filter_alloc(const struct hwt_filter_config *cfg)
{
	struct hwt_filter *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->cfg = *cfg;
	if (cfg->ntids && !(f->seen = calloc(cfg->ntids, 1))) {
		free(f);
		return NULL;
	}
	return f;
}

void hwt_filter_free(struct hwt_filter *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nthreads; i++)
		free(f->threads[i].open);
	free(f->threads);
	hwt_idmap_fini(&f->index);
	hwt_idmap_fini(&f->procs);
	hwt_idmap_fini(&f->kept_pids);
	free(f->seen);
	free(f);
}

void hwt_filter_counts(const struct hwt_filter *f, uint64_t *passed, uint64_t *dropped)
{
	*passed = f ? f->passed : 0;
	*dropped = f ? f->dropped : 0;
}

/* Non-zero if thread @tid is kept; marks it seen. */
static int tid_kept(struct hwt_filter *f, uint32_t tid)
{
	if (!f->cfg.ntids)
		return 1;
	for (size_t i = 0; i < f->cfg.ntids; i++)
		if (f->cfg.tids[i] == tid)
			return f->seen[i] = 1;
	return 0;
}

uint32_t hwt_filter_unseen_tid(const struct hwt_filter *f)
{
	for (size_t i = 0; f && i < f->cfg.ntids; i++)
		if (!f->seen[i])
			return f->cfg.tids[i];
	return 0;
}

static int pid_kept(const struct hwt_filter *f, uint32_t pid)
{
	return !f->cfg.ntids || !pid || hwt_idmap_find(&f->kept_pids, pid);
}

/* The state of thread (@pid, @tid), created; NULL when out of memory. */
static struct fthread *thread_of(struct hwt_filter *f, uint32_t pid, uint32_t tid)
{
	int created = 0;
	uint32_t *slot = hwt_idmap_put(&f->index, (uint64_t)pid << 32 | tid, &created);

	if (!slot)
		return NULL;
	if (created) {
		if (HWT_ARRAY_GROW(f->threads, &f->capthreads, f->nthreads + 1))
			return NULL; /* the slot stays 0: found again as absent */
		f->threads[f->nthreads] = (struct fthread){ .pid = pid, .tid = tid };
		*slot = (uint32_t)++f->nthreads;
	}
	return *slot ? &f->threads[*slot - 1] : NULL;
}

static int emit_slice(hwt_filter_emit_fn emit, void *ctx, const struct hwt_model *m,
		      const struct fthread *t, enum hwt_event_type type, const struct open_slice *s,
		      uint64_t ts, uint32_t flags)
{
	struct hwt_event ev = { .type = type, .pid = t->pid, .tid = t->tid, .ts = ts };

	ev.slice.frame = s->frame;
	ev.slice.node = s->node;
	ev.slice.flags = flags;
	return emit(ctx, m, &ev);
}

/* @t's stream enters the window: what is open begins again at its start. */
static int enter(struct hwt_filter *f, const struct hwt_model *m, struct fthread *t,
		 hwt_filter_emit_fn emit, void *ctx)
{
	int rc;

	t->where = INSIDE;
	for (uint32_t i = 0; i < t->nopen; i++)
		if ((rc = emit_slice(emit, ctx, m, t, HWT_EV_SLICE_BEGIN, &t->open[i], f->from,
				     0)) < 0)
			return rc;
	return 0;
}

/* @t's stream leaves the window: what is open ends at its end, unfinished. */
static int leave(struct hwt_filter *f, const struct hwt_model *m, struct fthread *t,
		 hwt_filter_emit_fn emit, void *ctx)
{
	int rc;

	if (t->where == BEFORE && t->nopen && (rc = enter(f, m, t, emit, ctx)) < 0)
		return rc;
	t->where = AFTER;
	for (uint32_t i = t->nopen; i-- > 0;)
		if ((rc = emit_slice(emit, ctx, m, t, HWT_EV_SLICE_END, &t->open[i], f->to,
				     HWT_SLICE_UNFINISHED)) < 0)
			return rc;
	return 0;
}

/* Follows a slice event of @t (kept) on its shadow stack. */
static int track_slice(struct fthread *t, const struct hwt_event *ev)
{
	if (ev->type == HWT_EV_SLICE_BEGIN) {
		if (HWT_ARRAY_GROW(t->open, &t->capopen, t->nopen + 1))
			return HWT_E_NOMEM;
		t->open[t->nopen++] = (struct open_slice){ ev->slice.frame, ev->slice.node };
	} else if (ev->type == HWT_EV_SLICE_END && t->nopen) {
		t->nopen--;
	} else if (ev->type == HWT_EV_THREAD_EXIT) {
		t->nopen = 0;
	}
	return 0;
}

/* Where @ts lies: -1 before the window, 0 inside, 1 after. */
static int window_side(const struct hwt_filter *f, uint64_t ts)
{
	if (f->cfg.has_from && ts < f->from)
		return -1;
	if (f->cfg.has_to && ts >= f->to)
		return 1;
	return 0;
}

static void set_base(struct hwt_filter *f, const struct hwt_model *m, uint64_t ts)
{
	const char *start = hwt_model_meta(m, "start_monotonic");
	uint64_t base = start ? strtoull(start, NULL, 10) : ts;

	f->based = 1;
	f->from = base + f->cfg.from;
	f->to = base + f->cfg.to;
}

/* A kept thread's naming event: its process is kept, and named if it was not yet. */
static int thread_named(struct hwt_filter *f, const struct hwt_model *m, const struct hwt_event *ev,
			hwt_filter_emit_fn emit, void *ctx)
{
	int created = 0;
	uint32_t *kept = hwt_idmap_put(&f->kept_pids, ev->pid, &created), *name;
	struct hwt_event pev = {
		.type = HWT_EV_PROCESS, .pid = ev->pid, .tid = ev->pid, .ts = ev->ts
	};
	int rc;

	if (!kept)
		return HWT_E_NOMEM;
	*kept = 1;
	name = hwt_idmap_find(&f->procs, ev->pid);
	if (!name || !*name)
		return 0;
	pev.proc.name = *name;
	*name = 0;
	if ((rc = emit(ctx, m, &pev)) < 0)
		return rc;
	f->passed++;
	return 0;
}

/* Process and thread names, and process exits: @pass set when @ev goes out. */
static int process_event(struct hwt_filter *f, const struct hwt_model *m,
			 const struct hwt_event *ev, hwt_filter_emit_fn emit, void *ctx, int *pass)
{
	uint32_t *name;
	int created = 0, side, rc;

	switch (ev->type) {
	case HWT_EV_PROCESS:
		/* Said now if a thread of it is kept, else when one is. */
		*pass = !f->cfg.ntids || pid_kept(f, ev->pid);
		if (!*pass) {
			if (!(name = hwt_idmap_put(&f->procs, ev->pid, &created)))
				return HWT_E_NOMEM;
			*name = ev->proc.name;
		}
		return 0;
	case HWT_EV_THREAD:
		*pass = tid_kept(f, ev->tid);
		return *pass && f->cfg.ntids ? thread_named(f, m, ev, emit, ctx) : 0;
	default: /* HWT_EV_PROCESS_EXIT: its threads' slices end with it. */
		side = window_side(f, ev->ts);
		for (size_t i = 0; side <= 0 && i < f->nthreads; i++) {
			struct fthread *t = &f->threads[i];

			if (t->pid != ev->pid || t->where == AFTER)
				continue;
			/* Open since before the window, they show in it until the exit. */
			if (!side && t->where == BEFORE && (rc = enter(f, m, t, emit, ctx)) < 0)
				return rc;
			t->nopen = 0;
		}
		*pass = pid_kept(f, ev->pid) && !side;
		return 0;
	}
}

/* The thread an event belongs to: its own, or none (0) for process-wide and global ones. */
static uint32_t event_tid(const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr;

	if (ev->type == HWT_EV_COUNTER || ev->type == HWT_EV_OBJECT) {
		tr = hwt_model_track(m, ev->type == HWT_EV_COUNTER ? ev->counter.track
								   : ev->object.track);
		return tr ? tr->tid : 0;
	}
	return ev->tid;
}

int hwt_filter_event(struct hwt_filter *f, const struct hwt_model *m, const struct hwt_event *ev,
		     hwt_filter_emit_fn emit, void *ctx)
{
	struct fthread *t;
	uint32_t tid;
	int pass = 0, side, rc;

	if (!f->based)
		set_base(f, m, ev->ts);
	side = window_side(f, ev->ts);
	if (ev->type == HWT_EV_PROCESS || ev->type == HWT_EV_THREAD ||
	    ev->type == HWT_EV_PROCESS_EXIT) {
		if ((rc = process_event(f, m, ev, emit, ctx, &pass)) < 0)
			return rc;
	} else if (!(tid = event_tid(m, ev))) {
		pass = pid_kept(f, ev->pid) && !side;
	} else if (tid_kept(f, tid)) {
		if (!(t = thread_of(f, ev->pid, tid)))
			return HWT_E_NOMEM;
		/* Crossing an edge of the window first re-begins or ends what is open. */
		if (!side && t->where == BEFORE && (rc = enter(f, m, t, emit, ctx)) < 0)
			return rc;
		if (side > 0 && t->where != AFTER && (rc = leave(f, m, t, emit, ctx)) < 0)
			return rc;
		if ((rc = track_slice(t, ev)) < 0)
			return rc;
		pass = !side;
	}
	if (!pass) {
		f->dropped++;
		return 0;
	}
	f->passed++;
	return emit(ctx, m, ev);
}

int hwt_filter_finish(struct hwt_filter *f, const struct hwt_model *m, hwt_filter_emit_fn emit,
		      void *ctx)
{
	int rc;

	/* Slices still open on threads whose stream ended before the window's end (or before its
	 * start) end at the window's end; without one, the exporters end them at the thread's
	 * last event. */
	for (size_t i = 0; f->based && f->cfg.has_to && i < f->nthreads; i++)
		if (f->threads[i].where != AFTER && f->threads[i].nopen &&
		    (rc = leave(f, m, &f->threads[i], emit, ctx)) < 0)
			return rc;
	return 0;
}

/* The uftrace-like call tree of traced calls (hwtrace inspect), printed as the slices come, over
 * the shadow stack of slice_track. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "outbuf.h"
#include "slice_track.h"
#include "slices.h"

/* What the call tree keeps of a thread, beside its open slices (whose aux says whether their
 * "name() {" line is out). */
struct ct_thread {
	uint32_t name;
	int headed; /* its "# thread" line is out */
	/* Lost markers seen while no call was open, printed before the thread's next line. */
	uint64_t lost_pending, lost_count;
	int lost_unknown;
};

/* A frame's name as lines show it, looked up once: "()" follows it unless it has parentheses
 * (demangled C++ names carry their parameters). */
struct ct_name {
	const char *s; /* borrowed from the model; NULL: not looked up yet */
	uint32_t len;
	int parens;
};

struct hwt_calltree {
	struct hwt_calltree_config cfg;
	struct hwt_outbuf ob;  /* the lines, on their way to cfg.out */
	struct ct_name *names; /* owned: by frame id */
	size_t capnames;
	struct hwt_slice_track *track;
	const struct hwt_model *m;   /* of the event being printed, for the track's hooks */
	struct hwt_idmap proc_names; /* pid -> string id */
	uint64_t calls;
	int headed; /* the column header is out */
};

static const struct hwt_slice_track_ops ct_track_ops;

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
	t->cfg.compensate = NULL;
	if (!t->cfg.out)
		t->cfg.out = stdout;
	t->track = hwt_slice_track_alloc(&ct_track_ops, t, sizeof(struct ct_thread));
	if (!t->track || hwt_outbuf_init(&t->ob, t->cfg.out)) {
		hwt_calltree_free(t);
		return NULL;
	}
	hwt_slice_track_compensate(t->track, cfg->compensate);
	return t;
}

void hwt_calltree_free(struct hwt_calltree *t)
{
	if (!t)
		return;
	hwt_slice_track_free(t->track);
	hwt_idmap_fini(&t->proc_names);
	hwt_outbuf_fini(&t->ob);
	free(t->names);
	free(t);
}

uint64_t hwt_calltree_calls(const struct hwt_calltree *t)
{
	return t ? t->calls : 0;
}

static const char *plural(uint64_t n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void ct_lost_flush(struct hwt_calltree *t, const struct hwt_model *m,
			  struct hwt_track_thread *th, uint32_t indent);

/* Indents up to this many spaces are written in one fixed-size fill. */
#define CT_INDENT_FAST 128

/* Starts a line of @th: the duration column (@dur when @has_dur), the tid, @indent levels; the
 * text and the newline are the caller's. The headers and lost markers the thread still owes go
 * first. */
static void ct_line_start(struct hwt_calltree *t, const struct hwt_model *m,
			  struct hwt_track_thread *th, int has_dur, uint64_t dur, uint32_t indent)
{
	struct ct_thread *ct = hwt_track_thread_data(th);
	char d[HWT_DURATION_LEN], *p;
	size_t n = 0;

	if (!t->headed) {
		t->headed = 1;
		hwt_outbuf_printf(&t->ob, "#%10s %8s   %s\n", "DURATION", "TID", "FUNCTION");
	}
	if (!ct->headed) {
		const uint32_t *pname = hwt_idmap_find(&t->proc_names, th->pid);
		const char *name = hwt_model_str(m, ct->name ? ct->name : pname ? *pname : 0);

		ct->headed = 1;
		hwt_outbuf_printf(&t->ob, "# thread %" PRIu32 "%s%s%s, process %" PRIu32 "\n",
				  th->tid, *name ? " (" : "", name, *name ? ")" : "", th->pid);
	}
	if (ct->lost_pending)
		ct_lost_flush(t, m, th, indent);
	if (has_dur)
		n = (size_t)(hwt_duration_put(d, dur) - d);
	/* " %10s [%6u] | " */
	/* Fixed-size copies and fills, longer than needed (the room is there and what follows
	 * overwrites the excess), cost less than exact ones of a varying size. */
	p = hwt_outbuf_room(&t->ob, 64 + CT_INDENT_FAST);
	if (!p)
		return;
	if (n <= 10) {
		memset(p, ' ', 16);
		if (n)
			memcpy(p + 11 - n, d, sizeof(d));
		p += 11;
	} else {
		*p++ = ' ';
		memcpy(p, d, n);
		p += n;
	}
	memcpy(p, " [", 2);
	p = hwt_fmt_u64_pad(p + 2, th->tid, 6);
	memcpy(p, "] | ", 4);
	p += 4;
	if (2 * (size_t)indent <= CT_INDENT_FAST) {
		memset(p, ' ', CT_INDENT_FAST);
		hwt_outbuf_commit(&t->ob, p + 2 * indent);
	} else {
		hwt_outbuf_commit(&t->ob, p);
		hwt_outbuf_spaces(&t->ob, 2 * (size_t)indent);
	}
}

static void ct_lost_flush(struct hwt_calltree *t, const struct hwt_model *m,
			  struct hwt_track_thread *th, uint32_t indent)
{
	struct ct_thread *ct = hwt_track_thread_data(th);
	uint64_t n = ct->lost_count;
	int unknown = ct->lost_unknown;

	ct->lost_pending = 0;
	ct->lost_count = 0;
	ct->lost_unknown = 0;
	ct_line_start(t, m, th, 0, 0, indent);
	if (!n)
		hwt_outbuf_str(&t->ob, "[lost records]\n");
	else
		hwt_outbuf_printf(&t->ob, "[lost %s%" PRIu64 " %s]\n", unknown ? "at least " : "",
				  n, plural(n, "record", "records"));
}

static int ct_visible(const struct hwt_calltree *t, uint32_t depth)
{
	return !t->cfg.max_depth || depth <= t->cfg.max_depth;
}

/* The name of frame @frame (of @m) as lines show it; NULL when out of memory. */
static const struct ct_name *ct_name(struct hwt_calltree *t, const struct hwt_model *m,
				     uint32_t frame)
{
	struct ct_name *n;

	if (frame >= hwt_model_nframes(m))
		frame = HWT_NONE; /* "[unknown]", as the model says of a frame it lacks */
	if (frame >= t->capnames) {
		size_t old = t->capnames;

		if (HWT_ARRAY_GROW(t->names, &t->capnames, (size_t)frame + 1))
			return NULL;
		memset(t->names + old, 0, (t->capnames - old) * sizeof(*t->names));
	}
	n = &t->names[frame];
	if (!n->s) {
		n->s = hwt_model_frame_name(m, frame);
		n->len = (uint32_t)strlen(n->s);
		n->parens = !strchr(n->s, '(');
	}
	return n;
}

/* Appends the name of @n, "()" after it when @parens and it needs them. */
static void ct_put_name(struct hwt_calltree *t, const struct ct_name *n, int parens)
{
	hwt_outbuf_mem(&t->ob, n->s, n->len);
	if (parens && n->parens)
		hwt_outbuf_mem(&t->ob, "()", 2);
}

/* Prints the "name() {" line of the open call at index @i of @th if it is not out yet. */
static int ct_open_line(struct hwt_calltree *t, const struct hwt_model *m,
			struct hwt_track_thread *th, uint32_t i)
{
	struct hwt_open_slice *o = &th->open[i];
	const struct ct_name *name;

	if (o->aux)
		return 0;
	name = ct_name(t, m, o->frame);
	if (!name)
		return HWT_E_NOMEM;
	o->aux = 1;
	ct_line_start(t, m, th, 0, 0, i);
	ct_put_name(t, name, 1);
	hwt_outbuf_mem(&t->ob, " {\n", 3);
	return 0;
}

static int ct_begin(void *ctx, struct hwt_track_thread *th, struct hwt_open_slice *o)
{
	struct hwt_calltree *t = ctx;
	uint32_t depth = th->nopen;

	t->calls++;
	/* The caller now has a printed callee: it opens a block. */
	if (depth > 1 && ct_visible(t, depth))
		return ct_open_line(t, t->m, th, depth - 2);
	return 0;
}

static int ct_end(void *ctx, struct hwt_track_thread *th, struct hwt_open_slice *o, uint64_t ts,
		  uint32_t flags)
{
	struct hwt_calltree *t = ctx;
	uint32_t depth = th->nopen;
	const struct ct_name *name;
	int unfinished = !!(flags & HWT_SLICE_UNFINISHED);

	if (!ct_visible(t, depth))
		return 0;
	name = ct_name(t, t->m, o->frame);
	if (!name)
		return HWT_E_NOMEM;
	ct_line_start(t, t->m, th, 1, ts - o->begin, depth - 1);
	if (o->aux) {
		hwt_outbuf_mem(&t->ob, "} /* ", 5);
		ct_put_name(t, name, 0);
		if (unfinished)
			hwt_outbuf_str(&t->ob, ": no return seen");
		hwt_outbuf_mem(&t->ob, " */\n", 4);
	} else {
		ct_put_name(t, name, 1);
		hwt_outbuf_char(&t->ob, ';');
		if (unfinished)
			hwt_outbuf_str(&t->ob, " /* no return seen */");
		hwt_outbuf_char(&t->ob, '\n');
	}
	return 0;
}

static const struct hwt_slice_track_ops ct_track_ops = {
	.begin = ct_begin,
	.end = ct_end,
};

/* A lost marker: inside a call the gap is shown where it happened, in the innermost call
 * printed; outside any, with the next line of the thread, so a recording without calls prints
 * nothing. */
static int ct_lost(struct hwt_calltree *t, const struct hwt_model *m, struct hwt_track_thread *th,
		   const struct hwt_event *ev)
{
	struct ct_thread *ct = hwt_track_thread_data(th);
	uint32_t vis = th->nopen;

	if (t->cfg.max_depth && vis > t->cfg.max_depth)
		vis = t->cfg.max_depth;
	if (vis && ct_open_line(t, m, th, vis - 1))
		return HWT_E_NOMEM;
	ct->lost_pending++;
	ct->lost_count += ev->lost.count;
	ct->lost_unknown |= !ev->lost.count;
	if (vis)
		ct_lost_flush(t, m, th, vis);
	return 0;
}

int hwt_calltree_event(struct hwt_calltree *t, const struct hwt_model *m,
		       const struct hwt_event *ev)
{
	struct hwt_track_thread *th;
	uint32_t *slot;
	int rc;

	if (!t || !m || !ev)
		return HWT_E_INVAL;
	t->m = m;
	if (ev->type == HWT_EV_PROCESS) {
		slot = hwt_idmap_put(&t->proc_names, ev->pid, NULL);
		if (!slot)
			return HWT_E_NOMEM;
		*slot = ev->proc.name;
		return 0;
	}
	if (ev->type != HWT_EV_PROCESS_EXIT && t->cfg.only_tid && ev->tid != t->cfg.tid)
		return 0;
	if (ev->type == HWT_EV_THREAD || ev->type == HWT_EV_LOST) {
		th = hwt_slice_track_thread(t->track, ev->pid, ev->tid, 1);
		if (!th)
			return HWT_E_NOMEM;
		if (ev->ts > th->last_ts)
			th->last_ts = ev->ts;
		if (ev->type == HWT_EV_THREAD)
			((struct ct_thread *)hwt_track_thread_data(th))->name = ev->thread.name;
		else if ((rc = ct_lost(t, m, th, ev)))
			return rc;
		return t->ob.err;
	}
	if ((rc = hwt_slice_track_event(t->track, ev)))
		return rc;
	return t->ob.err;
}

int hwt_calltree_finish(struct hwt_calltree *t, const struct hwt_model *m)
{
	int rc;

	if (!t || !m)
		return HWT_E_INVAL;
	t->m = m;
	if ((rc = hwt_slice_track_finish(t->track)))
		return rc;
	for (uint32_t i = 0; t->calls && i < hwt_slice_track_nthreads(t->track); i++) {
		struct hwt_track_thread *th = hwt_slice_track_at(t->track, i);

		if (((struct ct_thread *)hwt_track_thread_data(th))->lost_pending)
			ct_lost_flush(t, m, th, 0);
	}
	return hwt_outbuf_flush(&t->ob);
}

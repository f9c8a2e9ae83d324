/* Chrome exporter: the event stream as Trace Event Format JSON (object form), written as the
 * events arrive, with sampled stacks in a "stackFrames" table at the end; value trees (instant
 * and slice arguments, object snapshots) as nested JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"
#include "chrome_internal.h"
#include "value_walk.h"
#include "builtin.h"

/* Microseconds with nanosecond precision, without going through a double. */
static inline char *fmt_ts(char *p, uint64_t ns)
{
	p = hwt_fmt_u64(p, ns / 1000);
	*p++ = '.';
	return hwt_fmt_fixed(p, ns % 1000, 3);
}

static void put_ts(struct hwt_outbuf *b, uint64_t ns)
{
	char *p = hwt_outbuf_room(b, HWT_FMT_INT_MAX + 4);

	if (p)
		hwt_outbuf_commit(b, fmt_ts(p, ns));
}

/* @len bytes of @s as the inside of a JSON string; invalid UTF-8 becomes U+FFFD. */
static void put_json_chars(struct hwt_outbuf *b, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		const unsigned char *run = p;
		size_t n;

		/* Printable ASCII goes as it is, a run at a time. */
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run)
			hwt_outbuf_mem(b, run, (size_t)(p - run));
		if (p == end)
			break;
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p++ };

			hwt_outbuf_mem(b, e, 2);
		} else if (*p < 0x20) {
			char e[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };

			hwt_outbuf_mem(b, e, 6);
			p++;
		} else if ((n = hwt_utf8_len(p, (size_t)(end - p)))) {
			hwt_outbuf_mem(b, p, n);
			p += n;
		} else {
			hwt_outbuf_str(b, "\\ufffd");
			p++;
		}
	}
}

static void put_json_str(struct hwt_outbuf *b, const char *s)
{
	hwt_outbuf_char(b, '"');
	put_json_chars(b, s, strlen(s));
	hwt_outbuf_char(b, '"');
}

void ch_put_json_str(struct chrome *c, const char *s)
{
	put_json_str(&c->ob, s);
}

static void put_number(struct hwt_outbuf *b, double v)
{
	if (!isfinite(v))
		hwt_outbuf_str(b, "null");
	else if (fabs(v) < 9e15 && v == (double)(int64_t)v) /* range first: no cast overflows */
		hwt_outbuf_i64(b, (int64_t)v);
	else
		hwt_outbuf_printf(b, "%.17g", v);
}

/* A value of a tree as JSON: a map item's key first, a comma before all but the first item. */
static int json_value(void *ctx, const struct hwt_value *v, uint32_t depth, uint32_t index)
{
	struct hwt_outbuf *b = ctx;

	if (index)
		hwt_outbuf_char(b, ',');
	if (v->key) {
		hwt_outbuf_char(b, '"');
		put_json_chars(b, v->key, v->keylen);
		hwt_outbuf_str(b, "\":");
	}
	switch (v->tag) {
	case HWT_VAL_NULL:
		hwt_outbuf_str(b, "null");
		break;
	case HWT_VAL_FALSE:
	case HWT_VAL_TRUE:
		hwt_outbuf_str(b, v->i ? "true" : "false");
		break;
	case HWT_VAL_INT:
		hwt_outbuf_i64(b, v->i);
		break;
	case HWT_VAL_DOUBLE:
		put_number(b, v->d);
		break;
	case HWT_VAL_STRING:
		hwt_outbuf_char(b, '"');
		put_json_chars(b, v->s, v->n);
		hwt_outbuf_char(b, '"');
		break;
	case HWT_VAL_LIST:
		hwt_outbuf_char(b, '[');
		break;
	case HWT_VAL_MAP:
		hwt_outbuf_char(b, '{');
		break;
	}
	return 0;
}

static int json_end(void *ctx, uint8_t tag, uint32_t depth)
{
	hwt_outbuf_char(ctx, tag == HWT_VAL_LIST ? ']' : '}');
	return 0;
}

static const struct hwt_value_walk_ops json_ops = {
	.value = json_value,
	.end = json_end,
};

/* ,"args":{...} with the entries of the tree @args (@len bytes), nothing when it is empty. */
static int put_args(struct chrome *c, const uint8_t *args, size_t len)
{
	uint32_t index = 0;
	int rc;

	if (!len)
		return 0;
	if ((rc = hwt_value_check(args, len)))
		return rc;
	ch_put_str(c, ",\"args\":{");
	rc = hwt_value_walk_args(args, len, &json_ops, &c->ob, &index);
	ch_put_str(c, "}");
	return rc;
}

/* ,"args":{...} with what the slice @s of @t was given (nothing if none), then forgets them. */
static int put_slice_args(struct chrome *c, struct hwt_track_thread *t, struct hwt_open_slice *s,
			  uint32_t flags)
{
	uint32_t index = 0;
	int rc;

	if (!hwt_slice_args_any(t, s) && !(flags & HWT_SLICE_UNFINISHED))
		return 0;
	ch_put_str(c, ",\"args\":{");
	/* A call whose return was never seen says so, as inspect's "(unfinished)" does. */
	if (flags & HWT_SLICE_UNFINISHED) {
		ch_put_str(c, "\"unfinished\":true");
		index = 1;
	}
	rc = hwt_slice_args_walk(t, s, &json_ops, &c->ob, &index);
	ch_put_str(c, "}");
	hwt_slice_args_clear(t, s);
	return rc;
}

void ch_event_begin(struct chrome *c, const char *ph, const char *name, uint32_t pid, uint32_t tid,
		    const char *cat)
{
	/* speedscope takes the file for a Chrome profile only when its first event has a
	 * category. */
	if (!c->nevents && !cat)
		cat = "hwtrace";
	ch_put_str(c, c->nevents++ ? ",\n{\"ph\":\"" : "{\"ph\":\"");
	ch_put_str(c, ph);
	ch_put_str(c, "\",\"name\":");
	ch_put_json_str(c, name);
	ch_put_str(c, ",\"pid\":");
	ch_put_u64(c, pid);
	ch_put_str(c, ",\"tid\":");
	ch_put_u64(c, tid);
	if (cat) {
		ch_put_str(c, ",\"cat\":");
		ch_put_json_str(c, cat);
	}
}

void ch_event_ts(struct chrome *c, uint64_t ts)
{
	ch_put_str(c, ",\"ts\":");
	put_ts(&c->ob, ts);
}

/* Names up to this long are copied with one fixed-size copy. */
#define CH_COPY 64
/* Frame @frame's name as a JSON string, escaped the first time it is asked for; NULL when out
 * of memory. A frame the model lacks is "[unknown]", as frame 0. */
static const struct ch_name *frame_name(struct chrome *c, uint32_t frame)
{
	struct ch_name *n;

	if (frame >= hwt_model_nframes(c->m))
		frame = HWT_NONE;
	if (frame >= c->capnames) {
		size_t old = c->capnames;

		if (HWT_ARRAY_GROW(c->names, &c->capnames, (size_t)frame + 1))
			return NULL;
		memset(c->names + old, 0, (c->capnames - old) * sizeof(*c->names));
	}
	n = &c->names[frame];
	if (!n->len) {
		size_t off = c->names_text.len;

		put_json_str(&c->names_text, hwt_model_frame_name(c->m, frame));
		/* Room behind the last name, for slice_head()'s fixed-size copies. */
		if (!hwt_outbuf_room(&c->names_text, CH_COPY))
			return NULL;
		n->off = off;
		n->len = (uint32_t)(c->names_text.len - off);
	}
	return n;
}

/* The start of a slice's event on @t: phase @ph, the name of @frame, the thread's ids, @ts and,
 * when @has_dur, the duration @dur; each name escaped once and each thread's ids written once.
 * The file's first event goes the long way (it carries a category). */
static int slice_head(struct chrome *c, struct hwt_track_thread *t, char ph, uint32_t frame,
		      uint64_t ts, int has_dur, uint64_t dur)
{
	static const char head[] = ",\n{\"ph\":\"X\",\"name\":", ts_key[] = ",\"ts\":",
			  dur_key[] = ",\"dur\":";
	struct ch_thread *ct = hwt_track_thread_data(t);
	const struct ch_name *name;
	char *p;

	if (!c->nevents) {
		char phs[2] = { ph, '\0' };

		ch_event_begin(c, phs, hwt_model_frame_name(c->m, frame), t->pid, t->tid, NULL);
		ch_event_ts(c, ts);
		if (has_dur) {
			ch_put_str(c, dur_key);
			put_ts(&c->ob, dur);
		}
		return c->ob.err;
	}
	name = frame_name(c, frame);
	if (!name)
		return HWT_E_NOMEM;
	if (!ct->nids)
		ct->nids = (uint32_t)snprintf(ct->ids, sizeof(ct->ids), ",\"pid\":%u,\"tid\":%u",
					      t->pid, t->tid);
	p = hwt_outbuf_room(&c->ob, sizeof(head) + (name->len > CH_COPY ? name->len : CH_COPY) +
					    sizeof(ct->ids) +
					    2 * (sizeof(dur_key) + HWT_FMT_INT_MAX + 4));
	if (!p)
		return c->ob.err;
	c->nevents++;
	memcpy(p, head, sizeof(head) - 1);
	p[9] = ph; /* the X of head */
	p += sizeof(head) - 1;
	/* Copies of a fixed size, past the end (the room and the sources have it; what follows
	 * overwrites it), cost less than exact ones of a varying size. */
	if (name->len <= CH_COPY)
		memcpy(p, c->names_text.buf + name->off, CH_COPY);
	else
		memcpy(p, c->names_text.buf + name->off, name->len);
	p += name->len;
	memcpy(p, ct->ids, sizeof(ct->ids));
	p += ct->nids;
	memcpy(p, ts_key, sizeof(ts_key) - 1);
	p = fmt_ts(p + sizeof(ts_key) - 1, ts);
	if (has_dur) {
		memcpy(p, dur_key, sizeof(dur_key) - 1);
		p = fmt_ts(p + sizeof(dur_key) - 1, dur);
	}
	hwt_outbuf_commit(&c->ob, p);
	return 0;
}

/* Writes the held-back begin of @t as a "B" event, with the arguments its slice has so far. */
static int flush_pending(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t)
{
	struct ch_thread *ct = hwt_track_thread_data(t);
	int rc;

	/* Held back only while its slice is open (no slice open: t->open may be NULL). */
	if (!ct->pending || !t->nopen) {
		ct->pending = 0;
		return 0;
	}
	ct->pending = 0;
	struct hwt_open_slice *s = &t->open[t->nopen - 1];
	c->m = m;
	if ((rc = slice_head(c, t, 'B', s->frame, s->begin, 0, 0)))
		return rc;
	rc = put_slice_args(c, t, s, 0);
	ch_put_str(c, "}");
	return rc;
}

static int ch_slice_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	((struct ch_thread *)hwt_track_thread_data(t))->pending = 1;
	return 0;
}

static int ch_slice_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s,
			uint64_t ts, uint32_t flags)
{
	struct chrome *c = ctx;
	struct ch_thread *ct = hwt_track_thread_data(t);
	int rc;

	if (ct->pending) {
		ct->pending = 0;
		if ((rc = slice_head(c, t, 'X', s->frame, s->begin, 1, ts - s->begin)))
			return rc;
	} else {
		/* The name is repeated on "E" for viewers that match by name; arguments given
		 * after the "B" was written go here, and the viewers merge them into the slice. */
		if ((rc = slice_head(c, t, 'E', s->frame, ts, 0, 0)))
			return rc;
	}
	rc = put_slice_args(c, t, s, flags);
	ch_put_str(c, "}");
	return rc;
}

static const struct hwt_slice_track_ops ch_track_ops = {
	.begin = ch_slice_begin,
	.end = ch_slice_end,
	.keep_args = 1,
};

static int process_exit(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev)
{
	char name[64];
	const char *sig = hwt_signal_name(ev->exit.signal);
	uint32_t i;

	int rc;

	for (i = 0; i < hwt_slice_track_nthreads(c->track); i++) {
		struct hwt_track_thread *t = hwt_slice_track_at(c->track, i);

		if (t->pid == ev->pid && (rc = flush_pending(c, m, t)))
			return rc;
	}
	if ((rc = hwt_slice_track_event(c->track, ev)))
		return rc;
	if (ev->exit.signal && sig)
		snprintf(name, sizeof(name), "crash: %s", sig);
	else if (ev->exit.signal)
		snprintf(name, sizeof(name), "crash: signal %d", ev->exit.signal);
	else
		snprintf(name, sizeof(name), "exit %d", ev->exit.status);
	ch_event_begin(c, "i", name, ev->pid, ev->tid ? ev->tid : ev->pid, NULL);
	ch_event_ts(c, ev->ts);
	hwt_outbuf_printf(&c->ob, ",\"s\":\"p\",\"args\":{\"status\":%d,\"signal\":%d}}",
			  ev->exit.status, ev->exit.signal);
	return 0;
}

/* A sample twice: a "P" event naming its stack in "stackFrames" (chrome://tracing), and in its
 * thread's CPU profile (speedscope, Perfetto, DevTools; see chrome_profile.c). */
static int sample(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev,
		  struct hwt_track_thread *t)
{
	uint32_t i;

	ch_event_begin(c, "P", "sample", ev->pid, ev->tid, NULL);
	ch_event_ts(c, ev->ts);
	ch_put_str(c, ",\"sf\":");
	ch_put_u64(c, ev->sample.stack);
	if (ev->sample.weights && hwt_model_nweights(m)) {
		ch_put_str(c, ",\"args\":{");
		for (i = 0; i < hwt_model_nweights(m); i++) {
			const char *name = hwt_model_str(m, hwt_model_weight(m, i)->name);

			ch_put_str(c, i ? ",\"" : "\"");
			put_json_chars(&c->ob, name, strlen(name));
			ch_put_str(c, "\":");
			ch_put_u64(c, ev->sample.weights[i]);
		}
		ch_put_str(c, "}");
	}
	ch_put_str(c, "}");
	return t ? ch_profile_sample(c, m, t, ev) : 0;
}

/* A counter value: "C" on its process (pid 0: global); a thread's counter is its own series
 * (an "id") of its process's counter. */
static int counter(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr = hwt_model_track(m, ev->counter.track);

	if (!tr)
		return HWT_E_INVAL;
	ch_event_begin(c, "C", hwt_model_str(m, tr->name), tr->pid, tr->tid ? tr->tid : tr->pid,
		       NULL);
	ch_event_ts(c, ev->ts);
	if (tr->tid) {
		ch_put_str(c, ",\"id\":\"");
		ch_put_u64(c, tr->tid);
		ch_put_str(c, "\"");
	}
	ch_put_str(c, ",\"args\":{\"value\":");
	put_number(&c->ob, ev->counter.value);
	ch_put_str(c, "}}");
	return 0;
}

/* An instant with its arguments, scoped to its thread, its process (tid 0) or all (pid 0). */
static int instant(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev)
{
	const char *scope = !ev->pid ? "g" : !ev->tid ? "p" : "t";
	int rc;

	/* Checked before a byte of the event is written. */
	if ((rc = hwt_value_check(ev->instant.args, ev->instant.args_len)))
		return rc;
	ch_event_begin(c, "i", ev->instant.name ? hwt_model_str(m, ev->instant.name) : "instant",
		       ev->pid, ev->tid ? ev->tid : ev->pid, NULL);
	ch_event_ts(c, ev->ts);
	ch_put_str(c, ",\"s\":\"");
	ch_put_str(c, scope);
	ch_put_str(c, "\"");
	rc = put_args(c, ev->instant.args, ev->instant.args_len);
	ch_put_str(c, "}");
	return rc;
}

/* The fields an object's events share: name, pid, tid, ts and id (the track's, in hex). */
static void object_head(struct chrome *c, const char *ph, const struct hwt_model *m,
			const struct hwt_track *tr, uint32_t track, uint64_t ts)
{
	ch_event_begin(c, ph, hwt_model_str(m, tr->name), tr->pid, tr->tid ? tr->tid : tr->pid,
		       NULL);
	ch_event_ts(c, ts);
	hwt_outbuf_printf(&c->ob, ",\"id\":\"0x%x\"", track);
}

/* A snapshot of the object of its track: "N" (created) before the first, then "O". */
static int object(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr = hwt_model_track(m, ev->object.track);
	int rc;

	if (!tr || tr->kind != HWT_TRACK_OBJECT)
		return HWT_E_INVAL;
	if ((rc = hwt_value_check(ev->object.value, ev->object.len)))
		return rc;
	if (!hwt_bitset_test(&c->objects, ev->object.track)) {
		if (hwt_bitset_set(&c->objects, ev->object.track))
			return HWT_E_NOMEM;
		object_head(c, "N", m, tr, ev->object.track, ev->ts);
		ch_put_str(c, "}");
	}
	object_head(c, "O", m, tr, ev->object.track, ev->ts);
	ch_put_str(c, ",\"args\":{\"snapshot\":");
	if (!ev->object.len)
		ch_put_str(c, "{}");
	rc = hwt_value_walk(ev->object.value, ev->object.len, &json_ops, &c->ob);
	ch_put_str(c, "}}");
	return rc;
}

/* One end of a flow, bound to the slice open around it ("bp":"e"). A thread with none open,
 * and a process's or the machine's flow (tid 0; shown on the main thread), get a slice of no
 * duration named after the flow, in category "flow", for it to bind to. @t: the event's thread,
 * NULL for tid 0. */
static int flow(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev,
		struct hwt_track_thread *t)
{
	static const char *const ph[] = {
		[HWT_FLOW_OUT] = "s", [HWT_FLOW_STEP] = "t", [HWT_FLOW_IN] = "f"
	};
	const char *name = ev->flow.name ? hwt_model_str(m, ev->flow.name) : "flow";
	uint32_t tid = ev->tid ? ev->tid : ev->pid;

	if (ev->flow.phase < HWT_FLOW_OUT || ev->flow.phase > HWT_FLOW_IN)
		return HWT_E_INVAL;
	if (!t || !t->nopen) { /* an anchor, in the flow's category: not the program's */
		ch_event_begin(c, "X", name, ev->pid, tid, "flow");
		ch_event_ts(c, ev->ts);
		ch_put_str(c, ",\"dur\":0}");
	}
	ch_event_begin(c, ph[ev->flow.phase], name, ev->pid, tid, NULL);
	ch_event_ts(c, ev->ts);
	hwt_outbuf_printf(&c->ob, ",\"cat\":\"flow\",\"id\":\"0x%llx\",\"bp\":\"e\"}",
			  (unsigned long long)ev->flow.id);
	return 0;
}

static void lost(struct chrome *c, const struct hwt_event *ev)
{
	char name[48];

	if (ev->lost.count)
		snprintf(name, sizeof(name), "lost %llu records",
			 (unsigned long long)ev->lost.count);
	else
		snprintf(name, sizeof(name), "lost records");
	ch_event_begin(c, "i", name, ev->pid, ev->tid, NULL);
	ch_event_ts(c, ev->ts);
	ch_put_str(c, ",\"s\":\"t\",\"args\":{\"count\":");
	ch_put_u64(c, ev->lost.count);
	ch_put_str(c, "}}");
}

static void name_meta(struct chrome *c, const char *what, uint32_t pid, uint32_t tid,
		      const char *name)
{
	/* A time of 0 as Chrome writes them: importers that sort the events by time (speedscope)
	 * compare numbers only. */
	ch_event_begin(c, "M", what, pid, tid, "__metadata");
	ch_put_str(c, ",\"ts\":0");
	ch_put_str(c, ",\"args\":{\"name\":");
	ch_put_json_str(c, name);
	ch_put_str(c, "}}");
}

static int ch_event(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct chrome *c;
	struct hwt_track_thread *t = NULL;
	int rc = 0;

	if (!e || !m || !ev)
		return HWT_E_INVAL;
	c = container_of(e, struct chrome, base);
	c->m = m;
	/* Events of a thread come after the begin it holds back; events of no thread (process and
	 * global ones) do not touch the threads. */
	if (ev->type != HWT_EV_PROCESS && ev->type != HWT_EV_PROCESS_EXIT && ev->tid) {
		t = hwt_slice_track_thread(c->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		if (ev->type != HWT_EV_SLICE_END && ev->type != HWT_EV_SLICE_ARGS &&
		    (rc = flush_pending(c, m, t)))
			return rc;
	}
	switch (ev->type) {
	case HWT_EV_PROCESS:
		name_meta(c, "process_name", ev->pid, ev->pid, hwt_model_str(m, ev->proc.name));
		break;
	case HWT_EV_THREAD:
		name_meta(c, "thread_name", ev->pid, ev->tid, hwt_model_str(m, ev->thread.name));
		break;
	case HWT_EV_THREAD_EXIT:
	case HWT_EV_SLICE_BEGIN:
	case HWT_EV_SLICE_END:
	case HWT_EV_SLICE_ARGS:
		rc = hwt_slice_track_event(c->track, ev);
		break;
	case HWT_EV_PROCESS_EXIT:
		rc = process_exit(c, m, ev);
		break;
	case HWT_EV_SAMPLE:
		if (!ev->sample.stack)
			break;
		if (hwt_bitset_set(&c->sampled, ev->sample.stack))
			return HWT_E_NOMEM;
		rc = sample(c, m, ev, t);
		break;
	case HWT_EV_COUNTER:
		rc = counter(c, m, ev);
		break;
	case HWT_EV_INSTANT:
		rc = instant(c, m, ev);
		break;
	case HWT_EV_LOST:
		lost(c, ev);
		break;
	case HWT_EV_OBJECT:
		rc = object(c, m, ev);
		break;
	case HWT_EV_FLOW:
		rc = flow(c, m, ev, t);
		break;
	}
	if (rc < 0)
		return rc;
	return c->ob.err;
}

static void put_meta(const char *key, const char *value, void *ctx)
{
	struct chrome *c = ctx;

	ch_put_str(c, c->nevents++ ? ",\n" : "\n");
	ch_put_json_str(c, key);
	ch_put_str(c, ":");
	ch_put_json_str(c, value);
}

/* The "stackFrames" table: every sampled node and its callers. */
static int put_stack_frames(struct chrome *c, const struct hwt_model *m)
{
	struct hwt_bitset all = { 0 };
	uint32_t id, n = hwt_model_nstacks(m), count = 0;

	for (id = 1; id < n; id++) {
		uint32_t node = id;

		if (!hwt_bitset_test(&c->sampled, id))
			continue;
		while (node && !hwt_bitset_test(&all, node)) {
			const struct hwt_stack_node *s = hwt_model_stack(m, node);

			if (!s || hwt_bitset_set(&all, node)) {
				hwt_bitset_fini(&all);
				return s ? HWT_E_NOMEM : HWT_E_INVAL;
			}
			node = s->parent;
		}
	}
	ch_put_str(c, "\"stackFrames\":{");
	for (id = 1; id < n; id++) {
		const struct hwt_stack_node *s;
		const struct hwt_frame *fr;
		const struct hwt_mapping *map;
		const char *cat = "unknown";

		if (!hwt_bitset_test(&all, id))
			continue;
		s = hwt_model_stack(m, id);
		fr = hwt_model_frame(m, s->frame);
		map = fr ? hwt_model_mapping(m, fr->mapping) : NULL;
		if (fr && fr->kind == HWT_FRAME_KERNEL) {
			cat = "kernel";
		} else if (map && map->path) {
			cat = strrchr(hwt_model_str(m, map->path), '/');
			cat = cat ? cat + 1 : hwt_model_str(m, map->path);
		}
		ch_put_str(c, count++ ? ",\n\"" : "\n\"");
		ch_put_u64(c, id);
		ch_put_str(c, "\":{\"name\":");
		ch_put_json_str(c, hwt_model_frame_name(m, s->frame));
		ch_put_str(c, ",\"category\":");
		ch_put_json_str(c, cat);
		if (s->parent) {
			ch_put_str(c, ",\"parent\":\"");
			ch_put_u64(c, s->parent);
			ch_put_str(c, "\"");
		}
		ch_put_str(c, "}");
	}
	ch_put_str(c, "}");
	hwt_bitset_fini(&all);
	return 0;
}

static int ch_finish(struct hwt_exporter *e, const struct hwt_model *m)
{
	struct chrome *c;
	uint32_t i;
	int rc;

	if (!e || !m)
		return HWT_E_INVAL;
	c = container_of(e, struct chrome, base);
	/* Slices still open stay open ("B" without "E"): the viewers show them as unfinished. */
	for (i = 0; i < hwt_slice_track_nthreads(c->track); i++) {
		struct hwt_track_thread *t = hwt_slice_track_at(c->track, i);

		if ((rc = flush_pending(c, m, t)) || (rc = ch_profile_flush(c, m, t)))
			return rc;
	}
	ch_put_str(c, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{");
	c->nevents = 0;
	hwt_model_meta_foreach(m, put_meta, c);
	ch_put_str(c, "},\n");
	if ((rc = put_stack_frames(c, m)))
		return rc;
	ch_put_str(c, "}\n");
	if (hwt_outbuf_flush(&c->ob))
		return c->ob.err;
	if (fflush(c->out) || ferror(c->out))
		return HWT_E_IO;
	return 0;
}

static void ch_destroy(struct hwt_exporter *e);

static struct hwt_exporter *ch_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	struct chrome *c =
		hwt_exporter_alloc(sizeof(*c), &hwt_chrome_exporter, cfg, m, err, why, whylen);

	if (!c)
		return NULL;
	c->track = hwt_slice_track_alloc(&ch_track_ops, c, sizeof(struct ch_thread));
	if (!c->track || hwt_outbuf_init(&c->ob, cfg->out) ||
	    hwt_outbuf_init(&c->names_text, NULL)) {
		ch_destroy(&c->base);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	c->m = m;
	c->out = cfg->out;
	ch_put_str(c, "{\"traceEvents\":[\n");
	*err = 0;
	return &c->base;
}

static void ch_destroy(struct hwt_exporter *e)
{
	struct chrome *c;
	uint32_t i;

	if (!e)
		return;
	c = container_of(e, struct chrome, base);
	for (i = 0; c->track && i < hwt_slice_track_nthreads(c->track); i++)
		ch_profile_fini(hwt_slice_track_at(c->track, i));
	hwt_slice_track_free(c->track);
	free(c->scratch);
	free(c->names);
	hwt_outbuf_fini(&c->ob);
	hwt_outbuf_fini(&c->names_text);
	hwt_bitset_fini(&c->sampled);
	hwt_bitset_fini(&c->objects);
	free(c);
}

const struct hwt_exporter_ops hwt_chrome_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "chrome",
	.exts = ".json",
	.summary = "Chrome Trace Event Format JSON (chrome://tracing, Perfetto UI, speedscope)",
	.create = ch_create,
	.event = ch_event,
	.finish = ch_finish,
	.destroy = ch_destroy,
};

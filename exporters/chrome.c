/* Chrome exporter: the event stream as Trace Event Format JSON (object form), written as the
 * events arrive, with sampled stacks in a "stackFrames" table at the end. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"
#include "slice_track.h"
#include "builtin.h"
#include "core/format/value.h"

/* What chrome keeps of a thread, beside its open slices: the innermost begin is held back, and
 * if its end comes next it becomes one "X" event. */
struct ch_thread {
	int pending;
};

struct chrome {
	struct hwt_exporter base;
	FILE *out;
	int nevents;
	struct hwt_slice_track *track;
	const struct hwt_model *m; /* of the event being written, for the track's hooks */
	struct hwt_bitset sampled; /* stack nodes samples refer to */
};

/* The output is only ever written from one thread: skip stdio's locking. */
static void put_str(FILE *f, const char *s)
{
	fputs_unlocked(s, f);
}

static void put_u64(FILE *f, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fputs_unlocked(p, f);
}

/* Microseconds with nanosecond precision, without going through a double. */
static void put_ts(FILE *f, uint64_t ns)
{
	char frac[5] = { '.', (char)('0' + ns / 100 % 10), (char)('0' + ns / 10 % 10),
			 (char)('0' + ns % 10), '\0' };

	put_u64(f, ns / 1000);
	fputs_unlocked(frac, f);
}

/* @len bytes of @s as the inside of a JSON string; invalid UTF-8 becomes U+FFFD. */
static void put_json_chars(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;

	while (p < end) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			putc_unlocked('\\', f);
			putc_unlocked(*p++, f);
		} else if (*p < 0x20) {
			fprintf(f, "\\u%04x", *p++);
		} else if ((n = hwt_utf8_len(p, (size_t)(end - p)))) {
			fwrite_unlocked(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
}

static void put_json_str(FILE *f, const char *s)
{
	putc_unlocked('"', f);
	put_json_chars(f, s, strlen(s));
	putc_unlocked('"', f);
}

static void put_number(FILE *f, double v)
{
	if (!isfinite(v))
		fputs("null", f);
	else if (v == (double)(int64_t)v && fabs(v) < 9e15)
		fprintf(f, "%lld", (long long)v);
	else
		fprintf(f, "%.17g", v);
}

/* Starts one event object with its phase, name, pid and tid. */
static void event_begin(struct chrome *c, const char *ph, const char *name, uint32_t pid,
			uint32_t tid)
{
	FILE *f = c->out;

	put_str(f, c->nevents++ ? ",\n{\"ph\":\"" : "{\"ph\":\"");
	put_str(f, ph);
	put_str(f, "\",\"name\":");
	put_json_str(f, name);
	put_str(f, ",\"pid\":");
	put_u64(f, pid);
	put_str(f, ",\"tid\":");
	put_u64(f, tid);
}

static void event_ts(struct chrome *c, uint64_t ts)
{
	put_str(c->out, ",\"ts\":");
	put_ts(c->out, ts);
}

/* Writes the held-back begin of @t as a "B" event. */
static void flush_pending(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t)
{
	struct ch_thread *ct = hwt_track_thread_data(t);
	const struct hwt_open_slice *s = &t->open[t->nopen - 1];

	if (!ct->pending)
		return;
	ct->pending = 0;
	event_begin(c, "B", hwt_model_frame_name(m, s->frame), t->pid, t->tid);
	event_ts(c, s->begin);
	put_str(c->out, "}");
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
	const char *name = hwt_model_frame_name(c->m, s->frame);

	if (ct->pending) {
		ct->pending = 0;
		event_begin(c, "X", name, t->pid, t->tid);
		event_ts(c, s->begin);
		put_str(c->out, ",\"dur\":");
		put_ts(c->out, ts - s->begin);
		put_str(c->out, "}");
		return 0;
	}
	/* The name is repeated on "E" for viewers that match by name. */
	event_begin(c, "E", name, t->pid, t->tid);
	event_ts(c, ts);
	put_str(c->out, "}");
	return 0;
}

static const struct hwt_slice_track_ops ch_track_ops = {
	.begin = ch_slice_begin,
	.end = ch_slice_end,
};

/* The value tree @tree (a map) as a JSON object: "{...}". */
static void put_tree(FILE *f, const uint8_t *tree, size_t len)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc, first = 1;

	hwt_value_reader_init(&r, tree, len);
	while ((rc = hwt_value_next(&r, &v)) != 0 && rc >= -1) {
		if (rc == -1) {
			put_str(f, v.tag == HWT_VAL_MAP ? "}" : "]");
			first = 0;
			continue;
		}
		if (!first)
			put_str(f, ",");
		first = 0;
		if (v.key) {
			put_str(f, "\"");
			put_json_chars(f, v.key, v.keylen);
			put_str(f, "\":");
		}
		switch (v.tag) {
		case HWT_VAL_NULL:
			put_str(f, "null");
			break;
		case HWT_VAL_FALSE:
		case HWT_VAL_TRUE:
			put_str(f, v.i ? "true" : "false");
			break;
		case HWT_VAL_INT:
			fprintf(f, "%" PRId64, v.i);
			break;
		case HWT_VAL_DOUBLE:
			put_number(f, v.d);
			break;
		case HWT_VAL_STRING:
			put_str(f, "\"");
			put_json_chars(f, v.s, v.n);
			put_str(f, "\"");
			break;
		default: /* a list or a map opens */
			put_str(f, v.tag == HWT_VAL_MAP ? "{" : "[");
			first = 1;
		}
	}
}

static void process_exit(struct chrome *c, const struct hwt_model *m, const struct hwt_event *ev)
{
	char name[64];
	const char *sig = hwt_signal_name(ev->exit.signal);
	uint32_t i;

	for (i = 0; i < hwt_slice_track_nthreads(c->track); i++) {
		struct hwt_track_thread *t = hwt_slice_track_at(c->track, i);

		if (t->pid == ev->pid)
			flush_pending(c, m, t);
	}
	hwt_slice_track_event(c->track, ev);
	if (ev->exit.signal && sig)
		snprintf(name, sizeof(name), "crash: %s", sig);
	else if (ev->exit.signal)
		snprintf(name, sizeof(name), "crash: signal %d", ev->exit.signal);
	else
		snprintf(name, sizeof(name), "exit %d", ev->exit.status);
	event_begin(c, "i", name, ev->pid, ev->tid ? ev->tid : ev->pid);
	event_ts(c, ev->ts);
	fprintf(c->out, ",\"s\":\"p\",\"args\":{\"status\":%d,\"signal\":%d}}", ev->exit.status,
		ev->exit.signal);
}

static int ch_event(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct chrome *c;
	struct hwt_track_thread *t = NULL;
	const struct hwt_track *tr;
	FILE *f;
	uint32_t i;

	if (!e || !m || !ev)
		return HWT_E_INVAL;
	c = container_of(e, struct chrome, base);
	c->m = m;
	f = c->out;
	if (ev->type != HWT_EV_PROCESS && ev->type != HWT_EV_PROCESS_EXIT) {
		t = hwt_slice_track_thread(c->track, ev->pid, ev->tid, 1);
		if (!t)
			return HWT_E_NOMEM;
		if (ev->type != HWT_EV_SLICE_END)
			flush_pending(c, m, t);
	}
	switch (ev->type) {
	case HWT_EV_PROCESS:
		event_begin(c, "M", "process_name", ev->pid, ev->pid);
		put_str(f, ",\"args\":{\"name\":");
		put_json_str(f, hwt_model_str(m, ev->proc.name));
		put_str(f, "}}");
		break;
	case HWT_EV_THREAD:
		event_begin(c, "M", "thread_name", ev->pid, ev->tid);
		put_str(f, ",\"args\":{\"name\":");
		put_json_str(f, hwt_model_str(m, ev->thread.name));
		put_str(f, "}}");
		break;
	case HWT_EV_THREAD_EXIT:
	case HWT_EV_SLICE_BEGIN:
	case HWT_EV_SLICE_END:
		hwt_slice_track_event(c->track, ev);
		break;
	case HWT_EV_PROCESS_EXIT:
		process_exit(c, m, ev);
		break;
	case HWT_EV_SAMPLE:
		if (!ev->sample.stack)
			break;
		if (hwt_bitset_set(&c->sampled, ev->sample.stack))
			return HWT_E_NOMEM;
		event_begin(c, "P", "sample", ev->pid, ev->tid);
		event_ts(c, ev->ts);
		put_str(f, ",\"sf\":");
		put_u64(f, ev->sample.stack);
		if (ev->sample.weights && hwt_model_nweights(m)) {
			put_str(f, ",\"args\":{");
			for (i = 0; i < hwt_model_nweights(m); i++) {
				put_str(f, i ? ",\"" : "\"");
				put_json_chars(
					f, hwt_model_str(m, hwt_model_weight(m, i)->name),
					strlen(hwt_model_str(m, hwt_model_weight(m, i)->name)));
				put_str(f, "\":");
				put_u64(f, ev->sample.weights[i]);
			}
			put_str(f, "}");
		}
		put_str(f, "}");
		break;
	case HWT_EV_COUNTER:
		tr = hwt_model_track(m, ev->counter.track);
		if (!tr)
			return HWT_E_INVAL;
		event_begin(c, "C", hwt_model_str(m, tr->name), tr->pid ? tr->pid : ev->pid,
			    tr->tid ? tr->tid : ev->tid);
		event_ts(c, ev->ts);
		if (tr->tid) {
			/* A thread's counter is its own series of the process's counter. */
			put_str(f, ",\"id\":\"");
			put_u64(f, tr->tid);
			put_str(f, "\"");
		}
		put_str(f, ",\"args\":{\"value\":");
		put_number(f, ev->counter.value);
		put_str(f, "}}");
		break;
	case HWT_EV_INSTANT:
		event_begin(c, "i",
			    ev->instant.name ? hwt_model_str(m, ev->instant.name) : "instant",
			    ev->pid, ev->tid);
		event_ts(c, ev->ts);
		put_str(f, ",\"s\":\"t\"");
		if (ev->instant.args_len) {
			put_str(f, ",\"args\":");
			put_tree(f, ev->instant.args, ev->instant.args_len);
		}
		put_str(f, "}");
		break;
	case HWT_EV_LOST: {
		char name[48];

		if (ev->lost.count)
			snprintf(name, sizeof(name), "lost %llu records",
				 (unsigned long long)ev->lost.count);
		else
			snprintf(name, sizeof(name), "lost records");
		event_begin(c, "i", name, ev->pid, ev->tid);
		event_ts(c, ev->ts);
		put_str(f, ",\"s\":\"t\",\"args\":{\"count\":");
		put_u64(f, ev->lost.count);
		put_str(f, "}}");
		break;
	}
	case HWT_EV_OBJECT:
	case HWT_EV_FLOW:
	case HWT_EV_SLICE_ARGS:
		break; /* not shown yet */
	}
	return ferror(f) ? HWT_E_IO : 0;
}

static void put_meta(const char *key, const char *value, void *ctx)
{
	struct chrome *c = ctx;

	put_str(c->out, c->nevents++ ? ",\n" : "\n");
	put_json_str(c->out, key);
	put_str(c->out, ":");
	put_json_str(c->out, value);
}

/* The "stackFrames" table: every sampled node and its callers. */
static int put_stack_frames(struct chrome *c, const struct hwt_model *m)
{
	struct hwt_bitset all = { 0 };
	uint32_t id, n = hwt_model_nstacks(m), count = 0;
	FILE *f = c->out;

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
	put_str(f, "\"stackFrames\":{");
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
		put_str(f, count++ ? ",\n\"" : "\n\"");
		put_u64(f, id);
		put_str(f, "\":{\"name\":");
		put_json_str(f, hwt_model_frame_name(m, s->frame));
		put_str(f, ",\"category\":");
		put_json_str(f, cat);
		if (s->parent) {
			put_str(f, ",\"parent\":\"");
			put_u64(f, s->parent);
			put_str(f, "\"");
		}
		put_str(f, "}");
	}
	put_str(f, "}");
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
	for (i = 0; i < hwt_slice_track_nthreads(c->track); i++)
		flush_pending(c, m, hwt_slice_track_at(c->track, i));
	put_str(c->out, "\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{");
	c->nevents = 0;
	hwt_model_meta_foreach(m, put_meta, c);
	put_str(c->out, "},\n");
	if ((rc = put_stack_frames(c, m)))
		return rc;
	put_str(c->out, "}\n");
	if (fflush(c->out) || ferror(c->out))
		return HWT_E_IO;
	return 0;
}

static struct hwt_exporter *ch_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	struct chrome *c =
		hwt_exporter_alloc(sizeof(*c), &hwt_chrome_exporter, cfg, m, err, why, whylen);

	if (!c)
		return NULL;
	c->track = hwt_slice_track_alloc(&ch_track_ops, c, sizeof(struct ch_thread));
	if (!c->track) {
		free(c);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	c->out = cfg->out;
	put_str(c->out, "{\"traceEvents\":[\n");
	*err = 0;
	return &c->base;
}

static void ch_destroy(struct hwt_exporter *e)
{
	struct chrome *c;

	if (!e)
		return;
	c = container_of(e, struct chrome, base);
	hwt_slice_track_free(c->track);
	hwt_bitset_fini(&c->sampled);
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

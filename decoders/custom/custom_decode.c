/* The generic decoder of the host's stream ("hwt.custom", core/format/custom_format.h): counter
 * and object tracks, values and snapshots, instants, spans and flows become model tracks and
 * events, whatever plugin or program made them. */
#include "decoders/internal.h"
#include "core/format/custom_format.h"
#include "core/format/value.h"

struct cdec {
	struct hwt_decoder *d;
	uint32_t source;
	uint32_t *tracks; /* host track id -> model track id (0: not declared) */
	uint32_t ntracks, cap_tracks;
	struct hwt_idmap cursors; /* tid -> index in nodes: the innermost open span's node */
	uint32_t *nodes;
	uint32_t nnodes, cap_nodes;
	uint8_t marker[1024]; /* a marker's arguments, while its event is out */
	uint8_t *shown;	      /* a snapshot with its paths as shown, while its event is out */
	size_t cap_shown;
};

static int declare(struct cdec *c, const struct hwt_custom_rec *rec, const uint8_t *body)
{
	uint32_t head[4] = { 0 },
		 kind = rec->type == HWT_CR_COUNTER_TRACK ? HWT_TRACK_COUNTER : HWT_TRACK_OBJECT;
	size_t nhead = kind == HWT_TRACK_COUNTER ? 16 : 8;
	const char *name, *unit = "";
	long off;

	if (rec->len < nhead)
		return 0;
	memcpy(head, body, nhead);
	if ((off = hwt_custom_str(body, rec->len, nhead, &name)) < 0 ||
	    (kind == HWT_TRACK_COUNTER && hwt_custom_str(body, rec->len, (size_t)off, &unit) < 0))
		return 0; /* damaged: its values will find no track */
	if (!head[0] || head[0] > (1u << 24) ||
	    HWT_ARRAY_GROW(c->tracks, &c->cap_tracks, head[0] + 1))
		return head[0] ? HWT_E_NOMEM : 0;
	while (c->ntracks <= head[0])
		c->tracks[c->ntracks++] = 0;
	int64_t sname = hwt_model_intern_str(c->d->m, name);
	int64_t sunit = hwt_model_intern_str(c->d->m, unit);
	if (sname < 0 || sunit < 0)
		return HWT_E_NOMEM;
	struct hwt_track t = {
		.name = (uint32_t)sname,
		.unit = (uint32_t)sunit,
		.pid = (uint32_t)rec->pid,
		.tid = (uint32_t)rec->tid,
		.cumulative = kind == HWT_TRACK_COUNTER && (head[2] & HWT_CR_CUMULATIVE),
		.kind = kind,
	};
	int64_t id = hwt_model_add_track(c->d->m, &t);
	if (id < 0)
		return (int)id;
	c->tracks[head[0]] = (uint32_t)id;
	return 0;
}

/* Tracks are declared as the stream is read, before any value is put in time order: a value
 * may carry a time earlier than its track's declaration. */
static int cd_split(void *st, uint64_t item_ts, const uint8_t *data, size_t len)
{
	struct cdec *c = st;
	struct hwt_custom_rec rec;
	const uint8_t *body;
	long n;
	int err = 0;

	while (!err && (n = hwt_custom_next(data, len, &rec, &body)) > 0) {
		if (rec.type == HWT_CR_COUNTER_TRACK || rec.type == HWT_CR_OBJECT_TRACK)
			err = declare(c, &rec, body);
		else
			err = hwt_dec_queue(c->d, rec.ts, -1, HWT_ITEM_SOURCE, c->source, data,
					    (size_t)n);
		data += n;
		len -= (size_t)n;
	}
	return err;
}

static uint32_t track_of(const struct cdec *c, const uint8_t *body, uint32_t len)
{
	uint32_t id;

	if (len < 8)
		return 0;
	memcpy(&id, body, 4);
	return id < c->ntracks ? c->tracks[id] : 0;
}

/* The span cursor of thread @tid. */
static uint32_t *cursor(struct cdec *c, uint32_t tid)
{
	int created;
	uint32_t *slot = hwt_idmap_put(&c->cursors, tid, &created);

	if (!slot)
		return NULL;
	if (created) {
		if (HWT_ARRAY_GROW(c->nodes, &c->cap_nodes, c->nnodes + 1))
			return NULL;
		*slot = c->nnodes;
		c->nodes[c->nnodes++] = HWT_NONE;
	}
	return &c->nodes[*slot];
}

static int span(struct cdec *c, const struct hwt_custom_rec *rec, const uint8_t *body)
{
	struct hwt_decoder *d = c->d;
	uint32_t pid = (uint32_t)rec->pid, tid = (uint32_t)rec->tid, frame = 0;
	const char *name = "";
	long off = 0;

	if (!tid)
		return 0;
	if (rec->type == HWT_CR_SPAN_BEGIN) {
		if ((off = hwt_custom_str(body, rec->len, 0, &name)) < 0)
			return 0;
		int64_t sid = hwt_model_intern_str(d->m, name);
		struct hwt_frame f = { .name = sid > 0 ? (uint32_t)sid : 0,
				       .kind = HWT_FRAME_SPAN };
		int64_t fid = sid >= 0 ? hwt_model_intern_frame(d->m, &f) : sid;
		if (fid < 0)
			return (int)fid;
		frame = (uint32_t)fid;
	}
	uint32_t *cur = cursor(c, tid);
	if (!cur)
		return HWT_E_NOMEM;
	hwt_dec_announce(d, pid, tid, rec->ts);
	struct hwt_event *ev;
	int err = 0;
	if (rec->type == HWT_CR_SPAN_BEGIN) {
		if (!(ev = hwt_dec_emit(d, HWT_EV_SLICE_BEGIN, pid, tid, rec->ts)))
			return HWT_E_NOMEM;
		if ((err = hwt_dec_slice(d, cur, ev, frame)))
			return err;
	}
	if (rec->len > (uint32_t)off && hwt_value_check(body + off, rec->len - (size_t)off) == 0) {
		if (!(ev = hwt_dec_emit(d, HWT_EV_SLICE_ARGS, pid, tid, rec->ts)))
			return HWT_E_NOMEM;
		ev->args.len = rec->len - (uint32_t)off;
		ev->args.args = body + off;
	}
	if (rec->type == HWT_CR_SPAN_END && *cur) {
		const struct hwt_stack_node *s = hwt_model_stack(d->m, *cur);
		if (!(ev = hwt_dec_emit(d, HWT_EV_SLICE_END, pid, tid, rec->ts)))
			return HWT_E_NOMEM;
		err = hwt_dec_slice(d, cur, ev, s ? s->frame : HWT_NONE);
	}
	return err;
}

/* An event of @type at the record's time and thread, the thread announced first, and @name
 * interned (its string id into *@sid). NULL when out of memory. */
static struct hwt_event *named_event(struct cdec *c, const struct hwt_custom_rec *rec,
				     enum hwt_event_type type, const char *name, uint32_t *sid)
{
	int64_t id = hwt_model_intern_str(c->d->m, name);

	if (id < 0)
		return NULL;
	*sid = (uint32_t)id;
	if (rec->tid)
		hwt_dec_announce(c->d, (uint32_t)rec->pid, (uint32_t)rec->tid, rec->ts);
	return hwt_dec_emit(c->d, type, (uint32_t)rec->pid, (uint32_t)rec->tid, rec->ts);
}

/* A plugin disabled: a global instant with {plugin, message}. */
static int marker(struct cdec *c, const struct hwt_custom_rec *rec, const uint8_t *body)
{
	const char *plugin, *msg;
	long off = hwt_custom_str(body, rec->len, 0, &plugin);
	char name[160];

	if (off < 0 || hwt_custom_str(body, rec->len, (size_t)off, &msg) < 0)
		return 0;
	snprintf(name, sizeof(name), "plugin %s disabled", plugin);
	struct hwt_value_writer w = { .buf = c->marker, .cap = sizeof(c->marker) };
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, "plugin", plugin);
	hwt_vw_strn(&w, "message", msg, strnlen(msg, 800));
	hwt_vw_end(&w);
	uint32_t sid;
	struct hwt_event *ev = named_event(c, rec, HWT_EV_INSTANT, name, &sid); /* pid 0: global */
	if (!ev)
		return HWT_E_NOMEM;
	ev->instant.name = sid;
	if (!w.bad) {
		ev->instant.args = c->marker;
		ev->instant.args_len = (uint32_t)w.len;
	}
	return 0;
}

static int instant(struct cdec *c, const struct hwt_custom_rec *rec, const uint8_t *body)
{
	const char *name;
	long off = hwt_custom_str(body, rec->len, 0, &name);
	uint32_t sid;

	if (off < 0)
		return 0;
	struct hwt_event *ev = named_event(c, rec, HWT_EV_INSTANT, name, &sid);
	if (!ev)
		return HWT_E_NOMEM;
	ev->instant.name = sid;
	if (rec->len > (uint32_t)off && hwt_value_check(body + off, rec->len - (size_t)off) == 0) {
		ev->instant.args = body + off;
		ev->instant.args_len = rec->len - (uint32_t)off;
	}
	return 0;
}

static int flow(struct cdec *c, const struct hwt_custom_rec *rec, const uint8_t *body)
{
	uint64_t id;
	uint32_t phase, sid;
	const char *name;

	if (rec->len < 16 || hwt_custom_str(body, rec->len, 16, &name) < 0)
		return 0;
	memcpy(&id, body, 8);
	memcpy(&phase, body + 8, 4);
	if (phase < HWT_FLOW_OUT || phase > HWT_FLOW_IN)
		return 0;
	struct hwt_event *ev = named_event(c, rec, HWT_EV_FLOW, name, &sid);
	if (!ev)
		return HWT_E_NOMEM;
	ev->flow.id = id;
	ev->flow.phase = phase;
	ev->flow.name = sid;
	return 0;
}

/* Whether the tree of @len bytes at @tree holds a string that is an absolute path. */
static int holds_path(const uint8_t *tree, size_t len)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc;

	hwt_value_reader_init(&r, tree, len);
	while ((rc = hwt_value_next(&r, &v)) != 0 && rc != HWT_E_CORRUPT)
		if (rc == 1 && v.tag == HWT_VAL_STRING && v.n && v.s[0] == '/')
			return 1;
	return 0;
}

/* One value of a tree copied into @w, a string that is an absolute path as the model shows paths
 * (a mapped file's under -P maps @mapped). 0, or HWT_E_NOMEM. */
static int copy_shown(struct cdec *c, struct hwt_value_writer *w, const struct hwt_value *v,
		      int mapped)
{
	switch (v->tag) {
	case HWT_VAL_INT:
	case HWT_VAL_DOUBLE: {
		uint64_t u;
		if (v->tag == HWT_VAL_INT)
			u = (uint64_t)v->i;
		else
			memcpy(&u, &v->d, 8);
		hwt_vw_headn(w, v->key, v->keylen, v->tag);
		hwt_vw_u64(w, u);
		return 0;
	}
	case HWT_VAL_STRING: {
		const char *s = v->s;
		size_t n = v->n;
		if (n && s[0] == '/') {
			int64_t id = mapped ? hwt_model_intern_mapped_path(c->d->m, s, n)
					    : hwt_model_intern_path(c->d->m, s, n);
			if (id < 0)
				return (int)id;
			s = hwt_model_str(c->d->m, (uint32_t)id);
			n = strlen(s);
		}
		hwt_vw_headn(w, v->key, v->keylen, HWT_VAL_STRING);
		hwt_vw_u32(w, (uint32_t)n);
		if (n)
			hwt_vw_raw(w, s, n);
		return 0;
	}
	case HWT_VAL_LIST:
	case HWT_VAL_MAP:
		hwt_vw_beginn(w, v->key, v->keylen, v->tag);
		return 0;
	default: /* null, false, true: the tag alone */
		hwt_vw_headn(w, v->key, v->keylen, v->tag);
		return 0;
	}
}

/* A snapshot's tree (checked) as it is to be shown: its paths (strings that start with '/': the
 * files of -P maps, the descriptors' targets of -P fds, ...) redacted as every path is, into
 * c->shown, unless the model shows paths as recorded. 0 with *@tree and *@len set, 1 when it
 * cannot be shown (left out), or HWT_E_NOMEM. */
static int shown_tree(struct cdec *c, int mapped, const uint8_t **tree, size_t *len)
{
	if (!hwt_model_redacting(c->d->m) || !holds_path(*tree, *len))
		return 0;
	/* A path shown is its bucket and file name at most: far below 64 times the tree. */
	for (size_t cap = *len * 2 + 256; cap <= *len * 64 + 4096; cap *= 2) {
		if (cap > c->cap_shown) {
			uint8_t *b = realloc(c->shown, cap);
			if (!b)
				return HWT_E_NOMEM;
			c->shown = b;
			c->cap_shown = cap;
		}
		struct hwt_value_writer w = { .buf = c->shown, .cap = cap };
		struct hwt_value_reader r;
		struct hwt_value v;
		int rc, err = 0;
		hwt_value_reader_init(&r, *tree, *len);
		while (!err && (rc = hwt_value_next(&r, &v)) != 0 && rc != HWT_E_CORRUPT)
			err = rc == -1 ? (hwt_vw_end(&w), 0) : copy_shown(c, &w, &v, mapped);
		if (err)
			return err;
		if (!w.bad) {
			*tree = c->shown;
			*len = w.len;
			return 0;
		}
	}
	return 1; /* cannot be shown: left out */
}

static int cd_record(void *st, uint64_t ts, const uint8_t *data, size_t len)
{
	struct cdec *c = st;
	struct hwt_custom_rec rec;
	const uint8_t *body;
	struct hwt_event *ev;
	uint32_t track;

	if (hwt_custom_next(data, len, &rec, &body) <= 0)
		return 0;
	switch (rec.type) {
	case HWT_CR_COUNTER: {
		const struct hwt_track *t =
			hwt_model_track(c->d->m, track = track_of(c, body, rec.len));
		if (!t || t->kind != HWT_TRACK_COUNTER || rec.len < 16)
			return 0;
		if (!(ev = hwt_dec_emit(c->d, HWT_EV_COUNTER, t->pid, t->tid, rec.ts)))
			return HWT_E_NOMEM;
		ev->counter.track = track;
		memcpy(&ev->counter.value, body + 8, 8);
		return 0;
	}
	case HWT_CR_OBJECT: {
		const struct hwt_track *t =
			hwt_model_track(c->d->m, track = track_of(c, body, rec.len));
		if (!t || t->kind != HWT_TRACK_OBJECT || hwt_value_check(body + 8, rec.len - 8))
			return 0;
		const uint8_t *tree = body + 8;
		size_t n = rec.len - 8;
		int err =
			shown_tree(c, !strcmp(hwt_model_str(c->d->m, t->name), "maps"), &tree, &n);
		if (err)
			return err < 0 ? err : 0;
		if (n > UINT32_MAX ||
		    !(ev = hwt_dec_emit(c->d, HWT_EV_OBJECT, t->pid, t->tid, rec.ts)))
			return HWT_E_NOMEM;
		ev->object.track = track;
		ev->object.value = tree;
		ev->object.len = (uint32_t)n;
		return 0;
	}
	case HWT_CR_INSTANT:
		return instant(c, &rec, body);
	case HWT_CR_SPAN_BEGIN:
	case HWT_CR_SPAN_ARGS:
	case HWT_CR_SPAN_END:
		return span(c, &rec, body);
	case HWT_CR_FLOW:
		return flow(c, &rec, body);
	case HWT_CR_MARKER:
		return marker(c, &rec, body);
	case HWT_CR_LOST:
		if (rec.len < 8)
			return 0;
		if (rec.tid)
			hwt_dec_announce(c->d, (uint32_t)rec.pid, (uint32_t)rec.tid, rec.ts);
		if (!(ev = hwt_dec_emit(c->d, HWT_EV_LOST, (uint32_t)rec.pid, (uint32_t)rec.tid,
					rec.ts)))
			return HWT_E_NOMEM;
		memcpy(&ev->lost.count, body, 8);
		return 0;
	default:
		return 0; /* a newer writer's record */
	}
}

/* Spans a thread left open end where it ends. */
static int close_spans(struct cdec *c, uint32_t pid, uint32_t tid, uint32_t *cur, uint64_t ts)
{
	while (*cur) {
		const struct hwt_stack_node *s = hwt_model_stack(c->d->m, *cur);
		struct hwt_event *ev = hwt_dec_emit(c->d, HWT_EV_SLICE_END, pid, tid, ts);
		if (!ev)
			return HWT_E_NOMEM;
		ev->slice.flags = HWT_SLICE_UNFINISHED;
		int err = hwt_dec_slice(c->d, cur, ev, s ? s->frame : HWT_NONE);
		if (err)
			return err;
	}
	return 0;
}

static int cd_thread_end(void *st, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct cdec *c = st;
	uint32_t *slot = hwt_idmap_find(&c->cursors, tid);

	return slot ? close_spans(c, pid, tid, &c->nodes[*slot], ts) : 0;
}

static int cd_finish(void *st, uint64_t ts)
{
	(void)st;
	(void)ts;
	return 0; /* what is open, the exporters close at each thread's last event */
}

static void *cd_create(struct hwt_decoder *d, uint32_t id)
{
	struct cdec *c = calloc(1, sizeof(*c));

	if (c) {
		c->d = d;
		c->source = id;
	}
	return c;
}

static void cd_destroy(void *st)
{
	struct cdec *c = st;

	if (!c)
		return;
	free(c->tracks);
	free(c->nodes);
	free(c->shown);
	hwt_idmap_fini(&c->cursors);
	free(c);
}

static int cd_chunk(void *st, const void *data, size_t len)
{
	(void)st, (void)data, (void)len;
	return 0;
}

const struct hwt_source_ops hwt_custom_source = {
	.name = HWT_CUSTOM_SOURCE,
	.create = cd_create,
	.destroy = cd_destroy,
	.chunk = cd_chunk,
	.split = cd_split,
	.record = cd_record,
	.thread_end = cd_thread_end,
	.finish = cd_finish,
};

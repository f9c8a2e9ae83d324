/* The host's own stream: counter tracks, object snapshots, instants and flows that plugins put
 * on the timeline (plugin.h), encoded as core/format/custom_format.h records. Plugins call these
 * from their poll threads: records gather under the host's lock and the recording loop writes
 * them into the stream once a round (hwt_host_custom_flush()). */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>

#include "hwtrace/error.h"
#include "core/format/custom_format.h"
#include "core/format/value.h"
#include "host_internal.h"
#include "util.h"

/* ---- value trees ----------------------------------------------------------------------- */

struct hwt_args {
	struct hwt_value_writer w; /* into buf; a map is open at the top */
	uint8_t *buf;
	size_t cap;
	int bad; /* out of memory: refused when used */
};

/* Room for @more bytes: the writer never fails for want of space. */
static int args_room(struct hwt_args *a, size_t more)
{
	if (a->w.len + more <= a->cap)
		return 0;
	size_t cap = a->cap ? a->cap : 256;
	while (cap < a->w.len + more)
		cap *= 2;
	uint8_t *p = realloc(a->buf, cap);
	if (!p) {
		a->bad = 1;
		return -1;
	}
	a->buf = a->w.buf = p;
	a->cap = a->w.cap = cap;
	return 0;
}

void hwt_args_reset(struct hwt_args *a)
{
	a->w = (struct hwt_value_writer){ .buf = a->buf, .cap = a->cap };
	a->bad = 0;
	if (!args_room(a, 5))
		hwt_vw_begin(&a->w, NULL, HWT_VAL_MAP);
}

struct hwt_args *hwt_args_new(void)
{
	struct hwt_args *a = calloc(1, sizeof(*a));

	if (a) {
		hwt_args_reset(a);
		if (a->bad) {
			hwt_args_free(a);
			return NULL;
		}
	}
	return a;
}

void hwt_args_free(struct hwt_args *a)
{
	if (a) {
		free(a->buf);
		free(a);
	}
}

/* Room for a value of @body bytes under @key. */
static int args_item(struct hwt_args *a, const char *key, size_t body)
{
	return args_room(a, 4 + (key ? strlen(key) : 0) + 1 + 4 + body);
}

void hwt_args_int(struct hwt_args *a, const char *key, int64_t v)
{
	if (!args_item(a, key, 8))
		hwt_vw_int(&a->w, key, v);
}

void hwt_args_double(struct hwt_args *a, const char *key, double v)
{
	if (!args_item(a, key, 8))
		hwt_vw_double(&a->w, key, v);
}

void hwt_args_str(struct hwt_args *a, const char *key, const char *v)
{
	if (!args_item(a, key, v ? strlen(v) : 0))
		hwt_vw_str(&a->w, key, v);
}

void hwt_args_bool(struct hwt_args *a, const char *key, int v)
{
	if (!args_item(a, key, 0))
		hwt_vw_bool(&a->w, key, v);
}

void hwt_args_null(struct hwt_args *a, const char *key)
{
	if (!args_item(a, key, 0))
		hwt_vw_null(&a->w, key);
}

void hwt_args_map(struct hwt_args *a, const char *key)
{
	if (!args_item(a, key, 0))
		hwt_vw_begin(&a->w, key, HWT_VAL_MAP);
}

void hwt_args_list(struct hwt_args *a, const char *key)
{
	if (!args_item(a, key, 0))
		hwt_vw_begin(&a->w, key, HWT_VAL_LIST);
}

void hwt_args_end(struct hwt_args *a)
{
	/* The map at the top is closed when the tree is used, not by the caller. */
	if (a->w.depth <= 1)
		a->w.bad = 1;
	else
		hwt_vw_end(&a->w);
}

/* The bytes of @a's tree, every open container closed (in the buffer: more can still be
 * added); *len 0 for an empty tree. HWT_E_INVAL for a tree that went wrong. */
static int args_tree(const struct hwt_args *a, const uint8_t **tree, size_t *len)
{
	*tree = NULL;
	*len = 0;
	if (!a)
		return 0;
	if (a->bad || a->w.bad)
		return HWT_E_INVAL;
	struct hwt_value_writer w = a->w;
	while (w.depth)
		hwt_vw_end(&w);
	if (w.len > 5) { /* more than an empty map */
		*tree = w.buf;
		*len = w.len;
	}
	return 0;
}

/* ---- records --------------------------------------------------------------------------- */

uint64_t hwt_host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Appends one record, its body the @n parts (NULL parts are strings' NULs). Under the lock. */
static int put_rec(struct hwt_host *h, uint16_t type, uint64_t ts, int pid, int tid,
		   const struct iovec *parts, int n)
{
	size_t body = 0;

	for (int i = 0; i < n; i++)
		body += parts[i].iov_len;
	if (body > UINT32_MAX / 2) {
		hwt_host_set_error(h, "a record of %zu bytes is too large", body);
		return HWT_E_INVAL;
	}
	size_t size = hwt_custom_size(body);
	if (HWT_ARRAY_GROW(h->custom, &h->capcustom, h->ncustom + size))
		return HWT_E_NOMEM;
	uint8_t *p = h->custom + h->ncustom;
	struct hwt_custom_rec rec = {
		.type = type,
		.len = (uint32_t)body,
		.ts = ts ? ts : hwt_host_now(),
		.pid = pid,
		.tid = tid,
	};
	memcpy(p, &rec, sizeof(rec));
	p += sizeof(rec);
	for (int i = 0; i < n; i++) {
		memcpy(p, parts[i].iov_base, parts[i].iov_len);
		p += parts[i].iov_len;
	}
	memset(p, 0, size - sizeof(rec) - body);
	h->ncustom += size;
	return 0;
}

static struct iovec str_part(const char *s)
{
	return (struct iovec){ (void *)(s ? s : ""), (s ? strlen(s) : 0) + 1 };
}

int hwt_host_custom_append(struct hwt_host *h, const void *recs, size_t len)
{
	hwt_host_lock(h);
	int err = HWT_ARRAY_GROW(h->custom, &h->capcustom, h->ncustom + len);
	if (!err) {
		memcpy(h->custom + h->ncustom, recs, len);
		h->ncustom += len;
	}
	hwt_host_unlock(h);
	return err;
}

/* A scope and its pid/tid as the header carries them. */
static int scope_ids(struct hwt_host *h, uint32_t scope, int *pid, int *tid)
{
	switch (scope) {
	case HWT_SCOPE_GLOBAL:
		*pid = *tid = 0;
		return 0;
	case HWT_SCOPE_PROCESS:
		*tid = 0;
		return *pid > 0 ? 0 : HWT_E_INVAL;
	case HWT_SCOPE_THREAD:
		return *pid > 0 && *tid > 0 ? 0 : HWT_E_INVAL;
	default:
		return HWT_E_INVAL;
	}
}

int hwt_host_counter_track(struct hwt_host *h, const struct hwt_counter_desc *desc)
{
	int pid = desc ? desc->pid : 0, tid = desc ? desc->tid : 0;

	if (!desc || !desc->name || !*desc->name || scope_ids(h, desc->scope, &pid, &tid)) {
		hwt_host_set_error(h, "a counter track needs a name and a scope with its ids");
		return HWT_E_INVAL;
	}
	hwt_host_lock(h);
	uint32_t id = h->ntracks + 1;
	uint32_t head[4] = { id, desc->scope, desc->flags, 0 };
	struct iovec parts[3] = { { head, sizeof(head) },
				  str_part(desc->name),
				  str_part(desc->unit) };
	int err = put_rec(h, HWT_CR_COUNTER_TRACK, 0, pid, tid, parts, 3);
	if (!err)
		h->ntracks = id;
	hwt_host_unlock(h);
	return err ? err : (int)id;
}

static int track_ok(struct hwt_host *h, int track)
{
	if (track > 0 && (uint32_t)track <= h->ntracks)
		return 1;
	hwt_host_set_error(h, "no track %d: declare it first", track);
	return 0;
}

int hwt_host_counters(struct hwt_host *h, int track, size_t n, const uint64_t *ts,
		      const double *values)
{
	int err = 0;

	hwt_host_lock(h);
	if (!track_ok(h, track))
		err = HWT_E_INVAL;
	for (size_t i = 0; i < n && !err; i++) {
		uint32_t head[2] = { (uint32_t)track, 0 };
		struct iovec parts[2] = { { head, sizeof(head) }, { (void *)&values[i], 8 } };
		err = put_rec(h, HWT_CR_COUNTER, ts ? ts[i] : 0, 0, 0, parts, 2);
	}
	hwt_host_unlock(h);
	return err;
}

int hwt_host_counter(struct hwt_host *h, int track, uint64_t ts, double value)
{
	return hwt_host_counters(h, track, 1, &ts, &value);
}

int hwt_host_object_track(struct hwt_host *h, const char *name, uint32_t scope, int pid, int tid)
{
	if (!name || !*name || scope_ids(h, scope, &pid, &tid)) {
		hwt_host_set_error(h, "an object track needs a name and a scope with its ids");
		return HWT_E_INVAL;
	}
	hwt_host_lock(h);
	uint32_t id = h->ntracks + 1;
	uint32_t head[2] = { id, scope };
	struct iovec parts[2] = { { head, sizeof(head) }, str_part(name) };
	int err = put_rec(h, HWT_CR_OBJECT_TRACK, 0, pid, tid, parts, 2);
	if (!err)
		h->ntracks = id;
	hwt_host_unlock(h);
	return err ? err : (int)id;
}

int hwt_host_object(struct hwt_host *h, int track, uint64_t ts, const struct hwt_args *state)
{
	const uint8_t *tree;
	size_t len;
	int err = args_tree(state, &tree, &len);

	if (err) {
		hwt_host_set_error(h, "the object's state is not a well-formed tree");
		return err;
	}
	hwt_host_lock(h);
	if (!track_ok(h, track)) {
		err = HWT_E_INVAL;
	} else {
		uint32_t head[2] = { (uint32_t)track, 0 };
		struct iovec parts[2] = { { head, sizeof(head) }, { (void *)tree, len } };
		err = put_rec(h, HWT_CR_OBJECT, ts, 0, 0, parts, 2);
	}
	hwt_host_unlock(h);
	return err;
}

int hwt_host_instant(struct hwt_host *h, int pid, int tid, uint64_t ts, const char *name,
		     const struct hwt_args *args)
{
	const uint8_t *tree;
	size_t len;
	int err = args_tree(args, &tree, &len);

	if (err || !name || !*name) {
		hwt_host_set_error(h, "an instant needs a name and well-formed arguments");
		return HWT_E_INVAL;
	}
	struct iovec parts[2] = { str_part(name), { (void *)tree, len } };
	hwt_host_lock(h);
	err = put_rec(h, HWT_CR_INSTANT, ts, pid, tid, parts, 2);
	hwt_host_unlock(h);
	return err;
}

int hwt_host_flow(struct hwt_host *h, uint64_t flow, int phase, int pid, int tid, uint64_t ts,
		  const char *name)
{
	if (phase < HWT_FLOW_END_OUT || phase > HWT_FLOW_END_IN || pid <= 0) {
		hwt_host_set_error(h, "a flow's end needs a phase (out, step, in) and a process");
		return HWT_E_INVAL;
	}
	uint32_t head[2] = { (uint32_t)phase, 0 };
	struct iovec parts[3] = { { &flow, 8 }, { head, sizeof(head) }, str_part(name) };
	hwt_host_lock(h);
	int err = put_rec(h, HWT_CR_FLOW, ts, pid, tid, parts, 3);
	hwt_host_unlock(h);
	return err;
}

int hwt_host_marker(struct hwt_host *h, const char *plugin, const char *message)
{
	struct iovec parts[2] = { str_part(plugin), str_part(message) };

	hwt_host_lock(h);
	int err = put_rec(h, HWT_CR_MARKER, 0, 0, 0, parts, 2);
	hwt_host_unlock(h);
	return err;
}

int hwt_host_custom_flush(struct hwt_host *h)
{
	int err = 0;

	hwt_host_lock(h);
	if (h->ncustom && !h->custom_source) {
		int id = hwt_host_add_source(h, HWT_CUSTOM_SOURCE);
		if (id < 0)
			err = id;
		else
			h->custom_source = id;
	}
	/* Items of at most 1 MiB, split between records. */
	for (size_t off = 0; off < h->ncustom && !err;) {
		size_t n = 0;
		struct hwt_custom_rec rec;
		while (off + n < h->ncustom && n < (1u << 20)) {
			memcpy(&rec, h->custom + off + n, sizeof(rec));
			n += hwt_custom_size(rec.len);
		}
		err = hwt_host_stream(h, h->custom_source, h->custom + off, n);
		off += n;
	}
	h->ncustom = 0;
	hwt_host_unlock(h);
	return err;
}

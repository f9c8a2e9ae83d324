/* Perfetto exporter: the event stream as a native Perfetto protobuf trace, written packet by
 * packet on one sequence with interned names, frames and callstacks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "pbuf.h"
#include "aggregate.h"
#include "slice_track.h"
#include "builtin.h"
#include "core/format/value.h"

/* Field numbers from Perfetto's protos/perfetto/trace (trace.proto, trace_packet.proto,
 * clock_snapshot.proto, the track_event, interned_data and profiling folders). */
enum {
	TRACE_PACKET = 1,

	PKT_CLOCK_SNAPSHOT = 6,
	PKT_TIMESTAMP = 8,
	PKT_SEQUENCE_ID = 10,
	PKT_TRACK_EVENT = 11,
	PKT_INTERNED_DATA = 12,
	PKT_SEQUENCE_FLAGS = 13,
	PKT_PREVIOUS_DROPPED = 42,
	PKT_DEFAULTS = 59,
	PKT_TRACK_DESCRIPTOR = 60,
	PKT_PERF_SAMPLE = 66,
	PKT_FIRST_ON_SEQUENCE = 87,

	DEFAULTS_CLOCK_ID = 58,

	SNAP_CLOCKS = 1,
	SNAP_PRIMARY_CLOCK = 2,
	CLOCK_ID = 1,
	CLOCK_TIMESTAMP = 2,

	TD_UUID = 1,
	TD_NAME = 2,
	TD_PROCESS = 3,
	TD_THREAD = 4,
	TD_PARENT_UUID = 5,
	TD_COUNTER = 8,
	PD_PID = 1,
	PD_NAME = 6,
	THD_PID = 1,
	THD_TID = 2,
	THD_NAME = 5,
	CD_UNIT = 3,
	CD_UNIT_NAME = 6,

	TE_DEBUG_ANNOTATIONS = 4,
	TE_TYPE = 9,
	TE_NAME_IID = 10,
	TE_TRACK_UUID = 11,
	TE_NAME = 23,
	TE_COUNTER_VALUE = 30,
	TE_DOUBLE_COUNTER_VALUE = 44,
	DA_BOOL_VALUE = 2,
	DA_INT_VALUE = 4,
	DA_DOUBLE_VALUE = 5,
	DA_STRING_VALUE = 6,
	DA_NAME = 10,

	ID_EVENT_NAMES = 2,
	ID_FUNCTION_NAMES = 5,
	ID_FRAMES = 6,
	ID_CALLSTACKS = 7,
	ID_BUILD_IDS = 16,
	ID_MAPPING_PATHS = 17,
	ID_MAPPINGS = 19,
	IID = 1,
	INTERNED_STR = 2, /* InternedString.str and EventName.name */
	MAP_BUILD_ID = 2,
	MAP_START_OFFSET = 3,
	MAP_START = 4,
	MAP_END = 5,
	MAP_PATH_IDS = 7,
	MAP_EXACT_OFFSET = 8,
	FRAME_FUNCTION_NAME = 2,
	FRAME_MAPPING = 3,
	FRAME_REL_PC = 4,
	FRAME_KIND = 7,
	CALLSTACK_FRAMES = 2,

	PS_PID = 2,
	PS_TID = 3,
	PS_CALLSTACK = 4,
	PS_CPU_MODE = 5,
};

enum {
	SEQ_INCREMENTAL_STATE_CLEARED = 1,
	SEQ_NEEDS_INCREMENTAL_STATE = 2,
	CLOCK_MONOTONIC_ID = 3,
	CLOCK_BOOTTIME_ID = 6,
	TYPE_SLICE_BEGIN = 1,
	TYPE_SLICE_END = 2,
	TYPE_INSTANT = 3,
	TYPE_COUNTER = 4,
	UNIT_TIME_NS = 1,
	UNIT_COUNT = 2,
	UNIT_SIZE_BYTES = 3,
	MODE_KERNEL = 1,
	MODE_USER = 2,
	FRAME_KIND_NATIVE = 1,
	FRAME_KIND_KERNEL = 2,
};

/* Our only packet sequence. */
#define SEQUENCE_ID 1
/* Track uuids: kind in the top bits, then pid and tid (each below 2^30 on Linux). */
#define UUID_PROCESS(pid)     (1ull << 62 | (uint64_t)(pid))
#define UUID_THREAD(pid, tid) (2ull << 62 | (uint64_t)(pid) << 30 | (tid))
/* Events of tid 0 belong to the process as a whole. */
#define UUID_TRACK(pid, tid) ((tid) ? UUID_THREAD(pid, tid) : UUID_PROCESS(pid))
#define UUID_COUNTER(track)  (3ull << 62 | (uint64_t)(track))
/* Interning ids for frames without a mapping: above every model id, which is 32-bit. */
#define PSEUDO_MAP_KERNEL  (1ull << 32 | 1)
#define PSEUDO_MAP_UNKNOWN (1ull << 32 | 2)

/* What perfetto keeps of a thread, beside its open slices. */
struct pf_thread {
	uint32_t name; /* string id last described */
	int described;
};

struct perfetto {
	struct hwt_exporter base;
	FILE *out;
	struct hwt_pbuf pkt;
	int started;

	struct hwt_slice_track *track; /* threads and their open slices */
	const struct hwt_model *m;     /* of the event being written, for the track's hooks */
	struct hwt_idmap procs;	       /* pid -> 1 once described */

	/* Model ids already interned on the sequence, so each is emitted once. */
	struct hwt_bitset names, fnames, frames, stacks, maps, build_ids, paths, tracks;
	int pseudo_maps; /* bit 0: kernel, bit 1: unknown */
	uint32_t *path;
	uint32_t cappath;
};

static void packet_begin(struct perfetto *p, uint64_t ts)
{
	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_varint(&p->pkt, PKT_TIMESTAMP, ts);
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_ID, SEQUENCE_ID);
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
}

/* Writes the packet built in p->pkt as one Trace.packet field. */
static int packet_flush(struct perfetto *p)
{
	uint8_t hdr[11];
	size_t n = 0;
	uint64_t len = p->pkt.len;
	int rc = hwt_pbuf_error(&p->pkt);

	if (rc)
		return rc;
	hdr[n++] = TRACE_PACKET << 3 | 2;
	while (len >= 0x80) {
		hdr[n++] = (uint8_t)(len | 0x80);
		len >>= 7;
	}
	hdr[n++] = (uint8_t)len;
	if (fwrite(hdr, 1, n, p->out) != n ||
	    fwrite(p->pkt.data, 1, p->pkt.len, p->out) != p->pkt.len)
		return HWT_E_IO;
	return 0;
}

/* The clock declaration, then the packet that opens our sequence. Timestamps are
 * CLOCK_MONOTONIC: the snapshot makes it the trace's clock, so nothing is converted. */
static int write_header(struct perfetto *p, uint64_t ts)
{
	int rc;

	p->started = 1;
	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_begin(&p->pkt, PKT_CLOCK_SNAPSHOT);
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_MONOTONIC_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_end(&p->pkt);
	/* The offset to BOOTTIME (time suspended) is not recorded: take it as zero. */
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_BOOTTIME_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_varint(&p->pkt, SNAP_PRIMARY_CLOCK, CLOCK_MONOTONIC_ID);
	hwt_pbuf_end(&p->pkt);
	if ((rc = packet_flush(p)))
		return rc;

	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_varint(&p->pkt, PKT_TIMESTAMP, ts);
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_ID, SEQUENCE_ID);
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	hwt_pbuf_varint(&p->pkt, PKT_PREVIOUS_DROPPED, 1);
	hwt_pbuf_varint(&p->pkt, PKT_FIRST_ON_SEQUENCE, 1);
	hwt_pbuf_begin(&p->pkt, PKT_DEFAULTS);
	hwt_pbuf_varint(&p->pkt, DEFAULTS_CLOCK_ID, CLOCK_MONOTONIC_ID);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static int describe_process(struct perfetto *p, const struct hwt_model *m, uint32_t pid,
			    uint32_t name, uint64_t ts)
{
	uint32_t *slot = hwt_idmap_put(&p->procs, pid, NULL);

	if (!slot)
		return HWT_E_NOMEM;
	*slot = 1;
	packet_begin(p, ts);
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
	hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_PROCESS(pid));
	hwt_pbuf_begin(&p->pkt, TD_PROCESS);
	hwt_pbuf_varint(&p->pkt, PD_PID, pid);
	if (name)
		hwt_pbuf_string(&p->pkt, PD_NAME, hwt_model_str(m, name));
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static int need_process(struct perfetto *p, const struct hwt_model *m, uint32_t pid, uint64_t ts)
{
	if (hwt_idmap_find(&p->procs, pid))
		return 0;
	return describe_process(p, m, pid, HWT_NONE, ts);
}

static int describe_thread(struct perfetto *p, const struct hwt_model *m, uint32_t pid,
			   uint32_t tid, uint32_t name, uint64_t ts)
{
	int rc = need_process(p, m, pid, ts);

	if (rc)
		return rc;
	packet_begin(p, ts);
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
	hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_THREAD(pid, tid));
	hwt_pbuf_varint(&p->pkt, TD_PARENT_UUID, UUID_PROCESS(pid));
	hwt_pbuf_begin(&p->pkt, TD_THREAD);
	hwt_pbuf_varint(&p->pkt, THD_PID, pid);
	hwt_pbuf_varint(&p->pkt, THD_TID, tid);
	if (name)
		hwt_pbuf_string(&p->pkt, THD_NAME, hwt_model_str(m, name));
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

/* The thread (pid, tid), described on first sight; NULL when out of memory or on a write
 * error (*@rc set). */
static struct hwt_track_thread *thread_get(struct perfetto *p, const struct hwt_model *m,
					   uint32_t pid, uint32_t tid, uint32_t name, uint64_t ts,
					   int *rc)
{
	struct hwt_track_thread *t = hwt_slice_track_thread(p->track, pid, tid, 1);
	struct pf_thread *pt;

	*rc = HWT_E_NOMEM;
	if (!t)
		return NULL;
	pt = hwt_track_thread_data(t);
	if (!pt->described) {
		pt->described = 1;
		pt->name = name;
		*rc = tid ? describe_thread(p, m, pid, tid, name, ts) : need_process(p, m, pid, ts);
		if (*rc)
			return NULL;
	}
	*rc = 0;
	return t;
}

static void track_event_begin(struct perfetto *p, unsigned type, uint64_t uuid)
{
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_EVENT);
	hwt_pbuf_varint(&p->pkt, TE_TYPE, type);
	hwt_pbuf_varint(&p->pkt, TE_TRACK_UUID, uuid);
}

/* Interns event name @name (a string id) in the open packet if it is new on the sequence. */
static int intern_name(struct perfetto *p, const struct hwt_model *m, uint32_t name)
{
	if (hwt_bitset_test(&p->names, name))
		return 0;
	hwt_pbuf_begin(&p->pkt, PKT_INTERNED_DATA);
	hwt_pbuf_begin(&p->pkt, ID_EVENT_NAMES);
	hwt_pbuf_varint(&p->pkt, IID, name);
	hwt_pbuf_string(&p->pkt, INTERNED_STR, hwt_model_str(m, name));
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return hwt_bitset_set(&p->names, name);
}

static int slice_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	struct perfetto *p = ctx;
	const struct hwt_frame *f = hwt_model_frame(p->m, s->frame);
	uint32_t name = f ? f->name : HWT_NONE;
	int rc;

	packet_begin(p, s->begin);
	if (name && (rc = intern_name(p, p->m, name)))
		return rc;
	track_event_begin(p, TYPE_SLICE_BEGIN, UUID_TRACK(t->pid, t->tid));
	if (name)
		hwt_pbuf_varint(&p->pkt, TE_NAME_IID, name);
	else
		hwt_pbuf_string(&p->pkt, TE_NAME, "[unknown]");
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static int slice_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s, uint64_t ts,
		     uint32_t flags)
{
	struct perfetto *p = ctx;

	packet_begin(p, ts);
	track_event_begin(p, TYPE_SLICE_END, UUID_TRACK(t->pid, t->tid));
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static const struct hwt_slice_track_ops pf_track_ops = {
	.begin = slice_begin,
	.end = slice_end,
};

/* Writes the "key=value" lines of @args as debug annotations. */
static void annotations(struct perfetto *p, const char *args)
{
	while (args && *args) {
		size_t len = strcspn(args, "\n");
		const char *eq = memchr(args, '=', len);

		if (len) {
			hwt_pbuf_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
			if (eq) {
				hwt_pbuf_bytes(&p->pkt, DA_NAME, args, (size_t)(eq - args));
				hwt_pbuf_bytes(&p->pkt, DA_STRING_VALUE, eq + 1,
					       len - (size_t)(eq - args) - 1);
			} else {
				hwt_pbuf_string(&p->pkt, DA_NAME, "arg");
				hwt_pbuf_bytes(&p->pkt, DA_STRING_VALUE, args, len);
			}
			hwt_pbuf_end(&p->pkt);
		}
		args += len;
		args += *args == '\n';
	}
}

/* The scalars at the top of the value tree @tree as debug annotations of the open event. */
static void tree_annotations(struct perfetto *p, const uint8_t *tree, size_t len)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc;

	hwt_value_reader_init(&r, tree, len);
	while ((rc = hwt_value_next(&r, &v)) != 0 && rc >= -1) {
		if (rc < 0 || r.depth > 1 || !v.key)
			continue;
		hwt_pbuf_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
		hwt_pbuf_bytes(&p->pkt, DA_NAME, v.key, v.keylen);
		switch (v.tag) {
		case HWT_VAL_FALSE:
		case HWT_VAL_TRUE:
			hwt_pbuf_varint(&p->pkt, DA_BOOL_VALUE, (uint64_t)v.i);
			break;
		case HWT_VAL_INT:
			hwt_pbuf_varint(&p->pkt, DA_INT_VALUE, (uint64_t)v.i);
			break;
		case HWT_VAL_DOUBLE:
			hwt_pbuf_double(&p->pkt, DA_DOUBLE_VALUE, v.d);
			break;
		case HWT_VAL_STRING:
			hwt_pbuf_bytes(&p->pkt, DA_STRING_VALUE, v.s, v.n);
			break;
		default: /* null, lists and maps: not shown yet */
			break;
		}
		hwt_pbuf_end(&p->pkt);
	}
}

/* An instant named @text (not interned) on @uuid, with optional "key=value" @args. */
static int instant_text(struct perfetto *p, uint64_t ts, uint64_t uuid, const char *text,
			const char *args)
{
	packet_begin(p, ts);
	track_event_begin(p, TYPE_INSTANT, uuid);
	hwt_pbuf_string(&p->pkt, TE_NAME, text);
	annotations(p, args);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static int instant(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	uint32_t name = ev->instant.name;
	int rc;

	if (!thread_get(p, m, ev->pid, ev->tid, HWT_NONE, ev->ts, &rc))
		return rc;
	packet_begin(p, ev->ts);
	if (name && (rc = intern_name(p, m, name)))
		return rc;
	track_event_begin(p, TYPE_INSTANT, UUID_TRACK(ev->pid, ev->tid));
	if (name)
		hwt_pbuf_varint(&p->pkt, TE_NAME_IID, name);
	else
		hwt_pbuf_string(&p->pkt, TE_NAME, "instant");
	tree_annotations(p, ev->instant.args, ev->instant.args_len);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static int process_exit(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	char text[64], args[64];
	const char *sig = hwt_signal_name(ev->exit.signal);
	uint64_t uuid = UUID_PROCESS(ev->pid);
	int rc;

	if ((rc = need_process(p, m, ev->pid, ev->ts)))
		return rc;
	/* The process is gone: so are its threads' open calls. */
	if ((rc = hwt_slice_track_event(p->track, ev)))
		return rc;
	if (ev->tid && hwt_slice_track_thread(p->track, ev->pid, ev->tid, 0))
		uuid = UUID_THREAD(ev->pid, ev->tid);
	if (ev->exit.signal) {
		if (sig)
			snprintf(text, sizeof(text), "crash: %s", sig);
		else
			snprintf(text, sizeof(text), "crash: signal %d", ev->exit.signal);
		snprintf(args, sizeof(args), "signal=%d", ev->exit.signal);
	} else {
		snprintf(text, sizeof(text), "exit %d", ev->exit.status);
		snprintf(args, sizeof(args), "status=%d", ev->exit.status);
	}
	return instant_text(p, ev->ts, uuid, text, args);
}

static unsigned counter_unit(const char *unit)
{
	if (!strcmp(unit, "nanoseconds") || !strcmp(unit, "ns"))
		return UNIT_TIME_NS;
	if (!strcmp(unit, "count"))
		return UNIT_COUNT;
	if (!strcmp(unit, "bytes"))
		return UNIT_SIZE_BYTES;
	return 0;
}

static int counter(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr = hwt_model_track(m, ev->counter.track);
	double v = ev->counter.value;
	int rc;

	if (!tr)
		return HWT_E_INVAL;
	if (!hwt_bitset_test(&p->tracks, ev->counter.track)) {
		uint64_t parent = UUID_PROCESS(tr->pid);
		const char *unit = hwt_model_str(m, tr->unit);
		unsigned u = counter_unit(unit);

		if (tr->tid) {
			if (!thread_get(p, m, tr->pid, tr->tid, HWT_NONE, ev->ts, &rc))
				return rc;
			parent = UUID_THREAD(tr->pid, tr->tid);
		} else if ((rc = need_process(p, m, tr->pid, ev->ts))) {
			return rc;
		}
		packet_begin(p, ev->ts);
		hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
		hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_COUNTER(ev->counter.track));
		hwt_pbuf_varint(&p->pkt, TD_PARENT_UUID, parent);
		hwt_pbuf_string(&p->pkt, TD_NAME, hwt_model_str(m, tr->name));
		hwt_pbuf_begin(&p->pkt, TD_COUNTER);
		if (u)
			hwt_pbuf_varint(&p->pkt, CD_UNIT, u);
		else if (*unit)
			hwt_pbuf_string(&p->pkt, CD_UNIT_NAME, unit);
		hwt_pbuf_end(&p->pkt);
		hwt_pbuf_end(&p->pkt);
		if ((rc = packet_flush(p)) || (rc = hwt_bitset_set(&p->tracks, ev->counter.track)))
			return rc;
	}
	packet_begin(p, ev->ts);
	track_event_begin(p, TYPE_COUNTER, UUID_COUNTER(ev->counter.track));
	if (v == (double)(int64_t)v && v > -9.2e18 && v < 9.2e18)
		hwt_pbuf_varint(&p->pkt, TE_COUNTER_VALUE, (uint64_t)(int64_t)v);
	else
		hwt_pbuf_double(&p->pkt, TE_DOUBLE_COUNTER_VALUE, v);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

/* Build ids are lower-case hex in the model; Perfetto wants the raw bytes. */
static void put_build_id(struct hwt_pbuf *b, const char *hex)
{
	uint8_t raw[64];
	size_t len = strlen(hex), i;

	if (len % 2 || len / 2 > sizeof(raw)) {
		hwt_pbuf_string(b, INTERNED_STR, hex);
		return;
	}
	for (i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			hwt_pbuf_string(b, INTERNED_STR, hex);
			return;
		}
		raw[i] = (uint8_t)v;
	}
	hwt_pbuf_bytes(b, INTERNED_STR, raw, len / 2);
}

/* Interns mapping @id (with its path and build id) in the open InternedData. */
static int intern_mapping(struct perfetto *p, const struct hwt_model *m, uint32_t id)
{
	const struct hwt_mapping *map = hwt_model_mapping(m, id);
	const char *path;
	int rc;

	if (!map)
		return HWT_E_INVAL;
	if (map->build_id && !hwt_bitset_test(&p->build_ids, map->build_id)) {
		hwt_pbuf_begin(&p->pkt, ID_BUILD_IDS);
		hwt_pbuf_varint(&p->pkt, IID, map->build_id);
		put_build_id(&p->pkt, hwt_model_str(m, map->build_id));
		hwt_pbuf_end(&p->pkt);
		if ((rc = hwt_bitset_set(&p->build_ids, map->build_id)))
			return rc;
	}
	/* Perfetto joins path components with '/' in front of each: one component holding the
	 * path without its leading slash gives the path back. */
	if (map->path && !hwt_bitset_test(&p->paths, map->path)) {
		path = hwt_model_str(m, map->path);
		hwt_pbuf_begin(&p->pkt, ID_MAPPING_PATHS);
		hwt_pbuf_varint(&p->pkt, IID, map->path);
		hwt_pbuf_string(&p->pkt, INTERNED_STR, path + (*path == '/'));
		hwt_pbuf_end(&p->pkt);
		if ((rc = hwt_bitset_set(&p->paths, map->path)))
			return rc;
	}
	hwt_pbuf_begin(&p->pkt, ID_MAPPINGS);
	hwt_pbuf_varint(&p->pkt, IID, id);
	if (map->build_id)
		hwt_pbuf_varint(&p->pkt, MAP_BUILD_ID, map->build_id);
	hwt_pbuf_varint(&p->pkt, MAP_EXACT_OFFSET, map->pgoff);
	hwt_pbuf_varint(&p->pkt, MAP_START_OFFSET, map->pgoff);
	hwt_pbuf_varint(&p->pkt, MAP_START, map->start);
	hwt_pbuf_varint(&p->pkt, MAP_END, map->end);
	if (map->path)
		hwt_pbuf_varint(&p->pkt, MAP_PATH_IDS, map->path);
	hwt_pbuf_end(&p->pkt);
	return hwt_bitset_set(&p->maps, id);
}

/* A stand-in mapping for kernel or unknown frames, which the model leaves unmapped. */
static void intern_pseudo_mapping(struct perfetto *p, uint64_t iid, const char *name)
{
	hwt_pbuf_begin(&p->pkt, ID_MAPPING_PATHS);
	hwt_pbuf_varint(&p->pkt, IID, iid);
	hwt_pbuf_string(&p->pkt, INTERNED_STR, name);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_begin(&p->pkt, ID_MAPPINGS);
	hwt_pbuf_varint(&p->pkt, IID, iid);
	hwt_pbuf_varint(&p->pkt, MAP_PATH_IDS, iid);
	hwt_pbuf_end(&p->pkt);
}

static int intern_frame(struct perfetto *p, const struct hwt_model *m, uint32_t id)
{
	const struct hwt_frame *f = hwt_model_frame(m, id);
	uint64_t map_iid;
	int rc;

	if (!f)
		return HWT_E_INVAL;
	if (f->name && !hwt_bitset_test(&p->fnames, f->name)) {
		hwt_pbuf_begin(&p->pkt, ID_FUNCTION_NAMES);
		hwt_pbuf_varint(&p->pkt, IID, f->name);
		hwt_pbuf_string(&p->pkt, INTERNED_STR, hwt_model_str(m, f->name));
		hwt_pbuf_end(&p->pkt);
		if ((rc = hwt_bitset_set(&p->fnames, f->name)))
			return rc;
	}
	if (f->mapping) {
		map_iid = f->mapping;
		if (!hwt_bitset_test(&p->maps, f->mapping) &&
		    (rc = intern_mapping(p, m, f->mapping)))
			return rc;
	} else {
		int kernel = f->kind == HWT_FRAME_KERNEL;

		map_iid = kernel ? PSEUDO_MAP_KERNEL : PSEUDO_MAP_UNKNOWN;
		if (!(p->pseudo_maps & (kernel ? 1 : 2))) {
			intern_pseudo_mapping(p, map_iid,
					      kernel ? "[kernel.kallsyms]" : "[unknown]");
			p->pseudo_maps |= kernel ? 1 : 2;
		}
	}
	hwt_pbuf_begin(&p->pkt, ID_FRAMES);
	hwt_pbuf_varint(&p->pkt, IID, id);
	if (f->name)
		hwt_pbuf_varint(&p->pkt, FRAME_FUNCTION_NAME, f->name);
	hwt_pbuf_varint(&p->pkt, FRAME_MAPPING, map_iid);
	hwt_pbuf_varint(&p->pkt, FRAME_REL_PC, f->addr);
	hwt_pbuf_varint(&p->pkt, FRAME_KIND,
			f->kind == HWT_FRAME_KERNEL ? FRAME_KIND_KERNEL : FRAME_KIND_NATIVE);
	hwt_pbuf_end(&p->pkt);
	return hwt_bitset_set(&p->frames, id);
}

/* Interns the callstack of node @leaf and whatever it needs, in the open packet. */
static int intern_callstack(struct perfetto *p, const struct hwt_model *m, uint32_t leaf)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, leaf);
	uint32_t depth = s ? s->depth : 0, n, node, i;
	int rc;

	if (!s)
		return HWT_E_INVAL;
	if (depth > p->cappath) {
		uint32_t *np = realloc(p->path, depth * sizeof(*np));

		if (!np)
			return HWT_E_NOMEM;
		p->path = np;
		p->cappath = depth;
	}
	for (n = depth, node = leaf; n && (s = hwt_model_stack(m, node)); node = s->parent)
		p->path[--n] = s->frame;
	hwt_pbuf_begin(&p->pkt, PKT_INTERNED_DATA);
	for (i = n; i < depth; i++)
		if (!hwt_bitset_test(&p->frames, p->path[i]) &&
		    (rc = intern_frame(p, m, p->path[i])))
			return rc;
	hwt_pbuf_begin(&p->pkt, ID_CALLSTACKS);
	hwt_pbuf_varint(&p->pkt, IID, leaf);
	/* Outermost frame first. */
	for (i = n; i < depth; i++)
		hwt_pbuf_varint(&p->pkt, CALLSTACK_FRAMES, p->path[i]);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return hwt_bitset_set(&p->stacks, leaf);
}

static int sample(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, ev->sample.stack);
	const struct hwt_frame *leaf = s ? hwt_model_frame(m, s->frame) : NULL;
	int rc;

	if (!thread_get(p, m, ev->pid, ev->tid, HWT_NONE, ev->ts, &rc))
		return rc;
	if (!s)
		return 0; /* an empty stack says nothing a profile can show */
	packet_begin(p, ev->ts);
	if (!hwt_bitset_test(&p->stacks, ev->sample.stack) &&
	    (rc = intern_callstack(p, m, ev->sample.stack)))
		return rc;
	hwt_pbuf_begin(&p->pkt, PKT_PERF_SAMPLE);
	hwt_pbuf_varint(&p->pkt, PS_PID, ev->pid);
	hwt_pbuf_varint(&p->pkt, PS_TID, ev->tid);
	hwt_pbuf_varint(&p->pkt, PS_CALLSTACK, ev->sample.stack);
	hwt_pbuf_varint(&p->pkt, PS_CPU_MODE,
			leaf && leaf->kind == HWT_FRAME_KERNEL ? MODE_KERNEL : MODE_USER);
	hwt_pbuf_end(&p->pkt);
	return packet_flush(p);
}

static struct hwt_exporter *pf_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	struct perfetto *p =
		hwt_exporter_alloc(sizeof(*p), &hwt_perfetto_exporter, cfg, m, err, why, whylen);

	if (!p)
		return NULL;
	p->track = hwt_slice_track_alloc(&pf_track_ops, p, sizeof(struct pf_thread));
	if (!p->track) {
		free(p);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	p->out = cfg->out;
	hwt_pbuf_init(&p->pkt);
	*err = 0;
	return &p->base;
}

static int pf_event(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct perfetto *p;
	struct hwt_track_thread *t;
	struct pf_thread *pt;
	char text[48];
	int rc;

	if (!e || !m || !ev)
		return HWT_E_INVAL;
	p = container_of(e, struct perfetto, base);
	p->m = m;
	if (!p->started && (rc = write_header(p, ev->ts)))
		return rc;
	switch (ev->type) {
	case HWT_EV_PROCESS:
		return describe_process(p, m, ev->pid, ev->proc.name, ev->ts);
	case HWT_EV_THREAD:
		if (!(t = thread_get(p, m, ev->pid, ev->tid, ev->thread.name, ev->ts, &rc)))
			return rc;
		pt = hwt_track_thread_data(t);
		if (pt->name == ev->thread.name || !ev->tid)
			return 0;
		/* Seen before under another name: describing it again renames it. */
		pt->name = ev->thread.name;
		return describe_thread(p, m, ev->pid, ev->tid, ev->thread.name, ev->ts);
	case HWT_EV_THREAD_EXIT:
	case HWT_EV_SLICE_BEGIN:
	case HWT_EV_SLICE_END:
		/* A slice's thread is described before it. */
		if (!thread_get(p, m, ev->pid, ev->tid, HWT_NONE, ev->ts, &rc))
			return rc;
		return hwt_slice_track_event(p->track, ev);
	case HWT_EV_PROCESS_EXIT:
		return process_exit(p, m, ev);
	case HWT_EV_SAMPLE:
		return sample(p, m, ev);
	case HWT_EV_COUNTER:
		return counter(p, m, ev);
	case HWT_EV_INSTANT:
		return instant(p, m, ev);
	case HWT_EV_LOST:
		if (!thread_get(p, m, ev->pid, ev->tid, HWT_NONE, ev->ts, &rc))
			return rc;
		if (ev->lost.count)
			snprintf(text, sizeof(text), "lost %" PRIu64 " records", ev->lost.count);
		else
			snprintf(text, sizeof(text), "lost records");
		return instant_text(p, ev->ts, UUID_TRACK(ev->pid, ev->tid), text, NULL);
	case HWT_EV_OBJECT:
	case HWT_EV_FLOW:
	case HWT_EV_SLICE_ARGS:
		break; /* not shown yet */
	}
	return 0;
}

static int pf_finish(struct hwt_exporter *e, const struct hwt_model *m)
{
	struct perfetto *p;
	int rc;

	if (!e || !m)
		return HWT_E_INVAL;
	p = container_of(e, struct perfetto, base);
	/* An empty stream still makes a valid trace. */
	if (!p->started && (rc = write_header(p, 0)))
		return rc;
	if (fflush(p->out) || ferror(p->out))
		return HWT_E_IO;
	return 0;
}

static void pf_destroy(struct hwt_exporter *e)
{
	struct perfetto *p;

	if (!e)
		return;
	p = container_of(e, struct perfetto, base);
	hwt_pbuf_fini(&p->pkt);
	hwt_slice_track_free(p->track);
	hwt_idmap_fini(&p->procs);
	hwt_bitset_fini(&p->names);
	hwt_bitset_fini(&p->fnames);
	hwt_bitset_fini(&p->frames);
	hwt_bitset_fini(&p->stacks);
	hwt_bitset_fini(&p->maps);
	hwt_bitset_fini(&p->build_ids);
	hwt_bitset_fini(&p->paths);
	hwt_bitset_fini(&p->tracks);
	free(p->path);
	free(p);
}

const struct hwt_exporter_ops hwt_perfetto_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "perfetto",
	.exts = ".pftrace .perfetto-trace",
	.summary = "Perfetto trace: timeline, counters and CPU profile (ui.perfetto.dev)",
	.create = pf_create,
	.event = pf_event,
	.finish = pf_finish,
	.destroy = pf_destroy,
};

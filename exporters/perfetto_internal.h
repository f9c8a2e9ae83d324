/* The Perfetto exporter's own declarations, shared by its files: the writer's state, the
 * field numbers of Perfetto's protos it writes, its track uuids, and the pieces one file
 * writes for another (perfetto.c: tracks, slices and counters; perfetto_seq.c: packets, packet
 * sequences, their clocks and interning; perfetto_profile.c: samples and their interned
 * callstacks; perfetto_args.c: instants, objects, flows and arguments as debug annotations). */
#ifndef HWT_EXPORTERS_PERFETTO_INTERNAL_H
#define HWT_EXPORTERS_PERFETTO_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "core/model.h"
#include "core/util.h"
#include "exporter.h"
#include "pbuf.h"
#include "slice_track.h"

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
	PKT_TIMESTAMP_CLOCK_ID = 58,

	DEFAULTS_CLOCK_ID = 58,
	DEFAULTS_TRACK_EVENT = 11,
	TED_TRACK_UUID = 11,

	SNAP_CLOCKS = 1,
	SNAP_PRIMARY_CLOCK = 2,
	CLOCK_ID = 1,
	CLOCK_TIMESTAMP = 2,
	CLOCK_IS_INCREMENTAL = 3,

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
	TE_FLOW_IDS = 47,	      /* fixed64 */
	TE_TERMINATING_FLOW_IDS = 48, /* fixed64 */

	/* DebugAnnotation (track_event/debug_annotation.proto) */
	DA_NAME_IID = 1,
	DA_BOOL_VALUE = 2,
	DA_INT_VALUE = 4,
	DA_DOUBLE_VALUE = 5,
	DA_STRING_VALUE = 6,
	DA_NAME = 10,
	DA_DICT_ENTRIES = 11,
	DA_ARRAY_VALUES = 12,

	ID_EVENT_NAMES = 2,
	ID_DEBUG_ANNOTATION_NAMES = 3,
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
	/* A sequence-scoped clock (64 to 127) of our own: each sequence's is incremental, its
	 * packets' timestamps the time since the sequence's previous packet. */
	CLOCK_SEQ_DELTA_ID = 64,
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

/* The sequence of everything that is not on a thread's track; threads' sequences follow. */
#define SEQUENCE_MAIN 1
/* Track uuids: kind in the top bits, then pid and tid (each below 2^30 on Linux). */
#define UUID_PROCESS(pid)     (1ull << 62 | (uint64_t)(pid))
#define UUID_THREAD(pid, tid) (2ull << 62 | (uint64_t)(pid) << 30 | (tid))
/* Events of tid 0 belong to the process as a whole. */
#define UUID_TRACK(pid, tid) ((tid) ? UUID_THREAD(pid, tid) : UUID_PROCESS(pid))
/* Counter and object tracks by model track id (32-bit), and the one global track. */
#define UUID_COUNTER(track) (3ull << 62 | (uint64_t)(track))
#define UUID_OBJECT(track)  (3ull << 62 | 1ull << 61 | (uint64_t)(track))
#define UUID_GLOBAL	    (3ull << 62 | 1ull << 60)
/* Interning ids for frames without a mapping: above every model id, which is 32-bit. */
#define PSEUDO_MAP_KERNEL  (1ull << 32 | 1)
#define PSEUDO_MAP_UNKNOWN (1ull << 32 | 2)

/* A debug annotation name interned on a sequence: @len bytes at @off in its pf_keys.chars. */
struct pf_key {
	uint32_t off, len;
};

/* Debug annotation names interned on a sequence, by their bytes: iid i is ent[i - 1]. */
struct pf_keys {
	struct hwt_idmap map; /* hash of the bytes -> iid */
	struct pf_key *ent;
	uint32_t n, cap;
	char *chars;
	size_t nchars, capchars;
};

/* A packet sequence (trusted_packet_sequence_id): its incremental clock, its default track
 * and what is interned on it. The main one holds descriptors, counters, objects, samples and
 * the events of processes and the global track; each thread's holds that thread's slices,
 * instants and flows, on its track by default, so they name neither it nor a full timestamp. */
struct pf_seq {
	uint32_t id;
	int open;		 /* its first packet (state cleared, defaults, clock) is written */
	uint64_t track;		 /* default track uuid, 0: none */
	uint64_t last_ts;	 /* the incremental clock: time of its latest timestamped packet */
	struct hwt_bitset named; /* event name iids interned on it */
	struct pf_keys keys;
};

/* What perfetto keeps of a thread, beside its open slices. */
struct pf_thread {
	uint32_t name; /* string id last described */
	int described;
	struct pf_seq seq;
};

struct perfetto {
	struct hwt_exporter base;
	FILE *out;
	uint8_t *obuf; /* owned: packets not yet written to @out */
	size_t olen, ocap;
	int err;		/* sticky: the first write or allocation error */
	struct hwt_pbuf pkt;	/* the packet being built... */
	struct hwt_pbuf intern; /* ...the body of its InternedData... */
	struct pf_seq *seq;	/* ...its sequence... */
	int needs;		/* ...and whether it uses interned data */
	struct pf_seq main;
	uint32_t nseqs;
	/* Event name iids, the same on every sequence that interns the name: of string id i,
	 * iids[i] (0: none yet), counted from 1 in order of first use, so the names used first and
	 * most take one-byte varints. */
	uint32_t *iids;
	uint32_t capiids, niids;
	int started;

	struct hwt_slice_track *track; /* threads and their open slices */
	struct hwt_track_thread *last; /* of them, the last one an event was for */
	const struct hwt_model *m;     /* of the event being written, for the track's hooks */
	struct hwt_idmap procs;	       /* pid -> 1 once described */
	int global;		       /* the global track is described */

	/* Model ids already interned on the main sequence, so each is emitted once; tracks:
	 * counter and object tracks described. */
	struct hwt_bitset fnames, frames, stacks, maps, build_ids, paths, tracks;
	int pseudo_maps; /* bit 0: kernel, bit 1: unknown */
	uint32_t *path;
	uint32_t cappath;
};

/* perfetto_seq.c */

/** Room for @n more bytes of output, flushing what is there to p->out first if need be; NULL
 *  on a write error (p->err set). */
uint8_t *hwt_pf_out(struct perfetto *p, size_t n);
/** Writes the output buffered so far to p->out; 0 or HWT_E_IO (also left in p->err). */
int hwt_pf_out_flush(struct perfetto *p);
/** Sets @s up as sequence number ++p->nseqs, its events on track @track (0: none) by default. */
void hwt_pf_seq_init(struct perfetto *p, struct pf_seq *s, uint64_t track);
/** Frees what @s holds. */
void hwt_pf_seq_fini(struct pf_seq *s);
/** Starts, in p->pkt, a packet of sequence @s at @ts (the sequence's first packet is written
 *  first if it was not): the time since its previous packet, or @ts on CLOCK_MONOTONIC when
 *  that would go back. Errors stick in p->err until hwt_pf_packet_flush(). */
void hwt_pf_packet_begin(struct perfetto *p, struct pf_seq *s, uint64_t ts);
/** Writes the packet built in p->pkt with the InternedData gathered in p->intern and the flag
 *  saying it needs them; 0, HWT_E_IO, HWT_E_NOMEM or a buffer's error. */
int hwt_pf_packet_flush(struct perfetto *p);
/** The iid on the open packet's sequence of event name @name (a string id of @m), interned in
 *  the packet if new; 0 when out of memory (p->err set). */
uint64_t hwt_pf_name_iid(struct perfetto *p, const struct hwt_model *m, uint32_t name);
/** Writes the name of a DebugAnnotation, @len bytes at @key, into p->pkt: its iid on the open
 *  packet's sequence, interned in the packet if new. */
void hwt_pf_annotation_name(struct perfetto *p, const char *key, size_t len);
/** Writes, straight to the output, a slice begin (@iid its name's) or end (@iid 0) at @ts on
 *  the default track of @s, open, whose clock it does not move back. 0 or HWT_E_IO. */
int hwt_pf_fast_slice(struct perfetto *p, struct pf_seq *s, uint64_t ts, uint64_t iid);

/* perfetto.c */
/** Starts, in a packet of its own on the main sequence, the descriptor of track @tr (uuid
 *  @uuid, named after it, a child of its thread or process, described first if new; none for
 *  pid 0), left open for the caller to add its kind and close. 0 or a negative enum hwt_error. */
int hwt_pf_track_begin(struct perfetto *p, const struct hwt_model *m, const struct hwt_track *tr,
		       uint64_t uuid, uint64_t ts);
/** Opens a TrackEvent of @type on track @uuid in the open packet (naming the track only if it
 *  is not the sequence's default). */
void hwt_pf_track_event_begin(struct perfetto *p, unsigned type, uint64_t uuid);
/** The track of events of (@pid, @tid): a thread's, its process's (tid 0) or the global one
 *  (pid 0), described on first sight, into *@uuid, and the sequence to write them on into
 *  *@seq. 0 or a negative enum hwt_error. */
int hwt_pf_track_of(struct perfetto *p, const struct hwt_model *m, uint32_t pid, uint32_t tid,
		    uint64_t ts, uint64_t *uuid, struct pf_seq **seq);

/* perfetto_profile.c */

/** A perf sample with its interned callstack. */
int hwt_pf_sample(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev);

/* perfetto_args.c */

/** Writes the value tree @args (@len bytes) as the debug annotations of the open TrackEvent
 *  (its top map's entries). 0, HWT_E_CORRUPT for a malformed tree (nothing written). */
int hwt_pf_annotations(struct perfetto *p, const uint8_t *args, size_t len);
/** The arguments of the slice @s of @t, as debug annotations of the open TrackEvent. */
int hwt_pf_slice_annotations(struct perfetto *p, struct hwt_track_thread *t,
			     struct hwt_open_slice *s);
/** An instant of the model (name, arguments) on its thread, process or the global track. */
int hwt_pf_instant(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev);
/** A snapshot: an instant on the object track of its own, the snapshot as annotations. */
int hwt_pf_object(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev);
/** One end of a flow: an instant named after it on its thread's track, with the flow's id. */
int hwt_pf_flow(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev);

#endif

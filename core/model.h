/* The event model: interned strings, frames, stacks and tracks, and the per-thread events that
 * decoders produce and exporters consume. */
#ifndef HWT_CORE_MODEL_H
#define HWT_CORE_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Id 0 of every table means "none": the empty string, no frame, the root of the stack tree. */
#define HWT_NONE 0u

/** Frame kinds. */
enum hwt_frame_kind {
	HWT_FRAME_USER = 0,
	HWT_FRAME_KERNEL = 1,
	HWT_FRAME_UNKNOWN = 2, /* a gap in the call stack: "[unknown]" */
	HWT_FRAME_SPAN = 3,    /* a span the program or a plugin marked: its name, no mapping */
};

/** Frame flags. */
enum hwt_frame_flags {
	HWT_FRAME_INLINED = 1, /* a function the compiler inlined into its caller (from DWARF): no
				  call of its own; its caller is the next frame out */
};

/** A function (or unresolved address) in a mapping. Interned: equal frames share one id. */
struct hwt_frame {
	uint32_t name;	  /* string id: demangled function name, "[kernel]" or "module+0xOFF" */
	uint32_t mapping; /* mapping id, HWT_NONE for kernel/unknown frames */
	uint64_t addr;	  /* function start (or the address when unresolved), relative to the
			     mapping's file: ELF virtual address for symbols, file offset else */
	uint32_t kind;	  /* enum hwt_frame_kind */
	uint32_t flags;	  /* enum hwt_frame_flags */
};

/** A file mapped into a traced process. Interned by (path, build id, start, pgoff). */
struct hwt_mapping {
	uint64_t start, end, pgoff;
	uint32_t path;	   /* string id */
	uint32_t build_id; /* string id of the build id in lower-case hex, HWT_NONE if unknown */
};

/** Node of the stack tree: a call stack is the path from a node to the root (id 0). */
struct hwt_stack_node {
	uint32_t parent; /* caller's node, HWT_NONE at the outermost frame */
	uint32_t frame;	 /* frame id */
	uint32_t depth;	 /* 1 for the outermost frame */
};

/** One weight carried by every sample ("samples"/"count", "cpu-time"/"nanoseconds", ...). */
struct hwt_weight_desc {
	uint32_t name; /* string id */
	uint32_t unit; /* string id: "count", "nanoseconds", "bytes" */
};

/** Track kinds. */
enum hwt_track_kind {
	HWT_TRACK_COUNTER = 0, /* a number over time: HWT_EV_COUNTER */
	HWT_TRACK_OBJECT = 1,  /* snapshots of a state: HWT_EV_OBJECT */
};

/** A counter or object track. */
struct hwt_track {
	uint32_t name;	/* string id, e.g. "page-faults" */
	uint32_t unit;	/* string id; HWT_NONE for objects */
	uint32_t pid;	/* process the track belongs to; 0: global (the whole machine) */
	uint32_t tid;	/* 0: process-wide track */
	int cumulative; /* values only grow (a running total) */
	uint32_t kind;	/* enum hwt_track_kind */
};

enum hwt_event_type {
	HWT_EV_PROCESS = 1,  /* process seen or renamed: proc */
	HWT_EV_THREAD,	     /* thread seen or renamed: thread */
	HWT_EV_THREAD_EXIT,  /* thread ended */
	HWT_EV_PROCESS_EXIT, /* process ended: exit */
	HWT_EV_SAMPLE,	     /* a stack sample: sample */
	HWT_EV_COUNTER,	     /* a counter value: counter */
	HWT_EV_SLICE_BEGIN,  /* a call or span starts: slice */
	HWT_EV_SLICE_END,    /* the innermost open slice of the thread ends: slice */
	HWT_EV_INSTANT,	     /* a point event: instant */
	HWT_EV_LOST,	     /* data was lost around here: lost */
	HWT_EV_OBJECT,	     /* a snapshot on an object track: object */
	HWT_EV_FLOW,	     /* one end of an arrow between events: flow */
	HWT_EV_SLICE_ARGS,   /* arguments of the thread's innermost open slice: args */
};

/** Phases of a flow: it leaves an event, passes through others, arrives at the last. */
enum hwt_flow_phase {
	HWT_FLOW_OUT = 1,
	HWT_FLOW_STEP = 2,
	HWT_FLOW_IN = 3,
};

/** Flags of a slice begin or end. */
enum hwt_slice_flags {
	HWT_SLICE_UNFINISHED = 1, /* on an end: its return was never seen (longjmp, exception,
				     thread exit, lost records): ended when that became known */
	/* On a begin: the probes that recorded the call, whose cost --compensate subtracts (none
	 * of these: the call cost nothing to record, e.g. Intel PT or a user span). */
	HWT_SLICE_PROBE_UPROBE = 2,	 /* a uprobe whose entry the kernel emulates, and a
					    uretprobe: the recording's uprobe.call_ns */
	HWT_SLICE_PROBE_UPROBE_SLOW = 4, /* a uprobe single-stepped at entry or return:
					    uprobe.slow_call_ns */
	HWT_SLICE_PROBE_INPROC = 8,	 /* the in-process patcher's trampoline: inproc.call_ns */
};

/** The probe flags of a slice begin. */
#define HWT_SLICE_PROBE_MASK \
	(HWT_SLICE_PROBE_UPROBE | HWT_SLICE_PROBE_UPROBE_SLOW | HWT_SLICE_PROBE_INPROC)

/** One event. Ids refer to the model passed with it; pointers are valid until the next event. */
struct hwt_event {
	enum hwt_event_type type;
	uint32_t pid, tid;
	uint32_t stack; /* HWT_EV_INSTANT: the stack node of the code that caused it, its leaf
			   the effect's own frame ("file:PATH", "net:HOST:PORT") when it is one;
			   HWT_NONE: none (and for every other type) */
	uint64_t ts;	/* nanoseconds, CLOCK_MONOTONIC */
	union {
		struct {
			uint32_t name;	     /* string id (comm) */
			uint32_t parent_pid; /* forked from, 0 if unknown */
		} proc;
		struct {
			uint32_t name;	     /* string id (comm) */
			uint32_t parent_tid; /* created by, 0 if unknown */
		} thread;
		struct {
			int32_t status; /* exit status, -1 if killed */
			int32_t signal; /* terminating signal, 0 if none */
		} exit;
		struct {
			uint32_t stack;		 /* stack node id of the leaf */
			const uint64_t *weights; /* hwt_model_nweights() values */
		} sample;
		struct {
			uint32_t track; /* track id */
			double value;
		} counter;
		struct {
			uint32_t frame; /* frame id */
			uint32_t flags; /* enum hwt_slice_flags */
			uint32_t node;	/* stack node: @frame under the slices open around it on
					   its thread (a begin opens it, an end closes it) */
		} slice;
		struct {
			uint32_t name;	     /* string id */
			uint32_t args_len;   /* bytes of @args; 0: no arguments */
			const uint8_t *args; /* a value tree (core/format/value.h), a map */
		} instant;		     /* on thread tid; tid 0: the process; pid 0: global */
		struct {
			uint32_t track;	      /* track id, of kind HWT_TRACK_OBJECT */
			uint32_t len;	      /* bytes of @value */
			const uint8_t *value; /* a value tree */
		} object;
		struct {
			uint64_t id;	/* the flow: its events share it */
			uint32_t phase; /* enum hwt_flow_phase */
			uint32_t name;	/* string id: what kind of link ("caused", "fork") */
		} flow;			/* at the thread's event of @ts (its innermost slice) */
		struct {
			uint32_t len;	     /* bytes of @args */
			const uint8_t *args; /* a value tree, a map: merged into the slice's */
		} args;
		struct {
			uint64_t count; /* records lost, 0 if unknown */
		} lost;
	};
};
_Static_assert(sizeof(struct hwt_event) == 40, "the slice hot path clears an event per call");

struct hwt_model;

/** New empty model; NULL on allocation failure. Free with hwt_model_free(). */
struct hwt_model *hwt_model_alloc(void);
/** Frees @m and everything interned in it; NULL is accepted. */
void hwt_model_free(struct hwt_model *m);

/** Interns @len bytes at @s (copied); returns the id (> 0 unless @len is 0) or HWT_E_NOMEM. */
int64_t hwt_model_intern_strn(struct hwt_model *m, const char *s, size_t len);
/** Interns the NUL-terminated @s; see hwt_model_intern_strn(). */
int64_t hwt_model_intern_str(struct hwt_model *m, const char *s);
/** Interns @len bytes at @path, a file system path shown to users (a file a program opened, a
 *  source file), as it is to be shown: the paths of every output go through here or
 *  hwt_model_intern_mapped_path(), so that what the model shows of them is decided in one place.
 *  Unless redaction is off (hwt_model_set_redaction()), a path under the project root is shown
 *  relative to it and any other as its bucket alone, "external/tmp" (core/redact.h). Returns as
 *  hwt_model_intern_strn(). */
int64_t hwt_model_intern_path(struct hwt_model *m, const char *path, size_t len);
/** hwt_model_intern_path() for the path of an ELF file mapped or run (an executable, a library):
 *  outside the project root its file name stays after the bucket, "external/usr/libc.so.6". */
int64_t hwt_model_intern_mapped_path(struct hwt_model *m, const char *path, size_t len);
/** How the model shows paths (hwt_model_intern_path(), the metadata "exe", "cwd",
 *  "project_root", "command", "hwtrace", "environment"): @redact 0 as recorded; else redacted,
 *  with @root (an absolute path, copied) as the project root, or with @root NULL the
 *  recording's own (its "project_root" metadata; none: every path is outside). A new model
 *  redacts with the recording's root. Set it before decoding: paths interned before keep how
 *  they were shown (the metadata is shown again). Returns 0, HWT_E_INVAL for a relative @root,
 *  or HWT_E_NOMEM. */
int hwt_model_set_redaction(struct hwt_model *m, int redact, const char *root);
/** Whether @m redacts paths. */
int hwt_model_redacting(const struct hwt_model *m);
/** Sets the source file of frame @frame's function to string @file (a path interned with
 *  hwt_model_intern_path(); HWT_NONE: unknown). Known only where the decoder was asked to look
 *  (hwt_decoder_config.sources) and the file has DWARF. Returns 0, HWT_E_INVAL for an unknown
 *  id, or HWT_E_NOMEM. */
int hwt_model_set_frame_file(struct hwt_model *m, uint32_t frame, uint32_t file);
/** The string id of frame @frame's source file, HWT_NONE when unknown. */
uint32_t hwt_model_frame_file(const struct hwt_model *m, uint32_t frame);
/** Interns a copy of @f; returns its id (> 0) or HWT_E_NOMEM. */
int64_t hwt_model_intern_frame(struct hwt_model *m, const struct hwt_frame *f);
/** Interns a copy of @map; returns its id (> 0) or HWT_E_NOMEM. */
int64_t hwt_model_intern_mapping(struct hwt_model *m, const struct hwt_mapping *map);
/** Interns the child of @parent for @frame; returns the node id (> 0) or a negative error. */
int64_t hwt_model_intern_stack(struct hwt_model *m, uint32_t parent, uint32_t frame);
/** Steps a thread's slice nesting: *@cur is the node of its innermost open slice (HWT_NONE
 *  when none). A begin of @frame opens @frame's node under *@cur and returns it; an end returns
 *  *@cur and closes it (an end with none open returns HWT_NONE). Events are stepped in the
 *  order they go out. Returns the node or a negative enum hwt_error. */
int64_t hwt_model_slice_node(struct hwt_model *m, uint32_t *cur, enum hwt_event_type type,
			     uint32_t frame);
/** Adds a counter track (copied); returns its id (> 0) or HWT_E_NOMEM. Not interned. */
int64_t hwt_model_add_track(struct hwt_model *m, const struct hwt_track *t);
/** Declares the next sample weight; returns its index (>= 0) or a negative error. Weights are
 * declared before the first sample. */
int hwt_model_add_weight(struct hwt_model *m, const char *name, const char *unit);
/** Makes weight @index the one views weigh samples by when no view is named; until set, weight 0
 *  ("samples"). Returns 0, or HWT_E_INVAL if no weight @index was declared. */
int hwt_model_set_default_weight(struct hwt_model *m, uint32_t index);
/** Sets metadata @key to @value (both copied), replacing an earlier value. The values of path
 *  keys are shown as hwt_model_set_redaction() says ("project_root" and "cwd" also set the
 *  root and working directory paths are redacted with). */
int hwt_model_set_meta(struct hwt_model *m, const char *key, const char *value);

/** The string with id @id ("" for HWT_NONE or an unknown id). Borrowed, lives with @m. */
const char *hwt_model_str(const struct hwt_model *m, uint32_t id);
/** The frame with id @id, NULL if unknown. Borrowed, lives with @m. */
const struct hwt_frame *hwt_model_frame(const struct hwt_model *m, uint32_t id);
/** The name of frame @id as reports show it: "[unknown]" when the frame is unknown or has no
 *  name. Borrowed, lives with @m (or static). */
const char *hwt_model_frame_name(const struct hwt_model *m, uint32_t id);
/** The mapping with id @id, NULL if unknown. Borrowed, lives with @m. */
const struct hwt_mapping *hwt_model_mapping(const struct hwt_model *m, uint32_t id);
/** The stack node with id @id, NULL for the root or an unknown id. Borrowed, lives with @m. */
const struct hwt_stack_node *hwt_model_stack(const struct hwt_model *m, uint32_t id);
/** The track with id @id, NULL if unknown. Borrowed, lives with @m. */
const struct hwt_track *hwt_model_track(const struct hwt_model *m, uint32_t id);
/** The weight description at @index, NULL if out of range. */
const struct hwt_weight_desc *hwt_model_weight(const struct hwt_model *m, uint32_t index);
/** Number of sample weights declared. */
uint32_t hwt_model_nweights(const struct hwt_model *m);
/** Index of the weight views weigh samples by when no view is named (0 unless set). */
uint32_t hwt_model_default_weight(const struct hwt_model *m);
/** Index of the weight named @name, or -1. */
int hwt_model_find_weight(const struct hwt_model *m, const char *name);
/** Value of metadata @key, NULL if not set. Borrowed, lives with @m. */
const char *hwt_model_meta(const struct hwt_model *m, const char *key);
/** Calls @fn for each metadata pair in insertion order. */
void hwt_model_meta_foreach(const struct hwt_model *m,
			    void (*fn)(const char *key, const char *value, void *ctx), void *ctx);

/** Number of ids in use in each table, counting HWT_NONE: valid ids are 1 .. count - 1. */
uint32_t hwt_model_nstrs(const struct hwt_model *m);
uint32_t hwt_model_nframes(const struct hwt_model *m);
uint32_t hwt_model_nmappings(const struct hwt_model *m);
uint32_t hwt_model_nstacks(const struct hwt_model *m);
uint32_t hwt_model_ntracks(const struct hwt_model *m);

#endif

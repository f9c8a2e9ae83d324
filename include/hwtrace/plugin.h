/* The plugin ABI: how the recording host drives tracer, counter and object plugins, and the
 * services it offers them. Built-in plugins and external .so plugins use the same table. */
#ifndef HWTRACE_PLUGIN_H
#define HWTRACE_PLUGIN_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define HWT_PLUGIN_ABI 2

/* External plugins export this symbol: `const struct hwt_plugin *hwt_plugin_entry(void);` */
#define HWT_PLUGIN_ENTRY "hwt_plugin_entry"

enum hwt_plugin_kind {
	HWT_PLUGIN_TRACER = 1,	/* records what runs: samples, calls */
	HWT_PLUGIN_COUNTER = 2, /* adds counter tracks */
	HWT_PLUGIN_OBJECT = 3,	/* adds object snapshots */
};

struct hwt_host;

/* ---- options --------------------------------------------------------------------------- */

/** What an option's value is, and how a user writes it. */
enum hwt_option_type {
	HWT_OPT_BOOL = 1, /* 1/0, yes/no, true/false, on/off; as a flag, no value: sets 1 */
	HWT_OPT_INT,	  /* a whole number */
	HWT_OPT_SIZE,	  /* bytes; a K, M or G suffix multiplies by 2^10, 2^20, 2^30 */
	HWT_OPT_DURATION, /* nanoseconds; ns, us, ms or s (none: ns), fractions allowed */
	HWT_OPT_STRING,	  /* non-empty text */
	HWT_OPT_LIST,	  /* a STRING that may be given several times, kept in order */
	HWT_OPT_ENUM,	  /* one of .choices */
};

/** Flags of struct hwt_option. */
enum hwt_option_flags {
	HWT_OPT_POW2 = 1,   /* SIZE: a power of two */
	HWT_OPT_COMMAS = 2, /* STRING, LIST: may hold ','; else a comma is refused (as a list
			     * needs the option repeated, and NAME:KEY=V,... text splits there) */
};

/**
 * One option of a plugin, in its table (static, borrowed by the host for as long as the plugin
 * is loaded). The CLI parses and checks every value against the table before start() and
 * generates help and error messages from it, so a plugin parses no text. Users give options as
 * `-P NAME:KEY=VALUE,...` (`-b NAME:KEY=VALUE,...` for tracers) and, for built-in tracers, as
 * the flags named here.
 */
struct hwt_option {
	const char *name;	    /* the KEY: lower case letters, digits and '_' */
	uint32_t type;		    /* enum hwt_option_type */
	uint32_t flags;		    /* enum hwt_option_flags */
	int64_t min, max;	    /* INT, SIZE, DURATION: the range (max <= min: any value);
				     * LIST: how many values at most (0: any) */
	const char *def;	    /* the default, written as a user would ("4000", "4M", "fp");
				     * NULL: none (the value is then all zero, .set 0) */
	const char *const *choices; /* ENUM: the values allowed, NULL-terminated */
	const char *arg;	    /* what the value is in help and messages ("HZ", "PATTERN");
				     * NULL: from the type */
	const char *help;	    /* one sentence on what it does; help adds the default */
	char short_flag;	    /* built-in tracers: `hwtrace record -X VALUE`; 0: none */
	const char *long_flag; /* built-in tracers: `hwtrace record --NAME VALUE`; NULL: none */
};

/**
 * The value of one option as the plugin gets it: start() receives an array indexed like the
 * plugin's table. Strings are borrowed from the CLI until stop() returns.
 */
struct hwt_option_value {
	int set;		 /* 1: the user gave it; 0: the default */
	int64_t i;		 /* BOOL (0 or 1), INT, SIZE (bytes), DURATION (ns), ENUM (index) */
	const char *s;		 /* STRING, ENUM (the choice); NULL when not set and no default */
	const char *const *list; /* LIST: the .n values in the order given */
	size_t n;
};

/** Flags of struct hwt_target. */
enum hwt_target_flags {
	/* The processes were running already (record -p): there is no exec to enable events
	 * on, so events are opened enabled, on every thread in .tids, inherited by the threads
	 * and children these create; the recording ends and the processes run on. */
	HWT_TARGET_ATTACHED = 1,
	/* Every process on every CPU (record -a): .tids is { -1 }; events are opened enabled,
	 * not inherited. .pid is the program launched with -a -- PROG, or -1 if none. */
	HWT_TARGET_SYSTEM = 2,
};

/** The program being recorded. The host owns it; fields after .ncpus were added within ABI 2
 *  (a plugin built before them reads only the first ones). */
struct hwt_target {
	int pid;		 /* the traced process (stopped before exec while plugins start);
				  * with HWT_TARGET_ATTACHED the first process attached */
	const char *const *argv; /* borrowed: its command line (NULL when attached) */
	const char *path;	 /* borrowed: the program file that will be exec'ed (attached: the
				  * file the process runs) */
	int ncpus;		 /* CPUs to open per-CPU events on: 0 .. ncpus - 1 */
	uint32_t flags;		 /* enum hwt_target_flags; 0: a program launched for recording */
	int ntids;	 /* the threads to open per-thread events on, .tids[0 .. ntids-1]: */
	const int *tids; /* { pid } for a launched program; every thread of every process
			  * attached; { -1 } for -a. Borrowed for the recording */
	int npids;	 /* the processes attached (.pids); 1 for a launched program, 0 for -a
			  * alone */
	const int *pids; /* borrowed for the recording */
};

/** How many threads of @t to open per-thread events on: .ntids, or 1 (.pid) for a target made
 *  without the list. */
static inline int hwt_target_ntids(const struct hwt_target *t)
{
	return t->ntids > 0 && t->tids ? t->ntids : 1;
}

/** Thread @i (0 .. hwt_target_ntids() - 1) of @t: a tid, or -1 for every process (-a). */
static inline int hwt_target_tid(const struct hwt_target *t, int i)
{
	return t->ntids > 0 && t->tids ? t->tids[i] : t->pid;
}

/** One plugin. Hooks return >= 0 on success or a negative enum hwt_error. */
struct hwt_plugin {
	uint32_t abi;  /* HWT_PLUGIN_ABI, checked before anything else */
	uint32_t size; /* sizeof(struct hwt_plugin) */
	uint32_t kind; /* enum hwt_plugin_kind */
	const char *name;
	const char *summary;
	const struct hwt_option *options; /* the plugin's options (see above); NULL if none */
	size_t noptions;
	/** Can this plugin run here? Returns 1 if yes; 0 with @why ("no intel_pt PMU in
	 *  /sys/bus/event_source/devices") if not. Must be cheap and open nothing that lasts. */
	int (*probe)(struct hwt_host *h, char *why, size_t len);
	/** Opens what the plugin records for @t with the values of its options @opts (indexed
	 *  like .options, checked against it; borrowed until stop() returns; NULL when the plugin
	 *  has none). Sets *st to the plugin's state. On failure, hwt_host_error() tells why. */
	int (*start)(struct hwt_host *h, const struct hwt_target *t,
		     const struct hwt_option_value *opts, void **st);
	/** Optional: called from the recording loop every 10 ms, and once more after the target
	 *  exited, before stop(). */
	int (*poll)(void *st, uint64_t now_ns);
	/** Optional: the target is gone; release everything. The host closes events it opened. */
	void (*stop)(void *st);
	/** Optional: every non-sample perf record drained from the rings (MMAP2, COMM, FORK,
	 *  EXIT...), as the host copies it to the recording; @rec is borrowed for the call. Lets a
	 *  plugin follow exec and dlopen while recording. */
	void (*sideband)(void *st, const struct perf_event_header *rec);
	/** Optional: the data bytes of each per-CPU perf ring the host should map for @opts (a
	 *  power of two), 0 for the host's default. Asked of the tracer and of the -P plugins
	 *  before start(): the rings are shared, the biggest asked for is mapped (the tracer's
	 *  -m, when given, is taken as it is). */
	size_t (*ring_bytes)(const struct hwt_option_value *opts);
};

/** Flags for hwt_host_open_event(). */
enum hwt_event_flags {
	/* The host read()s this group leader every poll: counter tracks. */
	HWT_EVENT_READ_PERIODIC = 1,
	/* Give it the CPU's ring though it samples nothing: a dummy event for the MMAP2, COMM,
	 * FORK and EXIT side-band records. */
	HWT_EVENT_RING = 2,
	/* Its samples' user-stack copies are read only for the words that may be return
	 * addresses: the host keeps just the words that point into executable mappings. */
	HWT_EVENT_SPARSE_STACK = 4,
};

/**
 * Opens a perf event for the recording (perf_event_open(@attr, @pid, @cpu, @group_fd, CLOEXEC)).
 * The host forces sample_id_all, PERF_SAMPLE_IDENTIFIER, CLOCK_MONOTONIC and watermark wakeups,
 * gives sampling events the ring buffer of @cpu (the first one mmaps it, later ones are
 * redirected to it), records the event's description in the recording under @name (copied), and
 * closes it when recording ends. Returns the fd (>= 0; borrowed, owned by the host) or a negative
 * enum hwt_error with the reason in hwt_host_error(); errno is kept.
 */
int hwt_host_open_event(struct hwt_host *h, struct perf_event_attr *attr, int pid, int cpu,
			int group_fd, const char *name, unsigned flags);

/**
 * Maps an AUX area of @bytes (a power of two of pages) behind the ring of @fd, an event that owns
 * its CPU's ring (opened with a ring, the first on its CPU): sets the ring's user page aux_offset
 * (right after the data pages) and aux_size, and mmaps it read-write for a ring the consumer
 * advances with aux_tail, or read-only when @overwrite (the kernel then overwrites the oldest
 * data: snapshot mode). Sets *@aux to the area and *@page to the ring's user page (aux_head,
 * aux_tail, time_*); both borrowed, unmapped by the host when recording ends (after stop()).
 * Returns 0, or HWT_E_INVAL (not a ring owner, bad size, mapped already, refused by the kernel),
 * HWT_E_PERM or HWT_E_NOMEM (mlock limit, memory), HWT_E_NOTSUP (the event's PMU has no AUX
 * area), or what hwt_error_from_errno() makes of another errno of mmap() (HWT_E_INVAL where it
 * has no better code), with the reason in hwt_host_error(); errno is kept.
 */
int hwt_host_map_aux(struct hwt_host *h, int fd, size_t bytes, int overwrite, void **aux,
		     struct perf_event_mmap_page **page);

/** How many times the user asked for a snapshot (SIGUSR2 to the recorder) since recording
 *  started. Plugins that keep overwritten buffers compare it with the count they last saw, from
 *  poll(): a signal also wakes the recording loop, so poll() comes at once. */
uint64_t hwt_host_snapshot_requests(const struct hwt_host *h);

/** Writes a raw chunk for this plugin's decoder into the recording (@data copied): metadata the
 *  decoder needs before the data (a table of functions, ...). */
int hwt_host_write_chunk(struct hwt_host *h, const char *plugin, const void *data, size_t len);

/** Declares a data stream of this plugin named @name (copied; the decoder for that name reads
 *  it). Returns its id (> 0) or a negative error. */
int hwt_host_add_source(struct hwt_host *h, const char *name);

/** Appends @len bytes (copied) to stream @id, stamped with the time the current drain started:
 *  the stream's decoder gets them in order, merged by time with everything else. Call it from
 *  poll(). */
int hwt_host_stream(struct hwt_host *h, int id, const void *data, size_t len);

/** Adds a message shown by `hwtrace info` and printed at the end of recording (copied). */
void hwt_host_note(struct hwt_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Sets the reason the last host call failed (copied); plugins use it for their own errors. */
void hwt_host_set_error(struct hwt_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** The reason the last host call or plugin start failed. Borrowed, valid until the next call. */
const char *hwt_host_error(const struct hwt_host *h);

/** Shows @fmt as a progress line on the terminal, replacing the last one; nothing when standard
 *  error is not a terminal or the recording is quiet. NULL clears the line. Not recorded. */
void hwt_host_progress(struct hwt_host *h, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Fails the recording, from a tracer's stop() that found nothing to trace: it ends as it
 *  would, then the host removes the output and `record` says @fmt (one line) and exits
 *  non-zero, instead of leaving an empty recording behind. */
void hwt_host_fail(struct hwt_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Adds @n to the records lost in this recording (what `hwtrace info` reports as lost): for
 *  plugins that keep buffers of their own. */
void hwt_host_count_lost(struct hwt_host *h, uint64_t n);

/** Sets metadata @key to @value in the recording (both copied). */
int hwt_host_set_meta(struct hwt_host *h, const char *key, const char *value);

/* ---- what plugins put on the timeline ----------------------------------------------------
 * Counter values, object snapshots, instants and flows are recorded in the host's own stream
 * and decoded generically: a plugin that uses only these needs no decoder. Call them from
 * start() and poll() (counter and object plugins poll on a thread of their own; the host
 * serializes the calls). Times are CLOCK_MONOTONIC nanoseconds (hwt_host_now()); 0 means now.
 * Each returns >= 0 or a negative enum hwt_error, with the reason in hwt_host_error(). */

/** Where a track belongs. */
enum hwt_track_scope {
	HWT_SCOPE_GLOBAL = 0,  /* the whole machine (/proc/loadavg) */
	HWT_SCOPE_PROCESS = 1, /* one process: .pid */
	HWT_SCOPE_THREAD = 2,  /* one thread: .pid and .tid */
};

/** Flags of a counter track. */
enum hwt_track_flags {
	HWT_TRACK_CUMULATIVE = 1, /* a running total (faults so far): views take differences */
};

/** A counter track: one number over time. */
struct hwt_counter_desc {
	const char *name; /* shown as the track's name ("rss", "page-faults"); copied */
	const char *unit; /* "bytes", "count", "ns", "percent"...; NULL: none; copied */
	uint32_t scope;	  /* enum hwt_track_scope */
	uint32_t flags;	  /* enum hwt_track_flags */
	int pid, tid;	  /* as the scope needs them */
};

/** Declares a counter track; returns its id (> 0). */
int hwt_host_counter_track(struct hwt_host *h, const struct hwt_counter_desc *desc);

/** Appends @value at @ts to counter track @track. */
int hwt_host_counter(struct hwt_host *h, int track, uint64_t ts, double value);

/** Appends @n values of @track at once: values[i] at ts[i] (ts NULL: all now). */
int hwt_host_counters(struct hwt_host *h, int track, size_t n, const uint64_t *ts,
		      const double *values);

/** Declares an object track named @name (copied) of @scope (with @pid, @tid as it needs);
 *  returns its id (> 0). */
int hwt_host_object_track(struct hwt_host *h, const char *name, uint32_t scope, int pid, int tid);

/** A value tree being built: the arguments of an instant, the state of an object. */
struct hwt_args;

/** A new empty tree (a map); NULL when out of memory. Free with hwt_args_free(). */
struct hwt_args *hwt_args_new(void);
/** Frees @a; NULL is accepted. */
void hwt_args_free(struct hwt_args *a);
/** Empties @a for reuse. */
void hwt_args_reset(struct hwt_args *a);
/** Adds a value under @key (copied) to the innermost open map, or appends it to the innermost
 *  open list (@key ignored there). An error (out of memory, nested too deep, an end with
 *  nothing open) sticks: the tree is refused when used. */
void hwt_args_int(struct hwt_args *a, const char *key, int64_t v);
void hwt_args_double(struct hwt_args *a, const char *key, double v);
void hwt_args_str(struct hwt_args *a, const char *key, const char *v);
void hwt_args_bool(struct hwt_args *a, const char *key, int v);
void hwt_args_null(struct hwt_args *a, const char *key);
/** Opens a map or a list as the next value; hwt_args_end() closes the innermost one. */
void hwt_args_map(struct hwt_args *a, const char *key);
void hwt_args_list(struct hwt_args *a, const char *key);
void hwt_args_end(struct hwt_args *a);

/** A snapshot @state (borrowed for the call; NULL: empty) of object track @track at @ts. */
int hwt_host_object(struct hwt_host *h, int track, uint64_t ts, const struct hwt_args *state);

/** An instant named @name (copied) with @args (NULL: none) at @ts on thread @tid of @pid
 *  (tid 0: the process; pid 0: global). */
int hwt_host_instant(struct hwt_host *h, int pid, int tid, uint64_t ts, const char *name,
		     const struct hwt_args *args);

/** Where an event stands on a flow (an arrow, or a chain of them). */
enum hwt_flow_end {
	HWT_FLOW_END_OUT = 1,  /* the arrow leaves this event */
	HWT_FLOW_END_STEP = 2, /* it passes through (arrives and leaves again) */
	HWT_FLOW_END_IN = 3,   /* it arrives here */
};

/** One end (@phase: enum hwt_flow_end) of flow @flow,
 *  an arrow named @name (copied), at @ts on thread @tid of @pid: arrows join the events of the
 *  same @flow in time order (thread to thread, process to process). */
int hwt_host_flow(struct hwt_host *h, uint64_t flow, int phase, int pid, int tid, uint64_t ts,
		  const char *name);

/** From start() of a counter or object plugin: poll() comes every @ns nanoseconds (100 us at
 *  least) instead of every 10 ms. */
int hwt_host_poll_interval(struct hwt_host *h, uint64_t ns);

/** 1 once the target has exited (it stays unreaped, its /proc readable, until the plugins'
 *  last poll() has returned), else 0. Any thread. */
int hwt_host_target_exited(const struct hwt_host *h);

/** CLOCK_MONOTONIC now, in nanoseconds: the recording's clock. */
uint64_t hwt_host_now(void);

#endif

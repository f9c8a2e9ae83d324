/* The one shadow stack of the exporters and reports: per thread, the slices open and the
 * consumer's own data, with begins and ends handed to the consumer well nested. An end with
 * nothing open is counted and dropped; what a thread's or its process's exit leaves open ends
 * there, and what the stream leaves open ends at the thread's last event. */
#ifndef HWT_EXPORTERS_SLICE_TRACK_H
#define HWT_EXPORTERS_SLICE_TRACK_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/** A slice open on a thread. */
struct hwt_open_slice {
	uint32_t frame; /* frame id of its begin */
	uint32_t node;	/* stack node of its begin event */
	uint64_t begin; /* ns */
	uint64_t child; /* ns spent in the slices nested in it that ended */
	uint64_t aux;	/* the consumer's */
	size_t args_at; /* where its arguments start in its thread's @args */
	uint32_t probe; /* its begin's probe flags (HWT_SLICE_PROBE_MASK) */
};

/** A thread seen by the tracker. The consumer's data (@extra bytes at alloc) follows it. */
struct hwt_track_thread {
	uint32_t pid, tid;
	uint64_t last_ts;	     /* of its newest event */
	struct hwt_open_slice *open; /* innermost last */
	uint32_t nopen, capopen;
	/* With keep_args: the arguments (HWT_EV_SLICE_ARGS) of the open slices, outermost first,
	 * each a u32 length (native order) and that many bytes of a value tree. */
	uint8_t *args;
	size_t nargs, capargs;
	/* With compensation: the probe time taken out on the thread so far, subtracted from each
	 * of its times handed out, and the last time handed out (they never go back); the
	 * measured cost that was more than the time that passed, not taken out (comp_ts()). */
	uint64_t probe_ns, comp_last, excess_ns;
	uint64_t outer_begin; /* measured begin of its outermost open slice */
	uint64_t traced_ns;   /* measured time in its outermost slices that ended */
};

/** The consumer's data of @t: @extra zeroed bytes, 8-byte aligned. */
static inline void *hwt_track_thread_data(struct hwt_track_thread *t)
{
	return t + 1;
}

/** What a consumer does with the slices. Hooks return >= 0 or a negative enum hwt_error. */
struct hwt_slice_track_ops {
	/** @s opened on @t (it is the innermost, t->open[t->nopen - 1]). */
	int (*begin)(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s);
	/** @s, the innermost slice of @t, ends at @ts (not before its begin); it leaves the stack
	 *  after the call, its duration added to its parent's child time. @flags: enum
	 *  hwt_slice_flags, HWT_SLICE_UNFINISHED also for what an exit or the end closes. */
	int (*end)(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s, uint64_t ts,
		   uint32_t flags);
	/** Non-zero: keep each open slice's arguments until it ends (hwt_slice_args_walk());
	 *  zero: HWT_EV_SLICE_ARGS is ignored. */
	int keep_args;
};

struct hwt_slice_track;

/** New tracker calling @ops (borrowed, static) with @ctx; @extra bytes of consumer data per
 *  thread. NULL when out of memory. */
struct hwt_slice_track *hwt_slice_track_alloc(const struct hwt_slice_track_ops *ops, void *ctx,
					      size_t extra);
/** Frees @tr and its threads (the consumer frees what its data owns first); NULL accepted. */
void hwt_slice_track_free(struct hwt_slice_track *tr);

struct hwt_probe_costs;

/** From now on hands out times with the probe cost @c (copied; NULL: none) taken out: each
 *  begin, end and child time is as if the probes had cost nothing. A thread's times move back
 *  by the cost of the probes it went through before them: the part of a call's cost between
 *  the clock reads of its entry and return probes (hwt_probe_cost.in_ns) lies inside the call,
 *  the rest outside (in its caller), half before its begin and half after its end. A time never
 *  goes before the thread's previous one, so no duration is below 0. Call before the first
 *  event. */
void hwt_slice_track_compensate(struct hwt_slice_track *tr, const struct hwt_probe_costs *c);

/** Thread (@pid, @tid): created (with zeroed data) when @create, else NULL if unseen. NULL
 *  when out of memory too. The pointer stays valid until hwt_slice_track_free(). */
struct hwt_track_thread *hwt_slice_track_thread(struct hwt_slice_track *tr, uint32_t pid,
						uint32_t tid, int create);
/** Number of threads seen, and thread @i of them (in order of appearance). */
uint32_t hwt_slice_track_nthreads(const struct hwt_slice_track *tr);
struct hwt_track_thread *hwt_slice_track_at(const struct hwt_slice_track *tr, uint32_t i);

/** Follows @ev: slice begins (creating the thread) and ends, thread and process exits, slice
 *  arguments (with keep_args; dropped when no slice is open); any other event of a known thread
 *  moves its clock. Returns 0, a hook's error, HWT_E_NOMEM. */
int hwt_slice_track_event(struct hwt_slice_track *tr, const struct hwt_event *ev);
/** The @n events @evs in order, as that many hwt_slice_track_event() calls; stops at the first
 *  error and returns it. */
int hwt_slice_track_events(struct hwt_slice_track *tr, const struct hwt_event *evs, size_t n);
/** Ends every slice open on @t at @ts, unfinished. */
int hwt_slice_track_close(struct hwt_slice_track *tr, struct hwt_track_thread *t, uint64_t ts);
/** Ends every slice still open, each thread's at its last event: the end of the stream. */
int hwt_slice_track_finish(struct hwt_slice_track *tr);
/** With compensation: the probe time taken out so far (*@probe_ns), the measured time of the
 *  outermost slices that ended (*@traced_ns), and the measured cost not taken out because it was
 *  more than the time between two events (*@excess_ns, if not NULL), over all threads. */
void hwt_slice_track_probe_time(const struct hwt_slice_track *tr, uint64_t *probe_ns,
				uint64_t *traced_ns, uint64_t *excess_ns);
/** Ends seen with no slice open on their thread (tracing began inside the call). */
uint64_t hwt_slice_track_stray_ends(const struct hwt_slice_track *tr);

struct hwt_value_walk_ops;

/** Walks the arguments @s, the innermost open slice of @t, got since it began or since the last
 *  hwt_slice_args_clear(), as one map (hwt_value_walk_args(), *@index carried over). 0 when it
 *  has none; else as hwt_value_walk_args(). */
int hwt_slice_args_walk(const struct hwt_track_thread *t, const struct hwt_open_slice *s,
			const struct hwt_value_walk_ops *ops, void *ctx, uint32_t *index);
/** Non-zero when @s, the innermost open slice of @t, has arguments to walk. */
int hwt_slice_args_any(const struct hwt_track_thread *t, const struct hwt_open_slice *s);
/** Forgets the arguments of @s, the innermost open slice of @t, once they are written. */
void hwt_slice_args_clear(struct hwt_track_thread *t, struct hwt_open_slice *s);

#endif

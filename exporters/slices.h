/* Traced calls (slices) seen as a profile and as a call tree: the per-function statistics behind
 * `hwtrace report` and the uftrace-like call tree printer behind `hwtrace inspect`. */
#ifndef HWT_EXPORTERS_SLICES_H
#define HWT_EXPORTERS_SLICES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/model.h"

/** Room hwt_duration_fmt() needs for any value, NUL included. */
#define HWT_DURATION_LEN 32

/** Writes @ns human-readable into @buf (@len bytes, HWT_DURATION_LEN is always enough), 10
 *  columns wide below 1000 s: "    123 ns", "  1.234 us", " 12.345 ms", "  1.234  s". Values
 *  are truncated, not rounded. Returns @buf. */
char *hwt_duration_fmt(char *buf, size_t len, uint64_t ns);
/** Writes hwt_duration_fmt()'s text of @ns at @p (at most HWT_DURATION_LEN - 1 bytes, no NUL);
 *  returns the end. */
char *hwt_duration_put(char *p, uint64_t ns);
/** Non-zero when @unit (a weight's or a counter's, NULL accepted) is nanoseconds. */
int hwt_unit_is_ns(const char *unit);
/** Writes @v of @unit into @buf (@len bytes; HWT_DURATION_LEN is enough for times): a time as
 *  hwt_duration_fmt() without its padding ("129.750 ms", "76.418 s"), anything else as the
 *  number and the unit ("519 count", "7" without one; cut to @len). Returns @buf. */
char *hwt_value_fmt(char *buf, size_t len, uint64_t v, const char *unit);

/** What the report table is sorted by, largest first. */
enum hwt_slice_sort {
	HWT_SLICE_SORT_TOTAL = 0,
	HWT_SLICE_SORT_CALLS,
	HWT_SLICE_SORT_SELF,
	HWT_SLICE_SORT_AVG,
	HWT_SLICE_SORT_MAX,
};

/** The key named @name ("total", "calls", "self", "avg", "max"), or HWT_E_INVAL. */
int hwt_slice_sort_parse(const char *name);

/** Statistics of one function: every frame whose name is the same string. Times in ns. */
struct hwt_slice_func {
	uint32_t name;	     /* string id of the function's name, HWT_NONE if it has none */
	uint64_t calls;	     /* calls begun */
	uint64_t total;	     /* inclusive time, counted for the outermost active call only, so a
				recursive function is not counted twice */
	uint64_t self;	     /* time not spent in traced callees */
	uint64_t max;	     /* the longest single call (inclusive) */
	uint64_t unfinished; /* calls whose return was not seen */
};

/** Counts over the whole stream. */
struct hwt_slice_summary {
	uint64_t calls;		 /* slice begins */
	uint64_t unfinished;	 /* calls whose return was not seen (flagged, or still open at a
				    thread's or the stream's end) */
	uint64_t unmatched_ends; /* ends with no open slice on their thread, ignored */
	uint64_t lost_markers;	 /* HWT_EV_LOST events */
	uint64_t lost_records;	 /* records they say were lost (0 for unknown counts) */
	uint32_t threads;	 /* threads with at least one call */
	uint32_t functions;	 /* distinct function names */
};

struct hwt_slicestats;

/** New, empty statistics; NULL when out of memory. Memory grows with the functions and threads
 *  seen and the slices open at once, never with the number of events. */
struct hwt_slicestats *hwt_slicestats_alloc(void);
/** Frees @s; NULL accepted. */
void hwt_slicestats_free(struct hwt_slicestats *s);
struct hwt_probe_costs;
/** Takes the probe cost @c (copied; NULL: none) out of every call's total and self time (and
 *  so its average and longest), as hwt_slice_track_compensate() says. Call before the first
 *  event. */
void hwt_slicestats_compensate(struct hwt_slicestats *s, const struct hwt_probe_costs *c);
/** Adds one event of the stream, in stream order; events other than slices, lost markers and
 *  thread and process ends are ignored. @m (borrowed for the call) names the frames. Returns 0,
 *  HWT_E_INVAL for a NULL argument, or HWT_E_NOMEM. */
int hwt_slicestats_event(struct hwt_slicestats *s, const struct hwt_model *m,
			 const struct hwt_event *ev);
/** The @n events @evs in order, as that many hwt_slicestats_event() calls (the lost markers
 *  counted first, which nothing before the end reads). */
int hwt_slicestats_events(struct hwt_slicestats *s, const struct hwt_model *m,
			  const struct hwt_event *evs, size_t n);
/** Ends the slices still open, as unfinished, at their thread's last event. Call once after the
 *  last event, then read. Returns 0, HWT_E_INVAL, or HWT_E_NOMEM. */
int hwt_slicestats_finish(struct hwt_slicestats *s);
/** With compensation: the probe time taken out (*@probe_ns) of calls that took *@traced_ns
 *  (the measured time of each thread's outermost calls), and the measured cost left in because it
 *  was more than the time between two events (*@excess_ns, if not NULL); all 0 without. */
void hwt_slicestats_probe_time(const struct hwt_slicestats *s, uint64_t *probe_ns,
			       uint64_t *traced_ns, uint64_t *excess_ns);
/** The counts so far into *@sum. */
void hwt_slicestats_summary(const struct hwt_slicestats *s, struct hwt_slice_summary *sum);
/** Sorts the functions by @key, largest first, ties by total then name (@m, borrowed for the
 *  call, gives the names), and sets *@n to their number. The array is borrowed from @s, valid
 *  until the next call on @s. NULL with *@n 0 when there are none or an argument is NULL. */
const struct hwt_slice_func *hwt_slicestats_sorted(struct hwt_slicestats *s,
						   const struct hwt_model *m,
						   enum hwt_slice_sort key, uint32_t *n);
/** Writes the report of @s to @out: a header line with the counts ("# C calls of F functions in
 *  T threads of @title", without " of @title" when @title is NULL), a note line when records
 *  were lost or calls had no return, then the table sorted by @key, @top rows (0 for all).
 *  "Avg total" is total / calls. Writes only to @out.
 *  Returns 0, or HWT_E_INVAL for a NULL @s, @m or @out. */
int hwt_slicestats_print(struct hwt_slicestats *s, const struct hwt_model *m,
			 enum hwt_slice_sort key, uint32_t top, const char *title, FILE *out);

/** Call tree printer settings; hwt_calltree_config_init() gives the defaults. */
struct hwt_calltree_config {
	FILE *out;	    /* where lines go (borrowed; default stdout) */
	uint32_t max_depth; /* calls deeper than this (the outermost is at 1) are folded into
			       their caller; 0: no limit */
	uint32_t tid;	    /* only this thread's events, when @only_tid */
	int only_tid;
	const struct hwt_probe_costs *compensate; /* borrowed for the alloc: the probe cost to
						     take out of durations (NULL: none) */
};

/** Fills @cfg with the defaults. */
void hwt_calltree_config_init(struct hwt_calltree_config *cfg);

struct hwt_calltree;

/** New call tree printer with @cfg (copied); NULL when out of memory or @cfg is NULL.
 *
 *  Lines come out as the stream resolves them, interleaving threads as their events do; the
 *  TID column tells them apart and each thread's first line is preceded by "# thread TID
 *  (NAME), process PID". A call is printed when its first traced callee begins (as
 *  "name() {") or when it ends (as "name();" with its duration), so only the open calls of
 *  each thread are held. */
struct hwt_calltree *hwt_calltree_alloc(const struct hwt_calltree_config *cfg);
/** Frees @t, dropping lines not yet written (hwt_calltree_finish() writes them); NULL accepted. */
void hwt_calltree_free(struct hwt_calltree *t);
/** Feeds one event, in stream order; may write lines (they are held in a buffer of @t and
 *  reach @cfg->out in large pieces, the last ones at hwt_calltree_finish()). @m (borrowed for
 *  the call) names the frames and threads. Returns 0, HWT_E_INVAL for a NULL argument,
 *  HWT_E_NOMEM, or HWT_E_IO when writing to @cfg->out failed. */
int hwt_calltree_event(struct hwt_calltree *t, const struct hwt_model *m,
		       const struct hwt_event *ev);
/** Closes the calls still open ("no return seen") and writes what is pending to @cfg->out
 *  (without flushing its stdio buffer). Call once after the last event. Returns 0,
 *  HWT_E_INVAL, HWT_E_NOMEM, or HWT_E_IO when writing failed. */
int hwt_calltree_finish(struct hwt_calltree *t, const struct hwt_model *m);
/** Number of calls (slice begins) of the selected threads seen so far. */
uint64_t hwt_calltree_calls(const struct hwt_calltree *t);

#endif

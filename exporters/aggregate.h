/* The aggregation of samples, slices or a counter's increases by (thread name, stack) behind the
 * folded, pprof and svg outputs and the reports. */
#ifndef HWT_EXPORTERS_AGGREGATE_H
#define HWT_EXPORTERS_AGGREGATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/util.h"

/** What an aggregation sums. */
enum hwt_agg_mode {
	HWT_AGG_AUTO = 0, /* decided at hwt_agg_finish(): samples if any were seen, else slices */
	HWT_AGG_SAMPLES,  /* one value per sample weight */
	HWT_AGG_SLICES,	  /* two values: calls (count), self time (nanoseconds) */
	HWT_AGG_COUNTER,  /* one value: what the counter tracks named by the view add, charged
			     to the stacks they were added at (hwt_agg_alloc()) */
	HWT_AGG_EFFECTS,  /* one value: the bytes (or the count) of the effects of a files or
			     network view, under the stacks that caused them (effects_view.h) */
};

/* Value indexes in HWT_AGG_SLICES mode. */
#define HWT_AGG_CALLS 0
#define HWT_AGG_TIME  1

struct hwt_agg;

/** New aggregation for the view @view (copied; NULL for the default) over @m: a sample weight
 *  of @m, "time" or "calls" (traced calls), or else the name of counter tracks.
 *
 *  A counter view charges each value of every counter track of that name to the stack open on
 *  the track's thread at the value's time (a process's track: its main thread, tid == pid): the
 *  node of the thread's innermost open slice, else the stack of its latest sample, else no
 *  stack; a global track (pid 0) charges no stack and no thread. A cumulative track charges
 *  what it grew by since its previous value (its first value is the baseline, charged nothing,
 *  since what came before the recording saw it belongs to no stack of ours; a decrease, a
 *  reset, charges nothing). Any other track charges its value at each point, so the view is
 *  the sum of the values seen under each stack (negative values charge nothing). Values are
 *  rounded to integers, a cumulative track's as running totals so nothing is lost to rounding.
 *
 *  Counter tracks are declared while the recording is decoded, so a name that is not a weight
 *  is checked at hwt_agg_finish(). NULL with *@err set on failure: HWT_E_INVAL with @why naming
 *  the valid views for an empty @view, HWT_E_NOMEM. */
struct hwt_agg *hwt_agg_alloc(const struct hwt_model *m, const char *view, int *err, char *why,
			      size_t whylen);
/** Frees @a; NULL accepted. */
void hwt_agg_free(struct hwt_agg *a);
struct hwt_probe_costs;
/** Takes the probe cost @c (copied; NULL: none) out of the times of traced calls (the "time"
 *  view), as hwt_slice_track_compensate() says. Call before the first event. */
void hwt_agg_compensate(struct hwt_agg *a, const struct hwt_probe_costs *c);
/** Adds one event; 0 or HWT_E_NOMEM. */
int hwt_agg_event(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev);
/** Adds @n events @evs in order, as many hwt_agg_event() calls would; 0 or HWT_E_NOMEM (the
 *  events before the failing one are added). */
int hwt_agg_events(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *evs,
		   size_t n);
/** Closes slices still open and settles the mode; 0, HWT_E_NOMEM, HWT_E_NOCALLS when the
 *  view is time or calls and no call was traced, or HWT_E_INVAL when the view names neither a
 *  weight nor a counter track of @m (hwt_agg_why() says which views there are). Call once,
 *  then read. */
int hwt_agg_finish(struct hwt_agg *a, const struct hwt_model *m);
/** Why hwt_agg_finish() failed with HWT_E_INVAL: "unknown view 'X'; valid views: ..." with the
 *  weights, time, calls and every counter track's name; "" otherwise. Borrowed from @a. */
const char *hwt_agg_why(const struct hwt_agg *a);

/** The mode the aggregation settled on (never HWT_AGG_AUTO after hwt_agg_finish()). */
enum hwt_agg_mode hwt_agg_mode(const struct hwt_agg *a);
/** Number of values each entry carries. */
uint32_t hwt_agg_nvalues(const struct hwt_agg *a);
/** Index of the value the view selects. */
uint32_t hwt_agg_index(const struct hwt_agg *a);
/** Name and unit of value @k (static strings or borrowed from @m). */
void hwt_agg_value_desc(const struct hwt_agg *a, const struct hwt_model *m, uint32_t k,
			const char **name, const char **unit);
/** Name of the selected view ("samples", "time", ...); borrowed from @a or @m. */
const char *hwt_agg_view_name(const struct hwt_agg *a, const struct hwt_model *m);
/** First and last event timestamps seen (both 0 if none). */
void hwt_agg_span(const struct hwt_agg *a, uint64_t *first, uint64_t *last);

/** Number of aggregated (thread name, stack) entries. */
uint32_t hwt_agg_count(const struct hwt_agg *a);
/** Entry @i: thread name string id (HWT_NONE if unknown), stack node, values (borrowed from
 *  @a, hwt_agg_nvalues() of them). */
void hwt_agg_entry(const struct hwt_agg *a, uint32_t i, uint32_t *comm, uint32_t *node,
		   const uint64_t **values);
/** The frame ids of @node, outermost first, into *@frames (borrowed from @a until the next
 *  call). Returns the depth, or HWT_E_NOMEM. */
int hwt_agg_path(struct hwt_agg *a, const struct hwt_model *m, uint32_t node,
		 const uint32_t **frames);

#endif

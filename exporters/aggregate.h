/* The aggregation of samples or slices by (thread name, stack) behind the folded, pprof and svg
 * outputs and the reports. */
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
};

/* Value indexes in HWT_AGG_SLICES mode. */
#define HWT_AGG_CALLS 0
#define HWT_AGG_TIME  1

struct hwt_agg;

/** New aggregation for the view @view (borrowed for the call; NULL for the default) over @m.
 *  NULL with *@err set on failure: HWT_E_INVAL with @why naming the valid views when @view is
 *  not a weight of @m nor "time" or "calls", HWT_E_NOMEM. */
struct hwt_agg *hwt_agg_alloc(const struct hwt_model *m, const char *view, int *err, char *why,
			      size_t whylen);
/** Frees @a; NULL accepted. */
void hwt_agg_free(struct hwt_agg *a);
/** Adds one event; 0 or HWT_E_NOMEM. */
int hwt_agg_event(struct hwt_agg *a, const struct hwt_model *m, const struct hwt_event *ev);
/** Closes slices still open and settles the mode; 0, HWT_E_NOMEM, or HWT_E_NOCALLS when the
 *  view is time or calls and no call was traced. Call once, then read. */
int hwt_agg_finish(struct hwt_agg *a, const struct hwt_model *m);

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

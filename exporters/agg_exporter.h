/* The exporter hooks shared by the formats that write an aggregation (folded, pprof, svg): every
 * event goes into one struct hwt_agg, and at the end the format writes what it settled on. */
#ifndef HWT_EXPORTERS_AGG_EXPORTER_H
#define HWT_EXPORTERS_AGG_EXPORTER_H

#include <stdio.h>

#include "aggregate.h"
#include "exporter.h"

/** Writes the settled aggregation @a of @m to @out (borrowed). Returns 0 or a negative
 *  enum hwt_error; flushing and checking @out afterwards is the caller's. */
typedef int (*hwt_agg_write_fn)(FILE *out, struct hwt_agg *a, const struct hwt_model *m);

/** The create hook of format @ops (borrowed, static), which writes with @write: an aggregation
 *  of @cfg->view over @m. @why (@whylen bytes) stays borrowed until destroy, for finish to
 *  explain a view that turned out unknown. NULL with *@err set: HWT_E_INVAL (no output or
 *  model, an empty view: @why says which), HWT_E_NOMEM. */
struct hwt_exporter *hwt_agg_exporter_create(const struct hwt_exporter_ops *ops,
					     hwt_agg_write_fn write,
					     const struct hwt_export_config *cfg,
					     const struct hwt_model *m, int *err, char *why,
					     size_t whylen);
/** The event hook: adds @ev to the aggregation. */
int hwt_agg_exporter_event(struct hwt_exporter *e, const struct hwt_model *m,
			   const struct hwt_event *ev);
/** The events hook: adds the @n events @evs to the aggregation. */
int hwt_agg_exporter_events(struct hwt_exporter *e, const struct hwt_model *m,
			    const struct hwt_event *evs, size_t n);
/** The finish hook: settles the aggregation (HWT_E_NOCALLS for time or calls without traced
 *  calls; HWT_E_INVAL for a view that is no weight and no counter of the recording, with the
 *  create hook's @why saying which views there are), writes it, flushes the output (HWT_E_IO
 *  if that fails). */
int hwt_agg_exporter_finish(struct hwt_exporter *e, const struct hwt_model *m);
/** The destroy hook; NULL accepted. */
void hwt_agg_exporter_destroy(struct hwt_exporter *e);

#endif

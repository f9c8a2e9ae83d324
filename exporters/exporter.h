/* The exporter interface: an event stream in, one output file out. */
#ifndef HWT_EXPORTERS_EXPORTER_H
#define HWT_EXPORTERS_EXPORTER_H

#include <stddef.h>
#include <stdio.h>

#include "core/model.h"

#define HWT_EXPORTER_ABI 1

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

struct hwt_probe_costs;

/** What the user asked of an export. */
struct hwt_export_config {
	FILE *out;	  /* borrowed: where to write; the caller opens and closes it */
	const char *view; /* borrowed: weight to aggregate ("samples", "cpu-time", "calls", "time",
			     a counter name), NULL for the exporter's default */
	const struct hwt_probe_costs *compensate; /* borrowed for create: the probe cost the
						     aggregated views take out of call times
						     (NULL: none); timelines refuse it */
};

/** Sets @cfg to defaults (no output, default view). */
void hwt_export_config_init(struct hwt_export_config *cfg);

struct hwt_exporter;

/** One output format. Implementations embed struct hwt_exporter first in their state and
 * recover it with container_of(). Every hook returns >= 0 or a negative enum hwt_error. */
struct hwt_exporter_ops {
	unsigned abi;	  /* HWT_EXPORTER_ABI */
	unsigned size;	  /* sizeof(struct hwt_exporter_ops) */
	const char *name; /* "perfetto", "chrome", ... */
	const char *exts; /* space-separated file extensions, ".pftrace .perfetto-trace" */
	const char *summary;
	/** New exporter writing to @cfg->out (borrowed until destroy); NULL on failure with
	 *  *err set (e.g. HWT_E_INVAL with @why filled for a bad view). @why (@whylen bytes)
	 *  stays borrowed until destroy: a finish that fails with HWT_E_INVAL may explain
	 *  there (a view that names no weight nor counter of the recording, known only once
	 *  every event was seen). */
	struct hwt_exporter *(*create)(const struct hwt_export_config *cfg,
				       const struct hwt_model *m, int *err, char *why,
				       size_t whylen);
	/** One event, in timestamp order per thread. @m may have grown since the last call. */
	int (*event)(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev);
	/** No more events: write whatever is aggregated and the file trailer. */
	int (*finish)(struct hwt_exporter *e, const struct hwt_model *m);
	/** Frees @e (NULL accepted). */
	void (*destroy)(struct hwt_exporter *e);
	/** Optional (NULL: the caller calls event for each): the @n events @evs, in order, as
	 *  that many event calls would take them; for callers that hand over whole batches. */
	int (*events)(struct hwt_exporter *e, const struct hwt_model *m,
		      const struct hwt_event *evs, size_t n);
};

/** Whether @ops has the events hook (an older, smaller table has not). */
static inline int hwt_exporter_has_events(const struct hwt_exporter_ops *ops)
{
	return ops->size >= offsetof(struct hwt_exporter_ops, events) + sizeof(ops->events) &&
	       ops->events;
}

struct hwt_exporter {
	const struct hwt_exporter_ops *ops;
};

/** For create hooks: checks @cfg and @m and allocates @size zeroed bytes whose start is a
 *  struct hwt_exporter of format @ops (static). NULL with *@err set: HWT_E_INVAL (no output or
 *  model, with @why saying so), HWT_E_NOMEM. */
void *hwt_exporter_alloc(size_t size, const struct hwt_exporter_ops *ops,
			 const struct hwt_export_config *cfg, const struct hwt_model *m, int *err,
			 char *why, size_t whylen);

/** All built-in exporters, NULL-terminated. */
extern const struct hwt_exporter_ops *const hwt_exporters[];

/** The exporter called @name, NULL if none. */
const struct hwt_exporter_ops *hwt_exporter_by_name(const char *name);
/** The exporter whose extension ends @path, NULL if none. */
const struct hwt_exporter_ops *hwt_exporter_by_path(const char *path);

#endif

/* Cuts an event stream to some threads and a time window before it reaches an exporter or a
 * report (export --tid, --time): slices open across the window's edges are cut there. */
#ifndef HWT_EXPORTERS_FILTER_H
#define HWT_EXPORTERS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/** What to keep. */
struct hwt_filter_config {
	const uint32_t *tids; /* borrowed: the threads to keep; NULL (or ntids 0): all */
	size_t ntids;
	int has_from, has_to; /* which ends of the window are given */
	uint64_t from, to;    /* ns since the recording started ("start_monotonic"; else since
				 the first event), to excluded */
};

/** Sets @cfg to keep everything. */
void hwt_filter_config_init(struct hwt_filter_config *cfg);

/** Parses "TID[,TID]..." into a new array *@tids (owned by the caller, free()) of *@n ids.
 *  0, or HWT_E_INVAL with @why saying what is wrong, HWT_E_NOMEM. */
int hwt_filter_parse_tids(const char *text, uint32_t **tids, size_t *n, char *why, size_t whylen);

/** Parses "START:END" (each a time with a unit, e.g. 10ms:2s; either may be left out, not both)
 *  into @cfg's window. 0, or HWT_E_INVAL with @why saying what to give. */
int hwt_filter_parse_time(const char *text, struct hwt_filter_config *cfg, char *why,
			  size_t whylen);

/** Receives the events that pass; returns >= 0 or a negative enum hwt_error, which stops the
 *  filter. @ev is valid during the call only. */
typedef int (*hwt_filter_emit_fn)(void *ctx, const struct hwt_model *m, const struct hwt_event *ev);

struct hwt_filter;

/** New filter keeping what @cfg says (copied; its tids stay borrowed). NULL when out of
 *  memory. */
struct hwt_filter *hwt_filter_alloc(const struct hwt_filter_config *cfg);
/** Frees @f; NULL accepted. */
void hwt_filter_free(struct hwt_filter *f);

/**
 * Passes @ev to @emit if it is kept. Process and thread names always pass (for kept threads);
 * per-thread events pass for kept threads inside the window; process-wide ones for processes of
 * kept threads. A slice open when the window starts begins again at its start; one still open
 * when the window ends, ends there (unfinished). Events come in timestamp order per thread.
 * Returns 0 or @emit's error, HWT_E_NOMEM.
 */
int hwt_filter_event(struct hwt_filter *f, const struct hwt_model *m, const struct hwt_event *ev,
		     hwt_filter_emit_fn emit, void *ctx);

/** End of the stream: the slices of kept threads that the window's end cut and no event after
 *  it showed end there. Returns 0 or @emit's error. */
int hwt_filter_finish(struct hwt_filter *f, const struct hwt_model *m, hwt_filter_emit_fn emit,
		      void *ctx);

/** A thread of the config's tids that no event so far belonged to; 0 when all were seen. */
uint32_t hwt_filter_unseen_tid(const struct hwt_filter *f);

/** Events @f has passed and dropped so far. */
void hwt_filter_counts(const struct hwt_filter *f, uint64_t *passed, uint64_t *dropped);

#endif

/* The files and network views: effects (instants whose stack ends in a "file:PATH" or
 * "net:HOST:PORT" frame, from the syscalls plugin) weighed by their bytes or counted, or the
 * files' mappings weighed by the bytes mapped. */
#ifndef HWT_EXPORTERS_EFFECTS_VIEW_H
#define HWT_EXPORTERS_EFFECTS_VIEW_H

#include <stdint.h>

#include "core/model.h"

/** Which effects a view takes, and how it weighs them. */
struct hwt_fxview {
	const char *prefix; /* "file:" or "net:" */
	const char *only;   /* only the effects of this name ("map"); NULL: all */
	const char *weight; /* the integer arg each weighs ("bytes", "length"); NULL: 1 */
	const char *name;   /* what the view adds up, in bytes where @weight, else a count:
			       "bytes", "calls", "bytes mapped" */
};

/** Whether @view names an effects view: "files", "network" (bytes read and written, sent and
 *  received), "files:count", "network:count" (calls: opens, reads, writes, closes, maps,
 *  connects...), "files:mapped" (bytes mapped by mmap). Returns 1 with *@out set, else 0. */
int hwt_fxview_parse(const char *view, struct hwt_fxview *out);

/** What effect @ev (any event) adds to view @v: 1 with *@value set when it is one of the view's
 *  effects (its stack, ev->stack, is where it goes), else 0. */
int hwt_fxview_value(const struct hwt_fxview *v, const struct hwt_model *m,
		     const struct hwt_event *ev, uint64_t *value);

#endif

/* What the counter and object tracks of a recording hold, for `hwtrace info` and `report`: per
 * counter track its number of values, minimum, maximum and last value, per object track its
 * number of snapshots, printed as two tables. */
#ifndef HWT_EXPORTERS_TRACKSTATS_H
#define HWT_EXPORTERS_TRACKSTATS_H

#include <stdint.h>
#include <stdio.h>

#include "core/model.h"

/** The statistics of one track. */
struct hwt_track_stat {
	uint64_t n;	       /* values (counter) or snapshots (object) seen */
	double min, max, last; /* counter values; meaningless while @n is 0 */
};

struct hwt_trackstats;

/** New, empty statistics; NULL when out of memory. Memory grows with the tracks, never with the
 *  number of events. */
struct hwt_trackstats *hwt_trackstats_alloc(void);
/** Frees @s; NULL accepted. */
void hwt_trackstats_free(struct hwt_trackstats *s);
/** Counts @ev if it is a counter value or an object snapshot; other events are ignored. Returns
 *  0, HWT_E_INVAL for a NULL argument, or HWT_E_NOMEM. */
int hwt_trackstats_event(struct hwt_trackstats *s, const struct hwt_event *ev);
/** The statistics of track @track (zeroes for a track without events). Borrowed from @s until
 *  the next event; never NULL for a non-NULL @s. */
const struct hwt_track_stat *hwt_trackstats_get(const struct hwt_trackstats *s, uint32_t track);
/** Writes the tables of the counter tracks (name, unit, scope, values, min, max, last) and of
 *  the object tracks (name, scope, snapshots) of @m (borrowed for the call) to @out, in the
 *  order the tracks were declared; a table with no track is left out. Scopes: "global",
 *  "process PID", "thread PID/TID". Returns the number of tracks listed, or HWT_E_INVAL. */
int hwt_trackstats_print(const struct hwt_trackstats *s, const struct hwt_model *m, FILE *out);

#endif

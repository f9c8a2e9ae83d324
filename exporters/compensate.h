/* Probe-cost compensation: what tracing a call cost, read from a recording's metadata, for the
 * views that subtract it from call durations (--compensate). */
#ifndef HWT_EXPORTERS_COMPENSATE_H
#define HWT_EXPORTERS_COMPENSATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/** What the probes of one traced call cost, entry and return together, in ns. */
struct hwt_probe_cost {
	uint64_t call_ns; /* the whole cost, as the recorder measured it on its host */
	uint64_t in_ns;	  /* the part of it between the clock read at entry and the one at
			     return: inside the call's measured duration (the rest is in its
			     caller's); call_ns / 2 when the recording does not say */
};

/** The cost of each way a call can be recorded (enum hwt_slice_flags, HWT_SLICE_PROBE_*). */
struct hwt_probe_costs {
	struct hwt_probe_cost none;	   /* no probe flag: always 0 */
	struct hwt_probe_cost uprobe;	   /* uprobe.call_ns, uprobe.call_in_ns */
	struct hwt_probe_cost uprobe_slow; /* uprobe.slow_call_ns, uprobe.slow_call_in_ns */
	struct hwt_probe_cost inproc;	   /* inproc.call_ns, inproc.call_in_ns */
};

/** Fills @c from the metadata of @m (borrowed for the call) and writes into @desc (@len bytes)
 *  what will be subtracted, e.g. "1.103 us a call (uprobe, 0.551 us of it inside the call),
 *  10.2 us (uprobe, single-stepped)". Returns how many of the three costs the recording gives
 *  (> 0), HWT_E_NOENT (@desc says so) when it gives none, or HWT_E_INVAL for a NULL argument
 *  or a value that is not a number of ns (@desc names the key). */
int hwt_probe_costs_from_model(const struct hwt_model *m, struct hwt_probe_costs *c, char *desc,
			       size_t len);

/** The cost of a call whose begin had @flags (HWT_SLICE_PROBE_*; the costliest when several
 *  are set), borrowed from @c. */
const struct hwt_probe_cost *hwt_probe_cost_of(const struct hwt_probe_costs *c, uint32_t flags);

#endif

/* Event names to perf_event_attr: perf's short names and everything libpfm4 knows. */
#ifndef HWT_CORE_EVENTS_H
#define HWT_CORE_EVENTS_H

#include <linux/perf_event.h>
#include <stddef.h>

/** Fills @attr's type and config for the event called @name ("page-faults", "perf::TASK-CLOCK",
 *  "cycles", a PMU-specific libpfm4 name). Returns 0, or HWT_E_NOENT with @why filled. */
int hwt_event_parse(const char *name, struct perf_event_attr *attr, char *why, size_t whylen);

/** Non-zero if @attr counts on a hardware PMU (cycles, instructions, raw, cache events). */
int hwt_event_is_hardware(const struct perf_event_attr *attr);

/** Non-zero if this machine has a CPU PMU that can count hardware events, with @why filled
 *  when it has not. */
int hwt_event_have_pmu(char *why, size_t whylen);

#endif

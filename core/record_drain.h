/* The recording loop's rounds: rings and counters into the store (core/record_drain.c). */
#ifndef HWT_CORE_RECORD_DRAIN_H
#define HWT_CORE_RECORD_DRAIN_H

#include <stdint.h>

struct hwt_host;

/** CLOCK_MONOTONIC now, in nanoseconds: the clock of every event of a recording. */
uint64_t hwt_mono_ns(void);

/** Appends what each ring of @h holds to its store (plugin sideband hooks and the end record's
 *  counts see each record), then libhwtrace's rings. Call with the host locked. Returns 0 or the
 *  store's error. */
int hwt_rec_drain_all(struct hwt_host *h);

/** Reads the periodic counters of @h into its store. Returns 0 or the store's error. */
int hwt_rec_read_counters(struct hwt_host *h);

/** The records lost, exact: the kernel's PERF_FORMAT_LOST counts summed over @h's events. */
uint64_t hwt_rec_lost_total(struct hwt_host *h);

#endif

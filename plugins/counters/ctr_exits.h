/* The counters plugin's inherited counters: one counting event per CPU and event on the target
 * with inherit, so that every thread and child process it ever has is counted. They give the
 * process totals, and, through the PERF_RECORD_READ the kernel writes when an inherited counter's
 * thread exits (inherit_stat), the final counts of every thread, short-lived ones included. */
#ifndef HWT_PLUGINS_CTR_EXITS_H
#define HWT_PLUGINS_CTR_EXITS_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include <hwtrace/plugin.h>

#define HWT_CTR_MAX_EVENTS 16

/** A thread's final counts, from the records of its exit. */
struct hwt_ctr_exit {
	int pid, tid;
	uint64_t ts;			   /* when it exited (CLOCK_MONOTONIC ns) */
	double v[HWT_CTR_MAX_EVENTS];	   /* per event, summed over the CPUs */
	uint32_t seen[HWT_CTR_MAX_EVENTS]; /* records so far: one per CPU counted on */
};

struct hwt_ctr_exits;

/**
 * Opens, through @h (which owns and closes them), for each of the @n events @attrs (copied; @n at
 * most HWT_CTR_MAX_EVENTS) and each CPU 0 .. @ncpus - 1 that is online, a counting event on
 * process @pid with inherit and inherit_stat, enabled at its exec, with a ring of the host for the
 * exit records; @names (borrowed for the call) name them in the recording. Sets *@out (free with
 * hwt_ctr_exits_free()). Returns 0, or the host's error for event *@bad (errno kept).
 */
int hwt_ctr_exits_open(struct hwt_host *h, int pid, int ncpus, const struct perf_event_attr *attrs,
		       const char *const *names, size_t n, size_t *bad, struct hwt_ctr_exits **out);

/** The sideband hook's part: takes @rec (borrowed) if it is the exit record of one of @x's
 *  counters. Safe to call from another thread than the rest. */
void hwt_ctr_exits_record(struct hwt_ctr_exits *x, const struct perf_event_header *rec);

/** Moves the exits whose records have all come (with @all, every exit recorded so far) into
 *  *@out (an array the caller frees; NULL when none). Returns how many, or HWT_E_NOMEM. */
long hwt_ctr_exits_take(struct hwt_ctr_exits *x, int all, struct hwt_ctr_exit **out);

/** Reads the totals over every CPU into @v (one per event). Returns 0 or HWT_E_IO. */
int hwt_ctr_exits_totals(struct hwt_ctr_exits *x, double *v);

/** Frees @x (NULL is fine); the events stay the host's. */
void hwt_ctr_exits_free(struct hwt_ctr_exits *x);

#endif

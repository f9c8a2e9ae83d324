/* The `watch` plugin's write breakpoints: open them on a variable, drain their samples into the
 * values written, in time order. Private to plugins/counters/. */
#ifndef HWT_PLUGINS_WATCH_BP_H
#define HWT_PLUGINS_WATCH_BP_H

#include <stddef.h>
#include <stdint.h>

#include "plugins/counters/watch.h"

/** The breakpoints on one variable of one process, their rings and the value so far. */
struct hwt_watch_bp;

/** What the breakpoints saw. */
struct hwt_watch_bp_stats {
	uint64_t writes;    /* samples of the process */
	uint64_t unknown;   /* of those, writes whose value could not be known exactly */
	uint64_t other;	    /* samples of other processes (children that inherited them), or
			     * after the process exec'ed another program */
	uint64_t lost;	    /* samples the kernel could not write (PERF_RECORD_LOST) */
	uint64_t read_back; /* writes whose value was read back from memory before any other */
	uint64_t last_unknown_ts; /* the last write whose store did not give its value */
	uint64_t first_ip;	  /* the first unknown write: the IP after its store */
	char first_text[80];	  /* and its instruction, or why it is not known */
	char first_where[160];	  /* and where: "(FILE+0xOFFSET)", or "" */
};

/** Receives a value written: the variable's bytes @val (borrowed for the call) at @ts. */
typedef void (*hwt_watch_point_fn)(void *ctx, uint64_t ts, const uint8_t *val);

/** Whether a write breakpoint fires on this machine: 1 when one set on a variable of this
 *  process counted its writes, 0 when it opened and counted none (@why says so: a virtual
 *  machine can accept the breakpoint and never pass the debug registers to the CPU), a negative
 *  enum hwt_error when none could be opened (the caller's own open says why). Tried once. */
int hwt_watch_bp_fires(char *why, size_t whylen);

/**
 * Opens a write breakpoint on the @len bytes at @addr of process @pid on each of @ncpus CPUs
 * (inherited by the threads and children it makes from then on), each with a ring of its own;
 * with @before_exec, they start at the process's next exec. @init (copied; NULL: not known) is
 * the value before the first write, which read-modify-write stores need. Returns the
 * breakpoints (free with hwt_watch_bp_free()), or NULL with @why filled: @len not 1, 2, 4 or
 * 8, @addr not aligned to it, the kernel refused (no debug register free), out of memory.
 */
struct hwt_watch_bp *hwt_watch_bp_open(int pid, int ncpus, uint64_t addr, size_t len,
				       int before_exec, const uint8_t *init, char *why,
				       size_t whylen);

/** Sets the value the variable holds now (@val: len bytes, copied): read after the breakpoint
 *  opened, before the first write it sees. */
void hwt_watch_bp_set_value(struct hwt_watch_bp *b, const uint8_t *val);

/**
 * Reads the rings and passes each write older than a few ms at @now (CLOCK_MONOTONIC ns) to
 * @fn in time order (all of them when @final), with the value it wrote; a write whose value
 * cannot be known is counted in the stats instead. Returns how many writes it took.
 */
int hwt_watch_bp_drain(struct hwt_watch_bp *b, uint64_t now, int final, hwt_watch_point_fn fn,
		       void *ctx);

/** What @b saw so far; borrowed until @b is freed. */
const struct hwt_watch_bp_stats *hwt_watch_bp_stats(const struct hwt_watch_bp *b);

/** From @ts (CLOCK_MONOTONIC ns; the program is running by then), an exec of the process runs
 *  another program: writes after it are not the variable's (counted as other). */
void hwt_watch_bp_execs_after(struct hwt_watch_bp *b, uint64_t ts);

/** Closes the breakpoints; NULL is fine. */
void hwt_watch_bp_free(struct hwt_watch_bp *b);

#endif

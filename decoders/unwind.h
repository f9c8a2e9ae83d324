/* DWARF unwinding of sampled user stacks (PERF_SAMPLE_REGS_USER + PERF_SAMPLE_STACK_USER) with
 * libdw, over the address spaces a symbolizer tracks. */
#ifndef HWT_DECODERS_UNWIND_H
#define HWT_DECODERS_UNWIND_H

#include <stddef.h>
#include <stdint.h>

#include "core/format/records.h"
#include "core/symbols.h"

struct hwt_unwinder;

/** New unwinder over the address spaces of @s (borrowed; must outlive it). NULL on failure. */
struct hwt_unwinder *hwt_unwinder_alloc(struct hwt_symbolizer *s);
/** Frees @u; NULL accepted. */
void hwt_unwinder_free(struct hwt_unwinder *u);

/** What the unwinder did so far. */
struct hwt_unwind_stats {
	uint64_t samples;   /* hwt_unwind() calls that walked a stack */
	uint64_t slow;	    /* of them, unwound by libdw: a row the cache does not hold */
	uint64_t frames;    /* frames the cache unwound */
	uint64_t row_fills; /* rows computed with libdw (cache misses) */
};

/** Statistics of @u (borrowed, updated by each call). */
const struct hwt_unwind_stats *hwt_unwinder_stats(const struct hwt_unwinder *u);

/** Whether @u unwinds through its cache of CFI rows (@on non-zero, the default unless the
 *  environment says HWT_UNWIND_CACHE=0) or every sample through libdw; the two give the same
 *  frames. */
void hwt_unwinder_set_cache(struct hwt_unwinder *u, int on);

/** Unwinds the user stack of thread @tid of @pid. @regs holds HWT_SAMPLE_NREGS values in the
 *  order above; @stack (borrowed for the call) holds @size bytes copied from the stack pointer.
 *  Writes at most @max return addresses to @pcs, innermost first (pcs[0] is the sampled IP).
 *  Returns how many were written (>= 1 when the IP is known), or a negative enum hwt_error. */
int hwt_unwind(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
	       const uint8_t *stack, size_t size, uint64_t *pcs, int max);

/* Unwinding ahead, in parallel: samples are independent once their address space is known. The
 * thread that decodes adds the samples it is about to meet, starts them on worker threads, and
 * its hwt_unwind() of each then takes the frames a worker found, or unwinds the sample itself
 * where none did, or where the address space changed since the start (a mapping in between):
 * the same frames as unwinding each in turn. */

/** Threads that unwind ahead besides the caller's: HWT_UNWIND_THREADS (as it was when @u was
 *  made) minus one when set, else one fewer than the CPUs this process may run on; at most 7.
 *  0: nothing is unwound ahead. */
int hwt_unwind_ahead_threads(struct hwt_unwinder *u);

/** Whether the caller should gather its next records into a batch to unwind ahead (1) or take
 *  them one at a time (0): no threads, or the workers fell behind in the last batch (their CPUs
 *  busy elsewhere: then each call says no for a while, longer each time it happens again). */
int hwt_unwind_ahead_wanted(struct hwt_unwinder *u);

/** Adds a sample to the batch the next hwt_unwind_ahead_start() starts: @regs (HWT_SAMPLE_NREGS
 *  values) copied, @stack borrowed until the start after that one. 0 or HWT_E_NOMEM. */
int hwt_unwind_ahead_add(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
			 const uint8_t *stack, size_t size);

/** Starts unwinding the samples added, in the address spaces as they are now, and forgets the
 *  previous batch. Returns how many were started (0 without threads), or a negative enum
 *  hwt_error (nothing is unwound ahead then; hwt_unwind() still works). */
int hwt_unwind_ahead_start(struct hwt_unwinder *u);

/** Waits until no thread reads the stacks of the batch started last, and forgets it; NULL
 *  accepted. */
void hwt_unwind_ahead_stop(struct hwt_unwinder *u);

/** Where a function keeps its return address at a sampled IP, from its CFI. */
enum hwt_ra_rule {
	HWT_RA_UNKNOWN = 0, /* no CFI there, or a rule other than the two below */
	HWT_RA_SP = 1,	    /* in the word at sp + offset: no frame pointer set up (a leaf built
			       without, a prologue, an epilogue) */
	HWT_RA_BP = 2,	    /* in the word at bp + offset: the frame pointer is set up */
};

/** The rule at @ip of @pid, from the .eh_frame (else .debug_frame) of the module mapped there:
 *  returns an enum hwt_ra_rule with *@off set for HWT_RA_SP and HWT_RA_BP, or a negative enum
 *  hwt_error. Cached per address and address space: a CFI lookup happens once per IP. */
int hwt_unwind_ra_rule(struct hwt_unwinder *u, uint32_t pid, uint64_t ip, int64_t *off);

#endif

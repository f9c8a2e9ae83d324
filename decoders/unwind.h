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

/** Unwinds the user stack of thread @tid of @pid. @regs holds HWT_SAMPLE_NREGS values in the
 *  order above; @stack (borrowed for the call) holds @size bytes copied from the stack pointer.
 *  Writes at most @max return addresses to @pcs, innermost first (pcs[0] is the sampled IP).
 *  Returns how many were written (>= 1 when the IP is known), or a negative enum hwt_error. */
int hwt_unwind(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
	       const uint8_t *stack, size_t size, uint64_t *pcs, int max);

#endif

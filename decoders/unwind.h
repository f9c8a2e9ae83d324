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

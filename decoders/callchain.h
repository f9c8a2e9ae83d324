/* Frame-pointer callchains made right on the read side: return addresses checked one by one
 * (executable mapping, a call instruction just before), garbage tails cut, and the caller of a
 * function sampled before it set up its frame put back from its CFI. */
#ifndef HWT_DECODERS_CALLCHAIN_H
#define HWT_DECODERS_CALLCHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/symbols.h"
#include "unwind.h"

/* Indexes of the frame registers in a HWT_SAMPLE_REGS_MASK array. */
#define HWT_REG_BP 6
#define HWT_REG_SP 7
#define HWT_REG_IP 8

/* Longest x86-64 call instruction the check recognises (prefixes not counted). */
#define HWT_CALL_MAX_LEN 7
#define HWT_RA_CACHE	 4096
#define HWT_LEAF_RULES	 4096

/** What the checks remember: a verdict per return address and address-space generation. */
struct hwt_chain_check {
	struct hwt_symbolizer *sym; /* borrowed */
	struct {
		uint64_t addr, gen; /* gen 0: empty */
		int ok;
	} cache[HWT_RA_CACHE];
	uint64_t checked, rejected; /* return addresses looked at, found to be garbage */
	uint64_t cut, leaf_callers; /* chains cut short; callers put back by hwt_chain_fix() */
	/* The unwinder's rule (hwt_unwind_ra_rule()) at each sampled IP met, by IP and
	 * generation, for hwt_chain_sample_leaf_ra_gen(): a sample's look-up reads one entry of 16
	 * bytes, not the unwinder's process table and its entry of 32. */
	struct {
		uint64_t ip;
		uint32_t gen; /* 0: empty */
		int16_t off;
		int16_t rule;
	} rules[HWT_LEAF_RULES];
};

/** Starts @c over the address spaces of @sym (borrowed; must outlive @c). */
void hwt_chain_check_init(struct hwt_chain_check *c, struct hwt_symbolizer *sym);

/** Whether the @n bytes at @code (the bytes just before a return address) end with a whole call
 *  instruction: call rel32 (E8), or an indirect call FF /2 through a register or memory (any
 *  ModRM/SIB/displacement form). Returns 1 or 0. */
int hwt_code_ends_in_call(const uint8_t *code, size_t n);

/** Whether @ra can be a return address in @pid: it lies in an executable mapping and, where the
 *  code bytes can be read, right after a call instruction (1), or at the sigreturn trampoline a
 *  signal handler returns to (2). Returns 1, 2, or 0 when it cannot be one. */
int hwt_chain_return_ok(struct hwt_chain_check *c, uint32_t pid, uint64_t ra);

/** Whether the frame pointer in @regs (HWT_SAMPLE_REGS_MASK order) can start a walk: a frame
 *  lies at or above the stack pointer. Below it, the kernel's walk read a dead part of the stack
 *  (stale frames whose return addresses look right) or wherever a register used for data
 *  pointed. Returns 1 or 0. */
int hwt_chain_walk_sane(const uint64_t *regs);

/** The user part of a frame-pointer sample made right. @chain holds @n entries as the kernel
 *  gave them: chain[0] the sampled user IP, then the return addresses it found by following
 *  the frame pointers. @leaf_ra is the return address of the sampled function found from its
 *  CFI (0 if unknown): where it differs from chain[1] the function had not set up its frame (a
 *  leaf without frame pointer, a prologue or an epilogue), and the walk skipped its caller,
 *  which goes back in. The walk is cut at the first return address that cannot be one.
 *  Writes at most @max addresses to symbolize to @out, innermost first: the IP, then each call
 *  (return address - 1; a sigreturn trampoline itself), and returns how many. */
int hwt_chain_fix(struct hwt_chain_check *c, uint32_t pid, const uint64_t *chain, int n,
		  uint64_t leaf_ra, uint64_t *out, int max);

/** The return address of the function sampled at @regs' IP when it has not set up its frame
 *  pointer (then the frame-pointer walk lacks its caller), from the CFI of its module and the
 *  few hundred bytes of stack copied with the sample: 1 with *@ra set; 0 when the function has
 *  set up its frame pointer or the address is unknown; or a negative enum hwt_error. @regs in
 *  the order of HWT_SAMPLE_REGS_MASK (hwt_regs_expand()). */
int hwt_chain_leaf_ra(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		      const uint8_t *stack, size_t size, uint64_t *ra);

struct hwt_perf_sample;

/** hwt_chain_leaf_ra() on sample @s (borrowed): its pid, tid and user-stack copy, whole or sparse
 *  (core/format/perf_sample.h; a sparse copy reads as zeros where it kept nothing), @regs its
 *  registers expanded. Same returns; 0 when @s has no copy. */
int hwt_chain_sample_leaf_ra(struct hwt_unwinder *u, const struct hwt_perf_sample *s,
			     const uint64_t *regs, uint64_t *ra);

/** hwt_chain_sample_leaf_ra() on sample @s whose registers (s->regs, borrowed) are as sampled,
 *  one per bit of @mask: those the leaf's rule needs are read in place, and all of them are
 *  expanded only where libdw evaluates the rule. Same returns; 0 when @s has no registers. */
int hwt_chain_sample_leaf_ra_raw(struct hwt_unwinder *u, const struct hwt_perf_sample *s,
				 uint64_t mask, uint64_t *ra);

/** hwt_chain_sample_leaf_ra_raw() for a sample whose address space is at generation @gen
 *  (hwt_symbolizer_generation() of its pid in @c's symbolizer), the rule at its IP remembered
 *  in @c. Same returns; HWT_E_INVAL when @c is NULL. */
int hwt_chain_sample_leaf_ra_gen(struct hwt_chain_check *c, struct hwt_unwinder *u,
				 const struct hwt_perf_sample *s, uint64_t mask, uint64_t gen,
				 uint64_t *ra);

/** The sampled registers @in (one per bit of @mask, in ascending bit order) placed in @out as
 *  HWT_SAMPLE_REGS_MASK orders them (HWT_SAMPLE_NREGS values), 0 for those not sampled. */
void hwt_regs_expand(uint64_t mask, const uint64_t *in, uint64_t *out);

/** The register of index @reg (HWT_REG_*, the order of HWT_SAMPLE_REGS_MASK) among the sampled
 *  registers @in (one per bit of @mask, in ascending bit order), 0 if it was not sampled: what
 *  hwt_regs_expand() would place at @reg, without expanding the others. */
static inline uint64_t hwt_regs_get(uint64_t mask, const uint64_t *in, int reg)
{
	if (reg < 0 || reg >= HWT_SAMPLE_NREGS)
		return 0;
	int bit = reg < 9 ? reg : reg + 7, i = 0;
	if (!(mask & (1ull << bit)))
		return 0;
	if (mask == HWT_SAMPLE_FP_REGS_MASK) /* what frame-pointer samples carry: bp, sp, ip */
		return in[bit - 6];
	for (uint64_t below = mask & ((1ull << bit) - 1); below; below &= below - 1)
		i++; /* a few bits; no libgcc call for a popcount */
	return in[i];
}

#endif

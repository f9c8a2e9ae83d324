/* Frame-pointer callchains checked frame by frame: a return address must lie in an executable
 * mapping right after a call instruction, else the walk went through code without frame pointers
 * and what follows is garbage; and the caller a frameless leaf hides, found from its CFI. */
#include "callchain.h"

#include <string.h>

#include "core/format/perf_sample.h"
#include "core/format/records.h"
#include "hwtrace/error.h"

void hwt_chain_check_init(struct hwt_chain_check *c, struct hwt_symbolizer *sym)
{
	memset(c, 0, sizeof(*c));
	c->sym = sym;
}

/* Length of an FF /2 instruction whose ModRM byte is @m and next byte @sib, or 0 if it is not a
 * near indirect call. RIP-relative and SIB forms do not depend on a REX prefix. */
static size_t ff2_len(uint8_t m, uint8_t sib)
{
	unsigned mod = m >> 6, reg = (m >> 3) & 7, rm = m & 7;
	size_t len = 2; /* FF and ModRM */

	if (reg != 2)
		return 0;
	if (mod == 3)
		return len;
	if (rm == 4) {
		len++;
		if (mod == 0 && (sib & 7) == 5)
			return len + 4; /* no base: disp32 */
	}
	if (mod == 0)
		return rm == 5 ? len + 4 : len; /* RIP-relative disp32 */
	return len + (mod == 1 ? 1 : 4);
}

int hwt_code_ends_in_call(const uint8_t *code, size_t n)
{
	if (!code)
		return 0;
	if (n >= 5 && code[n - 5] == 0xe8)
		return 1;
	for (size_t len = 2; len <= HWT_CALL_MAX_LEN && len <= n; len++) {
		const uint8_t *op = code + n - len;

		if (op[0] == 0xff && ff2_len(op[1], len > 2 ? op[2] : 0) == len)
			return 1;
	}
	return 0;
}

/* A signal handler returns to the sigreturn trampoline (libc's __restore_rt: mov $15, %rax;
 * syscall), which no call precedes; the walk goes on into the code the signal interrupted. */
static int is_sigreturn(struct hwt_chain_check *c, uint32_t pid, uint64_t ra)
{
	static const uint8_t restore_rt[] = {
		0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05
	};
	uint8_t code[sizeof(restore_rt)];

	return hwt_symbolizer_code(c->sym, pid, ra, sizeof(code), code) == 1 &&
	       !memcmp(code, restore_rt, sizeof(code));
}

/* hwt_chain_return_ok() in address space generation @gen (@pid's). */
static int return_ok(struct hwt_chain_check *c, uint32_t pid, uint64_t gen, uint64_t ra)
{
	uint8_t code[HWT_CALL_MAX_LEN];
	size_t slot = (size_t)(((ra ^ gen * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >> 52) &
		      (HWT_RA_CACHE - 1);
	int ok, r;

	c->checked++;
	if (c->cache[slot].gen == gen && c->cache[slot].addr == ra && gen) {
		ok = c->cache[slot].ok;
	} else {
		/* The call's last byte lies in an executable mapping; its bytes, where they can
		 * be read (a call at the very start of a mapping cannot), make a call. */
		r = ra ? hwt_symbolizer_code(c->sym, pid, ra - 1, 1, code) : HWT_E_NOENT;
		if (r == HWT_E_NOENT)
			ok = 0;
		else if (r == 1 && ra > sizeof(code) &&
			 hwt_symbolizer_code(c->sym, pid, ra - sizeof(code), sizeof(code), code) ==
				 1)
			ok = hwt_code_ends_in_call(code, sizeof(code)) ? 1
			     : is_sigreturn(c, pid, ra)		       ? 2
								       : 0;
		else
			ok = 1;
		c->cache[slot].addr = ra;
		c->cache[slot].gen = gen;
		c->cache[slot].ok = ok;
	}
	c->rejected += !ok;
	return ok;
}

int hwt_chain_return_ok(struct hwt_chain_check *c, uint32_t pid, uint64_t ra)
{
	return return_ok(c, pid, hwt_symbolizer_generation(c->sym, pid), ra);
}

int hwt_chain_walk_sane(const uint64_t *regs)
{
	return regs[HWT_REG_BP] >= regs[HWT_REG_SP];
}

int hwt_chain_fix(struct hwt_chain_check *c, uint32_t pid, const uint64_t *chain, int n,
		  uint64_t leaf_ra, uint64_t *out, int max)
{
	int k = 0, ok;

	if (n <= 0 || max <= 0)
		return 0;
	uint64_t gen = hwt_symbolizer_generation(c->sym, pid); /* once, not per address */
	out[k++] = chain[0];
	/* chain[1] is the return address of the innermost frame that set up its frame pointer:
	 * when that is not the sampled function's own, its caller goes in between. */
	if (leaf_ra && (n < 2 || chain[1] != leaf_ra) && k < max &&
	    (ok = return_ok(c, pid, gen, leaf_ra))) {
		out[k++] = ok == 2 ? leaf_ra : leaf_ra - 1;
		c->leaf_callers++;
	}
	for (int i = 1; i < n && k < max; i++) {
		ok = return_ok(c, pid, gen, chain[i]);
		if (!ok) {
			c->cut++; /* the rest was read through a register that held no frame */
			break;
		}
		/* A return address points after its call: the call is at the address before. A
		 * signal frame "returns" to the trampoline's first instruction: that one. */
		out[k++] = ok == 2 ? chain[i] : chain[i] - 1;
	}
	return k;
}

/* The caller's address libdw finds from the copy @stack (@size bytes), or from the sparse copy of
 * @sparse made whole (zeros where it kept nothing: the return address it reads was kept); out of
 * line, as its buffer is rarely needed. Returns as hwt_chain_leaf_ra(). */
static __attribute__((noinline)) int unwind_ra(struct hwt_unwinder *u, uint32_t pid, uint32_t tid,
					       const uint64_t *regs, const uint8_t *stack,
					       size_t size, const struct hwt_perf_sample *sparse,
					       uint64_t *ra)
{
	uint8_t whole[HWT_STACK_SPARSE_MAX];
	uint64_t pcs[2];

	if (sparse) {
		size = hwt_perf_stack_expand(sparse, whole, sizeof(whole));
		stack = whole;
	}
	int n = hwt_unwind(u, pid, tid, regs, stack, size, pcs, 2);
	if (n < 2)
		return n < 0 ? n : 0;
	*ra = pcs[1];
	return 1;
}

/* hwt_chain_leaf_ra() by rule @n (with @off) at the IP, on the copy @stack (@size bytes), or on
 * the sparse copy of @sparse when that is not NULL. @regs: the registers expanded, or NULL for
 * those of @raw (as sampled, one per bit of @mask), expanded here only if libdw needs them. */
static int leaf_ra_by(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		      uint64_t mask, const uint64_t *raw, const uint8_t *stack, size_t size,
		      const struct hwt_perf_sample *sparse, int n, int64_t off, uint64_t *ra)
{
	if (n == HWT_RA_BP || n < 0)
		return 0; /* the walk starts at this function's frame: it has its caller */
	if (n == HWT_RA_SP) {
		if (sparse)
			return off >= 0 &&
			       !hwt_perf_stack_read(sparse, (uint64_t)off, ra, sizeof(*ra));
		if (!stack || off < 0 || (uint64_t)off > size || size - (uint64_t)off < sizeof(*ra))
			return 0;
		memcpy(ra, stack + off, sizeof(*ra));
		return 1;
	}
	/* Another rule (a CFA expression, as in PLT entries): libdw evaluates it. */
	if (regs)
		return unwind_ra(u, pid, tid, regs, stack, size, sparse, ra);
	uint64_t all[HWT_SAMPLE_NREGS];
	hwt_regs_expand(mask, raw, all);
	return unwind_ra(u, pid, tid, all, stack, size, sparse, ra);
}

/* leaf_ra_by() with the rule the unwinder finds at the IP (looked up once per IP there). */
static int leaf_ra(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		   uint64_t mask, const uint64_t *raw, const uint8_t *stack, size_t size,
		   const struct hwt_perf_sample *sparse, uint64_t *ra)
{
	int64_t off = 0;
	int n;

	if (!u || (!regs && !raw) || !ra)
		return HWT_E_INVAL;
	n = hwt_unwind_ra_rule(u, pid,
			       regs ? regs[HWT_REG_IP] : hwt_regs_get(mask, raw, HWT_REG_IP), &off);
	return leaf_ra_by(u, pid, tid, regs, mask, raw, stack, size, sparse, n, off, ra);
}

int hwt_chain_leaf_ra(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		      const uint8_t *stack, size_t size, uint64_t *ra)
{
	return leaf_ra(u, pid, tid, regs, 0, NULL, stack, size, NULL, ra);
}

int hwt_chain_sample_leaf_ra(struct hwt_unwinder *u, const struct hwt_perf_sample *s,
			     const uint64_t *regs, uint64_t *ra)
{
	if (!s)
		return HWT_E_INVAL;
	if (!s->stack && !s->stack_map)
		return 0;
	return leaf_ra(u, s->pid, s->tid, regs, 0, NULL, s->stack, (size_t)s->stack_size,
		       s->stack_map ? s : NULL, ra);
}

int hwt_chain_sample_leaf_ra_raw(struct hwt_unwinder *u, const struct hwt_perf_sample *s,
				 uint64_t mask, uint64_t *ra)
{
	if (!s)
		return HWT_E_INVAL;
	if (!s->regs || (!s->stack && !s->stack_map))
		return 0;
	return leaf_ra(u, s->pid, s->tid, NULL, mask, s->regs, s->stack, (size_t)s->stack_size,
		       s->stack_map ? s : NULL, ra);
}

int hwt_chain_sample_leaf_ra_gen(struct hwt_chain_check *c, struct hwt_unwinder *u,
				 const struct hwt_perf_sample *s, uint64_t mask, uint64_t gen,
				 uint64_t *ra)
{
	if (!c || !s)
		return HWT_E_INVAL;
	if (!s->regs || (!s->stack && !s->stack_map))
		return 0;
	if (!u || !ra)
		return HWT_E_INVAL;
	uint64_t ip = hwt_regs_get(mask, s->regs, HWT_REG_IP);
	size_t slot = (size_t)(((ip ^ gen * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >> 52) &
		      (HWT_LEAF_RULES - 1);
	int64_t off = 0;
	int n;

	if (gen && c->rules[slot].gen == gen && c->rules[slot].ip == ip) {
		n = c->rules[slot].rule;
		off = c->rules[slot].off;
	} else {
		n = hwt_unwind_ra_rule(u, s->pid, ip, &off);
		if (n != HWT_RA_SP && n != HWT_RA_BP)
			off = 0; /* not set, nor read */
		/* Kept where it fits the entry (offsets of a few words, generations below 2^32):
		 * anything else asks the unwinder each time, as before. */
		if (gen && gen <= UINT32_MAX && n >= 0 && off >= INT16_MIN && off <= INT16_MAX) {
			c->rules[slot].ip = ip;
			c->rules[slot].gen = (uint32_t)gen;
			c->rules[slot].off = (int16_t)off;
			c->rules[slot].rule = (int16_t)n;
		}
	}
	return leaf_ra_by(u, s->pid, s->tid, NULL, mask, s->regs, s->stack, (size_t)s->stack_size,
			  s->stack_map ? s : NULL, n, off, ra);
}

void hwt_regs_expand(uint64_t mask, const uint64_t *in, uint64_t *out)
{
	int i = 0, j = 0;

	memset(out, 0, HWT_SAMPLE_NREGS * sizeof(*out));
	_Static_assert(HWT_SAMPLE_REGS_MASK == 0xff01ffull, "bits 0-8 then 16-23: places below");
	if (!(mask & ~HWT_SAMPLE_REGS_MASK)) {
		/* Every sampled register has its place (what the recorder asks): registers 0-8 at
		 * 0-8, 16-23 at 9-16. A few bits, once per sample. */
		for (uint64_t m = mask; m; m &= m - 1, i++) {
			int bit = __builtin_ctzll(m);
			out[bit < 9 ? bit : bit - 7] = in[i];
		}
		return;
	}
	/* Only the bits set in either mask: a few, not 64. */
	for (uint64_t m = mask | HWT_SAMPLE_REGS_MASK; m; m &= m - 1) {
		uint64_t b = m & -m;

		if (HWT_SAMPLE_REGS_MASK & b) {
			if (mask & b)
				out[j] = in[i];
			j++;
		}
		if (mask & b)
			i++;
	}
}

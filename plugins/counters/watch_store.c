/* The `watch` plugin's decoding of the x86-64 store behind a write breakpoint's sample: which
 * instruction ended at the sample's IP, and the value it wrote, from the sample's registers. */
#include <capstone.h>
#include <stdio.h>
#include <string.h>

#include <asm/perf_regs.h>

#include "hwtrace/error.h"
#include "plugins/counters/watch.h"

/* Capstone's general purpose registers as perf numbers them: which register, which bits. */
static const struct {
	uint16_t cs;
	struct hwt_watch_reg r;
} regs_map[] = {
#define WREG(q, d, w, b, perf)                                            \
	{ X86_REG_##q, { perf, 0, 8 } }, { X86_REG_##d, { perf, 0, 4 } }, \
		{ X86_REG_##w, { perf, 0, 2 } },                          \
	{                                                                 \
		X86_REG_##b,                                              \
		{                                                         \
			perf, 0, 1                                        \
		}                                                         \
	}
	WREG(RAX, EAX, AX, AL, PERF_REG_X86_AX),
	WREG(RBX, EBX, BX, BL, PERF_REG_X86_BX),
	WREG(RCX, ECX, CX, CL, PERF_REG_X86_CX),
	WREG(RDX, EDX, DX, DL, PERF_REG_X86_DX),
	WREG(RSI, ESI, SI, SIL, PERF_REG_X86_SI),
	WREG(RDI, EDI, DI, DIL, PERF_REG_X86_DI),
	WREG(RBP, EBP, BP, BPL, PERF_REG_X86_BP),
	WREG(RSP, ESP, SP, SPL, PERF_REG_X86_SP),
	WREG(R8, R8D, R8W, R8B, PERF_REG_X86_R8),
	WREG(R9, R9D, R9W, R9B, PERF_REG_X86_R9),
	WREG(R10, R10D, R10W, R10B, PERF_REG_X86_R10),
	WREG(R11, R11D, R11W, R11B, PERF_REG_X86_R11),
	WREG(R12, R12D, R12W, R12B, PERF_REG_X86_R12),
	WREG(R13, R13D, R13W, R13B, PERF_REG_X86_R13),
	WREG(R14, R14D, R14W, R14B, PERF_REG_X86_R14),
	WREG(R15, R15D, R15W, R15B, PERF_REG_X86_R15),
#undef WREG
	{ X86_REG_AH, { PERF_REG_X86_AX, 8, 1 } },
	{ X86_REG_BH, { PERF_REG_X86_BX, 8, 1 } },
	{ X86_REG_CH, { PERF_REG_X86_CX, 8, 1 } },
	{ X86_REG_DH, { PERF_REG_X86_DX, 8, 1 } },
	{ X86_REG_RIP, { HWT_WATCH_RIP, 0, 8 } },
};

uint64_t hwt_watch_regs_mask(void)
{
	/* The GPRs, IP, FLAGS, CS, SS; DS, ES, FS, GS are refused for 64-bit tasks. */
	return ((1ull << PERF_REG_X86_64_MAX) - 1) &
	       ~((1ull << PERF_REG_X86_DS) | (1ull << PERF_REG_X86_ES) | (1ull << PERF_REG_X86_FS) |
		 (1ull << PERF_REG_X86_GS));
}

/* @cs as a GPR; .perf -1 if it is none (no register, a segment, an XMM...). */
static struct hwt_watch_reg gpr(unsigned cs)
{
	for (size_t i = 0; i < sizeof(regs_map) / sizeof(regs_map[0]); i++)
		if (regs_map[i].cs == cs)
			return regs_map[i].r;
	return (struct hwt_watch_reg){ .perf = -1 };
}

static uint64_t mask_of(size_t size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* The value of register @r with @regs after an instruction that ends at @ip. */
static uint64_t reg_value(struct hwt_watch_reg r, const uint64_t *regs, uint64_t ip)
{
	if (r.perf == HWT_WATCH_RIP)
		return ip;
	return (regs[r.perf] >> r.shift) & mask_of(r.size);
}

static uint8_t op_of(unsigned id)
{
	switch (id) {
	case X86_INS_MOV:
	case X86_INS_MOVABS:
	case X86_INS_MOVNTI:
		return HWT_WOP_MOV;
	case X86_INS_MOVBE:
		return HWT_WOP_MOVBE;
	case X86_INS_CMPXCHG:
		return HWT_WOP_CMPXCHG;
	case X86_INS_ADD:
		return HWT_WOP_ADD;
	case X86_INS_SUB:
		return HWT_WOP_SUB;
	case X86_INS_AND:
		return HWT_WOP_AND;
	case X86_INS_OR:
		return HWT_WOP_OR;
	case X86_INS_XOR:
		return HWT_WOP_XOR;
	case X86_INS_INC:
		return HWT_WOP_INC;
	case X86_INS_DEC:
		return HWT_WOP_DEC;
	case X86_INS_NEG:
		return HWT_WOP_NEG;
	case X86_INS_NOT:
		return HWT_WOP_NOT;
	case X86_INS_SHL:
	case X86_INS_SAL:
		return HWT_WOP_SHL;
	case X86_INS_SHR:
		return HWT_WOP_SHR;
	case X86_INS_SAR:
		return HWT_WOP_SAR;
	default:
		return HWT_WOP_UNKNOWN;
	}
}

/* The address the store @s writes with @regs. */
static uint64_t store_ea(const struct hwt_watch_store *s, const uint64_t *regs)
{
	uint64_t ea = (uint64_t)s->disp;

	if (s->base.perf >= 0)
		ea += reg_value(s->base, regs, s->ip);
	if (s->index.perf >= 0)
		ea += reg_value(s->index, regs, s->ip) * s->scale;
	return ea;
}

/* @insn as a store into [@addr, @addr + @len) with @regs: fills @s and returns 0, or returns
 * HWT_E_NOENT if it writes no memory there. */
static int as_store(const cs_insn *insn, const uint64_t *regs, uint64_t addr, size_t len,
		    struct hwt_watch_store *s)
{
	const cs_x86 *x = &insn->detail->x86;
	int mem = -1;

	/* Capstone 4 marks the memory of some stores (cmpxchg, movbe, movups) as read only: a
	 * memory first operand counts too (the breakpoint says it was written). */
	for (int i = 0; i < x->op_count && mem < 0; i++)
		if (x->operands[i].type == X86_OP_MEM &&
		    ((x->operands[i].access & CS_AC_WRITE) || i == 0))
			mem = i;
	if (mem < 0 || x->operands[mem].mem.segment != X86_REG_INVALID)
		return HWT_E_NOENT;
	const x86_op_mem *m = &x->operands[mem].mem;
	memset(s, 0, sizeof(*s));
	s->ip = insn->address + insn->size;
	s->len = (uint8_t)insn->size;
	s->size = x->operands[mem].size;
	s->base = gpr(m->base);
	s->index = gpr(m->index);
	s->src.perf = -1;
	s->scale = (uint8_t)m->scale;
	s->disp = m->disp;
	snprintf(s->text, sizeof(s->text), "%.15s %.47s", insn->mnemonic, insn->op_str);
	if ((m->base != X86_REG_INVALID && s->base.perf < 0) ||
	    (m->index != X86_REG_INVALID && s->index.perf < 0))
		return HWT_E_NOENT;
	uint64_t ea = store_ea(s, regs);
	if (!s->size || ea >= addr + len || ea + s->size <= addr)
		return HWT_E_NOENT;
	s->op = op_of(insn->id);
	if (mem != 0 || x->op_count > 2)
		s->op = HWT_WOP_UNKNOWN;
	if (x->op_count == 2 && x->operands[1].type == X86_OP_IMM) {
		s->has_imm = 1;
		s->imm = x->operands[1].imm;
	} else if (x->op_count == 2 && x->operands[1].type == X86_OP_REG) {
		s->src = gpr(x->operands[1].reg);
		if (s->src.perf < 0 || s->src.perf == HWT_WATCH_RIP)
			s->op = HWT_WOP_UNKNOWN; /* an XMM, MMX or segment register */
	} else if (x->op_count == 1 && s->op >= HWT_WOP_SHL) {
		s->has_imm = 1; /* shift by one */
		s->imm = 1;
	}
	return 0;
}

/* Two readings of the bytes before IP that write the same value to the same place. */
static int same_store(const struct hwt_watch_store *a, const struct hwt_watch_store *b,
		      const uint64_t *regs)
{
	return a->op == b->op && a->size == b->size && store_ea(a, regs) == store_ea(b, regs) &&
	       a->has_imm == b->has_imm &&
	       (a->imm & mask_of(a->size)) == (b->imm & mask_of(b->size)) &&
	       a->src.perf == b->src.perf && a->src.shift == b->src.shift &&
	       a->src.size == b->src.size;
}

/* Decodes forward from the start of @code: the instruction that ends at @ip. */
static int find_exact(csh cs, cs_insn *insn, const uint8_t *code, size_t n, uint64_t ip,
		      const uint64_t *regs, uint64_t addr, size_t len, struct hwt_watch_store *out)
{
	const uint8_t *p = code, *last = NULL;
	size_t left = n;
	uint64_t at = ip - n;

	/* Walking a whole function is quicker without details: only the last one needs them. */
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_OFF);
	while (left && cs_disasm_iter(cs, &p, &left, &at, insn))
		last = at == ip ? p - insn->size : last;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	if (!last)
		return HWT_E_NOENT;
	left = (size_t)(code + n - last);
	at = ip - left;
	if (!cs_disasm_iter(cs, &last, &left, &at, insn) || at != ip)
		return HWT_E_NOENT;
	return as_store(insn, regs, addr, len, out);
}

int hwt_watch_store_find(const uint8_t *code, size_t n, int exact, uint64_t ip,
			 const uint64_t *regs, uint64_t addr, size_t len,
			 struct hwt_watch_store *out, size_t max)
{
	csh cs;
	int err = HWT_E_NOENT, found = 0;

	if (!max)
		return HWT_E_INVAL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return HWT_E_NOTSUP;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	cs_insn *insn = cs_malloc(cs);
	if (!insn) {
		cs_close(&cs);
		return HWT_E_NOMEM;
	}
	if (exact) {
		err = find_exact(cs, insn, code, n, ip, regs, addr, len, out);
		found = !err;
		goto out;
	}
	/* No known boundary: every length from 15 down to 1 that decodes as one instruction
	 * ending at IP and writing there. A REX prefix or an immediate can make two of them fit;
	 * readings that do the same are one. */
	for (size_t k = n < 15 ? n : 15; k >= 1; k--) {
		const uint8_t *p = code + n - k;
		size_t left = k, i;
		uint64_t at = ip - k;
		struct hwt_watch_store s;
		if (!cs_disasm_iter(cs, &p, &left, &at, insn) || left ||
		    as_store(insn, regs, addr, len, &s))
			continue;
		for (i = 0; i < (size_t)found && !same_store(&s, &out[i], regs); i++)
			;
		if (i < (size_t)found)
			continue;
		if ((size_t)found == max) {
			err = HWT_E_INVAL;
			goto out;
		}
		out[found++] = s;
	}
out:
	cs_free(insn, 1);
	cs_close(&cs);
	return found && err != HWT_E_INVAL ? found : err;
}

/* The @s->size bytes the store @s writes, as a number, given what they held before (@old_ok). */
static int result_of(const struct hwt_watch_store *s, const uint64_t *regs, int old_ok,
		     uint64_t old, uint64_t *res)
{
	uint64_t m = mask_of(s->size), src;
	unsigned bits = 8u * s->size;

	src = s->has_imm ? (uint64_t)s->imm : s->src.perf >= 0 ? reg_value(s->src, regs, s->ip) : 0;
	switch (s->op) {
	case HWT_WOP_MOV:
		*res = src;
		break;
	case HWT_WOP_MOVBE:
		*res = __builtin_bswap64(src) >> (64 - bits);
		break;
	case HWT_WOP_CMPXCHG: /* ZF: it stored the source; else it stored back what it read */
		*res = regs[PERF_REG_X86_FLAGS] & 0x40 ? src : regs[PERF_REG_X86_AX];
		break;
	default:
		if (!old_ok || s->op == HWT_WOP_UNKNOWN)
			return HWT_E_NOENT;
		unsigned sh = (unsigned)src & (s->size == 8 ? 63 : 31);
		int64_t sold = (int64_t)(old << (64 - bits)) >> (64 - bits);
		uint64_t r[] = {
			[HWT_WOP_ADD] = old + src, [HWT_WOP_SUB] = old - src,
			[HWT_WOP_AND] = old & src, [HWT_WOP_OR] = old | src,
			[HWT_WOP_XOR] = old ^ src, [HWT_WOP_INC] = old + 1,
			[HWT_WOP_DEC] = old - 1,   [HWT_WOP_NEG] = -old,
			[HWT_WOP_NOT] = ~old,	   [HWT_WOP_SHL] = sh < 64 ? old << sh : 0,
			[HWT_WOP_SHR] = old >> sh, [HWT_WOP_SAR] = (uint64_t)(sold >> sh),
		};
		*res = r[s->op];
	}
	*res &= m;
	return 0;
}

static int one_value(const struct hwt_watch_store *s, const uint64_t *regs, uint64_t addr,
		     size_t len, const uint8_t *old, uint8_t *val)
{
	uint64_t ea = store_ea(s, regs), res, before = 0;
	int inside = ea >= addr && ea + s->size <= addr + len;

	if (s->op == HWT_WOP_UNKNOWN || s->size > 8 || len > 8)
		return HWT_E_NOENT;
	if (old && inside)
		memcpy(&before, old + (ea - addr), s->size);
	if (result_of(s, regs, old && inside, before, &res))
		return HWT_E_NOENT;
	uint8_t bytes[8];
	memcpy(bytes, &res, 8);
	if (ea <= addr && ea + s->size >= addr + len) {
		memcpy(val, bytes + (addr - ea), len); /* it covers the variable */
		return 0;
	}
	if (!old)
		return HWT_E_NOENT; /* part of it, and the rest is not known */
	memcpy(val, old, len);
	for (uint64_t a = ea > addr ? ea : addr; a < ea + s->size && a < addr + len; a++)
		val[a - addr] = bytes[a - ea];
	return 0;
}

int hwt_watch_store_value(const struct hwt_watch_store *s, size_t n, const uint64_t *regs,
			  uint64_t addr, size_t len, const uint8_t *old, uint8_t *val)
{
	uint8_t other[8];

	if (!n || one_value(&s[0], regs, addr, len, old, val))
		return HWT_E_NOENT;
	for (size_t i = 1; i < n; i++) {
		if (one_value(&s[i], regs, addr, len, old, other))
			return HWT_E_NOENT;
		if (memcmp(val, other, len))
			return HWT_E_INVAL;
	}
	return 0;
}

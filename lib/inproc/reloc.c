/* The entry patcher's instruction work: decides whether a function's entry can be replaced (a
 * whole-function scan for branches into it and jump tables) and relocates the replaced
 * instructions into its trampoline. */
#include <capstone.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/inproc/patch_internal.h"

static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* Two handles: the whole-function scan needs lengths only (fast); relocation needs operands. */
struct hwt__disasm {
	csh plain, detail;
	cs_insn *plain_insn, *detail_insn;
};

struct hwt__disasm *hwt__disasm_open(void)
{
	struct hwt__disasm *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->plain) != CS_ERR_OK) {
		free(d);
		return NULL;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &d->detail) != CS_ERR_OK) {
		cs_close(&d->plain);
		free(d);
		return NULL;
	}
	cs_option(d->detail, CS_OPT_DETAIL, CS_OPT_ON);
	d->plain_insn = cs_malloc(d->plain);
	d->detail_insn = cs_malloc(d->detail);
	if (!d->plain_insn || !d->detail_insn) {
		hwt__disasm_close(d);
		return NULL;
	}
	return d;
}

void hwt__disasm_close(struct hwt__disasm *d)
{
	if (!d)
		return;
	if (d->plain_insn)
		cs_free(d->plain_insn, 1);
	if (d->detail_insn)
		cs_free(d->detail_insn, 1);
	cs_close(&d->plain);
	cs_close(&d->detail);
	free(d);
}

static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0xf0:
	case 0xf2:
	case 0xf3:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x26:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
		return true;
	}
	return false;
}

/* The r/m operand of the modrm at @b[0] (REX @rex): memory, RIP, index, rsp use. */
static void classify_rm(const uint8_t *b, size_t left, uint8_t rex, struct hwt__insn *o)
{
	uint8_t mod = b[0] >> 6, rm = b[0] & 7;

	if (mod == 3) {
		o->uses_rsp = (rm | ((rex & 1) << 3)) == 4;
		return;
	}
	o->mem = true;
	if (mod == 0 && rm == 5) {
		o->rip = true;
	} else if (rm == 4 && left > 1) {
		uint8_t sib = b[1];
		uint8_t index = ((sib >> 3) & 7) | ((rex & 2) << 2);
		uint8_t base = (sib & 7) | ((rex & 1) << 3);

		o->indexed = index != 4;
		o->uses_rsp = base == 4;
	}
}

void hwt__insn_classify(const uint8_t *b, size_t len, uintptr_t addr, struct hwt__insn *o)
{
	uintptr_t next = addr + len;
	uint8_t rex = 0, op;
	size_t i = 0;
	int32_t rel;

	memset(o, 0, sizeof(*o));
	o->len = (uint8_t)len;
	o->kind = HWT__INSN_OTHER;
	while (i < len && legacy_prefix(b[i])) {
		o->notrack |= b[i] == 0x3e;
		i++;
	}
	if (i < len && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i >= len)
		return;
	op = b[i];
	if (op == 0xeb || (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3)) {
		if (i + 2 != len)
			return;
		o->target = next + (int8_t)b[i + 1];
		o->kind = op == 0xeb ? HWT__INSN_JMP : op <= 0x7f ? HWT__INSN_JCC : HWT__INSN_LOOP;
		o->cc = op & 15;
	} else if (op == 0xe9 || op == 0xe8) {
		if (i + 5 != len)
			return;
		memcpy(&rel, b + i + 1, 4);
		o->target = next + rel;
		o->kind = op == 0xe9 ? HWT__INSN_JMP : HWT__INSN_CALL;
	} else if (op == 0x0f && i + 1 < len && (b[i + 1] & 0xf0) == 0x80) {
		if (i + 6 != len)
			return;
		memcpy(&rel, b + i + 2, 4);
		o->target = next + rel;
		o->kind = HWT__INSN_JCC;
		o->cc = b[i + 1] & 15;
	} else if (op == 0xc3 || op == 0xc2) {
		o->kind = HWT__INSN_RET;
	} else if (op == 0xcc) {
		o->kind = HWT__INSN_INT3;
	} else if (op == 0xff && i + 1 < len) {
		uint8_t reg = (b[i + 1] >> 3) & 7;

		if (reg < 2 || reg > 5)
			return; /* inc, dec, push */
		/* 3 and 5 are far call/jmp: treated as their near forms, which refuses or keeps
		 * them */
		o->kind = reg <= 3 ? HWT__INSN_CALL_IND : HWT__INSN_JMP_IND;
		classify_rm(b + i + 1, len - i - 1, rex, o);
	} else if (op == 0x63 && (rex & 8) && i + 1 < len) {
		struct hwt__insn m = { 0 };

		classify_rm(b + i + 1, len - i - 1, rex, &m);
		o->movsxd_indexed = m.indexed;
	}
}

/* Offsets from the function's entry that a branch inside it targets, the first 64 bytes. */
struct scan {
	uint64_t jump_into; /* jmp/jcc/loop targets */
	uint64_t call_into; /* call targets */
	bool table;	    /* an indirect jump that looks like a switch */
};

static void scan_note(struct scan *sc, const struct hwt__insn *in, uintptr_t addr, size_t idx,
		      size_t *last_movsxd)
{
	uintptr_t off = in->target - addr;

	switch (in->kind) {
	case HWT__INSN_JMP:
	case HWT__INSN_JCC:
	case HWT__INSN_LOOP:
		if (in->target >= addr && off < 64)
			sc->jump_into |= 1ull << off;
		break;
	case HWT__INSN_CALL:
		if (in->target >= addr && off < 64)
			sc->call_into |= 1ull << off;
		break;
	case HWT__INSN_JMP_IND:
		/* notrack: GCC's switch jump under -fcf-protection; an index: jmp *tab(,%r,8); a
		 * register loaded from an indexed movslq just before: the PIC table. A register
		 * jump otherwise, or through memory without an index, is a tail call. */
		if (in->notrack || in->indexed || (!in->mem && idx - *last_movsxd <= 4))
			sc->table = true;
		break;
	default:
		if (in->movsxd_indexed)
			*last_movsxd = idx;
		break;
	}
}

/* Can the @n instructions replaced at the entry, ending at @end, run elsewhere? */
static int check_displaced(const struct hwt__insn *in, size_t n)
{
	for (size_t k = 0; k < n; k++) {
		bool last = k + 1 == n;

		switch (in[k].kind) {
		case HWT__INSN_LOOP:
		case HWT__INSN_INT3:
			return HWT_PATCH_UNKNOWN_INSN;
		case HWT__INSN_CALL:
		case HWT__INSN_CALL_IND:
			/* it returns to the original code, behind the replaced bytes: last only */
			if (!last || in[k].uses_rsp)
				return HWT_PATCH_UNKNOWN_INSN;
			break;
		default:
			break;
		}
	}
	return HWT_PATCH_OK;
}

int hwt__plan_function(struct hwt__disasm *d, uintptr_t addr, size_t size, struct hwt__plan *plan)
{
	const uint8_t *code = (const uint8_t *)addr, *p = code;
	struct hwt__insn disp[HWT__MAX_DISPLACED], in;
	size_t off = 0, left = size, idx = 0, ndisp = 0, last_movsxd = (size_t)-100;
	uint64_t a = addr;
	uintptr_t site, end = 0;
	struct scan sc = { 0 };
	int rc;

	if (size >= sizeof(endbr64) && memcmp(code, endbr64, sizeof(endbr64)) == 0)
		off = sizeof(endbr64);
	if (size < off + HWT__JMP_LEN)
		return HWT_PATCH_TOO_SHORT;
	if (code[off] == 0xcc)
		return HWT_PATCH_ALREADY;
	site = addr + off;
	while (left > 0) {
		uintptr_t ia = a;

		if (!cs_disasm_iter(d->plain, &p, &left, &a, d->plain_insn))
			return HWT_PATCH_UNKNOWN_INSN;
		hwt__insn_classify(d->plain_insn->bytes, d->plain_insn->size, ia, &in);
		if (ia >= site && ia < site + HWT__JMP_LEN) {
			disp[ndisp++] = in;
			end = ia + in.len;
		}
		scan_note(&sc, &in, addr, idx++, &last_movsxd);
	}
	if (end > addr + size || end - site > HWT__MAX_DISPLACED)
		return HWT_PATCH_TOO_SHORT;
	/* A jump to any replaced byte, the entry itself included, would run the trampoline without
	 * a call; a call to the entry is recursion and fine. */
	if (sc.jump_into & ((1ull << (end - addr)) - 1))
		return HWT_PATCH_JUMP_INTO;
	if (sc.call_into & ((1ull << (end - addr)) - 1) & ~1ull)
		return HWT_PATCH_JUMP_INTO;
	if (sc.table && ndisp > 1)
		return HWT_PATCH_JUMP_TABLE;
	rc = check_displaced(disp, ndisp);
	if (rc)
		return rc;
	plan->site = site;
	plan->len = (uint8_t)(end - site);
	plan->ninsn = (uint8_t)ndisp;
	memcpy(plan->orig, (const void *)site, plan->len);
	return HWT_PATCH_OK;
}

/* ---- relocation ---------------------------------------------------------------------------- */

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* jmp to @target from @at: rel32 when in reach, else through an absolute address. */
static size_t emit_jmp(uint8_t *o, uintptr_t at, uintptr_t target)
{
	int64_t rel = (int64_t)(target - (at + 5));

	if (fits32(rel)) {
		int32_t r = (int32_t)rel;

		o[0] = 0xe9;
		memcpy(o + 1, &r, 4);
		return 5;
	}
	memcpy(o, "\xff\x25\0\0\0\0", 6);
	memcpy(o + 6, &target, 8);
	return HWT__ABS_JMP_LEN;
}

static size_t emit_jcc(uint8_t *o, uintptr_t at, uint8_t cc, uintptr_t target)
{
	int64_t rel = (int64_t)(target - (at + 6));

	if (fits32(rel)) {
		int32_t r = (int32_t)rel;

		o[0] = 0x0f;
		o[1] = 0x80 | cc;
		memcpy(o + 2, &r, 4);
		return 6;
	}
	o[0] = 0x70 | (cc ^ 1); /* the opposite condition jumps over the absolute jump */
	o[1] = HWT__ABS_JMP_LEN;
	return 2 + emit_jmp(o + 2, at + 2, target);
}

/* push $@ret without a 64-bit immediate push: push %rax; movabs $ret,%rax; xchg %rax,(%rsp). */
static size_t emit_push_ret(uint8_t *o, uintptr_t ret)
{
	o[0] = 0x50;
	o[1] = 0x48;
	o[2] = 0xb8;
	memcpy(o + 3, &ret, 8);
	memcpy(o + 11, "\x48\x87\x04\x24", 4);
	return 15;
}

/* Copies the instruction @ci at @ia to @o (running at @at), its RIP-relative operand rewritten. */
static int emit_copy(uint8_t *o, uintptr_t at, const cs_insn *ci, uintptr_t ia)
{
	const cs_x86 *x = &ci->detail->x86;

	memcpy(o, ci->bytes, ci->size);
	for (uint8_t k = 0; k < x->op_count; k++) {
		int64_t target, rel;
		int32_t r;

		if (x->operands[k].type != X86_OP_MEM || x->operands[k].mem.base != X86_REG_RIP)
			continue;
		if (x->encoding.disp_offset == 0 || x->encoding.disp_size != 4)
			return -HWT_PATCH_UNKNOWN_INSN;
		target = (int64_t)(ia + ci->size) + x->operands[k].mem.disp;
		rel = target - (int64_t)(at + ci->size);
		if (!fits32(rel))
			return -HWT_PATCH_RIP_RANGE;
		r = (int32_t)rel;
		memcpy(o + x->encoding.disp_offset, &r, 4);
		break;
	}
	return ci->size;
}

size_t hwt__reloc_max(const struct hwt__plan *plan)
{
	return (size_t)plan->ninsn * 32 + HWT__ABS_JMP_LEN;
}

int hwt__relocate(struct hwt__disasm *d, const struct hwt__plan *plan, uint8_t *out,
		  uintptr_t run_at)
{
	const uint8_t *p = plan->orig;
	size_t left = plan->len;
	uint64_t a = plan->site;
	uint8_t *o = out;
	bool ended = false;

	for (unsigned k = 0; k < plan->ninsn; k++) {
		const cs_insn *ci = d->detail_insn;
		uintptr_t ia = a, at = run_at + (uintptr_t)(o - out);
		struct hwt__insn in;
		int n;

		if (!cs_disasm_iter(d->detail, &p, &left, &a, d->detail_insn))
			return -HWT_PATCH_UNKNOWN_INSN;
		hwt__insn_classify(ci->bytes, ci->size, ia, &in);
		ended = false;
		switch (in.kind) {
		case HWT__INSN_JMP:
			o += emit_jmp(o, at, in.target);
			ended = true;
			break;
		case HWT__INSN_JCC:
			o += emit_jcc(o, at, in.cc, in.target);
			break;
		case HWT__INSN_CALL:
			o += emit_push_ret(o, ia + ci->size);
			o += emit_jmp(o, run_at + (uintptr_t)(o - out), in.target);
			ended = true;
			break;
		case HWT__INSN_CALL_IND: {
			uint8_t *c;
			size_t modrm;

			o += emit_push_ret(o, ia + ci->size);
			c = o;
			n = emit_copy(o, run_at + (uintptr_t)(o - out), ci, ia);
			if (n < 0)
				return n;
			/* the same operand, as a jump: the modrm's reg field 2 (call) becomes 4 */
			modrm = ci->detail->x86.encoding.modrm_offset;
			if (modrm == 0 || modrm >= ci->size)
				return -HWT_PATCH_UNKNOWN_INSN;
			c[modrm] = (uint8_t)((c[modrm] & ~0x38) | (((c[modrm] >> 3) & 7) + 2) << 3);
			o += n;
			ended = true;
			break;
		}
		case HWT__INSN_LOOP:
		case HWT__INSN_INT3:
			return -HWT_PATCH_UNKNOWN_INSN;
		default:
			n = emit_copy(o, at, ci, ia);
			if (n < 0)
				return n;
			o += n;
			ended = in.kind == HWT__INSN_RET || in.kind == HWT__INSN_JMP_IND;
			break;
		}
	}
	if (!ended)
		o += emit_jmp(o, run_at + (uintptr_t)(o - out), plan->site + plan->len);
	return (int)(o - out);
}

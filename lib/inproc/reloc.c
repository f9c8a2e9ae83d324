/* The entry patcher's instruction work: decides whether a function's entry can be replaced (a
 * whole-function scan for branches into it and jump tables) and relocates the replaced
 * instructions into its trampoline. Capstone decodes what our decoder (insn_len.c) does not
 * know, unless built with -DHWT_PATCH_NO_CAPSTONE (then that is refused as unknown). */
#ifndef HWT_PATCH_NO_CAPSTONE
#include <capstone.h>
#endif
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/util.h"
#include "lib/inproc/patch_internal.h"

static const uint8_t endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };

/* The next instruction as capstone sees it: its bytes and length, where its modrm and RIP
 * displacement are (0: none). */
struct moved {
	const uint8_t *b;
	size_t len, modrm_at, disp_at;
};

#ifndef HWT_PATCH_NO_CAPSTONE
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

/* The length of the instruction at *@p, which is consumed; 0 if capstone does not know it. */
static size_t cs_length(struct hwt__disasm *d, const uint8_t **p, size_t *left, uint64_t *a)
{
	return cs_disasm_iter(d->plain, p, left, a, d->plain_insn) ? d->plain_insn->size : 0;
}

/* The instruction at *@p, consumed, into @m: 0 or -HWT_PATCH_UNKNOWN_INSN. */
static int cs_moved(struct hwt__disasm *d, const uint8_t **p, size_t *left, uint64_t *a,
		    struct moved *m)
{
	const cs_x86 *x;

	if (!cs_disasm_iter(d->detail, p, left, a, d->detail_insn))
		return -HWT_PATCH_UNKNOWN_INSN;
	x = &d->detail_insn->detail->x86;
	m->b = d->detail_insn->bytes;
	m->len = d->detail_insn->size;
	m->modrm_at = x->encoding.modrm_offset;
	for (uint8_t k = 0; k < x->op_count; k++) {
		if (x->operands[k].type != X86_OP_MEM || x->operands[k].mem.base != X86_REG_RIP)
			continue;
		if (x->encoding.disp_offset == 0 || x->encoding.disp_size != 4)
			return -HWT_PATCH_UNKNOWN_INSN;
		m->disp_at = x->encoding.disp_offset;
	}
	return 0;
}
#else
struct hwt__disasm {
	int unused;
};

struct hwt__disasm *hwt__disasm_open(void)
{
	return calloc(1, sizeof(struct hwt__disasm));
}

void hwt__disasm_close(struct hwt__disasm *d)
{
	free(d);
}

static size_t cs_length(struct hwt__disasm *d, const uint8_t **p, size_t *left, uint64_t *a)
{
	return 0;
}

static int cs_moved(struct hwt__disasm *d, const uint8_t **p, size_t *left, uint64_t *a,
		    struct moved *m)
{
	return -HWT_PATCH_UNKNOWN_INSN;
}
#endif

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
	} else if (op == 0x8d && (rex & 8) && i + 6 == len && (b[i + 1] & 0xc7) == 0x05) {
		memcpy(&rel, b + i + 2, 4);
		o->lea_rip = next + rel;
	} else if (((op == 0x83 || op == 0x80) && i + 3 == len) || (op == 0x81 && i + 6 == len)) {
		if ((b[i + 1] & 0xf8) == 0xf8) { /* mod 3, reg 7: cmp $imm,%reg (0x80: a byte) */
			int32_t imm = op == 0x80 ? b[i + 2] : (int8_t)b[i + 2];
			if (op == 0x81)
				memcpy(&imm, b + i + 2, 4);
			o->cmp_imm = true;
			o->imm = (uint32_t)imm;
		}
	} else if (op == 0x3d && i + 5 == len) {
		o->cmp_imm = true;
		memcpy(&o->imm, b + i + 1, 4);
	} else if (op == 0x3c && i + 2 == len) {
		o->cmp_imm = true;
		o->imm = b[i + 1];
	} else if (op == 0x63 && (rex & 8) && i + 1 < len) {
		struct hwt__insn m = { 0 };

		classify_rm(b + i + 1, len - i - 1, rex, &m);
		o->movsxd_indexed = m.indexed;
	}
	/* push %reg; sub $n,%rsp; mov %rsp,%rbp; no prefix but REX */
	if (i == (rex != 0)) {
		bool w = rex == 0x48, push_rex = rex == 0 || (rex & 0xfe) == 0x40;

		o->frame_setup =
			(op >= 0x50 && op <= 0x57 && len == i + 1 && push_rex) ||
			(w && (op == 0x83 || op == 0x81) && i + 1 < len && b[i + 1] == 0xec) ||
			(w && op == 0x89 && i + 1 < len && b[i + 1] == 0xe5);
	}
}

/* Offsets from the function's entry that a branch inside it targets, the first 64 bytes. */
struct scan {
	uint64_t jump_into; /* jmp/jcc/loop targets, jump table entries included */
	uint64_t call_into; /* call targets */
	bool table;	    /* an indirect jump that looks like a switch, its table not read */
	size_t last_movsxd, lea_idx, cmp_idx, ja_idx;
	uintptr_t lea;	/* the last lea X(%rip),%reg */
	uint32_t bound; /* the last cmp $imm,%reg */
};

#define TABLE_MAX 1024 /* entries of a jump table read at most */

/* GCC's PIC switch: cmp $N,%r; ja default; lea T(%rip),%t; [mov]; movslq (%t,%i,4),%x;
 * add %t,%x; jmp *%x. T holds N + 1 int32 offsets from T to the case blocks: marks those in
 * the first 64 bytes as jumped into. Returns false when the shape is not that (too far apart,
 * no bound, a table unreadable): the caller then assumes the worst. */
static bool read_table(struct scan *sc, uintptr_t addr, size_t idx)
{
	int32_t e[TABLE_MAX];

	if (!sc->lea || idx - sc->lea_idx > 6 || idx - sc->cmp_idx > 10 ||
	    sc->ja_idx != sc->cmp_idx + 1 || sc->bound >= TABLE_MAX)
		return false;
	size_t n = (size_t)sc->bound + 1;
	/* Read through the kernel: a wrong guess of T gives EFAULT, never a crash. */
	struct iovec local = { e, n * 4 }, remote = { (void *)sc->lea, n * 4 };
	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != (ssize_t)(n * 4))
		return false;
	for (size_t k = 0; k < n; k++) {
		uintptr_t off = sc->lea + (uintptr_t)(intptr_t)e[k] - addr;
		if (off < 64)
			sc->jump_into |= 1ull << off;
	}
	return true;
}

static void scan_note(struct scan *sc, const struct hwt__insn *in, uintptr_t addr, size_t idx)
{
	uintptr_t off = in->target - addr;

	switch (in->kind) {
	case HWT__INSN_JMP:
	case HWT__INSN_JCC:
	case HWT__INSN_LOOP:
		if (in->target >= addr && off < 64)
			sc->jump_into |= 1ull << off;
		if (in->kind == HWT__INSN_JCC && in->cc == 7) /* ja: above the bound */
			sc->ja_idx = idx;
		break;
	case HWT__INSN_CALL:
		if (in->target >= addr && off < 64)
			sc->call_into |= 1ull << off;
		break;
	case HWT__INSN_JMP_IND:
		/* notrack: GCC's switch jump under -fcf-protection; an index: jmp *tab(,%r,8); a
		 * register loaded from an indexed movslq just before: the PIC table. A register
		 * jump otherwise, or through memory without an index, is a tail call. */
		if (!in->mem && idx - sc->last_movsxd <= 4)
			sc->table |= !read_table(sc, addr, idx);
		else if (in->notrack || in->indexed)
			sc->table = true;
		break;
	default:
		if (in->movsxd_indexed)
			sc->last_movsxd = idx;
		if (in->lea_rip) {
			sc->lea = in->lea_rip;
			sc->lea_idx = idx;
		}
		if (in->cmp_imm) {
			sc->bound = in->imm;
			sc->cmp_idx = idx;
		}
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

int hwt__plan_function(struct hwt__disasm *d, uintptr_t addr, size_t size, struct hwt__plan *plan,
		       struct hwt__targets *ext)
{
	const uint8_t *code = (const uint8_t *)addr, *p = code;
	struct hwt__insn disp[HWT__MAX_DISPLACED], in;
	size_t off = 0, left = size, idx = 0, ndisp = 0;
	uint64_t a = addr;
	uintptr_t site, end = 0;
	struct scan sc = { .last_movsxd = (size_t)-100, .cmp_idx = (size_t)-100 };
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
		const uint8_t *ib = p;
		size_t len = hwt__insn_length(p, left);

		if (len) /* the fast path; capstone for what it does not know */
			p += len, left -= len, a += len;
		else if ((len = cs_length(d, &p, &left, &a)) == 0)
			return HWT_PATCH_UNKNOWN_INSN;
		hwt__insn_classify(ib, len, ia, &in);
		if (ia >= site && ia < site + HWT__JMP_LEN) {
			disp[ndisp++] = in;
			end = ia + in.len;
		}
		scan_note(&sc, &in, addr, idx++);
		if (ext && (in.kind == HWT__INSN_JMP || in.kind == HWT__INSN_JCC) &&
		    in.target - addr >= size && HWT_ARRAY_GROW(ext->v, &ext->cap, ext->n + 1) == 0)
			ext->v[ext->n++] = in.target;
	}
	if (end > addr + size || end - site > HWT__MAX_DISPLACED)
		return HWT_PATCH_TOO_SHORT;
	/* A jump to any replaced byte, the entry itself included, would run the trampoline without
	 * a call; a call to the entry is recursion and fine. */
	if (sc.jump_into & ((1ull << (end - addr)) - 1))
		return HWT_PATCH_JUMP_INTO;
	if (sc.call_into & ((1ull << (end - addr)) - 1) & ~1ull)
		return HWT_PATCH_JUMP_INTO;
	/* A jump table's targets are blocks the function reaches after its entry block ran. One
	 * cannot start at an instruction that sets up the frame (push, sub $n,%rsp, mov %rsp,%rbp):
	 * running it again would move the stack off the frame's layout. So a table is a risk only
	 * when something else follows the first replaced instruction. */
	for (size_t k = 1; sc.table && k < ndisp; k++)
		if (!disp[k].frame_setup)
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

/* Copies the instruction @b (@len bytes, run at @ia) to @o (to run at @at); its RIP-relative
 * displacement, at @disp_at if not 0, rewritten for the new place. */
static int emit_copy(uint8_t *o, uintptr_t at, const uint8_t *b, size_t len, uintptr_t ia,
		     size_t disp_at)
{
	int32_t disp, r;
	int64_t rel;

	memcpy(o, b, len);
	if (!disp_at)
		return (int)len;
	memcpy(&disp, b + disp_at, 4);
	rel = (int64_t)(ia + len) + disp - (int64_t)(at + len);
	if (!fits32(rel))
		return -HWT_PATCH_RIP_RANGE;
	r = (int32_t)rel;
	memcpy(o + disp_at, &r, 4);
	return (int)len;
}

/* The next instruction of *@p, consumed, into @m: our decoder first, capstone for what it does
 * not know. 0 or -HWT_PATCH_UNKNOWN_INSN. */
static int next_moved(struct hwt__disasm *d, const uint8_t **p, size_t *left, uint64_t *a,
		      struct moved *m)
{
	m->b = *p;
	m->len = hwt__insn_decode(*p, *left, &m->modrm_at);
	m->disp_at = 0;
	if (!m->len)
		return cs_moved(d, p, left, a, m);
	if (m->modrm_at && (m->b[m->modrm_at] & 0xc7) == 0x05)
		m->disp_at = m->modrm_at + 1;
	*p += m->len, *left -= m->len, *a += m->len;
	return 0;
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
		uintptr_t ia = a, at = run_at + (uintptr_t)(o - out);
		struct hwt__insn in;
		struct moved m;
		int n = next_moved(d, &p, &left, &a, &m);

		if (n < 0)
			return n;
		hwt__insn_classify(m.b, m.len, ia, &in);
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
			o += emit_push_ret(o, ia + m.len);
			o += emit_jmp(o, run_at + (uintptr_t)(o - out), in.target);
			ended = true;
			break;
		case HWT__INSN_CALL_IND: {
			uint8_t *c;

			o += emit_push_ret(o, ia + m.len);
			c = o;
			n = emit_copy(o, run_at + (uintptr_t)(o - out), m.b, m.len, ia, m.disp_at);
			if (n < 0)
				return n;
			/* the same operand, as a jump: the modrm's reg field 2 (call) becomes 4 */
			if (m.modrm_at == 0 || m.modrm_at >= m.len)
				return -HWT_PATCH_UNKNOWN_INSN;
			c[m.modrm_at] = (uint8_t)((c[m.modrm_at] & ~0x38) |
						  ((((c[m.modrm_at] >> 3) & 7) + 2) << 3));
			o += n;
			ended = true;
			break;
		}
		case HWT__INSN_LOOP:
		case HWT__INSN_INT3:
			return -HWT_PATCH_UNKNOWN_INSN;
		default:
			n = emit_copy(o, at, m.b, m.len, ia, m.disp_at);
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

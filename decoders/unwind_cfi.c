/* The unwinder's cache of CFI rows, per (file, address): a repeated address costs a table lookup
 * and a few register computations instead of libdw's CFI interpretation, and the walk over them
 * makes exactly the frames libdwfl's (handle_cfi(), the x86-64 frame-pointer fallback) would. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/openfile.h"
#include "core/symfile.h"
#include "core/util.h"
#include "unwind_int.h"

#define DWARF_BP 6
#define DWARF_SP 7
#define DWARF_RA 16

uint32_t hwt_uw_file_id(struct hwt_unwinder *u, int fd)
{
	struct uw_file f = { 0 };
	struct stat st;
	size_t i;

	if (fd >= 0) {
		if (fstat(fd, &st))
			return 0;
		f.dev = st.st_dev;
		f.ino = st.st_ino;
		f.size = (uint64_t)st.st_size;
		f.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	} else {
		f.size = u->vdso_len; /* the vdso: dev and ino 0, no file has those */
	}
	for (i = 0; i < u->nfiles; i++)
		if (u->files[i].dev == f.dev && u->files[i].ino == f.ino &&
		    u->files[i].size == f.size && u->files[i].mtime_ns == f.mtime_ns)
			return (uint32_t)i + 1;
	if (u->nfiles >= UINT32_MAX - 1 || HWT_ARRAY_GROW(u->files, &u->cap_files, u->nfiles + 1))
		return 0;
	u->files[u->nfiles++] = f;
	return (uint32_t)u->nfiles;
}

void hwt_uw_rows_free(struct hwt_unwinder *u)
{
	free(u->rows);
	free(u->hits);
	free(u->files);
	u->rows = NULL;
	u->hits = NULL;
	u->files = NULL;
	u->nfiles = u->cap_files = 0;
}

/* ---- filling a row from libdw ---- */

/* A register rule as dwarf_frame_register() gives it: the expressions it makes of the rules
 * (offset(N): the CFA plus N as a location; val_offset(N): as a value; register(R)) become
 * rules of the row; any other expression makes the row one the cache does not hold. */
static int rule_of(Dwarf_Frame *fr, int regno, uint8_t *rule, int32_t *off)
{
	Dwarf_Op mem[3], *ops;
	size_t n;
	uint64_t v = 0;

	*off = 0;
	if (dwarf_frame_register(fr, regno, mem, &ops, &n)) {
		*rule = UW_R_UNSET;
		return 0;
	}
	if (!n) {
		*rule = ops == mem ? UW_R_UNDEF : !ops ? UW_R_SAME : UW_R_UNSET;
		return 0;
	}
	if (n == 1 && ops[0].atom == DW_OP_regx) {
		/* libdw knows registers 0-16 only (as an unsigned int): another one leaves this
		 * one unknown. */
		uint32_t r = (uint32_t)ops[0].number;

		*rule = r < UW_NREGS ? UW_R_REG : UW_R_UNSET;
		*off = r < UW_NREGS ? (int32_t)r : 0;
		return 0;
	}
	if (ops[0].atom != DW_OP_call_frame_cfa)
		return -1;
	size_t i = 1;
	if (i < n && ops[i].atom == DW_OP_plus_uconst)
		v = ops[i++].number;
	*rule = UW_R_AT;
	if (i < n && ops[i].atom == DW_OP_stack_value) {
		*rule = UW_R_VAL;
		i++;
	}
	if (i != n || (int64_t)(int32_t)v != (int64_t)v)
		return -1;
	*off = (int32_t)v;
	return 0;
}

/* The CFA rule: a register plus an offset, or none (libdw then fails every rule using it). */
static int cfa_rule(Dwarf_Frame *fr, struct uw_row *row)
{
	Dwarf_Op *ops;
	size_t n;
	uint64_t reg, off;

	row->cfa_reg = UW_NREGS;
	row->cfa_off = 0;
	if (dwarf_frame_cfa(fr, &ops, &n) || !n)
		return 0;
	if (n != 1)
		return -1;
	if (ops[0].atom == DW_OP_bregx) {
		reg = ops[0].number;
		off = ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		reg = ops[0].atom - DW_OP_breg0;
		off = ops[0].number;
	} else {
		return -1;
	}
	if ((int64_t)(int32_t)off != (int64_t)off)
		return -1;
	if ((uint32_t)reg < UW_NREGS) { /* libdw takes the register as an unsigned int */
		row->cfa_reg = (uint8_t)reg;
		row->cfa_off = (int32_t)off;
	}
	return 0;
}

static void row_from_frame(struct uw_row *row, Dwarf_Frame *fr)
{
	bool signal = false;
	int ra = dwarf_frame_info(fr, NULL, NULL, &signal);

	row->kind = UW_ROW_SLOW;
	row->signal = signal;
	if (ra != DWARF_RA || cfa_rule(fr, row))
		return;
	for (int i = 0; i < UW_NREGS; i++) {
		uint8_t rule;

		if (rule_of(fr, i, &rule, &row->off[i]))
			return;
		row->undef_ra |= i == DWARF_RA && rule == UW_R_UNDEF;
		row->same |= (uint32_t)(rule == UW_R_SAME) << i;
		row->at |= (uint32_t)(rule == UW_R_AT) << i;
		row->val |= (uint32_t)(rule == UW_R_VAL) << i;
		row->reg |= (uint32_t)(rule == UW_R_REG) << i;
	}
	row->kind = UW_ROW_CFI;
}

/* Whether @elf has a .debug_frame section with contents: 1 or 0. */
static int has_debug_frame(Elf *elf)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx))
		return 0;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name =
			gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (name && sh.sh_type != SHT_NOBITS &&
		    (!strcmp(name, ".debug_frame") || !strcmp(name, ".zdebug_frame")))
			return 1;
	}
	return 0;
}

/* Whether dwfl_module_dwarf_cfi() can find anything for @mod (file @file): a .debug_frame in its
 * file or in the debug file its build id names (the only one uw_find_debuginfo() gives libdw).
 * Asking it where neither has one costs libdw the inflating of every compressed section of the
 * debug file (about 0.04 s for Debian's libc), to return NULL. Known once per file. */
static int may_have_debug_frame(struct hwt_unwinder *u, Dwfl_Module *mod, uint32_t file)
{
	struct uw_file *f = file && file <= u->nfiles ? &u->files[file - 1] : NULL;
	const unsigned char *bid;
	const void *dbid = NULL;
	GElf_Addr bid_vaddr;
	Dwarf_Addr bias;
	char path[PATH_MAX];
	int found, len, fd;

	if (f && f->debug_frame)
		return f->debug_frame > 0;
	found = has_debug_frame(dwfl_module_getelf(mod, &bias));
	len = found ? 0 : dwfl_module_build_id(mod, &bid, &bid_vaddr);
	if (len > 0 && !hwt_symfile_debug_path(bid, (size_t)len, path, sizeof(path)) &&
	    (fd = hwt_open_regular(path)) >= 0) {
		Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
		ssize_t dlen = elf ? dwelf_elf_gnu_build_id(elf, &dbid) : -1;
		found = dlen == len && !memcmp(dbid, bid, (size_t)len) && has_debug_frame(elf);
		elf_end(elf);
		close(fd);
	}
	if (f)
		f->debug_frame = found ? 1 : -1;
	return found;
}

/* The row at @pc (an address looked up as libdwfl's __libdwfl_frame_unwind() does) in module
 * @mod, of file row->file: from its .eh_frame, else its .debug_frame, else the frame-pointer
 * fallback. */
static void row_fill(struct hwt_unwinder *u, struct uw_row *row, Dwfl_Module *mod, uint64_t pc)
{
	Dwarf_Addr bias;
	Dwarf_Frame *fr;
	Dwarf_CFI *cfi;

	row->kind = UW_ROW_FP;
	row->signal = 0;
	cfi = dwfl_module_eh_cfi(mod, &bias);
	if (cfi && !dwarf_cfi_addrframe(cfi, pc - bias, &fr)) {
		row_from_frame(row, fr);
		free(fr);
		return;
	}
	cfi = may_have_debug_frame(u, mod, row->file) ? dwfl_module_dwarf_cfi(mod, &bias) : NULL;
	if (cfi && !dwarf_cfi_addrframe(cfi, pc - bias, &fr)) {
		row_from_frame(row, fr);
		free(fr);
	}
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
	return ((a ^ (b * 0xc2b2ae3d27d4eb4full)) * 0x9e3779b97f4a7c15ull);
}

static const struct uw_row fp_row = { .kind = UW_ROW_FP };

/* The row for @pc in @p: NULL when memory ran out or the module is not one reported. */
static const struct uw_row *row_at(struct hwt_unwinder *u, struct uw_proc *p, uint64_t pc)
{
	struct uw_hit *h = &u->hits[mix(pc, p->gen) >> (64 - UW_HITS_BITS)];
	const char *name;
	Dwarf_Addr low;
	size_t i;

	if (h->pc == pc && h->gen == p->gen && h->stamp) {
		if (h->row == UW_NO_ROW)
			return &fp_row;
		if (u->rows[h->row].stamp == h->stamp)
			return &u->rows[h->row];
	}
	/* Which module libdw finds there, and which file that is. */
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, pc);
	uint32_t file = 0, slot;
	struct uw_row *row;

	if (mod) {
		name = dwfl_module_info(mod, NULL, &low, NULL, NULL, NULL, NULL, NULL);
		for (i = 0; i < p->nmods && !file; i++)
			if (p->mods[i].low == low && name && !strcmp(p->mods[i].path, name))
				file = p->mods[i].file;
		if (!file)
			return NULL;
		/* Two ways per set (slot and slot ^ 1), so that two rows of one slot do not push
		 * each other out on every sample: direct-mapped, a hundred rows share a slot in
		 * about one code layout of eight (test_unwind's second pass then filled rows
		 * again). A new row takes the way filled longer ago. */
		slot = (uint32_t)(mix(pc - low, file) >> (64 - UW_ROWS_BITS));
		row = &u->rows[slot];
		if (row->file != file || row->pc != pc - low) {
			struct uw_row *other = &u->rows[slot ^ 1];

			if ((other->file == file && other->pc == pc - low) ||
			    (row->file && (!other->file || other->stamp < row->stamp))) {
				slot ^= 1;
				row = other;
			}
		}
		if (row->file != file || row->pc != pc - low) {
			row->undef_ra = 0;
			row->same = row->at = row->val = row->reg = 0;
			memset(row->off, 0, sizeof(row->off));
			row->file = file;
			row->pc = pc - low;
			row->stamp = ++u->stats.row_fills;
			row_fill(u, row, mod, pc);
		}
	} else {
		slot = UW_NO_ROW;
		row = NULL;
	}
	*h = (struct uw_hit){ .pc = pc, .gen = p->gen, .stamp = row ? row->stamp : 1, .row = slot };
	return row ? row : &fp_row;
}

/* ---- the walk ---- */

/* A frame's registers, as libdwfl's Dwfl_Frame holds them. */
struct uw_state {
	uint64_t r[UW_NREGS];
	uint32_t set; /* bit i: r[i] is known */
	uint64_t pc;
	int signal;
};

/* Stack words come from the sample's copy only (uw_memory_read() in unwind.c). */
static inline int mem_read(const struct hwt_unwinder *u, uint64_t addr, uint64_t *out)
{
	if (addr < u->sp || u->size < sizeof(*out) || addr - u->sp > u->size - sizeof(*out))
		return 0;
	memcpy(out, u->stack + (addr - u->sp), sizeof(*out));
	return 1;
}

/* handle_cfi() with the row's rules: 1 with the caller's pc in @nx, 0 where the walk ends. Each
 * register comes from @st alone, so the rules go kind by kind, over the bits they have. */
static int step_cfi(const struct hwt_unwinder *u, const struct uw_row *row,
		    const struct uw_state *st, struct uw_state *nx)
{
	uint64_t cfa = 0, v;
	uint32_t m;
	int i;

	if (row->undef_ra)
		return 0;
	nx->signal = row->signal;
	nx->set = row->same & st->set;
	for (m = nx->set; m; m &= m - 1) {
		i = __builtin_ctz(m);
		nx->r[i] = st->r[i];
	}
	if (row->cfa_reg < UW_NREGS && (st->set >> row->cfa_reg & 1)) {
		cfa = st->r[row->cfa_reg] + (uint64_t)(int64_t)row->cfa_off;
		for (m = row->at; m; m &= m - 1) {
			i = __builtin_ctz(m);
			if (mem_read(u, cfa + (uint64_t)(int64_t)row->off[i], &v)) {
				nx->r[i] = v;
				nx->set |= 1u << i;
			}
		}
		for (m = row->val; m; m &= m - 1) {
			i = __builtin_ctz(m);
			nx->r[i] = cfa + (uint64_t)(int64_t)row->off[i];
			nx->set |= 1u << i;
		}
	}
	for (m = row->reg; m; m &= m - 1) {
		i = __builtin_ctz(m);
		if (st->set >> row->off[i] & 1) {
			nx->r[i] = st->r[row->off[i]];
			nx->set |= 1u << i;
		}
	}
	/* No return address, or zero: the outermost frame. */
	if (!(nx->set >> DWARF_RA & 1) || !nx->r[DWARF_RA])
		return 0;
	nx->pc = nx->r[DWARF_RA];
	return 1;
}

/* libdw's x86-64 fallback without CFI: the frame pointer chain. */
static int step_fp(const struct hwt_unwinder *u, const struct uw_state *st, struct uw_state *nx)
{
	uint64_t fp, sp, prev_fp, ret;

	if (!(st->set >> DWARF_BP & 1) || !(fp = st->r[DWARF_BP]))
		return 0;
	sp = st->set >> DWARF_SP & 1 ? st->r[DWARF_SP] : 0;
	if (!mem_read(u, fp, &prev_fp))
		prev_fp = 0;
	if (!mem_read(u, fp + 8, &ret))
		return 0;
	/* Where the stack pointer does not move up, this is no frame. */
	if (sp >= fp + 16)
		return 0;
	nx->set = 1u << DWARF_BP | 1u << DWARF_SP;
	nx->r[DWARF_BP] = prev_fp;
	nx->r[DWARF_SP] = fp + 16;
	nx->pc = ret;
	nx->signal = 0;
	return 1;
}

static int rows_alloc(struct hwt_unwinder *u)
{
	if (u->rows)
		return 0;
	u->rows = calloc((size_t)1 << UW_ROWS_BITS, sizeof(*u->rows));
	u->hits = calloc((size_t)1 << UW_HITS_BITS, sizeof(*u->hits));
	if (!u->rows || !u->hits) {
		free(u->rows);
		free(u->hits);
		u->rows = NULL;
		u->hits = NULL;
		return -1;
	}
	return 0;
}

int hwt_uw_fast(struct hwt_unwinder *u, struct uw_proc *p)
{
	struct uw_state a, b, *st = &a, *nx = &b, *t;
	uint64_t last_sp = 0;
	int n = 0, initial = 1;

	if (rows_alloc(u))
		return -1;
	memcpy(st->r, u->dregs, sizeof(u->dregs));
	st->set = 0xffff;
	st->pc = u->ip;
	st->signal = 0;
	for (;;) {
		/* What frame_cb() in unwind.c does with each frame. */
		if (!st->pc)
			break;
		if (st->set >> DWARF_SP & 1) {
			if (n > 0 && st->r[DWARF_SP] <= last_sp)
				break;
			last_sp = st->r[DWARF_SP];
		}
		u->pcs[n++] = st->pc;
		if (n >= u->max)
			break;
		/* A return address points after the call: its CFI row is the call's. */
		const struct uw_row *row = row_at(u, p, st->pc - (!initial && !st->signal));
		if (!row || row->kind == UW_ROW_SLOW)
			return -1;
		initial = 0;
		if (!(row->kind == UW_ROW_FP ? step_fp(u, st, nx) : step_cfi(u, row, st, nx)))
			break;
		t = st;
		st = nx;
		nx = t;
	}
	u->stats.frames += (uint64_t)n;
	return n;
}

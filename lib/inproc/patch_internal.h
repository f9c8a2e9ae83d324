/* Internals shared by the entry patcher's files: trampoline layout, instruction decoding, the
 * process-wide hooks and the entry points of the assembly stubs. */
#ifndef HWTRACE_INPROC_PATCH_INTERNAL_H
#define HWTRACE_INPROC_PATCH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/inproc/patch.h"

#define HWT__JMP_LEN	    5  /* jmp rel32 */
#define HWT__ABS_JMP_LEN    14 /* jmp *0(%rip); .quad target */
#define HWT__MAX_DISPLACED  24 /* endbr64 + instructions up to 4 bytes + one of 15 bytes */
#define HWT__CALL_ENTER_LEN 6  /* call *disp32(%rip) */

/**
 * A trampoline, 16-byte aligned in a region mapped near its function: the function's patched
 * bytes jump to code[]; code[] calls hwt__patch_enter_asm (whose address is stored at the start
 * of the region), which returns to code[HWT__CALL_ENTER_LEN]: the relocated instructions, then a
 * jump back behind the replaced bytes.
 */
struct hwt__tramp {
	uint32_t id;
	uint8_t len; /* bytes replaced at site (>= HWT__JMP_LEN) */
	uint8_t pad[3];
	uintptr_t site; /* address of the replaced bytes (after a kept endbr64) */
	uint8_t orig[HWT__MAX_DISPLACED];
	uint8_t code[];
};

/** The trampoline whose resume point (code[HWT__CALL_ENTER_LEN]) is @resume. */
static inline const struct hwt__tramp *hwt__tramp_of_resume(uintptr_t resume)
{
	return (const struct hwt__tramp *)(resume - HWT__CALL_ENTER_LEN -
					   offsetof(struct hwt__tramp, code));
}

/* Process-wide hooks, set by hwt_patcher_alloc, read on every patched call. */
extern struct hwt_patch_hooks hwt__patch_hooks;

/* Assembly stubs (tramp.S). */
void hwt__patch_enter_asm(void);
void hwt__patch_return_asm(void);

/* Called by the stubs (shadow.c). */
void hwt__patch_on_enter(uintptr_t resume, uintptr_t *slot);
uintptr_t hwt__patch_on_leave(uintptr_t *slot);
/* Brackets the patcher's own work on this thread (@on 1, then 0): the patched functions it calls
 * (libc's mprotect, malloc, ...) run untraced. */
void hwt__patch_busy(int on);
/* Makes leave a no-op: after hwt_patcher_free, calls under way return unreported. */
void hwt__patch_hooks_clear(void);

/* ---- instructions (reloc.c) ---- */

enum hwt__insn_kind {
	HWT__INSN_OTHER,
	HWT__INSN_JMP,	    /* jmp rel8/rel32 */
	HWT__INSN_JCC,	    /* jcc rel8/rel32 */
	HWT__INSN_CALL,	    /* call rel32 */
	HWT__INSN_LOOP,	    /* loop*, jrcxz */
	HWT__INSN_JMP_IND,  /* jmp *r/m */
	HWT__INSN_CALL_IND, /* call *r/m */
	HWT__INSN_RET,
	HWT__INSN_INT3,
};

/** What the patcher needs of one instruction, from its bytes. */
struct hwt__insn {
	uint8_t len;
	uint8_t kind; /* enum hwt__insn_kind */
	uint8_t cc;   /* condition of HWT__INSN_JCC (low nibble of its opcode) */
	bool notrack; /* 3e prefix: a jump table's jump under -fcf-protection */
	bool mem;     /* HWT__INSN_*_IND: through memory */
	bool indexed; /* ... with an index register (a table) */
	bool rip;     /* ... RIP-relative */
	bool uses_rsp;
	bool movsxd_indexed; /* movslq (base,index,4),reg: the load of a PIC jump table */
	bool frame_setup;    /* push %reg, sub $n,%rsp or mov %rsp,%rbp */
	bool cmp_imm;	     /* cmp $imm,%reg: a switch's bound check (imm in @imm) */
	uint32_t imm;
	uintptr_t lea_rip; /* lea X(%rip),%reg: X, the base of a PIC jump table (0: not one) */
	uintptr_t target;  /* HWT__INSN_JMP/JCC/CALL/LOOP */
};

/**
 * The length of the x86-64 instruction at @b (@left bytes readable), or 0 when it is invalid,
 * truncated or of a kind this decoder does not know (then ask capstone).
 */
size_t hwt__insn_length(const uint8_t *b, size_t left);

/** hwt__insn_length(), and in *@modrm_at the offset of its modrm byte (0: none). */
size_t hwt__insn_decode(const uint8_t *b, size_t left, size_t *modrm_at);

/** Fills @o from the instruction of @len bytes (capstone's length) at @b, run at @addr. */
void hwt__insn_classify(const uint8_t *b, size_t len, uintptr_t addr, struct hwt__insn *o);

struct hwt__disasm; /* capstone handles */
struct hwt__disasm *hwt__disasm_open(void);
void hwt__disasm_close(struct hwt__disasm *d);

/** The plan for one function: what to replace and how. */
struct hwt__plan {
	uintptr_t site; /* first replaced byte */
	uint8_t len;	/* bytes replaced */
	uint8_t ninsn;	/* instructions replaced */
	uint8_t orig[HWT__MAX_DISPLACED];
};

/** Targets of jumps that leave their function, so that a batch can find jumps from one
 *  function into another's replaced bytes (shared tails of hand-written code). */
struct hwt__targets {
	uintptr_t *v; /* owned */
	size_t n, cap;
};

/**
 * Checks the function at @addr (@size bytes) and plans its patch in @plan: 0 or a refusal (enum
 * hwt_patch_refusal). Appends the targets of its jumps outside itself to @ext unless NULL
 * (dropped when out of memory: ext is an extra check).
 */
int hwt__plan_function(struct hwt__disasm *d, uintptr_t addr, size_t size, struct hwt__plan *plan,
		       struct hwt__targets *ext);

/** Upper bound of the bytes hwt__relocate writes for @plan. */
size_t hwt__reloc_max(const struct hwt__plan *plan);

/**
 * Writes the relocated instructions of @plan then a jump back to its end into @out, which will
 * run at @run_at: the number of bytes written, or a refusal negated (-HWT_PATCH_RIP_RANGE,
 * -HWT_PATCH_UNKNOWN_INSN).
 */
int hwt__relocate(struct hwt__disasm *d, const struct hwt__plan *plan, uint8_t *out,
		  uintptr_t run_at);

#endif

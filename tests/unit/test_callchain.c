/* Unit tests for frame-pointer callchain checks and the leaf fix-up (decoders/callchain.c), on
 * hand-made samples over this test program's own code: call sites and a frameless leaf written in
 * assembly, so their bytes and CFI are known. */
#include <check.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/perf_sample.h"
#include "core/format/records.h"
#include "core/model.h"
#include "core/scrub.h"
#include "core/symbols.h"
#include "decoders/callchain.h"
#include "decoders/unwind.h"
#include "tests/self_samples.h"

#define SELF 1u

/* Two call sites, a return address after each; eight nops, after which nothing was called; a
 * leaf that pushes no frame, and a function that sets up %rbp, each with its CFI. */
__asm__(".text\n"
	".globl cc_sites\n"
	".type cc_sites, @function\n"
	"cc_sites:\n"
	"	call cc_leaf\n"
	".globl cc_ret1\n"
	"cc_ret1:\n"
	"	call *%rax\n"
	".globl cc_ret2\n"
	"cc_ret2:\n"
	"	nop; nop; nop; nop; nop; nop; nop; nop\n"
	".globl cc_nocall\n"
	"cc_nocall:\n"
	"	ret\n"
	".globl cc_restore\n"
	"cc_restore:\n"
	"	mov $15, %rax\n"
	"	syscall\n"
	".size cc_sites, .-cc_sites\n"
	".globl cc_leaf\n"
	".type cc_leaf, @function\n"
	"cc_leaf:\n"
	"	.cfi_startproc\n"
	"	nop\n"
	".globl cc_leaf_body\n"
	"cc_leaf_body:\n"
	"	nop\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size cc_leaf, .-cc_leaf\n"
	".globl cc_framed\n"
	".type cc_framed, @function\n"
	"cc_framed:\n"
	"	.cfi_startproc\n"
	"	push %rbp\n"
	"	.cfi_def_cfa_offset 16\n"
	"	.cfi_offset %rbp, -16\n"
	"	mov %rsp, %rbp\n"
	"	.cfi_def_cfa_register %rbp\n"
	".globl cc_framed_body\n"
	"cc_framed_body:\n"
	"	nop\n"
	"	pop %rbp\n"
	"	.cfi_def_cfa %rsp, 8\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size cc_framed, .-cc_framed\n");
extern const char cc_ret1[], cc_ret2[], cc_nocall[], cc_restore[], cc_leaf_body[], cc_framed_body[];

#define A(sym) ((uint64_t)(uintptr_t)(sym))

static struct hwt_model *m;
static struct hwt_symbolizer *s;
static struct hwt_chain_check *chk;

/* The executable mappings of this process, as MMAP2 records (without mmap_data) give them. */
static void load_code_maps(struct hwt_symbolizer *sy, uint32_t pid)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		struct hwt_map_info mi = { 0 };
		char perms[8];
		int pos = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff,
			   &pos) < 4 ||
		    !pos || !strchr(perms, 'x'))
			continue;
		line[strcspn(line, "\n")] = 0;
		mi = (struct hwt_map_info){ .start = start,
					    .end = end,
					    .pgoff = pgoff,
					    .path = line[pos] ? line + pos : "//anon" };
		ck_assert_int_ge(hwt_symbolizer_add_map(sy, pid, &mi), 0);
	}
	fclose(f);
}

static void setup(void)
{
	m = hwt_model_alloc();
	s = m ? hwt_symbolizer_alloc(m) : NULL;
	chk = malloc(sizeof(*chk));
	ck_assert_ptr_nonnull(s);
	ck_assert_ptr_nonnull(chk);
	load_code_maps(s, SELF);
	hwt_chain_check_init(chk, s);
}

static void teardown(void)
{
	free(chk);
	hwt_symbolizer_free(s);
	hwt_model_free(m);
}

/* ---- the bytes before a return address ---- */

static const struct {
	const char *what;
	uint8_t code[HWT_CALL_MAX_LEN];
	int call;
} code_cases[] = {
	{ "call rel32", { 0x90, 0x90, 0xe8, 0x10, 0x20, 0x30, 0x40 }, 1 },
	{ "call *%rax", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xd0 }, 1 },
	{ "call *%r11", { 0x90, 0x90, 0x90, 0x90, 0x41, 0xff, 0xd3 }, 1 },
	{ "call *(%rax)", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x10 }, 1 },
	{ "call *0x8(%rsp)", { 0x90, 0x90, 0x90, 0xff, 0x54, 0x24, 0x08 }, 1 },
	{ "call *(%rsp)", { 0x90, 0x90, 0x90, 0x90, 0xff, 0x14, 0x24 }, 1 },
	{ "call *0x10(%rax)", { 0x90, 0x90, 0x90, 0x90, 0xff, 0x50, 0x10 }, 1 },
	{ "call *rip+disp32", { 0x90, 0xff, 0x15, 0x00, 0x10, 0x00, 0x00 }, 1 },
	{ "call *disp32(%rax)", { 0x90, 0xff, 0x90, 0x00, 0x10, 0x00, 0x00 }, 1 },
	{ "call *disp32(,%rax,8)", { 0xff, 0x14, 0xc5, 0x00, 0x10, 0x00, 0x00 }, 1 },
	{ "nops", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 }, 0 },
	{ "jmp *%rax", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0xe0 }, 0 },
	{ "jmp *(%rax)", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x20 }, 0 },
	{ "push; mov", { 0x90, 0x90, 0x90, 0x55, 0x48, 0x89, 0xe5 }, 0 },
	{ "call *disp8 cut short", { 0x90, 0x90, 0x90, 0x90, 0x90, 0xff, 0x50 }, 0 },
	{ "ret", { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0xc3 }, 0 },
};

START_TEST(hwt_code_ends_in_call_table)
{
	ck_assert_msg(hwt_code_ends_in_call(code_cases[_i].code, HWT_CALL_MAX_LEN) ==
			      code_cases[_i].call,
		      "%s", code_cases[_i].what);
}
END_TEST

START_TEST(hwt_code_ends_in_call_short)
{
	static const uint8_t two[] = { 0xff, 0xd0 };

	ck_assert_int_eq(hwt_code_ends_in_call(NULL, 7), 0);
	ck_assert_int_eq(hwt_code_ends_in_call(two, 2), 1);
	ck_assert_int_eq(hwt_code_ends_in_call(two + 1, 1), 0);
	ck_assert_int_eq(hwt_code_ends_in_call(two, 0), 0);
}
END_TEST

/* ---- return addresses in a process ---- */

START_TEST(hwt_chain_return_ok_after_call)
{
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_ret1)), 1);
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_ret2)), 1);
	/* Cached: the same verdicts again. */
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_ret1)), 1);
	ck_assert_uint_eq(chk->checked, 3);
	ck_assert_uint_eq(chk->rejected, 0);
}
END_TEST

START_TEST(hwt_chain_return_ok_no_call)
{
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_nocall)), 0);
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_leaf_body)), 0);
	ck_assert_uint_eq(chk->rejected, 2);
}
END_TEST

/* A signal handler's return address: the sigreturn trampoline, after no call. */
START_TEST(hwt_chain_return_ok_sigreturn)
{
	uint64_t chain[] = { A(cc_leaf_body), A(cc_restore), A(cc_ret1) }, out[4];

	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_restore)), 2);
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, A(cc_restore) + 1), 0);
	/* The trampoline itself is symbolized (no call before it), the walk goes on. */
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 3, 0, out, 4), 3);
	ck_assert_uint_eq(out[1], A(cc_restore));
	ck_assert_uint_eq(out[2], A(cc_ret1) - 1);
}
END_TEST

START_TEST(hwt_chain_return_ok_unmapped)
{
	uint64_t data = (uint64_t)(uintptr_t)&chk; /* the stack: no executable mapping */

	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, 0), 0);
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, 8), 0);
	ck_assert_int_eq(hwt_chain_return_ok(chk, SELF, data), 0);
	ck_assert_int_eq(hwt_chain_return_ok(chk, 4242, A(cc_ret1)), 0); /* unknown process */
}
END_TEST

/* Code whose bytes cannot be read (a file gone since the recording): only the mapping counts. */
START_TEST(hwt_chain_return_ok_bytes_unknown)
{
	struct hwt_map_info mi = { .start = 0x20000000,
				   .end = 0x20010000,
				   .path = "/nonexistent/libgone.so" };

	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_int_eq(hwt_chain_return_ok(chk, 7, 0x20000abc), 1);
	ck_assert_int_eq(hwt_chain_return_ok(chk, 7, 0x20010abc), 0);
}
END_TEST

/* ---- fixing a chain ---- */

START_TEST(hwt_chain_fix_cuts_garbage)
{
	uint64_t ip = A(cc_leaf_body), out[8];
	uint64_t chain[] = { ip, A(cc_ret1), A(cc_ret2), 0x1234567, A(cc_ret1), A(cc_ret2) };
	int n = hwt_chain_fix(chk, SELF, chain, 6, 0, out, 8);

	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(out[0], ip);
	ck_assert_uint_eq(out[1], A(cc_ret1) - 1); /* the calls, to symbolize */
	ck_assert_uint_eq(out[2], A(cc_ret2) - 1);
	ck_assert_uint_eq(chk->cut, 1);
	/* A return address after no call ends it too. */
	chain[2] = A(cc_nocall);
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 6, 0, out, 8), 2);
	ck_assert_uint_eq(chk->cut, 2);
}
END_TEST

START_TEST(hwt_chain_fix_leaf_caller)
{
	uint64_t ip = A(cc_leaf_body), out[8];
	uint64_t chain[] = { ip, A(cc_ret2) };

	/* The leaf's own return address differs from the walk's first: its caller goes in. */
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 2, A(cc_ret1), out, 8), 3);
	ck_assert_uint_eq(out[1], A(cc_ret1) - 1);
	ck_assert_uint_eq(out[2], A(cc_ret2) - 1);
	/* The same: the function had set up its frame, nothing to add. */
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 2, A(cc_ret2), out, 8), 2);
	ck_assert_uint_eq(out[1], A(cc_ret2) - 1);
	/* A chain of the IP alone gets the caller. */
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 1, A(cc_ret1), out, 8), 2);
	ck_assert_uint_eq(out[1], A(cc_ret1) - 1);
	/* A leaf return address that cannot be one is left out. */
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 2, A(cc_nocall), out, 8), 2);
	ck_assert_uint_eq(out[1], A(cc_ret2) - 1);
	ck_assert_uint_eq(chk->leaf_callers, 2);
}
END_TEST

START_TEST(hwt_chain_fix_bounds)
{
	uint64_t out[8], chain[] = { A(cc_leaf_body), A(cc_ret1), A(cc_ret2) };

	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 0, 0, out, 8), 0);
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 3, 0, out, 0), 0);
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 3, 0, out, 2), 2);
	ck_assert_int_eq(hwt_chain_fix(chk, SELF, chain, 3, A(cc_ret1) + 0, out, 1), 1);
}
END_TEST

/* ---- the leaf's return address from its CFI and a stack copy ---- */

/* A hand-made sample: @ip, a stack at a made-up address whose first @n bytes are @words. */
static int leaf_ra(uint64_t ip, uint64_t bp_off, const uint64_t *words, size_t n, uint64_t *ra)
{
	const uint64_t sp = 0x7ffd00001000ull;
	uint64_t in[3] = { sp + bp_off, sp, ip }, regs[HWT_SAMPLE_NREGS];
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	int rc;

	ck_assert_ptr_nonnull(u);
	hwt_regs_expand(HWT_SAMPLE_FP_REGS_MASK, in, regs);
	rc = hwt_chain_leaf_ra(u, SELF, SELF, regs, (const uint8_t *)words, n, ra);
	hwt_unwinder_free(u);
	return rc;
}

START_TEST(hwt_chain_leaf_ra_frameless)
{
	uint64_t words[4] = { A(cc_ret1), 0, 0, 0 }, ra = 0;

	/* cc_leaf pushed nothing: its return address is the word at the stack pointer. */
	ck_assert_int_eq(leaf_ra(A(cc_leaf_body), 0, words, 32, &ra), 1);
	ck_assert_uint_eq(ra, A(cc_ret1));
}
END_TEST

START_TEST(hwt_chain_leaf_ra_framed)
{
	/* cc_framed pushed %rbp (at sp) and set %rbp = sp: the walk starts at its frame and has its
	 * caller, nothing to add. In its prologue and epilogue it has no frame. */
	uint64_t words[4] = { 0x7ffd00002000ull, A(cc_ret2), 0, 0 }, ra = 0;
	int64_t off = 0;
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);

	ck_assert_int_eq(leaf_ra(A(cc_framed_body), 0, words, 32, &ra), 0);
	ck_assert_int_eq(hwt_unwind_ra_rule(u, SELF, A(cc_framed_body), &off), HWT_RA_BP);
	ck_assert_int_eq(off, 8);
	ck_assert_int_eq(hwt_unwind_ra_rule(u, SELF, A(cc_framed_body) - 3, &off), HWT_RA_SP);
	ck_assert_int_eq(off, 8); /* after push %rbp */
	ck_assert_int_eq(leaf_ra(A(cc_framed_body) - 3, 0, words, 32, &ra), 1);
	ck_assert_uint_eq(ra, A(cc_ret2));
	ck_assert_int_eq(hwt_unwind_ra_rule(u, SELF, A(cc_leaf_body), &off), HWT_RA_SP);
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(hwt_unwind_ra_rule(u, 4242, 0x1000, &off), HWT_RA_UNKNOWN);
	ck_assert_int_eq(hwt_unwind_ra_rule(NULL, SELF, 0x1000, &off), HWT_E_INVAL);
	hwt_unwinder_free(u);
}
END_TEST

START_TEST(hwt_chain_leaf_ra_unknown)
{
	uint64_t words[1] = { A(cc_ret1) }, ra = 0;
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 };

	/* No stack copied, or too little: the return address cannot be read. */
	ck_assert_int_eq(leaf_ra(A(cc_leaf_body), 0, words, 0, &ra), 0);
	ck_assert_int_eq(leaf_ra(A(cc_leaf_body), 0, words, 4, &ra), 0);
	/* No CFI at all (not code): nothing. */
	ck_assert_int_eq(leaf_ra(0x1000, 0, words, 8, &ra), 0);
	ck_assert_int_eq(hwt_chain_leaf_ra(NULL, SELF, SELF, regs, NULL, 0, &ra), HWT_E_INVAL);
	ck_assert_int_eq(
		hwt_chain_leaf_ra((struct hwt_unwinder *)1, SELF, SELF, NULL, NULL, 0, &ra),
		HWT_E_INVAL);
}
END_TEST

START_TEST(hwt_chain_walk_sane_bp_below_sp)
{
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 };

	regs[HWT_REG_SP] = 0x7ffd00001000ull;
	regs[HWT_REG_BP] = 0x7ffd00001040ull;
	ck_assert_int_eq(hwt_chain_walk_sane(regs), 1);
	regs[HWT_REG_BP] = regs[HWT_REG_SP];
	ck_assert_int_eq(hwt_chain_walk_sane(regs), 1);
	regs[HWT_REG_BP] = regs[HWT_REG_SP] - 0x40; /* a dead frame below the stack pointer */
	ck_assert_int_eq(hwt_chain_walk_sane(regs), 0);
	regs[HWT_REG_BP] = 42; /* %rbp used for data */
	ck_assert_int_eq(hwt_chain_walk_sane(regs), 0);
}
END_TEST

START_TEST(hwt_regs_expand_fp_mask)
{
	uint64_t in[3] = { 11, 22, 33 }, out[HWT_SAMPLE_NREGS], full[HWT_SAMPLE_NREGS];

	hwt_regs_expand(HWT_SAMPLE_FP_REGS_MASK, in, out);
	ck_assert_uint_eq(out[HWT_REG_BP], 11);
	ck_assert_uint_eq(out[HWT_REG_SP], 22);
	ck_assert_uint_eq(out[HWT_REG_IP], 33);
	ck_assert_uint_eq(out[0], 0);
	ck_assert_uint_eq(out[HWT_SAMPLE_NREGS - 1], 0);
	for (int i = 0; i < HWT_SAMPLE_NREGS; i++)
		full[i] = 100 + (uint64_t)i;
	hwt_regs_expand(HWT_SAMPLE_REGS_MASK, full, out);
	ck_assert_mem_eq(out, full, sizeof(full));
}
END_TEST

/* Each register of @mask, from @in in ascending bit order, at its place among the bits of
 * HWT_SAMPLE_REGS_MASK, one bit at a time. */
static void regs_expand_ref(uint64_t mask, const uint64_t *in, uint64_t *out)
{
	int i = 0, j = 0;

	for (int b = 0; b < 64; b++) {
		uint64_t bit = 1ull << b;
		if ((HWT_SAMPLE_REGS_MASK & bit) && (mask & bit))
			out[j] = in[i];
		else if (HWT_SAMPLE_REGS_MASK & bit)
			out[j] = 0;
		j += !!(HWT_SAMPLE_REGS_MASK & bit);
		i += !!(mask & bit);
	}
}

START_TEST(hwt_regs_expand_other_masks)
{
	/* High registers only, a few of each half, and masks with registers outside ours (the
	 * ones between 9 and 15, and above 23), which the values skip. */
	static const uint64_t masks[] = { 1ull << 16,
					  1ull << 23 | 1,
					  0x810101ull,
					  0xff01ffull | 1ull << 9,
					  0x1c0ull | 1ull << 40,
					  0xffffffull,
					  1ull << 12 | 1ull << 20 };
	uint64_t in[64], out[HWT_SAMPLE_NREGS], ref[HWT_SAMPLE_NREGS];

	for (int i = 0; i < 64; i++)
		in[i] = 1000 + (uint64_t)i;
	for (size_t k = 0; k < sizeof(masks) / sizeof(masks[0]); k++) {
		memset(out, 0xaa, sizeof(out));
		hwt_regs_expand(masks[k], in, out);
		regs_expand_ref(masks[k], in, ref);
		ck_assert_mem_eq(out, ref, sizeof(ref));
	}
}
END_TEST

/* Each register read in place is the one hwt_regs_expand() places, for every mask above, the
 * frame-pointer one and the whole one, and 0 for an index out of range. */
START_TEST(hwt_regs_get_as_expand)
{
	static const uint64_t masks[] = { HWT_SAMPLE_FP_REGS_MASK,
					  HWT_SAMPLE_REGS_MASK,
					  1ull << 16,
					  1ull << 23 | 1,
					  0x810101ull,
					  0xff01ffull | 1ull << 9,
					  0x1c0ull | 1ull << 40,
					  0x180ull,
					  0xffffffull,
					  1ull << 12 | 1ull << 20,
					  0 };
	uint64_t in[64], out[HWT_SAMPLE_NREGS];

	for (int i = 0; i < 64; i++)
		in[i] = 1000 + (uint64_t)i;
	for (size_t k = 0; k < sizeof(masks) / sizeof(masks[0]); k++) {
		hwt_regs_expand(masks[k], in, out);
		for (int r = 0; r < HWT_SAMPLE_NREGS; r++)
			ck_assert_msg(hwt_regs_get(masks[k], in, r) == out[r],
				      "mask %#llx register %d: %llu, expanded %llu",
				      (unsigned long long)masks[k], r,
				      (unsigned long long)hwt_regs_get(masks[k], in, r),
				      (unsigned long long)out[r]);
		ck_assert_uint_eq(hwt_regs_get(masks[k], in, -1), 0);
		ck_assert_uint_eq(hwt_regs_get(masks[k], in, HWT_SAMPLE_NREGS), 0);
	}
}
END_TEST

START_TEST(hwt_chain_sample_leaf_ra_raw_bad)
{
	struct hwt_perf_sample ps = { 0 };
	uint64_t ra = 0, words[1] = { 0 }, regs[3] = { 0 };

	ck_assert_int_eq(hwt_chain_sample_leaf_ra_raw(NULL, NULL, HWT_SAMPLE_FP_REGS_MASK, &ra),
			 HWT_E_INVAL);
	/* No registers or no copy: nothing to find, before the unwinder is looked at. */
	ck_assert_int_eq(hwt_chain_sample_leaf_ra_raw(NULL, &ps, HWT_SAMPLE_FP_REGS_MASK, &ra), 0);
	ps.regs = regs;
	ck_assert_int_eq(hwt_chain_sample_leaf_ra_raw(NULL, &ps, HWT_SAMPLE_FP_REGS_MASK, &ra), 0);
	ps.stack = (const uint8_t *)words;
	ps.stack_size = sizeof(words);
	ck_assert_int_eq(hwt_chain_sample_leaf_ra_raw(NULL, &ps, HWT_SAMPLE_FP_REGS_MASK, &ra),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_chain_sample_leaf_ra_gen(NULL, (struct hwt_unwinder *)1, &ps,
						      HWT_SAMPLE_FP_REGS_MASK, 1, &ra),
			 HWT_E_INVAL);
	ck_assert_int_eq(
		hwt_chain_sample_leaf_ra_gen(chk, NULL, &ps, HWT_SAMPLE_FP_REGS_MASK, 1, &ra),
		HWT_E_INVAL);
	ck_assert_int_eq(
		hwt_chain_sample_leaf_ra_gen(chk, NULL, NULL, HWT_SAMPLE_FP_REGS_MASK, 1, &ra),
		HWT_E_INVAL);
}
END_TEST

/* ---- sparse copies: the callers whole copies give, on real samples ---- */

#define NREAL	  100
#define LEAF_COPY 512 /* -g fp's default copy */
#define ST_LEAF                                                                         \
	(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
	 PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)

static const struct hwt_event_desc leaf_desc = { .id = 7,
						 .sample_type = ST_LEAF,
						 .sample_regs_user = HWT_SAMPLE_FP_REGS_MASK,
						 .sample_stack_user = LEAF_COPY,
						 .flags = HWT_DESC_SPARSE_STACK };

static const struct hwt_event_desc *leaf_desc_of(void *ctx, uint64_t id)
{
	return id == leaf_desc.id ? &leaf_desc : NULL;
}

static volatile uint64_t real_sink;

__attribute__((noinline)) static int real_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Time in libc (no frame pointers) and in this file's leaves built without them: most samples
 * land where the frame-pointer walk misses the caller. */
__attribute__((noinline)) static void real_work(uint64_t *v, size_t n, char *text)
{
	uint64_t x = 88172645463325252ull;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = x;
	}
	qsort(v, n, sizeof(*v), real_cmp);
	memset(text, 'a' + (int)(x % 26), 1 << 16);
	text[(1 << 16) - 1] = 0;
	real_sink += strlen(text) + v[n / 2];
}

/* Appends to @buf at *@len sample @k (pid @pid, tid @pid + 1: a thread's, whose copy the scrub
 * cuts only at argc) as the kernel writes a -g fp leaf copy: bp, sp, ip, then the copy. */
static void real_record(uint8_t *buf, size_t *len, const struct sample *smp, uint32_t pid)
{
	uint64_t dyn = smp->size < LEAF_COPY ? smp->size : LEAF_COPY, size = LEAF_COPY;
	uint64_t w[] = { leaf_desc.id,
			 smp->regs[HWT_REG_IP],
			 pid | (uint64_t)(pid + 1) << 32,
			 1000,
			 PERF_SAMPLE_REGS_ABI_64,
			 smp->regs[HWT_REG_BP],
			 smp->regs[HWT_REG_SP],
			 smp->regs[HWT_REG_IP],
			 size };
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE,
				       .misc = PERF_RECORD_MISC_USER,
				       .size = (uint16_t)(8 + sizeof(w) + size + 8) };

	memcpy(buf + *len, &h, 8);
	memcpy(buf + *len + 8, w, sizeof(w));
	memcpy(buf + *len + 8 + sizeof(w), smp->stack, size);
	memcpy(buf + *len + 8 + sizeof(w) + size, &dyn, 8);
	*len += h.size;
}

/* Samples of this process through the recorder's rewrite (core/scrub.c): each copy becomes
 * sparse, keeping the words that point into this process's code, and the leaf fix-up finds from
 * it exactly what it finds from the whole copy, for every sample; most of them find a caller. */
START_TEST(hwt_chain_sample_leaf_ra_sparse_same)
{
	struct sigaction sa = { .sa_sigaction = on_prof, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	uint32_t pid = (uint32_t)getpid();
	struct hwt_symbolizer *sy = hwt_symbolizer_alloc(m);
	struct hwt_unwinder *u = sy ? hwt_unwinder_alloc(sy) : NULL;
	static uint64_t v[8192];
	static char text[1 << 16];
	struct hwt_scrub sc = { 0 };
	size_t len = 0, found = 0, cap = (size_t)NREAL * (LEAF_COPY + 128);
	uint8_t *src = malloc(cap), *dst = malloc(cap);
	struct hwt_chain_check *chk_real = malloc(sizeof(*chk_real));

	ck_assert_ptr_nonnull(chk_real);
	hwt_chain_check_init(chk_real, sy);
	ck_assert_ptr_nonnull(u);
	ck_assert_ptr_nonnull(src);
	ck_assert_ptr_nonnull(dst);
	ck_assert_int_eq(self_samples_maps(sy, pid), 0);
	samples_want = NREAL;
	samples = calloc(NREAL, sizeof(*samples));
	ck_assert_ptr_nonnull(samples);
	ck_assert_int_eq(sigaction(SIGPROF, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_PROF, &it, NULL), 0);
	while (nsamples < NREAL) /* CPU time: as long as it takes on a loaded machine */
		real_work(v, sizeof(v) / sizeof(v[0]), text);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);
	signal(SIGPROF, SIG_IGN);

	for (int k = 0; k < NREAL; k++)
		real_record(src, &len, &samples[k], pid);
	size_t nlen = hwt_scrub_copy(&sc, dst, src, len, leaf_desc_of, NULL);
	ck_assert_uint_lt(nlen, len / 3); /* most words of a stack are not code addresses */
	ck_assert_uint_eq(sc.sparse + sc.whole, NREAL);
	ck_assert_uint_ge(sc.sparse, NREAL * 9 / 10);
	for (size_t at = 0, k = 0; k < NREAL; k++) {
		struct perf_event_header h;
		struct hwt_perf_sample ps;
		uint64_t regs[HWT_SAMPLE_NREGS], ra_whole = 0, ra_sparse = 0, ra_raw = 0;
		const struct sample *smp = &samples[k];
		size_t n = smp->size < LEAF_COPY ? smp->size : LEAF_COPY;

		ck_assert_uint_lt(at, nlen);
		memcpy(&h, dst + at, sizeof(h));
		ck_assert_int_eq(
			hwt_perf_sample_parse(&leaf_desc, dst + at + 8, dst + at + h.size, &ps), 0);
		at += h.size;
		hwt_regs_expand(leaf_desc.sample_regs_user, ps.regs, regs);
		int rw = hwt_chain_leaf_ra(u, pid, pid + 1, regs, smp->stack, n, &ra_whole);
		int rs = hwt_chain_sample_leaf_ra(u, &ps, regs, &ra_sparse);
		ck_assert_msg(rw == rs && ra_whole == ra_sparse,
			      "sample %zu at ip %#lx: whole copy %d/%#lx, sparse %d/%#lx", k,
			      (unsigned long)regs[HWT_REG_IP], rw, (unsigned long)ra_whole, rs,
			      (unsigned long)ra_sparse);
		/* The registers read where they lie: the same. */
		int rr = hwt_chain_sample_leaf_ra_raw(u, &ps, leaf_desc.sample_regs_user, &ra_raw);
		ck_assert_msg(rr == rs && ra_raw == ra_sparse, "sample %zu: raw %d/%#lx", k, rr,
			      (unsigned long)ra_raw);
		/* And with the rule remembered by the checks: the first time (asked of the
		 * unwinder) and the second (from the entry), the same. */
		for (int twice = 0; twice < 2; twice++) {
			uint64_t ra_gen = 0;
			int rg = hwt_chain_sample_leaf_ra_gen(
				chk_real, u, &ps, leaf_desc.sample_regs_user,
				hwt_symbolizer_generation(sy, pid), &ra_gen);
			ck_assert_msg(rg == rs && ra_gen == ra_sparse,
				      "sample %zu (%d): remembered rule %d/%#lx", k, twice, rg,
				      (unsigned long)ra_gen);
		}
		found += rw == 1;
		/* The copy read back: the whole one's words where it kept them, zeros elsewhere. */
		uint8_t back[LEAF_COPY];
		ck_assert_uint_eq(hwt_perf_stack_expand(&ps, back, sizeof(back)), n);
		for (size_t i = 0; i + 8 <= n; i += 8) {
			uint64_t a, b;
			memcpy(&a, smp->stack + i, 8);
			memcpy(&b, back + i, 8);
			ck_assert(b == a || (b == 0 && !hwt_scrub_is_code(&sc, a)));
		}
	}
	/* Meaningful: many samples had their caller hidden from the walk and found. */
	ck_assert_uint_ge(found, NREAL / 3);
	free(samples);
	samples = NULL;
	nsamples = 0;
	free(src);
	free(dst);
	free(chk_real);
	hwt_scrub_fini(&sc);
	hwt_unwinder_free(u);
	hwt_symbolizer_free(sy);
}
END_TEST

static Suite *callchain_suite(void)
{
	Suite *su = suite_create("callchain");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60); /* the real samples take CPU time, longer on a loaded machine */
	tcase_add_loop_test(tc, hwt_code_ends_in_call_table, 0,
			    (int)(sizeof(code_cases) / sizeof(code_cases[0])));
	tcase_add_test(tc, hwt_code_ends_in_call_short);
	tcase_add_test(tc, hwt_chain_return_ok_after_call);
	tcase_add_test(tc, hwt_chain_return_ok_no_call);
	tcase_add_test(tc, hwt_chain_return_ok_sigreturn);
	tcase_add_test(tc, hwt_chain_return_ok_unmapped);
	tcase_add_test(tc, hwt_chain_return_ok_bytes_unknown);
	tcase_add_test(tc, hwt_chain_fix_cuts_garbage);
	tcase_add_test(tc, hwt_chain_fix_leaf_caller);
	tcase_add_test(tc, hwt_chain_fix_bounds);
	tcase_add_test(tc, hwt_chain_leaf_ra_frameless);
	tcase_add_test(tc, hwt_chain_leaf_ra_framed);
	tcase_add_test(tc, hwt_chain_leaf_ra_unknown);
	tcase_add_test(tc, hwt_chain_walk_sane_bp_below_sp);
	tcase_add_test(tc, hwt_regs_expand_fp_mask);
	tcase_add_test(tc, hwt_regs_expand_other_masks);
	tcase_add_test(tc, hwt_regs_get_as_expand);
	tcase_add_test(tc, hwt_chain_sample_leaf_ra_raw_bad);
	tcase_add_test(tc, hwt_chain_sample_leaf_ra_sparse_same);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(callchain_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

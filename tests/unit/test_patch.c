/* Unit tests for lib/inproc's entry patcher: functions of this program, built -O0 and -O2, with
 * and without frame pointers and endbr64, patched and run for real, with the hooks counted. */
#include <capstone.h>
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <zlib.h>
#include <zstd.h>

#include "core/elffuncs.h"
#include "hwtrace/error.h"
#include "lib/inproc/patch.h"
#include "lib/inproc/patch_internal.h"
#include "tests/unit/patch_targets.h"

#define MAXID 4096

static uint64_t n_enter[MAXID], n_leave[MAXID], n_unwound[MAXID];
static int events[4096]; /* +id+1 at entry, -(id+1) at return, in order */
static unsigned nevents;
static struct hwt_patcher *P;

/* hwt_patch_reenter_nested: at the entry of function id reenter_id, the hook calls
 * reenter_fn(1), through hwt_patch_reenter() if reenter_traced, else directly. */
static uint32_t reenter_id;
static int reenter_traced;
static int (*volatile reenter_fn)(int);

static void reenter_call(void *ctx)
{
	*(int *)ctx = reenter_fn(1);
}

static void on_enter(void *ctx, uint32_t id)
{
	unsigned k = __atomic_fetch_add(&nevents, 1, __ATOMIC_RELAXED);

	__atomic_add_fetch(&n_enter[id], 1, __ATOMIC_RELAXED);
	if (k < 4096)
		events[k] = (int)id + 1;
	if (reenter_id && id == reenter_id) {
		int r = 0;
		if (reenter_traced)
			hwt_patch_reenter(reenter_call, &r);
		else
			reenter_call(&r);
		ck_assert_int_ne(r, 0);
	}
}

static void on_leave(void *ctx, uint32_t id, unsigned flags)
{
	unsigned k = __atomic_fetch_add(&nevents, 1, __ATOMIC_RELAXED);

	if (flags & HWT_PATCH_LEAVE_UNWOUND)
		__atomic_add_fetch(&n_unwound[id], 1, __ATOMIC_RELAXED);
	else
		__atomic_add_fetch(&n_leave[id], 1, __ATOMIC_RELAXED);
	if (k < 4096)
		events[k] = -(int)id - 1;
}

static const struct hwt_patch_hooks hooks = { .enter = on_enter, .leave = on_leave };

static void setup(void)
{
	P = hwt_patcher_alloc(&hooks);
	ck_assert_ptr_nonnull(P);
}

static void teardown(void)
{
	hwt_patcher_free(P);
	P = NULL;
}

/* The size of function @fn from the dynamic symbol table (the test is linked -rdynamic). */
static size_t fn_size(const void *fn)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	if (!dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return 0;
	return sym->st_size;
}

static int patch(const void *fn, uint32_t id)
{
	return hwt_patcher_apply(P, (uintptr_t)fn, fn_size(fn), id);
}

static long fib_calls(long n)
{
	return n < 2 ? 1 : 1 + fib_calls(n - 1) + fib_calls(n - 2);
}

/* ---- one set of functions per code-generation variant -------------------------------------- */

struct variant {
	const char *name;
	long (*fib)(long);
	double (*sum_va)(int, ...);
	struct pt_pair (*pair)(long, long);
	double (*mix)(int, double, long, float, int, int, int, int, int, double);
	void (*jump_deep)(jmp_buf *, int);
	int (*leaf)(int);
	int (*spin)(int);
	int (*fork_in)(void);
	int (*raiser)(int);
	void (*exit_deep)(int);
};

/* clang-format off */
#define PT_ROW(v) { #v, fib_##v, sum_va_##v, pair_##v, mix_##v, jump_deep_##v, leaf_##v, \
		    spin_##v, fork_in_##v, raiser_##v, exit_deep_##v },
/* clang-format on */
static const struct variant variants[] = { PT_VARIANTS(PT_ROW) };
#define NVARIANTS ((int)(sizeof(variants) / sizeof(variants[0])))

enum { ID_FIB = 1, ID_SUM, ID_PAIR, ID_MIX, ID_JUMP, ID_LEAF, ID_SPIN };

static void patch_variant(const struct variant *v)
{
	ck_assert_int_eq(patch(v->fib, ID_FIB), 0);
	ck_assert_int_eq(patch(v->sum_va, ID_SUM), 0);
	ck_assert_int_eq(patch(v->pair, ID_PAIR), 0);
	ck_assert_int_eq(patch(v->mix, ID_MIX), 0);
	ck_assert_int_eq(patch(v->jump_deep, ID_JUMP), 0);
	ck_assert_int_eq(patch(v->leaf, ID_LEAF), 0);
	ck_assert_int_eq(patch(v->spin, ID_SPIN), 0);
}

START_TEST(hwt_patcher_apply_variants)
{
	const struct variant *v = &variants[_i];
	double mix_want = 1 + 0.5 + 2 + 0.25f + 3 * 2 + 4 * 3 + 5 * 5 + 6 * 7 + 7 * 11 + 8.5;
	struct pt_pair pp;

	patch_variant(v);
	ck_assert_uint_eq(hwt_patcher_count(P), 7);
	ck_assert_int_eq(v->fib(15), 610);
	ck_assert_uint_eq(n_enter[ID_FIB], (uint64_t)fib_calls(15));
	ck_assert_uint_eq(n_leave[ID_FIB], (uint64_t)fib_calls(15));
	ck_assert_double_eq(v->sum_va(3, 1.5, 2.5, 3.0), 7.0);
	pp = v->pair(7, 3);
	ck_assert_int_eq(pp.sum, 10);
	ck_assert_int_eq(pp.diff, 4);
	ck_assert_double_eq(v->mix(1, 0.5, 2, 0.25f, 3, 4, 5, 6, 7, 8.5), mix_want);
	ck_assert_int_eq(v->spin(100), 3 * 4950 + 100);
	for (int id = ID_SUM; id <= ID_SPIN; id++) {
		uint64_t want = id == ID_LEAF ? 100 : id == ID_JUMP ? 0 : 1;

		ck_assert_uint_eq(n_enter[id], want);
		ck_assert_uint_eq(n_leave[id], want);
	}
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

/* ---- hand-written prologues ---------------------------------------------------------------- */

struct prologue {
	const char *what;
	int (*fn)(int);
	int arg, want;
};

static const struct prologue prologues[] = {
	{ "push %rbp; mov %rsp,%rbp", pt_asm_fp, 5, 6 },
	{ "endbr64; push %rbx", pt_asm_endbr, 5, 7 },
	{ "sub $0x28,%rsp", pt_asm_sub, 5, 8 },
	{ "mov 0x..(%rip),%rax", pt_asm_rip, 5, 1005 },
	{ "test; je taken", pt_asm_je, 0, -1 },
	{ "test; je not taken", pt_asm_je, 5, 9 },
	{ "call rel32", pt_asm_call, 5, 16 },
	{ "call *0x..(%rip)", pt_asm_callind, 5, 17 },
	{ "sub; movdqa 0x..(%rip),%xmm0", pt_asm_sse, 5, 45 },
	{ "vmovdqu 0x..(%rip),%xmm1 (AVX)", pt_asm_avx, 5, 45 },
	{ "push x3 before a jump table", pt_asm_table_push, 1, 11 },
	{ "a jump table read: no case in the replaced bytes", pt_asm_table, 2, 12 },
};

START_TEST(hwt_patcher_apply_prologues)
{
	const struct prologue *pr = &prologues[_i];

	if (pr->fn == pt_asm_avx && !__builtin_cpu_supports("avx"))
		return; /* nothing to run it on */
	ck_assert_int_eq(pr->fn(pr->arg), pr->want);
	ck_assert_msg(patch(pr->fn, 3) == 0, "%s: %s", pr->what,
		      hwt_patch_refusal_str(patch(pr->fn, 3)));
	for (int k = 0; k < 3; k++)
		ck_assert_int_eq(pr->fn(pr->arg), pr->want);
	ck_assert_uint_eq(n_enter[3], 3);
	ck_assert_uint_eq(n_leave[3], 3);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

struct refusal {
	const char *what;
	const void *fn;
	int want;
};

static const struct refusal refusals[] = {
	{ "3-byte function", pt_asm_short, HWT_PATCH_TOO_SHORT },
	{ "loop to the 2nd instruction", pt_asm_loop, HWT_PATCH_JUMP_INTO },
	{ "loop to the entry", pt_asm_entryloop, HWT_PATCH_JUMP_INTO },
	{ "jump table with a case on the 2nd instruction", pt_asm_table_into, HWT_PATCH_JUMP_INTO },
	{ "jump table without a cmp/ja bound", pt_asm_table_nobound, HWT_PATCH_JUMP_TABLE },
};

START_TEST(hwt_patcher_apply_refusals)
{
	const struct refusal *r = &refusals[_i];
	uint8_t before[16];

	memcpy(before, r->fn, sizeof(before));
	ck_assert_int_eq(hwt_patcher_check(P, (uintptr_t)r->fn, fn_size(r->fn)), r->want);
	ck_assert_msg(patch(r->fn, 4) == r->want, "%s", r->what);
	ck_assert_mem_eq(before, r->fn, sizeof(before));
	ck_assert_uint_eq(hwt_patcher_count(P), 0);
	ck_assert_int_eq(pt_asm_loop(4), 10);
	ck_assert_int_eq(pt_asm_table(1), 11);
	ck_assert_uint_eq(n_enter[4], 0);
}
END_TEST

START_TEST(hwt_patcher_apply_already)
{
	struct hwt_patch_req reqs[3] = {
		{ (uintptr_t)pt_asm_fp, fn_size(pt_asm_fp), 1 },
		{ (uintptr_t)pt_asm_short, fn_size(pt_asm_short), 2 },
		{ (uintptr_t)pt_asm_fp, fn_size(pt_asm_fp), 3 },
	};
	int res[3];

	ck_assert_int_eq(hwt_patcher_apply_many(P, reqs, 3, res), 1);
	ck_assert_int_eq(res[0] == 0 ? res[2] : res[0], HWT_PATCH_ALREADY);
	ck_assert_int_eq(res[0] + res[2], HWT_PATCH_ALREADY);
	ck_assert_int_eq(res[1], HWT_PATCH_TOO_SHORT);
	ck_assert_int_eq(patch(pt_asm_fp, 5), HWT_PATCH_ALREADY);
	ck_assert_int_eq(hwt_patcher_check(P, (uintptr_t)pt_asm_fp, fn_size(pt_asm_fp)),
			 HWT_PATCH_ALREADY);
	ck_assert_int_eq(pt_asm_fp(1), 2);
	ck_assert_uint_eq(n_enter[1] + n_enter[3], 1);
}
END_TEST

/* In one batch, a jump from one function into another's replaced bytes is seen. */
START_TEST(hwt_patcher_apply_many_shared_tail)
{
	struct hwt_patch_req reqs[2] = {
		{ (uintptr_t)pt_asm_intruder, fn_size(pt_asm_intruder), 1 },
		{ (uintptr_t)pt_asm_victim, fn_size(pt_asm_victim), 2 },
	};
	uint8_t before[8];
	int res[2] = { -1, -1 };

	/* judged alike without writing anything */
	memcpy(before, (const void *)pt_asm_victim, sizeof(before));
	ck_assert_int_eq(hwt_patcher_check_many(P, reqs, 2, res), 1);
	ck_assert_int_eq(res[0], 0);
	ck_assert_int_eq(res[1], HWT_PATCH_JUMP_INTO);
	ck_assert_uint_eq(hwt_patcher_count(P), 0);
	ck_assert_mem_eq(before, (const void *)pt_asm_victim, sizeof(before));
	ck_assert_int_eq(hwt_patcher_check_many(NULL, reqs, 2, res), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_apply_many(P, reqs, 2, res), 1);
	ck_assert_int_eq(res[0], 0);
	ck_assert_int_eq(res[1], HWT_PATCH_JUMP_INTO);
	ck_assert_int_eq(pt_asm_intruder(1), 2);
	ck_assert_int_eq(pt_asm_victim(1), 2);
	ck_assert_uint_eq(n_enter[1], 1);
	ck_assert_uint_eq(n_leave[1], 1);
	ck_assert_uint_eq(n_enter[2], 0);
}
END_TEST

START_TEST(hwt_patcher_apply_bad_args)
{
	int res;

	ck_assert_int_eq(hwt_patcher_apply(NULL, (uintptr_t)pt_asm_fp, 16, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_apply(P, 0, 16, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_check(NULL, (uintptr_t)pt_asm_fp, 16), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_check(P, 0, 16), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_apply_many(NULL, NULL, 0, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_apply_many(P, NULL, 1, &res), HWT_E_INVAL);
	ck_assert_int_eq(hwt_patcher_apply_many(P, NULL, 0, NULL), 0);
	ck_assert_int_eq(hwt_patcher_apply(P, (uintptr_t)pt_asm_endbr, 0, 1), HWT_PATCH_TOO_SHORT);
	ck_assert_uint_eq(hwt_patcher_count(NULL), 0);
}
END_TEST

START_TEST(hwt_patcher_alloc_bad)
{
	struct hwt_patch_hooks h = { .enter = on_enter };

	errno = 0;
	ck_assert_ptr_null(hwt_patcher_alloc(NULL));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hwt_patcher_alloc(&h));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_ptr_null(hwt_patcher_alloc(&hooks)); /* P exists */
	ck_assert_int_eq(errno, EBUSY);
	hwt_patcher_free(NULL);
}
END_TEST

START_TEST(hwt_patch_refusal_str_each)
{
	for (int r = 0; r < HWT_PATCH_REFUSAL_COUNT_; r++) {
		ck_assert_ptr_nonnull(hwt_patch_refusal_str(r));
		for (int s = 0; s < r; s++)
			ck_assert_str_ne(hwt_patch_refusal_str(r), hwt_patch_refusal_str(s));
	}
	ck_assert_str_eq(hwt_patch_refusal_str(-1), "unknown refusal");
	ck_assert_str_eq(hwt_patch_refusal_str(HWT_PATCH_REFUSAL_COUNT_), "unknown refusal");
}
END_TEST

/* ---- calls that do not simply return ------------------------------------------------------- */

static size_t probe_depth;

void pt_asm_depth_probe(void)
{
	probe_depth = hwt_patch_depth();
}

/* What pt_asm_slot's return address slot held, as seen from inside it. */
static uintptr_t slot_seen, real_seen, restored_seen, rearmed_seen;

void pt_asm_slot_probe(uintptr_t *slot)
{
	slot_seen = *slot;
	real_seen = hwt_patch_real_return(slot);
	hwt_patch_restore_returns(); /* what an unwinder would then read */
	restored_seen = *slot;
	ck_assert_int_eq(hwt_patch_unwind_to((uintptr_t)slot), 0); /* its frame lives on */
	rearmed_seen = *slot;
}

/* one call site, whatever the compiler does with the loop below */
static __attribute__((noipa)) void call_slot(void)
{
	pt_asm_slot();
	__asm__ __volatile__("" ::: "memory"); /* not a tail call */
}

START_TEST(hwt_patch_real_return_slot)
{
	uintptr_t real = 0;

	ck_assert_uint_eq(hwt_patch_real_return(NULL), 0);
	for (int k = 0; k < 2; k++) {
		if (k == 1)
			ck_assert_int_eq(patch(pt_asm_slot, 1), 0);
		call_slot(); /* the same call site twice: the same return address */
		if (k == 0) {
			real = slot_seen;
			ck_assert_uint_eq(real_seen, real);
		}
	}
	ck_assert_uint_eq(slot_seen, hwt_patch_return_stub());
	ck_assert_uint_eq(real_seen, real);
	ck_assert_uint_eq(restored_seen, real);
	ck_assert_uint_eq(rearmed_seen, hwt_patch_return_stub());
	ck_assert_uint_eq(n_enter[1], 1);
	ck_assert_uint_eq(n_leave[1], 1); /* it returned through the stub, re-armed */
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

START_TEST(hwt_patcher_forget_range)
{
	uintptr_t fp = (uintptr_t)pt_asm_fp;

	ck_assert_int_eq(hwt_patcher_forget(NULL, 0, 1), HWT_E_INVAL);
	ck_assert_int_eq(patch(pt_asm_fp, 1), 0);
	ck_assert_int_eq(patch(pt_asm_endbr, 2), 0);
	ck_assert_int_eq(hwt_patcher_forget(P, fp + 64, fp + 64), 0);
	ck_assert_int_eq(hwt_patcher_forget(P, fp, fp + 1), 1);
	ck_assert_uint_eq(hwt_patcher_count(P), 1);
	/* forgotten: no longer "already patched" (its module is taken to be gone) */
	ck_assert_int_ne(hwt_patcher_check(P, fp, fn_size(pt_asm_fp)), HWT_PATCH_ALREADY);
	ck_assert_int_eq(patch(pt_asm_endbr, 3), HWT_PATCH_ALREADY);
}
END_TEST

START_TEST(hwt_patcher_apply_tail_call)
{
	static const int want[] = { 1 + 1, 2 + 1, -2 - 1, -1 - 1 };

	ck_assert_int_eq(patch(pt_asm_tail_a, 1), 0);
	ck_assert_int_eq(patch(pt_asm_tail_b, 2), 0);
	ck_assert_int_eq(pt_asm_tail_a(1), 102);
	ck_assert_uint_eq(probe_depth, 2); /* b nests in a, which tail-jumped to it */
	ck_assert_uint_eq(nevents, 4);
	ck_assert_mem_eq(events, want, sizeof(want));
	ck_assert_uint_eq(hwt_patch_depth(), 0);
	ck_assert_int_eq(pt_asm_tail_b(1), 101);
	ck_assert_uint_eq(probe_depth, 1);
	ck_assert_uint_eq(n_leave[2], 2);
}
END_TEST

/* A hook's own calls of patched functions are not traced, unless it makes them through
 * hwt_patch_reenter(): then they nest in the call whose hook made them, and the calls after
 * them are traced as before. */
START_TEST(hwt_patch_reenter_nested)
{
	const struct variant *v = &variants[0];
	static const int traced[] = { ID_FIB + 1,  ID_LEAF + 1, -ID_LEAF - 1,
				      -ID_FIB - 1, ID_LEAF + 1, -ID_LEAF - 1 };
	static const int untraced[] = { ID_FIB + 1, -ID_FIB - 1 };

	ck_assert_int_eq(patch(v->fib, ID_FIB), 0);
	ck_assert_int_eq(patch(v->leaf, ID_LEAF), 0);
	reenter_id = ID_FIB;
	reenter_fn = v->leaf;
	ck_assert_int_eq(v->fib(1), 1);
	ck_assert_uint_eq(nevents, 2); /* the hook's call of leaf: not traced */
	ck_assert_mem_eq(events, untraced, sizeof(untraced));
	nevents = 0;
	reenter_traced = 1;
	ck_assert_int_eq(v->fib(1), 1);
	reenter_id = 0;
	ck_assert_int_ne(v->leaf(1), 0); /* and after it, calls are traced as before */
	ck_assert_uint_eq(nevents, 6);
	ck_assert_mem_eq(events, traced, sizeof(traced));
	ck_assert_uint_eq(hwt_patch_depth(), 0);
	reenter_traced = 0;
}
END_TEST

START_TEST(hwt_patch_unwind_to_longjmp)
{
	const struct variant *v = &variants[_i / 2];
	volatile int explicit = _i % 2;
	struct hwt_patch_thread_stats st;
	jmp_buf jb;

	patch_variant(v);
	if (setjmp(jb) == 0)
		v->jump_deep(&jb, 5);
	ck_assert_uint_eq(n_enter[ID_JUMP], 6);
	ck_assert_uint_eq(n_leave[ID_JUMP], 0);
	ck_assert_uint_eq(hwt_patch_depth(), 6); /* not seen yet */
	if (explicit) {
		volatile int here = 0;

		/* the frames longjmp left lay below this function's stack pointer */
		ck_assert_int_eq(hwt_patch_unwind_to((uintptr_t)&here), 6);
		ck_assert_uint_eq(hwt_patch_depth(), 0);
		ck_assert_uint_eq(n_unwound[ID_JUMP], 6);
	}
	ck_assert_int_eq(v->leaf(2), 7); /* its entry finds them below its own frame */
	ck_assert_uint_eq(n_unwound[ID_JUMP], 6);
	ck_assert_uint_eq(n_leave[ID_LEAF], 1);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
	hwt_patch_thread_stats(&st);
	ck_assert_uint_eq(st.unwound, 6);
	ck_assert_uint_eq(st.overflow, 0);
	ck_assert_uint_eq(st.skipped, 0);
}
END_TEST

/* Deeper than the shadow stack's first allocation (1,024 entries): it grows while in use. */
START_TEST(hwt_patcher_apply_deep)
{
	const struct variant *v = &variants[_i];
	struct hwt_patch_thread_stats st;
	jmp_buf jb;

	patch_variant(v);
	if (setjmp(jb) == 0)
		v->jump_deep(&jb, 5000);
	ck_assert_uint_eq(hwt_patch_depth(), 5001);
	ck_assert_int_eq(v->leaf(1), 4);
	ck_assert_uint_eq(n_unwound[ID_JUMP], 5001);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
	ck_assert_int_eq(v->fib(20), 6765); /* and on as before */
	ck_assert_uint_eq(n_leave[ID_FIB], (uint64_t)fib_calls(20));
	hwt_patch_thread_stats(&st);
	ck_assert_uint_eq(st.overflow, 0);
}
END_TEST

/* What the inproc runtime does around the unwinder: real return addresses back before it walks
 * the stack (libgcc's entry points: C++ throw, rethrow, std::rethrow_exception, and any other
 * language), the surviving frames' returns re-armed once a catch begins. */
int _Unwind_RaiseException(void *e)
{
	int (*real)(void *) = dlsym(RTLD_NEXT, "_Unwind_RaiseException");

	hwt_patch_restore_returns();
	return real(e);
}

int _Unwind_Resume_or_Rethrow(void *e)
{
	int (*real)(void *) = dlsym(RTLD_NEXT, "_Unwind_Resume_or_Rethrow");

	hwt_patch_restore_returns();
	return real(e);
}

void *__cxa_begin_catch(void *e)
{
	void *(*real)(void *) = dlsym(RTLD_NEXT, "__cxa_begin_catch");
	void *r = real(e);

	/* the catching frame's stack pointer: just above this call's return address */
	hwt_patch_unwind_to((uintptr_t)__builtin_frame_address(0) + 16);
	return r;
}

START_TEST(hwt_patch_restore_returns_cxx)
{
	ck_assert_int_eq(patch(pt_cxx_throw, 1), 0);
	ck_assert_int_eq(patch(pt_cxx_catch, 2), 0);
	ck_assert_int_eq(pt_cxx_catch(4), -1);
	ck_assert_uint_eq(n_enter[1], 5);
	ck_assert_uint_eq(n_unwound[1], 5);
	ck_assert_uint_eq(n_leave[1], 0);
	ck_assert_uint_eq(n_enter[2], 1);
	ck_assert_uint_eq(n_leave[2], 1); /* it returned normally, after its catch */
	ck_assert_uint_eq(hwt_patch_depth(), 0);
	ck_assert_int_eq(pt_cxx_catch(0), -1);
	ck_assert_uint_eq(n_leave[2], 2);
	ck_assert_uint_eq(n_unwound[1], 6);
}
END_TEST

START_TEST(hwt_patch_restore_returns_rethrow)
{
	ck_assert_int_eq(patch(pt_cxx_throw, 1), 0);
	ck_assert_int_eq(patch(pt_cxx_rethrow, 2), 0);
	ck_assert_int_eq(patch(pt_cxx_catch_rethrown, 3), 0);
	ck_assert_int_eq(pt_cxx_catch_rethrown(3), -2);
	ck_assert_uint_eq(n_enter[1], 4);
	ck_assert_uint_eq(n_unwound[1], 4);
	ck_assert_uint_eq(n_enter[2], 1);
	ck_assert_uint_eq(n_unwound[2], 1);
	ck_assert_uint_eq(n_enter[3], 1);
	ck_assert_uint_eq(n_leave[3], 1);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

/* And what it does at pthread_exit and cancellation (forced unwinding). */
void pthread_exit(void *ret)
{
	void (*real)(void *) = dlsym(RTLD_NEXT, "pthread_exit");

	hwt_patch_unwind_all();
	real(ret);
	__builtin_unreachable();
}

int _Unwind_ForcedUnwind(void *e, void *stop, void *arg)
{
	int (*real)(void *, void *, void *) = dlsym(RTLD_NEXT, "_Unwind_ForcedUnwind");

	hwt_patch_restore_returns();
	return real(e, stop, arg);
}

static void *exiter_main(void *arg)
{
	const struct variant *v = arg;

	v->exit_deep(4);
	return NULL;
}

START_TEST(hwt_patch_unwind_all_pthread_exit)
{
	const struct variant *v = &variants[_i];
	pthread_t t;
	void *ret;

	ck_assert_int_eq(patch(v->exit_deep, 1), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, exiter_main, (void *)v), 0);
	ck_assert_int_eq(pthread_join(t, &ret), 0);
	ck_assert_ptr_eq(ret, (void *)7);
	ck_assert_uint_eq(n_enter[1], 5);
	ck_assert_uint_eq(n_unwound[1], 5);
	ck_assert_uint_eq(n_leave[1], 0);
}
END_TEST

/* ---- threads and signals ------------------------------------------------------------------- */

static void *thread_main(void *arg)
{
	const struct variant *v = arg;

	for (int k = 0; k < 20; k++)
		v->spin(1000);
	v->fib(12);
	return (void *)hwt_patch_depth();
}

START_TEST(hwt_patcher_apply_threads)
{
	const struct variant *v = &variants[_i];
	pthread_t t[2];
	void *depth;

	patch_variant(v);
	for (int k = 0; k < 2; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, thread_main, (void *)v), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(pthread_join(t[k], &depth), 0);
		ck_assert_ptr_null(depth);
	}
	ck_assert_uint_eq(n_enter[ID_LEAF], 2 * 20 * 1000);
	ck_assert_uint_eq(n_leave[ID_LEAF], 2 * 20 * 1000);
	ck_assert_uint_eq(n_enter[ID_SPIN], 40);
	ck_assert_uint_eq(n_leave[ID_SPIN], 40);
	ck_assert_uint_eq(n_enter[ID_FIB], 2 * (uint64_t)fib_calls(12));
	ck_assert_uint_eq(n_leave[ID_FIB], 2 * (uint64_t)fib_calls(12));
}
END_TEST

static volatile uint64_t handler_calls;
static int (*handler_leaf)(int);

static void on_alarm(int sig)
{
	handler_calls++;
	handler_leaf(1);
}

START_TEST(hwt_patcher_apply_signals)
{
	const struct variant *v = &variants[_i], *h = &variants[(_i + 1) % NVARIANTS];
	struct itimerval it = { { 0, 200 }, { 0, 200 } }, off = { { 0, 0 }, { 0, 0 } };
	struct hwt_patch_thread_stats st;
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = SA_RESTART };

	patch_variant(v);
	ck_assert_int_eq(patch(h->leaf, 9), 0);
	handler_leaf = h->leaf;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	for (int k = 0; k < 200; k++)
		v->spin(2000);
	setitimer(ITIMER_REAL, &off, NULL);
	hwt_patch_thread_stats(&st);
	/* a handler's call made while a hook ran is skipped, counted, never half-recorded */
	ck_assert_uint_eq(n_enter[ID_LEAF] + n_enter[9] + st.skipped, 200 * 2000 + handler_calls);
	ck_assert_uint_eq(n_enter[ID_LEAF], n_leave[ID_LEAF]);
	ck_assert_uint_eq(n_enter[9], n_leave[9]);
	ck_assert_uint_eq(n_enter[ID_LEAF], 200 * 2000);
	ck_assert_uint_eq(n_leave[ID_SPIN], 200);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

START_TEST(hwt_patcher_apply_fork)
{
	const struct variant *v = &variants[_i];
	int status = -1, pid;

	patch_variant(v);
	ck_assert_int_eq(patch(v->fork_in, 20), 0);
	pid = v->fork_in();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* the child: its copy of the shadow stack brought it back here; it goes on */
		int ok = n_enter[20] == 1 && n_leave[20] == 1 && hwt_patch_depth() == 0 &&
			 v->leaf(1) == 4 && n_leave[ID_LEAF] == 1;

		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(status, 0);
	ck_assert_uint_eq(n_enter[20], 1);
	ck_assert_uint_eq(n_leave[20], 1);
	ck_assert_uint_eq(n_enter[ID_LEAF], 0);
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

/* Patching while another thread calls the function: it sees the old code or the new, whole. */
static volatile int spin_stop;
static volatile uint64_t spin_calls, spin_bad;

static void *caller_main(void *arg)
{
	int (*fn)(int) = (int (*)(int))arg;

	for (int i = 0; !spin_stop; i++) {
		if (fn(i) != i + 7)
			spin_bad++;
		spin_calls++;
	}
	return NULL;
}

START_TEST(hwt_patcher_apply_concurrent)
{
	int (*fn)(int) = _i ? pt_asm_cross : pt_asm_word;
	pthread_t t;

	ck_assert_int_eq(((uintptr_t)fn & 7) + 5 > 8, _i); /* the path this case is for */
	ck_assert_int_eq(pthread_create(&t, NULL, caller_main, (void *)fn), 0);
	while (spin_calls < 1000)
		sched_yield();
	ck_assert_int_eq(patch(fn, 21), 0);
	while (n_leave[21] < 1000)
		sched_yield();
	spin_stop = 1;
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_uint_eq(spin_bad, 0);
	ck_assert_uint_eq(n_enter[21], n_leave[21]);
	ck_assert_uint_le(n_enter[21], spin_calls);
}
END_TEST

static void *exit_main(void *arg)
{
	const struct variant *v = arg;

	v->spin(10);
	return (void *)hwt_patch_depth();
}

/* Threads that come and go: each one's shadow stack is freed when it exits. */
START_TEST(hwt_patcher_apply_thread_exit)
{
	const struct variant *v = &variants[3];

	patch_variant(v);
	for (int k = 0; k < 300; k++) {
		pthread_t t;
		void *depth;

		ck_assert_int_eq(pthread_create(&t, NULL, exit_main, (void *)v), 0);
		ck_assert_int_eq(pthread_join(t, &depth), 0);
		ck_assert_ptr_null(depth);
	}
	ck_assert_uint_eq(n_leave[ID_LEAF], 300 * 10);
	ck_assert_uint_eq(n_leave[ID_SPIN], 300);
}
END_TEST

/* A handler on an alternate stack mapped above the thread's own stack: its calls must not be
 * taken for returns past the interrupted frames. */
static int (*alt_leaf)(int);
extern long pt_asm_data;

static void on_usr1(int sig)
{
	handler_calls++;
	alt_leaf(2);
}

static void *alt_main(void *arg)
{
	const struct variant *v = arg;
	stack_t ss = { .ss_size = 1 << 16 };
	pthread_attr_t a;
	void *lo;
	size_t size;
	int r = -1;

	/* the alternate stack 256 MiB above this thread's stack, wherever that is free */
	pthread_getattr_np(pthread_self(), &a);
	pthread_attr_getstack(&a, &lo, &size);
	pthread_attr_destroy(&a);
	for (uintptr_t at = (uintptr_t)lo + size + (256u << 20); at < (uintptr_t)lo + (1ul << 40);
	     at += 1u << 20) {
		ss.ss_sp = mmap((void *)at, ss.ss_size, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (ss.ss_sp != MAP_FAILED)
			break;
	}
	if (ss.ss_sp == MAP_FAILED || sigaltstack(&ss, NULL) < 0)
		return (void *)-1l;
	for (int k = 0; k < 10; k++)
		r = v->raiser(SIGUSR1); /* handler: leaf on the alternate stack */
	return (void *)(long)(r == 0 && hwt_patch_depth() == 0 ? 0 : -2);
}

START_TEST(hwt_patcher_apply_sigaltstack)
{
	const struct variant *v = &variants[_i];
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_ONSTACK };
	pthread_t t;
	void *rc;

	patch_variant(v);
	ck_assert_int_eq(patch(v->raiser, 22), 0);
	alt_leaf = v->leaf;
	sigaction(SIGUSR1, &sa, NULL);
	ck_assert_int_eq(pthread_create(&t, NULL, alt_main, (void *)v), 0);
	ck_assert_int_eq(pthread_join(t, &rc), 0);
	ck_assert_ptr_null(rc);
	ck_assert_uint_eq(handler_calls, 10);
	ck_assert_uint_eq(n_enter[22], 10);
	ck_assert_uint_eq(n_leave[22], 10);
	ck_assert_uint_eq(n_enter[ID_LEAF], 10);
	ck_assert_uint_eq(n_leave[ID_LEAF], 10);
	ck_assert_uint_eq(n_unwound[22] + n_unwound[ID_LEAF], 0);
}
END_TEST

/* ---- batches and undoing ------------------------------------------------------------------- */

START_TEST(hwt_patcher_apply_many_all)
{
	struct hwt_patch_req reqs[NVARIANTS * 7];
	int res[NVARIANTS * 7];
	size_t n = 0;

	for (int k = 0; k < NVARIANTS; k++) {
		const void *fns[] = { variants[k].fib, variants[k].sum_va,    variants[k].pair,
				      variants[k].mix, variants[k].jump_deep, variants[k].leaf,
				      variants[k].spin };

		for (int j = 0; j < 7; j++)
			reqs[n++] = (struct hwt_patch_req){ (uintptr_t)fns[j], fn_size(fns[j]),
							    (uint32_t)(10 + j) };
	}
	ck_assert_int_eq(hwt_patcher_apply_many(P, reqs, n, res), (int)n);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(res[k], 0);
	for (int k = 0; k < NVARIANTS; k++)
		ck_assert_int_eq(variants[k].spin(10), 3 * 45 + 10);
	ck_assert_uint_eq(n_enter[15], NVARIANTS * 10);
	ck_assert_uint_eq(n_leave[16], NVARIANTS);
}
END_TEST

START_TEST(hwt_patcher_free_restores)
{
	uint8_t before[32];

	memcpy(before, (const void *)fib_O2_cet, sizeof(before));
	ck_assert_int_eq(patch(fib_O2_cet, 1), 0);
	ck_assert_int_ne(memcmp(before, (const void *)fib_O2_cet, sizeof(before)), 0);
	ck_assert_int_eq(fib_O2_cet(10), 55);
	hwt_patcher_free(P);
	P = NULL;
	ck_assert_mem_eq(before, (const void *)fib_O2_cet, sizeof(before));
	ck_assert_int_eq(fib_O2_cet(10), 55);
	ck_assert_uint_eq(n_enter[1], (uint64_t)fib_calls(10));
	P = hwt_patcher_alloc(&hooks); /* a new one may follow */
	ck_assert_ptr_nonnull(P);
}
END_TEST

/* ---- a real library, every function at once ----------------------------------------------- */

struct lib_funcs {
	const char *want; /* "libz.so" */
	char path[512];
	uintptr_t base;
	struct hwt_patch_req reqs[MAXID];
	int res[MAXID];
	char name[MAXID][48];
	size_t n;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib_funcs *lf = arg;

	if (!strstr(info->dlpi_name, lf->want))
		return 0;
	snprintf(lf->path, sizeof(lf->path), "%s", info->dlpi_name);
	lf->base = info->dlpi_addr;
	return 1;
}

/* What the runtime must leave alone: functions that return twice (a second return would find
 * its shadow-stack entry gone) or switch stacks under the shadow stack's feet. */
static const char *const not_patchable[] = {
	"setjmp",   "_setjmp",	  "sigsetjmp",	   "__sigsetjmp", "vfork",
	"__vfork",  "getcontext", "setcontext",	   "swapcontext", "makecontext",
	"clone",    "__clone",	  "__clone3",	   "_exit",	  "longjmp",
	"_longjmp", "siglongjmp", "__longjmp_chk", NULL,
};

static int add_func(const struct hwt_elf_func *f, void *ctx)
{
	struct lib_funcs *lf = ctx;

	for (int k = 0; not_patchable[k]; k++)
		if (strcmp(f->name, not_patchable[k]) == 0)
			return 0;
	if (lf->n < MAXID) {
		lf->reqs[lf->n] =
			(struct hwt_patch_req){ lf->base + f->vaddr, f->size, (uint32_t)lf->n };
		snprintf(lf->name[lf->n], sizeof(lf->name[0]), "%s", f->name);
		lf->n++;
	}
	return 0;
}

/* What each library does: a round trip of 256 KiB; 1 if the data came back. */
static int zlib_work(void)
{
	static unsigned char in[1 << 18], out[(1 << 18) + 4096], back[1 << 18];
	uLongf olen = sizeof(out), blen = sizeof(back);

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)("hwtrace patches every function "[i % 31] ^ (i >> 12));
	for (int level = 1; level <= 9; level += 4) {
		olen = sizeof(out), blen = sizeof(back);
		if (compress2(out, &olen, in, sizeof(in), level) != Z_OK ||
		    uncompress(back, &blen, out, olen) != Z_OK || blen != sizeof(in) ||
		    memcmp(in, back, sizeof(in)) != 0)
			return 0;
	}
	return crc32(0, in, sizeof(in)) == crc32(0, back, sizeof(back));
}

static int zstd_work(void)
{
	static unsigned char in[1 << 18], out[(1 << 18) + 4096], back[1 << 18];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (unsigned char)("hwtrace patches every function "[i % 31] ^ (i >> 12));
	for (int level = 1; level <= 19; level += 9) {
		size_t olen = ZSTD_compress(out, sizeof(out), in, sizeof(in), level), blen;

		if (ZSTD_isError(olen))
			return 0;
		blen = ZSTD_decompress(back, sizeof(back), out, olen);
		if (blen != sizeof(in) || memcmp(in, back, sizeof(in)) != 0)
			return 0;
	}
	return 1;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static void *libc_thread(void *arg)
{
	char buf[128];

	for (int i = 0; i < 500; i++)
		snprintf(buf, sizeof(buf), "%d %f %s", i, i * 1.5, "x");
	return NULL;
}

static int libc_work(void)
{
	static int a[50000];
	char buf[512];
	double sum = 0;
	pthread_t t[2];
	FILE *f;

	srand(1);
	for (int i = 0; i < 50000; i++)
		a[i] = rand();
	qsort(a, 50000, sizeof(int), cmp_int);
	for (int i = 1; i < 50000; i++)
		if (a[i - 1] > a[i])
			return 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(buf, sizeof(buf), "%d.25", i);
		sum += strtod(buf, NULL);
	}
	f = fopen("/proc/self/maps", "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof(buf), f))
		;
	fclose(f);
	for (int i = 0; i < 2; i++)
		if (pthread_create(&t[i], NULL, libc_thread, NULL))
			return 0;
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return sum == 999 * 1000 / 2 + 250.0;
}

START_TEST(hwt_patcher_apply_many_library)
{
	static struct lib_funcs lf;
	const char *names[] = { "libz.so", "libzstd.so", "libc.so" };
	int (*work[])(void) = { zlib_work, zstd_work, libc_work };
	int why[HWT_PATCH_REFUSAL_COUNT_] = { 0 }, done, calls = 0;
	char err[256];

	lf.want = names[_i];
	ck_assert_int_eq(work[_i](), 1);
	ck_assert_int_eq(dl_iterate_phdr(find_lib, &lf), 1);
	ck_assert_int_gt(hwt_elf_functions(lf.path, 0, add_func, &lf, err, sizeof(err)), 0);
	ck_assert_uint_lt(lf.n, MAXID);
	done = hwt_patcher_apply_many(P, lf.reqs, lf.n, lf.res);
	for (size_t k = 0; k < lf.n; k++) {
		ck_assert_int_ge(lf.res[k], 0);
		why[lf.res[k]]++;
		if (lf.res[k] && why[lf.res[k]] <= 3)
			fprintf(stderr, "%s: %s refused: %s\n", lf.want, lf.name[k],
				hwt_patch_refusal_str(lf.res[k]));
	}
	fprintf(stderr, "%s: %zu functions, %d patched", lf.want, lf.n, done);
	for (int r = 1; r < HWT_PATCH_REFUSAL_COUNT_; r++)
		if (why[r])
			fprintf(stderr, ", %d %s", why[r], hwt_patch_refusal_str(r));
	ck_assert_int_eq(work[_i](), 1);
	for (size_t k = 0; k < lf.n; k++) {
		ck_assert_uint_eq(n_enter[k], n_leave[k]);
		ck_assert_uint_eq(n_unwound[k], 0);
		calls += (int)n_enter[k];
	}
	fprintf(stderr, "; %d calls traced\n", calls);
	ck_assert_int_gt(calls, 50);
	ck_assert_int_gt(done * 2, (int)lf.n); /* most of it */
	ck_assert_uint_eq(hwt_patch_depth(), 0);
}
END_TEST

/* ---- relocation out of rel32 reach --------------------------------------------------------- */

/* Relocated to run 3 GiB away: branches take their absolute forms, RIP-relative operands are
 * refused. */
START_TEST(hwt__relocate_far)
{
	struct hwt__disasm *d = hwt__disasm_open();
	uintptr_t je = (uintptr_t)pt_asm_je, far = je + (3ull << 30), target;
	struct hwt__plan plan;
	uint8_t out[256];
	int n;

	ck_assert_ptr_nonnull(d);
	/* test %edi,%edi; je 1f; lea 4(%rdi),%eax: jne over an absolute jump to 1f */
	ck_assert_int_eq(hwt__plan_function(d, je, fn_size(pt_asm_je), &plan, NULL), 0);
	ck_assert_uint_eq(plan.ninsn, 3);
	n = hwt__relocate(d, &plan, out, far);
	ck_assert_int_eq(n, 2 + 2 + 14 + 3 + 14);
	ck_assert_mem_eq(out, "\x85\xff", 2);	  /* test, moved as it is */
	ck_assert_mem_eq(out + 2, "\x75\x0e", 2); /* jne +14 (je inverted) */
	ck_assert_mem_eq(out + 4, "\xff\x25\0\0\0\0", 6);
	memcpy(&target, out + 10, 8);
	ck_assert_uint_eq(target, je + 8);		       /* 1: movl $-1,%eax */
	ck_assert_mem_eq(out + 18, (const void *)(je + 4), 3); /* lea */
	ck_assert_mem_eq(out + 21, "\xff\x25\0\0\0\0", 6);
	memcpy(&target, out + 27, 8);
	ck_assert_uint_eq(target, plan.site + plan.len); /* back behind the replaced bytes */
	/* a RIP-relative operand cannot reach from there */
	ck_assert_int_eq(
		hwt__plan_function(d, (uintptr_t)pt_asm_rip, fn_size(pt_asm_rip), &plan, NULL), 0);
	ck_assert_int_eq(hwt__relocate(d, &plan, out, (uintptr_t)pt_asm_rip + (3ull << 30)),
			 -HWT_PATCH_RIP_RANGE);
	/* and from nearby it is rewritten: the same target from 1 MiB further on */
	n = hwt__relocate(d, &plan, out, (uintptr_t)pt_asm_rip + (1u << 20));
	ck_assert_int_gt(n, 7);
	{
		int32_t disp;

		memcpy(&disp, out + 3, 4);
		ck_assert_uint_eq((uintptr_t)pt_asm_rip + (1u << 20) + 7 + disp,
				  (uintptr_t)&pt_asm_data);
	}
	hwt__disasm_close(d);
}
END_TEST

/* ---- the length decoder against capstone ---------------------------------------------------- */

struct sweep {
	csh cs;
	cs_insn *insn;
	uint64_t agree, unknown, differ, modules;
};

/* Every executable segment of every loaded object, swept linearly by both decoders. */
static int sweep_module(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct sweep *sw = arg;

	for (int k = 0; k < info->dlpi_phnum; k++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[k];
		const uint8_t *p, *end;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		sw->modules++;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p < end) {
			const uint8_t *q = p;
			size_t left = (size_t)(end - p), mine = hwt__insn_length(p, left);
			uint64_t a = (uintptr_t)p;

			if (!cs_disasm_iter(sw->cs, &q, &left, &a, sw->insn)) {
				p++; /* data, padding: resynchronise */
				continue;
			}
			if (mine == 0)
				sw->unknown++;
			else if (mine == sw->insn->size)
				sw->agree++;
			else if (sw->differ++ < 10)
				fprintf(stderr, "length %zu, capstone %u: %s %s at %s+%#lx\n", mine,
					sw->insn->size, sw->insn->mnemonic, sw->insn->op_str,
					info->dlpi_name,
					(unsigned long)((uintptr_t)p - info->dlpi_addr));
			p += sw->insn->size;
		}
	}
	return 0;
}

START_TEST(hwt__insn_length_capstone)
{
	struct sweep sw = { 0 };

	ck_assert_int_eq(cs_open(CS_ARCH_X86, CS_MODE_64, &sw.cs), CS_ERR_OK);
	sw.insn = cs_malloc(sw.cs);
	dl_iterate_phdr(sweep_module, &sw);
	cs_free(sw.insn, 1);
	cs_close(&sw.cs);
	fprintf(stderr, "insn_length: %lu modules, %lu agree, %lu left to capstone, %lu differ\n",
		(unsigned long)sw.modules, (unsigned long)sw.agree, (unsigned long)sw.unknown,
		(unsigned long)sw.differ);
	ck_assert_uint_ge(sw.modules, 5); /* this program, libc, libstdc++, capstone, ... */
	ck_assert_uint_gt(sw.agree, 500000);
	ck_assert_uint_eq(sw.differ, 0);
	ck_assert_uint_lt(sw.unknown * 1000, sw.agree); /* under 0.1 % */
}
END_TEST

static Suite *patch_suite(void)
{
	Suite *s = suite_create("patch");
	TCase *tc = tcase_create("patch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_patcher_apply_variants, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_prologues, 0,
			    (int)(sizeof(prologues) / sizeof(prologues[0])));
	tcase_add_loop_test(tc, hwt_patcher_apply_refusals, 0,
			    (int)(sizeof(refusals) / sizeof(refusals[0])));
	tcase_add_test(tc, hwt_patcher_apply_already);
	tcase_add_test(tc, hwt_patch_reenter_nested);
	tcase_add_test(tc, hwt_patcher_apply_many_shared_tail);
	tcase_add_test(tc, hwt_patcher_apply_bad_args);
	tcase_add_test(tc, hwt_patcher_alloc_bad);
	tcase_add_test(tc, hwt_patch_refusal_str_each);
	tcase_add_test(tc, hwt_patcher_apply_tail_call);
	tcase_add_test(tc, hwt_patch_real_return_slot);
	tcase_add_test(tc, hwt_patcher_forget_range);
	tcase_add_loop_test(tc, hwt_patch_unwind_to_longjmp, 0, 2 * NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_deep, 0, NVARIANTS);
	tcase_add_test(tc, hwt_patch_restore_returns_cxx);
	tcase_add_test(tc, hwt_patch_restore_returns_rethrow);
	tcase_add_loop_test(tc, hwt_patch_unwind_all_pthread_exit, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_threads, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_signals, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_fork, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_concurrent, 0, 2);
	tcase_add_test(tc, hwt_patcher_apply_thread_exit);
	tcase_add_loop_test(tc, hwt_patcher_apply_sigaltstack, 0, NVARIANTS);
	tcase_add_test(tc, hwt_patcher_apply_many_all);
	tcase_add_test(tc, hwt_patcher_free_restores);
	tcase_add_test(tc, hwt__insn_length_capstone);
	tcase_add_test(tc, hwt__relocate_far);
	tcase_add_loop_test(tc, hwt_patcher_apply_many_library, 0, 3);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(patch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

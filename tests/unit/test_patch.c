/* Unit tests for lib/inproc's entry patcher: functions of this program, built -O0 and -O2, with
 * and without frame pointers and endbr64, patched and run for real, with the hooks counted. */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "hwtrace/error.h"
#include "lib/inproc/patch.h"
#include "tests/unit/patch_targets.h"

#define MAXID 64

static uint64_t n_enter[MAXID], n_leave[MAXID], n_unwound[MAXID];
static int events[4096]; /* +id+1 at entry, -(id+1) at return, in order */
static unsigned nevents;
static struct hwt_patcher *P;

static void on_enter(void *ctx, uint32_t id)
{
	unsigned k = __atomic_fetch_add(&nevents, 1, __ATOMIC_RELAXED);

	__atomic_add_fetch(&n_enter[id], 1, __ATOMIC_RELAXED);
	if (k < 4096)
		events[k] = (int)id + 1;
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
};

#define PT_ROW(v) { #v, fib_##v, sum_va_##v, pair_##v, mix_##v, jump_deep_##v, leaf_##v, spin_##v },
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
};

START_TEST(hwt_patcher_apply_prologues)
{
	const struct prologue *pr = &prologues[_i];

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
	{ "jump table", pt_asm_table, HWT_PATCH_JUMP_TABLE },
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

/* What the inproc runtime does around the C++ unwinder: real return addresses back before it
 * walks the stack, and the surviving frames' returns re-armed once the catch begins. */
void __cxa_throw(void *obj, void *tinfo, void (*dest)(void *))
{
	void (*real)(void *, void *, void (*)(void *)) = dlsym(RTLD_NEXT, "__cxa_throw");

	hwt_patch_restore_returns();
	real(obj, tinfo, dest);
	__builtin_unreachable();
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
	tcase_add_test(tc, hwt_patcher_apply_bad_args);
	tcase_add_test(tc, hwt_patcher_alloc_bad);
	tcase_add_test(tc, hwt_patch_refusal_str_each);
	tcase_add_test(tc, hwt_patcher_apply_tail_call);
	tcase_add_loop_test(tc, hwt_patch_unwind_to_longjmp, 0, 2 * NVARIANTS);
	tcase_add_test(tc, hwt_patch_restore_returns_cxx);
	tcase_add_loop_test(tc, hwt_patcher_apply_threads, 0, NVARIANTS);
	tcase_add_loop_test(tc, hwt_patcher_apply_signals, 0, NVARIANTS);
	tcase_add_test(tc, hwt_patcher_apply_many_all);
	tcase_add_test(tc, hwt_patcher_free_restores);
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

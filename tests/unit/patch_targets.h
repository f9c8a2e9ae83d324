/* Functions the entry patcher's unit test patches: one set per code-generation variant
 * (patch_targets.c built -O0/-O2, with and without frame pointers and endbr64), plus the
 * hand-written prologues of patch_asm.S and the C++ ones of patch_cxx.cc. */
#ifndef HWTRACE_TESTS_PATCH_TARGETS_H
#define HWTRACE_TESTS_PATCH_TARGETS_H

#include <setjmp.h>
#include <stdint.h>

struct pt_pair {
	long sum, diff;
};

#define PT_VARIANTS(X) X(O0_fp) X(O0_cet) X(O2_fp) X(O2_nofp) X(O2_cet)

#define PT_DECLARE(v)                                                                       \
	long fib_##v(long n);                                                               \
	double sum_va_##v(int n, ...);                                                      \
	struct pt_pair pair_##v(long a, long b);                                            \
	double mix_##v(int a, double x, long b, float y, int c, int d, int e, int f, int g, \
		       double z);                                                           \
	void jump_deep_##v(jmp_buf *jb, int depth);                                         \
	int leaf_##v(int x);                                                                \
	int spin_##v(int n);                                                                \
	int fork_in_##v(void);                                                              \
	int raiser_##v(int sig);                                                            \
	void exit_deep_##v(int depth);
PT_VARIANTS(PT_DECLARE)
#undef PT_DECLARE

/* patch_asm.S */
int pt_asm_fp(int x), pt_asm_endbr(int x), pt_asm_sub(int x), pt_asm_je(int x);
int pt_asm_rip(int x); /* x + 1000, computed in 64 bits */
int pt_asm_short(void), pt_asm_loop(int x), pt_asm_entryloop(int x), pt_asm_table(int x);
int pt_asm_table_into(int x), pt_asm_table_nobound(int x);
int pt_asm_victim(int x), pt_asm_intruder(int x), pt_asm_table_push(int x), pt_asm_call(int x),
	pt_asm_callind(int x), pt_asm_leaf(int x);
int pt_asm_tail_a(int x), pt_asm_tail_b(int x);
int pt_asm_word(int x), pt_asm_cross(int x), pt_asm_sse(int x), pt_asm_avx(int x);
void pt_asm_depth_probe(void); /* in the test: notes hwt_patch_depth() */
void pt_asm_slot(void);
void pt_asm_slot_probe(uintptr_t *slot); /* in the test */

/* patch_cxx.cc: throw through @depth patched frames, caught by pt_cxx_catch (-1). */
int pt_cxx_throw(int depth);
int pt_cxx_catch(int depth);
int pt_cxx_rethrow(int depth);	      /* catches, rethrows */
int pt_cxx_catch_rethrown(int depth); /* -2 */

#endif

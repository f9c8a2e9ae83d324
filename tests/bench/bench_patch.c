/* lib/inproc's entry patcher measured: the cost of a patched call (entry + return) with hooks
 * that read the clock and append to a buffer as the inproc runtime does, and the time to patch
 * 10,000 functions in one batch (CPU time of the thread: the figures hold on a loaded machine).
 * Prints name<TAB>value<TAB>unit lines.
 *   bench_patch [CALLS]   (default 20,000,000) */
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/elffuncs.h"
#include "lib/inproc/patch.h"

#define NMANY 10000
extern int (*const bpm_fns[NMANY])(int); /* bench_patch_many.c, generated */

__attribute__((noipa)) int bench_leaf(int x);
__attribute__((noipa)) int bench_leaf(int x)
{
	return x * 3 + 1;
}

static __attribute__((noipa)) int bench_loop(int (*fn)(int), long n)
{
	int s = 0;

	for (long i = 0; i < n; i++)
		s += fn((int)i);
	return s;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of this thread (user + system): what start-up costs, whatever else the machine runs */
static double cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What a runtime's hooks do: a timestamp and 8 bytes into a per-thread buffer. */
static __thread uint64_t ring[4096];
static __thread unsigned ring_pos;

static void hook_clock(uint32_t id, uint64_t kind)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ring[ring_pos++ & 4095] = ((uint64_t)ts.tv_nsec << 32) ^ ((uint64_t)id << 1) ^ kind;
}

/* The same with the TSC (what a runtime can use when the TSC is invariant): no vDSO call. */
static void hook_tsc(uint32_t id, uint64_t kind)
{
	uint64_t t = __builtin_ia32_rdtsc();

	ring[ring_pos++ & 4095] = (t << 32) ^ ((uint64_t)id << 1) ^ kind;
}

static void enter_tsc(void *ctx, uint32_t id)
{
	hook_tsc(id, 0);
}

static void leave_tsc(void *ctx, uint32_t id, unsigned flags)
{
	hook_tsc(id, 1);
}

static void enter_clock(void *ctx, uint32_t id)
{
	hook_clock(id, 0);
}

static void leave_clock(void *ctx, uint32_t id, unsigned flags)
{
	hook_clock(id, 1);
}

static int hooks_empty;

static void enter_empty(void *ctx, uint32_t id)
{
	hooks_empty++;
}

static void leave_empty(void *ctx, uint32_t id, unsigned flags)
{
}

static size_t fn_size(const void *fn)
{
	const ElfW(Sym) *sym = NULL;
	Dl_info info;

	if (!dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym)
		return 0;
	return sym->st_size;
}

/* ns per call of bench_leaf, best of 5 rounds of @n calls, in CPU time (the thread's own) */
static double per_call(long n)
{
	double best = 1e9;

	for (int r = 0; r < 5; r++) {
		double t0 = cpu(), t;

		bench_loop(bench_leaf, n);
		t = (cpu() - t0) * 1e9 / (double)n;
		best = t < best ? t : best;
	}
	return best;
}

static int bench_calls(long n)
{
	const struct hwt_patch_hooks hk[3] = { { enter_empty, leave_empty, NULL },
					       { enter_clock, leave_clock, NULL },
					       { enter_tsc, leave_tsc, NULL } };
	const char *names[3] = { "call_empty_hooks", "call_clock_hooks", "call_rdtsc_hooks" };
	double base = per_call(n), best = 1e9;

	printf("call_untraced\t%.2f\tns\n", base);
	/* what the clock hooks cost by themselves: their work twice per call, no patching */
	for (int r = 0; r < 5; r++) {
		double t0 = cpu(), t;

		for (long i = 0; i < n; i++) {
			hook_clock(1, 0);
			hook_clock(1, 1);
		}
		t = (cpu() - t0) * 1e9 / (double)n;
		best = t < best ? t : best;
	}
	printf("clock_hooks_alone\t%.2f\tns per pair (two clock_gettime + two buffer writes)\n",
	       best);
	for (int k = 0; k < 3; k++) {
		struct hwt_patcher *p = hwt_patcher_alloc(&hk[k]);
		int rc;

		if (!p)
			return 1;
		rc = hwt_patcher_apply(p, (uintptr_t)bench_leaf, fn_size((void *)bench_leaf), 1);
		if (rc) {
			fprintf(stderr, "bench_patch: cannot patch bench_leaf: %s\n",
				rc > 0 ? hwt_patch_refusal_str(rc) : "error");
			return 1;
		}
		double c = per_call(n);

		printf("%s\t%.2f\tns per call (entry + return), %.2f over untraced\n", names[k], c,
		       c - base);
		hwt_patcher_free(p);
	}
	return 0;
}

static int bench_startup(void)
{
	const struct hwt_patch_hooks hk = { enter_empty, leave_empty, NULL };
	static struct hwt_patch_req reqs[NMANY];
	static int res[NMANY];
	struct hwt_patcher *p;
	double t0, t1, u0, u1;
	int done;

	for (int i = 0; i < NMANY; i++)
		reqs[i] = (struct hwt_patch_req){ (uintptr_t)bpm_fns[i],
						  fn_size((void *)bpm_fns[i]), (uint32_t)i };
	/* best of 3: free puts the original bytes back */
	for (int round = 0; round < 3; round++) {
		double c0, c1;

		p = hwt_patcher_alloc(&hk);
		c0 = now();
		for (int i = 0; p && i < NMANY; i++)
			hwt_patcher_check(p, reqs[i].addr, reqs[i].size);
		c1 = now();
		hwt_patcher_free(p);
		t0 = now();
		u0 = cpu();
		p = hwt_patcher_alloc(&hk);
		done = p ? hwt_patcher_apply_many(p, reqs, NMANY, res) : -1;
		t1 = now();
		u1 = cpu();
		if (done != NMANY) {
			fprintf(stderr, "bench_patch: patched %d of %d functions\n", done, NMANY);
			return 1;
		}
		hooks_empty = 0;
		for (int i = 0; i < NMANY; i++)
			bpm_fns[i](i);
		printf("startup_10000\t%.1f\tms (alloc + apply_many; CPU %.1f ms; checks alone "
		       "%.1f "
		       "ms), %d hooks run after\n",
		       (t1 - t0) * 1e3, (u1 - u0) * 1e3, (c1 - c0) * 1e3, hooks_empty);
		hwt_patcher_free(p);
		if (hooks_empty != NMANY)
			return 1;
	}
	return 0;
}

/* ---- a real library's exported functions, all in one batch ---- */

struct lib {
	const char *want;
	char path[512];
	uintptr_t base;
	struct hwt_patch_req *reqs;
	size_t n, cap;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lib *l = arg;

	if (!strstr(info->dlpi_name, l->want))
		return 0;
	snprintf(l->path, sizeof(l->path), "%s", info->dlpi_name);
	l->base = info->dlpi_addr;
	return 1;
}

static int add_func(const struct hwt_elf_func *f, void *ctx)
{
	/* what the runtime leaves out (lib/inproc/patch.h) */
	static const char *const skip[] = { "setjmp",	   "_setjmp",	  "sigsetjmp",
					    "__sigsetjmp", "vfork",	  "getcontext",
					    "setcontext",  "swapcontext", "makecontext",
					    "clone",	   "dlopen",	  "dlmopen",
					    "dlsym",	   "dlvsym",	  NULL };
	struct lib *l = ctx;

	for (int k = 0; skip[k]; k++)
		if (strcmp(f->name, skip[k]) == 0)
			return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct hwt_patch_req *r = realloc(l->reqs, cap * sizeof(*r));

		if (!r)
			return 1;
		l->reqs = r, l->cap = cap;
	}
	l->reqs[l->n] = (struct hwt_patch_req){ l->base + f->vaddr, f->size, (uint32_t)l->n };
	l->n++;
	return 0;
}

/* check_many and apply_many on every exported function of @want (libc: patched for real, then
 * put back). */
static int bench_lib(const char *want)
{
	const struct hwt_patch_hooks hk = { enter_empty, leave_empty, NULL };
	struct lib l = { .want = want };
	double t0, t1, t2, u1, u2;
	size_t bytes = 0;
	int *res, ok, done;
	char why[256];
	struct hwt_patcher *p;

	if (dl_iterate_phdr(find_lib, &l) != 1 ||
	    hwt_elf_functions(l.path, 0, add_func, &l, why, sizeof(why)) <= 0 || !l.n)
		return 0; /* not loaded here: nothing to say */
	for (size_t k = 0; k < l.n; k++)
		bytes += l.reqs[k].size;
	res = calloc(l.n, sizeof(*res));
	p = hwt_patcher_alloc(&hk);
	if (!res || !p)
		return 1;
	t0 = now();
	ok = hwt_patcher_check_many(p, l.reqs, l.n, res);
	t1 = now();
	u1 = cpu();
	done = hwt_patcher_apply_many(p, l.reqs, l.n, res);
	u2 = cpu();
	t2 = now();
	printf("startup_%s\t%.1f\tms apply_many of %zu functions (CPU %.1f ms; %zu KiB of code; %d "
	       "patched; check_many %.1f ms)\n",
	       want, (t2 - t1) * 1e3, l.n, (u2 - u1) * 1e3, bytes >> 10, done, (t1 - t0) * 1e3);
	hwt_patcher_free(p);
	free(res);
	free(l.reqs);
	return done == ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000000;

	if (n <= 0) {
		fprintf(stderr, "bench_patch: CALLS must be a positive number, not '%s'\n",
			argv[1]);
		return 2;
	}
	return bench_calls(n) || bench_startup() || bench_lib("libc.so") ||
	       bench_lib("libstdc++.so");
}

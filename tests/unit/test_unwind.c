/* Unit tests for the unwinder's cache of CFI rows and its threads (decoders/unwind_cfi.c,
 * decoders/unwind_pool.c): samples of this very process, taken by a profiling timer as perf
 * takes them (the interrupted registers and a copy of the stack above them), must unwind to the
 * same frames through the cache, through libdw alone, and ahead on worker threads. */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/records.h"
#include "core/model.h"
#include "core/symbols.h"
#include "decoders/unwind.h"
#include "tests/self_samples.h"

#define NSAMPLES   256
#define MAX_FRAMES 128

static struct hwt_model *m;
static struct hwt_symbolizer *s;
static uint32_t self;

/* This process's mappings, as a recording's would be; the end of the stack. */
static void load_maps(void)
{
	ck_assert_int_eq(self_samples_maps(s, self), 0);
	ck_assert_uint_gt(stack_top, 0);
}

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t fib(int n)
{
	return n < 2 ? (uint64_t)n : fib(n - 1) + fib(n - 2);
}

__attribute__((noinline)) static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Calls through libc (built without frame pointers: its CFI is needed), recursion, leaves. */
__attribute__((noinline)) static void workload(uint32_t *v, size_t n)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = x;
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	sink += fib(18) + v[n / 2];
}

/* Samples of the workload, every millisecond of CPU time, once per test process. */
static void take_samples(void)
{
	struct sigaction sa = { .sa_sigaction = on_prof, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	static uint32_t v[20000];

	samples_want = NSAMPLES;
	samples = calloc(NSAMPLES, sizeof(*samples));
	ck_assert_ptr_nonnull(samples);
	ck_assert_int_eq(sigaction(SIGPROF, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_PROF, &it, NULL), 0);
	/* CPU time, not wall time: as many rounds as it takes on a loaded machine. */
	while (nsamples < NSAMPLES)
		workload(v, sizeof(v) / sizeof(v[0]));
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);
	signal(SIGPROF, SIG_IGN);
}

static void setup(void)
{
	self = (uint32_t)getpid();
	m = hwt_model_alloc();
	s = hwt_symbolizer_alloc(m);
	ck_assert_ptr_nonnull(s);
	load_maps();
	take_samples();
}

static void teardown(void)
{
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	free(samples);
	samples = NULL;
	nsamples = 0;
}

struct frames {
	int n;
	uint64_t pcs[MAX_FRAMES];
};

/* Every sample unwound by @u, into @out (NSAMPLES of them). */
static void unwind_all(struct hwt_unwinder *u, struct frames *out)
{
	for (int i = 0; i < NSAMPLES; i++) {
		const struct sample *smp = &samples[i];

		out[i].n = hwt_unwind(u, self, self, smp->regs, smp->stack, smp->size, out[i].pcs,
				      MAX_FRAMES);
		ck_assert_int_ge(out[i].n, 1);
	}
}

static void assert_same(const struct frames *a, const struct frames *b)
{
	for (int i = 0; i < NSAMPLES; i++) {
		ck_assert_msg(a[i].n == b[i].n, "sample %d: %d frames against %d", i, a[i].n,
			      b[i].n);
		for (int k = 0; k < a[i].n; k++)
			ck_assert_msg(a[i].pcs[k] == b[i].pcs[k],
				      "sample %d frame %d: %#llx, %#llx", i, k,
				      (unsigned long long)a[i].pcs[k],
				      (unsigned long long)b[i].pcs[k]);
	}
}

/* The frames libdw alone finds for every sample. */
static struct frames *reference(void)
{
	struct frames *ref = calloc(NSAMPLES, sizeof(*ref));
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);

	ck_assert_ptr_nonnull(ref);
	ck_assert_ptr_nonnull(u);
	hwt_unwinder_set_cache(u, 0);
	unwind_all(u, ref);
	ck_assert_uint_eq(hwt_unwinder_stats(u)->slow, NSAMPLES);
	hwt_unwinder_free(u);
	return ref;
}

START_TEST(hwt_unwinder_set_cache_same_frames)
{
	struct frames *ref = reference(), *got = calloc(NSAMPLES, sizeof(*got));
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	int deep = 0;

	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(u);
	hwt_unwinder_set_cache(u, 1);
	unwind_all(u, got);
	assert_same(ref, got);
	/* The walks went through libc's qsort back to this test: real unwinding. */
	for (int i = 0; i < NSAMPLES; i++)
		deep += got[i].n >= 5;
	ck_assert_int_ge(deep, NSAMPLES / 4);
	const struct hwt_unwind_stats *st = hwt_unwinder_stats(u);
	ck_assert_uint_eq(st->samples, NSAMPLES);
	ck_assert_uint_lt(st->slow, NSAMPLES / 10);
	ck_assert_uint_gt(st->row_fills, 0);
	/* Every address met again: no libdw lookup at all, the same frames. */
	uint64_t fills = st->row_fills;
	memset(got, 0, NSAMPLES * sizeof(*got));
	unwind_all(u, got);
	assert_same(ref, got);
	ck_assert_uint_eq(hwt_unwinder_stats(u)->row_fills, fills);
	hwt_unwinder_free(u);
	free(ref);
	free(got);
}
END_TEST

/* Fewer frames asked for: the first ones, as libdw stops. */
START_TEST(hwt_unwind_cache_max)
{
	struct hwt_unwinder *u0 = hwt_unwinder_alloc(s), *u1 = hwt_unwinder_alloc(s);
	uint64_t a[MAX_FRAMES], b[MAX_FRAMES];

	hwt_unwinder_set_cache(u0, 0);
	for (int i = 0; i < NSAMPLES; i++) {
		const struct sample *smp = &samples[i];
		int max = 2 + i % 4;
		int n0 = hwt_unwind(u0, self, self, smp->regs, smp->stack, smp->size, a, max);
		int n1 = hwt_unwind(u1, self, self, smp->regs, smp->stack, smp->size, b, max);

		ck_assert_int_eq(n0, n1);
		ck_assert_int_le(n1, max);
		ck_assert_mem_eq(a, b, (size_t)n1 * sizeof(*a));
	}
	hwt_unwinder_free(u0);
	hwt_unwinder_free(u1);
}
END_TEST

static struct sample sig_sample;
static int sig_taken;

__attribute__((noinline)) static void sig_capture(void)
{
	ucontext_t uc;

	/* The registers at this point, as a sample taken here would have them. */
	memset(&uc, 0, sizeof(uc));
	getcontext(&uc);
	on_prof(SIGPROF, NULL, &uc);
	sig_taken = 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	sig_capture();
	__asm__ volatile("" ::: "memory");
}

START_TEST(hwt_unwind_signal_frame)
{
	struct hwt_unwinder *u0 = hwt_unwinder_alloc(s), *u1 = hwt_unwinder_alloc(s);
	uint64_t a[MAX_FRAMES], b[MAX_FRAMES];
	int n0, n1;

	/* A sample in a signal handler: the kernel's signal frame and libc's trampoline, whose
	 * CFI is DWARF expressions the cache does not hold: libdw unwinds the sample. */
	nsamples = NSAMPLES - 1;
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	ck_assert(sig_taken);
	memcpy(&sig_sample, &samples[NSAMPLES - 1], sizeof(sig_sample));
	hwt_unwinder_set_cache(u0, 0);
	n0 = hwt_unwind(u0, self, self, sig_sample.regs, sig_sample.stack, sig_sample.size, a,
			MAX_FRAMES);
	n1 = hwt_unwind(u1, self, self, sig_sample.regs, sig_sample.stack, sig_sample.size, b,
			MAX_FRAMES);
	ck_assert_int_ge(n0, 4); /* sig_capture, on_usr1, the trampoline, raise, ... */
	ck_assert_int_eq(n0, n1);
	ck_assert_mem_eq(a, b, (size_t)n0 * sizeof(*a));
	ck_assert_uint_eq(hwt_unwinder_stats(u1)->slow, 1);
	hwt_unwinder_free(u0);
	hwt_unwinder_free(u1);
}
END_TEST

/* Batches of samples unwound ahead on 3 workers, taken in order: libdw's frames. Whether a
 * worker or this thread unwinds each one depends on the scheduler; the frames do not. */
START_TEST(hwt_unwind_ahead_same_frames)
{
	struct frames *ref = reference(), *got = calloc(NSAMPLES, sizeof(*got));
	struct hwt_unwinder *u;
	int batch = 1 + _i * 37;

	setenv("HWT_UNWIND_THREADS", "4", 1);
	u = hwt_unwinder_alloc(s);
	unsetenv("HWT_UNWIND_THREADS");
	ck_assert_ptr_nonnull(u);
	ck_assert_int_eq(hwt_unwind_ahead_threads(u), 3);
	for (int i = 0; i < NSAMPLES; i += batch) {
		int n = i + batch <= NSAMPLES ? batch : NSAMPLES - i;

		for (int k = i; k < i + n; k++)
			ck_assert_int_eq(hwt_unwind_ahead_add(u, self, self, samples[k].regs,
							      samples[k].stack, samples[k].size),
					 0);
		ck_assert_int_eq(hwt_unwind_ahead_start(u), n);
		/* Every other batch skips a sample: the others still match theirs. */
		for (int k = i; k < i + n; k++)
			if (!(_i % 2 && k == i + n / 2))
				got[k].n =
					hwt_unwind(u, self, self, samples[k].regs, samples[k].stack,
						   samples[k].size, got[k].pcs, MAX_FRAMES);
			else
				got[k] = ref[k];
		hwt_unwind_ahead_stop(u);
	}
	assert_same(ref, got);
	/* After a stop nothing is taken from the batch: the same frames, unwound here. */
	hwt_unwind_ahead_stop(u);
	unwind_all(u, got);
	assert_same(ref, got);
	hwt_unwinder_free(u);
	free(ref);
	free(got);
}
END_TEST

/* The address space changed between the start and the sample's turn (a mapping in between):
 * the frames unwound ahead are not used. */
START_TEST(hwt_unwind_ahead_maps_change)
{
	struct frames *ref = reference(), *got = calloc(NSAMPLES, sizeof(*got));
	struct hwt_map_info mi = { .path = "/nonexistent/late.so",
				   .start = 0x10000,
				   .end = 0x11000 };
	struct hwt_unwinder *u;

	setenv("HWT_UNWIND_THREADS", "2", 1);
	u = hwt_unwinder_alloc(s);
	unsetenv("HWT_UNWIND_THREADS");
	for (int k = 0; k < NSAMPLES; k++)
		ck_assert_int_eq(hwt_unwind_ahead_add(u, self, self, samples[k].regs,
						      samples[k].stack, samples[k].size),
				 0);
	ck_assert_int_eq(hwt_unwind_ahead_start(u), NSAMPLES);
	for (int k = 0; k < NSAMPLES; k++) {
		if (k == NSAMPLES / 2)
			ck_assert_int_eq(hwt_symbolizer_add_map(s, self, &mi), 0);
		got[k].n = hwt_unwind(u, self, self, samples[k].regs, samples[k].stack,
				      samples[k].size, got[k].pcs, MAX_FRAMES);
	}
	hwt_unwind_ahead_stop(u);
	assert_same(ref, got);
	hwt_unwinder_free(u);
	free(ref);
	free(got);
}
END_TEST

START_TEST(hwt_unwind_ahead_bad_args)
{
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 };
	struct hwt_unwinder *u;

	ck_assert_int_eq(hwt_unwind_ahead_threads(NULL), 0);
	ck_assert_int_eq(hwt_unwind_ahead_add(NULL, 1, 1, regs, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind_ahead_start(NULL), 0);
	hwt_unwind_ahead_stop(NULL);
	hwt_unwinder_set_cache(NULL, 1);
	/* One thread: nothing is unwound ahead, and nothing is needed to say so. */
	setenv("HWT_UNWIND_THREADS", "1", 1);
	u = hwt_unwinder_alloc(s);
	unsetenv("HWT_UNWIND_THREADS");
	ck_assert_int_eq(hwt_unwind_ahead_threads(u), 0);
	ck_assert_int_eq(hwt_unwind_ahead_add(u, 1, 1, NULL, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind_ahead_add(u, 1, 1, regs, NULL, 8), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind_ahead_add(u, 1, 1, regs, NULL, 0), 0);
	ck_assert_int_eq(hwt_unwind_ahead_start(u), 0);
	hwt_unwind_ahead_stop(u);
	hwt_unwinder_free(u);
}
END_TEST

static Suite *unwind_suite(void)
{
	Suite *su = suite_create("unwind");
	TCase *tc = tcase_create("cache");

	tcase_set_timeout(tc, 120);
	/* Once for the suite: the samples cost CPU time, and no test changes them for another. */
	tcase_add_unchecked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hwt_unwinder_set_cache_same_frames);
	tcase_add_test(tc, hwt_unwind_cache_max);
	tcase_add_test(tc, hwt_unwind_signal_frame);
	tcase_add_loop_test(tc, hwt_unwind_ahead_same_frames, 0, 4);
	tcase_add_test(tc, hwt_unwind_ahead_maps_change);
	tcase_add_test(tc, hwt_unwind_ahead_bad_args);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(unwind_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

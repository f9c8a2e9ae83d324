/* DWARF unwinding throughput (decoders/unwind*.c) on samples of this program taken as perf takes
 * them (a profiling timer's interrupted registers and a copy of the stack above them): through
 * libdw alone, through the cache of CFI rows (cold, then warm), and ahead on worker threads.
 * Unwinding only: no decoding, symbolization or export. Prints samples/s and frames per sample.
 *   bench_unwind [SAMPLES (default 20000)] [THREADS (default 2)]
 * Built and run by tests/bench/unwind.sh. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/format/records.h"
#include "core/model.h"
#include "core/symbols.h"
#include "decoders/unwind.h"
#include "tests/self_samples.h"

#define MAX_FRAMES 256

static volatile uint64_t sink;

__attribute__((noinline)) static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* A call tree a few levels deep, through libc (qsort, memcpy, snprintf), leaves and loops. */
__attribute__((noinline)) static void level(int depth, uint32_t *v, size_t n)
{
	char buf[64];

	if (depth > 0) {
		level(depth - 1, v, n / 2 + 1);
		if (depth % 3 == 0)
			level(depth - 2, v + n / 2, n / 2);
		return;
	}
	uint32_t x = (uint32_t)n * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		v[i] = x;
	}
	qsort(v, n, sizeof(*v), cmp_u32);
	snprintf(buf, sizeof(buf), "%u", v[n / 2]);
	sink += strlen(buf);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t pcs[MAX_FRAMES];

/* One pass over every sample: seconds, and frames in *frames. */
static double pass(struct hwt_unwinder *u, int ahead, uint64_t *frames)
{
	double t0 = now();

	*frames = 0;
	for (int i = 0; i<samples_want; i += ahead> 0 ? ahead : samples_want) {
		int end = ahead > 0 && i + ahead < samples_want ? i + ahead : samples_want;

		if (ahead > 0) {
			for (int k = i; k < end; k++)
				hwt_unwind_ahead_add(u, 1, 1, samples[k].regs, samples[k].stack,
						     samples[k].size);
			hwt_unwind_ahead_start(u);
		}
		for (int k = i; k < end; k++) {
			int n = hwt_unwind(u, 1, 1, samples[k].regs, samples[k].stack,
					   samples[k].size, pcs, MAX_FRAMES);
			*frames += n > 0 ? (uint64_t)n : 0;
		}
		if (ahead > 0)
			hwt_unwind_ahead_stop(u);
	}
	return now() - t0;
}

static void report(const char *what, struct hwt_unwinder *u, int ahead, int rounds)
{
	uint64_t frames = 0;
	double best = 0;

	for (int r = 0; r < rounds; r++) {
		double t = pass(u, ahead, &frames);

		if (!r || t < best)
			best = t;
	}
	printf("  %-34s %10.0f samples/s %8.2f us/sample %6.1f frames/sample\n", what,
	       samples_want / best, best * 1e6 / samples_want, (double)frames / samples_want);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_sigaction = on_prof, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct itimerval it = { { 0, 250 }, { 0, 250 } };
	static uint32_t v[4096];
	int threads = argc > 2 ? atoi(argv[2]) : 2;
	char env[16];

	samples_want = argc > 1 ? atoi(argv[1]) : 20000;
	if (samples_want < 100 || threads < 1) {
		fprintf(stderr, "usage: bench_unwind [SAMPLES >= 100] [THREADS >= 1]\n");
		return 2;
	}
	samples = calloc((size_t)samples_want, sizeof(*samples));
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_symbolizer *s = hwt_symbolizer_alloc(m);
	if (!samples || !s)
		return 1;
	if (self_samples_maps(s, 1)) {
		fprintf(stderr, "bench_unwind: cannot read this process's mappings\n");
		return 1;
	}
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	while (nsamples < samples_want)
		level(9, v, sizeof(v) / sizeof(v[0]));
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_PROF, &it, NULL);

	printf("DWARF unwinding of %d samples of this program (profiling timer, 8 KiB stack "
	       "copies), "
	       "best of 3:\n",
	       samples_want);
	struct hwt_unwinder *u0 = hwt_unwinder_alloc(s), *u1 = hwt_unwinder_alloc(s);
	hwt_unwinder_set_cache(u0, 0);
	hwt_unwinder_set_cache(u1, 1);
	report("libdw, every sample (no cache)", u0, 0, 1);
	uint64_t frames;
	double cold = pass(u1, 0, &frames);
	printf("  %-34s %10.0f samples/s %8.2f us/sample %6.1f frames/sample\n",
	       "CFI row cache, first pass (cold)", samples_want / cold, cold * 1e6 / samples_want,
	       (double)frames / samples_want);
	report("CFI row cache, 1 thread", u1, 0, 3);
	const struct hwt_unwind_stats *st = hwt_unwinder_stats(u1);
	printf("  (cache: %llu rows filled from libdw, %llu of %llu samples through libdw)\n",
	       (unsigned long long)st->row_fills, (unsigned long long)st->slow,
	       (unsigned long long)st->samples);
	snprintf(env, sizeof(env), "%d", threads);
	setenv("HWT_UNWIND_THREADS", env, 1);
	struct hwt_unwinder *u2 = hwt_unwinder_alloc(s);
	char what[64];
	snprintf(what, sizeof(what), "CFI row cache, ahead, %d threads", threads);
	pass(u2, 256, &frames); /* the workers' caches warm */
	report(what, u2, 256, 3);
	hwt_unwinder_free(u0);
	hwt_unwinder_free(u1);
	hwt_unwinder_free(u2);
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	free(samples);
	return 0;
}

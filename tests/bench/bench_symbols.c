/* Throughput of symbolization (cold and cached) and cost of one DWARF unwind, measured on this
 * program's own address space.
 *
 * Build by hand after `make build/libhwtrace.a`:
 *   cc -O2 -g -D_GNU_SOURCE -I. -Iinclude -o build/bench_symbols tests/bench/bench_symbols.c \
 *      build/libhwtrace.a -ldw -lelf -lzstd -lz -lstdc++ -ldl
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/model.h"
#include "core/symbols.h"
#include "decoders/unwind.h"
#include "tests/self_capture.h"

#define SELF	   1u
#define NADDR	   1000000
#define NLOOKUP	   20000000
#define NUNWIND	   100000
#define MAX_FRAMES 64

struct text {
	uint64_t start, end;
};

static struct text texts[256];
static int ntexts;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void load_self_maps(struct hwt_symbolizer *s)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		struct hwt_map_info mi = { 0 };
		char perms[8];
		int pos = 0;
		char *path;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff,
			   &pos) < 4 ||
		    !pos)
			continue;
		path = line + pos;
		path[strcspn(path, "\n")] = 0;
		mi.start = start;
		mi.end = end;
		mi.pgoff = pgoff;
		mi.path = *path ? path : "//anon";
		hwt_symbolizer_add_map(s, SELF, &mi);
		if (perms[2] == 'x' && path[0] == '/' && ntexts < 256)
			texts[ntexts++] = (struct text){ start, end };
	}
	if (f)
		fclose(f);
}

/* Random addresses in executable file mappings, weighted by size. */
static void random_addrs(uint64_t *out, size_t n, uint64_t seed)
{
	uint64_t total = 0, x = seed;
	size_t i;
	int t;

	for (t = 0; t < ntexts; t++)
		total += texts[t].end - texts[t].start;
	for (i = 0; i < n; i++) {
		uint64_t r = rnd(&x) % total;

		for (t = 0; r >= texts[t].end - texts[t].start; t++)
			r -= texts[t].end - texts[t].start;
		out[i] = texts[t].start + r;
	}
}

static double run(struct hwt_symbolizer *s, const uint64_t *a, size_t n, size_t lookups)
{
	double t0 = now();
	size_t i;
	int64_t sum = 0;

	for (i = 0; i < lookups; i++)
		sum += hwt_symbolizer_frame(s, SELF, a[i % n], 0);
	if (sum <= 0)
		fprintf(stderr, "unexpected ids\n");
	return (double)lookups / (now() - t0);
}

/* ---- a stack to unwind ---- */

static struct capture cap;
static int captured;

__attribute__((noinline, noclone)) static int cmp_capture(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!captured) {
		CAPTURE_REGS(cap.regs);
		copy_stack(&cap);
		captured = 1;
	}
	return (x > y) - (x < y);
}

__attribute__((noinline, noclone)) static void deep(int n)
{
	int v[16], i;

	if (n) {
		deep(n - 1);
		__asm__ volatile("" ::: "memory");
		return;
	}
	for (i = 0; i < 16; i++)
		v[i] = 16 - i;
	qsort(v, 16, sizeof(v[0]), cmp_capture);
}

static void bench_unwind(struct hwt_model *m, struct hwt_symbolizer *s)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	uint64_t pcs[MAX_FRAMES];
	double t0, t1, t2;
	int i, j, n = 0;

	deep(6);
	if (!u || !captured)
		return;
	n = hwt_unwind(u, SELF, (uint32_t)gettid(), cap.regs, cap.stack, cap.size, pcs, MAX_FRAMES);
	printf("unwound %d frames (%zu stack bytes):\n", n, cap.size);
	for (i = 0; i < n; i++) {
		int64_t id = hwt_symbolizer_frame(s, SELF, pcs[i] - (i > 0), 0);
		const struct hwt_frame *f = hwt_model_frame(m, (uint32_t)id);

		printf("  #%-2d %#014llx %s\n", i, (unsigned long long)pcs[i],
		       f ? hwt_model_str(m, f->name) : "?");
	}
	t0 = now();
	for (i = 0; i < NUNWIND; i++)
		hwt_unwind(u, SELF, (uint32_t)gettid(), cap.regs, cap.stack, cap.size, pcs,
			   MAX_FRAMES);
	t1 = now();
	for (i = 0; i < NUNWIND; i++) {
		n = hwt_unwind(u, SELF, (uint32_t)gettid(), cap.regs, cap.stack, cap.size, pcs,
			       MAX_FRAMES);
		for (j = 0; j < n; j++)
			hwt_symbolizer_frame(s, SELF, pcs[j] - (j > 0), 0);
	}
	t2 = now();
	printf("unwind: %.2f us/sample (%d frames); unwind + symbolize: %.2f us/sample\n",
	       (t1 - t0) * 1e6 / NUNWIND, n, (t2 - t1) * 1e6 / NUNWIND);
	hwt_unwinder_free(u);
}

int main(void)
{
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_symbolizer *s = hwt_symbolizer_alloc(m);
	uint64_t *a = malloc(NADDR * sizeof(*a)), *b = malloc(NADDR * sizeof(*b));
	double t0, first;

	if (!m || !s || !a || !b)
		return 1;
	load_self_maps(s);
	random_addrs(a, NADDR, 0x9e3779b97f4a7c15ull);
	random_addrs(b, NADDR, 0x2545f4914f6cdd1dull);

	t0 = now();
	hwt_symbolizer_frame(s, SELF, a[0], 0);
	first = now() - t0;
	printf("%d executable mappings; first lookup (loads one ELF file): %.2f ms\n", ntexts,
	       first * 1e3);
	printf("cold, ELF tables loading on the way: %.2f M addr/s\n",
	       run(s, a, NADDR, NADDR) / 1e6);
	printf("cold, tables loaded, unseen addresses: %.2f M addr/s\n",
	       run(s, b, NADDR, NADDR) / 1e6);
	printf("warm, 4096 hot addresses: %.2f M addr/s\n", run(s, a, 4096, NLOOKUP) / 1e6);
	printf("warm, 50000 addresses: %.2f M addr/s\n", run(s, a, 50000, NLOOKUP) / 1e6);
	printf("model: %u frames, %u strings\n", hwt_model_nframes(m), hwt_model_nstrs(m));
	bench_unwind(m, s);
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	free(a);
	free(b);
	return 0;
}

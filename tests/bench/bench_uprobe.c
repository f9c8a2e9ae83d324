/* Cost of function entry/return probes on this machine: BPF uprobe_multi (core/bpf.c) against
 * perf `uprobe` PMU events and against no probe, per first instruction of the probed function,
 * and the time to attach and detach them.
 *
 * Build by hand after `make build/libhwtrace.a`, run as root:
 *   cc -O2 -g -D_GNU_SOURCE -I. -Iinclude -o build/bench_uprobe tests/bench/bench_uprobe.c \
 *      build/libhwtrace.a -lpthread
 *   build/bench_uprobe [CALLS]      (default 200000 calls per measurement; ~90 s in all)
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "plugins/uprobe/uprobe_bpf.h"

#define CHUNK	      10000 /* calls between two drains of the ring buffers */
#define ROUNDS	      3	    /* the call table is measured this many times, best kept */
#define NMANY	      1000  /* functions attached at once with uprobe_multi */
#define NPERF_EVENTS  20    /* perf uprobe events opened and closed one by one */
#define PERF_PAGES    256   /* data pages of each perf ring */
#define BPF_RING      (16u << 20)
#define PERF_RETPROBE 1ull /* config bit 0 of the uprobe PMU: "retprobe" */

/*
 * Probed functions written in assembly so their first instruction is known exactly: the kernel
 * emulates some instructions at a uprobe (push, nop, branches), optimizes a 5-byte nop into a
 * call (Linux 6.18), and single-steps every other one out of line.
 */
__asm__(".text\n"
	".p2align 4\n"
	".globl bench_push\n.type bench_push, @function\n"
	"bench_push:\n\tpush %rbp\n\tmov %rsp, %rbp\n\tmov %rdi, %rax\n\tpop %rbp\n\tret\n"
	".size bench_push, .-bench_push\n"
	".p2align 4\n"
	".globl bench_mov\n.type bench_mov, @function\n"
	"bench_mov:\n\tmov %rdi, %rax\n\tret\n"
	".size bench_mov, .-bench_mov\n"
	".p2align 4\n"
	".globl bench_lea\n.type bench_lea, @function\n"
	"bench_lea:\n\tlea 1(%rdi), %rax\n\tret\n"
	".size bench_lea, .-bench_lea\n"
	".p2align 4\n"
	".globl bench_nop5\n.type bench_nop5, @function\n"
	"bench_nop5:\n\t.byte 0x0f, 0x1f, 0x44, 0x00, 0x00 /* nopl 0x0(%rax,%rax,1) */\n\tmov "
	"%rdi, %rax\n\tret\n"
	".size bench_nop5, .-bench_nop5\n"
	".p2align 4\n"
	".globl bench_endbr\n.type bench_endbr, @function\n"
	"bench_endbr:\n\tendbr64\n\tpush %rbp\n\tmov %rsp, %rbp\n\tmov %rdi, %rax\n\tpop %rbp\n"
	"\tret\n"
	".size bench_endbr, .-bench_endbr\n");

long bench_push(long x);
long bench_mov(long x);
long bench_lea(long x);
long bench_nop5(long x);
long bench_endbr(long x);

struct target {
	const char *name;
	long (*fn)(long);
	unsigned skip; /* bytes from the symbol to the probed instruction */
};

static const struct target targets[] = {
	{ "push %rbp (emulated)", bench_push, 0 }, { "nop5 (optimized)", bench_nop5, 0 },
	{ "mov %rdi,%rax", bench_mov, 0 },	   { "lea 1(%rdi),%rax", bench_lea, 0 },
	{ "endbr64 at +0", bench_endbr, 0 },	   { "endbr64, probe at +4", bench_endbr, 4 },
};

#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* NMANY distinct functions for the attach/detach timings; noipa keeps them apart (no ICF). */
#define FN(a, b, c)                                      \
	__attribute__((noipa)) void many_##a##b##c(void) \
	{                                                \
		__asm__ volatile("");                    \
	}
#define PTR(a, b, c) many_##a##b##c,
#define C10(L, a, b) \
	L(a, b, 0)   \
	L(a, b, 1)   \
	L(a, b, 2) L(a, b, 3) L(a, b, 4) L(a, b, 5) L(a, b, 6) L(a, b, 7) L(a, b, 8) L(a, b, 9)
#define B10(L, a)    \
	C10(L, a, 0) \
	C10(L, a, 1) \
	C10(L, a, 2) \
	C10(L, a, 3) C10(L, a, 4) C10(L, a, 5) C10(L, a, 6) C10(L, a, 7) C10(L, a, 8) C10(L, a, 9)
#define A10(L)    \
	B10(L, 0) \
	B10(L, 1) \
	B10(L, 2) B10(L, 3) B10(L, 4) B10(L, 5) B10(L, 6) B10(L, 7) B10(L, 8) B10(L, 9)

A10(FN)
static void (*const many[NMANY])(void) = { A10(PTR) };

static char self_path[4096];

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* File offset of @addr in this program (vaddr - map start + map file offset). */
static uint64_t self_offset(const void *addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uint64_t a = (uint64_t)(uintptr_t)addr, off = 0;
	char line[4096 + 128];
	int found = 0;

	if (!f) {
		perror("/proc/self/maps");
		exit(1);
	}
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff, &pos) < 3 ||
		    !pos || a < start || a >= end)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(self_path, sizeof(self_path), "%s", line + pos);
		off = a - start + pgoff;
		found = 1;
	}
	fclose(f);
	if (!found || self_path[0] != '/') {
		fprintf(stderr, "bench: no file mapping holds %p\n", addr);
		exit(1);
	}
	return off;
}

/* perf uprobe events of this thread, entry or return, each with its ring. */
struct perf_probe {
	int fd;
	struct perf_event_mmap_page *meta;
	size_t len;
};

static int uprobe_pmu_type(void)
{
	FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");
	int type = -1;

	if (!f || fscanf(f, "%d", &type) != 1)
		type = -1;
	if (f)
		fclose(f);
	return type;
}

/* Never inherit=1 with the uprobe PMU: the traced program's clone() then fails. */
static int perf_probe_open(struct perf_probe *p, uint64_t off, int ret, int with_ring)
{
	struct perf_event_attr a;

	memset(&a, 0, sizeof(a));
	memset(p, 0, sizeof(*p));
	a.size = sizeof(a);
	a.type = (uint32_t)uprobe_pmu_type();
	a.config = ret ? PERF_RETPROBE : 0;
	a.config1 = (uint64_t)(uintptr_t)self_path;
	a.config2 = off;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
	a.use_clockid = 1;
	a.clockid = CLOCK_MONOTONIC;
	a.watermark = 1;
	a.wakeup_watermark = PERF_PAGES * 4096 / 2;
	p->fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (p->fd < 0)
		return -errno;
	if (!with_ring)
		return 0;
	p->len = (size_t)(1 + PERF_PAGES) * (size_t)sysconf(_SC_PAGESIZE);
	p->meta = mmap(NULL, p->len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->meta == MAP_FAILED) {
		close(p->fd);
		return -errno;
	}
	return 0;
}

static void perf_probe_drain(struct perf_probe *p)
{
	uint64_t head = __atomic_load_n(&p->meta->data_head, __ATOMIC_ACQUIRE);

	__atomic_store_n(&p->meta->data_tail, head, __ATOMIC_RELEASE);
}

static void perf_probe_close(struct perf_probe *p)
{
	if (p->meta && p->meta != MAP_FAILED)
		munmap(p->meta, p->len);
	close(p->fd);
}

static int count_rec(const struct hwt_uprobe_rec *r, void *ctx)
{
	(void)r;
	++*(uint64_t *)ctx;
	return 0;
}

enum mode { BARE, BPF_ENTRY, BPF_BOTH, PERF_BOTH, NMODES };

static const char *const mode_names[NMODES] = { "bare", "BPF entry", "BPF entry+ret",
						"perf entry+ret" };

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median ns per call of @fn over @calls calls, in chunks with the rings drained in between. */
static double time_calls(long (*volatile fn)(long), long calls, struct hwt_bpf_uprobes *u,
			 struct perf_probe *pp, int npp, uint64_t *seen)
{
	long nchunks = (calls + CHUNK - 1) / CHUNK;
	double *per = calloc((size_t)nchunks, sizeof(*per)), med;
	long sink = 0;

	for (long c = 0; c < nchunks; c++) {
		double t0 = now_ns();

		for (long i = 0; i < CHUNK; i++)
			sink += fn(i);
		per[c] = (now_ns() - t0) / CHUNK;
		if (u)
			hwt_bpf_uprobes_consume(u, count_rec, seen);
		for (int k = 0; k < npp; k++)
			perf_probe_drain(&pp[k]);
	}
	qsort(per, (size_t)nchunks, sizeof(*per), cmp_double);
	med = per[nchunks / 2];
	free(per);
	if (sink == 42)
		printf(" ");
	return med;
}

static double measure(const struct target *t, enum mode m, long calls)
{
	char why[512];
	uint64_t off = self_offset((const char *)t->fn + t->skip), seen = 0;
	uint32_t id = 1;
	struct hwt_bpf_uprobes *u = NULL;
	struct perf_probe pp[2];
	int npp = 0, err;
	double ns;

	if (m == BPF_ENTRY || m == BPF_BOTH) {
		u = hwt_bpf_uprobes_open(BPF_RING, &err, why, sizeof(why));
		if (!u || hwt_bpf_uprobes_attach(u, self_path, &off, m == BPF_BOTH ? &off : NULL,
						 &id, 1, why, sizeof(why)) < 0) {
			fprintf(stderr, "bench: BPF uprobes: %s\n", why);
			exit(1);
		}
	} else if (m == PERF_BOTH) {
		for (npp = 0; npp < 2; npp++) {
			err = perf_probe_open(&pp[npp], off, npp, 1);
			if (err < 0) {
				fprintf(stderr, "bench: perf uprobe: %s\n", strerror(-err));
				exit(1);
			}
		}
	}
	ns = time_calls(t->fn, calls, u, pp, npp, &seen);
	if (u) {
		uint64_t want =
			(uint64_t)((calls + CHUNK - 1) / CHUNK * CHUNK) * (m == BPF_BOTH ? 2 : 1);

		if (seen + hwt_bpf_uprobes_lost(u) < want)
			fprintf(stderr, "bench: %s: %llu records of %llu\n", t->name,
				(unsigned long long)seen, (unsigned long long)want);
		hwt_bpf_uprobes_close(u);
	}
	for (int k = 0; k < npp; k++)
		perf_probe_close(&pp[k]);
	return ns;
}

static void bench_calls(long calls)
{
	double best[NTARGETS][NMODES];

	/* rounds over the whole table, so a burst of load elsewhere hits one round, not a row */
	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < NTARGETS; i++)
			for (int m = 0; m < NMODES; m++) {
				double ns = measure(&targets[i], (enum mode)m, calls);

				if (!r || ns < best[i][m])
					best[i][m] = ns;
			}
	printf("(a, b) ns per call: best of %d rounds of the median of %ld-call chunks, %ld calls "
	       "each\n",
	       ROUNDS, (long)CHUNK, calls);
	printf("%-24s", "first instruction");
	for (int m = 0; m < NMODES; m++)
		printf(" %15s", mode_names[m]);
	printf("\n");
	for (size_t i = 0; i < NTARGETS; i++) {
		printf("%-24s", targets[i].name);
		for (int m = 0; m < NMODES; m++)
			printf(" %15.1f", best[i][m]);
		printf("\n");
	}
}

/* Attaches @n functions' entry and return probes in @calls attach calls (2 links each). */
static void bench_multi(size_t n, size_t calls)
{
	uint64_t *off = malloc(n * sizeof(*off));
	uint32_t *ids = malloc(n * sizeof(*ids));
	struct hwt_bpf_uprobes *u;
	char why[512];
	double t0, t1;
	int64_t det;
	int err, rc = 0;

	for (size_t i = 0; i < n; i++) {
		off[i] = self_offset((const void *)many[i]);
		ids[i] = (uint32_t)i;
	}
	u = hwt_bpf_uprobes_open(1u << 20, &err, why, sizeof(why));
	if (!u) {
		fprintf(stderr, "bench: %s\n", why);
		exit(1);
	}
	t0 = now_ns();
	for (size_t i = 0, step = n / calls; i < n && rc >= 0; i += step)
		rc = hwt_bpf_uprobes_attach(u, self_path, off + i, off + i, ids + i,
					    i + step <= n ? step : n - i, why, sizeof(why));
	t1 = now_ns();
	if (rc < 0) {
		fprintf(stderr, "bench: attach %zu: %s\n", n, why);
		exit(1);
	}
	det = hwt_bpf_uprobes_detach(u);
	printf("uprobe_multi, %4zu functions, %4zu probes, %2zu links: attach %7.2f ms, detach "
	       "%7.2f "
	       "ms\n",
	       n, 2 * n, 2 * calls, (t1 - t0) / 1e6, (double)det / 1e6);
	hwt_bpf_uprobes_close(u);
	free(off);
	free(ids);
}

static void bench_perf_events(void)
{
	struct perf_probe pp[NPERF_EVENTS];
	double open_ms[NPERF_EVENTS], close_ms[NPERF_EVENTS], t0, sum_o = 0, sum_c = 0;
	double max_c = 0, min_c = 1e30;

	for (int i = 0; i < NPERF_EVENTS; i++) {
		uint64_t off = self_offset((const void *)many[i / 2]);
		int err;

		t0 = now_ns();
		err = perf_probe_open(&pp[i], off, i & 1, 0);
		open_ms[i] = (now_ns() - t0) / 1e6;
		if (err < 0) {
			fprintf(stderr, "bench: perf uprobe: %s\n", strerror(-err));
			exit(1);
		}
	}
	for (int i = 0; i < NPERF_EVENTS; i++) {
		t0 = now_ns();
		perf_probe_close(&pp[i]);
		close_ms[i] = (now_ns() - t0) / 1e6;
	}
	for (int i = 0; i < NPERF_EVENTS; i++) {
		sum_o += open_ms[i];
		sum_c += close_ms[i];
		max_c = close_ms[i] > max_c ? close_ms[i] : max_c;
		min_c = close_ms[i] < min_c ? close_ms[i] : min_c;
	}
	printf("perf uprobe PMU, %d events (%d functions entry+ret): open %.3f ms each, close %.2f "
	       "ms "
	       "each (min %.2f, max %.2f), %.0f ms in all\n",
	       NPERF_EVENTS, NPERF_EVENTS / 2, sum_o / NPERF_EVENTS, sum_c / NPERF_EVENTS, min_c,
	       max_c, sum_o + sum_c);
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 200000;
	char why[512];

	if (calls < CHUNK)
		calls = CHUNK;
	if (!hwt_bpf_uprobes_probe(why, sizeof(why))) {
		fprintf(stderr, "bench: %s\n", why);
		return 1;
	}
	if (uprobe_pmu_type() < 0) {
		fprintf(stderr,
			"bench: no uprobe PMU (/sys/bus/event_source/devices/uprobe/type)\n");
		return 1;
	}
	bench_calls(calls);
	printf("\n(c, d) attach and detach\n");
	bench_multi(1, 1);
	bench_multi(NMANY, 1);
	bench_multi(NMANY, 10);
	bench_perf_events();
	return 0;
}

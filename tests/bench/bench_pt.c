/* Throughput of the Intel PT decoder against a bare libipt block-decoder loop on the same
 * synthesized stream (a loop of direct and indirect calls over a tiny ELF written at run time,
 * a PSB+ every 4 KiB, a TSC every 16 iterations), with 1 and 2 threads.
 *
 *   bench_pt [MB]        (default 100)
 *
 * The bare loop is pt_blk_next and pt_blk_event with the decoder's own configuration and
 * nothing else; with 2 threads each decodes half the stream from a PSB. Ours is `hwtrace
 * import` of the stream, then hwt_decoder_batch() over the recording into a counting sink:
 * block decoding, call stacks, symbols and events, reading and decompressing the .hwt included
 * (HWT_PT_THREADS sets the threads). Goals: ours at most 1.25x the bare loop's time; 2 threads
 * at least 1.8x as fast as 1. Build (tests/bench/pt.sh does):
 *   cc -O2 -g -D_GNU_SOURCE -I/usr/include/capstone -o build/bench_pt tests/bench/bench_pt.c \
 *      build/libhwtrace.a $(pkg-config --libs libdw libelf libzstd zlib capstone) -lpfm -lipt \
 *      -lstdc++ -lpthread -ldl
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../../core/error.h"
#include "../../decoders/decode.h"
#include "../../decoders/pt_import.h"
#include "../unit/pt_synth.h"

#define L     (SYNTH_BASE + SYNTH_TEXT)
#define FN_A  (L + 0x40)
#define FN_F  (L + 0x60)
#define RUNS  3
#define CALLS 3 /* per iteration */

/* L: call a; call *%rax (f); test; jnz L. f calls a. */
static const uint8_t text[] = {
	[0x00] = 0xe8, 0x3b, 0x00, 0x00, 0x00, /* call a */
	0xff,	       0xd0,		       /* call *%rax */
	0x85,	       0xc0,		       /* test %eax, %eax */
	0x75,	       0xf5,		       /* jnz L */
	0xc3,				       /* ret */
	[0x40] = 0xc3,			       /* a: ret */
	[0x60] = 0xe8, 0xdb, 0xff, 0xff, 0xff, /* f: call a */
	0xc3,				       /* ret */
};
static const struct synth_sym syms[] = {
	{ "loop", L, 0xc },
	{ "a", FN_A, 1 },
	{ "f", FN_F, 6 },
};

static char elf_path[64], hwt_path[64];

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double now(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* Wall time, CPU time of the process, CPU time of the calling (main) thread. */
struct times {
	double wall, cpu, main;
};

static void times_start(struct times *t)
{
	t->wall = now();
	t->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);
	t->main = clock_s(CLOCK_THREAD_CPUTIME_ID);
}

static void times_stop(struct times *t)
{
	t->wall = now() - t->wall;
	t->cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t->cpu;
	t->main = clock_s(CLOCK_THREAD_CPUTIME_ID) - t->main;
}

static void die(const char *what)
{
	fprintf(stderr, "bench_pt: %s\n", what);
	unlink(elf_path);
	unlink(hwt_path);
	exit(1);
}

/* ---- the stream ---- */

struct stream {
	uint8_t *buf;
	size_t len;
	uint64_t iterations;
	size_t *psbs; /* offsets */
	size_t npsbs;
};

static void make_stream(struct stream *st, size_t bytes)
{
	struct synth one = { 0 }, last = { 0 }, pk = { 0 };

	/* One iteration: a returns (compressed), the indirect call's TIP, a and f return, the
	 * loop's branch is taken: the same bytes every time. In the last one the branch is not
	 * taken and the loop returns where tracing is off. */
	if (synth_tnt(&one, 1) || synth_ip(&one, ppt_tip, FN_F) || synth_tnt(&one, 1) ||
	    synth_tnt(&one, 1) || synth_tnt(&one, 1) || synth_flush(&one) || synth_tnt(&last, 1) ||
	    synth_ip(&last, ppt_tip, FN_F) || synth_tnt(&last, 1) || synth_tnt(&last, 1) ||
	    synth_tnt(&last, 0) || synth_ip(&last, ppt_tip_pgd, 0))
		die("cannot encode");
	st->buf = malloc(bytes + 4096);
	st->psbs = malloc((bytes / 4096 + 2) * sizeof(*st->psbs));
	if (!st->buf || !st->psbs)
		die("out of memory");
	st->len = 0;
	st->npsbs = 0;
	st->iterations = 0;
	size_t last_psb = 0;
	for (;;) {
		uint64_t tsc = 1000000 + st->iterations * 20;
		pk.len = 0;
		if (!st->len || st->len - last_psb >= 4096) {
			if (synth_psb(&pk, L, tsc))
				die("cannot encode");
			last_psb = st->len;
			st->psbs[st->npsbs++] = st->len;
		} else if (st->iterations % 16 == 0 && synth_tsc(&pk, tsc)) {
			die("cannot encode");
		}
		memcpy(st->buf + st->len, pk.buf, pk.len);
		st->len += pk.len;
		st->iterations++;
		const struct synth *it = st->len + 512 < bytes ? &one : &last;
		memcpy(st->buf + st->len, it->buf, it->len);
		st->len += it->len;
		if (it == &last)
			break;
	}
	synth_fini(&one);
	synth_fini(&last);
	synth_fini(&pk);
}

/* ---- the bare libipt loop ---- */

struct bare {
	const struct stream *st;
	size_t from, to; /* byte range: a PSB to the next part's PSB */
	uint64_t blocks, calls;
	struct pt_image_section_cache *isc;
	int isid;
};

static void *bare_run(void *arg)
{
	struct bare *b = arg;
	struct pt_config cfg;
	struct pt_block blk;
	struct pt_event ev;

	pt_config_init(&cfg);
	cfg.begin = b->st->buf + b->from;
	cfg.end = b->st->buf + b->to;
	cfg.flags.variant.block.end_on_call = 1;
	cfg.flags.variant.block.end_on_jump = 0; /* as the decoder does without HWT_PT_TAILCALLS */
	struct pt_block_decoder *d = pt_blk_alloc_decoder(&cfg);
	struct pt_image *img = pt_image_alloc(NULL);
	if (!d || !img || pt_image_add_cached(img, b->isc, b->isid, NULL) < 0 ||
	    pt_blk_set_image(d, img) < 0)
		die("cannot set up libipt");
	int status = pt_blk_sync_forward(d);
	for (;;) {
		if (status < 0) {
			if (status == -pte_eos || (status = pt_blk_sync_forward(d)) < 0)
				break;
			continue;
		}
		if (status & pts_event_pending) {
			status = pt_blk_event(d, &ev, sizeof(ev));
			continue;
		}
		status = pt_blk_next(d, &blk, sizeof(blk));
		b->blocks++;
		b->calls += status >= 0 && blk.iclass == ptic_call;
	}
	pt_blk_free_decoder(d);
	pt_image_free(img);
	return NULL;
}

static struct times bare(const struct stream *st, int threads, uint64_t *calls)
{
	struct times tm;
	struct pt_image_section_cache *isc = pt_iscache_alloc(NULL);
	int isid = isc ? pt_iscache_add_file(isc, elf_path, 0, SYNTH_END, SYNTH_BASE) : -1;
	struct bare parts[2];
	pthread_t tid[2];

	if (isid < 0)
		die("cannot add the image to libipt");
	times_start(&tm);
	for (int i = 0; i < threads; i++) {
		size_t k = st->npsbs * (size_t)i / (size_t)threads;
		size_t e = st->npsbs * (size_t)(i + 1) / (size_t)threads;
		parts[i] = (struct bare){ .st = st,
					  .from = st->psbs[k],
					  .to = e < st->npsbs ? st->psbs[e] : st->len,
					  .isc = isc,
					  .isid = isid };
		if (i + 1 < threads && pthread_create(&tid[i], NULL, bare_run, &parts[i]))
			die("cannot start a thread");
	}
	bare_run(&parts[threads - 1]); /* the main thread decodes the last part */
	*calls = parts[threads - 1].calls;
	for (int i = 0; i + 1 < threads; i++) {
		pthread_join(tid[i], NULL);
		*calls += parts[i].calls;
	}
	times_stop(&tm);
	pt_iscache_free(isc);
	return tm;
}

/* ---- ours ---- */

static struct times ours(int threads, uint64_t *calls, uint64_t *events)
{
	char buf[16], why[256];
	const struct hwt_event *evs;
	struct times tm;
	int err, n;

	snprintf(buf, sizeof(buf), "%d", threads);
	setenv("HWT_PT_THREADS", buf, 1);
	struct hwt_model *m = hwt_model_alloc();
	times_start(&tm);
	struct hwt_decoder *d = hwt_decoder_open(hwt_path, m, NULL, &err, why, sizeof(why));
	if (!d)
		die(why);
	*calls = *events = 0;
	while ((n = hwt_decoder_batch(d, &evs)) > 0) {
		*events += (uint64_t)n;
		for (int i = 0; i < n; i++)
			*calls += evs[i].type == HWT_EV_SLICE_BEGIN;
	}
	if (n < 0)
		die(hwt_errstr(n));
	times_stop(&tm);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return tm;
}

int main(int argc, char **argv)
{
	size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 100;
	struct stream st;
	char why[256];

	if (!mb)
		die("usage: bench_pt [MB]");
	snprintf(elf_path, sizeof(elf_path), "/tmp/hwt_bench_pt_XXXXXX");
	int fd = mkstemp(elf_path);
	if (fd < 0 || synth_elf(fd, text, sizeof(text), NULL, 0, syms, 3))
		die("cannot write the image");
	close(fd);
	snprintf(hwt_path, sizeof(hwt_path), "/tmp/hwt_bench_pt_%d.hwt", (int)getpid());
	make_stream(&st, mb << 20);

	struct hwt_pt_import_config cfg;
	struct hwt_pt_image img = { .path = elf_path };
	hwt_pt_import_config_init(&cfg);
	cfg.data = st.buf;
	cfg.len = st.len;
	cfg.images = &img;
	cfg.nimages = 1;
	cfg.tsc_hz = 1000000000;
	double t0 = now();
	if (hwt_pt_import(&cfg, hwt_path, why, sizeof(why)) < 0)
		die(why);
	double t_import = now() - t0;
	double mbytes = (double)st.len / 1e6;
	uint64_t want = st.iterations * CALLS;
	printf("bench_pt: %.1f MB of trace, %zu PSBs, %llu calls; import %.2f s; %ld CPUs\n",
	       mbytes, st.npsbs, (unsigned long long)want, t_import, sysconf(_SC_NPROCESSORS_ONLN));

	/* "ours" or "bare" after MB: only that one, once, with 1 thread (for profiling). */
	const char *only = argc > 2 ? argv[2] : NULL;
	if (only) {
		uint64_t calls, events;
		struct times t =
			strcmp(only, "bare") ? ours(1, &calls, &events) : bare(&st, 1, &calls);
		printf("%s: %.3f s, %llu calls\n", only, t.wall, (unsigned long long)calls);
		unlink(elf_path);
		unlink(hwt_path);
		return 0;
	}
	/* Best of RUNS by wall time, bare and ours alternating. */
	struct times best[2][2];
	for (int th = 1; th <= 2; th++) {
		best[th - 1][0].wall = best[th - 1][1].wall = 1e30;
		for (int r = 0; r < RUNS; r++) {
			uint64_t calls, events;
			struct times t = bare(&st, th, &calls);
			if (t.wall < best[th - 1][0].wall)
				best[th - 1][0] = t;
			t = ours(th, &calls, &events);
			if (t.wall < best[th - 1][1].wall)
				best[th - 1][1] = t;
			if (calls != want)
				fprintf(stderr,
					"bench_pt: the decoder gave %llu calls, want %llu\n",
					(unsigned long long)calls, (unsigned long long)want);
		}
	}
	printf("%-8s %-8s %9s %9s %9s %10s %12s\n", "threads", "decoder", "wall s", "CPU s",
	       "main s", "MB/s", "calls/s");
	for (int th = 1; th <= 2; th++)
		for (int k = 0; k < 2; k++) {
			const struct times *t = &best[th - 1][k];
			printf("%-8d %-8s %9.3f %9.3f %9.3f %10.1f %12.0f\n", th,
			       k ? "hwtrace" : "libipt", t->wall, t->cpu, t->main, mbytes / t->wall,
			       (double)want / t->wall);
		}
	printf("hwtrace / bare libipt wall time: %.2f with 1 thread, %.2f with 2 (goal <= 1.25)\n",
	       best[0][1].wall / best[0][0].wall, best[1][1].wall / best[1][0].wall);
	printf("2 threads / 1 thread wall speedup: hwtrace %.2fx, libipt %.2fx (goal >= 1.8)\n",
	       best[0][1].wall / best[1][1].wall, best[0][0].wall / best[1][0].wall);
	/* Where the CPUs are shared or throttled the wall time says little about parallelism:
	 * with two free CPUs, 2 threads take at least the main thread's CPU time, or half of the
	 * total. */
	for (int k = 0; k < 2; k++) {
		const struct times *t = &best[1][k];
		double bound = t->main > t->cpu / 2 ? t->main : t->cpu / 2;
		printf("%s with 2 free CPUs: at most %.2fx (CPU %.2fx of 1 thread's, main thread "
		       "%.0f%%)\n",
		       k ? "hwtrace" : "libipt ", best[0][k].wall / bound, t->cpu / best[0][k].cpu,
		       100 * t->main / t->cpu);
	}
	unlink(elf_path);
	unlink(hwt_path);
	free(st.buf);
	free(st.psbs);
	return 0;
}

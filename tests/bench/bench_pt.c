/* Throughput of the Intel PT decoder against a bare libipt block-decoder loop on the same stream,
 * with 1 and 2 threads. Two streams:
 *  - synthesized (the default): a loop of direct and indirect calls over a tiny ELF written at
 *    run time, a PSB+ every 4 KiB, a TSC every 16 iterations; 3.2 bytes of trace per call, the
 *    densest calls can be;
 *  - recorded (-t): a trace the oracle (tests/oracle) took of a real program, repeated to the
 *    size asked with its TSCs moved on each time, decoded over the program's own ELF files.
 *
 *   bench_pt [-t TRACE.pt -i IMAGES.txt -c TRUTH.txt] [MB [ours|bare]]     (MB default 100)
 *
 * The bare loop is pt_blk_next and pt_blk_event with the decoder's own configuration and
 * nothing else; with 2 threads each decodes half the stream from a PSB. Ours is `hwtrace
 * import` of the stream, then hwt_decoder_batch() over the recording into a counting sink:
 * block decoding, call stacks, symbols and events, reading and decompressing the .hwt included
 * (HWT_PT_THREADS sets the threads). Goals: ours at most 1.25x the bare loop's time; 2 threads
 * at least 1.8x as fast as 1. "ours" or "bare" after MB runs that one once with 1 thread (for
 * profiling). Build (tests/bench/pt.sh does):
 *   cc -O2 -g -D_GNU_SOURCE -I/usr/include/capstone -o build/bench_pt tests/bench/bench_pt.c \
 *      build/libhwtrace.a $(pkg-config --libs libdw libelf libzstd zlib capstone) -lpfm -lipt \
 *      -lstdc++ -lpthread -ldl
 */
#include <fcntl.h>
#include <gelf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "decoders/decode.h"
#include "decoders/intel_pt/pt_import.h"
#include "tests/unit/pt_synth.h"

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

#define MAX_IMAGES 16

/* The trace, what ran it, and how to read its times. */
struct stream {
	uint8_t *buf;
	size_t len;
	uint64_t calls; /* that executed */
	size_t *psbs;	/* offsets */
	size_t npsbs;
	struct hwt_pt_image images[MAX_IMAGES];
	size_t nimages;
	uint32_t mtc_freq, nom_freq, cpuid15_eax, cpuid15_ebx;
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
	size_t last_psb = 0;
	uint64_t iterations = 0;
	for (;;) {
		uint64_t tsc = 1000000 + iterations * 20;
		pk.len = 0;
		if (!st->len || st->len - last_psb >= 4096) {
			if (synth_psb(&pk, L, tsc))
				die("cannot encode");
			last_psb = st->len;
			st->psbs[st->npsbs++] = st->len;
		} else if (iterations % 16 == 0 && synth_tsc(&pk, tsc)) {
			die("cannot encode");
		}
		memcpy(st->buf + st->len, pk.buf, pk.len);
		st->len += pk.len;
		iterations++;
		const struct synth *it = st->len + 512 < bytes ? &one : &last;
		memcpy(st->buf + st->len, it->buf, it->len);
		st->len += it->len;
		if (it == &last)
			break;
	}
	synth_fini(&one);
	synth_fini(&last);
	synth_fini(&pk);
	st->calls = iterations * CALLS;
}

static void synthesize(struct stream *st, size_t bytes)
{
	snprintf(elf_path, sizeof(elf_path), "/tmp/hwt_bench_pt_XXXXXX");
	int fd = mkstemp(elf_path);
	if (fd < 0 || synth_elf(fd, text, sizeof(text), NULL, 0, syms, 3))
		die("cannot write the image");
	close(fd);
	make_stream(st, bytes);
	st->images[0] = (struct hwt_pt_image){ .path = elf_path };
	st->nimages = 1;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 65536 > cap && !(buf = realloc(buf, cap = 2 * cap + 65536)))
			die("out of memory");
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The oracle's trace @trace, repeated to at least @bytes: each copy's TSC packets move on by the
 * time the trace spans, so time goes forward as in one long run of the program. @images lists
 * its ELF files as PATH@BIAS; @truth gives the calls and the clock (its "import" line). */
static void load_recorded(struct stream *st, const char *trace, const char *images,
			  const char *truth, size_t bytes)
{
	size_t len, tlen, ilen;
	uint8_t *one = (uint8_t *)slurp(trace, &len);
	char *tt = slurp(truth, &tlen), *it = slurp(images, &ilen), *save = NULL;

	if (!one || !tt || !it || !len)
		die("cannot read the recorded trace, its images or its truth");
	uint64_t calls = 0;
	for (char *line = strtok_r(tt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		calls += !strncmp(line, "call ", 5);
		const char *c = strstr(line, "--cpuid15 ");
		if (!strncmp(line, "import ", 7) && c) {
			const char *m = strstr(line, "--mtc-freq "),
				   *f = strstr(line, "--nom-freq ");
			st->mtc_freq = m ? (uint32_t)atoi(m + 11) : 0;
			st->nom_freq = f ? (uint32_t)atoi(f + 11) : 0;
			if (sscanf(c + 10, "%u/%u", &st->cpuid15_eax, &st->cpuid15_ebx) != 2)
				die("the truth's import line has no --cpuid15 EAX/EBX");
		}
	}
	for (char *line = strtok_r(it, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *at = strrchr(line, '@');
		if (!at || st->nimages == MAX_IMAGES)
			die("bad images file: PATH@BIAS lines, at most 16");
		*at = 0;
		st->images[st->nimages++] =
			(struct hwt_pt_image){ .path = line, .bias = strtoull(at + 1, NULL, 16) };
	}
	free(tt); /* @it stays: the image paths point into it */

	/* Where the PSBs and the TSC payloads are in one copy. */
	struct pt_config cfg;
	struct pt_packet pk;
	size_t *psb1 = NULL, npsb1 = 0, *tsc1 = NULL, ntsc1 = 0;
	uint64_t tmin = UINT64_MAX, tmax = 0;
	pt_config_init(&cfg);
	cfg.begin = one;
	cfg.end = one + len;
	struct pt_packet_decoder *pd = pt_pkt_alloc_decoder(&cfg);
	if (!pd || pt_pkt_sync_set(pd, 0) < 0)
		die("cannot read the recorded trace");
	for (;;) {
		uint64_t off;
		if (pt_pkt_get_offset(pd, &off) < 0 || pt_pkt_next(pd, &pk, sizeof(pk)) < 0)
			break;
		if (pk.type == ppt_psb) {
			psb1 = realloc(psb1, (npsb1 + 1) * sizeof(*psb1));
			psb1[npsb1++] = off;
		} else if (pk.type == ppt_tsc) {
			tsc1 = realloc(tsc1, (ntsc1 + 1) * sizeof(*tsc1));
			tsc1[ntsc1++] = off + 1; /* after the opcode: 7 bytes, little-endian */
			tmin = pk.payload.tsc.tsc < tmin ? pk.payload.tsc.tsc : tmin;
			tmax = pk.payload.tsc.tsc > tmax ? pk.payload.tsc.tsc : tmax;
		}
		if ((npsb1 && !psb1) || (ntsc1 && !tsc1))
			die("out of memory");
	}
	pt_pkt_free_decoder(pd);
	if (!npsb1 || psb1[0] != 0 || !ntsc1)
		die("the recorded trace must begin with a PSB and have TSC packets");

	size_t copies = (bytes + len - 1) / len;
	uint64_t span = tmax - tmin + 1000000; /* and a millisecond between runs */
	st->buf = malloc(copies * len);
	st->psbs = malloc(copies * npsb1 * sizeof(*st->psbs));
	if (!st->buf || !st->psbs)
		die("out of memory");
	for (size_t k = 0; k < copies; k++) {
		uint8_t *c = st->buf + k * len;
		memcpy(c, one, len);
		for (size_t i = 0; i < ntsc1; i++) {
			uint64_t v = 0;
			memcpy(&v, c + tsc1[i], 7);
			v += k * span;
			memcpy(c + tsc1[i], &v, 7);
		}
		for (size_t i = 0; i < npsb1; i++)
			st->psbs[st->npsbs++] = k * len + psb1[i];
	}
	st->len = copies * len;
	st->calls = copies * calls;
	free(one);
	free(psb1);
	free(tsc1);
}

/* ---- the bare libipt loop ---- */

#define MAX_SECTIONS 64

/* One thread's part. Each has its own section cache, as each of hwtrace's workers has: libipt
 * locks a cache on every section it maps or reads. */
struct bare {
	const struct stream *st;
	size_t from, to; /* byte range: a PSB to the next part's PSB */
	uint64_t blocks, calls;
	struct pt_image_section_cache *isc;
	int isids[MAX_SECTIONS];
	size_t nisids;
};

/* The executable PT_LOAD segments of @img into @isc. */
static void add_sections(struct pt_image_section_cache *isc, const struct hwt_pt_image *img,
			 int *isids, size_t *n)
{
	int fd = open(img->path, O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	size_t nph = 0;
	GElf_Phdr ph;

	if (!e || elf_getphdrnum(e, &nph))
		die("cannot read an image");
	for (size_t i = 0; i < nph; i++) {
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X))
			continue;
		if (*n == MAX_SECTIONS)
			die("too many sections");
		isids[*n] = pt_iscache_add_file(isc, img->path, ph.p_offset, ph.p_filesz,
						ph.p_vaddr + img->bias);
		if (isids[(*n)++] < 0)
			die("cannot add an image to libipt");
	}
	elf_end(e);
	close(fd);
}

static void *bare_run(void *arg)
{
	struct bare *b = arg;
	struct pt_config cfg;
	struct pt_block blk;
	struct pt_event ev;

	pt_config_init(&cfg);
	cfg.begin = b->st->buf + b->from;
	cfg.end = b->st->buf + b->to;
	cfg.mtc_freq = (uint8_t)b->st->mtc_freq;
	cfg.nom_freq = (uint8_t)b->st->nom_freq;
	cfg.cpuid_0x15_eax = b->st->cpuid15_eax;
	cfg.cpuid_0x15_ebx = b->st->cpuid15_ebx;
	cfg.flags.variant.block.end_on_call = 1;
	cfg.flags.variant.block.end_on_jump = 0; /* as the decoder does without HWT_PT_TAILCALLS */
	struct pt_block_decoder *d = pt_blk_alloc_decoder(&cfg);
	struct pt_image *img = pt_image_alloc(NULL);
	if (!d || !img)
		die("cannot set up libipt");
	for (size_t i = 0; i < b->nisids; i++)
		if (pt_image_add_cached(img, b->isc, b->isids[i], NULL) < 0)
			die("cannot set up libipt");
	if (pt_blk_set_image(d, img) < 0)
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
	struct bare parts[2];
	pthread_t tid[2];

	for (int i = 0; i < threads; i++) {
		size_t k = st->npsbs * (size_t)i / (size_t)threads;
		size_t e = st->npsbs * (size_t)(i + 1) / (size_t)threads;
		parts[i] = (struct bare){ .st = st,
					  .from = st->psbs[k],
					  .to = e < st->npsbs ? st->psbs[e] : st->len,
					  .isc = pt_iscache_alloc(NULL) };
		if (!parts[i].isc)
			die("out of memory");
		for (size_t m = 0; m < st->nimages; m++)
			add_sections(parts[i].isc, &st->images[m], parts[i].isids,
				     &parts[i].nisids);
	}
	times_start(&tm);
	for (int i = 0; i + 1 < threads; i++)
		if (pthread_create(&tid[i], NULL, bare_run, &parts[i]))
			die("cannot start a thread");
	bare_run(&parts[threads - 1]); /* the main thread decodes the last part */
	*calls = parts[threads - 1].calls;
	for (int i = 0; i + 1 < threads; i++) {
		pthread_join(tid[i], NULL);
		*calls += parts[i].calls;
	}
	times_stop(&tm);
	for (int i = 0; i < threads; i++)
		pt_iscache_free(parts[i].isc);
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

static void usage(void)
{
	fprintf(stderr,
		"usage: bench_pt [-t TRACE.pt -i IMAGES.txt -c TRUTH.txt] [MB [ours|bare]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *trace = NULL, *images = NULL, *truth = NULL;
	struct stream st = { 0 };
	char why[256];
	int c;

	while ((c = getopt(argc, argv, "t:i:c:")) != -1) {
		switch (c) {
		case 't':
			trace = optarg;
			break;
		case 'i':
			images = optarg;
			break;
		case 'c':
			truth = optarg;
			break;
		default:
			usage();
		}
	}
	size_t mb = optind < argc ? strtoul(argv[optind], NULL, 10) : 100;
	if (!mb || (trace && (!images || !truth)))
		usage();
	elf_version(EV_CURRENT);
	snprintf(hwt_path, sizeof(hwt_path), "/tmp/hwt_bench_pt_%d.hwt", (int)getpid());
	if (trace)
		load_recorded(&st, trace, images, truth, mb << 20);
	else
		synthesize(&st, mb << 20);

	struct hwt_pt_import_config cfg;
	hwt_pt_import_config_init(&cfg);
	cfg.data = st.buf;
	cfg.len = st.len;
	cfg.images = st.images;
	cfg.nimages = st.nimages;
	cfg.tsc_hz = 1000000000;
	cfg.mtc_freq = st.mtc_freq;
	cfg.nom_freq = st.nom_freq;
	cfg.cpuid15_eax = st.cpuid15_eax;
	cfg.cpuid15_ebx = st.cpuid15_ebx;
	double t0 = now();
	if (hwt_pt_import(&cfg, hwt_path, why, sizeof(why)) < 0)
		die(why);
	double t_import = now() - t0;
	double mbytes = (double)st.len / 1e6;
	uint64_t want = st.calls;
	printf("bench_pt: %s, %.1f MB of trace, %zu PSBs, %llu calls (%.1f bytes a call); import "
	       "%.2f s; %ld CPUs\n",
	       trace ? "recorded" : "synthesized", mbytes, st.npsbs, (unsigned long long)want,
	       (double)st.len / (double)want, t_import, sysconf(_SC_NPROCESSORS_ONLN));

	/* "ours" or "bare" after MB: only that one, once, with 1 thread (for profiling). */
	const char *only = optind + 1 < argc ? argv[optind + 1] : NULL;
	if (only) {
		uint64_t calls, events;
		struct times t =
			strcmp(only, "bare") ? ours(1, &calls, &events) : bare(&st, 1, &calls);
		printf("%s: %.3f s, %llu calls\n", only, t.wall, (unsigned long long)calls);
		if (!trace)
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

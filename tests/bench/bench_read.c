/* make bench, read side: decoding alone. Opens a recording with -j THREADS (1: one thread, 2: the
 * reader thread too), takes every event through hwt_decoder_batch() into a sink that only counts
 * them, ROUNDS times, and prints the best round: "EVENTS CALLS SECONDS CPU_SECONDS". Events are
 * the model's (a traced call is two: its slice's begin and end). -v adds, on stderr, each thread's
 * CPU seconds and seconds waited for the other (with the reader thread). With -s, only the chunks
 * are read (CRC checked, decompressed: what any decoding costs at least), and it prints "BYTES
 * CHUNKS SECONDS CPU_SECONDS", BYTES the chunks' decompressed bytes.
 *   bench_read [-s] [-v] [-j THREADS] [-n ROUNDS] TRACE.hwt */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/store.h"
#include "decoders/decode.h"
#include "hwtrace/error.h"

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* -s: the chunks read and decompressed, nothing decoded; the best of @rounds. */
static int chunks_only(const char *path, int rounds)
{
	double best = 0, best_cpu = 0;
	unsigned long long bytes = 0, chunks = 0;

	for (int r = 0; r < rounds; r++) {
		int err;
		uint32_t type;
		const void *data;
		size_t len;
		double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		struct hwt_store_reader *sr = hwt_store_reader_open(path, &err);

		if (!sr) {
			fprintf(stderr, "bench_read: %s: %s\n", path, hwt_errstr(err));
			return 1;
		}
		bytes = chunks = 0;
		while ((err = hwt_store_read(sr, &type, &data, &len)) > 0) {
			bytes += len;
			chunks++;
		}
		double secs = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		hwt_store_reader_close(sr);
		if (err < 0) {
			fprintf(stderr, "bench_read: %s\n", hwt_errstr(err));
			return 1;
		}
		if (!r || secs < best) {
			best = secs;
			best_cpu = cpu;
		}
	}
	printf("%llu %llu %.6f %.6f\n", bytes, chunks, best, best_cpu);
	return 0;
}

int main(int argc, char **argv)
{
	int threads = 1, rounds = 3, verbose = 0, c, store = 0;

	while ((c = getopt(argc, argv, "j:n:sv")) != -1) {
		switch (c) {
		case 's':
			store = 1;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'j':
			threads = atoi(optarg);
			break;
		case 'n':
			rounds = atoi(optarg);
			break;
		default:
			fprintf(stderr,
				"usage: bench_read [-s] [-v] [-j THREADS] [-n ROUNDS] TRACE.hwt\n");
			return 2;
		}
	}
	if (optind + 1 != argc || threads < 1 || rounds < 1) {
		fprintf(stderr, "usage: bench_read [-s] [-v] [-j THREADS] [-n ROUNDS] TRACE.hwt\n");
		return 2;
	}
	if (store)
		return chunks_only(argv[optind], rounds);
	double best = 0, best_cpu = 0;
	unsigned long long events = 0, calls = 0;
	for (int r = 0; r < rounds; r++) {
		struct hwt_decoder_config cfg;
		char why[512];
		int err, n;
		const struct hwt_event *evs;

		hwt_decoder_config_init(&cfg);
		cfg.threads = threads;
		struct hwt_model *m = hwt_model_alloc();
		double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		struct hwt_decoder *d =
			m ? hwt_decoder_open(argv[optind], m, &cfg, &err, why, sizeof(why)) : NULL;
		if (!d) {
			fprintf(stderr, "bench_read: %s\n", m ? why : "out of memory");
			return 1;
		}
		events = calls = 0;
		while ((n = hwt_decoder_batch(d, &evs)) > 0) {
			events += (unsigned long long)n;
			for (int i = 0; i < n; i++)
				calls += evs[i].type == HWT_EV_SLICE_BEGIN;
		}
		double secs = now(CLOCK_MONOTONIC) - t0, cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
		const struct hwt_decode_stats *st = hwt_decoder_stats(d);
		if (verbose && st->reader_cpu_ns)
			fprintf(stderr,
				"round %d: %.3f s; reader thread %.3f s CPU, waited %.3f s; "
				"caller's thread %.3f s CPU, waited %.3f s\n",
				r + 1, secs, (double)st->reader_cpu_ns / 1e9,
				(double)st->reader_wait_ns / 1e9,
				cpu - (double)st->reader_cpu_ns / 1e9,
				(double)st->main_wait_ns / 1e9);
		hwt_decoder_close(d);
		hwt_model_free(m);
		if (n < 0) {
			fprintf(stderr, "bench_read: %s\n", hwt_errstr(n));
			return 1;
		}
		if (!r || secs < best) {
			best = secs;
			best_cpu = cpu;
		}
	}
	printf("%llu %llu %.6f %.6f\n", events, calls, best, best_cpu);
	return 0;
}

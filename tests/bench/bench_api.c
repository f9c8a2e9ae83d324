/* Cost of a libhwtrace event (include/hwtrace.h) against a bare clock_gettime(CLOCK_MONOTONIC) in
 * the same run, recorded and not, and how many events a second one thread emits without loss.
 * tests/bench/run.sh builds it against build/lib/libhwtrace.a and runs it:
 *   bench_api                          not recorded: ns per clock_gettime and per disabled call
 *   hwtrace record -- bench_api on     recorded: ns per clock_gettime and per event of each kind
 *   hwtrace record -- bench_api rate R emits R events a second for a second in 1 ms steps
 * Each prints "key value" lines. Recorded, events go out in bursts that fit a ring, each
 * followed by a pause for the recorder's drain (10 ms), after a warm-up that touches every page
 * of the ring: the cost measured is that of writing an event, not of a full ring or of page
 * faults. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace.h"

#define BURST  20000 /* events between two pauses: 640 KB of 32-byte instants, a ring is 4 MiB */
#define ROUNDS 30    /* bursts measured; the median is kept */

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_ms(int ms)
{
	struct timespec ts = { 0, ms * 1000000L };
	nanosleep(&ts, NULL);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The barrier keeps every call in the loop (the compiler would hoist the test of a global that
 * nothing in the loop changes) and costs nothing itself. */
#define BARRIER() __asm__ __volatile__("" ::: "memory")

enum kind { K_EMPTY, K_CLOCK, K_INSTANT, K_INSTANT_ARGS, K_SPAN, K_COUNTER, K_NKINDS };
static const char *const kind_names[] = { "empty loop",	     "clock_gettime",  "instant",
					  "instant, 2 args", "span begin+end", "counter set" };

static struct hwt_counter *counter;

/* One loop per kind, so that nothing but the operation runs in it. */
#define LOOP(name, op)                        \
	static void name(int n)               \
	{                                     \
		struct timespec ts;           \
		(void)ts;                     \
		for (int i = 0; i < n; i++) { \
			op;                   \
			BARRIER();            \
		}                             \
	}
LOOP(loop_empty, (void)0)
LOOP(loop_clock, clock_gettime(CLOCK_MONOTONIC, &ts))
LOOP(loop_instant, hwt_instant("x"))
LOOP(loop_instant_args, hwt_instant("x", HWT_ARG("i", i), HWT_ARG("s", "abc")))
LOOP(loop_span, hwt_span_begin("x"); hwt_span_end())
LOOP(loop_counter, hwt_counter_set(counter, "v", i))

static void (*const loops[])(int) = { loop_empty,	 loop_clock, loop_instant,
				      loop_instant_args, loop_span,  loop_counter };

/* ns per operation of @k over @n of them. */
static double burst(enum kind k, int n)
{
	uint64_t t0 = now();

	loops[k](n);
	return (double)(now() - t0) / n;
}

/* The median ns per operation of @k over ROUNDS bursts, pausing @pause ms after each. */
static double measure(enum kind k, int pause)
{
	double v[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		v[r] = burst(k, BURST);
		if (pause)
			pause_ms(pause);
	}
	qsort(v, ROUNDS, sizeof(v[0]), cmp);
	return v[ROUNDS / 2];
}

/* R events a second for a second, in 1 ms steps: "rate_sent N". */
static int rate(long r)
{
	uint64_t start = now(), sent = 0;

	for (int ms = 1; ms <= 1000; ms++) {
		uint64_t due = (uint64_t)r * ms / 1000;
		for (; sent < due; sent++)
			hwt_instant("x");
		while (now() < start + (uint64_t)ms * 1000000)
			;
	}
	printf("rate_sent %llu\n", (unsigned long long)sent);
	printf("rate_seconds %.3f\n", (double)(now() - start) / 1e9);
	return 0;
}

int main(int argc, char **argv)
{
	int on = argc > 1 && !strcmp(argv[1], "on");

	if (argc > 2 && !strcmp(argv[1], "rate"))
		return rate(atol(argv[2]));
	if (on != hwt_active()) {
		fprintf(stderr, "bench_api: %s\n",
			on ? "'on' needs hwtrace record"
			   : "run it alone, or with 'on' under hwtrace");
		return 1;
	}
	counter = hwt_counter_new("bench");
	if (on) /* warm up: every page of the ring touched once */
		for (int i = 0; i < 12; i++) {
			burst(K_INSTANT_ARGS, BURST);
			pause_ms(15);
		}
	for (int k = 0; k < K_NKINDS; k++) {
		if (!on && k > K_INSTANT)
			break;
		/* Recorded, a pause after each burst lets the recorder drain it. */
		double ns = measure((enum kind)k, on && k >= K_INSTANT ? 15 : 0);
		printf("%s %.2f\n", kind_names[k], ns);
	}
	hwt_counter_free(counter);
	return 0;
}

/* Globals that step once a period, for the `watch` plugin's tests: steps_value goes 0..N-1 (one
 * plain 8-byte store each), steps_count counts the steps (an atomic add to memory: a
 * read-modify-write), steps_half is steps_value / 2 (a store from an SSE register), steps_pair
 * a struct {i, -i}.
 *   steps [N [PERIOD_US [LINGER_MS [DELAY_MS [THREAD [EXEC]]]]]]
 * defaults 100 1000 300 0 0 0: N steps, one every PERIOD_US, after DELAY_MS, in a thread of
 * their own when THREAD is 1; then it lingers LINGER_MS so that a reader sees the last value,
 * and when EXEC is 1 it execs itself to make 3 steps more in a new image.
 * Built with -DSTEPS_LIB -shared -fPIC it is libsteps.so, which holds lib_steps and
 * lib_steps_set(); built with -DSTEPS_USE_LIB the program steps lib_steps through it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef STEPS_LIB
volatile int64_t lib_steps;

void lib_steps_set(int64_t v)
{
	lib_steps = v;
}
#else
#ifdef STEPS_USE_LIB
void lib_steps_set(int64_t v);
#endif

volatile int64_t steps_value;
uint32_t steps_count;
volatile double steps_half;
volatile struct {
	int32_t a, b;
} steps_pair;

static long n = 100, period_us = 1000;

static void sleep_us(long us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000 };

	while (nanosleep(&ts, &ts))
		;
}

static void *run(void *arg)
{
	for (long i = 0; i < n; i++) {
		steps_value = i;
		__atomic_add_fetch(&steps_count, 1, __ATOMIC_RELAXED);
		steps_half = (double)i / 2;
		steps_pair.a = (int32_t)i;
		steps_pair.b = (int32_t)-i;
#ifdef STEPS_USE_LIB
		lib_steps_set(i);
#endif
		sleep_us(period_us);
	}
	return arg;
}

int main(int argc, char **argv)
{
	long linger_ms = 300, delay_ms = 0, thread = 0, again = 0;
	pthread_t t;

	if (argc > 1)
		n = atol(argv[1]);
	if (argc > 2)
		period_us = atol(argv[2]);
	if (argc > 3)
		linger_ms = atol(argv[3]);
	if (argc > 4)
		delay_ms = atol(argv[4]);
	if (argc > 5)
		thread = atol(argv[5]);
	if (argc > 6)
		again = atol(argv[6]);
	sleep_us(delay_ms * 1000);
	if (thread) {
		if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL))
			return 1;
	} else {
		run(NULL);
	}
	sleep_us(linger_ms * 1000);
	printf("steps: %ld steps, value %lld, count %u\n", n, (long long)steps_value, steps_count);
	if (again) {
		fflush(stdout);
		execl("/proc/self/exe", argv[0], "3", "1000", "0", (char *)NULL);
		return 1;
	}
	return 0;
}
#endif

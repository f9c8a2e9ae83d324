/* A known number of calls, timed by the program itself, for benchmarks of call tracers:
 * `calls [N]` calls work() N times in a loop (default 1,000,000); `calls fib N` computes fib(N)
 * by plain recursion, 2*fib(N+1)-1 calls of fib (242,785 for 25). Either prints
 * "calls C ns T": C calls of the traced function in T ns of CLOCK_MONOTONIC time around them
 * alone, so a tracer's start, attach and detach are not counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void work(unsigned long i)
{
	sink += i;
}

__attribute__((noinline)) unsigned long fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static long long now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned long calls;
	long long t0, t1;

	if (argc > 2 && !strcmp(argv[1], "fib")) {
		unsigned n = (unsigned)strtoul(argv[2], NULL, 10);
		unsigned long a = 0, b = 1;

		/* fib(N + 1) iteratively: the calls the recursion makes. */
		for (unsigned i = 0; i < n + 1; i++) {
			unsigned long c = a + b;
			a = b;
			b = c;
		}
		calls = 2 * a - 1;
		t0 = now_ns();
		sink = fib(n);
		t1 = now_ns();
	} else {
		unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;

		calls = n;
		t0 = now_ns();
		for (unsigned long i = 0; i < n; i++)
			work(i);
		t1 = now_ns();
	}
	printf("calls %lu ns %lld\n", calls, t1 - t0);
	return 0;
}

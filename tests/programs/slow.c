/* Runs work() in a loop for the number of seconds given (default 5), for tests that stop or kill
 * the recorder while the program runs. */
#include <stdlib.h>
#include <time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void work(void)
{
	unsigned long x = sink;
	for (int i = 0; i < 100000; i++)
		x = x * 6364136223846793005ul + 1;
	sink = x;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 5;
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		work();
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
	return 0;
}

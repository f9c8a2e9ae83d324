/* Ignores SIGINT (and SIGTERM too with "term") while it runs work() for the seconds given: a
 * program that ^C does not stop, for the tests of the recorder's second and third ^C. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
	double secs = argc > 1 ? atof(argv[1]) : 30;
	struct timespec a, b;

	signal(SIGINT, SIG_IGN);
	if (argc > 2 && !strcmp(argv[2], "term"))
		signal(SIGTERM, SIG_IGN);
	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		work();
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 < secs);
	return 0;
}

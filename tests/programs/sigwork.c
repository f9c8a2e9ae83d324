/* Work done in a signal handler: a 50 Hz timer signal runs handler_work() from handler() while
 * main() spins in interrupted(). Argument: spin iterations (default 400000000). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>

static volatile unsigned long sink;

__attribute__((noinline)) void handler_work(void)
{
	for (int i = 0; i < 2000000; i++)
		sink += (unsigned long)i;
}

static void handler(int sig)
{
	handler_work();
}

__attribute__((noinline)) void interrupted(unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		sink ^= i;
}

int main(int argc, char **argv)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
	struct sigaction sa = { .sa_handler = handler };

	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	interrupted(argc > 1 ? strtoul(argv[1], NULL, 10) : 400000000ul);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, NULL);
	printf("%lu\n", sink & 1);
	return 0;
}

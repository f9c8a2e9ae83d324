/* Daemonizes the classic way (fork, setsid, fork again; the first two processes exit at once)
 * and does its work in the daemon: daemon_step() called 2000 times, spread over the seconds
 * given (default 1), then writes "done" into the file named by the second argument. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) void daemon_step(void)
{
	unsigned long x = sink;
	for (int i = 0; i < 20000; i++)
		x = x * 6364136223846793005ul + 1;
	sink = x;
}

/* Calls daemon_step() 2000 times over @secs seconds, as work and as a clock. */
__attribute__((noinline)) void daemon_work(double secs)
{
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2000; i++) {
		daemon_step();
		do
			clock_gettime(CLOCK_MONOTONIC, &b);
		while ((b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9 <
		       secs * (i + 1) / 2000);
	}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 1;
	const char *done = argc > 2 ? argv[2] : NULL;
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid > 0) { /* the program: its child exits at once, and so does it */
		int st;
		waitpid(pid, &st, 0);
		return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	}
	if (setsid() < 0)
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid > 0)
		_exit(0); /* the daemon's parent: gone, the daemon is an orphan */
	daemon_work(secs);
	if (done) {
		FILE *f = fopen(done, "w");
		if (f) {
			fputs("done\n", f);
			fclose(f);
		}
	}
	return 0;
}

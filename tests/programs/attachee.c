/* A program to attach to (record -p): rounds of work until the file STOPFILE exists. Each round
 * runs thread_work() on two new threads, child_work() in a forked child and main_work() itself,
 * then sleeps 10 ms; every result is checked. What it prints does not depend on how many rounds
 * ran, so a recorded run prints what an unrecorded one does.
 *   attachee STOPFILE [MAX_SECONDS]   (default 120: it ends by itself if nobody stops it) */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORK 400000

static unsigned long spin(unsigned long n)
{
	volatile unsigned long acc = 0;
	for (unsigned long i = 0; i < n; i++)
		acc += (i * i) % 7;
	return acc;
}

__attribute__((noinline)) unsigned long thread_work(void)
{
	return spin(WORK);
}

__attribute__((noinline)) unsigned long child_work(void)
{
	return spin(WORK);
}

__attribute__((noinline)) unsigned long main_work(void)
{
	return spin(WORK);
}

static void *thread_main(void *arg)
{
	*(unsigned long *)arg = thread_work();
	return NULL;
}

/* One round; 0 if every result was the expected one. */
static int round_once(unsigned long expect)
{
	pthread_t th[2];
	unsigned long got[2] = { 0, 0 };
	int bad = 0, status = 0;

	for (int i = 0; i < 2; i++)
		if (pthread_create(&th[i], NULL, thread_main, &got[i]))
			return 1;
	pid_t pid = fork();
	if (pid == 0)
		_exit(child_work() == expect ? 7 : 1);
	bad |= main_work() != expect;
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		bad |= got[i] != expect;
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 7)
		bad = 1;
	return bad;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: attachee STOPFILE [MAX_SECONDS]\n");
		return 2;
	}
	int max_s = argc > 2 ? atoi(argv[2]) : 120;
	unsigned long expect = spin(WORK);
	time_t start = time(NULL);
	int bad = 0;
	long rounds = 0;

	printf("attachee: expect %lu\n", expect);
	fflush(stdout);
	while (access(argv[1], F_OK) && time(NULL) - start < max_s) {
		bad += round_once(expect);
		rounds++;
		usleep(10000);
	}
	printf("attachee: %s\n", bad ? "WRONG RESULTS" : "all results right");
	fprintf(stderr, "attachee: %ld rounds\n", rounds);
	return bad ? 1 : 0;
}

/* 8 threads, each calling work() exactly 1,000 times: 8,000 calls, 1,000 per thread. */
#include <pthread.h>
#include <stdio.h>

static volatile unsigned long sink;

__attribute__((noinline)) void work(void)
{
	for (int i = 0; i < 200; i++)
		sink += (unsigned long)i;
}

static void *worker(void *arg)
{
	for (int i = 0; i < 1000; i++)
		work();
	return arg;
}

int main(void)
{
	pthread_t t[8];
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	return 0;
}

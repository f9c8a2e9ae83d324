/* The demo: a small multi-threaded program with distinct hot paths per thread, so the recorded
 * flamegraph and timeline have something to show (named threads, libc callbacks, recursion). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#define N 200000

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

__attribute__((noinline)) static uint64_t fnv1a(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 1469598103934665603ull;
	while (n--)
		h = (h ^ *s++) * 1099511628211ull;
	return h;
}

__attribute__((noinline)) static unsigned long fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static void *sorter(void *arg)
{
	uint32_t *v = malloc(N * sizeof(*v));
	prctl(PR_SET_NAME, "sorter");
	for (int round = 0; round < 30; round++) {
		for (int i = 0; i < N; i++)
			v[i] = (uint32_t)(i * 2654435761u + round);
		qsort(v, N, sizeof(*v), cmp_u32);
	}
	free(v);
	return NULL;
}

static void *hasher(void *arg)
{
	static char buf[1 << 16];
	uint64_t h = 0;
	prctl(PR_SET_NAME, "hasher");
	memset(buf, 'x', sizeof(buf));
	for (int i = 0; i < 8000; i++)
		h ^= fnv1a(buf, sizeof(buf));
	return (void *)(uintptr_t)(h & 1);
}

static void *recurser(void *arg)
{
	prctl(PR_SET_NAME, "recurser");
	return (void *)fib(37);
}

int main(void)
{
	pthread_t t[3];
	pthread_create(&t[0], NULL, sorter, NULL);
	pthread_create(&t[1], NULL, hasher, NULL);
	pthread_create(&t[2], NULL, recurser, NULL);
	for (int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	puts("demo done");
	return 0;
}

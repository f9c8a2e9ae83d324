/* Three threads that each touch a known number of fresh 4 KiB pages in touch(): thread k (1..3)
 * touches k * 1024 pages (at least that many page faults on that thread), after resting 300 ms
 * so that a recorder looking for new threads has seen it, then rests 1 ms (at least one context
 * switch seen by a counter opened in the first rest). Prints "TID PAGES" per thread. */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t out = PTHREAD_MUTEX_INITIALIZER;

__attribute__((noinline)) static void touch(char *p, size_t pages)
{
	for (size_t i = 0; i < pages; i++)
		p[i * 4096] = 1;
}

static void *toucher(void *arg)
{
	size_t pages = (size_t)arg * 1024;
	struct timespec rest = { 0, 300000000 };
	char *p = mmap(NULL, pages * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		return NULL;
	madvise(p, pages * 4096, MADV_NOHUGEPAGE); /* one fault per page, not per 2 MiB */
	while (nanosleep(&rest, &rest))
		;
	touch(p, pages);
	rest.tv_nsec = 1000000; /* a sleep while counted: at least one context switch */
	while (nanosleep(&rest, &rest))
		;
	pthread_mutex_lock(&out);
	printf("%ld %zu\n", (long)syscall(SYS_gettid), pages);
	fflush(stdout);
	pthread_mutex_unlock(&out);
	munmap(p, pages * 4096);
	return NULL;
}

int main(void)
{
	pthread_t t[3];

	for (long k = 1; k <= 3; k++)
		pthread_create(&t[k - 1], NULL, toucher, (void *)k);
	for (int k = 0; k < 3; k++)
		pthread_join(t[k], NULL);
	return 0;
}

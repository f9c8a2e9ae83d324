/* Twenty short-lived threads, one after another: each touches 64 fresh 4 KiB pages (at least 64
 * page faults) and ends at once, far sooner than a recorder looking for threads every 10 ms finds
 * most of them. Prints "TID PAGES" per thread. */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PAGES 64

static long tids[20];

static void *flash(void *arg)
{
	char *p = mmap(NULL, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);

	if (p == MAP_FAILED)
		return NULL;
	for (int i = 0; i < PAGES; i++)
		p[i * 4096] = 1;
	munmap(p, PAGES * 4096);
	tids[(long)arg] = syscall(SYS_gettid);
	return NULL;
}

int main(void)
{
	for (long k = 0; k < 20; k++) {
		pthread_t t;
		pthread_create(&t, NULL, flash, (void *)k);
		pthread_join(t, NULL);
	}
	for (int k = 0; k < 20; k++)
		printf("%ld %d\n", tids[k], PAGES);
	return 0;
}

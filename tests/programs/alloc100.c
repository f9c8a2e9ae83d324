/* Allocates and touches 100 MiB in 10 steps of 10 MiB, 50 ms apart, after 100 ms of rest; then
 * frees it all and rests 300 ms: a process's RSS climbs by 100 MiB in steps and comes back down.
 * Prints "touched 100 MiB" and "freed". */
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>

#define STEPS 10
#define STEP  (10ul << 20)

static void rest(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000 };
	while (nanosleep(&t, &t))
		;
}

int main(void)
{
	char *blocks[STEPS];

	rest(100);
	for (int i = 0; i < STEPS; i++) {
		blocks[i] = mmap(NULL, STEP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				 -1, 0);
		if (blocks[i] == MAP_FAILED)
			return 1;
		madvise(blocks[i], STEP, MADV_NOHUGEPAGE); /* RSS grows by what is touched */
		for (size_t off = 0; off < STEP; off += 4096)
			blocks[i][off] = 1;
		rest(50);
	}
	printf("touched %lu MiB\n", STEPS * STEP >> 20);
	fflush(stdout);
	for (int i = 0; i < STEPS; i++)
		munmap(blocks[i], STEP);
	rest(300);
	printf("freed\n");
	return 0;
}

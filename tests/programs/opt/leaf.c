/* A frameless leaf called from two callers in a 70/30 ratio, built -O1 and -O2 with frame
 * pointers (GCC still drops the leaf's): leaf() does all the work, caller_a() calls it 7 times
 * for every 3 calls from caller_b(). Argument: rounds of 10 calls (default 300). */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

/* noipa: no inlining, cloning or interprocedural shortcuts; a loop and no calls, so no frame. */
__attribute__((noipa)) unsigned long leaf(unsigned long seed)
{
	unsigned long x = seed;
	for (unsigned long i = 0; i < 100000; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	return x;
}

/* The two callers differ (+ and ^), or identical code folding would make them one function. */
__attribute__((noipa)) void caller_a(int calls)
{
	for (int i = 0; i < calls; i++)
		sink += leaf((unsigned long)i);
}

__attribute__((noipa)) void caller_b(int calls)
{
	for (int i = 0; i < calls; i++)
		sink ^= leaf((unsigned long)i + 1);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 300;

	for (int r = 0; r < rounds; r++) {
		caller_a(7);
		caller_b(3);
	}
	printf("%lu\n", sink & 1);
	return 0;
}

/* Works for a while in crunch(), then dies of SIGSEGV. */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) void crunch(unsigned long n)
{
	unsigned long x = sink;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005ul + 1;
	sink = x;
}

int main(int argc, char **argv)
{
	crunch(argc > 1 ? strtoul(argv[1], NULL, 10) : 200000000ul);
	fflush(stdout);
	*(volatile int *)(sink & 1) = 42; /* address 0 or 1: always a fault */
	return 0;
}

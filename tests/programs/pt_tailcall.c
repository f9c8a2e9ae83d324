/* Tail calls for the Intel PT oracle: ping and pong are compiled with sibling-call
 * optimization (the Makefile builds at -O0, so per function), so ping(n) ends in `jmp pong`
 * and pong(n) in `jmp ping`, or for multiples of 3 in an indirect `jmp *` through a function
 * pointer: one call instruction enters the chain, every hop after it is a jump. finish() is a
 * real call at the end of each chain. main calls ping(12) 3 times: 12 hops, 2 of them
 * indirect, then finish(0). */
#include <stdio.h>

#define SIBLING __attribute__((noinline, optimize("O2", "optimize-sibling-calls")))

static volatile int sink;

__attribute__((noinline)) int finish(int n)
{
	sink += n;
	return n;
}

int pong(int n);

SIBLING int ping(int n)
{
	if (n <= 0)
		return finish(n) + 1;
	return pong(n - 1);
}

static int (*volatile next_hop)(int) = ping;

SIBLING int pong(int n)
{
	if (n % 3 == 0)
		return next_hop(n - 1); /* indirect tail call: jmp *%rdx */
	return ping(n - 1);
}

int main(void)
{
	int i, r = 0;

	for (i = 0; i < 3; i++)
		r += ping(12);
	printf("%d %d\n", r, sink);
	return 0;
}

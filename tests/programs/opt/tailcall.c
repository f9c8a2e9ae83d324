/* Tail calls as an optimizing compiler makes them (built -O2): direct_caller ends in
 * `jmp callee`, indirect_caller in `jmp *%reg` through a function pointer, chain_a in `jmp chain_b`
 * which ends in `jmp callee`. callee makes one real call, to leaf. main calls direct_caller 5
 * times, indirect_caller 4 times and chain_a 3 times, so callee runs 12 times and leaf 12 times,
 * and prints the sum of what they returned (5 * 2 + 4 * 3 + 3 * 5 = 37, + 12 * 100 = 1237). */
#include <stdio.h>

#define NOIPA __attribute__((noinline, noipa))

static volatile int sink;

NOIPA int leaf(int n)
{
	sink += n;
	return 100;
}

NOIPA int callee(int n)
{
	return leaf(n) + n;
}

static int (*volatile hop)(int) = callee;

NOIPA int direct_caller(int n)
{
	sink += n;
	return callee(n + 1); /* jmp callee */
}

NOIPA int indirect_caller(int n)
{
	sink += n;
	return hop(n + 1); /* jmp *%rax */
}

NOIPA int chain_b(int n)
{
	sink += n;
	return callee(n + 1); /* jmp callee */
}

NOIPA int chain_a(int n)
{
	sink += n;
	return chain_b(n + 1); /* jmp chain_b */
}

int main(void)
{
	int r = 0;

	for (int i = 0; i < 5; i++)
		r += direct_caller(1);
	for (int i = 0; i < 4; i++)
		r += indirect_caller(2);
	for (int i = 0; i < 3; i++)
		r += chain_a(3);
	printf("%d\n", r);
	return 0;
}

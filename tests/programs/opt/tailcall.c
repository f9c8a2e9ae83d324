/* Tail calls as an optimizing compiler makes them (built -O2): direct_caller ends in
 * `jmp callee`, indirect_caller in `jmp *%reg` through a function pointer, chain_a in `jmp chain_b`
 * which ends in `jmp callee`. callee makes one real call, to leaf. main calls direct_caller 5
 * times, indirect_caller 4 times and chain_a 3 times, so callee runs 12 times and leaf 12 times,
 * and prints the sum of what they returned (5 * 2 + 4 * 3 + 3 * 5 = 37, + 12 * 100 = 1237).
 * Built as C++ too (tailcall_cxx_o2), where main also calls catcher once, which throws and
 * catches: a file that handles exceptions gets its returns probed at each ret instruction and
 * tail jump instead of by uretprobes, and the tail calls must nest the same way. */
#include <stdio.h>

#define NOIPA __attribute__((noinline, noipa))

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
NOIPA int catcher(int n)
{
	try {
		if (n)
			throw n;
	} catch (int e) {
		return e - n;
	}
	return 0;
}
#endif

int main(void)
{
	int r = 0;

#ifdef __cplusplus
	r += catcher(7);
#endif
	for (int i = 0; i < 5; i++)
		r += direct_caller(1);
	for (int i = 0; i < 4; i++)
		r += indirect_caller(2);
	for (int i = 0; i < 3; i++)
		r += chain_a(3);
	printf("%d\n", r);
	return 0;
}

#ifdef __cplusplus
}
#endif

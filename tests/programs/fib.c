/* fib(N) by plain recursion (default 25): fib is called exactly 2*fib(N+1)-1 times
 * (242,785 for 25), nested at most N deep. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) unsigned long fib(unsigned n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv)
{
	printf("%lu\n", fib(argc > 1 ? (unsigned)atoi(argv[1]) : 25));
	return 0;
}

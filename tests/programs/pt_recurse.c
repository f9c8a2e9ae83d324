/* Deep recursion for the Intel PT oracle: sum(200) recurses 200 deep, past the 64 entries of
 * the return-compression stack, so the outer returns must come as TIPs; sum is called 201
 * times, twice over. */
#include <stdio.h>

__attribute__((noinline)) unsigned long sum(unsigned n)
{
	return n ? n + sum(n - 1) : 0;
}

int main(void)
{
	unsigned long a = sum(200);
	unsigned long b = sum(200);

	printf("%lu\n", a + b);
	return 0;
}

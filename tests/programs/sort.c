/* qsort of 1,000 ints with a comparator in the program: the comparator is called back from
 * libc; the program prints how many times it ran, so the recording can be checked against it. */
#include <stdio.h>
#include <stdlib.h>

static unsigned long ncmp;

__attribute__((noinline)) int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	ncmp++;
	return (x > y) - (x < y);
}

__attribute__((noinline)) void sort_all(int *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_int);
}

int main(void)
{
	static int v[1000];
	for (int i = 0; i < 1000; i++)
		v[i] = (i * 7919) % 1000;
	sort_all(v, 1000);
	printf("%lu\n", ncmp);
	return 0;
}

/* Calls into libc through the PLT with callbacks back into the program, for the Intel PT
 * oracle: qsort of 12 ints calls cmp_int from inside libc; check() calls bsearch, which calls
 * cmp_int again. */
#include <stdio.h>
#include <stdlib.h>

static int calls;

__attribute__((noinline)) int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	calls++;
	return (x > y) - (x < y);
}

__attribute__((noinline)) int check(const int *v, size_t n)
{
	int key = 42;

	return bsearch(&key, v, n, sizeof(*v), cmp_int) != NULL;
}

int main(void)
{
	int v[12] = { 5, 42, -3, 17, 8, 0, 99, 23, -11, 4, 61, 7 };
	size_t i;

	qsort(v, 12, sizeof(v[0]), cmp_int);
	for (i = 1; i < 12; i++)
		if (v[i - 1] > v[i])
			return 1;
	printf("%d %d\n", check(v, 12), calls > 0);
	return 0;
}

/* setjmp/longjmp for the Intel PT oracle: try_once() calls setjmp, then level1 -> level2 ->
 * level3 -> longjmp back into try_once, 3 times; level1..3 never return. After each landing
 * try_once calls landed(), which returns normally, then try_once returns to main. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static volatile int sink;

__attribute__((noinline)) void level3(int i)
{
	longjmp(env, i + 1);
}

__attribute__((noinline)) void level2(int i)
{
	level3(i);
}

__attribute__((noinline)) void level1(int i)
{
	level2(i);
}

__attribute__((noinline)) int landed(int v)
{
	sink += v;
	return v;
}

__attribute__((noinline)) int try_once(int i)
{
	int r = setjmp(env);

	if (r == 0)
		level1(i);
	return landed(r);
}

int main(void)
{
	int i, total = 0;

	for (i = 0; i < 3; i++)
		total += try_once(i);
	printf("%d\n", total);
	return 0;
}

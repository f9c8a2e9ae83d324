/* longjmp out of 3 frames, 5 times: level1 -> level2 -> level3 -> longjmp back into main, so
 * each level is called 5 times and returns never; after each jump main calls after_jump()
 * which returns normally. */
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;

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

__attribute__((noinline)) int after_jump(int v)
{
	return v * 2;
}

int main(void)
{
	int total = 0;
	for (int i = 0; i < 5; i++) {
		int v = setjmp(env);
		if (!v)
			level1(i);
		else
			total += after_jump(v);
	}
	printf("%d\n", total);
	return 0;
}

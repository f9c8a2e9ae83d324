/* Functions the entry patcher's unit test patches and calls, built once per code-generation
 * variant named by VARIANT (see patch_targets.h); noipa keeps each call a real call. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <signal.h>
#include <unistd.h>

#include "tests/unit/patch_targets.h"

#define CAT2(a, b) a##_##b
#define CAT(a, b)  CAT2(a, b)
#define F(name)	   CAT(name, VARIANT)
#define NI	   __attribute__((noipa))

NI long F(fib)(long n)
{
	long r;

	if (n < 2)
		return n;
	r = F(fib)(n - 1) + F(fib)(n - 2);
	__asm__ __volatile__("" ::: "memory"); /* -O2 would make one call a loop */
	return r;
}

/* varargs: %al holds the number of vector registers used */
NI double F(sum_va)(int n, ...)
{
	va_list ap;
	double s = 0;

	va_start(ap, n);
	for (int i = 0; i < n; i++)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

/* returned in rax:rdx */
NI struct pt_pair F(pair)(long a, long b)
{
	return (struct pt_pair){ a + b, a - b };
}

/* every argument register, one argument on the stack, floats in xmm */
NI double F(mix)(int a, double x, long b, float y, int c, int d, int e, int f, int g, double z)
{
	return a + x + (double)b + y + c * 2 + d * 3 + e * 5 + f * 7 + g * 11 + z;
}

NI void F(jump_deep)(jmp_buf *jb, int depth)
{
	if (depth < 0)
		return;
	if (depth == 0)
		longjmp(*jb, 1);
	F(jump_deep)(jb, depth - 1);
	__asm__ __volatile__("" ::: "memory"); /* not a tail call */
}

NI int F(leaf)(int x)
{
	return x * 3 + 1;
}

/* calls leaf @n times */
NI int F(spin)(int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += F(leaf)(i);
	return s;
}

/* fork inside a patched call: the child returns through its copy of the shadow stack */
NI int F(fork_in)(void)
{
	return fork();
}

/* raises @sig inside a patched call (its handler runs while this frame is live) */
NI int F(raiser)(int sig)
{
	int r = raise(sig);

	__asm__ __volatile__("" ::: "memory"); /* not a tail call */
	return r;
}

/* pthread_exit(7) from @depth patched frames down */
NI void F(exit_deep)(int depth)
{
	if (depth < 0)
		return;
	if (depth == 0)
		pthread_exit((void *)7);
	F(exit_deep)(depth - 1);
	__asm__ __volatile__("" ::: "memory"); /* not a tail call */
}

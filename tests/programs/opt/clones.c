/* Clones GCC -O2 makes of functions, which are called like any function and traced under their
 * own names (as perf shows them): sum_a.isra.0 (its struct argument split: only .a is read),
 * scaled.constprop.0 (always called with scale 3), check.part.0 (check's rare part; the early
 * return is inlined into its callers). main calls sum_a 4 times, scaled 3 times, check 5 times
 * (twice with x != 0) and other 5 times, which calls check(v) with v = 1 twice: check.part.0
 * runs 4 times. */
#include <stdio.h>
static volatile int sink;
struct big {
	int a, b, c, d[16];
};
/* ipa-sra: only s->a is read: becomes sum_a.isra.0(int) */
static __attribute__((noinline)) int sum_a(struct big s, int k)
{
	int r = 0;
	for (int i = 0; i < k; i++)
		r += s.a * i + sink;
	return r;
}
/* ipa-cp: always called with scale 3: scaled.constprop.0 */
static __attribute__((noinline)) int scaled(int x, int scale)
{
	int r = 0;
	for (int i = 0; i < x; i++)
		r += i * scale + sink;
	return r;
}
/* partial inlining: the early exit is inlined into callers, the rest is check.part.0 */
static int check(int x, int y)
{
	if (__builtin_expect(x == 0, 1))
		return y;
	int r = 0;
	for (int i = 0; i < x; i++) {
		r += i * i + sink;
		sink = r;
		if (r > 1000000)
			r -= sink / 3;
	}
	for (int i = 0; i < x; i++) {
		r ^= i * 7 + sink;
		sink = r;
	}
	return r;
}
__attribute__((noinline)) int other(int v)
{
	return check(v, 2) + 1;
}

int main(void)
{
	struct big b[2] = { { .a = 2 }, { .a = 5 } };
	int r = 0;

	for (int i = 0; i < 4; i++)
		r += sum_a(b[i & 1], 10 + i);
	for (int i = 0; i < 3; i++)
		r += scaled(5 + i, 3);
	for (int i = 0; i < 5; i++) {
		r += check(i % 2 ? 3 : 0, i);
		r += other(i % 2);
	}
	printf("%d\n", r);
	return 0;
}

/* A function whose only return is in its .cold part (built -O2): scan loops until it finds
 * the end marker, a branch marked unlikely that calls a cold function, so GCC moves that path,
 * `ret` included, to scan.cold, entered by a jump (to its first byte when the first element is
 * the marker, else inside it). main calls scan 6 times on an array whose marker is at 40, twice on
 * one that starts with it, and prints the sum of the positions found (6 * 40 + 2 * 0 = 240). */
#include <stdio.h>

static volatile int sink;
static int data[64];

__attribute__((cold, noinline)) void found_end(int i)
{
	sink += i;
}

__attribute__((noinline)) int scan(const int *a)
{
	for (int i = 0;; i++) {
		if (__builtin_expect(a[i] < 0, 0)) {
			found_end(i);
			return i;
		}
		sink += a[i];
	}
}

int main(void)
{
	int r = 0;

	for (int i = 0; i < 40; i++)
		data[i] = i;
	data[40] = -1;
	for (int i = 0; i < 6; i++)
		r += scan(data);
	for (int i = 0; i < 2; i++)
		r += scan(data + 40);
	printf("%d\n", r);
	return 0;
}

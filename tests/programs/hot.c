/* Two hot functions taking 70 % and 30 % of the CPU by construction: hot_a runs 7 units of the
 * same loop for every 3 units hot_b runs. Argument: units per call (default 40000000). */
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

__attribute__((noinline)) static void spin(unsigned long n)
{
	unsigned long x = sink;
	for (unsigned long i = 0; i < n; i++)
		x = x * 6364136223846793005ul + 1442695040888963407ul;
	sink = x;
}

__attribute__((noinline)) void hot_a(unsigned long units)
{
	for (int i = 0; i < 7; i++)
		spin(units / 10);
}

__attribute__((noinline)) void hot_b(unsigned long units)
{
	for (int i = 0; i < 3; i++)
		spin(units / 10);
}

int main(int argc, char **argv)
{
	unsigned long units = argc > 1 ? strtoul(argv[1], NULL, 10) : 40000000ul;
	for (int round = 0; round < 10; round++) {
		hot_a(units);
		hot_b(units);
	}
	printf("%lu\n", sink & 1);
	return 0;
}

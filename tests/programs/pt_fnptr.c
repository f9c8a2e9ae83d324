/* Indirect calls for the Intel PT oracle: 40 calls through an array of 4 function pointers
 * (each target called 10 times, each calling leaf() once), and a dense switch that compiles to
 * a jump table (an indirect jmp that is no call). */
#include <stdio.h>

static volatile int sink;

__attribute__((noinline)) void leaf(int v)
{
	sink += v;
}

__attribute__((noinline)) void op0(int v)
{
	leaf(v);
}

__attribute__((noinline)) void op1(int v)
{
	leaf(v + 1);
}

__attribute__((noinline)) void op2(int v)
{
	leaf(v + 2);
}

__attribute__((noinline)) void op3(int v)
{
	leaf(v + 3);
}

static void (*const ops[4])(int) = { op0, op1, op2, op3 };

__attribute__((noinline)) int pick(int i)
{
	switch (i % 7) {
	case 0:
		return 3;
	case 1:
		return 1;
	case 2:
		return 4;
	case 3:
		return 1;
	case 4:
		return 5;
	case 5:
		return 9;
	default:
		return 2;
	}
}

int main(void)
{
	int i;

	for (i = 0; i < 40; i++)
		ops[i % 4](pick(i));
	printf("%d\n", sink);
	return 0;
}

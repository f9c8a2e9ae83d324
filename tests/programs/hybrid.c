/* Functions the inproc patcher must refuse, beside ordinary ones: tiny() is 3 bytes long (no room
 * for a 5-byte jump), loopy() jumps back into its own first bytes. main calls outer() 20 times;
 * each outer() calls tiny() once and loopy(3) once; main then calls tiny() 10 more times. So:
 * main 1, outer 20, tiny 30 (20 inside outer), loopy 20 (all inside outer). Prints "30 20". */
#include <stdio.h>

int tiny(void);
int loopy(int n);

__asm__(".text\n"
	".globl tiny\n"
	".type tiny, @function\n"
	"tiny:\n"
	"	xorl %eax, %eax\n"
	"	ret\n"
	".size tiny, .-tiny\n"
	".globl loopy\n"
	".type loopy, @function\n"
	"loopy:\n"
	"	movl %edi, %eax\n"
	"1:	decl %eax\n"
	"	jnz 1b\n"
	"	ret\n"
	".size loopy, .-loopy\n");

static int ntiny, nloopy;

__attribute__((noinline)) void outer(void)
{
	ntiny += 1 + tiny();
	nloopy += 1 + loopy(3);
}

int main(void)
{
	for (int i = 0; i < 20; i++)
		outer();
	for (int i = 0; i < 10; i++)
		ntiny += 1 + tiny();
	printf("%d %d\n", ntiny, nloopy);
	return 0;
}

/* Tail calls through a function that only uprobes can trace: p_caller (patchable) ends in a jump
 * to u_short, two bytes long (`jmp q_leaf`, too short to patch: traced with uprobes, whose
 * uretprobe takes the return slot), which jumps on to q_leaf (patchable). Calls p_caller 100
 * times and prints the sum of q_leaf's results (5050). */
#include <stdio.h>

__asm__(".text\n"
	".globl q_leaf\n.type q_leaf,@function\nq_leaf:\n"
	"\tpush %rbp\n\tmov %rsp,%rbp\n\tmov %edi,%eax\n\tadd $1,%eax\n\tpop %rbp\n\tret\n"
	".size q_leaf,.-q_leaf\n"
	".globl u_short\n.type u_short,@function\nu_short:\n"
	"\tjmp q_leaf\n"
	".size u_short,.-u_short\n"
	".globl p_caller\n.type p_caller,@function\np_caller:\n"
	"\tpush %rbp\n\tmov %rsp,%rbp\n\tnop\n\tpop %rbp\n\tjmp u_short\n"
	".size p_caller,.-p_caller\n");

int p_caller(int x);

int main(void)
{
	int sum = 0;

	for (int i = 0; i < 100; i++)
		sum += p_caller(i);
	printf("%d\n", sum);
	return 0;
}

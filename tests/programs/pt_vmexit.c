/* Instructions that exit to the hypervisor in a virtual machine, between calls, for the Intel PT
 * oracle: on some hosts a single step over cpuid, rdtsc, rdtscp or xgetbv stops one instruction
 * late. 10 rounds; each calls the four functions below, each of which runs its instruction once
 * (rdtscp and xgetbv only where CPUID says the CPU and the kernel have them) followed by a move
 * in the same asm block, so the instruction after it is straight-line code whatever the compiler
 * makes of the rest. Prints the rounds and the instructions it ran: "10 cpuid rdtsc ...".
 * `pt_vmexit branch` runs one cpuid followed by a jump instead. */
#include <stdint.h>
#include <stdio.h>

static int has_rdtscp, has_xgetbv;

__attribute__((noinline)) uint32_t do_cpuid(uint32_t leaf)
{
	uint32_t a = leaf, b, c = 0, d, out;

	__asm__ volatile("cpuid\n\tmov %%eax, %4" : "+a"(a), "=b"(b), "+c"(c), "=d"(d), "=r"(out));
	return out ^ b ^ c ^ d;
}

__attribute__((noinline)) uint64_t do_rdtsc(void)
{
	uint32_t lo, hi, out;

	__asm__ volatile("rdtsc\n\tmov %%eax, %2" : "=a"(lo), "=d"(hi), "=r"(out));
	return ((uint64_t)hi << 32 | lo) + out;
}

__attribute__((noinline)) uint64_t do_rdtscp(void)
{
	uint32_t lo, hi, aux, out;

	if (!has_rdtscp)
		return 0;
	__asm__ volatile("rdtscp\n\tmov %%ecx, %3" : "=a"(lo), "=d"(hi), "=c"(aux), "=r"(out));
	return ((uint64_t)hi << 32 | lo) + out;
}

__attribute__((noinline)) uint64_t do_xgetbv(void)
{
	uint32_t lo, hi, out;

	if (!has_xgetbv)
		return 0;
	__asm__ volatile("xgetbv\n\tmov %%eax, %2" : "=a"(lo), "=d"(hi), "=r"(out) : "c"(0));
	return ((uint64_t)hi << 32 | lo) + out;
}

static void features(void)
{
	uint32_t a, b, c, d;

	a = 1, c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	has_xgetbv = c >> 27 & 1; /* OSXSAVE: the kernel enabled XGETBV */
	a = 0x80000000u, c = 0;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	if (a >= 0x80000001u) {
		a = 0x80000001u, c = 0;
		__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		has_rdtscp = d >> 27 & 1;
	}
}

int main(int argc, char **argv)
{
	volatile uint64_t sink = 0;
	int i;

	if (argc > 1) {
		/* "branch": a cpuid followed by a jump, which a late stop must not be taken past.
		 */
		uint32_t a = 0, b, c = 0, d;

		__asm__ volatile("cpuid\n\tjmp 1f\n\tnop\n1:" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
		return 0;
	}
	features();
	for (i = 0; i < 10; i++) {
		sink += do_cpuid((uint32_t)i & 1);
		sink += do_rdtsc();
		sink += do_rdtscp();
		sink += do_xgetbv();
	}
	printf("%d cpuid rdtsc%s%s\n", i, has_rdtscp ? " rdtscp" : "", has_xgetbv ? " xgetbv" : "");
	return 0;
}

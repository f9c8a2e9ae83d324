/* This very point of the calling function as perf samples it for -g dwarf: the registers in
 * perf's order and a copy of the stack above the stack pointer. Shared by the symbolizer's unit
 * test and its bench; static definitions: include it in one file. */
#ifndef HWT_TESTS_SELF_CAPTURE_H
#define HWT_TESTS_SELF_CAPTURE_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/format/records.h"

struct capture {
	uint64_t regs[HWT_SAMPLE_NREGS];
	uint8_t stack[HWT_SAMPLE_STACK_SIZE];
	size_t size;
};

/* Stores the registers in perf's sample order (AX BX CX DX SI DI BP SP IP R8..R15) into @r,
 * with IP and SP of this very point of the enclosing function. */
#define CAPTURE_REGS(r)                             \
	__asm__ volatile("movq %%rax, 0(%0)\n\t"    \
			 "movq %%rbx, 8(%0)\n\t"    \
			 "movq %%rcx, 16(%0)\n\t"   \
			 "movq %%rdx, 24(%0)\n\t"   \
			 "movq %%rsi, 32(%0)\n\t"   \
			 "movq %%rdi, 40(%0)\n\t"   \
			 "movq %%rbp, 48(%0)\n\t"   \
			 "movq %%rsp, 56(%0)\n\t"   \
			 "leaq 0(%%rip), %%rax\n\t" \
			 "movq %%rax, 64(%0)\n\t"   \
			 "movq %%r8, 72(%0)\n\t"    \
			 "movq %%r9, 80(%0)\n\t"    \
			 "movq %%r10, 88(%0)\n\t"   \
			 "movq %%r11, 96(%0)\n\t"   \
			 "movq %%r12, 104(%0)\n\t"  \
			 "movq %%r13, 112(%0)\n\t"  \
			 "movq %%r14, 120(%0)\n\t"  \
			 "movq %%r15, 128(%0)\n\t"  \
			 :                          \
			 : "r"(r)                   \
			 : "rax", "memory")

/* Bytes of stack above @sp: up to the end of its mapping, at most HWT_SAMPLE_STACK_SIZE. */
static size_t stack_room(uint64_t sp)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long lo, hi;
	char line[4096];
	size_t room = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && sp >= lo && sp < hi)
			room = hi - sp;
	if (f)
		fclose(f);
	return room < HWT_SAMPLE_STACK_SIZE ? room : HWT_SAMPLE_STACK_SIZE;
}

/* Copies the stack above the captured SP like the kernel does for PERF_SAMPLE_STACK_USER. Word
 * by word and outside ASan's view: the callers' frames hold redzones that are not ours to
 * check. */
__attribute__((noinline, no_sanitize_address)) static void copy_stack(struct capture *c)
{
	const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)c->regs[7];
	size_t i, n = stack_room(c->regs[7]) / 8;

	for (i = 0; i < n; i++) {
		uint64_t w = src[i];

		memcpy(c->stack + 8 * i, &w, 8);
	}
	c->size = n * 8;
}

#endif

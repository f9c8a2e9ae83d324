/* Samples of the calling process taken by a profiling timer as perf takes them for -g dwarf: the
 * interrupted registers in perf's order and a copy of the stack above the stack pointer. Shared
 * by the unwinder's unit test and its bench; static definitions: include it in one file. Set
 * stack_top (the end of the stack mapping) and samples_want, allocate samples, then install
 * on_prof for SIGPROF. */
#ifndef HWT_TESTS_SELF_SAMPLES_H
#define HWT_TESTS_SELF_SAMPLES_H

#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "core/format/records.h"
#include "core/symbols.h"

struct sample {
	uint64_t regs[HWT_SAMPLE_NREGS];
	uint8_t stack[HWT_SAMPLE_STACK_SIZE];
	size_t size;
};

static struct sample *samples;
static volatile sig_atomic_t nsamples;
static int samples_want;   /* on_prof stops taking samples at this many */
static uint64_t stack_top; /* the end of the main thread's stack mapping */

/* The stack above @sp as the kernel copies it for PERF_SAMPLE_STACK_USER: word by word, outside
 * ASan's view (the frames below hold redzones that are not ours to check). */
__attribute__((no_sanitize_address)) static size_t copy_stack(uint8_t *dst, uint64_t sp)
{
	const volatile uint64_t *src = (const volatile uint64_t *)(uintptr_t)sp;
	size_t n = sp < stack_top ? (stack_top - sp) / 8 : 0, i;

	if (n > HWT_SAMPLE_STACK_SIZE / 8)
		n = HWT_SAMPLE_STACK_SIZE / 8;
	for (i = 0; i < n; i++) {
		uint64_t w = src[i];

		memcpy(dst + 8 * i, &w, 8);
	}
	return n * 8;
}

/* SIGPROF: the interrupted registers in perf's order (AX BX CX DX SI DI BP SP IP R8..R15). */
static void on_prof(int sig, siginfo_t *si, void *ctx)
{
	static const int order[HWT_SAMPLE_NREGS] = {
		REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP, REG_RSP, REG_RIP,
		REG_R8,	 REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
	};
	const greg_t *g = ((const ucontext_t *)ctx)->uc_mcontext.gregs;
	struct sample *smp;

	(void)sig;
	(void)si;
	if (nsamples >= samples_want)
		return;
	smp = &samples[nsamples];
	for (int i = 0; i < HWT_SAMPLE_NREGS; i++)
		smp->regs[i] = (uint64_t)g[order[i]];
	smp->size = copy_stack(smp->stack, smp->regs[7]);
	nsamples++;
}

/* This process's executable mappings into @s as address space @pid, as a recording's would be;
 * sets stack_top. Returns 0, or -1 when /proc/self/maps cannot be read or a mapping is refused. */
static int self_samples_maps(struct hwt_symbolizer *s, uint32_t pid)
{
	char line[4096], path[1024];
	FILE *f = fopen("/proc/self/maps", "r");
	int rc = f ? 0 : -1;

	while (f && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off;
		char perms[8];

		path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %1023s", &lo, &hi, perms, &off, path) <
		    4)
			continue;
		if (!strcmp(path, "[stack]"))
			stack_top = hi;
		if (perms[2] != 'x' || (path[0] != '/' && strcmp(path, "[vdso]")))
			continue;
		struct hwt_map_info mi = { .start = lo, .end = hi, .pgoff = off, .path = path };
		if (hwt_symbolizer_add_map(s, pid, &mi) < 0)
			rc = -1;
	}
	if (f)
		fclose(f);
	return rc;
}

#endif

/* libFuzzer target: the DWARF unwinder's inputs (decoders/unwind.c, decoders/callchain.c): any
 * bytes as a sample's registers and copied stack, unwound against this very process's mappings
 * (real code and CFI), with the instruction pointer steered into its text and tagged stack
 * words made return addresses and frame pointers; through the cache of CFI rows and through
 * libdw alone, which must give the same frames. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/format/records.h"
#include "core/model.h"
#include "core/symbols.h"
#include "decoders/callchain.h"
#include "decoders/unwind.h"

static struct hwt_model *m;
static struct hwt_symbolizer *sym;
static struct hwt_unwinder *unw;
static struct hwt_unwinder *unw_libdw; /* without the cache of CFI rows: must agree */
static uint64_t text_lo, text_hi;

/* This process's executable mappings, as a recording's would be. */
static void setup(void)
{
	char line[512], path[400];
	FILE *f = fopen("/proc/self/maps", "r");

	m = hwt_model_alloc();
	sym = hwt_symbolizer_alloc(m);
	unw = hwt_unwinder_alloc(sym);
	unw_libdw = hwt_unwinder_alloc(sym);
	if (!f || !unw || !unw_libdw)
		abort();
	hwt_unwinder_set_cache(unw, 1);
	hwt_unwinder_set_cache(unw_libdw, 0);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8];
		path[0] = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %399s", &s, &e, perms, &off, path) <
			    4 ||
		    perms[2] != 'x' || path[0] != '/')
			continue;
		struct hwt_map_info mi = { .start = s, .end = e, .pgoff = off, .path = path };
		hwt_symbolizer_add_map(sym, (uint32_t)getpid(), &mi);
		if (!text_lo && strstr(path, "fuzz_unwind")) {
			text_lo = s;
			text_hi = e;
		}
	}
	fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 }, pcs[64], ref[64], ra;
	size_t nr = size < sizeof(regs) ? size : sizeof(regs);

	if (!unw)
		setup();
	memcpy(regs, data, nr);
	/* Half the inputs sample an IP in real code, the stack pointer at the copy's start. */
	if (size && data[0] & 1 && text_hi > text_lo)
		regs[HWT_REG_IP] = text_lo + regs[HWT_REG_IP] % (text_hi - text_lo);
	/* Stack words the input tags are made real: top byte 1, an address in this program's
	 * text (a return address the CFI walk can follow); 2, a slot of the copy itself (a saved
	 * frame pointer). Random bytes alone would almost never name either. */
	size_t len = size - nr;
	uint8_t *stack = len ? malloc(len) : NULL;
	if (len && !stack)
		return 0;
	if (len)
		memcpy(stack, data + nr, len);
	for (size_t i = 0; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, stack + i, 8);
		if (w >> 56 == 1 && text_hi > text_lo)
			w = text_lo + (w & 0xffffffffffff) % (text_hi - text_lo);
		else if (w >> 56 == 2)
			w = regs[HWT_REG_SP] + (w & 0xffff);
		memcpy(stack + i, &w, 8);
	}
	uint32_t pid = (uint32_t)getpid();
	int n = hwt_unwind(unw, pid, pid, regs, stack, len, pcs, 64);
	/* The cached walk makes exactly libdw's frames. */
	if (hwt_unwind(unw_libdw, pid, pid, regs, stack, len, ref, 64) != n ||
	    (n > 0 && memcmp(pcs, ref, (size_t)n * sizeof(*pcs))))
		abort();
	hwt_chain_leaf_ra(unw, pid, pid, regs, stack, len, &ra);
	free(stack);
	return 0;
}

/* Counts every call of every function of a program built with -finstrument-functions (this file
 * itself without it) and writes "OFFSET COUNT" lines, OFFSET the function's address less the
 * executable's load address (its ELF virtual address, for a PIE), to the file $HWT_CALL_COUNTS
 * at exit: the truth the call-count test compares a tracer with. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS (1u << 16)

extern char __executable_start[];

static struct {
	uintptr_t fn;
	unsigned long calls;
} slots[SLOTS];

__attribute__((no_instrument_function)) void __cyg_profile_func_enter(void *fn, void *site)
{
	uintptr_t a = (uintptr_t)fn;
	for (uint32_t j = (uint32_t)(a * 0x9e3779b97f4a7c15ull >> 48) % SLOTS;; j = (j + 1) % SLOTS)
		if (slots[j].fn == a || !slots[j].fn) {
			slots[j].fn = a;
			slots[j].calls++;
			return;
		}
}

__attribute__((no_instrument_function)) void __cyg_profile_func_exit(void *fn, void *site)
{
}

__attribute__((no_instrument_function, destructor)) static void write_counts(void)
{
	const char *path = getenv("HWT_CALL_COUNTS");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (!f)
		return;
	for (uint32_t j = 0; j < SLOTS; j++)
		if (slots[j].fn)
			fprintf(f, "%#lx %lu\n",
				(unsigned long)(slots[j].fn - (uintptr_t)__executable_start),
				slots[j].calls);
	fclose(f);
}

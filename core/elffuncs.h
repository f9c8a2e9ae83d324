/* The functions an ELF file defines, with where a probe on each would go: what the uprobe tracer
 * attaches to. */
#ifndef HWT_CORE_ELFFUNCS_H
#define HWT_CORE_ELFFUNCS_H

#include <stddef.h>
#include <stdint.h>

/** Flags of struct hwt_elf_func. */
enum hwt_elf_func_flags {
	HWT_FUNC_ENDBR = 1, /* starts with endbr64: the entry probe goes 4 bytes in */
	HWT_FUNC_SLOW = 2,  /* the instruction under the entry probe is single-stepped by the
			       kernel (~10 us a hit), not emulated (push, nop, jmp, call) */
	HWT_FUNC_IFUNC = 4, /* an STT_GNU_IFUNC symbol: its code is the resolver that picks the
			       implementation when the program is linked (hwt_ifunc_resolve()) */
};

/** One function. */
struct hwt_elf_func {
	const char *name;      /* borrowed for the callback: the symbol name as in the file */
	const char *demangled; /* borrowed for the callback: the C++ name, or @name */
	uint64_t vaddr, size;  /* ELF virtual address and size */
	uint64_t offset;       /* file offset of the first byte: where the return probe goes */
	uint64_t entry_offset; /* file offset of the entry probe (after an endbr64) */
	uint32_t flags;	       /* enum hwt_elf_func_flags */
	const uint64_t
		*ret_sites;	     /* borrowed for the callback: file offsets of its ret
					instructions and tail jumps, when HWT_ELF_RET_SITES is asked */
	const uint64_t *ret_targets; /* borrowed for the callback, parallel to @ret_sites: the
					virtual address a tail jump goes to, 0 for a ret */
	size_t nret_sites;
	const char *const *names; /* borrowed for the callback: every name of the address, @name
				     first, then the others by preference (global, weak, local),
				     as in the file (a static one's may end in @VERSION) */
	size_t nnames;
};

/** Options of hwt_elf_functions(). */
enum hwt_elf_options {
	HWT_ELF_RET_SITES = 1, /* disassemble each function to find where it returns */
};

/** Calls @fn for every function @path defines (STT_FUNC or STT_GNU_IFUNC with a size, in an
 *  executable section), once per address: @name is the preferred of its names (global before
 *  weak before local, then the one with fewer leading underscores, then the first in the
 *  table), @names all of them. The `.cold` pieces GCC splits off a function (`f.cold`,
 *  `f.cold.N`) are no functions: they are reached by jumps, never called; they are not listed,
 *  and with HWT_ELF_RET_SITES their returns and tail jumps count as their parent's return sites
 *  (jumps between a function and its pieces do not). `.part.N`, `.isra.N`, `.constprop.N`
 *  clones are called: they are listed, under their own names. Stops
 *  when @fn returns non-zero and returns that value; else returns how many functions there were
 *  (>= 0), or a negative enum hwt_error with @why filled (file missing, not ELF, no symbols). */
int hwt_elf_functions(const char *path, unsigned options,
		      int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx, char *why,
		      size_t whylen);

/** hwt_elf_functions() for the functions at the @n virtual addresses @vaddrs (copied) only: @fn is
 *  called once for each address that starts a function or lies in an executable section; one no
 *  symbol names (the implementation an IFUNC resolver returns, in a stripped library) comes with
 *  @name "", size 0, one name, no return sites. Returns how many functions @fn was called for,
 *  @fn's non-zero return, or the errors of hwt_elf_functions() (HWT_E_INVAL for NULL @vaddrs
 *  with @n > 0). */
int hwt_elf_functions_at(const char *path, const uint64_t *vaddrs, size_t n, unsigned options,
			 int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx, char *why,
			 size_t whylen);

/** Non-zero if code in @path throws or catches C++ exceptions (it names __cxa_throw,
 *  _Unwind_RaiseException or __gxx_personality_v0): the unwinder then walks its stack, and a
 *  return address replaced by a uretprobe trampoline would make it abort the program. */
int hwt_elf_uses_exceptions(const char *path);

/** Non-zero if the kernel emulates the x86-64 instruction at @code (@len bytes available) when
 *  a uprobe hits it, instead of single-stepping it out of line. */
int hwt_uprobe_emulated(const uint8_t *code, size_t len);

#endif

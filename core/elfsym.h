/* Whether an ELF file names a symbol, read from its symbol tables without loading it. */
#ifndef HWT_CORE_ELFSYM_H
#define HWT_CORE_ELFSYM_H

/** Flags of hwt_elf_has_symbol(). */
enum {
	HWT_ELFSYM_PREFIX = 1,	/* @name is a prefix of the symbol's name */
	HWT_ELFSYM_DEFINED = 2, /* only a symbol the file defines, not one it imports */
	HWT_ELFSYM_DYNAMIC = 4, /* only the dynamic symbol table (what dlsym() can find) */
};

/**
 * Whether the ELF file @path (a regular file; it is only read, never loaded, so no code of it
 * runs) has the symbol @name (borrowed) in .symtab or .dynsym, as @flags say. Returns 1 or 0;
 * HWT_E_NOENT (cannot open it), HWT_E_INVAL (not a regular file), HWT_E_ELF (not ELF).
 */
int hwt_elf_has_symbol(const char *path, const char *name, unsigned flags);

#endif

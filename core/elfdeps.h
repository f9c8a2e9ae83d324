/* The shared libraries an ELF file names (DT_NEEDED), found the way the dynamic loader finds
 * them: where `hwtrace list` looks for the code of a program that has none of its own. */
#ifndef HWT_CORE_ELFDEPS_H
#define HWT_CORE_ELFDEPS_H

#include <stddef.h>

/** Calls @fn for each library @path names in DT_NEEDED, in the file's order, with its name and
 *  the file the loader would map (searched in DT_RPATH, LD_LIBRARY_PATH, DT_RUNPATH, the
 *  directories of /etc/ld.so.conf and the default ones; $ORIGIN expanded), or NULL when none is
 *  found. Stops when @fn returns non-zero and returns that value; else the number of libraries
 *  (>= 0), or a negative enum hwt_error with @why filled (no such file, not ELF). */
int hwt_elf_needed(const char *path, int (*fn)(const char *name, const char *found, void *ctx),
		   void *ctx, char *why, size_t whylen);

/** Non-zero if @path is a shared library (ET_DYN without a program interpreter), not a program
 *  a user runs. */
int hwt_elf_is_library(const char *path);

#endif

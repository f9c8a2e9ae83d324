/* Which functions of an ELF file a -F/-N selection chooses, under which names, and where their
 * code is: what the uprobe and in-process backends attach to. */
#ifndef HWT_CORE_FUNCSEL_H
#define HWT_CORE_FUNCSEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/elffuncs.h"

/** Most -F patterns, and most -N patterns, one selection holds. */
#define HWT_FUNCSEL_MAX 64

/** The options both call tracers (uprobe, in-process) take alike, as initializers of struct
 *  hwt_option (include/hwtrace/plugin.h): -F (@more ends its help), -N, -D and --min-duration. */
#define HWT_FUNCSEL_OPT_FUNC(more)                                                              \
	{                                                                                       \
		.name = "func", .type = HWT_OPT_LIST, .max = HWT_FUNCSEL_MAX, .arg = "PATTERN", \
		.short_flag = 'F', .long_flag = "function",                                     \
		.help = "trace the functions of the program matching PATTERN, a glob "          \
			"(default: all of them); LIB:PATTERN adds functions of a shared "       \
			"library, e.g. -F 'libc.so*:qsort'" more                                \
	}
#define HWT_FUNCSEL_OPT_NOFUNC                                                                    \
	{                                                                                         \
		.name = "nofunc", .type = HWT_OPT_LIST, .max = HWT_FUNCSEL_MAX, .arg = "PATTERN", \
		.short_flag = 'N', .long_flag = "notrace",                                        \
		.help = "do not trace functions matching PATTERN (LIB:PATTERN too)"               \
	}
#define HWT_FUNCSEL_OPT_DEPTH                                                                \
	{                                                                                    \
		.name = "depth", .type = HWT_OPT_INT, .min = 1, .max = 1000000, .arg = "N",  \
		.short_flag = 'D', .long_flag = "depth", .help = "show calls at most N deep" \
	}
#define HWT_FUNCSEL_OPT_MIN_DURATION                                              \
	{                                                                         \
		.name = "min_duration", .type = HWT_OPT_DURATION, .arg = "T",     \
		.long_flag = "min-duration",                                      \
		.help = "show calls that took at least T (e.g. 10us, 1ms, 500ns)" \
	}

struct hwt_funcsel;

/** An empty selection: it chooses every function of the main program but C run-time start-up
 *  code and libhwtrace's hwt_* functions, and nothing of libraries, until a -F pattern is added.
 *  NULL when out of memory. Free with hwt_funcsel_free(). */
struct hwt_funcsel *hwt_funcsel_alloc(void);

/** Frees @s (NULL accepted). */
void hwt_funcsel_free(struct hwt_funcsel *s);

/** Adds the -F (@exclude 0) or -N (@exclude 1) pattern @spec (copied): "GLOB", a glob on the
 *  main program's function names, or "LIB:GLOB" on those of the libraries whose file name
 *  matches the glob LIB ("ns::f" is a C++ name of the main program). A glob is tried on every
 *  name of a function (aliases, a name@VERSION without its version, the C++ name). Returns 0,
 *  HWT_E_INVAL (NULL, or HWT_FUNCSEL_MAX patterns already) or HWT_E_NOMEM. */
int hwt_funcsel_add(struct hwt_funcsel *s, const char *spec, int exclude);

/** Non-zero if some -F LIB:GLOB pattern of @s names the library @path (by its file name). */
int hwt_funcsel_wants_library(const struct hwt_funcsel *s, const char *path);

/** The number of -F patterns of @s. */
size_t hwt_funcsel_npatterns(const struct hwt_funcsel *s);

/** The -F pattern @i as given (borrowed for the life of @s; NULL past the end), and in
 *  *@matched (may be NULL) how many functions it chose over every hwt_funcsel_file() so far. */
const char *hwt_funcsel_pattern(const struct hwt_funcsel *s, size_t i, uint64_t *matched);

/** A function hwt_funcsel_file() chose. */
struct hwt_funcsel_pick {
	const struct hwt_elf_func *f; /* borrowed for the callback: where its code is (for an
					 IFUNC, the implementation the resolver picks here) */
	const char *name;	      /* borrowed for the callback: the name to show: the one a
					 -F pattern matched (without @VERSION) when it was not
					 @f's preferred name, else @f->name */
	const char *ifunc_note;	      /* NULL, or why an IFUNC could not be resolved: @f is
					 then its resolver (borrowed for the callback) */
};

/** Calls @fn for each function of the ELF file @path (@is_main: the program itself, else a
 *  library) that @s chooses, with @options for hwt_elf_functions() (HWT_ELF_RET_SITES). An
 *  IFUNC chosen is resolved (hwt_ifunc_resolve()) and its implementation given instead, under
 *  the name asked for, unless the implementation is chosen already. Stops at @fn's first
 *  non-zero return and returns it; else returns how many functions were chosen (>= 0), or the
 *  errors of hwt_elf_functions() with @why filled. */
int hwt_funcsel_file(struct hwt_funcsel *s, const char *path, int is_main, unsigned options,
		     int (*fn)(const struct hwt_funcsel_pick *p, void *ctx), void *ctx, char *why,
		     size_t whylen);

#endif

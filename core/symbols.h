/* Symbolization: per-process address spaces built from mapping records, ELF symbol tables read
 * with libelf and cached per file, addresses turned into interned frames of the event model. */
#ifndef HWT_CORE_SYMBOLS_H
#define HWT_CORE_SYMBOLS_H

#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct hwt_symbolizer;

/** One file mapping of a process, as a MMAP2 record or /proc/PID/maps gives it. */
struct hwt_map_info {
	uint64_t start, end, pgoff;
	const char *path;	 /* borrowed for the call: "/usr/lib/...", "[vdso]", "//anon" */
	const uint8_t *build_id; /* borrowed for the call, NULL if unknown */
	size_t build_id_len;
};

/** New symbolizer interning into @m (borrowed; must outlive it). NULL on allocation failure. */
struct hwt_symbolizer *hwt_symbolizer_alloc(struct hwt_model *m);
/** With @on, each function's source file is looked up in DWARF as its frame is first made and
 *  set in the model (hwt_model_set_frame_file()); off by default (it costs a DWARF lookup per
 *  function). */
void hwt_symbolizer_sources(struct hwt_symbolizer *s, int on);
/** Frees @s and its caches; NULL accepted. */
void hwt_symbolizer_free(struct hwt_symbolizer *s);

/** Adds @map to the address space of @pid, replacing what it overlaps. Returns >= 0 or
 *  HWT_E_NOMEM. */
int hwt_symbolizer_add_map(struct hwt_symbolizer *s, uint32_t pid, const struct hwt_map_info *map);
/** @child starts as a copy of @parent's address space (fork). */
int hwt_symbolizer_fork(struct hwt_symbolizer *s, uint32_t parent, uint32_t child);
/** @pid exec'ed: its address space is emptied. */
void hwt_symbolizer_exec(struct hwt_symbolizer *s, uint32_t pid);

/** Resolves @addr in @pid to an interned frame id (> 0), or a negative error. Kernel addresses
 *  (@kernel non-zero) give "[kernel]"; addresses in no known mapping give "[unknown]"; addresses
 *  in a mapping without a symbol give "module+0xOFF"; C++ names are demangled. */
int64_t hwt_symbolizer_frame(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, int kernel);

/* Inlined functions one address expands to at most. */
#define HWT_INLINE_MAX 16

/** The functions inlined at @addr of @pid, innermost first, as interned frames flagged
 *  HWT_FRAME_INLINED and named "NAME (inlined)" as perf names them (from the DWARF of the file
 *  mapped there, or its separate debug file by build id): up to @max (at most HWT_INLINE_MAX)
 *  ids into @out. The function they were inlined into is hwt_symbolizer_frame()'s. Returns how
 *  many (0: none, or no DWARF) or a negative enum hwt_error. */
int hwt_symbolizer_inlined(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, uint32_t *out,
			   int max);

/** Copies the @len bytes at [@addr, @addr + @len) of @pid's code into @out, from the file mapped
 *  there (all in one mapping). Returns 1 when copied, 0 when @addr is mapped but its bytes are
 *  unknown (anonymous code, a file gone or replaced since the recording), HWT_E_NOENT when no
 *  mapping of @pid holds @addr (only executable mappings are recorded), HWT_E_INVAL on bad
 *  arguments. */
int hwt_symbolizer_code(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, size_t len,
			uint8_t *out);

/** Whether @addr lies in an executable mapping of @pid known so far: 1 or 0; HWT_E_NOENT when
 *  no mapping of @pid is known at all (nothing can be said). */
int hwt_symbolizer_mapped(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr);

/** The mapping of @pid containing @addr, copied to @out (path borrowed, lives with @s).
 *  Returns 1 if found, 0 if not. */
int hwt_symbolizer_find_map(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr,
			    struct hwt_map_info *out);
/** Calls @fn for each file-backed mapping of @pid in address order; stops early when @fn
 *  returns non-zero and returns that value. */
int hwt_symbolizer_foreach_map(struct hwt_symbolizer *s, uint32_t pid,
			       int (*fn)(const struct hwt_map_info *map, void *ctx), void *ctx);
/** This process' own vdso image: sets *@image (borrowed, lives as long as the process) and
 *  returns its size, or 0 (and NULL) if there is none. The kernel that recorded is the kernel
 *  that decodes more often than not; callers check the build id or size before trusting it. */
size_t hwt_vdso_image(const uint8_t **image);

/** A number that changes whenever the address space of @pid changes. */
uint64_t hwt_symbolizer_generation(struct hwt_symbolizer *s, uint32_t pid);

#endif

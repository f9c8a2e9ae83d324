/* The mapped files of the symbolizer: the PT_LOAD segments and function symbols of each, read
 * with libelf (separate debug files and this process' vdso included) and cached per (path, build
 * id), shared by every process that maps them. Private to symbols.c and symfile.c. */
#ifndef HWT_CORE_SYMFILE_H
#define HWT_CORE_SYMFILE_H

#include <stddef.h>
#include <stdint.h>

#define BUILD_ID_MAX 64

enum file_state {
	FILE_UNLOADED, /* not looked at yet */
	FILE_LOADED,   /* segments and symbols read */
	FILE_FAILED,   /* not an ELF file we can read: frames are "module+0xOFF" */
};

/* struct sym.rank of a function known only from its call frame information. */
#define RANK_CFI 3

/* A function symbol: [addr, end) in ELF virtual addresses. */
struct sym {
	uint64_t addr, end;
	uint64_t maxend;  /* largest end of this and every earlier symbol: bounds the back walk */
	uint32_t name;	  /* offset of the raw name in elf_file.names */
	uint32_t name_id; /* interned (demangled) name, HWT_NONE until first used */
	uint8_t sized;	  /* st_size > 0; else end was inferred from the next symbol */
	uint8_t rank;	  /* binding preference among aliases: global 0, weak 1, other 2,
			     RANK_CFI: no symbol, a range from the unwind tables */
};

/* A PT_LOAD segment: how file offsets become virtual addresses. */
struct seg {
	uint64_t off, vaddr, filesz, memsz;
};

/* A mapped file (or pseudo file: "[vdso]", "//anon", "[heap]"), shared by every process that
 * maps the same path with the same build id. Lives until the symbolizer is freed. */
struct elf_file {
	struct elf_file *next; /* hash chain */
	uint64_t hash;
	char *path;
	char *base;			/* display name: basename without " (deleted)" */
	uint8_t build_id[BUILD_ID_MAX]; /* from the mapping record */
	size_t build_id_len;
	uint8_t file_build_id[BUILD_ID_MAX]; /* read from the file */
	size_t file_build_id_len;
	int state;
	int is_vdso;
	struct seg *segs;
	size_t nsegs;
	struct sym *syms;
	size_t nsyms, syms_cap;
	char *names;
	size_t names_len, names_cap;
	const uint8_t *image; /* the whole file mapped read-only (code bytes), NULL if not yet */
	size_t image_len;
	int image_failed;    /* mapping it failed: no bytes */
	void *dwarf;	     /* Dwarf * of the file or its debug file (syminline.c), NULL if none */
	void *dwarf_elf;     /* the Elf * it reads */
	int dwarf_fd;	     /* the file it reads */
	int dwarf_state;     /* 0: not looked for; 1: found; -1: none */
	int dwarf_lines;     /* 1: dwarf has its line tables (hwt_symfile_source()); -1: none */
	void *dwarf_old;     /* the Dwarf * without them that it replaced, NULL if none: names */
	void *dwarf_old_elf; /* borrowed from it live with @f */
	int dwarf_old_fd;
	void *dwarf_bufs;     /* sections inflated for them (syminline.c), freed with them */
	uint32_t path_id;     /* interned path, HWT_NONE until needed */
	uint32_t build_id_id; /* interned hex build id */
	int build_id_done;
};

/** The files seen so far, by (path, build id), and this process' own vdso image. */
struct symfile_cache {
	struct elf_file **files; /* hash buckets */
	size_t files_mask, nfiles;
	const uint8_t *vdso; /* this process' own vdso image, read on first use */
	size_t vdso_len;
	int vdso_probed;
};

/** Makes @c empty. Returns 0, or HWT_E_NOMEM. */
int hwt_symfile_cache_init(struct symfile_cache *c);
/** Frees every file of @c and what holds them. */
void hwt_symfile_cache_fini(struct symfile_cache *c);

/** The file of @path (copied) with build id @bid (@bid_len bytes, copied; 0 if unknown), added
 *  FILE_UNLOADED if new (FILE_FAILED if it can hold no symbols). Lives as long as @c; NULL when
 *  out of memory. */
struct elf_file *hwt_symfile_get(struct symfile_cache *c, const char *path, const uint8_t *bid,
				 size_t bid_len);
/** Reads @f's segments and symbols. Any failure (deleted file, permission, not ELF, a different
 *  build id than recorded) leaves FILE_FAILED: its frames are then "module+0xOFF". */
void hwt_symfile_load(struct symfile_cache *c, struct elf_file *f);
/** Copies @len bytes of @f at file offset @off into @out (the vdso from this process' own
 *  image). Returns 1, or 0 when the file cannot be read or does not hold them (also when it is
 *  not the file that was recorded). Maps the file on first use; the mapping lives with @c. */
int hwt_symfile_bytes(struct symfile_cache *c, struct elf_file *f, uint64_t off, size_t len,
		      uint8_t *out);
/** The functions inlined at ELF virtual address @vaddr of @f, innermost first, from its DWARF
 *  (or its separate debug file's, by build id): up to @max raw names (linkage names where
 *  DWARF has them, else plain names; borrowed, live with @f) into @names. Returns how many, 0
 *  when none or without DWARF (syminline.c). */
int hwt_symfile_inlined(struct elf_file *f, uint64_t vaddr, const char **names, int max);
/** The source file of the function at ELF virtual address @vaddr of @f, from its DWARF (the
 *  function's declaration file, else its compilation unit's; joined to the unit's directory
 *  when relative) into @out (@len bytes). Returns 1, or 0 when unknown (syminline.c). */
int hwt_symfile_source(struct elf_file *f, uint64_t vaddr, char *out, size_t len);
/** Ends what hwt_symfile_inlined() opened for @f (syminline.c). */
void hwt_symfile_dwarf_fini(struct elf_file *f);
/** The path of the separate debug file of build id @bid (@len bytes) into @buf; 0, or -1 if it
 *  does not fit. */
int hwt_symfile_debug_path(const uint8_t *bid, size_t len, char *buf, size_t size);
/** File offset @off of @f as an ELF virtual address, in *@vaddr: 1, or 0 if no segment has it. */
int hwt_symfile_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr);
/** The function symbol of @f that holds @vaddr (a sized one before one whose end was inferred),
 *  NULL if none. */
struct sym *hwt_symfile_sym(struct elf_file *f, uint64_t vaddr);

#endif

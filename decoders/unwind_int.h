/* What unwind.c (libdw, the address spaces) shares with unwind_cfi.c (the cache of CFI rows and
 * the walk that uses it). Private to the unwinder. */
#ifndef HWT_DECODERS_UNWIND_INT_H
#define HWT_DECODERS_UNWIND_INT_H

#include <elf.h>
#include <elfutils/libdwfl.h>
#include <stdint.h>

#include "unwind.h"

/* Registers libdw's x86-64 frames hold: DWARF 0-15 and the return address column 16. */
#define UW_NREGS 17

/* A module reported to a Dwfl, remembered so that it can be re-reported (kept, with its CFI
 * already parsed) when the address space changes elsewhere. */
struct uw_mod {
	char *path;
	uint64_t key_start, key_pgoff; /* the first mapping of its load */
	uint64_t bias, low, high;
	uint32_t file; /* the file it was read from: index + 1 into hwt_unwinder.files */
};

struct uw_proc {
	struct uw_proc *next; /* hash chain */
	uint32_t pid;
	Dwfl *dwfl;
	uint64_t gen;  /* symbolizer generation the modules match; 0: never reported */
	uint64_t used; /* unwinder clock at the last unwind, for eviction */
	struct uw_mod *mods;
	size_t nmods;
};

/* A file modules were read from: the same file in every process shares its CFI rows. */
struct uw_file {
	uint64_t dev, ino, size;
	int64_t mtime_ns;
	int debug_frame; /* 0: not looked at; 1: it or its debug file has .debug_frame; -1: none */
};

/* How one register of the caller is found (what dwarf_frame_register() says, as handle_cfi() in
 * libdwfl evaluates it). */
enum uw_rule {
	UW_R_UNSET = 0, /* an error in the CFI: the register stays unknown */
	UW_R_UNDEF,	/* undefined (the return address: the outermost frame) */
	UW_R_SAME,	/* same value as in the callee */
	UW_R_AT,	/* in the word at CFA + off */
	UW_R_VAL,	/* CFA + off itself */
	UW_R_REG,	/* register off of the callee */
};

enum uw_row_kind {
	UW_ROW_CFI = 1, /* rules below */
	UW_ROW_FP,	/* no module or no CFI there: libdw's frame-pointer fallback */
	UW_ROW_SLOW,	/* rules the cache does not hold (DWARF expressions): libdw unwinds */
};

/* The CFI row of one address of one file: where the caller's registers are. Each register's
 * rule (enum uw_rule) is its bit in one of the masks; UW_R_UNSET and UW_R_UNDEF set none, but
 * an undefined return address ends the walk (undef_ra). The walk visits the bits set, a few
 * of the UW_NREGS. */
struct uw_row {
	uint32_t file;	  /* index + 1 into hwt_unwinder.files; 0: empty slot */
	uint8_t kind;	  /* enum uw_row_kind */
	uint8_t signal;	  /* a signal frame: its caller's pc is not a return address */
	uint8_t cfa_reg;  /* CFA = cfa_reg + cfa_off; UW_NREGS: the CFA cannot be computed */
	uint8_t undef_ra; /* the return address's rule is UW_R_UNDEF: the outermost frame */
	uint64_t pc;	  /* relative to the module's low address */
	uint64_t stamp;	  /* changes whenever the slot gets another row */
	int32_t cfa_off;
	uint32_t same, at, val, reg; /* bit i: register i's rule is UW_R_SAME, _AT, _VAL, _REG */
	int32_t off[UW_NREGS];
};

/* Recently met absolute addresses of an address space (generation), to their row. */
struct uw_hit {
	uint64_t pc, gen;
	uint64_t stamp; /* the row's stamp when this was filled */
	uint32_t row;	/* index into rows, or UW_NO_ROW for the frame-pointer fallback */
};

#define UW_NO_ROW UINT32_MAX

_Static_assert(sizeof(struct uw_row) == 112 && sizeof(struct uw_hit) == 32, "the bound above");

/* Rows and hits remembered (powers of two): rows 32768 x 112 B = 3.5 MiB, hits 32768 x 32 B =
 * 1 MiB, allocated at the first unwind: 4.5 MiB per unwinder (the decoding thread's and each
 * worker's), whatever the recording. */
#define UW_ROWS_BITS 15
#define UW_HITS_BITS 15

#define UW_BUCKETS 64
#define UW_RULES   4096

struct hwt_unwinder {
	struct hwt_symbolizer *s;
	struct uw_proc *procs[UW_BUCKETS];
	struct uw_proc *last; /* the process of the previous sample */
	size_t nprocs;
	uint64_t clock;
	/* A bare x86-64 ELF header: tells dwfl_attach_state the architecture even before (or
	 * without) any module, and outlives every Dwfl. */
	Elf64_Ehdr arch_image;
	Elf *arch_elf;
	uint8_t *vdso; /* copy of this process' vdso, NULL if there is none */
	size_t vdso_len;
	uint8_t vdso_build_id[64];
	size_t vdso_build_id_len;

	struct {
		uint64_t ip, gen; /* gen 0: empty */
		int64_t off;
		int rule;
	} rules[UW_RULES]; /* hwt_unwind_ra_rule()'s, by IP */

	/* The CFI row cache (unwind_cfi.c); NULL until the first unwind. */
	int use_rows; /* 0: every sample through libdw (HWT_UNWIND_CACHE=0) */
	struct uw_row *rows;
	struct uw_hit *hits;
	struct uw_file *files;
	size_t nfiles, cap_files;
	struct hwt_unwind_stats stats;
	struct uw_pool *pool; /* threads that unwind ahead (unwind_pool.c); NULL until used */
	int workers;	      /* how many: -1 until known */

	/* The sample being unwound, for the libdw callbacks. */
	uint32_t tid;
	Dwarf_Word dregs[16];
	Dwarf_Word ip, sp;
	const uint8_t *stack;
	size_t size;
	uint64_t *pcs;
	int max, n;
	Dwarf_Word last_sp;
};

/** The index + 1 of the file open as @fd in u->files (added if new; @fd -1: the vdso copy), 0
 *  if it cannot be told or memory ran out. */
uint32_t hwt_uw_file_id(struct hwt_unwinder *u, int fd);

/** Unwinds the sample set up in @u (dregs, ip, sp, stack, size, pcs, max) in @p with the row
 *  cache: returns the frames written (>= 1), or -1 where a row is one the cache does not hold
 *  (then libdw must unwind the sample) or memory ran out. */
int hwt_uw_fast(struct hwt_unwinder *u, struct uw_proc *p);

/** Frees the row cache of @u. */
void hwt_uw_rows_free(struct hwt_unwinder *u);

/** The address space of @pid in @u, its modules brought in line with the symbolizer's mappings:
 *  NULL when memory ran out. Reads the symbolizer: only on the thread that owns it. */
struct uw_proc *hwt_uw_proc(struct hwt_unwinder *u, uint32_t pid);
/** The address space of @pid in @u as it is, NULL if @u has none: changes nothing. */
struct uw_proc *hwt_uw_proc_find(const struct hwt_unwinder *u, uint32_t pid);
/** Unwinds a sample (as hwt_unwind()) in @p, an address space of @u, without looking at the
 *  symbolizer: what worker threads run. */
int hwt_uw_walk(struct hwt_unwinder *u, struct uw_proc *p, uint32_t tid, const uint64_t *regs,
		const uint8_t *stack, size_t size, uint64_t *pcs, int max);

/** The frames of the sample (@stack, @pid, @tid, @regs) if a worker unwound it ahead in the
 *  address space @pid still has: their count (> 0) in @pcs, else 0. */
int hwt_uw_pool_take(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		     const uint8_t *stack, size_t size, uint64_t *pcs, int max);
/** The workers HWT_UNWIND_THREADS asks for (its value minus one, at most 7), -1 if unset. */
int hwt_uw_threads_env(void);
/** Stops the threads of @u's pool and frees it. */
void hwt_uw_pool_free(struct hwt_unwinder *u);

#endif

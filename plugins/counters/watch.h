/* The parts of the `watch` counter plugin shared by its files and its unit test: a variable's
 * symbol in an ELF file and its address in a process, its value by type, and the x86-64 store
 * instruction that wrote it (decoded from a breakpoint sample's registers). Private to
 * plugins/counters/. */
#ifndef HWT_PLUGINS_WATCH_H
#define HWT_PLUGINS_WATCH_H

#include <stddef.h>
#include <stdint.h>

/** The types a watched variable may have (the order of the choices of type=). */
enum hwt_watch_type {
	HWT_WATCH_U8,
	HWT_WATCH_U16,
	HWT_WATCH_U32,
	HWT_WATCH_U64,
	HWT_WATCH_I8,
	HWT_WATCH_I16,
	HWT_WATCH_I32,
	HWT_WATCH_I64,
	HWT_WATCH_F32,
	HWT_WATCH_F64,
	HWT_WATCH_NTYPES,
};

/** The names of the types, NULL-terminated, in enum order: the choices of type=. */
extern const char *const hwt_watch_type_names[];

/** The size in bytes of @type (enum hwt_watch_type), 0 if it is not one. */
size_t hwt_watch_type_size(int type);

/** The value of @type that the little-endian bytes @b (hwt_watch_type_size() of them) hold. */
double hwt_watch_type_value(int type, const uint8_t *b);

/** A variable found in an ELF file by hwt_watch_sym_find(). */
struct hwt_watch_sym {
	uint64_t vaddr, size; /* the symbol's value and size in the file */
	int pie;	      /* ET_DYN: its address moves with the file's load bias */
	uint64_t base_vaddr;  /* the first PT_LOAD segment's address and file offset, both */
	uint64_t base_offset; /* rounded down to a page: the mapping the load bias is read from */
	int nobits;	      /* in .bss: it starts as zeros */
	uint8_t init[8];      /* its first bytes as the file holds them (zeros in .bss) */
};

/**
 * Finds the data object @name (STT_OBJECT or STT_COMMON; .symtab, then .dynsym) in the ELF
 * file @path. Returns 0 with @s filled; HWT_E_NOENT with @why ("no variable 'x' in FILE (its
 * .symtab and .dynsym)") if it has no such symbol, or the file cannot be opened; HWT_E_ELF if it
 * is not an ELF file of this machine or has no loadable segment.
 */
int hwt_watch_sym_find(const char *path, const char *name, struct hwt_watch_sym *s, char *why,
		       size_t whylen);

/** One line of /proc/PID/maps. */
struct hwt_watch_map {
	uint64_t start, end, pgoff;
	unsigned major, minor; /* the file's device */
	uint64_t ino;	       /* 0: not a file */
	int writable;	       /* its permissions hold 'w' */
	const char *path;      /* borrowed from the line: the file, "" if none */
};

/** Parses @line (modified: the path is cut at its end) of /proc/PID/maps into @m. Returns 0, or
 *  HWT_E_INVAL if it is not such a line. */
int hwt_watch_map_parse(char *line, struct hwt_watch_map *m);

/** Non-zero if the mapped file @path is the library @lib names: @lib itself when it holds a
 *  '/', else a file whose base name is @lib or starts with @lib and a '.' or '-'
 *  ("libz.so" is libz.so.1.2.13, "libc" is libc.so.6). */
int hwt_watch_lib_match(const char *path, const char *lib);

/** The address of @s in a process where its file is mapped as @m, or 0 if @m is not the
 *  mapping its load bias is read from (the one at file offset s->base_offset). */
uint64_t hwt_watch_sym_addr(const struct hwt_watch_sym *s, const struct hwt_watch_map *m);

/** A loadable segment of an ELF file: its bytes in the file and where they load. */
struct hwt_watch_seg {
	uint64_t offset, filesz, vaddr;
};

/** The loadable segments of the ELF file @path, up to @max of them into @segs. Returns how
 *  many (>= 0), or HWT_E_NOENT (no such file) or HWT_E_ELF. */
int hwt_watch_file_segments(const char *path, struct hwt_watch_seg *segs, size_t max);

/** The file offset @off as a virtual address of the file whose @n segments are @segs, into
 *  *@vaddr. Returns 0, or HWT_E_NOENT if no segment holds it. */
int hwt_watch_seg_vaddr(const struct hwt_watch_seg *segs, size_t n, uint64_t off, uint64_t *vaddr);

/** Where the dynamic loader of a process keeps its _r_debug; zeroed: not looked for yet. */
struct hwt_watch_loader {
	int state;	   /* 0: not looked for; 1: the program has a loader; -1: it has none */
	uint64_t dev, ino; /* the loader's file */
	struct hwt_watch_sym r_debug;
	uint64_t addr; /* of _r_debug in the process; 0 until its file is mapped */
};

/**
 * Is the dynamic loader of process @pid, running the program @prog, between two loads (its
 * _r_debug says RT_CONSISTENT, after it started)? A library's page may hold bytes of its file
 * while it is loaded, until the loader clears its .bss. Returns 1 yes (or @prog has no loader),
 * 0 not yet or not known; @ld keeps what was found between calls.
 */
int hwt_watch_loader_idle(int pid, const char *prog, struct hwt_watch_loader *ld);

/* ---- the store instruction behind a write breakpoint's sample (x86-64) ------------------- */

/** What a decoded store does to memory. */
enum hwt_watch_op {
	HWT_WOP_UNKNOWN = 0, /* not a store whose value the registers tell (e.g. from an XMM) */
	HWT_WOP_MOV,	     /* memory = source */
	HWT_WOP_MOVBE,	     /* memory = source, bytes swapped */
	HWT_WOP_CMPXCHG,     /* ZF ? source : the accumulator (it then holds what memory held) */
	HWT_WOP_ADD,	     /* memory = old OP source: these need the old value */
	HWT_WOP_SUB,
	HWT_WOP_AND,
	HWT_WOP_OR,
	HWT_WOP_XOR,
	HWT_WOP_INC,
	HWT_WOP_DEC,
	HWT_WOP_NEG,
	HWT_WOP_NOT,
	HWT_WOP_SHL,
	HWT_WOP_SHR,
	HWT_WOP_SAR,
};

/** A register operand: perf's x86 register number, and which bits of it. */
struct hwt_watch_reg {
	int8_t perf;   /* enum perf_event_x86_regs; -1: none; HWT_WATCH_RIP: the next IP */
	uint8_t shift; /* 8 for ah, bh, ch, dh; else 0 */
	uint8_t size;  /* bytes */
};

#define HWT_WATCH_RIP 100

/** The store instruction that ends at .ip, as the breakpoint's sample needs it. */
struct hwt_watch_store {
	uint64_t ip;	 /* the address right after it: the sample's IP */
	uint8_t len;	 /* its length in bytes */
	uint8_t op;	 /* enum hwt_watch_op */
	uint8_t size;	 /* bytes it writes */
	uint8_t has_imm; /* the source is .imm, not .src */
	struct hwt_watch_reg base, index, src;
	uint8_t scale;
	int64_t disp, imm;
	char text[64]; /* "mov qword ptr [rip + 0x2ee5], rax", for notes */
};

/** The GPRs of a sample (PERF_SAMPLE_REGS_USER), indexed by perf's x86 register numbers. */
#define HWT_WATCH_NREGS 24

/** The sample_regs_user mask that hwt_watch_store_value() needs: every x86-64 GPR, IP, FLAGS. */
uint64_t hwt_watch_regs_mask(void);

/** The most readings of the bytes before an IP that hwt_watch_store_find() gives. */
#define HWT_WATCH_MAX_READINGS 4

/**
 * Finds the store that ends at @ip among the bytes @code (the @n bytes right before @ip) and
 * that wrote the @len bytes at @addr as @regs (HWT_WATCH_NREGS values) show. With @exact, @code
 * starts at an instruction boundary (the start of the function): one reading. Without, the
 * bytes are read backwards, and a REX prefix or an immediate can make several instructions end
 * at @ip and write there: each different one is a reading. Writes up to @max readings into
 * @out and returns how many (> 0); HWT_E_NOENT if no instruction ending at @ip writes there;
 * HWT_E_INVAL if there are more than @max (or @max is 0); HWT_E_NOTSUP if capstone cannot be
 * opened. A reading with .op HWT_WOP_UNKNOWN is a store whose value the sample cannot give.
 */
int hwt_watch_store_find(const uint8_t *code, size_t n, int exact, uint64_t ip,
			 const uint64_t *regs, uint64_t addr, size_t len,
			 struct hwt_watch_store *out, size_t max);

/**
 * The @len bytes at @addr after a store ran with @regs, from its @n readings @s (those of
 * hwt_watch_store_find()): sets @val (len bytes). @old holds them before the store, or is NULL
 * when not known. Returns 0; HWT_E_NOENT if a reading's value cannot be known exactly (an
 * unknown op, an operation on an unknown old value, a store that covers only part of the
 * variable when the old value is not known, a source that is not a GPR); HWT_E_INVAL if the
 * readings write different values.
 */
int hwt_watch_store_value(const struct hwt_watch_store *s, size_t n, const uint64_t *regs,
			  uint64_t addr, size_t len, const uint8_t *old, uint8_t *val);

#endif

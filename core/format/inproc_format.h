/* The inproc backend's data in the in-program API's area (core/progapi.h), one writer and one
 * reader of each: the records the preloaded runtime writes into its per-thread call rings, the
 * entries the recorder and the runtime put in the area's declaration log (the selection, the
 * tables of patched functions, the functions left to uprobes, the probe cost), and the selection
 * rule both sides apply. The recording itself holds what the uprobe backend writes
 * (core/format/uprobe_format.h) under the stream and chunk name "inproc". */
#ifndef HWT_CORE_FORMAT_INPROC_H
#define HWT_CORE_FORMAT_INPROC_H

#include <stddef.h>
#include <stdint.h>

#include "core/format/custom_format.h"

/* The name of the stream and of the function table chunks in a recording. */
#define HWT_INPROC_SOURCE "inproc"

/*
 * Call rings: a ring of the area whose hwt_api_ring.reserved is HWT_API_RING_CALLS holds 8-byte
 * records (a ring of a power of two bytes holds whole ones), published with head like any ring:
 *   code = id << 2 | kind, dt = ns since the thread's previous record:
 *   HWT_INPROC_ENTRY    entry into function @id
 *   HWT_INPROC_RETURN   its return
 *   HWT_INPROC_UNWOUND  its frame left without a return (longjmp, an exception)
 *   HWT_INPROC_SYNC     id 0, dt the low half of the full time (CLOCK_MONOTONIC ns); the next
 *                       8 bytes (wrapping to the ring's start) hold the high half. First in every
 *                       ring a thread takes, and where a delta would not fit 32 bits.
 * The runtime sees exact returns (a shadow stack), so records need no stack pointer.
 *
 * The recording: a stream "inproc" of uprobe stream records (core/format/uprobe_format.h) where
 * the stack pointer delta (c) of an entry or a return is a flag instead: 1 when the frame was
 * left without a return (UNWOUND); calls of functions left to uprobes are in the same stream,
 * and function tables are "inproc" chunks in the uprobe table format.
 */
#define HWT_INPROC_ENTRY   0u
#define HWT_INPROC_RETURN  1u
#define HWT_INPROC_UNWOUND 2u
#define HWT_INPROC_SYNC	   3u

/** The stream's flag (in place of the uprobe stream's stack pointer delta). */
#define HWT_INPROC_FLAG_UNWOUND 1

/** One call ring record. */
struct hwt_inproc_rec {
	uint32_t code; /* id << 2 | kind */
	uint32_t dt;
};

/* Declaration log entries (hwt_api_decl, then a hwt_custom_rec of one of these types): */
enum hwt_inproc_decl {
	/* The recorder's, written before the program starts: struct hwt_inproc_config, then
	 * npatterns patterns, each u8 exclude, the library glob ("" for the main program) and
	 * the function glob, NUL-terminated. */
	HWT_CR_INPROC_CONFIG = 64,
	/* The runtime's: a function table (hwt_uprobe_table format) of one file: the ids of the
	 * functions it chose there, patched or left to uprobes. */
	HWT_CR_INPROC_FUNCS = 65,
	/* The runtime's: functions of one file the patcher refused, for uprobes: struct
	 * hwt_inproc_uprobes, n struct hwt_inproc_uprobe, the file's path NUL-terminated. The
	 * recorder sets .state and wakes the runtime (futex) once they are attached. */
	HWT_CR_INPROC_UPROBES = 66,
	/* The runtime's, once per image: struct hwt_inproc_stats, then the refusal reasons
	 * as NUL-terminated "COUNT REASON" strings. */
	HWT_CR_INPROC_STATS = 67,
};

#define HWT_INPROC_CONFIG_VERSION 2

/** In-run measurements of a traced call's cost the config holds (the last ones taken). */
#define HWT_INPROC_COST_SAMPLES 256

/** The selection and the shared counters. */
struct hwt_inproc_config {
	uint32_t version;    /* HWT_INPROC_CONFIG_VERSION */
	uint32_t next_id;    /* atomic: the next function id of the recording, from 1 */
	uint32_t ring_bytes; /* bytes of each call ring to use (a power of two); 0: all */
	uint32_t npatterns;
	uint32_t flags;	  /* enum hwt_inproc_config_flags */
	uint32_t wait_ms; /* how long the runtime waits for uprobes to be attached */
	/* The runtime's: what a traced call cost, measured again and again while the program
	 * runs (a few calls of a function of its own, every so many records of a thread), since
	 * what it costs at the start can differ from what it costs under the run's load. Sample
	 * i (i from cost_n, taken atomically) is at [i % HWT_INPROC_COST_SAMPLES], in ps: the whole
	 * call, and the part between the clock reads at its entry and return. */
	uint32_t cost_n;
	uint32_t cost_reserved;
	uint32_t cost_ps[HWT_INPROC_COST_SAMPLES];
	uint32_t cost_in_ps[HWT_INPROC_COST_SAMPLES];
};

enum hwt_inproc_config_flags {
	HWT_INPROC_MAIN_FILTERED = 1, /* an -F names the main program: not all of it is traced */
	HWT_INPROC_NO_UPROBES = 2,    /* refused functions stay untraced (no uprobe backend) */
	HWT_INPROC_CALIBRATED = 4,    /* set (atomically) by the first runtime that measures a
					 call: the others do not */
};

/** States of struct hwt_inproc_uprobes. */
enum hwt_inproc_uprobe_state {
	HWT_INPROC_UP_WAITING = 0,
	HWT_INPROC_UP_ATTACHED = 1,
	HWT_INPROC_UP_FAILED = 2,
};

struct hwt_inproc_uprobes {
	uint32_t state; /* enum hwt_inproc_uprobe_state: a futex word */
	uint32_t n;
	int32_t pid;
	uint32_t reserved;
};

struct hwt_inproc_uprobe {
	uint32_t id;
	uint32_t reason; /* the patcher's refusal code */
	uint64_t vaddr;	 /* the function's ELF address */
};

struct hwt_inproc_stats {
	int32_t pid;
	uint32_t nreasons;
	uint64_t patched;      /* functions patched */
	uint64_t refused;      /* functions the patcher refused */
	uint64_t call_ps;      /* a traced call (entry + return) measured in the runtime, in ps */
	uint64_t start_ns;     /* how long choosing and patching took before main (wall time: the
				* wait for uprobes included) */
	uint64_t start_cpu_ns; /* the CPU time it took */
	uint64_t call_in_ps;   /* of call_ps, the part between the clock reads at entry and return
				* (inside the call's own duration), in ps */
};

/** A selection pattern, as the config holds it. */
struct hwt_inproc_pattern {
	int exclude;
	const char *lib;  /* NULL: the main program */
	const char *glob; /* matched against the symbol name and the demangled one */
};

/** Bytes of a config entry body for @n patterns. */
size_t hwt_inproc_config_size(const struct hwt_inproc_pattern *p, size_t n);

/** Writes the config body (@head, then @n patterns) into @out (hwt_inproc_config_size()
 *  bytes). */
void hwt_inproc_config_write(uint8_t *out, const struct hwt_inproc_config *head,
			     const struct hwt_inproc_pattern *p, size_t n);

/** Reads pattern @i of the config body @body (@len bytes) from offset *@off (start with
 *  sizeof(struct hwt_inproc_config)) into @p (its strings borrowed from @body) and moves *@off.
 *  Returns 0, or HWT_E_CORRUPT. */
int hwt_inproc_pattern_next(const uint8_t *body, size_t len, size_t *off,
			    struct hwt_inproc_pattern *p);

/** Whether function @name (@demangled, may equal @name) of file @path (@is_main: the program
 *  itself) is chosen by the @n patterns @p (@main_filtered: an -F names the main program). The
 *  same rule as -b uprobe: without -F the program's functions but its C runtime start-up ones
 *  and libhwtrace's hwt_*. @matched (may be NULL) counts the functions each include pattern
 *  chose. */
int hwt_inproc_chosen(const struct hwt_inproc_pattern *p, size_t n, int main_filtered,
		      const char *path, int is_main, const char *name, const char *demangled,
		      uint64_t *matched);

/** A call ring record's kind and id. */
static inline uint32_t hwt_inproc_kind(uint32_t code)
{
	return code & 3u;
}
static inline uint32_t hwt_inproc_id(uint32_t code)
{
	return code >> 2;
}

#endif

/* Privacy at record time: the bytes of copied user stacks that lie at or above a process's
 * initial argv and environment strings are zeroed before they reach the recording. */
#ifndef HWT_CORE_SCRUB_H
#define HWT_CORE_SCRUB_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hwt_event_desc;

#define HWT_SCRUB_PAGES 1024 /* a power of two */

/** Where each process's argc and argv strings are, read from /proc once per drain round. Zero-
 *  initialised is empty; hwt_scrub_fini() frees it. */
struct hwt_scrub {
	struct hwt_idmap pids; /* pid -> index + 1 in @procs */
	struct hwt_scrub_proc {
		uint64_t startstack; /* where argc is: argv[0] follows */
		uint64_t arg_start;  /* 0: never known (the whole copy is zeroed) */
		uint64_t round;	     /* the round it was read in */
		int ran_user;	     /* a sample in its own code was seen: its exec is over */
		int stat_fd;	     /* its /proc/PID/stat open, + 1; 0: not open */
		uint64_t maps_round; /* the round its /proc/PID/maps was read in; 0: never */
	} * procs;
	size_t nprocs, cap_procs;
	uint64_t round;
	uint64_t zeroed; /* stack bytes zeroed so far */

	/* The executable mappings of every process seen (MMAP records, /proc/PID/maps), merged:
	 * sorted, disjoint, never forgotten (a word kept by mistake costs bytes, not callers). */
	struct hwt_scrub_range {
		uint64_t lo, hi;
	} * code;
	size_t ncode, cap_code;
	/* What hwt_scrub_is_code() found per page (mappings are whole pages), by a hash of it:
	 * (page + 1) << 1 | found, 0 empty; emptied when @code changes. */
	uint64_t pages[HWT_SCRUB_PAGES];
	uint64_t maps_since;	/* /proc/PID/maps read before this round may miss mappings */
	uint64_t sparse, whole; /* copies of HWT_DESC_SPARSE_STACK events made sparse, kept whole */
};

/** Looks up the event of a sample by its PERF_SAMPLE_IDENTIFIER; NULL if unknown. */
typedef const struct hwt_event_desc *(*hwt_scrub_desc_fn)(void *ctx, uint64_t id);

/** Copies the perf records @src..@src+@len (8-byte aligned, whole records) to @dst (which may
 *  be @src: the records only shrink), each user-stack copy cut to what the kernel filled
 *  (its dynamic size rounded up to 8 bytes, at least 8) and cut again at the sampled process's
 *  argc (/proc/PID/stat's startstack): from there up lie the argv and environment pointers and
 *  the auxiliary vector, then up to arg_start what exec left there, then argv, the environment
 *  and the program's path, none of which is copied. The whole copy is dropped (8 zero bytes
 *  stay, so that the parse still sees a stack) where the stack pointer or argc is not known, or
 *  where a main thread's copy cannot be shown to be of the image /proc describes (argv[0] at
 *  argc + 8 must point at arg_start; a sample taken during exec copies the old program's
 *  stack). The bytes not copied for these reasons are counted in @s->zeroed. @desc_of finds
 *  each sample's event (borrowed, with @ctx); records it cannot parse, and those it finds no
 *  event for, are copied as they are. The copies of events with HWT_DESC_SPARSE_STACK become
 *  sparse (core/format/perf_sample.h) where that is shorter: only the words that point into an
 *  executable mapping are kept (every return address does). That needs the mappings of the
 *  sampled process up to the sample: those of the MMAP records given to hwt_scrub_learn() so
 *  far, and /proc/PID/maps, read when a process is first seen and again (once a round) when the
 *  sampled user IP lies in no known mapping; where it still does not, the copy stays whole.
 *  Starts a new round: /proc is read again for each process sampled (it may have called exec).
 *  Returns the length written. */
size_t hwt_scrub_copy(struct hwt_scrub *s, uint8_t *dst, const uint8_t *src, size_t len,
		      hwt_scrub_desc_fn desc_of, void *ctx);

/** Learns the executable mapping of the perf record @rec (@len bytes of it readable: 72 are
 *  enough) if it is a PERF_RECORD_MMAP of code or a PERF_RECORD_MMAP2 with PROT_EXEC; other
 *  records are ignored. Returns 1 if it learnt one, 0 if not, HWT_E_NOMEM. */
int hwt_scrub_learn(struct hwt_scrub *s, const uint8_t *rec, size_t len);

/** The kernel lost records (PERF_RECORD_LOST): MMAP records among them. Each process's
 *  /proc/PID/maps is read again before the next copy of it is made sparse. */
void hwt_scrub_lost(struct hwt_scrub *s);

/** Learns the range [@lo, @hi) as executable. Returns 0 or HWT_E_NOMEM. */
int hwt_scrub_learn_range(struct hwt_scrub *s, uint64_t lo, uint64_t hi);

/** Whether @addr lies in an executable mapping learnt so far: 1 or 0. */
int hwt_scrub_is_code(struct hwt_scrub *s, uint64_t addr);

/** Reads the stack fields of process @pid now, as a copy of its would in this round: a process
 *  seen starting (a fork, an exec, a mapping) before it exits keeps them for its copies drained
 *  later. */
void hwt_scrub_prime(struct hwt_scrub *s, uint32_t pid);

/** Process @child was forked by @parent: reads both now, and gives @child @parent's stack fields
 *  if it could not be read (gone already). */
void hwt_scrub_fork(struct hwt_scrub *s, uint32_t parent, uint32_t child);

/** Frees what @s holds; NULL accepted. */
void hwt_scrub_fini(struct hwt_scrub *s);

#endif

/* Privacy at record time: the bytes of copied user stacks that lie at or above a process's
 * initial argv and environment strings are zeroed before they reach the recording. */
#ifndef HWT_CORE_SCRUB_H
#define HWT_CORE_SCRUB_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct hwt_event_desc;

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
	} * procs;
	size_t nprocs, cap_procs;
	uint64_t round;
	uint64_t zeroed; /* stack bytes zeroed so far */
};

/** Looks up the event of a sample by its PERF_SAMPLE_IDENTIFIER; NULL if unknown. */
typedef const struct hwt_event_desc *(*hwt_scrub_desc_fn)(void *ctx, uint64_t id);

/** Zeroes, in the perf records @p..@p+@len (8-byte aligned, whole records, written in place),
 *  the copied user-stack bytes at addresses at or above the sampled process's argc
 *  (/proc/PID/stat's startstack: the argv and environment pointers and auxiliary vector, then
 *  up to arg_start what exec left there, then argv, the environment and the program's path), and
 *  the whole copy where the stack pointer or that address is not known, or where a main
 *  thread's copy cannot be shown to be of the image /proc describes (argv[0] at argc + 8 must
 *  point at arg_start; a sample taken during exec copies the old program's stack). @desc_of finds
 * each sample's event (borrowed, with @ctx). Starts a new round: /proc is read again for each
 * process sampled (a process may have called exec). Returns how many bytes were zeroed. */
size_t hwt_scrub_records(struct hwt_scrub *s, uint8_t *p, size_t len, hwt_scrub_desc_fn desc_of,
			 void *ctx);

/** As hwt_scrub_records() and then hwt_perf_trim_stacks(), in one copy: writes the records
 *  @src..@src+@len to @dst (which may be @src: the records only shrink), each copied user stack
 *  cut where the kernel stopped filling it and where its zeroing would start (bytes at or above
 *  argc are never copied). Starts a new round. Returns the length written. */
size_t hwt_scrub_copy(struct hwt_scrub *s, uint8_t *dst, const uint8_t *src, size_t len,
		      hwt_scrub_desc_fn desc_of, void *ctx);

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

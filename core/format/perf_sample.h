/* PERF_RECORD_SAMPLE's layout: the fields a sample carries, found by its event's sample_type;
 * shared by the decoder and the recorder's scrub of copied stacks. */
#ifndef HWT_CORE_FORMAT_PERF_SAMPLE_H
#define HWT_CORE_FORMAT_PERF_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

/** Most members a group read may have: more is damage. */
#define HWT_PERF_GROUP_MAX 16

/** The fields of one sample; pointers are borrowed from the record (valid while it is). */
struct hwt_perf_sample {
	uint64_t ip, time, period, id;
	uint32_t pid, tid, cpu;
	const uint64_t *chain;
	uint64_t nchain;
	const uint64_t *read;
	size_t nread;
	const uint64_t *regs;
	uint64_t regs_abi;
	const uint8_t *stack;
	uint64_t stack_size;
	const uint8_t *raw; /* PERF_SAMPLE_RAW's bytes (padding included), NULL if none */
	uint32_t raw_size;
};

/** Finds the fields of the sample body @p..@end (after the perf_event_header) of event @e.
 *  Every field lies inside the body and every 64-bit one 8-byte aligned when @p is: a RAW or
 *  user-stack size that would break that is damage. Returns 0, or HWT_E_CORRUPT. */
int hwt_perf_sample_parse(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			  struct hwt_perf_sample *s);

/** The time of the sample @p..@end of event @e, as hwt_perf_sample_parse() would find it (0 if
 *  the event has none) into *@time: the same checks, none of the other fields kept. Returns 0,
 *  or HWT_E_CORRUPT (*@time 0). */
int hwt_perf_sample_time(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			 uint64_t *time);

/** Finds the event of a sample by its PERF_SAMPLE_IDENTIFIER; NULL if unknown. */
typedef const struct hwt_event_desc *(*hwt_perf_desc_fn)(void *ctx, uint64_t id);

/** Shortens, in the perf records @p..@p+@len (8-byte aligned, whole records, rewritten in
 *  place), each sample's copy of the user stack to what the kernel could copy into it: its
 *  dynamic size rounded up to 8 bytes (at least 8), the records after it moved down. What
 *  hwt_perf_sample_parse() gives of the sample is unchanged (stack_size is the dynamic size);
 *  the rest of the copy held whatever the ring held before. A thread whose stack lies less
 *  than the copy's size above its stack pointer leaves that much out: with -g dwarf's 8 KiB
 *  copies, about half of each sample. Records it cannot parse, and those @desc_of (with @ctx)
 *  finds no event for, stay as they are. Returns the records' new length. */
size_t hwt_perf_trim_stacks(uint8_t *p, size_t len, hwt_perf_desc_fn desc_of, void *ctx);

#endif

/* PERF_RECORD_SAMPLE's layout: the fields a sample carries, found by its event's sample_type;
 * shared by the decoder and the recorder's scrub of copied stacks. */
#ifndef HWT_CORE_FORMAT_PERF_SAMPLE_H
#define HWT_CORE_FORMAT_PERF_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "records.h"

/** Most members a group read may have: more is damage. */
#define HWT_PERF_GROUP_MAX 16

/*
 * A sparse user-stack copy (events with HWT_DESC_SPARSE_STACK): the recorder keeps, of the copy
 * the kernel made, only the 8-byte words the decoder can need (those that may be return
 * addresses); the others read as zeros. In the record, PERF_SAMPLE_STACK_USER's layout stays
 * (size, data, dynamic size): the data is a bitmap of the copy's word slots (slot i: bytes 8i to
 * 8i + 7 above the stack pointer; bit i % 64 of word i / 64), (extent + 511) / 512 words and at
 * least one, then the words of the slots it marks, in order; the size covers both; the dynamic
 * size is the copy's extent in bytes with HWT_STACK_SPARSE set. A copy without that bit is whole.
 */
/** The mark of a sparse copy in its dynamic size (the kernel's sizes stay below 64 KiB). */
#define HWT_STACK_SPARSE (1ull << 63)
/** The longest copy a sparse one may stand for, in bytes: more is damage. */
#define HWT_STACK_SPARSE_MAX 8192
/** Bitmap words of a sparse copy of @extent bytes. */
#define HWT_STACK_SPARSE_MAP_WORDS(extent) ((extent) > 511 ? ((extent) + 511) / 512 : 1)

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
	const uint8_t *stack;	   /* a whole copy; NULL when there is none or it is sparse */
	uint64_t stack_size;	   /* bytes of the copy that count (its extent when sparse) */
	const uint64_t *stack_map; /* a sparse copy: its bitmap then its words; NULL if none */
	const uint8_t *raw;	   /* PERF_SAMPLE_RAW's bytes (padding included), NULL if none */
	uint32_t raw_size;
};

/** Finds the fields of the sample body @p..@end (after the perf_event_header) of event @e.
 *  Every field lies inside the body and every 64-bit one 8-byte aligned when @p is: a RAW or
 *  user-stack size that would break that is damage, and so is a sparse copy (only for an event
 *  with HWT_DESC_SPARSE_STACK) whose extent passes HWT_STACK_SPARSE_MAX or whose bitmap does not
 *  count its words or marks slots past its extent. Returns 0, or HWT_E_CORRUPT. */
int hwt_perf_sample_parse(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			  struct hwt_perf_sample *s);

/** hwt_perf_sample_parse() of a sample it (or hwt_perf_sample_time()) accepted already with the
 *  same @e: the same fields, found without counting the sparse copy's bitmap again (the one
 *  check that costs more than a comparison); the bounds are still checked. Returns 0, or
 *  HWT_E_CORRUPT. */
int hwt_perf_sample_reparse(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			    struct hwt_perf_sample *s);

/** Copies the @n bytes at offset @off of @s's user-stack copy, whole or sparse (zeros where a
 *  sparse copy kept nothing), to @buf. Returns 0, or HWT_E_INVAL when @s has no copy or the
 *  bytes pass its size (stack_size). */
int hwt_perf_stack_read(const struct hwt_perf_sample *s, uint64_t off, void *buf, size_t n);

/** Writes @s's user-stack copy, whole or sparse (zeros where a sparse copy kept nothing), to
 *  @buf: its first min(stack_size, @cap) bytes. Returns how many. */
size_t hwt_perf_stack_expand(const struct hwt_perf_sample *s, uint8_t *buf, size_t cap);

/** Writes to @out the data of the sparse copy of @copy, @extent bytes that count (at most
 *  HWT_STACK_SPARSE_MAX; whole 8-byte slots are read, the last one may pass @extent): the bitmap
 *  @map (HWT_STACK_SPARSE_MAP_WORDS(@extent) words, no bit past the extent's slots) then the
 *  slots it marks. @out must not overlap @copy. Returns the bytes written. */
size_t hwt_perf_stack_pack(uint8_t *out, const uint8_t *copy, uint64_t extent, const uint64_t *map);

/** The time of the sample @p..@end of event @e, as hwt_perf_sample_parse() would find it (0 if
 *  the event has none) into *@time: the same checks, none of the other fields kept. Returns 0,
 *  or HWT_E_CORRUPT (*@time 0). */
int hwt_perf_sample_time(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			 uint64_t *time);

#endif

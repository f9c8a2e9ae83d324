/* The host's own stream in a recording, "hwt.custom": what counter and object plugins and the
 * in-program library put on the timeline (counter values, object snapshots, instants, spans,
 * flows, markers), decoded generically so that no plugin needs a decoder of its own. One writer
 * (the host, core/host_tracks.c) and one reader (decoders/custom/custom_decode.c).
 *
 * The stream is a sequence of records, each a struct hwt_custom_rec header and @len body bytes,
 * padded to 8. Bodies by type (u32 little-endian, strings NUL-terminated, "tree" a value tree
 * of format/value.h filling the rest of the body, possibly empty):
 *   COUNTER_TRACK  u32 track, u32 scope (enum hwt_track_scope), u32 flags (enum
 *                  hwt_track_flags), u32 0, name, unit         (header pid/tid: the scope's)
 *   COUNTER        u32 track, u32 0, f64 value
 *   OBJECT_TRACK   u32 track, u32 scope, name                  (header pid/tid: the scope's)
 *   OBJECT         u32 track, u32 0, tree (the snapshot)
 *   INSTANT        name, tree (its arguments)                  (tid 0: the process, pid 0:
 *                                                               global)
 *   SPAN_BEGIN     name, tree (arguments)                      on thread tid of pid
 *   SPAN_ARGS      tree: more arguments of the innermost open span of the thread
 *   SPAN_END       tree: arguments added as it ends
 *   FLOW           u64 flow, u32 phase (enum hwt_flow_phase), u32 0, name
 *   MARKER         plugin, message: a plugin was disabled (or another problem of the host's)
 *   LOST           u64 count: events of thread tid of pid lost just before (a full ring)
 * Track ids are the host's, numbered from 1 in the order of declaration; a track is declared
 * before its first value.
 */
#ifndef HWT_CORE_FORMAT_CUSTOM_H
#define HWT_CORE_FORMAT_CUSTOM_H

#include <stddef.h>
#include <stdint.h>

/** COUNTER_TRACK flags: HWT_TRACK_CUMULATIVE of plugin.h, a running total. */
#define HWT_CR_CUMULATIVE 1u

/** The name of the host's stream (a HWT_CHUNK_SOURCE). */
#define HWT_CUSTOM_SOURCE "hwt.custom"

enum hwt_custom_type {
	HWT_CR_COUNTER_TRACK = 1,
	HWT_CR_COUNTER = 2,
	HWT_CR_OBJECT_TRACK = 3,
	HWT_CR_OBJECT = 4,
	HWT_CR_INSTANT = 5,
	HWT_CR_SPAN_BEGIN = 6,
	HWT_CR_SPAN_ARGS = 7,
	HWT_CR_SPAN_END = 8,
	HWT_CR_FLOW = 9,
	HWT_CR_MARKER = 10,
	HWT_CR_LOST = 11,
};

struct hwt_custom_rec {
	uint16_t type; /* enum hwt_custom_type */
	uint16_t reserved;
	uint32_t len; /* body bytes after this header, before padding */
	uint64_t ts;  /* CLOCK_MONOTONIC ns */
	int32_t pid, tid;
};

/** Bytes a record of @body bytes takes in the stream. */
static inline size_t hwt_custom_size(size_t body)
{
	return sizeof(struct hwt_custom_rec) + ((body + 7) & ~(size_t)7);
}

/** The next record of the @len bytes at @p (8-aligned): its header into *@rec and *@body to its
 *  body (borrowed). Returns the bytes it takes (> 0), 0 at the end, HWT_E_CORRUPT when the
 *  bytes left cannot hold it. */
long hwt_custom_next(const void *p, size_t len, struct hwt_custom_rec *rec, const uint8_t **body);

/** A NUL-terminated string at @off of a body of @len bytes: *@s to it and the offset after its
 *  NUL; HWT_E_CORRUPT when it has no NUL. */
long hwt_custom_str(const uint8_t *body, size_t len, size_t off, const char **s);

#endif

/* A small protobuf wire-format writer: a growable byte buffer with nested messages whose
 * length prefixes are patched when the message ends. */
#ifndef HWT_EXPORTERS_PBUF_H
#define HWT_EXPORTERS_PBUF_H

#include <stddef.h>
#include <stdint.h>

/* Deepest nesting of open messages hwt_pbuf_begin() accepts: a packet, its track event and a
 * value tree of HWT_VALUE_MAX_DEPTH (32) containers as debug annotations fit. */
#define HWT_PBUF_MAX_DEPTH 40

/** A protobuf being written. Initialise with hwt_pbuf_init(), release with hwt_pbuf_fini().
 *  Writers never fail loudly: the first error sticks in @err and later writes are ignored, so
 *  callers check hwt_pbuf_error() once when the message is complete. */
struct hwt_pbuf {
	uint8_t *data; /* owned: the encoded bytes, @len of them */
	size_t len, cap;
	int err; /* 0 or the first negative enum hwt_error */
	unsigned depth;
	size_t open[HWT_PBUF_MAX_DEPTH]; /* where each open message's body starts */
};

/** Sets up an empty buffer (no allocation yet). */
void hwt_pbuf_init(struct hwt_pbuf *b);
/** Frees what @b holds; @b may be reused after hwt_pbuf_init(). NULL accepted. */
void hwt_pbuf_fini(struct hwt_pbuf *b);
/** Empties @b, keeping its memory, and clears its error. */
void hwt_pbuf_reset(struct hwt_pbuf *b);
/** 0, or the first error a write hit: HWT_E_NOMEM, or HWT_E_INVAL for unbalanced nesting. */
int hwt_pbuf_error(const struct hwt_pbuf *b);

/** Appends a varint field (wire type 0): uint32/64, int32/64 (negatives as 10 bytes), bool,
 *  enum. */
void hwt_pbuf_varint(struct hwt_pbuf *b, uint32_t field, uint64_t v);
/** Appends a 64-bit field (wire type 1) holding @v little-endian. */
void hwt_pbuf_fixed64(struct hwt_pbuf *b, uint32_t field, uint64_t v);
/** Appends a double field (wire type 1). */
void hwt_pbuf_double(struct hwt_pbuf *b, uint32_t field, double v);
/** Appends a length-delimited field (wire type 2) with @len bytes copied from @p. */
void hwt_pbuf_bytes(struct hwt_pbuf *b, uint32_t field, const void *p, size_t len);
/** Appends the NUL-terminated @s as a string field. */
void hwt_pbuf_string(struct hwt_pbuf *b, uint32_t field, const char *s);
/** Appends a bare varint with no tag, for the body of a packed repeated field. */
void hwt_pbuf_raw_varint(struct hwt_pbuf *b, uint64_t v);

/** Writes @v as a bare varint at @p, which has room for 10 bytes; returns the end of it. For
 *  writers that lay out small messages by hand. */
static inline uint8_t *hwt_pbuf_put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/** Opens a nested message (or packed repeated field) @field; every begin needs an end. */
void hwt_pbuf_begin(struct hwt_pbuf *b, uint32_t field);
/** Closes the innermost open message, writing its length in front of it. */
void hwt_pbuf_end(struct hwt_pbuf *b);

#endif

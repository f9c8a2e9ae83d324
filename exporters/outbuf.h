/* The text writer of the exporters that write per event (Chrome JSON, the call tree): bytes go
 * into a large buffer of its own and reach the FILE in big writes, and numbers are formatted by
 * hand, so that an event costs a few copies rather than a printf per field. */
#ifndef HWT_EXPORTERS_OUTBUF_H
#define HWT_EXPORTERS_OUTBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/** A buffered writer. Zero-initialised it is unusable: hwt_outbuf_init() it. */
struct hwt_outbuf {
	FILE *out; /* borrowed: where full buffers go; NULL: the bytes stay and the buffer grows */
	char *buf; /* owned */
	size_t len, cap;
	int err; /* 0, or the first failure (HWT_E_IO, HWT_E_NOMEM): later writes are dropped */
};

/** Largest number of bytes hwt_fmt_u64() and hwt_fmt_i64() write. */
#define HWT_FMT_INT_MAX 20

/** Makes @b write to @out (borrowed until hwt_outbuf_fini(); NULL: keep everything in memory).
 *  Returns 0 or HWT_E_NOMEM. */
int hwt_outbuf_init(struct hwt_outbuf *b, FILE *out);
/** Frees what @b holds, without writing what it still holds (hwt_outbuf_flush() first). */
void hwt_outbuf_fini(struct hwt_outbuf *b);
/** Hands what @b holds to its FILE (stdio's own buffer is not flushed). Returns 0, or @b's error:
 *  HWT_E_IO when a write failed, HWT_E_NOMEM when a byte could not be held. */
int hwt_outbuf_flush(struct hwt_outbuf *b);
/** For hwt_outbuf_room(): makes @n bytes of room, writing out or growing. NULL (and @b's error
 *  set) when it cannot. */
char *hwt_outbuf_room_slow(struct hwt_outbuf *b, size_t n);
/** Appends like printf; for the rare and long lines, not the per-event ones. */
void hwt_outbuf_printf(struct hwt_outbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/** Room for @n bytes at the end of @b: write up to @n there, then hwt_outbuf_commit() the end.
 *  NULL (@b's error set) when it cannot be made. */
static inline char *hwt_outbuf_room(struct hwt_outbuf *b, size_t n)
{
	if (__builtin_expect(b->cap - b->len >= n, 1))
		return b->buf + b->len;
	return hwt_outbuf_room_slow(b, n);
}

/** Ends what was written into hwt_outbuf_room()'s room at @end. */
static inline void hwt_outbuf_commit(struct hwt_outbuf *b, char *end)
{
	b->len = (size_t)(end - b->buf);
}

/** Appends @n bytes at @p. */
static inline void hwt_outbuf_mem(struct hwt_outbuf *b, const void *p, size_t n)
{
	char *d = hwt_outbuf_room(b, n);

	if (d) {
		memcpy(d, p, n);
		b->len += n;
	}
}

/** Appends the NUL-terminated @s. */
static inline void hwt_outbuf_str(struct hwt_outbuf *b, const char *s)
{
	hwt_outbuf_mem(b, s, strlen(s));
}

/** Appends the byte @c. */
static inline void hwt_outbuf_char(struct hwt_outbuf *b, char c)
{
	char *d = hwt_outbuf_room(b, 1);

	if (d)
		b->buf[b->len++] = c;
}

/* "00" "01" ... "99": two digits at a time. */
extern const char hwt_digit_pairs[200];

/* 10^0 .. 10^19. */
extern const uint64_t hwt_pow10[20];

/** Number of decimal digits of @v (1 for 0). */
static inline unsigned hwt_u64_digits(uint64_t v)
{
	/* log10(2) ~ 1233 / 4096: a guess from the bit length, then one comparison. */
	unsigned bits = 64 - (unsigned)__builtin_clzll(v | 1), d = (bits * 1233) >> 12;

	return d + ((v | 1) >= hwt_pow10[d]); /* v | 1: 0 has one digit */
}

/* The 8 digits of @v < 10^8 at @p: two halves, four pairs, computed side by side. */
static inline void hwt_fmt_8digits(char *p, uint32_t v)
{
	uint32_t a = v / 10000, b = v % 10000;

	memcpy(p, hwt_digit_pairs + 2 * (a / 100), 2);
	memcpy(p + 2, hwt_digit_pairs + 2 * (a % 100), 2);
	memcpy(p + 4, hwt_digit_pairs + 2 * (b / 100), 2);
	memcpy(p + 6, hwt_digit_pairs + 2 * (b % 100), 2);
}

/** Writes @v in decimal at @p (at most HWT_FMT_INT_MAX bytes, no NUL); returns the end. The
 *  digits go straight to their place, last first, eight and then two at a time: no division
 *  waits on more than a few others. */
static inline char *hwt_fmt_u64(char *p, uint64_t v)
{
	char *end = p + hwt_u64_digits(v), *q = end;
	uint32_t w;

	while (v >= 100000000) {
		uint64_t hi = v / 100000000;

		q -= 8;
		hwt_fmt_8digits(q, (uint32_t)(v - hi * 100000000));
		v = hi;
	}
	for (w = (uint32_t)v; w >= 100; w /= 100) {
		q -= 2;
		memcpy(q, hwt_digit_pairs + 2 * (w % 100), 2);
	}
	if (w >= 10) {
		q -= 2;
		memcpy(q, hwt_digit_pairs + 2 * w, 2);
	} else {
		*--q = (char)('0' + w);
	}
	return end;
}

/** Writes @v in decimal, '-' first when negative, at @p (at most HWT_FMT_INT_MAX bytes, no
 *  NUL); returns the end. */
static inline char *hwt_fmt_i64(char *p, int64_t v)
{
	if (v >= 0)
		return hwt_fmt_u64(p, (uint64_t)v);
	*p++ = '-';
	return hwt_fmt_u64(p, -(uint64_t)v);
}

/** Writes @v as exactly @n decimal digits (zeros first), @v < 10^@n, at @p; returns the end. */
static inline char *hwt_fmt_fixed(char *p, uint64_t v, unsigned n)
{
	for (unsigned i = n; i > 0; i--, v /= 10)
		p[i - 1] = (char)('0' + v % 10);
	return p + n;
}

/** Writes @v in decimal right-aligned in @width columns (spaces first; wider when it needs to
 *  be, as printf's "%*llu"), at @p (at most max(@width, HWT_FMT_INT_MAX) bytes); returns the
 *  end. */
static inline char *hwt_fmt_u64_pad(char *p, uint64_t v, unsigned width)
{
	unsigned n = hwt_u64_digits(v);

	if (n < width) {
		memset(p, ' ', width - n);
		p += width - n;
	}
	return hwt_fmt_u64(p, v);
}

/** Appends @n spaces. */
void hwt_outbuf_spaces(struct hwt_outbuf *b, size_t n);

/** Appends @v in decimal. */
static inline void hwt_outbuf_u64(struct hwt_outbuf *b, uint64_t v)
{
	char *d = hwt_outbuf_room(b, HWT_FMT_INT_MAX);

	if (d)
		hwt_outbuf_commit(b, hwt_fmt_u64(d, v));
}

/** Appends @v in decimal, '-' first when negative. */
static inline void hwt_outbuf_i64(struct hwt_outbuf *b, int64_t v)
{
	char *d = hwt_outbuf_room(b, HWT_FMT_INT_MAX);

	if (d)
		hwt_outbuf_commit(b, hwt_fmt_i64(d, v));
}

#endif

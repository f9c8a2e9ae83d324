/* Value trees in a recording: the arguments of instants and spans and the snapshots of objects,
 * a JSON-like tree (integers, doubles, strings, booleans, null, lists, maps) in one compact
 * binary form. The writer is header-only and needs nothing beyond libc, so that the in-program
 * library (lib/) writes the same bytes as the host; the reader (value.c) serves decoders and
 * exporters.
 *
 * Encoding, little-endian, no alignment: a value is a tag byte, then
 *   HWT_VAL_NULL    nothing
 *   HWT_VAL_FALSE   nothing                HWT_VAL_TRUE   nothing
 *   HWT_VAL_INT     8 bytes, int64         HWT_VAL_DOUBLE 8 bytes, IEEE double
 *   HWT_VAL_STRING  u32 length, the bytes (UTF-8 expected, not checked; no NUL)
 *   HWT_VAL_LIST    u32 count, then count values
 *   HWT_VAL_MAP     u32 count, then count pairs: u32 key length, key bytes, value
 * A tree ("args") is one value, a map at the top. Empty args: no bytes at all.
 */
#ifndef HWT_CORE_FORMAT_VALUE_H
#define HWT_CORE_FORMAT_VALUE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum hwt_value_tag {
	HWT_VAL_NULL = 1,
	HWT_VAL_FALSE = 2,
	HWT_VAL_TRUE = 3,
	HWT_VAL_INT = 4,
	HWT_VAL_DOUBLE = 5,
	HWT_VAL_STRING = 6,
	HWT_VAL_LIST = 7,
	HWT_VAL_MAP = 8,
};

/** Lists and maps nest this deep at most; deeper trees are refused (writer and reader). */
#define HWT_VALUE_MAX_DEPTH 32

/* ---- writer: into a caller's buffer, bounds-checked ------------------------------------ */

/** A tree being written into @buf. Zero it, set .buf and .cap, then put values: a map at the
 *  top for args. A write that does not fit, a container nested too deep, or an end with none
 *  open sets .bad, after which nothing more is written and .len means nothing. */
struct hwt_value_writer {
	uint8_t *buf;
	size_t cap, len;
	int bad;
	uint32_t depth;
	uint8_t tag[HWT_VALUE_MAX_DEPTH];     /* each open container: LIST or MAP */
	size_t count_at[HWT_VALUE_MAX_DEPTH]; /* where its count goes */
	uint32_t count[HWT_VALUE_MAX_DEPTH];
};

static inline int hwt_vw_raw(struct hwt_value_writer *w, const void *p, size_t n)
{
	if (w->bad || n > w->cap - w->len) {
		w->bad = 1;
		return -1;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static inline int hwt_vw_u32(struct hwt_value_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return hwt_vw_raw(w, b, 4);
}

static inline int hwt_vw_u64(struct hwt_value_writer *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	return hwt_vw_raw(w, b, 8);
}

/* The start of a value: its key (@n bytes at @key) when the innermost open container is a map,
 * counted in that container, then its tag. hwt_vw_head() takes a NUL-terminated @key (NULL:
 * ""). */
static inline int hwt_vw_headn(struct hwt_value_writer *w, const char *key, size_t n, uint8_t tag)
{
	if (w->depth) {
		uint32_t d = w->depth - 1;
		w->count[d]++;
		if (w->tag[d] == HWT_VAL_MAP &&
		    (n > UINT32_MAX || hwt_vw_u32(w, (uint32_t)n) || (n && hwt_vw_raw(w, key, n))))
			return -1;
	}
	return hwt_vw_raw(w, &tag, 1);
}

static inline int hwt_vw_head(struct hwt_value_writer *w, const char *key, uint8_t tag)
{
	return hwt_vw_headn(w, key, key ? strlen(key) : 0, tag);
}

/** Scalars. @key names the value inside a map and is ignored elsewhere. 0, or -1 (see .bad). */
static inline int hwt_vw_null(struct hwt_value_writer *w, const char *key)
{
	return hwt_vw_head(w, key, HWT_VAL_NULL);
}

static inline int hwt_vw_bool(struct hwt_value_writer *w, const char *key, int v)
{
	return hwt_vw_head(w, key, v ? HWT_VAL_TRUE : HWT_VAL_FALSE);
}

static inline int hwt_vw_int(struct hwt_value_writer *w, const char *key, int64_t v)
{
	return hwt_vw_head(w, key, HWT_VAL_INT) ? -1 : hwt_vw_u64(w, (uint64_t)v);
}

static inline int hwt_vw_double(struct hwt_value_writer *w, const char *key, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	return hwt_vw_head(w, key, HWT_VAL_DOUBLE) ? -1 : hwt_vw_u64(w, u);
}

/** A string of @n bytes at @s. */
static inline int hwt_vw_strn(struct hwt_value_writer *w, const char *key, const char *s, size_t n)
{
	if (n > UINT32_MAX || hwt_vw_head(w, key, HWT_VAL_STRING) || hwt_vw_u32(w, (uint32_t)n))
		return -1;
	return hwt_vw_raw(w, s, n);
}

static inline int hwt_vw_str(struct hwt_value_writer *w, const char *key, const char *s)
{
	return hwt_vw_strn(w, key, s ? s : "", s ? strlen(s) : 0);
}

/** Opens a list (@tag HWT_VAL_LIST) or a map (HWT_VAL_MAP) under a key of @n bytes at @key;
 *  hwt_vw_end() closes it. hwt_vw_begin() takes a NUL-terminated @key. */
static inline int hwt_vw_beginn(struct hwt_value_writer *w, const char *key, size_t n, uint8_t tag)
{
	if (w->depth >= HWT_VALUE_MAX_DEPTH || (tag != HWT_VAL_LIST && tag != HWT_VAL_MAP))
		w->bad = 1;
	if (hwt_vw_headn(w, key, n, tag) || hwt_vw_u32(w, 0))
		return -1;
	w->tag[w->depth] = tag;
	w->count_at[w->depth] = w->len - 4;
	w->count[w->depth++] = 0;
	return 0;
}

static inline int hwt_vw_begin(struct hwt_value_writer *w, const char *key, uint8_t tag)
{
	return hwt_vw_beginn(w, key, key ? strlen(key) : 0, tag);
}

static inline int hwt_vw_end(struct hwt_value_writer *w)
{
	if (!w->depth)
		w->bad = 1;
	if (w->bad)
		return -1;
	uint32_t c = w->count[--w->depth];
	uint8_t *p = w->buf + w->count_at[w->depth];
	p[0] = (uint8_t)c, p[1] = (uint8_t)(c >> 8), p[2] = (uint8_t)(c >> 16),
	p[3] = (uint8_t)(c >> 24);
	return 0;
}

/* ---- reader (value.c) ------------------------------------------------------------------ */

/** One value as the reader gives it. Strings point into the tree (not NUL-terminated). */
struct hwt_value {
	uint8_t tag;	 /* enum hwt_value_tag */
	const char *key; /* inside a map: its key (@keylen bytes); else NULL */
	uint32_t keylen;
	int64_t i;     /* INT; FALSE/TRUE: 0/1 */
	double d;      /* DOUBLE */
	const char *s; /* STRING: @n bytes */
	uint32_t n;    /* STRING: bytes; LIST, MAP: items */
};

/** Walks a tree in order: containers are entered, hwt_value_next() gives 1 per value and -1
 *  at each container's end (so a consumer nests its output), 0 at the end of the tree. */
struct hwt_value_reader {
	const uint8_t *p, *end;
	uint32_t depth;
	uint8_t tag[HWT_VALUE_MAX_DEPTH];
	uint32_t left[HWT_VALUE_MAX_DEPTH]; /* items still to read in each open container */
};

/** Starts reading the @len bytes at @tree (borrowed while reading). */
void hwt_value_reader_init(struct hwt_value_reader *r, const void *tree, size_t len);
/** The next value into *@v: 1, -1 when the innermost container ends (v->tag is its tag), 0 at
 *  the end of the tree, HWT_E_CORRUPT (negative) on malformed bytes (truncated, bad tag, too
 *  deep, trailing bytes). */
int hwt_value_next(struct hwt_value_reader *r, struct hwt_value *v);
/** Checks that @len bytes at @tree are one well-formed value: 0 or HWT_E_CORRUPT. */
int hwt_value_check(const void *tree, size_t len);

#endif

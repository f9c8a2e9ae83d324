/* Protobuf wire-format writer: varints, fixed64, length-delimited fields and nested messages. */
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "pbuf.h"

enum { WIRE_VARINT = 0, WIRE_FIXED64 = 1, WIRE_LEN = 2 };

/* A nested message reserves this many bytes for its length: one covers bodies under 128 bytes,
 * the common case, and longer bodies are moved up once when the message ends. */
#define LEN_RESERVE 1

void hwt_pbuf_init(struct hwt_pbuf *b)
{
	*b = (struct hwt_pbuf){ 0 };
}

void hwt_pbuf_fini(struct hwt_pbuf *b)
{
	if (!b)
		return;
	free(b->data);
	*b = (struct hwt_pbuf){ 0 };
}

void hwt_pbuf_reset(struct hwt_pbuf *b)
{
	b->len = 0;
	b->err = 0;
	b->depth = 0;
}

int hwt_pbuf_error(const struct hwt_pbuf *b)
{
	if (!b)
		return HWT_E_INVAL;
	if (b->err)
		return b->err;
	return b->depth ? HWT_E_INVAL : 0;
}

/* Makes room for @n more bytes; 0 or the sticky error. */
static int reserve(struct hwt_pbuf *b, size_t n)
{
	size_t ncap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (b->cap - b->len >= n)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap - b->len < n) {
		if (ncap > SIZE_MAX / 2) {
			b->err = HWT_E_NOMEM;
			return b->err;
		}
		ncap *= 2;
	}
	p = realloc(b->data, ncap);
	if (!p) {
		b->err = HWT_E_NOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = ncap;
	return 0;
}

static inline size_t varint_size(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Writes @v at @p (which has room for 10 bytes); returns the bytes written. */
static inline size_t put_varint(uint8_t *p, uint64_t v)
{
	return (size_t)(hwt_pbuf_put_varint(p, v) - p);
}

void hwt_pbuf_raw_varint(struct hwt_pbuf *b, uint64_t v)
{
	if (reserve(b, 10))
		return;
	b->len += put_varint(b->data + b->len, v);
}

static inline void put_tag(struct hwt_pbuf *b, uint32_t field, unsigned wire)
{
	b->len += put_varint(b->data + b->len, (uint64_t)field << 3 | wire);
}

void hwt_pbuf_varint(struct hwt_pbuf *b, uint32_t field, uint64_t v)
{
	if (reserve(b, 20))
		return;
	put_tag(b, field, WIRE_VARINT);
	b->len += put_varint(b->data + b->len, v);
}

void hwt_pbuf_fixed64(struct hwt_pbuf *b, uint32_t field, uint64_t v)
{
	int i;

	if (reserve(b, 18))
		return;
	put_tag(b, field, WIRE_FIXED64);
	for (i = 0; i < 8; i++)
		b->data[b->len++] = (uint8_t)(v >> (8 * i));
}

void hwt_pbuf_double(struct hwt_pbuf *b, uint32_t field, double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	hwt_pbuf_fixed64(b, field, u);
}

void hwt_pbuf_bytes(struct hwt_pbuf *b, uint32_t field, const void *p, size_t len)
{
	if (len > SIZE_MAX - 20) {
		b->err = b->err ? b->err : HWT_E_NOMEM;
		return;
	}
	if (reserve(b, 20 + len))
		return;
	put_tag(b, field, WIRE_LEN);
	b->len += put_varint(b->data + b->len, len);
	if (len)
		memcpy(b->data + b->len, p, len);
	b->len += len;
}

void hwt_pbuf_string(struct hwt_pbuf *b, uint32_t field, const char *s)
{
	hwt_pbuf_bytes(b, field, s ? s : "", s ? strlen(s) : 0);
}

void hwt_pbuf_begin(struct hwt_pbuf *b, uint32_t field)
{
	if (b->depth >= HWT_PBUF_MAX_DEPTH) {
		b->err = b->err ? b->err : HWT_E_INVAL;
		return;
	}
	if (reserve(b, 10 + LEN_RESERVE))
		return;
	put_tag(b, field, WIRE_LEN);
	b->len += LEN_RESERVE;
	b->open[b->depth++] = b->len;
}

void hwt_pbuf_end(struct hwt_pbuf *b)
{
	size_t start, body, need;

	if (b->err)
		return;
	if (!b->depth) {
		b->err = HWT_E_INVAL;
		return;
	}
	start = b->open[--b->depth];
	body = b->len - start;
	need = varint_size(body);
	if (need > LEN_RESERVE) {
		if (reserve(b, need - LEN_RESERVE))
			return;
		memmove(b->data + start + need - LEN_RESERVE, b->data + start, body);
		b->len += need - LEN_RESERVE;
	}
	put_varint(b->data + start - LEN_RESERVE, body);
}

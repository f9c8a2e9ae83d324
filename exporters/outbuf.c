/* The exporters' buffered text writer: one large buffer, written out in big pieces. */
#include <stdarg.h>
#include <stdlib.h>

#include "hwtrace/error.h"
#include "outbuf.h"

/* Bytes held before they go to the FILE: large enough that a write costs nothing per event. */
#define OUTBUF_SIZE (256u * 1024u)

const char hwt_digit_pairs[200] = "00010203040506070809"
				  "10111213141516171819"
				  "20212223242526272829"
				  "30313233343536373839"
				  "40414243444546474849"
				  "50515253545556575859"
				  "60616263646566676869"
				  "70717273747576777879"
				  "80818283848586878889"
				  "90919293949596979899";

const uint64_t hwt_pow10[20] = {
	1ull,
	10ull,
	100ull,
	1000ull,
	10000ull,
	100000ull,
	1000000ull,
	10000000ull,
	100000000ull,
	1000000000ull,
	10000000000ull,
	100000000000ull,
	1000000000000ull,
	10000000000000ull,
	100000000000000ull,
	1000000000000000ull,
	10000000000000000ull,
	100000000000000000ull,
	1000000000000000000ull,
	10000000000000000000ull,
};

int hwt_outbuf_init(struct hwt_outbuf *b, FILE *out)
{
	*b = (struct hwt_outbuf){ .out = out };
	b->buf = malloc(OUTBUF_SIZE);
	if (!b->buf)
		return HWT_E_NOMEM;
	b->cap = OUTBUF_SIZE;
	return 0;
}

void hwt_outbuf_fini(struct hwt_outbuf *b)
{
	free(b->buf);
	*b = (struct hwt_outbuf){ 0 };
}

int hwt_outbuf_flush(struct hwt_outbuf *b)
{
	if (b->out && b->len && !b->err) {
		if (fwrite_unlocked(b->buf, 1, b->len, b->out) != b->len)
			b->err = HWT_E_IO;
	}
	if (b->out)
		b->len = 0;
	return b->err;
}

char *hwt_outbuf_room_slow(struct hwt_outbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return NULL;
	if (b->out && hwt_outbuf_flush(b))
		return NULL;
	if (b->cap - b->len >= n)
		return b->buf + b->len;
	/* In memory, or a single piece larger than the buffer: grow. */
	for (cap = b->cap ? b->cap : OUTBUF_SIZE; cap - b->len < n; cap *= 2)
		if (cap > SIZE_MAX / 4) {
			b->err = HWT_E_NOMEM;
			return NULL;
		}
	p = realloc(b->buf, cap);
	if (!p) {
		b->err = HWT_E_NOMEM;
		return NULL;
	}
	b->buf = p;
	b->cap = cap;
	return b->buf + b->len;
}

void hwt_outbuf_spaces(struct hwt_outbuf *b, size_t n)
{
	while (n) {
		size_t k = n < 4096 ? n : 4096;
		char *d = hwt_outbuf_room(b, k);

		if (!d)
			return;
		memset(d, ' ', k);
		b->len += k;
		n -= k;
	}
}

void hwt_outbuf_printf(struct hwt_outbuf *b, const char *fmt, ...)
{
	va_list ap;
	char *d = hwt_outbuf_room(b, 128);
	int n;

	if (!d)
		return;
	va_start(ap, fmt);
	n = vsnprintf(d, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		d = hwt_outbuf_room(b, (size_t)n + 1);
		if (!d)
			return;
		va_start(ap, fmt);
		vsnprintf(d, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

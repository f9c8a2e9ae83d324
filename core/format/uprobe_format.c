/* The uprobe backend's stream records and function tables: the one writer and reader of each. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "uprobe_format.h"

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;

	/* Most values (kinds, thread indexes, time deltas under 16 us) take one or two bytes. */
	if (__builtin_expect(*p < end && !(**p & 0x80), 1)) {
		*v = *(*p)++;
		return 0;
	}
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

size_t hwt_uprobe_record_put(uint8_t *p, const struct hwt_uprobe_record *r)
{
	size_t n = put_varint(p, (uint64_t)r->id << UP_KIND_BITS | r->kind);

	n += put_varint(p + n, r->a);
	if (r->kind == UP_KIND_THREAD || r->kind == UP_KIND_GAP)
		return n + put_varint(p + n, r->b);
	n += put_varint(p + n, zigzag((int64_t)r->b));
	return n + put_varint(p + n, zigzag(r->c));
}

int hwt_uprobe_record_get(const uint8_t **p, const uint8_t *end, struct hwt_uprobe_record *r)
{
	uint64_t code, c;

	if (get_varint(p, end, &code) || get_varint(p, end, &r->a) || get_varint(p, end, &r->b))
		return -1;
	r->kind = (uint32_t)(code & ((1u << UP_KIND_BITS) - 1));
	r->id = (uint32_t)(code >> UP_KIND_BITS);
	r->c = 0;
	if (r->kind == UP_KIND_THREAD || r->kind == UP_KIND_GAP)
		return 0;
	if (get_varint(p, end, &c))
		return -1;
	r->b = (uint64_t)unzigzag(r->b);
	r->c = unzigzag(c);
	return 0;
}

static int table_put(struct hwt_uprobe_table *t, const void *bytes, size_t n)
{
	if (HWT_ARRAY_GROW(t->data, &t->cap, t->len + n + 10))
		return HWT_E_NOMEM;
	t->len += put_varint(t->data + t->len, n);
	memcpy(t->data + t->len, bytes, n);
	t->len += n;
	return 0;
}

int hwt_uprobe_table_begin(struct hwt_uprobe_table *t, const char *path)
{
	t->len = 0;
	if (HWT_ARRAY_GROW(t->data, &t->cap, 1))
		return HWT_E_NOMEM;
	t->data[t->len++] = UP_TABLE_VERSION;
	return table_put(t, path, strlen(path));
}

int hwt_uprobe_table_add(struct hwt_uprobe_table *t, uint32_t id, uint64_t vaddr, uint64_t size,
			 uint32_t flags, const char *name)
{
	if (HWT_ARRAY_GROW(t->data, &t->cap, t->len + 4 * 10))
		return HWT_E_NOMEM;
	t->len += put_varint(t->data + t->len, id);
	t->len += put_varint(t->data + t->len, vaddr);
	t->len += put_varint(t->data + t->len, size);
	t->len += put_varint(t->data + t->len, flags);
	return table_put(t, name, strlen(name));
}

void hwt_uprobe_table_fini(struct hwt_uprobe_table *t)
{
	free(t->data);
	*t = (struct hwt_uprobe_table){ 0 };
}

/* A length-prefixed string at *@p: borrowed. */
static int get_bytes(const uint8_t **p, const uint8_t *end, const char **s, size_t *n)
{
	uint64_t len;

	if (get_varint(p, end, &len) || len > (uint64_t)(end - *p))
		return -1;
	*s = (const char *)*p;
	*n = (size_t)len;
	*p += len;
	return 0;
}

int hwt_uprobe_table_read(const void *data, size_t len, const struct hwt_uprobe_table_reader *rd,
			  void *ctx)
{
	const uint8_t *p = data, *end = p + len;
	const char *path;
	size_t path_len;
	int rc;

	if (!len || *p++ != UP_TABLE_VERSION || get_bytes(&p, end, &path, &path_len))
		return HWT_E_CORRUPT;
	if ((rc = rd->file(path, path_len, ctx)))
		return rc;
	while (p < end) {
		struct hwt_uprobe_func f;
		uint64_t id, flags;

		if (get_varint(&p, end, &id) || get_varint(&p, end, &f.vaddr) ||
		    get_varint(&p, end, &f.size) || get_varint(&p, end, &flags) ||
		    get_bytes(&p, end, &f.name, &f.name_len) || id > UINT32_MAX ||
		    flags > UINT32_MAX)
			return HWT_E_CORRUPT;
		f.id = (uint32_t)id;
		f.flags = (uint32_t)flags;
		if ((rc = rd->func(&f, ctx)))
			return rc;
	}
	return 0;
}

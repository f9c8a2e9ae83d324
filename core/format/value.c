/* The reader of value trees (value.h): one pass, no allocation, every length checked. */
#include "hwtrace/error.h"
#include "value.h"

void hwt_value_reader_init(struct hwt_value_reader *r, const void *tree, size_t len)
{
	/* No tree (an instant without arguments) reads as empty: NULL + 0 is not C. */
	*r = (struct hwt_value_reader){ .p = tree,
					.end = tree ? (const uint8_t *)tree + len : tree };
}

static int take(struct hwt_value_reader *r, void *out, size_t n)
{
	if ((size_t)(r->end - r->p) < n)
		return HWT_E_CORRUPT;
	memcpy(out, r->p, n);
	r->p += n;
	return 0;
}

static int take_u32(struct hwt_value_reader *r, uint32_t *v)
{
	uint8_t b[4] = { 0 };
	int err = take(r, b, 4);

	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return err;
}

static int take_u64(struct hwt_value_reader *r, uint64_t *v)
{
	uint8_t b[8] = { 0 };
	int err = take(r, b, 8);

	*v = 0;
	for (int i = 7; i >= 0; i--)
		*v = *v << 8 | b[i];
	return err;
}

/* A string's bytes: @n of them, left in place. */
static int take_span(struct hwt_value_reader *r, uint32_t n, const char **s)
{
	if ((size_t)(r->end - r->p) < n)
		return HWT_E_CORRUPT;
	*s = (const char *)r->p;
	r->p += n;
	return 0;
}

int hwt_value_next(struct hwt_value_reader *r, struct hwt_value *v)
{
	uint64_t u;
	int err = 0;

	*v = (struct hwt_value){ 0 };
	if (r->depth && !r->left[r->depth - 1]) {
		v->tag = r->tag[--r->depth];
		return -1;
	}
	if (!r->depth && r->p == r->end)
		return 0;
	if (r->depth) {
		r->left[r->depth - 1]--;
		if (r->tag[r->depth - 1] == HWT_VAL_MAP &&
		    (take_u32(r, &v->keylen) || take_span(r, v->keylen, &v->key)))
			return HWT_E_CORRUPT;
	}
	if (take(r, &v->tag, 1))
		return HWT_E_CORRUPT;
	switch (v->tag) {
	case HWT_VAL_NULL:
		break;
	case HWT_VAL_FALSE:
	case HWT_VAL_TRUE:
		v->i = v->tag == HWT_VAL_TRUE;
		break;
	case HWT_VAL_INT:
		err = take_u64(r, &u);
		v->i = (int64_t)u;
		break;
	case HWT_VAL_DOUBLE:
		err = take_u64(r, &u);
		memcpy(&v->d, &u, 8);
		break;
	case HWT_VAL_STRING:
		err = take_u32(r, &v->n) ? HWT_E_CORRUPT : take_span(r, v->n, &v->s);
		break;
	case HWT_VAL_LIST:
	case HWT_VAL_MAP:
		/* Each item takes one byte at least: a count beyond the bytes left is a lie. */
		if (take_u32(r, &v->n) || r->depth >= HWT_VALUE_MAX_DEPTH ||
		    v->n > (size_t)(r->end - r->p))
			return HWT_E_CORRUPT;
		r->tag[r->depth] = v->tag;
		r->left[r->depth++] = v->n;
		break;
	default:
		return HWT_E_CORRUPT;
	}
	return err ? HWT_E_CORRUPT : 1;
}

int hwt_value_check(const void *tree, size_t len)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int values = 0;

	hwt_value_reader_init(&r, tree, len);
	for (;;) {
		uint32_t depth = r.depth;
		int rc = hwt_value_next(&r, &v);
		if (!rc)
			return 0;
		if (rc < -1)
			return rc;
		/* One value at the top: a second one is trailing garbage. */
		if (rc == 1 && !depth && ++values > 1)
			return HWT_E_CORRUPT;
	}
}

/* The walk over value trees shared by the exporters that write them. */
#include "hwtrace/error.h"
#include "value_walk.h"

/* Walks from the reader's position to the end of the tree; values at the reader's depth
 * @base are reported at depth 0, numbered from *@index on. */
static int walk(struct hwt_value_reader *r, uint32_t base, const struct hwt_value_walk_ops *ops,
		void *ctx, uint32_t *index)
{
	uint32_t at[HWT_VALUE_MAX_DEPTH + 1] = { 0 }; /* items seen in each open container */
	struct hwt_value v;
	int rc;

	at[0] = *index;
	for (;;) {
		uint32_t depth = r->depth - base;

		rc = hwt_value_next(r, &v);
		if (!rc)
			break;
		if (rc < -1)
			return rc;
		if (rc == -1) {
			/* The container the reader left: below the base it is the top map. */
			if (r->depth < base)
				break;
			rc = ops->end(ctx, v.tag, r->depth - base);
		} else {
			rc = ops->value(ctx, &v, depth, at[depth]++);
			if (v.tag == HWT_VAL_LIST || v.tag == HWT_VAL_MAP)
				at[depth + 1] = 0;
		}
		if (rc < 0)
			return rc;
	}
	*index = at[0];
	return 0;
}

int hwt_value_walk(const void *tree, size_t len, const struct hwt_value_walk_ops *ops, void *ctx)
{
	struct hwt_value_reader r;
	uint32_t index = 0;
	int rc;

	if (!ops || (len && !tree))
		return HWT_E_INVAL;
	if ((rc = hwt_value_check(tree, len)))
		return rc;
	hwt_value_reader_init(&r, tree, len);
	return walk(&r, 0, ops, ctx, &index);
}

int hwt_value_walk_args(const void *tree, size_t len, const struct hwt_value_walk_ops *ops,
			void *ctx, uint32_t *index)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc;

	if (!ops || !index || (len && !tree))
		return HWT_E_INVAL;
	if (!len)
		return 0;
	if ((rc = hwt_value_check(tree, len)))
		return rc;
	hwt_value_reader_init(&r, tree, len);
	if (*(const uint8_t *)tree == HWT_VAL_MAP) {
		/* Into the top map: its entries are the arguments. */
		if ((rc = hwt_value_next(&r, &v)) != 1)
			return rc < 0 ? rc : HWT_E_CORRUPT;
		return walk(&r, 1, ops, ctx, index);
	}
	/* Anything else stands as the one argument "value"; a container is walked under it. */
	rc = hwt_value_next(&r, &v);
	if (rc != 1)
		return rc < 0 ? rc : HWT_E_CORRUPT;
	v.key = "value";
	v.keylen = 5;
	if ((rc = ops->value(ctx, &v, 0, (*index)++)) < 0)
		return rc;
	if (v.tag != HWT_VAL_LIST && v.tag != HWT_VAL_MAP)
		return 0;
	{
		uint32_t inner = 0;

		return walk(&r, 0, ops, ctx, &inner);
	}
}

/* One walk over value trees (core/format/value.h) for every exporter that writes them: the
 * format gives hooks for a value and for a container's end, the walk gives each value its depth
 * and its place in its container, so that Chrome JSON and Perfetto debug annotations share the
 * tree walking and each writes only its own syntax. */
#ifndef HWT_EXPORTERS_VALUE_WALK_H
#define HWT_EXPORTERS_VALUE_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "core/format/value.h"

/** What a format does with the values of a tree. Hooks return >= 0 or a negative enum
 *  hwt_error, which ends the walk. */
struct hwt_value_walk_ops {
	/** A scalar, or the start of a list or map (v->tag HWT_VAL_LIST/MAP; its items follow
	 *  at @depth + 1, then end()). v->key is set for the items of a map, NULL for those of a
	 *  list; strings and keys point into the tree. @index: the value's place in its container,
	 *  0 for the first. */
	int (*value)(void *ctx, const struct hwt_value *v, uint32_t depth, uint32_t index);
	/** The end of the list or map (@tag) that value() opened at @depth. */
	int (*end)(void *ctx, uint8_t tag, uint32_t depth);
};

/** Walks the tree of @len bytes at @tree (borrowed) as it is: its top value at depth 0.
 *  Nothing is called for an empty tree. The tree is checked first: HWT_E_CORRUPT before any
 *  hook is called when it is malformed; else 0 or a hook's error. */
int hwt_value_walk(const void *tree, size_t len, const struct hwt_value_walk_ops *ops, void *ctx);

/** Walks the tree at @tree as arguments: the entries of its top map, each at depth 0 (a top value
 *  that is not a map is one entry named "value"). *@index numbers the entries and is carried
 *  over, so that several trees walked one after the other make one map: start it at 0. Errors as
 *  hwt_value_walk(). */
int hwt_value_walk_args(const void *tree, size_t len, const struct hwt_value_walk_ops *ops,
			void *ctx, uint32_t *index);

#endif

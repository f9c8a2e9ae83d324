/* Hand-made slice events get their stack nodes the way decoders give them: each thread's
 * innermost open slice kept as a cursor, stepped with hwt_model_slice_node(). */
#ifndef HWT_TESTS_SLICE_NODES_H
#define HWT_TESTS_SLICE_NODES_H

#include <check.h>
#include <stdint.h>

#include "quiet_check.h"

#include "core/model.h"

struct slice_cursors {
	struct {
		uint32_t tid, node;
	} t[16];
	uint32_t n;
};

/* Sets the frame and node of the slice begin or end @ev; zero @c before each stream. */
static inline void slice_node_set(struct hwt_model *m, struct slice_cursors *c,
				  struct hwt_event *ev, uint32_t frame)
{
	uint32_t i = 0;

	while (i < c->n && c->t[i].tid != ev->tid)
		i++;
	if (i == c->n) {
		CK_QUIET(c->n < sizeof(c->t) / sizeof(c->t[0]));
		c->t[c->n++].tid = ev->tid;
	}
	int64_t node = hwt_model_slice_node(m, &c->t[i].node, ev->type, frame);
	CK_QUIET(node >= 0);
	ev->slice.frame = frame;
	ev->slice.node = (uint32_t)node;
}

/* Checks the node of the decoded slice begin or end @ev against its thread's cursor in @c: a
 * begin's node is its frame under the thread's innermost open slice, an end's is that slice,
 * of the same frame. Other events pass. */
static inline void slice_node_check(const struct hwt_model *m, struct slice_cursors *c,
				    const struct hwt_event *ev)
{
	uint32_t i = 0;

	if (ev->type != HWT_EV_SLICE_BEGIN && ev->type != HWT_EV_SLICE_END)
		return;
	while (i < c->n && c->t[i].tid != ev->tid)
		i++;
	if (i == c->n) {
		CK_QUIET(c->n < sizeof(c->t) / sizeof(c->t[0]));
		c->t[c->n++].tid = ev->tid;
	}
	uint32_t *cur = &c->t[i].node;
	const struct hwt_stack_node *s = hwt_model_stack(m, ev->slice.node);
	if (ev->type == HWT_EV_SLICE_BEGIN) {
		CK_QUIET(s != NULL);
		CK_QUIET_EQ(s->parent, *cur);
		CK_QUIET_EQ(s->frame, ev->slice.frame);
		*cur = ev->slice.node;
	} else if (*cur) {
		CK_QUIET_EQ(ev->slice.node, *cur);
		CK_QUIET_EQ(s->frame, ev->slice.frame);
		*cur = s->parent;
	}
}

#endif

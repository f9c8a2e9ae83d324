/* The files and network views: which instants are effects of a view, and what each weighs. */
#include <string.h>

#include "core/format/value.h"
#include "effects_view.h"

int hwt_fxview_parse(const char *view, struct hwt_fxview *out)
{
	static const struct {
		const char *name;
		struct hwt_fxview v;
	} views[] = {
		{ "files", { .prefix = "file:", .weight = "bytes", .name = "bytes" } },
		{ "files:count", { .prefix = "file:", .name = "calls" } },
		{ "files:mapped",
		  { .prefix = "file:",
		    .only = "map",
		    .weight = "length",
		    .name = "bytes mapped" } },
		{ "network", { .prefix = "net:", .weight = "bytes", .name = "bytes" } },
		{ "network:count", { .prefix = "net:", .name = "calls" } },
	};

	for (size_t i = 0; view && i < sizeof(views) / sizeof(views[0]); i++)
		if (!strcmp(view, views[i].name)) {
			*out = views[i].v;
			return 1;
		}
	return 0;
}

/* The integer under top-level key @key of the args @a (@len bytes), 0 if none or negative. */
static uint64_t int_of(const uint8_t *a, uint32_t len, const char *key)
{
	size_t klen = strlen(key);
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc;

	hwt_value_reader_init(&r, a, len);
	while ((rc = hwt_value_next(&r, &v)) == 1 || rc == -1)
		if (rc == 1 && r.depth == 1 && v.tag == HWT_VAL_INT && v.key && v.keylen == klen &&
		    !memcmp(v.key, key, klen))
			return v.i > 0 ? (uint64_t)v.i : 0;
	return 0;
}

int hwt_fxview_value(const struct hwt_fxview *v, const struct hwt_model *m,
		     const struct hwt_event *ev, uint64_t *value)
{
	if (ev->type != HWT_EV_INSTANT || !ev->stack)
		return 0;
	const struct hwt_stack_node *n = hwt_model_stack(m, ev->stack);
	const struct hwt_frame *f = n ? hwt_model_frame(m, n->frame) : NULL;
	if (!f || f->kind != HWT_FRAME_SPAN ||
	    strncmp(hwt_model_str(m, f->name), v->prefix, strlen(v->prefix)))
		return 0;
	if (v->only && strcmp(hwt_model_str(m, ev->instant.name), v->only))
		return 0;
	*value = v->weight ? int_of(ev->instant.args, ev->instant.args_len, v->weight) : 1;
	return 1;
}

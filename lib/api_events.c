/* libhwtrace's events: instants, spans and their annotations, links, scopes, and the value trees
 * of their arguments. */
#include <string.h>

#include "api_internal.h"

size_t hwt_lib_arg_value_size(const struct hwt_arg *a)
{
	switch (a->type) {
	case HWT_ARG_INT:
	case HWT_ARG_DOUBLE:
		return 1 + 8;
	case HWT_ARG_STR:
		return 1 + 4 + (a->v.s ? strlen(a->v.s) : 0);
	default: /* BOOL, NULL, and what is not a type: null */
		return 1;
	}
}

void hwt_lib_arg_write(struct hwt_value_writer *w, const char *key, const struct hwt_arg *a)
{
	switch (a->type) {
	case HWT_ARG_INT:
		hwt_vw_int(w, key, a->v.i);
		break;
	case HWT_ARG_DOUBLE:
		hwt_vw_double(w, key, a->v.d);
		break;
	case HWT_ARG_STR:
		hwt_vw_str(w, key, a->v.s);
		break;
	case HWT_ARG_BOOL:
		hwt_vw_bool(w, key, (int)a->v.i);
		break;
	default:
		hwt_vw_null(w, key);
	}
}

size_t hwt_lib_args_size(const struct hwt_arg *a, size_t n)
{
	size_t size = n ? 1 + 4 : 0;

	for (size_t i = 0; i < n; i++)
		size += 4 + (a[i].key ? strlen(a[i].key) : 0) + hwt_lib_arg_value_size(&a[i]);
	return size;
}

void hwt_lib_args_write(struct hwt_value_writer *w, const struct hwt_arg *a, size_t n)
{
	hwt_vw_begin(w, NULL, HWT_VAL_MAP);
	for (size_t i = 0; i < n; i++)
		hwt_lib_arg_write(w, a[i].key, &a[i]);
	hwt_vw_end(w);
}

/* Writes one record: @name (INSTANT, SPAN_BEGIN) then the tree of @n arguments. 0 or -1. */
static int event(int type, int scope, const char *name, const struct hwt_arg *a, size_t n)
{
	int named = type == HWT__INSTANT || type == HWT__SPAN_BEGIN;
	size_t nl = named ? strlen(name ? name : "") + 1 : 0;
	size_t al = hwt_lib_args_size(a, n);
	struct hwt_lib_rec r;

	if (hwt_lib_reserve(&r, type, scope, hwt_lib_now(), nl + al))
		return -1;
	if (named)
		memcpy(r.body, name ? name : "", nl);
	if (al) {
		struct hwt_value_writer w = { .buf = r.body + nl, .cap = al };
		hwt_lib_args_write(&w, a, n);
	}
	hwt_lib_commit(&r);
	return 0;
}

HWT_EXPORT void hwt__event(int type, int scope, const char *name, const struct hwt_arg *a,
			   size_t n)
{
	if (type < HWT__INSTANT || type > HWT__SPAN_END || scope < HWT__GLOBAL ||
	    scope > HWT__THREAD)
		return;
	event(type, type == HWT__INSTANT ? scope : HWT__THREAD, name, a, n);
}

/* A FLOW record: one end of link @id. */
static void flow(uint64_t id, uint32_t phase, const char *type)
{
	size_t nl = strlen(type ? type : "") + 1;
	struct hwt_lib_rec r;

	if (hwt_lib_reserve(&r, HWT_CR_FLOW, HWT__THREAD, hwt_lib_now(), 16 + nl))
		return;
	uint32_t ph[2] = { phase, 0 };
	memcpy(r.body, &id, 8);
	memcpy(r.body + 8, ph, 8);
	memcpy(r.body + 16, type ? type : "", nl);
	hwt_lib_commit(&r);
}

HWT_EXPORT uint64_t hwt__link_out(const char *type)
{
	uint64_t id = hwt_lib_link_id();

	if (id)
		flow(id, 1 /* HWT_FLOW_OUT */, type);
	return id;
}

HWT_EXPORT void hwt__link_in(uint64_t id, const char *type)
{
	flow(id, 3 /* HWT_FLOW_IN */, type);
}

HWT_EXPORT int hwt__scope_begin(const char *name)
{
	return event(HWT__SPAN_BEGIN, HWT__THREAD, name, NULL, 0) == 0;
}

HWT_EXPORT void hwt__scope_end(int *began)
{
	/* Only a span that began ends: a begin dropped (ring full) drops its end too. */
	if (*began && hwt__active)
		event(HWT__SPAN_END, HWT__THREAD, "", NULL, 0);
}

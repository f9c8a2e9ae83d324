/* libhwtrace's events: instants, spans and their annotations, links, scopes, and the value trees
 * of their arguments. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

#define FAST_ARGS 16 /* arguments written by the fast path at most */

/* The fast path of a little-endian machine with few arguments: lengths measured once, the tree
 * written with plain stores (the layout of core/format/value.h). */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static uint8_t *hwt_lib_put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
	return p + 4;
}

static size_t hwt_lib_fast_size(const struct hwt_arg *a, size_t n, uint32_t *len)
{
	size_t size = n ? 1 + 4 : 0;

	for (size_t i = 0; i < n; i++) {
		len[2 * i] = a[i].key ? (uint32_t)strlen(a[i].key) : 0;
		len[2 * i + 1] =
			a[i].type == HWT_ARG_STR && a[i].v.s ? (uint32_t)strlen(a[i].v.s) : 0;
		size += 4 + len[2 * i] +
			(a[i].type == HWT_ARG_STR ? 1 + 4 + len[2 * i + 1]
						  : hwt_lib_arg_value_size(&a[i]));
	}
	return size;
}

static void hwt_lib_fast_write(uint8_t *p, const struct hwt_arg *a, size_t n, const uint32_t *len)
{
	*p++ = HWT_VAL_MAP;
	p = hwt_lib_put32(p, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		p = hwt_lib_put32(p, len[2 * i]);
		memcpy(p, a[i].key, len[2 * i]);
		p += len[2 * i];
		switch (a[i].type) {
		case HWT_ARG_INT:
		case HWT_ARG_DOUBLE:
			*p++ = a[i].type == HWT_ARG_INT ? HWT_VAL_INT : HWT_VAL_DOUBLE;
			memcpy(p, &a[i].v, 8);
			p += 8;
			break;
		case HWT_ARG_STR:
			*p++ = HWT_VAL_STRING;
			p = hwt_lib_put32(p, len[2 * i + 1]);
			memcpy(p, a[i].v.s, len[2 * i + 1]);
			p += len[2 * i + 1];
			break;
		case HWT_ARG_BOOL:
			*p++ = a[i].v.i ? HWT_VAL_TRUE : HWT_VAL_FALSE;
			break;
		default:
			*p++ = HWT_VAL_NULL;
		}
	}
}
#endif

/* Writes one record: @name (INSTANT, SPAN_BEGIN) then the tree of @n arguments. 0 or -1. */
static int hwt_lib_event(int type, int scope, const char *name, const struct hwt_arg *a, size_t n)
{
	int named = type == HWT__INSTANT || type == HWT__SPAN_BEGIN;
	size_t nl = named ? strlen(name ? name : "") + 1 : 0;
	struct hwt_lib_rec r;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t len[2 * FAST_ARGS];
	int fast = n <= FAST_ARGS;
	size_t al = fast ? hwt_lib_fast_size(a, n, len) : hwt_lib_args_size(a, n);
#else
	int fast = 0;
	size_t al = hwt_lib_args_size(a, n);
#endif

	if (hwt_lib_reserve(&r, type, scope, nl + al))
		return -1;
	if (named)
		memcpy(r.body, name ? name : "", nl);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	if (al && fast)
		hwt_lib_fast_write(r.body + nl, a, n, len);
#endif
	if (al && !fast) {
		struct hwt_value_writer w = { .buf = r.body + nl, .cap = al };
		hwt_lib_args_write(&w, a, n);
	}
	hwt_lib_commit(&r);
	return 0;
}

HWT_EXPORT void hwt__event(int type, int scope, const char *name, const struct hwt_arg *a, size_t n)
{
	if (type < HWT__INSTANT || type > HWT__SPAN_END || scope < HWT__GLOBAL ||
	    scope > HWT__THREAD)
		return;
	hwt_lib_event(type, type == HWT__INSTANT ? scope : HWT__THREAD, name, a, n);
}

HWT_EXPORT void hwt__event_json(int type, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;
	struct hwt_lib_rec r;

	if (type != HWT__INSTANT && type != HWT__SPAN_ARGS)
		return;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A tree takes at most 9 bytes per byte of JSON (see hwt__object_json()). */
	size_t cap = 9 * (size_t)n + 32;
	struct hwt_value_writer w = { .buf = malloc(cap), .cap = cap };
	if (w.buf && (hwt_lib_json(&w, NULL, text) || w.buf[0] != HWT_VAL_MAP)) {
		w = (struct hwt_value_writer){ .buf = w.buf, .cap = cap };
		hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
		hwt_vw_str(&w, "text", text);
		hwt_vw_end(&w);
	}
	size_t nl = type == HWT__INSTANT ? strlen(name ? name : "") + 1 : 0;
	if (w.buf && !w.bad && !hwt_lib_reserve(&r, type, HWT__THREAD, nl + w.len)) {
		memcpy(r.body, name ? name : "", nl);
		memcpy(r.body + nl, w.buf, w.len);
		hwt_lib_commit(&r);
	}
	free(w.buf);
	free(text);
}

/* A FLOW record: one end of link @id. */
static void hwt_lib_flow(uint64_t id, uint32_t phase, const char *type)
{
	size_t nl = strlen(type ? type : "") + 1;
	struct hwt_lib_rec r;

	if (hwt_lib_reserve(&r, HWT_CR_FLOW, HWT__THREAD, 16 + nl))
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
		hwt_lib_flow(id, 1 /* HWT_FLOW_OUT */, type);
	return id;
}

HWT_EXPORT void hwt__link_in(uint64_t id, const char *type)
{
	hwt_lib_flow(id, 3 /* HWT_FLOW_IN */, type);
}

HWT_EXPORT int hwt__scope_begin(const char *name)
{
	return hwt_lib_event(HWT__SPAN_BEGIN, HWT__THREAD, name, NULL, 0) == 0;
}

HWT_EXPORT void hwt__scope_end(int *began)
{
	/* Only a span that began ends: a begin dropped (ring full) drops its end too. */
	if (*began && hwt__active)
		hwt_lib_event(HWT__SPAN_END, HWT__THREAD, "", NULL, 0);
}

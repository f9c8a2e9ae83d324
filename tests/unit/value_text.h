/* Value trees (core/format/value.h) as compact JSON-ish text, for tests to compare: maps as
 * {key:value,...}, lists as [a,b], strings in single quotes. */
#ifndef HWT_TESTS_VALUE_TEXT_H
#define HWT_TESTS_VALUE_TEXT_H

#include <check.h>
#include <stdio.h>

#include "hwtrace/error.h"
#include "core/format/value.h"

/* The value tree @tree (@len bytes) as compact JSON-ish text into @out. */
static inline void tree_text(const uint8_t *tree, size_t len, char *out, size_t cap)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	size_t o = 0;
	int rc, first = 1;

	out[0] = 0;
	hwt_value_reader_init(&r, tree, len);
	while ((rc = hwt_value_next(&r, &v)) != 0) {
		ck_assert_int_ne(rc, HWT_E_CORRUPT);
		if (rc < 0) {
			o += (size_t)snprintf(out + o, cap - o, "%s",
					      v.tag == HWT_VAL_MAP ? "}" : "]");
			first = 0;
			continue;
		}
		if (!first)
			o += (size_t)snprintf(out + o, cap - o, ",");
		first = 0;
		if (v.key)
			o += (size_t)snprintf(out + o, cap - o, "%.*s:", (int)v.keylen, v.key);
		switch (v.tag) {
		case HWT_VAL_MAP:
			o += (size_t)snprintf(out + o, cap - o, "{");
			first = 1;
			break;
		case HWT_VAL_LIST:
			o += (size_t)snprintf(out + o, cap - o, "[");
			first = 1;
			break;
		case HWT_VAL_INT:
			o += (size_t)snprintf(out + o, cap - o, "%lld", (long long)v.i);
			break;
		case HWT_VAL_DOUBLE:
			o += (size_t)snprintf(out + o, cap - o, "%g", v.d);
			break;
		case HWT_VAL_STRING:
			o += (size_t)snprintf(out + o, cap - o, "'%.*s'", (int)v.n, v.s);
			break;
		case HWT_VAL_TRUE:
		case HWT_VAL_FALSE:
			o += (size_t)snprintf(out + o, cap - o, "%s", v.i ? "true" : "false");
			break;
		default:
			o += (size_t)snprintf(out + o, cap - o, "null");
		}
		ck_assert_uint_lt(o, cap);
	}
}

#endif

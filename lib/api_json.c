/* JSON text to a value tree (core/format/value.h), for objects' attributes: maps, lists,
 * strings with their escapes, integers (int64), other numbers (double), true, false, null. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

struct json {
	const char *p, *end; /* the text and its NUL */
	struct hwt_value_writer *w;
	char *str; /* the last string decoded, NUL-terminated, owned */
	size_t cap;
};

static void hwt_lib_ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int hwt_lib_hex4(const char *p, unsigned *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
			     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
			     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
						    : 16u;
		if (d > 15)
			return -1;
		*v = *v << 4 | d;
	}
	return 0;
}

/* Appends code point @cp as UTF-8 at @o; returns the bytes written. */
static size_t hwt_lib_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Decodes the string at j->p (on its '"') into j->str; returns its length or -1. */
static long hwt_lib_string(struct json *j)
{
	const char *p = j->p + 1;
	size_t need = (size_t)(j->end - p) + 1, n = 0; /* escapes only shrink */

	if (need > j->cap) {
		char *s = realloc(j->str, need);
		if (!s)
			return -1;
		j->str = s;
		j->cap = need;
	}
	for (;;) {
		char c = *p++;
		if (!c || (unsigned char)c < 0x20)
			return -1;
		if (c == '"')
			break;
		if (c != '\\') {
			j->str[n++] = c;
			continue;
		}
		unsigned cp, lo;
		switch (c = *p++) {
		case '"':
		case '\\':
		case '/':
			j->str[n++] = c;
			break;
		case 'b':
			j->str[n++] = '\b';
			break;
		case 'f':
			j->str[n++] = '\f';
			break;
		case 'n':
			j->str[n++] = '\n';
			break;
		case 'r':
			j->str[n++] = '\r';
			break;
		case 't':
			j->str[n++] = '\t';
			break;
		case 'u':
			if (hwt_lib_hex4(p, &cp))
				return -1;
			p += 4;
			if (cp >= 0xd800 && cp < 0xdc00 && p[0] == '\\' && p[1] == 'u' &&
			    !hwt_lib_hex4(p + 2, &lo) && lo >= 0xdc00 && lo < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p += 6;
			}
			n += hwt_lib_utf8(j->str + n, cp);
			break;
		default:
			return -1;
		}
	}
	j->str[n] = 0;
	j->p = p;
	return (long)n;
}

static int hwt_lib_number(struct json *j, const char *key)
{
	const char *s = j->p;
	char *end;
	int real = 0;

	if (*s == '-')
		s++;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s; s++) {
		if (*s == '.' || *s == 'e' || *s == 'E')
			real = 1;
		else if (!(*s >= '0' && *s <= '9') && *s != '+' && *s != '-')
			break;
	}
	errno = 0;
	if (!real) {
		long long v = strtoll(j->p, &end, 10);
		if (!errno && end == s) {
			j->p = end;
			return hwt_vw_int(j->w, key, v);
		}
	}
	double d = strtod(j->p, &end);
	if (end != s)
		return -1;
	j->p = end;
	return hwt_vw_double(j->w, key, d);
}

static int hwt_lib_word(struct json *j, const char *w)
{
	size_t n = strlen(w);

	if (strncmp(j->p, w, n))
		return -1;
	j->p += n;
	return 0;
}

static int hwt_lib_value(struct json *j, const char *key, int depth);

/* A list or a map, on its '[' or '{'. */
static int hwt_lib_container(struct json *j, const char *key, int depth)
{
	int map = *j->p == '{';
	char close = map ? '}' : ']';

	if (depth >= HWT_VALUE_MAX_DEPTH ||
	    hwt_vw_begin(j->w, key, map ? HWT_VAL_MAP : HWT_VAL_LIST))
		return -1;
	j->p++;
	hwt_lib_ws(j);
	if (*j->p == close) {
		j->p++;
		return hwt_vw_end(j->w);
	}
	for (;;) {
		char *k = NULL;
		hwt_lib_ws(j);
		if (map) {
			if (*j->p != '"' || hwt_lib_string(j) < 0 || !(k = strdup(j->str)))
				return -1;
			hwt_lib_ws(j);
			if (*j->p++ != ':') {
				free(k);
				return -1;
			}
		}
		int err = hwt_lib_value(j, k, depth + 1);
		free(k);
		if (err)
			return -1;
		hwt_lib_ws(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p++ != close)
			return -1;
		return hwt_vw_end(j->w);
	}
}

static int hwt_lib_value(struct json *j, const char *key, int depth)
{
	long n;

	hwt_lib_ws(j);
	switch (*j->p) {
	case '{':
	case '[':
		return hwt_lib_container(j, key, depth);
	case '"':
		n = hwt_lib_string(j);
		return n < 0 ? -1 : hwt_vw_strn(j->w, key, j->str, (size_t)n);
	case 't':
		return hwt_lib_word(j, "true") ? -1 : hwt_vw_bool(j->w, key, 1);
	case 'f':
		return hwt_lib_word(j, "false") ? -1 : hwt_vw_bool(j->w, key, 0);
	case 'n':
		return hwt_lib_word(j, "null") ? -1 : hwt_vw_null(j->w, key);
	default:
		return hwt_lib_number(j, key);
	}
}

int hwt_lib_json(struct hwt_value_writer *w, const char *key, const char *text)
{
	struct json j = { .p = text, .end = text + strlen(text), .w = w };
	int err = hwt_lib_value(&j, key, 0);

	hwt_lib_ws(&j);
	free(j.str);
	return err || *j.p || w->bad ? -1 : 0;
}

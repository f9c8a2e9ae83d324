/* Unit tests for core/format/value.{h,c}: the header-only writer and the reader of value trees,
 * round trips of every tag and of nesting, the writer's bounds, and every malformed input the
 * reader must refuse. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/format/value.h"

/* Reads the next value of @r, which must exist (1). */
static struct hwt_value next(struct hwt_value_reader *r)
{
	struct hwt_value v;

	ck_assert_int_eq(hwt_value_next(r, &v), 1);
	return v;
}

/* The next step of @r must be the end of a container of @tag (-1). */
static void next_end(struct hwt_value_reader *r, uint8_t tag)
{
	struct hwt_value v;

	ck_assert_int_eq(hwt_value_next(r, &v), -1);
	ck_assert_uint_eq(v.tag, tag);
}

static void next_done(struct hwt_value_reader *r)
{
	struct hwt_value v;

	ck_assert_int_eq(hwt_value_next(r, &v), 0);
}

static void key_is(const struct hwt_value *v, const char *key)
{
	ck_assert_ptr_nonnull(v->key);
	ck_assert_uint_eq(v->keylen, strlen(key));
	ck_assert(!memcmp(v->key, key, v->keylen));
}

/* ---- writer and reader: round trips ---------------------------------------------------- */

/* Every tag inside a map, read back with its key and value, then the tree ends. */
START_TEST(hwt_value_next_every_tag)
{
	uint8_t buf[256];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };
	struct hwt_value_reader r;
	struct hwt_value v;

	ck_assert_int_eq(hwt_vw_begin(&w, NULL, HWT_VAL_MAP), 0);
	ck_assert_int_eq(hwt_vw_null(&w, "n"), 0);
	ck_assert_int_eq(hwt_vw_bool(&w, "f", 0), 0);
	ck_assert_int_eq(hwt_vw_bool(&w, "t", 7), 0);
	ck_assert_int_eq(hwt_vw_int(&w, "min", INT64_MIN), 0);
	ck_assert_int_eq(hwt_vw_int(&w, "i", -42), 0);
	ck_assert_int_eq(hwt_vw_double(&w, "d", -2.5e-300), 0);
	ck_assert_int_eq(hwt_vw_strn(&w, "s", "a\0b", 3), 0);
	ck_assert_int_eq(hwt_vw_str(&w, "null-str", NULL), 0);
	ck_assert_int_eq(hwt_vw_end(&w), 0);
	ck_assert(!w.bad);
	ck_assert_int_eq(hwt_value_check(buf, w.len), 0);

	hwt_value_reader_init(&r, buf, w.len);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_MAP);
	ck_assert_ptr_null(v.key);
	ck_assert_uint_eq(v.n, 8);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_NULL);
	key_is(&v, "n");
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_FALSE);
	ck_assert_int_eq(v.i, 0);
	key_is(&v, "f");
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_TRUE);
	ck_assert_int_eq(v.i, 1);
	key_is(&v, "t");
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_INT);
	ck_assert(v.i == INT64_MIN);
	key_is(&v, "min");
	v = next(&r);
	ck_assert_int_eq(v.i, -42);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_DOUBLE);
	ck_assert(v.d == -2.5e-300);
	key_is(&v, "d");
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_STRING);
	ck_assert_uint_eq(v.n, 3);
	ck_assert(!memcmp(v.s, "a\0b", 3));
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_STRING);
	ck_assert_uint_eq(v.n, 0);
	key_is(&v, "null-str");
	next_end(&r, HWT_VAL_MAP);
	next_done(&r);
	next_done(&r); /* and stays done */
}
END_TEST

/* A scalar alone is a tree too; its exact bytes are the documented encoding. */
START_TEST(hwt_value_next_scalar_encoding)
{
	static const uint8_t want[] = { HWT_VAL_INT, 0x01, 0x02, 0, 0, 0, 0, 0, 0x80 };
	uint8_t buf[16];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };
	struct hwt_value_reader r;
	struct hwt_value v;

	ck_assert_int_eq(hwt_vw_int(&w, "ignored", (int64_t)0x8000000000000201ull), 0);
	ck_assert_uint_eq(w.len, sizeof(want));
	ck_assert(!memcmp(buf, want, sizeof(want)));
	hwt_value_reader_init(&r, buf, w.len);
	v = next(&r);
	ck_assert_ptr_null(v.key); /* no key outside a map */
	ck_assert(v.i == (int64_t)0x8000000000000201ull);
	next_done(&r);
}
END_TEST

/* Lists and maps in each other, empty ones included; counts patched at each end. */
START_TEST(hwt_value_next_nesting)
{
	uint8_t buf[512];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };
	struct hwt_value_reader r;
	struct hwt_value v;

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_begin(&w, "list", HWT_VAL_LIST);
	hwt_vw_int(&w, "k-ignored", 1);
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, "x", "y");
	hwt_vw_end(&w);
	hwt_vw_begin(&w, NULL, HWT_VAL_LIST);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	hwt_vw_begin(&w, "empty", HWT_VAL_MAP);
	hwt_vw_end(&w);
	hwt_vw_double(&w, "after", 0.5);
	ck_assert_int_eq(hwt_vw_end(&w), 0);
	ck_assert(!w.bad);
	ck_assert_uint_eq(w.depth, 0);
	ck_assert_int_eq(hwt_value_check(buf, w.len), 0);

	hwt_value_reader_init(&r, buf, w.len);
	v = next(&r);
	ck_assert_uint_eq(v.n, 3);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_LIST);
	ck_assert_uint_eq(v.n, 3);
	key_is(&v, "list");
	v = next(&r);
	ck_assert_int_eq(v.i, 1);
	ck_assert_ptr_null(v.key);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_MAP);
	ck_assert_uint_eq(v.n, 1);
	v = next(&r);
	key_is(&v, "x");
	ck_assert_uint_eq(v.n, 1);
	ck_assert_int_eq(v.s[0], 'y');
	next_end(&r, HWT_VAL_MAP);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_LIST);
	ck_assert_uint_eq(v.n, 0);
	next_end(&r, HWT_VAL_LIST);
	next_end(&r, HWT_VAL_LIST);
	v = next(&r);
	ck_assert_uint_eq(v.tag, HWT_VAL_MAP);
	ck_assert_uint_eq(v.n, 0);
	key_is(&v, "empty");
	next_end(&r, HWT_VAL_MAP);
	v = next(&r);
	ck_assert(v.d == 0.5);
	next_end(&r, HWT_VAL_MAP);
	next_done(&r);
}
END_TEST

/* HWT_VALUE_MAX_DEPTH containers nest; one more is refused by writer and reader. */
START_TEST(hwt_value_next_max_depth)
{
	uint8_t buf[1024];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };
	struct hwt_value_reader r;
	struct hwt_value v;
	int i, rc;

	for (i = 0; i < HWT_VALUE_MAX_DEPTH; i++)
		ck_assert_int_eq(hwt_vw_begin(&w, "k", i % 2 ? HWT_VAL_LIST : HWT_VAL_MAP), 0);
	hwt_vw_int(&w, "leaf", 7);
	for (i = 0; i < HWT_VALUE_MAX_DEPTH; i++)
		ck_assert_int_eq(hwt_vw_end(&w), 0);
	ck_assert(!w.bad);
	ck_assert_int_eq(hwt_value_check(buf, w.len), 0);
	hwt_value_reader_init(&r, buf, w.len);
	for (i = 0; i < HWT_VALUE_MAX_DEPTH; i++)
		ck_assert_uint_eq(next(&r).tag, i % 2 ? HWT_VAL_LIST : HWT_VAL_MAP);
	ck_assert_int_eq(next(&r).i, 7);
	for (i = HWT_VALUE_MAX_DEPTH - 1; i >= 0; i--)
		next_end(&r, i % 2 ? HWT_VAL_LIST : HWT_VAL_MAP);
	next_done(&r);

	/* One deeper: the writer refuses... */
	memset(&w, 0, sizeof(w));
	w.buf = buf;
	w.cap = sizeof(buf);
	for (i = 0; i < HWT_VALUE_MAX_DEPTH; i++)
		hwt_vw_begin(&w, NULL, HWT_VAL_LIST);
	ck_assert(!w.bad);
	ck_assert_int_eq(hwt_vw_begin(&w, NULL, HWT_VAL_LIST), -1);
	ck_assert(w.bad);

	/* ... and so does the reader, on bytes made by hand: 33 lists of one item each. */
	for (i = 0; i <= HWT_VALUE_MAX_DEPTH; i++) {
		uint8_t *p = buf + 5 * i;

		p[0] = HWT_VAL_LIST;
		p[1] = 1, p[2] = 0, p[3] = 0, p[4] = 0;
	}
	buf[5 * (HWT_VALUE_MAX_DEPTH + 1)] = HWT_VAL_NULL;
	hwt_value_reader_init(&r, buf, 5 * (HWT_VALUE_MAX_DEPTH + 1) + 1);
	for (i = 0; i < HWT_VALUE_MAX_DEPTH; i++)
		ck_assert_int_eq(hwt_value_next(&r, &v), 1);
	rc = hwt_value_next(&r, &v);
	ck_assert_int_eq(rc, HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_value_check(buf, 5 * (HWT_VALUE_MAX_DEPTH + 1) + 1), HWT_E_CORRUPT);
}
END_TEST

/* Empty args are no bytes at all: a tree that ends at once. */
START_TEST(hwt_value_check_empty)
{
	struct hwt_value_reader r;

	ck_assert_int_eq(hwt_value_check("", 0), 0);
	ck_assert_int_eq(hwt_value_check(NULL, 0), 0);
	hwt_value_reader_init(&r, NULL, 0);
	next_done(&r);
}
END_TEST

/* ---- writer: its bounds ---------------------------------------------------------------- */

/* A buffer too small at every length: the write that does not fit fails, .bad sticks, nothing
 * is written past .cap, and later writes fail too. With room enough all succeed. */
START_TEST(hwt_vw_overflow_every_length)
{
	uint8_t buf[128], full[128];
	struct hwt_value_writer w = { .buf = full, .cap = sizeof(full) };
	size_t need, cap;

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, "name", "value");
	hwt_vw_int(&w, "n", 5);
	hwt_vw_end(&w);
	ck_assert(!w.bad);
	need = w.len;

	for (cap = 0; cap < need; cap++) {
		int rc = 0;

		memset(buf, 0xAA, sizeof(buf));
		w = (struct hwt_value_writer){ .buf = buf, .cap = cap };
		rc |= hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
		rc |= hwt_vw_str(&w, "name", "value");
		rc |= hwt_vw_int(&w, "n", 5);
		rc |= hwt_vw_end(&w);
		ck_assert_msg(rc == -1 && w.bad, "cap %zu: rc %d bad %d", cap, rc, w.bad);
		ck_assert_uint_le(w.len, cap);
		for (size_t i = cap; i < sizeof(buf); i++)
			ck_assert_msg(buf[i] == 0xAA, "cap %zu: byte %zu written", cap, i);
		ck_assert_int_eq(hwt_vw_null(&w, NULL), -1);
	}
	w = (struct hwt_value_writer){ .buf = buf, .cap = need };
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, "name", "value");
	hwt_vw_int(&w, "n", 5);
	ck_assert_int_eq(hwt_vw_end(&w), 0);
	ck_assert_uint_eq(w.len, need);
	ck_assert(!memcmp(buf, full, need));
}
END_TEST

/* An end with nothing open, and a container tag that is not one, mark the writer bad. */
START_TEST(hwt_vw_end_unbalanced)
{
	uint8_t buf[64];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };

	ck_assert_int_eq(hwt_vw_end(&w), -1);
	ck_assert(w.bad);
	w = (struct hwt_value_writer){ .buf = buf, .cap = sizeof(buf) };
	ck_assert_int_eq(hwt_vw_begin(&w, NULL, HWT_VAL_INT), -1);
	ck_assert(w.bad);
}
END_TEST

/* ---- reader: malformed input ----------------------------------------------------------- */

static const struct {
	const char *what;
	uint8_t bytes[24];
	size_t len;
} corrupt_cases[] = {
	{ "unknown tag 0", { 0 }, 1 },
	{ "unknown tag 9", { 9 }, 1 },
	{ "unknown tag 255", { 255 }, 1 },
	{ "int without its 8 bytes", { HWT_VAL_INT, 1, 2, 3, 4, 5, 6, 7 }, 8 },
	{ "double without its 8 bytes", { HWT_VAL_DOUBLE, 0, 0 }, 3 },
	{ "string without its length", { HWT_VAL_STRING, 3, 0 }, 3 },
	{ "string shorter than its length", { HWT_VAL_STRING, 4, 0, 0, 0, 'a', 'b' }, 7 },
	{ "string length past 2^31", { HWT_VAL_STRING, 0xff, 0xff, 0xff, 0xff, 'a' }, 6 },
	{ "list without its count", { HWT_VAL_LIST, 1 }, 2 },
	{ "list count beyond the bytes", { HWT_VAL_LIST, 3, 0, 0, 0, HWT_VAL_NULL }, 6 },
	{ "list count 2^32-1", { HWT_VAL_LIST, 0xff, 0xff, 0xff, 0xff, HWT_VAL_NULL }, 6 },
	{ "list item missing", { HWT_VAL_LIST, 2, 0, 0, 0, HWT_VAL_NULL, HWT_VAL_INT }, 7 },
	{ "map key length beyond the bytes", { HWT_VAL_MAP, 1, 0, 0, 0, 9, 0, 0, 0, 'k' }, 10 },
	{ "map key without a value", { HWT_VAL_MAP, 1, 0, 0, 0, 1, 0, 0, 0, 'k' }, 10 },
	{ "map key length truncated", { HWT_VAL_MAP, 1, 0, 0, 0, 1, 0 }, 7 },
	{ "map value with a bad tag", { HWT_VAL_MAP, 1, 0, 0, 0, 1, 0, 0, 0, 'k', 77 }, 11 },
	{ "trailing byte after a scalar", { HWT_VAL_NULL, HWT_VAL_NULL }, 2 },
	{ "trailing value after a map", { HWT_VAL_MAP, 0, 0, 0, 0, HWT_VAL_TRUE }, 6 },
	{ "trailing garbage after a list", { HWT_VAL_LIST, 1, 0, 0, 0, HWT_VAL_TRUE, 0 }, 7 },
};

/* Every malformed tree is refused by hwt_value_check() and, at some step, by
 * hwt_value_next(), which never reads past the end (the sanitizer build checks). */
START_TEST(hwt_value_check_corrupt)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	uint8_t *copy = malloc(corrupt_cases[_i].len);
	int rc, steps = 0, refused = 0;

	/* An exact-size heap copy, so that a read past the end is caught. */
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, corrupt_cases[_i].bytes, corrupt_cases[_i].len);
	ck_assert_msg(hwt_value_check(copy, corrupt_cases[_i].len) == HWT_E_CORRUPT, "%s",
		      corrupt_cases[_i].what);
	hwt_value_reader_init(&r, copy, corrupt_cases[_i].len);
	while ((rc = hwt_value_next(&r, &v)) != 0 && steps++ < 100) {
		if (rc < -1) {
			ck_assert_int_eq(rc, HWT_E_CORRUPT);
			refused = 1;
			break;
		}
	}
	/* Trailing bytes after one whole value: only the check sees them (the reader goes on to
	 * a second value, which must then be well-formed or refused). */
	if (!refused)
		ck_assert_msg(strstr(corrupt_cases[_i].what, "trailing"),
			      "%s: read without an error", corrupt_cases[_i].what);
	free(copy);
}
END_TEST

/* Every proper prefix of a well-formed tree is refused: nothing truncated passes. */
START_TEST(hwt_value_check_every_prefix)
{
	uint8_t buf[256];
	struct hwt_value_writer w = { .buf = buf, .cap = sizeof(buf) };
	size_t len;

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_begin(&w, "l", HWT_VAL_LIST);
	hwt_vw_double(&w, NULL, 1.5);
	hwt_vw_str(&w, NULL, "str");
	hwt_vw_end(&w);
	hwt_vw_bool(&w, "b", 1);
	hwt_vw_end(&w);
	ck_assert(!w.bad);
	ck_assert_int_eq(hwt_value_check(buf, w.len), 0);
	for (len = 1; len < w.len; len++) {
		uint8_t *copy = malloc(len);

		ck_assert_ptr_nonnull(copy);
		memcpy(copy, buf, len);
		ck_assert_msg(hwt_value_check(copy, len) == HWT_E_CORRUPT, "prefix %zu of %zu", len,
			      w.len);
		free(copy);
	}
}
END_TEST

static Suite *value_suite(void)
{
	Suite *s = suite_create("value");
	TCase *tc = tcase_create("value");

	tcase_add_test(tc, hwt_value_next_every_tag);
	tcase_add_test(tc, hwt_value_next_scalar_encoding);
	tcase_add_test(tc, hwt_value_next_nesting);
	tcase_add_test(tc, hwt_value_next_max_depth);
	tcase_add_test(tc, hwt_value_check_empty);
	tcase_add_test(tc, hwt_vw_overflow_every_length);
	tcase_add_test(tc, hwt_vw_end_unbalanced);
	tcase_add_loop_test(tc, hwt_value_check_corrupt, 0,
			    (int)(sizeof(corrupt_cases) / sizeof(corrupt_cases[0])));
	tcase_add_test(tc, hwt_value_check_every_prefix);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(value_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

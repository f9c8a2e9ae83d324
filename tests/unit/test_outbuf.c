/* Unit tests for exporters/outbuf: the hand-written number formats against printf's, at their
 * edges, and the buffer's growth, flushing and write errors. */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exporters/outbuf.h"
#include "hwtrace/error.h"

static const uint64_t u64_cases[] = {
	0,
	1,
	9,
	10,
	99,
	100,
	999,
	1000,
	1001,
	9999,
	10000,
	65535,
	99999,
	100000,
	999999,
	1000000,
	4294967295u,
	4294967296u,
	1ull << 53,
	9999999999999999999ull,
	10000000000000000000ull,
	UINT64_MAX - 1,
	UINT64_MAX,
};

START_TEST(hwt_fmt_u64_as_printf)
{
	char got[HWT_FMT_INT_MAX + 1], want[32];
	uint64_t v = u64_cases[_i];

	*hwt_fmt_u64(got, v) = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, v);
	ck_assert_str_eq(got, want);
	*hwt_fmt_u64_pad(got, v, 6) = '\0';
	snprintf(want, sizeof(want), "%6" PRIu64, v);
	ck_assert_str_eq(got, want);
}
END_TEST

/* Every power of ten and the number below it: where the digit count changes. */
START_TEST(hwt_u64_digits_powers)
{
	char got[HWT_FMT_INT_MAX + 1], want[32];
	uint64_t p = 1;

	for (int k = 0; k < _i; k++)
		p *= 10;
	ck_assert_uint_eq(hwt_u64_digits(p), (unsigned)_i + 1);
	ck_assert_uint_eq(hwt_u64_digits(p - 1), _i ? (unsigned)_i : 1);
	*hwt_fmt_u64(got, p - 1) = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, p - 1);
	ck_assert_str_eq(got, want);
	*hwt_fmt_u64(got, p) = '\0';
	snprintf(want, sizeof(want), "%" PRIu64, p);
	ck_assert_str_eq(got, want);
}
END_TEST

/* Random numbers of every length, against printf. */
START_TEST(hwt_fmt_u64_random)
{
	char got[HWT_FMT_INT_MAX + 1], want[32];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (int i = 0; i < 200000; i++) {
		uint64_t v;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = x >> (i % 64);
		*hwt_fmt_u64(got, v) = '\0';
		snprintf(want, sizeof(want), "%" PRIu64, v);
		ck_assert_str_eq(got, want);
	}
}
END_TEST

static const int64_t i64_cases[] = {
	0,    1,    -1,	   9,	      -9,	 10,	    -10,       999,
	-999, 1000, -1000, INT32_MIN, INT32_MAX, INT64_MAX, INT64_MIN, INT64_MIN + 1,
};

START_TEST(hwt_fmt_i64_as_printf)
{
	char got[HWT_FMT_INT_MAX + 1], want[32];
	int64_t v = i64_cases[_i];

	*hwt_fmt_i64(got, v) = '\0';
	snprintf(want, sizeof(want), "%" PRId64, v);
	ck_assert_str_eq(got, want);
}
END_TEST

START_TEST(hwt_fmt_fixed_digits)
{
	char got[8];

	*hwt_fmt_fixed(got, 0, 3) = '\0';
	ck_assert_str_eq(got, "000");
	*hwt_fmt_fixed(got, 7, 3) = '\0';
	ck_assert_str_eq(got, "007");
	*hwt_fmt_fixed(got, 999, 3) = '\0';
	ck_assert_str_eq(got, "999");
	*hwt_fmt_fixed(got, 42, 1) = '\0';
	ck_assert_str_eq(got, "2"); /* only the last @n digits */
}
END_TEST

/* In memory the buffer grows past its first size and keeps every byte in order. */
START_TEST(hwt_outbuf_memory_grows)
{
	struct hwt_outbuf b;
	size_t i, want = 0;

	ck_assert_int_eq(hwt_outbuf_init(&b, NULL), 0);
	for (i = 0; i < 100000; i++) {
		hwt_outbuf_u64(&b, i);
		hwt_outbuf_char(&b, ',');
		want += (size_t)snprintf(NULL, 0, "%zu,", i);
	}
	hwt_outbuf_spaces(&b, 10000);
	hwt_outbuf_printf(&b, "%s|%0600d|", "tail", 5);
	ck_assert_int_eq(b.err, 0);
	ck_assert_uint_eq(b.len, want + 10000 + 5 + 600 + 1);
	ck_assert(!memcmp(b.buf, "0,1,2,3,", 8));
	ck_assert(!memcmp(b.buf + want - 6, "99999,", 6));
	ck_assert_int_eq(b.buf[want + 9999], ' ');
	ck_assert(!memcmp(b.buf + want + 10000, "tail|000", 8));
	ck_assert_int_eq(b.buf[b.len - 2], '5');
	ck_assert_int_eq(hwt_outbuf_flush(&b), 0); /* nowhere to go: kept */
	ck_assert_uint_eq(b.len, want + 10000 + 5 + 600 + 1);
	hwt_outbuf_fini(&b);
	hwt_outbuf_fini(&b); /* emptied: a second fini frees nothing */
}
END_TEST

/* Written to a FILE: what goes through many flushes, pieces larger than the buffer included,
 * comes out whole and in order. */
START_TEST(hwt_outbuf_file_whole)
{
	struct hwt_outbuf b;
	char *text = NULL, *big = malloc(1 << 20);
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 1 << 20);
	ck_assert_int_eq(hwt_outbuf_init(&b, f), 0);
	for (int i = 0; i < 50000; i++)
		hwt_outbuf_str(&b, "0123456789");
	hwt_outbuf_mem(&b, big, 1 << 20);
	hwt_outbuf_i64(&b, INT64_MIN);
	ck_assert_int_eq(hwt_outbuf_flush(&b), 0);
	ck_assert_uint_eq(b.len, 0);
	hwt_outbuf_fini(&b);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_uint_eq(len, 500000 + (1 << 20) + 20);
	ck_assert(!memcmp(text + 499990, "0123456789xx", 12));
	ck_assert_str_eq(text + 500000 + (1 << 20), "-9223372036854775808");
	free(text);
	free(big);
}
END_TEST

/* A write that fails is HWT_E_IO, from then on; later writes are dropped, not crashed on. */
START_TEST(hwt_outbuf_write_error)
{
	struct hwt_outbuf b;
	FILE *f = fopen("/dev/full", "w");

	if (!f)
		return; /* no /dev/full here: nothing to test with */
	ck_assert_int_eq(hwt_outbuf_init(&b, f), 0);
	for (int i = 0; i < 100000 && !b.err; i++)
		hwt_outbuf_str(&b, "0123456789");
	ck_assert_int_eq(hwt_outbuf_flush(&b), HWT_E_IO);
	hwt_outbuf_str(&b, "more");
	hwt_outbuf_u64(&b, 1);
	hwt_outbuf_printf(&b, "%d", 2);
	ck_assert_int_eq(b.err, HWT_E_IO);
	ck_assert_int_eq(hwt_outbuf_flush(&b), HWT_E_IO);
	hwt_outbuf_fini(&b);
	fclose(f);
}
END_TEST

static Suite *outbuf_suite(void)
{
	Suite *s = suite_create("outbuf");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, hwt_fmt_u64_as_printf, 0, sizeof(u64_cases) / sizeof(u64_cases[0]));
	tcase_add_loop_test(tc, hwt_fmt_i64_as_printf, 0, sizeof(i64_cases) / sizeof(i64_cases[0]));
	tcase_add_loop_test(tc, hwt_u64_digits_powers, 0, 20);
	tcase_add_test(tc, hwt_fmt_u64_random);
	tcase_add_test(tc, hwt_fmt_fixed_digits);
	tcase_add_test(tc, hwt_outbuf_memory_grows);
	tcase_add_test(tc, hwt_outbuf_file_whole);
	tcase_add_test(tc, hwt_outbuf_write_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *r = srunner_create(outbuf_suite());
	int failed;

	srunner_run_all(r, CK_NORMAL);
	failed = srunner_ntests_failed(r);
	srunner_free(r);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

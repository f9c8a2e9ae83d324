/* Unit tests for the protobuf wire-format writer (core/pbuf.c), against the encoding examples of
 * the protobuf specification and protoc --decode_raw. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "exporters/pbuf.h"

static struct hwt_pbuf b;

static void setup(void)
{
	hwt_pbuf_init(&b);
}

static void teardown(void)
{
	hwt_pbuf_fini(&b);
}

static void assert_bytes(const uint8_t *want, size_t len)
{
	size_t i;

	ck_assert_int_eq(hwt_pbuf_error(&b), 0);
	ck_assert_uint_eq(b.len, len);
	for (i = 0; i < len; i++)
		ck_assert_msg(b.data[i] == want[i], "byte %zu: %02x != %02x", i, b.data[i],
			      want[i]);
}

START_TEST(pbuf_varint_spec)
{
	static const uint8_t want[] = { 0x08, 0x96, 0x01 };

	hwt_pbuf_varint(&b, 1, 150);
	assert_bytes(want, sizeof(want));
}
END_TEST

/* hwt_pbuf_put_varint(): the spec's 150, one byte, the widest value; it returns the end. */
START_TEST(pbuf_put_varint_bytes)
{
	static const struct {
		uint64_t v;
		uint8_t len, bytes[10];
	} cases[] = {
		{ 150, 2, { 0x96, 0x01 } },
		{ 0, 1, { 0x00 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ UINT64_MAX, 10, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 } },
	};
	uint8_t buf[12];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(buf, 0xaa, sizeof(buf));
		ck_assert_ptr_eq(hwt_pbuf_put_varint(buf, cases[i].v), buf + cases[i].len);
		ck_assert_mem_eq(buf, cases[i].bytes, cases[i].len);
		ck_assert_uint_eq(buf[cases[i].len], 0xaa);
	}
}
END_TEST

START_TEST(pbuf_string_spec)
{
	static const uint8_t want[] = { 0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g' };

	hwt_pbuf_string(&b, 2, "testing");
	assert_bytes(want, sizeof(want));
}
END_TEST

START_TEST(pbuf_nested_spec)
{
	static const uint8_t want[] = { 0x1a, 0x03, 0x08, 0x96, 0x01 };

	hwt_pbuf_begin(&b, 3);
	hwt_pbuf_varint(&b, 1, 150);
	hwt_pbuf_end(&b);
	assert_bytes(want, sizeof(want));
}
END_TEST

START_TEST(pbuf_packed_spec)
{
	/* repeated int32 f = 4 [packed]: 3, 270, 86942 */
	static const uint8_t want[] = { 0x22, 0x06, 0x03, 0x8e, 0x02, 0x9e, 0xa7, 0x05 };

	hwt_pbuf_begin(&b, 4);
	hwt_pbuf_raw_varint(&b, 3);
	hwt_pbuf_raw_varint(&b, 270);
	hwt_pbuf_raw_varint(&b, 86942);
	hwt_pbuf_end(&b);
	assert_bytes(want, sizeof(want));
}
END_TEST

START_TEST(pbuf_fixed_and_negative)
{
	static const uint8_t want[] = {
		0x09, 0,    0,	  0,	0,    0,    0,	  0x29, 0x40,		  /* double 12.5 */
		0x11, 1,    2,	  3,	4,    5,    6,	  7,	8,		  /* fixed64 */
		0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, /* int64 -1 */
		0xf8, 0x01, 0x01, /* field 31: a two-byte tag */
	};

	hwt_pbuf_double(&b, 1, 12.5);
	hwt_pbuf_fixed64(&b, 2, 0x0807060504030201ull);
	hwt_pbuf_varint(&b, 3, (uint64_t)(int64_t)-1);
	hwt_pbuf_varint(&b, 31, 1);
	assert_bytes(want, sizeof(want));
}
END_TEST

/* Bodies of 128 bytes and more need a longer length prefix: the body moves up. */
START_TEST(pbuf_long_nested)
{
	char text[300];
	size_t i;

	memset(text, 'x', sizeof(text));
	hwt_pbuf_begin(&b, 1);
	hwt_pbuf_begin(&b, 2);
	hwt_pbuf_bytes(&b, 3, text, sizeof(text));
	hwt_pbuf_end(&b);
	hwt_pbuf_varint(&b, 4, 7);
	hwt_pbuf_end(&b);
	ck_assert_int_eq(hwt_pbuf_error(&b), 0);
	/* 1 { 2 { 3: 300 bytes } 4: 7 }: inner body 1 + 2 + 300, outer body 1 + 2 + 303 + 2 */
	ck_assert_uint_eq(b.len, 1 + 2 + 308);
	ck_assert_uint_eq(b.data[0], 0x0a);
	ck_assert_uint_eq(b.data[1], (308 & 0x7f) | 0x80);
	ck_assert_uint_eq(b.data[2], 308 >> 7);
	ck_assert_uint_eq(b.data[3], 0x12);
	ck_assert_uint_eq(b.data[4], (303 & 0x7f) | 0x80);
	ck_assert_uint_eq(b.data[5], 303 >> 7);
	ck_assert_uint_eq(b.data[6], 0x1a);
	for (i = 0; i < sizeof(text); i++)
		ck_assert_uint_eq(b.data[9 + i], 'x');
	ck_assert_uint_eq(b.data[b.len - 2], 0x20);
	ck_assert_uint_eq(b.data[b.len - 1], 7);
}
END_TEST

/* protoc, which we did not write, reads back what we wrote. */
START_TEST(pbuf_decode_raw)
{
	const char *tmp = getenv("TMPDIR");
	char path[256], cmd[400], out[4096];
	FILE *f, *p;
	size_t n, i;
	int fd;

	snprintf(path, sizeof(path), "%s/hwt-pbuf-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	for (i = 0; i < 50; i++) {
		hwt_pbuf_begin(&b, 1);
		hwt_pbuf_varint(&b, 8, 1000 + i);
		hwt_pbuf_begin(&b, 11);
		hwt_pbuf_string(&b, 23, "a slice name that is long enough to need more room");
		hwt_pbuf_double(&b, 44, 0.25);
		hwt_pbuf_end(&b);
		hwt_pbuf_end(&b);
	}
	ck_assert_int_eq(hwt_pbuf_error(&b), 0);
	f = fdopen(fd, "w");
	ck_assert_uint_eq(fwrite(b.data, 1, b.len, f), b.len);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < '%s' | grep -c '^1 {'", path);
	p = popen(cmd, "r");
	n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = '\0';
	ck_assert_int_eq(pclose(p), 0);
	unlink(path);
	ck_assert_str_eq(out, "50\n");
}
END_TEST

START_TEST(pbuf_reset)
{
	static const uint8_t want[] = { 0x08, 0x01 };

	hwt_pbuf_string(&b, 5, "gone");
	hwt_pbuf_begin(&b, 1);
	hwt_pbuf_reset(&b);
	hwt_pbuf_varint(&b, 1, 1);
	assert_bytes(want, sizeof(want));
}
END_TEST

START_TEST(pbuf_bad_nesting)
{
	int i;

	hwt_pbuf_end(&b);
	ck_assert_int_eq(hwt_pbuf_error(&b), HWT_E_INVAL);
	hwt_pbuf_reset(&b);
	hwt_pbuf_begin(&b, 1);
	ck_assert_int_eq(hwt_pbuf_error(&b), HWT_E_INVAL); /* still open */
	hwt_pbuf_end(&b);
	ck_assert_int_eq(hwt_pbuf_error(&b), 0);
	for (i = 0; i <= HWT_PBUF_MAX_DEPTH; i++)
		hwt_pbuf_begin(&b, 1);
	ck_assert_int_eq(hwt_pbuf_error(&b), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pbuf_error(NULL), HWT_E_INVAL);
	hwt_pbuf_fini(NULL);
}
END_TEST

START_TEST(pbuf_empty_values)
{
	static const uint8_t want[] = { 0x0a, 0x00, 0x12, 0x00, 0x1a, 0x00 };

	hwt_pbuf_string(&b, 1, "");
	hwt_pbuf_string(&b, 2, NULL);
	hwt_pbuf_bytes(&b, 3, NULL, 0);
	assert_bytes(want, sizeof(want));
}
END_TEST

static Suite *pbuf_suite(void)
{
	Suite *s = suite_create("pbuf");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, pbuf_varint_spec);
	tcase_add_test(tc, pbuf_put_varint_bytes);
	tcase_add_test(tc, pbuf_string_spec);
	tcase_add_test(tc, pbuf_nested_spec);
	tcase_add_test(tc, pbuf_packed_spec);
	tcase_add_test(tc, pbuf_fixed_and_negative);
	tcase_add_test(tc, pbuf_long_nested);
	tcase_add_test(tc, pbuf_decode_raw);
	tcase_add_test(tc, pbuf_reset);
	tcase_add_test(tc, pbuf_bad_nesting);
	tcase_add_test(tc, pbuf_empty_values);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pbuf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for the uprobe backend's stream records and function tables
 * (core/format/uprobe_format.c): what the writer writes, the reader gives back, and damaged
 * bytes are refused. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/format/uprobe_format.h"
#include "hwtrace/error.h"

static const struct hwt_uprobe_record records[] = {
	{ .kind = UP_KIND_THREAD, .a = 4242, .b = 4240 },
	{ .kind = UP_KIND_GAP, .a = 3, .b = 1000000 },
	{ .kind = UP_KIND_ENTRY, .id = 7, .a = 0, .b = 1500, .c = -64 },
	{ .kind = UP_KIND_RETURN, .id = (1u << 24), .a = 1, .b = (uint64_t)-20, .c = 72 },
	{ .kind = UP_KIND_ENTRY, .id = 0, .a = UINT32_MAX, .b = INT64_MAX, .c = INT64_MIN },
};

START_TEST(hwt_uprobe_record_put_round_trip)
{
	const struct hwt_uprobe_record *want = &records[_i];
	uint8_t buf[UP_RECORD_MAX];
	size_t n = hwt_uprobe_record_put(buf, want);
	const uint8_t *p = buf;
	struct hwt_uprobe_record got;

	ck_assert_uint_le(n, UP_RECORD_MAX);
	ck_assert_int_eq(hwt_uprobe_record_get(&p, buf + n, &got), 0);
	ck_assert_ptr_eq(p, buf + n);
	ck_assert_uint_eq(got.kind, want->kind);
	ck_assert_uint_eq(got.id, want->id);
	ck_assert_uint_eq(got.a, want->a);
	ck_assert_uint_eq(got.b, want->b);
	ck_assert_int_eq(got.c, want->c);
}
END_TEST

START_TEST(hwt_uprobe_record_get_truncated)
{
	uint8_t buf[UP_RECORD_MAX];
	size_t n = hwt_uprobe_record_put(buf, &records[_i]), cut;
	struct hwt_uprobe_record got;

	for (cut = 0; cut < n; cut++) {
		const uint8_t *p = buf;

		ck_assert_msg(hwt_uprobe_record_get(&p, buf + cut, &got) == -1,
			      "record %d cut at %zu of %zu bytes was read", _i, cut, n);
	}
}
END_TEST

/* The inline reader gives what hwt_uprobe_record_get() gives, on records as written and on
 * bytes drawn at random (long and overlong varints among them), with room or near the end. */
START_TEST(hwt_uprobe_record_next_as_get)
{
	uint8_t buf[2 * UP_RECORD_MAX];
	uint32_t seed = 14;

	for (int round = 0; round < 20000; round++) {
		size_t len = round % 3 ? sizeof(buf) : (size_t)(round / 3) % sizeof(buf);
		if (round < (int)(sizeof(records) / sizeof(records[0]))) {
			memset(buf, 0, sizeof(buf));
			len = sizeof(buf);
			hwt_uprobe_record_put(buf, &records[round]);
		} else {
			for (size_t i = 0; i < sizeof(buf); i++) {
				seed = seed * 1103515245u + 12345u;
				/* Half the bytes continue a varint. */
				buf[i] = (uint8_t)(seed >> 16) | (seed & 0x80000000u ? 0x80 : 0);
			}
		}
		const uint8_t *p1 = buf, *p2 = buf;
		struct hwt_uprobe_record r1, r2;
		memset(&r1, 0, sizeof(r1));
		memset(&r2, 0, sizeof(r2));
		int rc1 = hwt_uprobe_record_get(&p1, buf + len, &r1);
		int rc2 = hwt_uprobe_record_next(&p2, buf + len, &r2);
		ck_assert_int_eq(rc2, rc1);
		if (rc1)
			continue;
		ck_assert_ptr_eq(p2, p1);
		ck_assert_uint_eq(r2.kind, r1.kind);
		ck_assert_uint_eq(r2.id, r1.id);
		ck_assert_uint_eq(r2.a, r1.a);
		ck_assert_uint_eq(r2.b, r1.b);
		ck_assert_int_eq(r2.c, r1.c);
	}
}
END_TEST

/* The functions a table holds, as read back. */
struct seen {
	char path[64];
	struct hwt_uprobe_func f[4];
	char names[4][32];
	int n, stop_at;
};

static int on_file(const char *path, size_t len, void *ctx)
{
	struct seen *s = ctx;

	ck_assert_uint_lt(len, sizeof(s->path));
	memcpy(s->path, path, len);
	s->path[len] = '\0';
	return 0;
}

static int on_func(const struct hwt_uprobe_func *f, void *ctx)
{
	struct seen *s = ctx;

	if (s->n == s->stop_at)
		return HWT_E_NOMEM;
	ck_assert_int_lt(s->n, 4);
	ck_assert_uint_lt(f->name_len, sizeof(s->names[0]));
	s->f[s->n] = *f;
	memcpy(s->names[s->n], f->name, f->name_len);
	s->names[s->n][f->name_len] = '\0';
	s->n++;
	return 0;
}

static const struct hwt_uprobe_table_reader reader = { .file = on_file, .func = on_func };

/* A table of three functions; @ends (if not NULL) gets its length after the file and after each
 * function. */
static void make_table(struct hwt_uprobe_table *t, size_t *ends)
{
	size_t dummy[4];

	if (!ends)
		ends = dummy;
	ck_assert_int_eq(hwt_uprobe_table_begin(t, "/usr/lib/libc.so.6"), 0);
	ends[0] = t->len;
	ck_assert_int_eq(hwt_uprobe_table_add(t, 0, 0x1000, 32, 0, "main"), 0);
	ends[1] = t->len;
	ck_assert_int_eq(hwt_uprobe_table_add(t, 1, 0xffffffffff600000ull, 0, 3, "_ZN3foo3barEv"),
			 0);
	ends[2] = t->len;
	ck_assert_int_eq(hwt_uprobe_table_add(t, 99, 0, 1, 1, ""), 0);
	ends[3] = t->len;
}

START_TEST(hwt_uprobe_table_read_round_trip)
{
	struct hwt_uprobe_table t = { 0 };
	struct seen s = { .stop_at = -1 };

	make_table(&t, NULL);
	ck_assert_int_eq(hwt_uprobe_table_read(t.data, t.len, &reader, &s), 0);
	ck_assert_str_eq(s.path, "/usr/lib/libc.so.6");
	ck_assert_int_eq(s.n, 3);
	ck_assert_uint_eq(s.f[0].id, 0);
	ck_assert_uint_eq(s.f[0].vaddr, 0x1000);
	ck_assert_uint_eq(s.f[0].size, 32);
	ck_assert_str_eq(s.names[0], "main");
	ck_assert_uint_eq(s.f[1].id, 1);
	ck_assert_uint_eq(s.f[1].vaddr, 0xffffffffff600000ull);
	ck_assert_uint_eq(s.f[1].flags, 3);
	ck_assert_str_eq(s.names[1], "_ZN3foo3barEv");
	ck_assert_uint_eq(s.f[2].id, 99);
	ck_assert_str_eq(s.names[2], "");
	hwt_uprobe_table_fini(&t);
	ck_assert_ptr_null(t.data);
}
END_TEST

START_TEST(hwt_uprobe_table_read_truncated)
{
	struct hwt_uprobe_table t = { 0 };
	size_t ends[4];
	int whole = 0;

	make_table(&t, ends);
	/* Cut after the file or a function: a shorter table. Anywhere else: refused, with what
	 * came before handed out. */
	for (size_t cut = 0; cut < t.len; cut++) {
		struct seen s = { .stop_at = -1 };
		int rc = hwt_uprobe_table_read(t.data, cut, &reader, &s);

		if (whole < 4 && cut == ends[whole]) {
			ck_assert_msg(rc == 0 && s.n == whole,
				      "cut at %zu: rc %d with %d functions", cut, rc, s.n);
			whole++;
		} else {
			ck_assert_msg(rc == HWT_E_CORRUPT && s.n == (whole ? whole - 1 : 0),
				      "cut at %zu: rc %d with %d functions", cut, rc, s.n);
		}
	}
	hwt_uprobe_table_fini(&t);
}
END_TEST

START_TEST(hwt_uprobe_table_read_not_a_table)
{
	static const char text[] = "file /bin/true\n0 1000 10 0 main\n";
	struct seen s = { .stop_at = -1 };

	ck_assert_int_eq(hwt_uprobe_table_read(text, sizeof(text) - 1, &reader, &s), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_uprobe_table_read(text, 0, &reader, &s), HWT_E_CORRUPT);
	ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(hwt_uprobe_table_read_hook_error)
{
	struct hwt_uprobe_table t = { 0 };
	struct seen s = { .stop_at = 1 };

	make_table(&t, NULL);
	ck_assert_int_eq(hwt_uprobe_table_read(t.data, t.len, &reader, &s), HWT_E_NOMEM);
	ck_assert_int_eq(s.n, 1);
	hwt_uprobe_table_fini(&t);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("uprobe_format");
	TCase *tc = tcase_create("records");

	tcase_add_loop_test(tc, hwt_uprobe_record_put_round_trip, 0,
			    sizeof(records) / sizeof(records[0]));
	tcase_add_loop_test(tc, hwt_uprobe_record_get_truncated, 0,
			    sizeof(records) / sizeof(records[0]));
	tcase_add_test(tc, hwt_uprobe_record_next_as_get);
	suite_add_tcase(s, tc);
	tc = tcase_create("tables");
	tcase_add_test(tc, hwt_uprobe_table_read_round_trip);
	tcase_add_test(tc, hwt_uprobe_table_read_truncated);
	tcase_add_test(tc, hwt_uprobe_table_read_not_a_table);
	tcase_add_test(tc, hwt_uprobe_table_read_hook_error);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

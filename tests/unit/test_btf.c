/* Unit tests for core/btf.c: member offsets in a hand-made BTF blob (anonymous unions,
 * bitfields, damage) and in the running kernel's, where it has one. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/btf.h"
#include "tests/btf_blob.h"

START_TEST(hwt_btf_member_offset_blob)
{
	uint8_t b[512];
	size_t len = btf_blob(b);
	uint32_t off = 99;

	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "pid", &off), 0);
	ck_assert_uint_eq(off, 0);
	/* inside the anonymous union at byte 4 */
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "tgid", &off), 0);
	ck_assert_uint_eq(off, 4);
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "other", &off), 0);
	ck_assert_uint_eq(off, 4);
	/* a bitfield has no byte of its own; unknown names */
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "flags", &off), HWT_E_NOENT);
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "comm", &off), HWT_E_NOENT);
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "mm_struct", "pid", &off), HWT_E_NOENT);
	ck_assert_int_eq(hwt_btf_member_offset(NULL, len, "task_struct", "pid", &off), HWT_E_INVAL);
}
END_TEST

START_TEST(hwt_btf_member_offset_damaged)
{
	uint8_t b[512];
	size_t len = btf_blob(b);
	uint32_t off;
	struct btf_header h;

	/* cut anywhere: an error or, where whole types remain, an answer; never past the end */
	for (size_t cut = 0; cut < len; cut++) {
		int rc = hwt_btf_member_offset(b, cut, "task_struct", "tgid", &off);
		ck_assert(rc == HWT_E_CORRUPT || rc == HWT_E_NOENT || rc == 0);
	}
	memcpy(&h, b, sizeof(h));
	b[0] ^= 1; /* magic */
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "tgid", &off), HWT_E_CORRUPT);
	b[0] ^= 1;
	h.str_len = 4096; /* strings past the end */
	memcpy(b, &h, sizeof(h));
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "tgid", &off), HWT_E_CORRUPT);
	/* a member name past the string section */
	len = btf_blob(b);
	uint32_t bad = 10000;
	memcpy(b + sizeof(h) + 4 * 7, &bad, 4); /* the struct's first member's name */
	ck_assert_int_eq(hwt_btf_member_offset(b, len, "task_struct", "tgid", &off), HWT_E_CORRUPT);
}
END_TEST

/* The running kernel's task_struct: tgid right after pid (both pid_t), as Linux has had it. */
START_TEST(hwt_btf_file_read_vmlinux)
{
	uint32_t pid, tgid;
	size_t len;
	int err;
	uint8_t *btf = hwt_btf_file_read(HWT_BTF_VMLINUX, &len, &err);

	if (access(HWT_BTF_VMLINUX, R_OK)) {
		ck_assert_ptr_null(btf);
		ck_assert_int_eq(err, HWT_E_IO);
		return;
	}
	ck_assert_ptr_nonnull(btf);
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(hwt_btf_member_offset(btf, len, "task_struct", "pid", &pid), 0);
	ck_assert_int_eq(hwt_btf_member_offset(btf, len, "task_struct", "tgid", &tgid), 0);
	ck_assert_uint_eq(tgid, pid + 4);
	free(btf);
	ck_assert_ptr_null(hwt_btf_file_read("/nonexistent", &len, &err));
	ck_assert_int_eq(err, HWT_E_IO);
}
END_TEST

static Suite *btf_suite(void)
{
	Suite *s = suite_create("btf");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hwt_btf_member_offset_blob);
	tcase_add_test(tc, hwt_btf_member_offset_damaged);
	tcase_add_test(tc, hwt_btf_file_read_vmlinux);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(btf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

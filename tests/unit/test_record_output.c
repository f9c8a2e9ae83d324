/* Unit tests for core/record_output.c: a recording's output has no name until it is given one, an
 * anonymous one never has, a file of that name is replaced but a FIFO is not, a dropped one is
 * gone. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/record_output.h"

static char dir[64], out[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hwt-test-output-%d", (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(out, sizeof(out), "%s/x.hwt", dir);
}

/* Files in the directory, whatever their names. */
static int entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void teardown(void)
{
	unlink(out);
	rmdir(dir);
}

START_TEST(hwt_rec_output_name_links)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";
	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "HWTRACE", 7), 7);
	ck_assert_int_eq(entries(), 0); /* nothing to leave behind yet */
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	ck_assert_int_eq(o.named, 1);
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	close(fd);
	hwt_rec_output_drop(&o);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

/* An older file of that name is replaced, as rename() would. */
START_TEST(hwt_rec_output_name_replaces)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";
	FILE *f = fopen(out, "w");

	ck_assert_ptr_nonnull(f);
	fputs("old contents", f);
	fclose(f);
	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "new", 3), 3);
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	close(fd);
}
END_TEST

/* A FIFO (or a device) of that name is not replaced, nor a link to one: one line says so. */
START_TEST(hwt_rec_output_name_refuses_fifo)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";

	ck_assert_int_eq(mkfifo(out, 0644), 0);
	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "not a regular file"));
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	/* Nor a link to one (as /dev/stdout is to a pipe). */
	char link[160];
	snprintf(link, sizeof(link), "%s/link.hwt", dir);
	ck_assert_int_eq(symlink(out, link), 0);
	o.path = link;
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	unlink(link);
	close(fd);
}
END_TEST

/* An anonymous output never gets a name, and its descriptor reads back through /proc. */
START_TEST(hwt_rec_output_anonymous)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "", proc[64], buf[8] = "";
	int fd = hwt_rec_output_open(&o, out, 1, why, sizeof(why));

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	ck_assert_int_eq(entries(), 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	FILE *f = fopen(proc, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	ck_assert_str_eq(buf, "abc");
	fclose(f);
	close(fd);
}
END_TEST

/* A folder that does not exist: the error names the output. */
START_TEST(hwt_rec_output_open_no_folder)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "", bad[160];

	snprintf(bad, sizeof(bad), "%s/missing/x.hwt", dir);
	ck_assert_int_lt(hwt_rec_output_open(&o, bad, 0, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "cannot write"));
	ck_assert_ptr_nonnull(strstr(why, "missing/x.hwt"));
	hwt_rec_output_drop(&o); /* nothing to drop: no harm */
	ck_assert_int_eq(entries(), 0);
}
END_TEST

static Suite *record_output_suite(void)
{
	Suite *s = suite_create("record_output");
	TCase *tc = tcase_create("record_output");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hwt_rec_output_name_links);
	tcase_add_test(tc, hwt_rec_output_name_replaces);
	tcase_add_test(tc, hwt_rec_output_name_refuses_fifo);
	tcase_add_test(tc, hwt_rec_output_anonymous);
	tcase_add_test(tc, hwt_rec_output_open_no_folder);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(record_output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

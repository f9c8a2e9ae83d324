/* Unit tests for core/record_output.c: a recording's output has no name until it is given one, an
 * anonymous one never has, a file of that name is replaced (mode 0600 whatever the umask), a link
 * to one keeps being a link, a FIFO or a device node is written in place and never replaced or
 * removed, a dropped one is gone, bad paths are refused in one line (root, for mknod). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void teardown(void)
{
	ck_assert_int_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
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

static void write_text(int fd, const char *text)
{
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

/* A FIFO of that name is written in place: the reader gets the bytes; naming and dropping it
 * leave it a FIFO. */
START_TEST(hwt_rec_output_open_fifo_in_place)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "", buf[16] = "";
	struct stat st;

	ck_assert_int_eq(mkfifo(out, 0644), 0);
	int rd = open(out, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	ck_assert_int_eq(o.direct, 1);
	write_text(fd, "fifo");
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	hwt_rec_output_drop(&o);
	close(fd);
	ck_assert_int_eq(read(rd, buf, sizeof(buf) - 1), 4);
	ck_assert_str_eq(buf, "fifo");
	close(rd);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

/* A device node is written in place; neither naming nor dropping replaces or removes it. */
START_TEST(hwt_rec_output_open_device_in_place)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";
	struct stat st, before;

	ck_assert_int_eq(mknod(out, S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(stat(out, &before), 0);
	ck_assert_int_eq(hwt_rec_output_kind(out, why, sizeof(why)), HWT_OUTPUT_DIRECT);
	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	write_text(fd, "into the null device");
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	hwt_rec_output_drop(&o);
	close(fd);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_mode, before.st_mode); /* its own mode, not ours */
	ck_assert_uint_eq(st.st_rdev, before.st_rdev);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

static const mode_t umasks[] = { 0, 022, 077, 0277 };

/* Private whatever the umask, named or not yet. */
START_TEST(hwt_rec_output_open_private)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";
	struct stat st;
	mode_t old = umask(umasks[_i]);

	int fd = hwt_rec_output_open(&o, out, 0, why, sizeof(why));
	umask(old);
	ck_assert_msg(fd >= 0, "%s", why);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, HWT_OUTPUT_MODE);
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, HWT_OUTPUT_MODE);
}
END_TEST

/* A link to a regular file: the file it names is replaced, the link stays a link. */
START_TEST(hwt_rec_output_open_keeps_link)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "", link[160];
	struct stat st;
	FILE *f = fopen(out, "w");

	ck_assert_ptr_nonnull(f);
	fclose(f);
	snprintf(link, sizeof(link), "%s/link.hwt", dir);
	ck_assert_int_eq(symlink(out, link), 0);
	int fd = hwt_rec_output_open(&o, link, 0, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	write_text(fd, "linked");
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_size, 6);
	ck_assert_int_eq(entries(), 2);
}
END_TEST

/* A descriptor adopted (standard output) is written in place and never dropped. */
START_TEST(hwt_rec_output_adopt_in_place)
{
	struct hwt_rec_output o = { .keep_fd = -1 };
	char why[256] = "";
	int mine = open(out, O_WRONLY | O_CREAT, 0600);

	ck_assert_int_ge(mine, 0);
	int fd = hwt_rec_output_adopt(&o, mine, "/dev/stdout", why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	ck_assert_int_ne(fd, mine);
	write_text(fd, "adopted");
	ck_assert_int_eq(hwt_rec_output_name(&o, why, sizeof(why)), 0);
	hwt_rec_output_drop(&o);
	close(fd);
	close(mine);
	struct stat st;
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_int_eq(st.st_size, 7);
	ck_assert_int_lt(hwt_rec_output_adopt(&o, -1, "x", why, sizeof(why)), 0);
}
END_TEST

/* Refused, with a line that names the path: empty, a directory, a missing directory. */
START_TEST(hwt_rec_output_kind_refused)
{
	char why[256] = "", missing[160];

	ck_assert_int_eq(hwt_rec_output_kind(NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_rec_output_kind("", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_rec_output_kind(dir, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "is a directory") && strstr(why, dir), "%s", why);
	snprintf(missing, sizeof(missing), "%s/no-such-dir/x.hwt", dir);
	ck_assert_int_eq(hwt_rec_output_kind(missing, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "does not exist") && strstr(why, missing), "%s", why);
	ck_assert_int_eq(hwt_rec_output_kind(missing, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_rec_output_kind(out, why, sizeof(why)), HWT_OUTPUT_NEW);
	ck_assert_int_eq(entries(), 0);
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
	tcase_add_test(tc, hwt_rec_output_open_fifo_in_place);
	tcase_add_test(tc, hwt_rec_output_open_device_in_place);
	tcase_add_loop_test(tc, hwt_rec_output_open_private, 0,
			    (int)(sizeof(umasks) / sizeof(umasks[0])));
	tcase_add_test(tc, hwt_rec_output_open_keeps_link);
	tcase_add_test(tc, hwt_rec_output_adopt_in_place);
	tcase_add_test(tc, hwt_rec_output_kind_refused);
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

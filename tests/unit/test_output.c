/* Unit tests for core/output.c: outputs created 0600 whatever the umask, renamed when complete,
 * devices and FIFOs written in place and never replaced or removed, links kept, bad paths refused
 * in one line (runs as root for mknod). */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/output.h"

static char dir[64], path[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hwt-test-output-%d", (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/out.json", dir);
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

static void teardown(void)
{
	ck_assert_int_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void write_text(int fd, const char *text)
{
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
}

static const mode_t umasks[] = { 0, 022, 077, 0277 };

START_TEST(hwt_output_open_private)
{
	struct hwt_output o;
	char why[512] = "";
	struct stat st;
	mode_t old = umask(umasks[_i]);

	int fd = hwt_output_open(&o, path, why, sizeof(why));
	umask(old);
	ck_assert_msg(fd >= 0, "%s", why);
	ck_assert_int_eq(o.direct, 0);
	ck_assert_int_ne(stat(path, &st), 0); /* not there until complete */
	write_text(fd, "{}");
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, HWT_OUTPUT_MODE);
	ck_assert_int_eq(st.st_size, 2);
	ck_assert_int_eq(dir_entries(), 1);
}
END_TEST

/* An existing regular file is replaced: it gets the new content and the private mode. */
START_TEST(hwt_output_open_replaces_file)
{
	struct hwt_output o;
	char why[512] = "";
	struct stat st;
	int fd = open(path, O_WRONLY | O_CREAT, 0666);

	ck_assert_int_ge(fd, 0);
	write_text(fd, "old old old");
	close(fd);
	chmod(path, 0644);
	fd = hwt_output_open(&o, path, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	write_text(fd, "new");
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 3);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
}
END_TEST

/* Discarded before commit: nothing left; after commit: the output goes. */
START_TEST(hwt_output_discard_removes)
{
	struct hwt_output o;
	char why[512] = "";

	int fd = hwt_output_open(&o, path, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	close(fd);
	hwt_output_discard(&o, 0);
	ck_assert_int_eq(dir_entries(), 0);
	fd = hwt_output_open(&o, path, why, sizeof(why));
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	ck_assert_int_eq(dir_entries(), 1);
	hwt_output_discard(&o, 1);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* A device node is written in place; neither commit nor discard replaces or removes it. */
START_TEST(hwt_output_open_device)
{
	struct hwt_output o;
	char why[512] = "";
	struct stat st, before;

	ck_assert_int_eq(mknod(path, S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(stat(path, &before), 0);
	ck_assert_int_eq(hwt_output_kind(path, why, sizeof(why)), HWT_OUTPUT_DIRECT);
	int fd = hwt_output_open(&o, path, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	ck_assert_int_eq(o.direct, 1);
	write_text(fd, "into the null device");
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	hwt_output_discard(&o, 1);
	hwt_output_discard(&o, 0);
	close(fd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(st.st_mode, before.st_mode); /* its own mode, not ours */
	ck_assert_uint_eq(st.st_rdev, before.st_rdev);
	ck_assert_int_eq(dir_entries(), 1);
}
END_TEST

/* A FIFO is written in place: the reader gets the bytes. */
START_TEST(hwt_output_open_fifo)
{
	struct hwt_output o;
	char why[512] = "", buf[16] = "";
	struct stat st;

	ck_assert_int_eq(mkfifo(path, 0600), 0);
	int rd = open(path, O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rd, 0);
	int fd = hwt_output_open(&o, path, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	write_text(fd, "fifo");
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(read(rd, buf, sizeof(buf) - 1), 4);
	ck_assert_str_eq(buf, "fifo");
	close(rd);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

/* A link to a regular file: the file it names is replaced, the link stays a link. */
START_TEST(hwt_output_open_keeps_link)
{
	struct hwt_output o;
	char why[512] = "", link[160];
	struct stat st;

	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(link, sizeof(link), "%s/link.json", dir);
	ck_assert_int_eq(symlink(path, link), 0);
	fd = hwt_output_open(&o, link, why, sizeof(why));
	ck_assert_msg(fd >= 0, "%s", why);
	write_text(fd, "linked");
	ck_assert_int_eq(hwt_output_commit(&o, why, sizeof(why)), 0);
	close(fd);
	ck_assert_int_eq(lstat(link, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 6);
	ck_assert_int_eq(dir_entries(), 2);
}
END_TEST

/* Refused, with a line that names the path: empty, a directory, a missing directory. */
START_TEST(hwt_output_kind_refused)
{
	char why[512] = "", missing[160];

	ck_assert_int_eq(hwt_output_kind(NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_output_kind("", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_output_kind(dir, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "is a directory") && strstr(why, dir), "%s", why);
	snprintf(missing, sizeof(missing), "%s/no-such-dir/x.hwt", dir);
	ck_assert_int_eq(hwt_output_kind(missing, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "does not exist") && strstr(why, missing), "%s", why);
	ck_assert_int_eq(hwt_output_kind(missing, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_output_kind(path, why, sizeof(why)), HWT_OUTPUT_NEW);
	struct hwt_output o;
	ck_assert_int_lt(hwt_output_open(&o, missing, why, sizeof(why)), 0);
	ck_assert_int_eq(o.fd, -1);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

static Suite *output_suite(void)
{
	Suite *s = suite_create("output");
	TCase *tc = tcase_create("output");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, hwt_output_open_private, 0,
			    (int)(sizeof(umasks) / sizeof(umasks[0])));
	tcase_add_test(tc, hwt_output_open_replaces_file);
	tcase_add_test(tc, hwt_output_discard_removes);
	tcase_add_test(tc, hwt_output_open_device);
	tcase_add_test(tc, hwt_output_open_fifo);
	tcase_add_test(tc, hwt_output_open_keeps_link);
	tcase_add_test(tc, hwt_output_kind_refused);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(output_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

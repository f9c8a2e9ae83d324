/* A private directory per test (Check fixture), removed with everything in it: define
 * SCRATCH_NAME ("host") and SCRATCH_FILE ("t.hwt") before including; `dir` is the directory,
 * `out` the file SCRATCH_FILE in it. setup() and teardown() are the fixture. */
#ifndef HWT_TESTS_SCRATCH_DIR_H
#define HWT_TESTS_SCRATCH_DIR_H

#include <check.h>
#include <ftw.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], out[128];

static void setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hwt-test-%s-%d", SCRATCH_NAME, (int)getpid());
	ck_assert_int_eq(mkdir(dir, 0755), 0);
	snprintf(out, sizeof(out), "%s/%s", dir, SCRATCH_FILE);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	ck_assert_int_eq(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

#endif

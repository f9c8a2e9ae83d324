/* Unit tests for core/elfsym.c: symbols found in an ELF file's tables without loading it. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/elfsym.h"

/* This test's own executable: main is defined in .symtab, malloc imported in .dynsym. */
static char self[4096];

static void setup(void)
{
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ck_assert_int_gt(n, 0);
	self[n] = 0;
}

START_TEST(hwt_elf_has_symbol_found)
{
	ck_assert_int_eq(hwt_elf_has_symbol(self, "main", HWT_ELFSYM_DEFINED), 1);
	ck_assert_int_eq(hwt_elf_has_symbol(self, "malloc", 0), 1);
	ck_assert_int_eq(hwt_elf_has_symbol(self, "hwt_elf_has_", HWT_ELFSYM_PREFIX), 1);
}
END_TEST

START_TEST(hwt_elf_has_symbol_absent)
{
	ck_assert_int_eq(hwt_elf_has_symbol(self, "no_such_symbol_anywhere", 0), 0);
	/* Imported, not defined. */
	ck_assert_int_eq(hwt_elf_has_symbol(self, "malloc", HWT_ELFSYM_DEFINED), 0);
	/* Static: in .symtab only. */
	ck_assert_int_eq(hwt_elf_has_symbol(self, "setup", HWT_ELFSYM_DYNAMIC), 0);
	ck_assert_int_eq(hwt_elf_has_symbol(self, "hwt_elf_has_symbol", 0), 1);
}
END_TEST

START_TEST(hwt_elf_has_symbol_bad)
{
	char path[64];

	ck_assert_int_eq(hwt_elf_has_symbol(NULL, "main", 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_elf_has_symbol(self, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_elf_has_symbol("/no/such/file", "main", 0), HWT_E_NOENT);
	ck_assert_int_eq(hwt_elf_has_symbol("/tmp", "main", 0), HWT_E_INVAL);
	/* A FIFO: refused before open, which would wait for a writer. */
	snprintf(path, sizeof(path), "/tmp/hwt-test-elfsym-%d", (int)getpid());
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(10);
	ck_assert_int_eq(hwt_elf_has_symbol(path, "main", 0), HWT_E_INVAL);
	alarm(0);
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not an ELF file\n", 16), 16);
	close(fd);
	ck_assert_int_eq(hwt_elf_has_symbol(path, "main", 0), HWT_E_ELF);
	unlink(path);
}
END_TEST

static Suite *elfsym_suite(void)
{
	Suite *s = suite_create("elfsym");
	TCase *tc = tcase_create("elfsym");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, hwt_elf_has_symbol_found);
	tcase_add_test(tc, hwt_elf_has_symbol_absent);
	tcase_add_test(tc, hwt_elf_has_symbol_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elfsym_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

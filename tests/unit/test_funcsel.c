/* Unit tests for core/funcsel.c and core/ifunc.c: selection over every name of a function on
 * this test program's own assembly functions and on the C library, IFUNCs resolved to what the
 * loader picked in this very process, and bad arguments. */
#include <check.h>
#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/funcsel.h"
#include "core/ifunc.h"

/* hwt_s_one (global) is also hwt_s_weak (weak) and hwt_s_local (local): nop; ret. */
__asm__(".text\n"
	".type hwt_s_local,@function\n"
	"hwt_s_local:\n"
	".weak hwt_s_weak\n"
	".type hwt_s_weak,@function\n"
	"hwt_s_weak:\n"
	".globl hwt_s_one\n"
	".type hwt_s_one,@function\n"
	"hwt_s_one:\n"
	".byte 0x90, 0xc3\n"
	".size hwt_s_one, .-hwt_s_one\n"
	".size hwt_s_weak, .-hwt_s_weak\n"
	".size hwt_s_local, .-hwt_s_local\n");

#define MAX_PICKS 4096
struct pick {
	char name[128];
	uint64_t vaddr;
	int noted;
};
static struct pick picks[MAX_PICKS];
static int npicks;

static int collect(const struct hwt_funcsel_pick *p, void *ctx)
{
	ck_assert_int_lt(npicks, MAX_PICKS);
	snprintf(picks[npicks].name, sizeof(picks[npicks].name), "%s", p->name);
	picks[npicks].vaddr = p->f->vaddr;
	picks[npicks++].noted = p->ifunc_note != NULL;
	return 0;
}

static const struct pick *find(const char *name)
{
	for (int i = 0; i < npicks; i++)
		if (!strcmp(picks[i].name, name))
			return &picks[i];
	return NULL;
}

/* Selects in @path (@is_main) with the -F patterns @inc and the -N pattern @exc (may be NULL);
 * returns the count. */
static int select_in(const char *path, int is_main, const char *const *inc, size_t ninc,
		     const char *exc)
{
	struct hwt_funcsel *s = hwt_funcsel_alloc();
	char why[256] = "";

	ck_assert_ptr_nonnull(s);
	for (size_t i = 0; i < ninc; i++)
		ck_assert_int_eq(hwt_funcsel_add(s, inc[i], 0), 0);
	if (exc)
		ck_assert_int_eq(hwt_funcsel_add(s, exc, 1), 0);
	npicks = 0;
	int n = hwt_funcsel_file(s, path, is_main, 0, collect, NULL, why, sizeof(why));
	ck_assert_msg(n >= 0, "%s: %s", path, why);
	ck_assert_int_eq(n, npicks);
	for (size_t i = 0; i < ninc; i++) {
		uint64_t matched = 0;
		ck_assert_str_eq(hwt_funcsel_pattern(s, i, &matched), inc[i]);
	}
	hwt_funcsel_free(s);
	return n;
}

/* The address libc's own @name has here (not an interceptor's, as under ASan). */
static uint64_t libc_sym(const char *name)
{
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
	void *p;

	ck_assert_ptr_nonnull(h);
	p = dlsym(h, name);
	ck_assert_ptr_nonnull(p);
	dlclose(h);
	return (uint64_t)(uintptr_t)p;
}

static const char *libc_path(uint64_t *base)
{
	static char path[4096];
	struct link_map *lm = NULL;
	void *h = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(dlinfo(h, RTLD_DI_LINKMAP, &lm), 0);
	snprintf(path, sizeof(path), "%s", lm->l_name);
	*base = lm->l_addr;
	dlclose(h);
	return path;
}

/* Every name of an address matches; the function shows under the one that did. */
static const struct {
	const char *glob, *shown;
} alias_cases[] = {
	{ "hwt_s_one", "hwt_s_one" },	  { "hwt_s_weak", "hwt_s_weak" },
	{ "hwt_s_local", "hwt_s_local" }, { "hwt_s_w*", "hwt_s_weak" },
	{ "hwt_s_*", "hwt_s_one" }, /* the preferred name matches: it stays */
};

START_TEST(hwt_funcsel_file_aliases)
{
	const char *inc[] = { alias_cases[_i].glob };

	ck_assert_int_eq(select_in("/proc/self/exe", 1, inc, 1, NULL), 1);
	ck_assert_str_eq(picks[0].name, alias_cases[_i].shown);
	/* -N on any name excludes it. */
	ck_assert_int_eq(select_in("/proc/self/exe", 1, inc, 1, "hwt_s_local"), 0);
}
END_TEST

/* Without -F for the program: its own functions, not the hwt_* ones; no library function. */
START_TEST(hwt_funcsel_file_defaults)
{
	uint64_t base;

	ck_assert_int_gt(select_in("/proc/self/exe", 1, NULL, 0, NULL), 10);
	ck_assert_ptr_nonnull(find("main"));
	ck_assert_ptr_null(find("hwt_s_one"));
	ck_assert_ptr_null(find("_start"));
	ck_assert_int_eq(select_in(libc_path(&base), 0, NULL, 0, NULL), 0);
}
END_TEST

/* glibc: free is __libc_free and cfree; strlen is an IFUNC, given at the implementation this
 * process called (what dlsym says here), under the name asked for. */
START_TEST(hwt_funcsel_file_libc)
{
	uint64_t base;
	const char *path = libc_path(&base);
	const char *f1[] = { "libc.so*:cfree" }, *f2[] = { "libc.so*:strlen" };

	ck_assert_int_eq(select_in(path, 0, f1, 1, NULL), 1);
	ck_assert_str_eq(picks[0].name, "cfree");
	ck_assert_uint_eq(picks[0].vaddr, libc_sym("free") - base);
	ck_assert_int_eq(select_in(path, 0, f2, 1, NULL), 1);
	ck_assert_str_eq(picks[0].name, "strlen");
	ck_assert_int_eq(picks[0].noted, 0);
	ck_assert_uint_eq(picks[0].vaddr, libc_sym("strlen") - base);
	/* A pattern for another library chooses nothing here. */
	const char *f3[] = { "libm.so*:strlen" };
	ck_assert_int_eq(select_in(path, 0, f3, 1, NULL), 0);
}
END_TEST

START_TEST(hwt_funcsel_bad_arguments)
{
	struct hwt_funcsel *s = hwt_funcsel_alloc();
	char why[128] = "";
	char spec[16];

	ck_assert_int_eq(hwt_funcsel_add(NULL, "x", 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_funcsel_add(s, NULL, 0), HWT_E_INVAL);
	for (int i = 0; i < HWT_FUNCSEL_MAX; i++) {
		snprintf(spec, sizeof(spec), "f%d", i);
		ck_assert_int_eq(hwt_funcsel_add(s, spec, 0), 0);
	}
	ck_assert_int_eq(hwt_funcsel_add(s, "one_more", 0), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_funcsel_npatterns(s), HWT_FUNCSEL_MAX);
	ck_assert_ptr_null(hwt_funcsel_pattern(s, HWT_FUNCSEL_MAX, NULL));
	ck_assert_int_eq(hwt_funcsel_file(s, NULL, 1, 0, collect, NULL, why, sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_int_eq(
		hwt_funcsel_file(s, "/nonexistent/x", 1, 0, collect, NULL, why, sizeof(why)),
		HWT_E_NOENT);
	ck_assert_int_eq(hwt_funcsel_wants_library(s, "libc.so.6"), 0);
	ck_assert_int_eq(hwt_funcsel_add(s, "-N", 1), 0);
	hwt_funcsel_free(s);
	hwt_funcsel_free(NULL);
	ck_assert_uint_eq(hwt_funcsel_npatterns(NULL), 0);
}
END_TEST

START_TEST(hwt_funcsel_wants_library_globs)
{
	struct hwt_funcsel *s = hwt_funcsel_alloc();

	ck_assert_int_eq(hwt_funcsel_add(s, "libc.so*:free", 0), 0);
	ck_assert_int_eq(hwt_funcsel_add(s, "ns::f", 0), 0); /* a C++ name, not a library */
	ck_assert_int_ne(hwt_funcsel_wants_library(s, "/lib/x86_64-linux-gnu/libc.so.6"), 0);
	ck_assert_int_eq(hwt_funcsel_wants_library(s, "/lib/x86_64-linux-gnu/libm.so.6"), 0);
	ck_assert_int_eq(hwt_funcsel_wants_library(s, "ns"), 0);
	hwt_funcsel_free(s);
}
END_TEST

/* ---- hwt_ifunc_resolve ----------------------------------------------------------------- */

START_TEST(hwt_ifunc_resolve_libc)
{
	uint64_t base, v[3];
	const char *path = libc_path(&base);
	const char *names[] = { "strlen", "memcpy", "no_such_function_here" };
	char why[256] = "";

	ck_assert_int_eq(hwt_ifunc_resolve(path, names, 3, v, why, sizeof(why)), 2);
	ck_assert_uint_eq(v[0], libc_sym("strlen") - base);
	ck_assert_uint_eq(v[1], libc_sym("memcpy") - base);
	ck_assert_uint_eq(v[2], 0);
}
END_TEST

START_TEST(hwt_ifunc_resolve_bad)
{
	uint64_t v[1] = { 7 };
	const char *names[] = { "strlen" };
	char why[256] = "";

	ck_assert_int_eq(hwt_ifunc_resolve(NULL, names, 1, v, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_ifunc_resolve("x", NULL, 1, v, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_ifunc_resolve("x", names, 0, v, why, sizeof(why)), 0);
	/* Not loadable: a missing file, and this program (an executable). */
	ck_assert_int_eq(hwt_ifunc_resolve("/nonexistent/lib.so", names, 1, v, why, sizeof(why)),
			 HWT_E_NOTSUP);
	ck_assert_uint_eq(v[0], 0);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/lib.so"));
	ck_assert_int_lt(hwt_ifunc_resolve("/proc/self/exe", names, 1, v, why, sizeof(why)), 0);
}
END_TEST

static Suite *funcsel_suite(void)
{
	Suite *s = suite_create("funcsel");
	TCase *tc = tcase_create("funcsel");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_funcsel_file_aliases, 0,
			    (int)(sizeof(alias_cases) / sizeof(alias_cases[0])));
	tcase_add_test(tc, hwt_funcsel_file_defaults);
	tcase_add_test(tc, hwt_funcsel_file_libc);
	tcase_add_test(tc, hwt_funcsel_bad_arguments);
	tcase_add_test(tc, hwt_funcsel_wants_library_globs);
	tcase_add_test(tc, hwt_ifunc_resolve_libc);
	tcase_add_test(tc, hwt_ifunc_resolve_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(funcsel_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

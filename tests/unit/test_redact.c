/* Unit tests for path redaction (core/redact.c) and the model's use of it (core/model.c). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "core/redact.h"

struct path_case {
	const char *root, *cwd, *path;
	enum hwt_redact_kind kind;
	const char *shown;
};

static const struct path_case path_cases[] = {
	/* Under the root: relative to it; the root itself is ".". */
	{ "/a/b", NULL, "/a/b/c/d.txt", HWT_REDACT_BARE, "c/d.txt" },
	{ "/a/b", NULL, "/a/b", HWT_REDACT_BARE, "." },
	{ "/a/b", NULL, "/a/b/", HWT_REDACT_BASENAME, "." },
	{ "/a/b/", NULL, "/a/b/prog", HWT_REDACT_BASENAME, "prog" },
	{ "/a/b//", NULL, "/a//b///x/", HWT_REDACT_BARE, "x" },
	/* A prefix of the root's text that is not under it. */
	{ "/a/b", NULL, "/a/bc", HWT_REDACT_BARE, "external/other" },
	{ "/home/u/p", NULL, "/home/u/proj/x", HWT_REDACT_BASENAME, "external/home/x" },
	/* Outside: the bucket, with the file's name for mapped files. */
	{ "/a/b", NULL, "/tmp/secret-dir/f.txt", HWT_REDACT_BARE, "external/tmp" },
	{ "/a/b", NULL, "/usr/lib/x86_64-linux-gnu/libc.so.6", HWT_REDACT_BASENAME,
	  "external/usr/libc.so.6" },
	{ "/a/b", NULL, "/data/x/prog", HWT_REDACT_BASENAME, "external/other/prog" },
	{ "/a/b", NULL, "/", HWT_REDACT_BASENAME, "external/other" },
	{ "/a/b", NULL, "/tmp", HWT_REDACT_BARE, "external/tmp" },
	/* "..": by the text, never above "/". */
	{ "/a/b", NULL, "/a/b/../c", HWT_REDACT_BARE, "external/other" },
	{ "/a/b", NULL, "/tmp/../a/b/./c/../d", HWT_REDACT_BARE, "d" },
	{ "/a/b", NULL, "/../../a/b/x", HWT_REDACT_BARE, "x" },
	{ "/a/b/../b", NULL, "/a/b/x", HWT_REDACT_BARE, "x" },
	/* Relative paths: from the working directory, else from the root. */
	{ "/a/b", "/a/b/sub", "f.txt", HWT_REDACT_BARE, "sub/f.txt" },
	{ "/a/b", "/a/b/sub", "../../x", HWT_REDACT_BARE, "external/other" },
	{ "/a/b", "/tmp/w", "./f", HWT_REDACT_BARE, "external/tmp" },
	{ "/a/b", NULL, "c/./d", HWT_REDACT_BARE, "c/d" },
	{ NULL, NULL, "c/d", HWT_REDACT_BARE, "external/other" },
	/* No root: every path is outside. */
	{ NULL, NULL, "/home/u/x", HWT_REDACT_BASENAME, "external/home/x" },
	{ "", NULL, "/var/log/syslog", HWT_REDACT_BARE, "external/var" },
	/* The root "/": everything is under it. */
	{ "/", NULL, "/etc/passwd", HWT_REDACT_BARE, "etc/passwd" },
	{ "/", NULL, "/", HWT_REDACT_BARE, "." },
	/* A relative root is no root. */
	{ "a/b", NULL, "/a/b/x", HWT_REDACT_BARE, "external/other" },
	/* Not paths: kept. */
	{ "/a/b", NULL, "", HWT_REDACT_BARE, "" },
	{ "/a/b", NULL, "[vdso]", HWT_REDACT_BASENAME, "[vdso]" },
	{ "/a/b", NULL, "//anon", HWT_REDACT_BASENAME, "//anon" },
};

START_TEST(hwt_redact_path_cases)
{
	const struct path_case *c = &path_cases[_i];
	char out[256];
	size_t n = hwt_redact_path(c->root, c->cwd, c->path, strlen(c->path), c->kind, out,
				   sizeof(out));

	ck_assert_msg(!strcmp(out, c->shown), "root %s cwd %s path '%s': got '%s', want '%s'",
		      c->root ? c->root : "(none)", c->cwd ? c->cwd : "(none)", c->path, out,
		      c->shown);
	ck_assert_uint_eq(n, strlen(c->shown));
}
END_TEST

START_TEST(hwt_redact_path_len_and_truncation)
{
	char out[12];

	/* Only @len bytes of the path count. */
	hwt_redact_path("/a", NULL, "/a/xy/zzz", 5, HWT_REDACT_BARE, out, sizeof(out));
	ck_assert_str_eq(out, "xy");
	/* Cut to fit, still terminated. */
	ck_assert_uint_eq(hwt_redact_path("/a", NULL, "/usr/lib/libverylongname.so", 27,
					  HWT_REDACT_BASENAME, out, sizeof(out)),
			  sizeof(out) - 1);
	ck_assert_str_eq(out, "external/us");
}
END_TEST

START_TEST(hwt_redact_cmdline_words)
{
	char out[512];

	hwt_redact_cmdline("/w/p", "/w/p",
			   "/w/x/hwtrace record -o /tmp/d/out.hwt --project-root=/home/u -b "
			   "sample -- /tmp/d/prog data/in.txt K=/var/x -o/tmp/y",
			   out, sizeof(out));
	ck_assert_str_eq(out, "external/other/hwtrace record -o external/tmp "
			      "--project-root=external/home -b sample -- external/tmp/prog "
			      "data/in.txt K=external/var -oexternal/tmp");
	hwt_redact_cmdline("/w/p", NULL, "./prog", out, sizeof(out));
	ck_assert_str_eq(out, "prog");
	hwt_redact_cmdline("/w/p", NULL, "", out, sizeof(out));
	ck_assert_str_eq(out, "");
}
END_TEST

START_TEST(hwt_model_set_redaction_paths_and_meta)
{
	struct hwt_model *m = hwt_model_alloc();

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(hwt_model_redacting(m), 1);
	/* The recording's root and working directory come with its metadata. */
	ck_assert_int_eq(hwt_model_set_meta(m, "command", "/tmp/d/prog"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "project_root", "/src/p"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "cwd", "/src/p"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "exe", "/src/p/bin/prog"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "environment", "SECRET=1"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "backend", "/not/a/path/key"), 0);
	ck_assert_str_eq(hwt_model_meta(m, "command"), "external/tmp/prog");
	ck_assert_str_eq(hwt_model_meta(m, "project_root"), ".");
	ck_assert_str_eq(hwt_model_meta(m, "exe"), "bin/prog");
	ck_assert_str_eq(hwt_model_meta(m, "backend"), "/not/a/path/key");
	ck_assert_ptr_null(strstr(hwt_model_meta(m, "environment"), "SECRET"));
	int64_t a = hwt_model_intern_path(m, "/src/p/data/x", 13);
	int64_t b = hwt_model_intern_mapped_path(m, "/usr/lib/libm.so.6", 18);
	int64_t c = hwt_model_intern_path(m, "/home/u/notes.txt", 17);
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)a), "data/x");
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)b), "external/usr/libm.so.6");
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)c), "external/home");
	/* --project-root overrides the recording's; the metadata is shown again. */
	ck_assert_int_eq(hwt_model_set_redaction(m, 1, "/src"), 0);
	ck_assert_str_eq(hwt_model_meta(m, "exe"), "p/bin/prog");
	ck_assert_str_eq(hwt_model_meta(m, "project_root"), "p");
	/* --no-redact: as recorded. */
	ck_assert_int_eq(hwt_model_set_redaction(m, 0, NULL), 0);
	ck_assert_int_eq(hwt_model_redacting(m), 0);
	ck_assert_str_eq(hwt_model_meta(m, "exe"), "/src/p/bin/prog");
	ck_assert_str_eq(hwt_model_meta(m, "environment"), "SECRET=1");
	c = hwt_model_intern_path(m, "/home/u/notes.txt", 17);
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)c), "/home/u/notes.txt");
	hwt_model_free(m);
}
END_TEST

START_TEST(hwt_model_set_redaction_bad_args)
{
	struct hwt_model *m = hwt_model_alloc();

	ck_assert_int_eq(hwt_model_set_redaction(NULL, 1, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_redaction(m, 1, "relative/root"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_path(NULL, "/x", 2), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_mapped_path(m, NULL, 2), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_path(m, "", 0), HWT_NONE);
	ck_assert_int_eq(hwt_model_redacting(NULL), 0);
	hwt_model_free(m);
}
END_TEST

static Suite *redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, hwt_redact_path_cases, 0,
			    (int)(sizeof(path_cases) / sizeof(path_cases[0])));
	tcase_add_test(tc, hwt_redact_path_len_and_truncation);
	tcase_add_test(tc, hwt_redact_cmdline_words);
	tcase_add_test(tc, hwt_model_set_redaction_paths_and_meta);
	tcase_add_test(tc, hwt_model_set_redaction_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(redact_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

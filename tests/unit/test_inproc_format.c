/* Unit tests for the inproc backend's area entries (core/format/inproc_format.c): the selection
 * the recorder writes and the runtime reads back, damaged configs refused, and the rule that
 * picks functions from it (the same as -b uprobe's). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "core/format/inproc_format.h"
#include "hwtrace/error.h"

static const struct hwt_inproc_pattern pats[] = {
	{ .exclude = 0, .lib = NULL, .glob = "fib*" },
	{ .exclude = 0, .lib = "libc.so*", .glob = "qsort" },
	{ .exclude = 1, .lib = NULL, .glob = "fib_slow" },
	{ .exclude = 1, .lib = "libm.so*", .glob = "*" },
};
#define NPATS (sizeof(pats) / sizeof(pats[0]))

START_TEST(hwt_inproc_config_write_round_trip)
{
	struct hwt_inproc_config head = { .version = HWT_INPROC_CONFIG_VERSION,
					  .next_id = 1,
					  .npatterns = NPATS,
					  .flags = HWT_INPROC_MAIN_FILTERED,
					  .wait_ms = 5000 };
	size_t len = hwt_inproc_config_size(pats, NPATS), off = sizeof(head);
	uint8_t *body = malloc(len);

	ck_assert_ptr_nonnull(body);
	hwt_inproc_config_write(body, &head, pats, NPATS);
	ck_assert_int_eq(memcmp(body, &head, sizeof(head)), 0);
	for (size_t i = 0; i < NPATS; i++) {
		struct hwt_inproc_pattern p;
		ck_assert_int_eq(hwt_inproc_pattern_next(body, len, &off, &p), 0);
		ck_assert_int_eq(p.exclude, pats[i].exclude);
		ck_assert_str_eq(p.glob, pats[i].glob);
		if (pats[i].lib)
			ck_assert_str_eq(p.lib, pats[i].lib);
		else
			ck_assert_ptr_null(p.lib);
	}
	ck_assert_uint_eq(off, len);
	struct hwt_inproc_pattern p;
	ck_assert_int_eq(hwt_inproc_pattern_next(body, len, &off, &p), HWT_E_CORRUPT);
	free(body);
}
END_TEST

/* Every cut of a config's patterns ends in HWT_E_CORRUPT, never a read past the end. */
START_TEST(hwt_inproc_pattern_next_truncated)
{
	struct hwt_inproc_config head = { .version = HWT_INPROC_CONFIG_VERSION,
					  .npatterns = NPATS };
	size_t len = hwt_inproc_config_size(pats, NPATS);
	uint8_t *body = malloc(len);

	ck_assert_ptr_nonnull(body);
	hwt_inproc_config_write(body, &head, pats, NPATS);
	for (size_t cut = sizeof(head); cut < len; cut++) {
		size_t off = sizeof(head);
		int err = 0, n = 0;
		struct hwt_inproc_pattern p;
		/* A copy of exactly @cut bytes, so that ASan sees a read past it. */
		uint8_t *c = malloc(cut);
		ck_assert_ptr_nonnull(c);
		memcpy(c, body, cut);
		while (n < (int)NPATS && !(err = hwt_inproc_pattern_next(c, cut, &off, &p)))
			n++;
		ck_assert_msg(err == HWT_E_CORRUPT, "cut at %zu: %d patterns read, err %d", cut, n,
			      err);
		free(c);
	}
	free(body);
}
END_TEST

struct choice {
	const char *path;
	int is_main, main_filtered;
	const char *name, *demangled;
	int want;
};

static const struct choice choices[] = {
	/* -F fib* names the main program. */
	{ "/bin/fib", 1, 1, "fib", NULL, 1 },
	{ "/bin/fib", 1, 1, "fib_fast", NULL, 1 },
	{ "/bin/fib", 1, 1, "fib_slow", NULL, 0 }, /* -N wins */
	{ "/bin/fib", 1, 1, "main", NULL, 0 },
	{ "/lib/libc.so.6", 0, 1, "qsort", NULL, 1 },
	{ "/lib/libc.so.6", 0, 1, "malloc", NULL, 0 },
	{ "/lib/libc.so.6", 0, 1, "fib", NULL, 0 }, /* a main program pattern, in a library */
	{ "/lib/libm.so.6", 0, 1, "qsort", NULL, 0 },
	/* Without -F on the main program: all of it but the C runtime's and libhwtrace's. */
	{ "/bin/prog", 1, 0, "main", NULL, 1 },
	{ "/bin/prog", 1, 0, "_start", NULL, 0 },
	{ "/bin/prog", 1, 0, "frame_dummy", NULL, 0 },
	{ "/bin/prog", 1, 0, "hwt_span_begin", NULL, 0 },
	{ "/bin/prog", 1, 0, "fib_slow", NULL, 0 },
	{ "/lib/libz.so.1", 0, 0, "inflate", NULL, 0 },
	/* C++: the demangled name matches too. */
	{ "/bin/fib", 1, 1, "_ZN2ns3fibEv", "ns::fib()", 0 },
	{ "/bin/fib", 1, 1, "_Z6fibberv", "fibber()", 1 },
};

START_TEST(hwt_inproc_chosen_rules)
{
	const struct choice *c = &choices[_i];
	uint64_t matched[NPATS] = { 0 };
	int got = hwt_inproc_chosen(pats, NPATS, c->main_filtered, c->path, c->is_main, c->name,
				    c->demangled ? c->demangled : c->name, matched);

	ck_assert_msg(got == c->want, "%s in %s: chosen %d, want %d", c->name, c->path, got,
		      c->want);
	if (got && c->is_main)
		ck_assert_uint_eq(matched[0],
				  !strncmp(c->name, "fib", 3) ||
					  (c->demangled && !strncmp(c->demangled, "fib", 3)));
}
END_TEST

START_TEST(hwt_inproc_kind_id)
{
	uint32_t code = 123456u << 2 | HWT_INPROC_UNWOUND;

	ck_assert_uint_eq(hwt_inproc_kind(code), HWT_INPROC_UNWOUND);
	ck_assert_uint_eq(hwt_inproc_id(code), 123456);
	ck_assert_uint_eq(sizeof(struct hwt_inproc_rec), 8);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inproc_format");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, hwt_inproc_config_write_round_trip);
	tcase_add_test(tc, hwt_inproc_pattern_next_truncated);
	suite_add_tcase(s, tc);
	tc = tcase_create("selection");
	tcase_add_loop_test(tc, hwt_inproc_chosen_rules, 0, sizeof(choices) / sizeof(choices[0]));
	tcase_add_test(tc, hwt_inproc_kind_id);
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

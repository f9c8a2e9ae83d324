/* Unit tests for the event model's interning tables (core/model.c). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/model.h"

static struct hwt_model *m;

static void setup(void)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
}

static void teardown(void)
{
	hwt_model_free(m);
	m = NULL;
}

START_TEST(model_alloc_empty)
{
	ck_assert_uint_eq(hwt_model_nstrs(m), 1);
	ck_assert_uint_eq(hwt_model_nframes(m), 1);
	ck_assert_uint_eq(hwt_model_nmappings(m), 1);
	ck_assert_uint_eq(hwt_model_nstacks(m), 1);
	ck_assert_uint_eq(hwt_model_ntracks(m), 1);
	ck_assert_uint_eq(hwt_model_nweights(m), 0);
	ck_assert_str_eq(hwt_model_str(m, HWT_NONE), "");
	ck_assert_ptr_null(hwt_model_frame(m, HWT_NONE));
	ck_assert_ptr_null(hwt_model_stack(m, HWT_NONE));
	hwt_model_free(NULL);
}
END_TEST

START_TEST(intern_str_dedup)
{
	int64_t a = hwt_model_intern_str(m, "main");
	int64_t b = hwt_model_intern_str(m, "foo");
	int64_t c = hwt_model_intern_strn(m, "main()", 4);

	ck_assert_int_gt(a, 0);
	ck_assert_int_gt(b, 0);
	ck_assert_int_ne(a, b);
	ck_assert_int_eq(a, c);
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)a), "main");
	ck_assert_int_eq(hwt_model_intern_strn(m, "x", 0), HWT_NONE);
	ck_assert_int_eq(hwt_model_intern_str(m, ""), HWT_NONE);
	ck_assert_uint_eq(hwt_model_nstrs(m), 3);
	ck_assert_str_eq(hwt_model_str(m, 999), "");
}
END_TEST

START_TEST(intern_str_pointers_stable)
{
	const char *first = hwt_model_str(m, (uint32_t)hwt_model_intern_str(m, "keep-me"));
	char *big = malloc(100000);
	char buf[32];
	int i;

	memset(big, 'z', 99999);
	big[99999] = '\0';
	ck_assert_int_gt(hwt_model_intern_str(m, big), 0);
	for (i = 0; i < 200000; i++) {
		snprintf(buf, sizeof(buf), "s%d", i);
		ck_assert_int_gt(hwt_model_intern_str(m, buf), 0);
	}
	ck_assert_str_eq(first, "keep-me");
	ck_assert_int_eq(hwt_model_intern_str(m, "s123"), hwt_model_intern_str(m, "s123"));
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)hwt_model_intern_str(m, big)), big);
	ck_assert_uint_eq(hwt_model_nstrs(m), 200000 + 3);
	free(big);
}
END_TEST

START_TEST(intern_frame_mapping)
{
	struct hwt_mapping map = {
		.start = 0x400000,
		.end = 0x500000,
		.pgoff = 0,
		.path = (uint32_t)hwt_model_intern_str(m, "/bin/app"),
		.build_id = (uint32_t)hwt_model_intern_str(m, "abcdef"),
	};
	int64_t mid = hwt_model_intern_mapping(m, &map);
	struct hwt_frame f = {
		.name = (uint32_t)hwt_model_intern_str(m, "main"),
		.mapping = (uint32_t)mid,
		.addr = 0x1234,
		.kind = HWT_FRAME_USER,
	};
	int64_t fid = hwt_model_intern_frame(m, &f), fid2;

	ck_assert_int_eq(mid, 1);
	ck_assert_int_eq(hwt_model_intern_mapping(m, &map), mid);
	ck_assert_int_eq(fid, 1);
	ck_assert_int_eq(hwt_model_intern_frame(m, &f), fid);
	ck_assert_uint_eq(hwt_model_frame(m, (uint32_t)fid)->addr, 0x1234);
	ck_assert_uint_eq(hwt_model_mapping(m, (uint32_t)mid)->end, 0x500000);
	f.kind = HWT_FRAME_KERNEL;
	fid2 = hwt_model_intern_frame(m, &f);
	ck_assert_int_eq(fid2, 2);
	/* An inlined function is a frame of its own. */
	f.kind = HWT_FRAME_USER;
	f.flags = HWT_FRAME_INLINED;
	ck_assert_int_eq(hwt_model_intern_frame(m, &f), 3);
	ck_assert_int_eq(hwt_model_intern_frame(m, &f), 3);
	ck_assert_uint_eq(hwt_model_frame(m, 3)->flags, HWT_FRAME_INLINED);
	ck_assert_uint_eq(hwt_model_frame(m, (uint32_t)fid)->flags, 0);
	map.pgoff = 0x1000;
	ck_assert_int_eq(hwt_model_intern_mapping(m, &map), 2);
	ck_assert_uint_eq(hwt_model_nframes(m), 4);
	ck_assert_uint_eq(hwt_model_nmappings(m), 3);
	ck_assert_ptr_null(hwt_model_frame(m, 4));
	ck_assert_ptr_null(hwt_model_mapping(m, 3));
}
END_TEST

START_TEST(intern_frame_many)
{
	struct hwt_frame f = { .name = (uint32_t)hwt_model_intern_str(m, "f") };
	uint64_t i;

	for (i = 0; i < 100000; i++) {
		f.addr = i;
		ck_assert_int_eq(hwt_model_intern_frame(m, &f), (int64_t)i + 1);
	}
	for (i = 0; i < 100000; i += 997) {
		f.addr = i;
		ck_assert_int_eq(hwt_model_intern_frame(m, &f), (int64_t)i + 1);
	}
}
END_TEST

START_TEST(intern_stack_tree)
{
	struct hwt_frame f = { .name = (uint32_t)hwt_model_intern_str(m, "a") };
	uint32_t fa = (uint32_t)hwt_model_intern_frame(m, &f), fb;
	int64_t n1, n2, n3;
	const struct hwt_stack_node *node;

	f.name = (uint32_t)hwt_model_intern_str(m, "b");
	fb = (uint32_t)hwt_model_intern_frame(m, &f);
	n1 = hwt_model_intern_stack(m, HWT_NONE, fa);
	n2 = hwt_model_intern_stack(m, (uint32_t)n1, fb);
	n3 = hwt_model_intern_stack(m, (uint32_t)n2, fa);
	ck_assert_int_gt(n1, 0);
	ck_assert_int_eq(hwt_model_intern_stack(m, (uint32_t)n1, fb), n2);
	node = hwt_model_stack(m, (uint32_t)n3);
	ck_assert_ptr_nonnull(node);
	ck_assert_uint_eq(node->depth, 3);
	ck_assert_uint_eq(node->frame, fa);
	ck_assert_uint_eq(node->parent, n2);
	ck_assert_uint_eq(hwt_model_stack(m, (uint32_t)n1)->parent, HWT_NONE);
	ck_assert_uint_eq(hwt_model_stack(m, (uint32_t)n1)->depth, 1);
	ck_assert_uint_eq(hwt_model_nstacks(m), 4);
}
END_TEST

/* a { b { } b { a { } } }, then an end with nothing open. */
START_TEST(slice_node_nesting)
{
	struct hwt_frame f = { .name = (uint32_t)hwt_model_intern_str(m, "a") };
	uint32_t fa = (uint32_t)hwt_model_intern_frame(m, &f), fb, cur = HWT_NONE;

	f.name = (uint32_t)hwt_model_intern_str(m, "b");
	fb = (uint32_t)hwt_model_intern_frame(m, &f);
	int64_t a = hwt_model_slice_node(m, &cur, HWT_EV_SLICE_BEGIN, fa);
	ck_assert_int_gt(a, 0);
	ck_assert_uint_eq(cur, a);
	int64_t ab = hwt_model_slice_node(m, &cur, HWT_EV_SLICE_BEGIN, fb);
	ck_assert_int_eq(ab, hwt_model_intern_stack(m, (uint32_t)a, fb));
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_END, fb), ab);
	ck_assert_uint_eq(cur, a);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_BEGIN, fb), ab);
	int64_t aba = hwt_model_slice_node(m, &cur, HWT_EV_SLICE_BEGIN, fa);
	ck_assert_uint_eq(hwt_model_stack(m, (uint32_t)aba)->depth, 3);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_END, fa), aba);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_END, fb), ab);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_END, fa), a);
	ck_assert_uint_eq(cur, HWT_NONE);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_END, fa), HWT_NONE);
	ck_assert_uint_eq(cur, HWT_NONE);
	ck_assert_int_eq(hwt_model_slice_node(m, &cur, HWT_EV_SLICE_BEGIN, HWT_NONE), HWT_E_INVAL);
}
END_TEST

START_TEST(intern_stack_many)
{
	struct hwt_frame f = { .name = (uint32_t)hwt_model_intern_str(m, "f") };
	uint32_t frames[64];
	uint32_t parent = HWT_NONE, i, d;

	for (i = 0; i < 64; i++) {
		f.addr = i;
		frames[i] = (uint32_t)hwt_model_intern_frame(m, &f);
	}
	/* A wide tree: 64 x 64 x 64 nodes, then every lookup again. */
	for (int pass = 0; pass < 2; pass++) {
		uint32_t count = 0;

		for (i = 0; i < 64 * 64 * 64; i++) {
			parent = HWT_NONE;
			for (d = 0; d < 3; d++) {
				int64_t id = hwt_model_intern_stack(m, parent,
								    frames[(i >> (6 * d)) & 63]);

				ck_assert_int_gt(id, 0);
				parent = (uint32_t)id;
			}
			count++;
		}
		ck_assert_uint_eq(count, 64 * 64 * 64);
		ck_assert_uint_eq(hwt_model_nstacks(m), 1 + 64 + 64 * 64 + 64 * 64 * 64);
	}
}
END_TEST

START_TEST(tracks_weights_meta)
{
	struct hwt_track t = {
		.name = (uint32_t)hwt_model_intern_str(m, "page-faults"),
		.unit = (uint32_t)hwt_model_intern_str(m, "count"),
		.pid = 42,
		.cumulative = 1,
	};
	const char *v1;

	ck_assert_int_eq(hwt_model_add_track(m, &t), 1);
	ck_assert_int_eq(hwt_model_add_track(m, &t), 2);
	ck_assert_uint_eq(hwt_model_track(m, 2)->pid, 42);
	ck_assert_ptr_null(hwt_model_track(m, 3));

	ck_assert_int_eq(hwt_model_add_weight(m, "samples", "count"), 0);
	ck_assert_int_eq(hwt_model_add_weight(m, "cpu-time", "nanoseconds"), 1);
	ck_assert_int_eq(hwt_model_add_weight(m, "samples", "count"), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_model_nweights(m), 2);
	ck_assert_int_eq(hwt_model_find_weight(m, "cpu-time"), 1);
	ck_assert_int_eq(hwt_model_find_weight(m, "nope"), -1);
	ck_assert_uint_eq(hwt_model_default_weight(m), 0);
	ck_assert_int_eq(hwt_model_set_default_weight(m, 1), 0);
	ck_assert_uint_eq(hwt_model_default_weight(m), 1);
	ck_assert_int_eq(hwt_model_set_default_weight(m, 2), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_model_default_weight(m), 1);
	ck_assert_str_eq(hwt_model_str(m, hwt_model_weight(m, 1)->unit), "nanoseconds");
	ck_assert_ptr_null(hwt_model_weight(m, 2));

	ck_assert_int_eq(hwt_model_set_meta(m, "cmdline", "./a.out"), 0);
	ck_assert_int_eq(hwt_model_set_meta(m, "kernel", "6.18"), 0);
	v1 = hwt_model_meta(m, "cmdline");
	ck_assert_int_eq(hwt_model_set_meta(m, "cmdline", "./b.out"), 0);
	ck_assert_str_eq(hwt_model_meta(m, "cmdline"), "./b.out");
	ck_assert_str_eq(v1, "./a.out");
	ck_assert_ptr_null(hwt_model_meta(m, "missing"));
}
END_TEST

static void meta_cat(const char *key, const char *value, void *ctx)
{
	char *buf = ctx;

	strcat(buf, key);
	strcat(buf, "=");
	strcat(buf, value);
	strcat(buf, ";");
}

START_TEST(meta_foreach_order)
{
	char buf[128] = "";

	hwt_model_set_meta(m, "b", "1");
	hwt_model_set_meta(m, "a", "2");
	hwt_model_set_meta(m, "b", "3");
	hwt_model_meta_foreach(m, meta_cat, buf);
	ck_assert_str_eq(buf, "b=3;a=2;");
	hwt_model_meta_foreach(m, NULL, buf);
	hwt_model_meta_foreach(NULL, meta_cat, buf);
}
END_TEST

/* Every entry point with a NULL or out-of-range argument. */
START_TEST(model_bad_args)
{
	struct hwt_frame f = { .name = 77 };
	struct hwt_mapping map = { .path = 77 };
	struct hwt_track t = { .name = 77 };

	ck_assert_int_eq(hwt_model_intern_strn(NULL, "a", 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_strn(m, NULL, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_str(m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_frame(NULL, &f), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_frame(m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_frame(m, &f), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_mapping(m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_mapping(m, &map), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_stack(NULL, 0, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_stack(m, 0, HWT_NONE), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_stack(m, 0, 5), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_intern_stack(m, 9, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_add_track(m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_add_track(m, &t), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_add_weight(NULL, "a", "b"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_default_weight(NULL, 0), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_model_default_weight(NULL), 0);
	ck_assert_int_eq(hwt_model_add_weight(m, NULL, "b"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_add_weight(m, "a", NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_meta(NULL, "a", "b"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_meta(m, NULL, "b"), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_meta(m, "a", NULL), HWT_E_INVAL);
	ck_assert_str_eq(hwt_model_str(NULL, 1), "");
	ck_assert_ptr_null(hwt_model_frame(NULL, 1));
	ck_assert_ptr_null(hwt_model_mapping(NULL, 1));
	ck_assert_ptr_null(hwt_model_stack(NULL, 1));
	ck_assert_ptr_null(hwt_model_track(NULL, 1));
	ck_assert_ptr_null(hwt_model_weight(NULL, 0));
	ck_assert_int_eq(hwt_model_find_weight(NULL, "a"), -1);
	ck_assert_int_eq(hwt_model_find_weight(m, NULL), -1);
	ck_assert_ptr_null(hwt_model_meta(NULL, "a"));
	ck_assert_ptr_null(hwt_model_meta(m, NULL));
	ck_assert_uint_eq(hwt_model_nweights(NULL), 0);
	ck_assert_uint_eq(hwt_model_nstrs(NULL), 0);
	ck_assert_uint_eq(hwt_model_nframes(NULL), 0);
	ck_assert_uint_eq(hwt_model_nmappings(NULL), 0);
	ck_assert_uint_eq(hwt_model_nstacks(NULL), 0);
	ck_assert_uint_eq(hwt_model_ntracks(NULL), 0);
	/* Nothing above added anything. */
	ck_assert_uint_eq(hwt_model_nstrs(m), 1);
	ck_assert_uint_eq(hwt_model_nframes(m), 1);
	ck_assert_uint_eq(hwt_model_nstacks(m), 1);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("model");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, model_alloc_empty);
	tcase_add_test(tc, intern_str_dedup);
	tcase_add_test(tc, intern_str_pointers_stable);
	tcase_add_test(tc, intern_frame_mapping);
	tcase_add_test(tc, intern_frame_many);
	tcase_add_test(tc, intern_stack_tree);
	tcase_add_test(tc, slice_node_nesting);
	tcase_add_test(tc, intern_stack_many);
	tcase_add_test(tc, tracks_weights_meta);
	tcase_add_test(tc, meta_foreach_order);
	tcase_add_test(tc, model_bad_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(model_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

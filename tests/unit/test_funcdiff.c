/* Unit tests for exporters/funcdiff.c: two recordings' aggregations, built here over models that
 * intern the same names in different orders, compared by function and by stack. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "exporters/aggregate.h"
#include "exporters/funcdiff.h"
#include "hwtrace/error.h"

#define PID 100

struct side {
	struct hwt_model *m;
	struct hwt_agg *agg;
	uint32_t main, hot, fib, app;
};

static struct side s[2];

static uint32_t str(struct hwt_model *m, const char *name)
{
	int64_t id = hwt_model_intern_str(m, name);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t frame(struct hwt_model *m, const char *name)
{
	struct hwt_frame f = { .name = str(m, name), .addr = 0x1000 + strlen(name) };
	int64_t id = hwt_model_intern_frame(m, &f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t stack(struct hwt_model *m, uint32_t parent, uint32_t f)
{
	int64_t id = hwt_model_intern_stack(m, parent, f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

/* Side @k: a model whose names are interned in an order of its own (@k reverses it), and an
 * aggregation of samples. */
static void side(int k)
{
	struct side *x = &s[k];
	char why[128];
	int err;

	x->m = hwt_model_alloc();
	ck_assert_ptr_nonnull(x->m);
	ck_assert_int_eq(hwt_model_add_weight(x->m, "samples", "count"), 0);
	if (k) {
		x->fib = frame(x->m, "fib");
		x->hot = frame(x->m, "hot");
		x->main = frame(x->m, "main");
	} else {
		x->main = frame(x->m, "main");
		x->hot = frame(x->m, "hot");
		x->fib = frame(x->m, "fib");
	}
	x->app = str(x->m, "app");
	x->agg = hwt_agg_alloc(x->m, NULL, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(x->agg);
	struct hwt_event ev = { .type = HWT_EV_PROCESS, .pid = PID, .tid = PID, .ts = 1 };
	ev.proc.name = x->app;
	ck_assert_int_ge(hwt_agg_event(x->agg, x->m, &ev), 0);
}

/* @n samples of side @k at @node. */
static void samples(int k, uint32_t node, int n)
{
	static uint64_t one[1] = { 1 };

	for (int i = 0; i < n; i++) {
		struct hwt_event ev = {
			.type = HWT_EV_SAMPLE, .pid = PID, .tid = PID, .ts = 10 + i
		};
		ev.sample.stack = node;
		ev.sample.weights = one;
		ck_assert_int_ge(hwt_agg_event(s[k].agg, s[k].m, &ev), 0);
	}
}

static void setup(void)
{
	for (int k = 0; k < 2; k++) {
		side(k);
		struct side *x = &s[k];
		uint32_t top = stack(x->m, HWT_NONE, x->main);
		/* main > hot: 10 samples in A, 20 in B; main > fib > fib (recursion): 5 and 5. */
		samples(k, stack(x->m, top, x->hot), k ? 20 : 10);
		samples(k, stack(x->m, stack(x->m, top, x->fib), x->fib), 5);
		ck_assert_int_eq(hwt_agg_finish(x->agg, x->m), 0);
	}
}

static void teardown(void)
{
	for (int k = 0; k < 2; k++) {
		hwt_agg_free(s[k].agg);
		hwt_model_free(s[k].m);
	}
	memset(s, 0, sizeof(s));
}

static const struct hwt_funcdiff_func *find(const struct hwt_funcdiff_func *f, uint32_t n,
					    const char *name)
{
	for (uint32_t i = 0; i < n; i++)
		if (!strcmp(f[i].name, name))
			return &f[i];
	ck_abort_msg("%s missing", name);
	return NULL;
}

START_TEST(hwt_funcdiff_add_by_name)
{
	struct hwt_funcdiff *d = hwt_funcdiff_alloc();
	uint32_t n;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(hwt_funcdiff_add(d, 0, s[0].agg, s[0].m), 0);
	ck_assert_int_eq(hwt_funcdiff_add(d, 1, s[1].agg, s[1].m), 0);
	const struct hwt_funcdiff_func *f = hwt_funcdiff_sorted(d, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(f[0].name, "hot"); /* the largest change of self first */
	ck_assert_uint_eq(f[0].self[0], 10);
	ck_assert_uint_eq(f[0].self[1], 20);
	const struct hwt_funcdiff_func *fib = find(f, n, "fib"), *main_ = find(f, n, "main");
	ck_assert_uint_eq(fib->self[0], 5);
	ck_assert_uint_eq(fib->total[1], 5); /* recursion counted once per stack */
	ck_assert_uint_eq(main_->self[0], 0);
	ck_assert_uint_eq(main_->total[0], 15);
	ck_assert_uint_eq(main_->total[1], 25);
	ck_assert_uint_eq(main_->calls[1], 0); /* samples: no calls */
	hwt_funcdiff_free(d);
}
END_TEST

START_TEST(hwt_funcdiff_folded_two_columns)
{
	struct hwt_funcdiff *d = hwt_funcdiff_alloc();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(hwt_funcdiff_add(d, 0, s[0].agg, s[0].m), 0);
	ck_assert_int_eq(hwt_funcdiff_add(d, 1, s[1].agg, s[1].m), 0);
	ck_assert_int_eq(hwt_funcdiff_folded(d, f), 0);
	fclose(f);
	ck_assert_str_eq(text, "app;main;fib;fib 5 5\napp;main;hot 10 20\n");
	free(text);
	hwt_funcdiff_free(d);
}
END_TEST

START_TEST(hwt_funcdiff_print_ratios)
{
	struct hwt_funcdiff *d = hwt_funcdiff_alloc();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	ck_assert_int_eq(hwt_funcdiff_add(d, 0, s[0].agg, s[0].m), 0);
	ck_assert_int_eq(hwt_funcdiff_add(d, 1, s[1].agg, s[1].m), 0);
	ck_assert_int_eq(hwt_funcdiff_print(d, f, 1, "count"), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(text, "+10"));
	ck_assert_ptr_nonnull(strstr(text, "2.00x"));
	ck_assert_ptr_nonnull(strstr(text, "hot\n"));
	ck_assert_ptr_null(strstr(text, "fib")); /* one row asked */
	free(text);
	hwt_funcdiff_free(d);
}
END_TEST

START_TEST(hwt_funcdiff_bad_args)
{
	struct hwt_funcdiff *d = hwt_funcdiff_alloc();

	ck_assert_int_eq(hwt_funcdiff_add(NULL, 0, s[0].agg, s[0].m), HWT_E_INVAL);
	ck_assert_int_eq(hwt_funcdiff_add(d, 2, s[0].agg, s[0].m), HWT_E_INVAL);
	ck_assert_int_eq(hwt_funcdiff_add(d, -1, s[0].agg, s[0].m), HWT_E_INVAL);
	ck_assert_int_eq(hwt_funcdiff_add(d, 0, NULL, s[0].m), HWT_E_INVAL);
	hwt_funcdiff_free(d);
	hwt_funcdiff_free(NULL);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("funcdiff");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hwt_funcdiff_add_by_name);
	tcase_add_test(tc, hwt_funcdiff_folded_two_columns);
	tcase_add_test(tc, hwt_funcdiff_print_ratios);
	tcase_add_test(tc, hwt_funcdiff_bad_args);
	suite_add_tcase(su, tc);
	sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for the sample tracer's option checks (plugins/sample.c): -c/--period against
 * --freq, as KEY=VALUE text and as the option table parses them. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/options.h"
#include "plugins/sample.h"

static char why[512];
static struct hwt_options o;

static void teardown(void)
{
	hwt_options_fini(&o);
}

static const struct {
	const char *args; /* -b sample:ARGS */
	int err;	  /* what hwt_sample_check_options() returns */
} cases[] = {
	{ "", 0 },
	{ "freq=100", 0 },
	{ "period=1", 0 },
	{ "period=1000000,event=cpu-clock", 0 },
	{ "period=1,freq=100", HWT_E_INVAL },
	{ "freq=4000,period=7", HWT_E_INVAL },
};

START_TEST(hwt_sample_check_options_table)
{
	ck_assert_int_eq(hwt_options_init(&o, "sample", hwt_plugin_sample.options,
					  hwt_plugin_sample.noptions, why, sizeof(why)),
			 0);
	ck_assert_int_eq(hwt_options_parse(&o, cases[_i].args, why, sizeof(why)), 0);
	why[0] = 0;
	ck_assert_int_eq(hwt_sample_check_options(o.values, why, sizeof(why)), cases[_i].err);
	if (cases[_i].err) {
		/* One line naming both flags and what to give. */
		ck_assert_msg(strstr(why, "-c/--period") && strstr(why, "--freq") &&
				      strstr(why, "give one") && !strchr(why, '\n'),
			      "%s", why);
	} else {
		ck_assert_str_eq(why, "");
	}
}
END_TEST

/* The table refuses a period below 1 before any check runs. */
START_TEST(hwt_sample_check_options_period_range)
{
	ck_assert_int_eq(hwt_options_init(&o, "sample", hwt_plugin_sample.options,
					  hwt_plugin_sample.noptions, why, sizeof(why)),
			 0);
	ck_assert_int_eq(hwt_options_parse(&o, "period=0", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(strstr(why, "period") != NULL, "%s", why);
}
END_TEST

START_TEST(hwt_sample_check_options_null)
{
	ck_assert_int_eq(hwt_sample_check_options(NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_msg(why[0] != 0, "no reason given");
}
END_TEST

static Suite *sample_suite(void)
{
	Suite *s = suite_create("sample");
	TCase *tc = tcase_create("sample");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, hwt_sample_check_options_table, 0,
			    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, hwt_sample_check_options_period_range);
	tcase_add_test(tc, hwt_sample_check_options_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sample_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for plugin options (core/options.c): values of every type good and bad, tables
 * checked, KEY=VALUE text, flags, the one-line messages, help, and the built-in plugins' tables. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/host.h"
#include "core/options.h"

static char why[512];
static struct hwt_options o;

static void teardown(void)
{
	hwt_options_fini(&o);
}

enum { T_FLAG, T_NUM, T_SIZE, T_POW2, T_TIME, T_NAME, T_TAGS, T_MODE, T_FILE, T_N };

static const struct hwt_option table[T_N] = {
	[T_FLAG] = { .name = "flag",
		     .type = HWT_OPT_BOOL,
		     .def = "0",
		     .short_flag = 'x',
		     .long_flag = "flag",
		     .help = "a flag" },
	[T_NUM] = { .name = "num",
		    .type = HWT_OPT_INT,
		    .min = -5,
		    .max = 100,
		    .def = "7",
		    .short_flag = 'n',
		    .long_flag = "num",
		    .help = "a number" },
	[T_SIZE] = { .name = "size",
		     .type = HWT_OPT_SIZE,
		     .min = 1024,
		     .max = 1 << 30,
		     .def = "64K",
		     .long_flag = "size",
		     .help = "a size" },
	[T_POW2] = { .name = "pow2",
		     .type = HWT_OPT_SIZE,
		     .flags = HWT_OPT_POW2,
		     .min = 4096,
		     .max = 1 << 30,
		     .def = "4M",
		     .short_flag = 'm',
		     .long_flag = "ring",
		     .help = "a ring" },
	[T_TIME] = { .name = "time", .type = HWT_OPT_DURATION, .long_flag = "min-time" },
	[T_NAME] = { .name = "name",
		     .type = HWT_OPT_STRING,
		     .arg = "FUNCTION",
		     .long_flag = "name" },
	[T_TAGS] = { .name = "tag",
		     .type = HWT_OPT_LIST,
		     .max = 2,
		     .arg = "PATTERN",
		     .short_flag = 'F',
		     .long_flag = "function" },
	[T_MODE] = { .name = "mode",
		     .type = HWT_OPT_ENUM,
		     .def = "fp",
		     .choices = (const char *const[]){ "fp", "dwarf", "none", NULL },
		     .short_flag = 'g',
		     .long_flag = "mode" },
	[T_FILE] = { .name = "file",
		     .type = HWT_OPT_STRING,
		     .flags = HWT_OPT_COMMAS,
		     .arg = "FILE",
		     .short_flag = 'o' },
};

/* ---- one value ------------------------------------------------------------------------- */

static const struct {
	int opt;
	const char *text;
	int64_t i;     /* the number, for every type but STRING and LIST */
	const char *s; /* the text kept, where there is one */
} good[] = {
	{ T_FLAG, "1", 1, NULL },
	{ T_FLAG, "yes", 1, NULL },
	{ T_FLAG, "true", 1, NULL },
	{ T_FLAG, "on", 1, NULL },
	{ T_FLAG, "0", 0, NULL },
	{ T_FLAG, "no", 0, NULL },
	{ T_FLAG, "false", 0, NULL },
	{ T_FLAG, "off", 0, NULL },
	{ T_NUM, "0", 0, NULL },
	{ T_NUM, "-5", -5, NULL },
	{ T_NUM, "100", 100, NULL },
	{ T_NUM, "+3", 3, NULL },
	{ T_SIZE, "1K", 1024, NULL },
	{ T_SIZE, "64k", 65536, NULL },
	{ T_SIZE, "3M", 3 << 20, NULL },
	{ T_SIZE, "1G", 1 << 30, NULL },
	{ T_SIZE, "2048", 2048, NULL },
	{ T_SIZE, "4MB", 4 << 20, NULL },
	{ T_SIZE, "4MiB", 4 << 20, NULL },
	{ T_SIZE, "4096B", 4096, NULL },
	{ T_POW2, "4K", 4096, NULL },
	{ T_POW2, "8192", 8192, NULL },
	{ T_POW2, "1G", 1 << 30, NULL },
	{ T_TIME, "500ns", 500, NULL },
	{ T_TIME, "10us", 10000, NULL },
	{ T_TIME, "1.5ms", 1500000, NULL },
	{ T_TIME, "2s", 2000000000, NULL },
	{ T_TIME, "7", 7, NULL },
	{ T_TIME, "0", 0, NULL },
	{ T_NAME, "main", 0, "main" },
	{ T_NAME, "ns::f", 0, "ns::f" },
	{ T_TAGS, "libc.so*:qsort", 0, "libc.so*:qsort" },
	{ T_MODE, "fp", 0, "fp" },
	{ T_MODE, "dwarf", 1, "dwarf" },
	{ T_MODE, "none", 2, "none" },
	{ T_FILE, "a,b.hwt", 0, "a,b.hwt" },
};

START_TEST(option_parse_value_good)
{
	struct hwt_option_value v;
	const char *text = good[_i].text;

	int err = hwt_option_parse_value(&table[good[_i].opt], text, &v, why, sizeof(why));
	ck_assert_msg(!err, "%s=%s: %s", table[good[_i].opt].name, text, why);
	ck_assert_int_eq(v.set, 0);
	ck_assert_int_eq(v.i, good[_i].i);
	if (good[_i].s)
		ck_assert_str_eq(v.s, good[_i].s);
	else
		ck_assert_ptr_null(v.s);
}
END_TEST

/* A bad value of each kind, and what the message must say. */
static const struct {
	int opt;
	const char *text, *says;
} bad[] = {
	{ T_FLAG, "2", "give 1 or 0" },
	{ T_FLAG, "", "give 1 or 0" },
	{ T_FLAG, "maybe", "give 1 or 0 (yes/no, true/false, on/off)" },
	{ T_NUM, "101", "give a whole number from -5 to 100" },
	{ T_NUM, "-6", "from -5 to 100" },
	{ T_NUM, "x", "whole number" },
	{ T_NUM, "1.5", "whole number" },
	{ T_NUM, " 3", "whole number" },
	{ T_NUM, "", "whole number" },
	{ T_NUM, "99999999999999999999", "whole number" },
	{ T_SIZE, "512", "give a size from 1K to 1G, e.g. 64K" },
	{ T_SIZE, "2G", "from 1K to 1G" },
	{ T_SIZE, "4X", "size" },
	{ T_SIZE, "-4M", "size" },
	{ T_SIZE, "M", "size" },
	{ T_SIZE, "4iB", "size" },
	{ T_SIZE, "", "size" },
	{ T_SIZE, "99999999999G", "size" },
	{ T_POW2, "3M", "give a power of two from 4K to 1G, e.g. 4M" },
	{ T_POW2, "0", "power of two" },
	{ T_POW2, "2K", "power of two" },
	{ T_TIME, "5parsecs", "give a time like 500ns, 10us, 1ms or 2s" },
	{ T_TIME, "-1ms", "like 500ns" },
	{ T_TIME, "ms", "like 500ns" },
	{ T_TIME, "1e30s", "like 500ns" },
	{ T_TIME, "nan", "like 500ns" },
	{ T_TIME, "inf", "like 500ns" },
	{ T_NAME, "", "give one function, not empty and without commas" },
	{ T_NAME, "a,b", "without commas" },
	{ T_TAGS, "", "give one pattern" },
	{ T_TAGS, "a,b", "without commas" },
	{ T_MODE, "xyz", "use fp, dwarf or none" },
	{ T_MODE, "", "use fp, dwarf or none" },
	{ T_MODE, "FP", "use fp, dwarf or none" },
	{ T_FILE, "", "give a non-empty file" },
};

START_TEST(option_parse_value_bad)
{
	struct hwt_option_value v;

	memset(&v, 0x5a, sizeof(v));
	ck_assert_int_eq(
		hwt_option_parse_value(&table[bad[_i].opt], bad[_i].text, &v, why, sizeof(why)),
		HWT_E_INVAL);
	ck_assert_msg(strstr(why, bad[_i].says), "%s=%s: '%s' does not say '%s'",
		      table[bad[_i].opt].name, bad[_i].text, why, bad[_i].says);
	ck_assert_int_eq(v.i, 0); /* nothing half-parsed is left */
	ck_assert_ptr_null(v.s);
}
END_TEST

START_TEST(option_parse_value_null)
{
	struct hwt_option_value v;
	struct hwt_option weird = { .name = "weird", .type = 99 };

	ck_assert_int_eq(hwt_option_parse_value(NULL, "1", &v, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_option_parse_value(&table[T_NUM], NULL, &v, why, sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_option_parse_value(&table[T_NUM], "1", NULL, why, sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_option_parse_value(&weird, "1", &v, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "unknown type"));
	/* no room for the reason is fine */
	ck_assert_int_eq(hwt_option_parse_value(&table[T_NUM], "x", &v, NULL, 0), HWT_E_INVAL);
}
END_TEST

/* ---- tables ---------------------------------------------------------------------------- */

START_TEST(options_init_defaults)
{
	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	ck_assert_int_eq(o.values[T_FLAG].i, 0);
	ck_assert_int_eq(o.values[T_NUM].i, 7);
	ck_assert_int_eq(o.values[T_SIZE].i, 64 << 10);
	ck_assert_int_eq(o.values[T_POW2].i, 4 << 20);
	ck_assert_int_eq(o.values[T_TIME].i, 0);
	ck_assert_ptr_null(o.values[T_NAME].s);
	ck_assert_uint_eq(o.values[T_TAGS].n, 0);
	ck_assert_int_eq(o.values[T_MODE].i, 0);
	ck_assert_str_eq(o.values[T_MODE].s, "fp");
	for (int i = 0; i < T_N; i++)
		ck_assert_int_eq(o.values[i].set, 0); /* defaults are not given */
}
END_TEST

/* Tables with one thing wrong, and what the message must say. */
static const struct {
	struct hwt_option opt[2];
	size_t n;
	const char *says;
} bad_tables[] = {
	{ { { .name = NULL, .type = HWT_OPT_INT } }, 1, "declared wrong: its name" },
	{ { { .name = "Bad-Name", .type = HWT_OPT_INT } }, 1, "its name" },
	{ { { .name = "", .type = HWT_OPT_INT } }, 1, "its name" },
	{ { { .name = "t", .type = 99 } }, 1, "its type" },
	{ { { .name = "t", .type = 0 } }, 1, "its type" },
	{ { { .name = "p", .type = HWT_OPT_INT, .flags = HWT_OPT_POW2 } }, 1, "flags" },
	{ { { .name = "c", .type = HWT_OPT_INT, .flags = HWT_OPT_COMMAS } }, 1, "flags" },
	{ { { .name = "u", .type = HWT_OPT_INT, .flags = 0x100 } }, 1, "flags" },
	{ { { .name = "e", .type = HWT_OPT_ENUM } }, 1, "ENUM without choices" },
	{ { { .name = "e", .type = HWT_OPT_ENUM, .choices = (const char *const[]){ NULL } } },
	  1,
	  "ENUM without choices" },
	{ { { .name = "l", .type = HWT_OPT_LIST, .def = "x" } }, 1, "LIST with a default" },
	{ { { .name = "s", .type = HWT_OPT_INT, .short_flag = '1' } }, 1, "short flag" },
	{ { { .name = "f", .type = HWT_OPT_INT, .long_flag = "Bad_Flag" } }, 1, "long flag" },
	{ { { .name = "d", .type = HWT_OPT_INT, .def = "x" } },
	  1,
	  "default 'x', which it refuses" },
	{ { { .name = "r", .type = HWT_OPT_INT, .min = 1, .max = 5, .def = "9" } },
	  1,
	  "default '9', which it refuses: give a whole number from 1 to 5" },
	{ { { .name = "a", .type = HWT_OPT_INT }, { .name = "a", .type = HWT_OPT_BOOL } },
	  2,
	  "'a' and 'a' have the same name or flag" },
	{ { { .name = "a", .type = HWT_OPT_INT, .short_flag = 'q' },
	    { .name = "b", .type = HWT_OPT_BOOL, .short_flag = 'q' } },
	  2,
	  "same name or flag" },
	{ { { .name = "a", .type = HWT_OPT_INT, .long_flag = "x" },
	    { .name = "b", .type = HWT_OPT_BOOL, .long_flag = "x" } },
	  2,
	  "same name or flag" },
};

START_TEST(options_init_bad_table)
{
	ck_assert_int_eq(hwt_options_init(&o, "plug", bad_tables[_i].opt, bad_tables[_i].n, why,
					  sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_msg(strstr(why, bad_tables[_i].says), "'%s' does not say '%s'", why,
		      bad_tables[_i].says);
	ck_assert_msg(!strncmp(why, "plug: ", 6), "'%s' does not name the plugin", why);
	ck_assert_ptr_null(o.values);
}
END_TEST

START_TEST(options_init_null)
{
	ck_assert_int_eq(hwt_options_init(NULL, "x", table, T_N, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_options_init(&o, "x", NULL, 3, why, sizeof(why)), HWT_E_INVAL);
	/* a plugin without options: any option is refused, none is fine */
	ck_assert_int_eq(hwt_options_init(&o, NULL, NULL, 0, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_parse(&o, "", why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_parse(&o, "a=1", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_str_eq(why, "plugin: unknown option 'a': it takes no options");
	hwt_options_fini(&o);
	hwt_options_fini(&o);
	hwt_options_fini(NULL);
}
END_TEST

/* ---- giving values --------------------------------------------------------------------- */

/* One refused value given each way, and the whole line it must give. */
static const struct {
	int opt;
	const char *text, *flag, *line;
} refusals[] = {
	{ T_NUM, "200", "-n", "-n 200 (--num 200): give a whole number from -5 to 100" },
	{ T_NUM, "200", "--num", "--num 200: give a whole number from -5 to 100" },
	{ T_NUM, "200", NULL, "test: num=200: give a whole number from -5 to 100" },
	{ T_POW2, "0", "-m", "-m 0 (--ring 0): give a power of two from 4K to 1G, e.g. 4M" },
	{ T_TIME, "5parsecs", "--min-time",
	  "--min-time 5parsecs: give a time like 500ns, 10us, 1ms or 2s" },
	{ T_TAGS, "", "-F",
	  "bad pattern '' for -F: give one pattern, not empty and without commas (repeat -F "
	  "for more)" },
	{ T_TAGS, "", NULL,
	  "test: bad pattern '' for tag: give one pattern, not empty and without commas "
	  "(repeat tag= for more)" },
	{ T_MODE, "x", "-g", "-g x (--mode x): use fp, dwarf or none" },
	{ T_NAME, "a,b", "--name",
	  "bad function 'a,b' for --name: give one function, not empty and without commas" },
	{ T_FLAG, "2", NULL, "test: flag=2: give 1 or 0 (yes/no, true/false, on/off)" },
	{ T_FILE, "", "-o", "bad file '' for -o: give a non-empty file" },
};

START_TEST(options_set_refusals)
{
	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	struct hwt_option_value before = o.values[refusals[_i].opt];
	ck_assert_int_eq(hwt_options_set(&o, (size_t)refusals[_i].opt, refusals[_i].text,
					 refusals[_i].flag, why, sizeof(why)),
			 HWT_E_INVAL);
	ck_assert_str_eq(why, refusals[_i].line);
	ck_assert_ptr_null(strchr(why, '\n'));
	/* the value is what it was */
	ck_assert_int_eq(o.values[refusals[_i].opt].i, before.i);
	ck_assert_int_eq(o.values[refusals[_i].opt].set, 0);
}
END_TEST

START_TEST(options_set_last_wins_and_lists)
{
	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_set(&o, T_NUM, "1", "-n", why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_set(&o, T_NUM, "2", "--num", why, sizeof(why)), 0);
	ck_assert_int_eq(o.values[T_NUM].i, 2);
	ck_assert_int_eq(o.values[T_NUM].set, 1);
	ck_assert_int_eq(hwt_options_set(&o, T_TAGS, "a*", "-F", why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_set(&o, T_TAGS, "b*", "-F", why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_set(&o, T_TAGS, "c*", "-F", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_str_eq(why, "too many -F patterns: at most 2");
	ck_assert_uint_eq(o.values[T_TAGS].n, 2);
	ck_assert_str_eq(o.values[T_TAGS].list[0], "a*");
	ck_assert_str_eq(o.values[T_TAGS].list[1], "b*");
	ck_assert_int_eq(o.values[T_TAGS].set, 1);
}
END_TEST

START_TEST(options_set_bad_arguments)
{
	ck_assert_int_eq(hwt_options_set(NULL, 0, "1", NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_options_set(&o, 0, "1", NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_set(&o, T_N, "1", NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_options_set(&o, T_NUM, NULL, NULL, why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

START_TEST(options_parse_good)
{
	char text[] = "num=3,size=2M,flag,tag=a,tag=lib:b,mode=none,name=main,time=10us,,";

	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_parse(&o, text, why, sizeof(why)), 0);
	memset(text, 'z', sizeof(text) - 1); /* the values were copied */
	ck_assert_int_eq(o.values[T_NUM].i, 3);
	ck_assert_int_eq(o.values[T_SIZE].i, 2 << 20);
	ck_assert_int_eq(o.values[T_FLAG].i, 1);
	ck_assert_int_eq(o.values[T_FLAG].set, 1);
	ck_assert_uint_eq(o.values[T_TAGS].n, 2);
	ck_assert_str_eq(o.values[T_TAGS].list[1], "lib:b");
	ck_assert_str_eq(o.values[T_MODE].s, "none");
	ck_assert_str_eq(o.values[T_NAME].s, "main");
	ck_assert_int_eq(o.values[T_TIME].i, 10000);
	ck_assert_int_eq(o.values[T_POW2].set, 0);
	/* a second text adds to the first; the last value wins */
	ck_assert_int_eq(hwt_options_parse(&o, "num=4,num=5,flag=off", why, sizeof(why)), 0);
	ck_assert_int_eq(o.values[T_NUM].i, 5);
	ck_assert_int_eq(o.values[T_FLAG].i, 0);
	ck_assert_str_eq(o.values[T_NAME].s, "main");
	ck_assert_int_eq(hwt_options_parse(&o, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_parse(&o, "", why, sizeof(why)), 0);
}
END_TEST

static const struct {
	const char *args, *line;
} bad_texts[] = {
	{ "bogus=1", "test: unknown option 'bogus': use flag, num, size, pow2, time, name, tag, "
		     "mode or file" },
	{ "num", "test: option 'num' needs a value (num=N)" },
	{ "mode", "test: option 'mode' needs a value (mode=fp|dwarf|none)" },
	{ "num=x", "test: num=x: give a whole number from -5 to 100" },
	{ "tag=a,tag=b,tag=c", "test: too many values of tag: at most 2" },
	{ "mode=", "test: mode=: use fp, dwarf or none" },
	{ "name=",
	  "test: bad function '' for name: give one function, not empty and without commas" },
	{ "size=1K,pow2=3M", "test: pow2=3M: give a power of two from 4K to 1G, e.g. 4M" },
};

START_TEST(options_parse_bad)
{
	ck_assert_int_eq(hwt_options_init(&o, "test", table, T_N, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_options_parse(&o, bad_texts[_i].args, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_str_eq(why, bad_texts[_i].line);
}
END_TEST

START_TEST(options_parse_null)
{
	ck_assert_int_eq(hwt_options_parse(NULL, "a=1", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_options_parse(&o, "a=1", why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

START_TEST(option_find_names_and_flags)
{
	ck_assert_int_eq(hwt_option_find(table, T_N, "mode"), T_MODE);
	ck_assert_int_eq(hwt_option_find(table, T_N, "nope"), -1);
	ck_assert_int_eq(hwt_option_find(table, T_N, NULL), -1);
	ck_assert_int_eq(hwt_option_find(NULL, 3, "mode"), -1);
	ck_assert_int_eq(hwt_option_find_flag(table, T_N, 'm', NULL), T_POW2);
	ck_assert_int_eq(hwt_option_find_flag(table, T_N, 0, "ring"), T_POW2);
	ck_assert_int_eq(hwt_option_find_flag(table, T_N, 0, "min-time"), T_TIME);
	ck_assert_int_eq(hwt_option_find_flag(table, T_N, 'z', "nope"), -1);
	ck_assert_int_eq(hwt_option_find_flag(table, T_N, 0, NULL), -1);
	ck_assert_int_eq(hwt_option_find_flag(NULL, 3, 'm', NULL), -1);
}
END_TEST

/* ---- help ------------------------------------------------------------------------------ */

static const struct {
	int opt;
	const char *text;
} helps[] = {
	{ T_FLAG, "  -x, --flag            a flag (default 0)\n" },
	{ T_NUM, "  -n, --num N           a number (from -5 to 100; default 7)\n" },
	{ T_SIZE, "      --size SIZE       a size (from 1K to 1G; default 64K)\n" },
	{ T_POW2, "  -m, --ring SIZE       a ring (a power of two from 4K to 1G; default 4M)\n" },
	{ T_TIME, "      --min-time TIME\n" },
	{ T_TAGS, "  -F, --function PATTERN\n                        (repeatable, at most 2)\n" },
	{ T_MODE, "  -g, --mode fp|dwarf|none\n                        (default fp)\n" },
	{ T_FILE, "  -o FILE\n" },
};

START_TEST(option_help_exact)
{
	char buf[1024];
	int n = hwt_option_help(&table[helps[_i].opt], buf, sizeof(buf));

	ck_assert_str_eq(buf, helps[_i].text);
	ck_assert_int_eq(n, (int)strlen(helps[_i].text));
}
END_TEST

START_TEST(option_help_wraps)
{
	static const struct hwt_option keyed = {
		.name = "per_thread",
		.type = HWT_OPT_BOOL,
		.def = "1",
		.help = "one event on the program's thread instead of one per CPU, which is what "
			"you want when the program runs alone on a machine with very many CPUs and "
			"you do not want to pay for every one of them",
	};
	char buf[1024];

	ck_assert_int_gt(hwt_option_help(&keyed, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf,
			 "      per_thread=0|1    one event on the program's thread instead of "
			 "one per CPU, which is\n"
			 "                        what you want when the program runs alone on "
			 "a machine with very\n"
			 "                        many CPUs and you do not want to pay for every "
			 "one of them (default\n"
			 "                        1)\n");
	for (char *line = buf; *line; line = strchr(line, '\n') + 1)
		ck_assert_int_le(strcspn(line, "\n"), 92);
}
END_TEST

START_TEST(option_help_bad)
{
	char buf[16];

	ck_assert_int_eq(hwt_option_help(&table[T_POW2], buf, sizeof(buf)), HWT_E_NOMEM);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(hwt_option_help(NULL, buf, sizeof(buf)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_option_help(&table[T_POW2], NULL, 10), HWT_E_INVAL);
}
END_TEST

START_TEST(option_arg_words)
{
	char buf[64];

	ck_assert_str_eq(hwt_option_arg(&table[T_MODE], buf, sizeof(buf)), "fp|dwarf|none");
	ck_assert_str_eq(hwt_option_arg(&table[T_NUM], buf, sizeof(buf)), "N");
	ck_assert_str_eq(hwt_option_arg(&table[T_FLAG], buf, sizeof(buf)), "0|1");
	ck_assert_str_eq(hwt_option_arg(&table[T_TAGS], buf, sizeof(buf)), "PATTERN");
	ck_assert_str_eq(hwt_option_arg(&table[T_MODE], buf, 5), "fp|d");
	ck_assert_ptr_null(hwt_option_arg(&table[T_MODE], NULL, 0));
}
END_TEST

/* ---- the built-in plugins -------------------------------------------------------------- */

/* Every built-in table is valid and helpful, and a flag two tracers share takes a value in both
 * or in neither: `hwtrace record` builds one getopt table from all of them. */
START_TEST(options_init_builtin_plugins)
{
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		ck_assert_msg(!hwt_options_init(&o, (*p)->name, (*p)->options, (*p)->noptions, why,
						sizeof(why)),
			      "%s", why);
		hwt_options_fini(&o);
		for (size_t i = 0; i < (*p)->noptions; i++) {
			const struct hwt_option *a = &(*p)->options[i];
			ck_assert_msg(a->help && *a->help, "%s: %s has no help", (*p)->name,
				      a->name);
			for (const struct hwt_plugin *const *q = hwt_builtin_plugins; *q; q++) {
				int j = hwt_option_find_flag((*q)->options, (*q)->noptions,
							     a->short_flag, a->long_flag);
				if ((a->short_flag || a->long_flag) && j >= 0)
					ck_assert_msg(
						(a->type == HWT_OPT_BOOL) ==
							((*q)->options[j].type == HWT_OPT_BOOL),
						"%s %s and %s %s", (*p)->name, a->name, (*q)->name,
						(*q)->options[j].name);
			}
		}
	}
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc = tcase_create("values");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_loop_test(tc, option_parse_value_good, 0, sizeof(good) / sizeof(good[0]));
	tcase_add_loop_test(tc, option_parse_value_bad, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, option_parse_value_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("tables");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, options_init_defaults);
	tcase_add_loop_test(tc, options_init_bad_table, 0,
			    sizeof(bad_tables) / sizeof(bad_tables[0]));
	tcase_add_test(tc, options_init_null);
	tcase_add_loop_test(tc, options_set_refusals, 0, sizeof(refusals) / sizeof(refusals[0]));
	tcase_add_test(tc, options_set_last_wins_and_lists);
	tcase_add_test(tc, options_set_bad_arguments);
	tcase_add_test(tc, options_parse_good);
	tcase_add_loop_test(tc, options_parse_bad, 0, sizeof(bad_texts) / sizeof(bad_texts[0]));
	tcase_add_test(tc, options_parse_null);
	tcase_add_test(tc, option_find_names_and_flags);
	tcase_add_test(tc, options_init_builtin_plugins);
	suite_add_tcase(s, tc);

	tc = tcase_create("help");
	tcase_add_loop_test(tc, option_help_exact, 0, sizeof(helps) / sizeof(helps[0]));
	tcase_add_test(tc, option_help_wraps);
	tcase_add_test(tc, option_help_bad);
	tcase_add_test(tc, option_arg_words);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

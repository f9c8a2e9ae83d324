/* Unit tests for the Intel PT recording parts that need no PT hardware: the event config from a
 * fake sysfs tree, the option table and the typed configuration, AUX arithmetic, time
 * conversion, the chunk text, the host's AUX mapping and the pt plugin's refusal on a machine
 * without Intel PT. */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#include "hwtrace/error.h"
#include "core/host.h"
#include "core/options.h"
#include "core/format/pt_format.h"
#include "plugins/intel_pt/pt_config.h"

static char root[128];
static char why[512];
static struct hwt_options opts; /* the values a configuration borrows from */

/* Parses @args ("KEY=VALUE,...") against the pt plugin's option table and sets @cfg from the
 * values, as `hwtrace record -b pt:ARGS` and pt_start() do. */
static int pt_parse(struct hwt_pt_config *cfg, const char *args)
{
	hwt_options_fini(&opts);
	int err = hwt_options_init(&opts, "intel_pt", hwt_pt_options, HWT_PT_NOPTIONS, why,
				   sizeof(why));
	if (!err)
		err = hwt_options_parse(&opts, args, why, sizeof(why));
	if (!err)
		err = hwt_pt_config_set(cfg, opts.values, why, sizeof(why));
	return err;
}

static void opts_fini(void)
{
	hwt_options_fini(&opts);
}

/* ---- a fake /sys/bus/event_source/devices/intel_pt ------------------------------------- */

static void put_file(const char *rel, const char *text)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static void drop_file(const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	ck_assert_int_eq(unlink(path), 0);
}

/* The files of a Skylake-era kernel, formats as arch/x86/events/intel/pt.c declares them. */
static const char *const skylake[][2] = {
	{ "type", "8\n" },
	{ "max_nonturbo_ratio", "24\n" },
	{ "format/pt", "config:0\n" },
	{ "format/cyc", "config:1\n" },
	{ "format/pwr_evt", "config:4\n" },
	{ "format/mtc", "config:9\n" },
	{ "format/tsc", "config:10\n" },
	{ "format/noretcomp", "config:11\n" },
	{ "format/ptw", "config:12\n" },
	{ "format/branch", "config:13\n" },
	{ "format/mtc_period", "config:14-17\n" },
	{ "format/cyc_thresh", "config:19-22\n" },
	{ "format/psb_period", "config:24-27\n" },
	{ "caps/mtc", "1\n" },
	{ "caps/mtc_periods", "249\n" }, /* hex: periods 0, 3, 6, 9 */
	{ "caps/psb_cyc", "1\n" },
	{ "caps/cyc_thresholds", "3fff\n" },
	{ "caps/psb_periods", "3f\n" },
};

static void setup(void)
{
	char path[512];

	snprintf(root, sizeof(root), "/tmp/hwt-test-ptconfig-%d/intel_pt", (int)getpid());
	snprintf(path, sizeof(path), "/tmp/hwt-test-ptconfig-%d", (int)getpid());
	mkdir(path, 0755);
	ck_assert_int_eq(mkdir(root, 0755), 0);
	snprintf(path, sizeof(path), "%s/format", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/caps", root);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	for (size_t i = 0; i < sizeof(skylake) / sizeof(skylake[0]); i++)
		put_file(skylake[i][0], skylake[i][1]);
	why[0] = 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void teardown(void)
{
	char path[512];

	snprintf(path, sizeof(path), "/tmp/hwt-test-ptconfig-%d", (int)getpid());
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	opts_fini();
}

#define BIT(n) (1ull << (n))

static struct hwt_pt_attr build(const char *args, int want)
{
	struct hwt_pt_config cfg;
	struct hwt_pt_attr a;

	ck_assert_int_eq(pt_parse(&cfg, args), 0);
	int err = hwt_pt_attr_build(&cfg, root, &a, why, sizeof(why));
	ck_assert_msg(err == want, "%s: got %d (%s), want %d", args, err, why, want);
	return a;
}

/* ---- the event config ------------------------------------------------------------------ */

START_TEST(ptconfig_attr_build_defaults)
{
	struct hwt_pt_attr a = build("", 0);

	/* pt + branch, tsc, mtc with period 3: exactly these bits */
	ck_assert_uint_eq(a.config, BIT(0) | BIT(13) | BIT(10) | BIT(9) | (3ull << 14));
	ck_assert_uint_eq(a.type, 8);
	ck_assert_int_eq(a.branch, 1);
	ck_assert_int_eq(a.tsc, 1);
	ck_assert_int_eq(a.mtc_period, 3);
	ck_assert_int_eq(a.cyc, 0);
	ck_assert_int_eq(a.noretcomp, 0);
	ck_assert_int_eq(a.cyc_thresh, HWT_PT_UNSET);
	ck_assert_int_eq(a.psb_period, HWT_PT_UNSET);
	ck_assert_uint_eq(a.nom_freq, 24);
}
END_TEST

START_TEST(ptconfig_attr_build_every_option)
{
	struct hwt_pt_attr a =
		build("cyc=1,cyc_thresh=2,noretcomp=1,psb_period=5,mtc_period=6,tsc=1", 0);

	ck_assert_uint_eq(a.config, BIT(0) | BIT(13) | BIT(10) | BIT(9) | (6ull << 14) | BIT(1) |
					    (2ull << 19) | BIT(11) | (5ull << 24));
	ck_assert_int_eq(a.cyc, 1);
	ck_assert_int_eq(a.cyc_thresh, 2);
	ck_assert_int_eq(a.psb_period, 5);
	ck_assert_int_eq(a.noretcomp, 1);
	ck_assert_int_eq(a.mtc_period, 6);
}
END_TEST

START_TEST(ptconfig_attr_build_without_tsc_or_mtc)
{
	struct hwt_pt_attr a = build("tsc=0,mtc=0", 0);

	ck_assert_uint_eq(a.config, BIT(0) | BIT(13));
	ck_assert_int_eq(a.tsc, 0);
	ck_assert_int_eq(a.mtc_period, HWT_PT_UNSET);
}
END_TEST

START_TEST(ptconfig_attr_build_legacy_branch)
{
	/* Without "pt" and "branch" the kernel sets BranchEn itself: neither bit is ours. */
	drop_file("format/pt");
	drop_file("format/branch");
	struct hwt_pt_attr a = build("", 0);
	ck_assert_uint_eq(a.config, BIT(10) | BIT(9) | (3ull << 14));
	ck_assert_int_eq(a.branch, 0);
}
END_TEST

START_TEST(ptconfig_attr_build_no_mtc)
{
	put_file("caps/mtc", "0\n");
	struct hwt_pt_attr a = build("", 0);
	ck_assert_uint_eq(a.config, BIT(0) | BIT(13) | BIT(10));
	ck_assert_int_eq(a.mtc_period, HWT_PT_UNSET);

	/* asked for: an error naming the caps file */
	build("mtc_period=3", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "mtc_periods"));

	/* an older kernel without caps/mtc at all */
	drop_file("caps/mtc");
	a = build("", 0);
	ck_assert_uint_eq(a.config, BIT(0) | BIT(13) | BIT(10));
}
END_TEST

START_TEST(ptconfig_attr_build_mtc_period_nearest)
{
	put_file("caps/mtc_periods", "201\n"); /* 0 and 9: 0 is nearer to 3 */
	struct hwt_pt_attr a = build("", 0);
	ck_assert_int_eq(a.mtc_period, 0);
	ck_assert_uint_eq(a.config, BIT(0) | BIT(13) | BIT(10) | BIT(9));

	put_file("caps/mtc_periods", "30\n"); /* 4 and 5 */
	a = build("", 0);
	ck_assert_int_eq(a.mtc_period, 4);
	ck_assert_uint_eq(a.config & (0xfull << 14), 4ull << 14);

	build("mtc_period=3", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "mtc_periods: 4 5"));
}
END_TEST

START_TEST(ptconfig_attr_build_refuses_what_cpu_lacks)
{
	put_file("caps/cyc_thresholds", "3\n");
	put_file("caps/psb_periods", "1\n");
	build("cyc=1,cyc_thresh=5", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "cyc_thresholds: 0 1"));
	build("psb_period=2", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "psb_periods: 0"));

	put_file("caps/psb_cyc", "0\n");
	build("cyc=1", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "psb_cyc"));
	build("psb_period=0", HWT_E_NOTSUP);

	drop_file("format/noretcomp");
	build("noretcomp=1", HWT_E_NOTSUP);
	ck_assert_ptr_nonnull(strstr(why, "noretcomp"));
}
END_TEST

START_TEST(ptconfig_attr_build_bad_files)
{
	put_file("type", "eight\n");
	build("", HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "/type"));

	put_file("type", "8\n");
	put_file("caps/mtc_periods", "nope\n");
	build("", HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "caps/mtc_periods"));

	put_file("caps/mtc_periods", "249\n");
	put_file("format/mtc_period", "config:14-x\n");
	build("", HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "format/mtc_period"));
}
END_TEST

START_TEST(ptconfig_attr_build_no_pmu)
{
	struct hwt_pt_config cfg;
	struct hwt_pt_attr a;

	hwt_pt_config_init(&cfg);
	ck_assert_int_eq(hwt_pt_attr_build(&cfg, "/nonexistent/intel_pt", &a, why, sizeof(why)),
			 HWT_E_NOENT);
	ck_assert_str_eq(why, "no Intel PT: /nonexistent/intel_pt does not exist (not an Intel "
			      "CPU, or a VM without PT passthrough)");
	ck_assert_int_eq(hwt_pt_attr_build(NULL, root, &a, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_attr_build(&cfg, NULL, &a, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_attr_build(&cfg, root, NULL, why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

START_TEST(ptconfig_available)
{
	char missing[256];

	ck_assert_int_eq(hwt_pt_available(root, why, sizeof(why)), 1);
	snprintf(missing, sizeof(missing), "%s-not", root);
	ck_assert_int_eq(hwt_pt_available(missing, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "does not exist (not an Intel CPU"));
	ck_assert_int_eq(hwt_pt_available(NULL, why, sizeof(why)), 0);

	drop_file("format/tsc");
	ck_assert_int_eq(hwt_pt_available(root, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "format/tsc"));
	put_file("format/tsc", "config:10\n");
	drop_file("type");
	ck_assert_int_eq(hwt_pt_available(root, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(strstr(why, "/type"));
}
END_TEST

/* Field placement: "FORMAT", value, config before, config after (0: an error is expected). */
static const struct {
	const char *format;
	uint64_t value, before, after;
	int err;
} fields[] = {
	{ "config:10", 1, 0, BIT(10), 0 },
	{ "config:10", 0, BIT(10) | BIT(3), BIT(3), 0 },
	{ "config:14-17", 0xa, 0, 0xaull << 14, 0 },
	{ "config:14-17", 0x3, 0xfull << 14, 0x3ull << 14, 0 },
	{ "config:0-1,8", 5, 0, BIT(0) | BIT(8), 0 }, /* 0b101: bit 0, then bit 1 = 0, bit 8 */
	{ "config:63", 1, 0, BIT(63), 0 },
	{ "config:0-63", UINT64_MAX, 0, UINT64_MAX, 0 },
	{ "config:14-17", 16, 0, 0, HWT_E_INVAL }, /* does not fit 4 bits */
	{ "config1:3", 1, 0, 0, HWT_E_INVAL },	   /* another config word */
	{ "config:x", 1, 0, 0, HWT_E_INVAL },	   /* not bits */
	{ "config:5-2", 1, 0, 0, HWT_E_INVAL },	   /* backwards */
	{ "config:1-3,2", 1, 0, 0, HWT_E_INVAL },  /* overlapping */
	{ "config:64", 1, 0, 0, HWT_E_INVAL },	   /* past 63 */
	{ "10", 1, 0, 0, HWT_E_INVAL },		   /* no "config:" */
};

START_TEST(ptconfig_field_set_table)
{
	char text[64];
	uint64_t config = fields[_i].before;

	snprintf(text, sizeof(text), "%s\n", fields[_i].format);
	put_file("format/f", text);
	int err = hwt_pt_field_set(root, "f", fields[_i].value, &config, why, sizeof(why));
	ck_assert_msg(err == fields[_i].err, "%s: got %d (%s)", fields[_i].format, err, why);
	if (!err)
		ck_assert_uint_eq(config, fields[_i].after);
	else
		ck_assert_uint_eq(config, fields[_i].before);
}
END_TEST

START_TEST(ptconfig_field_set_missing)
{
	uint64_t config = 7;

	ck_assert_int_eq(hwt_pt_field_set(root, "nosuch", 1, &config, why, sizeof(why)),
			 HWT_E_NOENT);
	ck_assert_ptr_nonnull(strstr(why, "nosuch"));
	ck_assert_uint_eq(config, 7);
	ck_assert_int_eq(hwt_pt_field_set(NULL, "tsc", 1, &config, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_field_set(root, NULL, 1, &config, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_field_set(root, "tsc", 1, NULL, why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

START_TEST(ptconfig_cap_read)
{
	uint64_t v = 0;

	ck_assert_int_eq(hwt_pt_cap_read(root, "mtc_periods", &v, why, sizeof(why)), 0);
	ck_assert_uint_eq(v, 0x249);
	ck_assert_int_eq(hwt_pt_cap_read(root, "nosuch", &v, why, sizeof(why)), HWT_E_NOENT);
	put_file("caps/bad", "12 34\n");
	ck_assert_int_eq(hwt_pt_cap_read(root, "bad", &v, why, sizeof(why)), HWT_E_INVAL);
	put_file("caps/empty", "");
	ck_assert_int_eq(hwt_pt_cap_read(root, "empty", &v, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_cap_read(root, "mtc", NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_cap_read(NULL, "mtc", &v, why, sizeof(why)), HWT_E_INVAL);
}
END_TEST

/* ---- options --------------------------------------------------------------------------- */

START_TEST(ptconfig_config_set_good)
{
	struct hwt_pt_config c;

	hwt_pt_config_init(&c);
	ck_assert_uint_eq(c.aux_bytes, 4u << 20);
	ck_assert_uint_eq(c.snapshot_bytes, 0);
	ck_assert_int_eq(c.tsc, 1);
	ck_assert_int_eq(c.mtc, 1);
	ck_assert_int_eq(c.mtc_period, HWT_PT_UNSET);

	ck_assert_int_eq(pt_parse(&c, "snapshot=8M,aux=64K,per_thread=1,cyc=1,cyc_thresh=3,"
				      "noretcomp=1,psb_period=2,mtc_period=6,mtc=0,tsc=0"),
			 0);
	ck_assert_uint_eq(c.snapshot_bytes, 8u << 20);
	ck_assert_uint_eq(c.aux_bytes, 64u << 10);
	ck_assert_int_eq(c.per_thread, 1);
	ck_assert_int_eq(c.cyc, 1);
	ck_assert_int_eq(c.cyc_thresh, 3);
	ck_assert_int_eq(c.noretcomp, 1);
	ck_assert_int_eq(c.psb_period, 2);
	ck_assert_int_eq(c.mtc_period, 6);
	ck_assert_int_eq(c.mtc, 0);
	ck_assert_int_eq(c.tsc, 0);

	/* a trigger alone takes 4 MiB snapshots; bytes without a suffix */
	ck_assert_int_eq(pt_parse(&c, "trigger=do_work"), 0);
	ck_assert_str_eq(c.trigger, "do_work");
	ck_assert_uint_eq(c.snapshot_bytes, 4u << 20);
	ck_assert_int_eq(pt_parse(&c, "snapshot=1048576"), 0);
	ck_assert_uint_eq(c.snapshot_bytes, 1u << 20);
	ck_assert_ptr_null(c.trigger);
	ck_assert_int_eq(pt_parse(&c, NULL), 0);
	ck_assert_int_eq(pt_parse(&c, ""), 0);
}
END_TEST

/* The table's defaults are hwt_pt_config_init()'s. */
START_TEST(ptconfig_config_set_defaults)
{
	struct hwt_pt_config a, b;

	hwt_pt_config_init(&a);
	memset(&b, 0x5a, sizeof(b));
	ck_assert_int_eq(pt_parse(&b, ""), 0);
	ck_assert_uint_eq(a.aux_bytes, b.aux_bytes);
	ck_assert_uint_eq(a.snapshot_bytes, b.snapshot_bytes);
	ck_assert_ptr_null(b.trigger);
	ck_assert_int_eq(a.per_thread, b.per_thread);
	ck_assert_int_eq(a.tsc, b.tsc);
	ck_assert_int_eq(a.mtc, b.mtc);
	ck_assert_int_eq(a.mtc_period, b.mtc_period);
	ck_assert_int_eq(a.cyc, b.cyc);
	ck_assert_int_eq(a.cyc_thresh, b.cyc_thresh);
	ck_assert_int_eq(a.noretcomp, b.noretcomp);
	ck_assert_int_eq(a.psb_period, b.psb_period);
}
END_TEST

static const struct {
	const char *args, *says;
} bad_args[] = {
	{ "snapshot", "needs a value" },    { "snapshot=3M", "power of two" },
	{ "snapshot=0", "power of two" },   { "snapshot=2G", "power of two" },
	{ "aux=1K", "power of two" },	    { "aux=-4M", "power of two" },
	{ "aux=4X", "power of two" },	    { "mtc_period=16", "from 0 to 15" },
	{ "psb_period=x", "from 0 to 15" }, { "cyc=2", "give 1 or 0" },
	{ "per_thread=", "give 1 or 0" },   { "trigger=", "one function" },
	{ "cyc_thresh=2", "needs cyc=1" },  { "color=blue", "unknown option 'color'" },
};

START_TEST(ptconfig_config_set_bad)
{
	struct hwt_pt_config c;

	ck_assert_int_eq(pt_parse(&c, bad_args[_i].args), HWT_E_INVAL);
	ck_assert_msg(strstr(why, bad_args[_i].says), "%s: '%s' does not say '%s'",
		      bad_args[_i].args, why, bad_args[_i].says);
	ck_assert_msg(!strncmp(why, "intel_pt: ", 10), "'%s' does not name intel_pt", why);
}
END_TEST

START_TEST(ptconfig_config_set_null)
{
	struct hwt_pt_config c;

	ck_assert_int_eq(pt_parse(&c, ""), 0);
	ck_assert_int_eq(hwt_pt_config_set(NULL, opts.values, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_config_set(&c, NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "intel_pt"));
}
END_TEST

/* ---- the AUX area ---------------------------------------------------------------------- */

static const struct {
	uint64_t tail, head;
	size_t size;
	int n;
	struct hwt_pt_span s[2];
	uint64_t skipped;
} spans[] = {
	{ 0, 0, 4096, 0, { { 0 } }, 0 },
	{ 0, 100, 4096, 1, { { 0, 100, 0 } }, 0 },
	{ 100, 4096, 4096, 1, { { 100, 3996, 100 } }, 0 },
	{ 4000, 4196, 4096, 2, { { 4000, 96, 4000 }, { 0, 100, 4096 } }, 0 },
	{ 8192, 12288, 4096, 1, { { 0, 4096, 8192 } }, 0 }, /* exactly full */
	{ 5000, 5000 + 4096, 4096, 2, { { 904, 3192, 5000 }, { 0, 904, 8192 } }, 0 },
	{ 0, 10000, 4096, 2, { { 1808, 2288, 5904 }, { 0, 1808, 8192 } }, 5904 }, /* overrun */
	{ (1ull << 40) - 10,
	  (1ull << 40) + 10,
	  1u << 20,
	  2,
	  { { (1u << 20) - 10, 10, (1ull << 40) - 10 }, { 0, 10, 1ull << 40 } },
	  0 },
};

START_TEST(ptconfig_aux_spans_table)
{
	struct hwt_pt_span s[2];
	uint64_t skipped = 99;
	int n = hwt_pt_aux_spans(spans[_i].tail, spans[_i].head, spans[_i].size, s, &skipped);

	ck_assert_int_eq(n, spans[_i].n);
	ck_assert_uint_eq(skipped, spans[_i].skipped);
	for (int k = 0; k < n; k++) {
		ck_assert_uint_eq(s[k].pos, spans[_i].s[k].pos);
		ck_assert_uint_eq(s[k].len, spans[_i].s[k].len);
		ck_assert_uint_eq(s[k].offset, spans[_i].s[k].offset);
	}
}
END_TEST

START_TEST(ptconfig_aux_spans_bad)
{
	struct hwt_pt_span s[2];

	ck_assert_int_eq(hwt_pt_aux_spans(10, 5, 4096, s, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_spans(0, 5, 3000, s, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_spans(0, 5, 0, s, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_spans(0, 5, 4096, NULL, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_spans(0, 5, 4096, s, NULL), 1);
}
END_TEST

START_TEST(ptconfig_snapshot_spans)
{
	struct hwt_pt_span s[2];

	/* not wrapped: [0, head) */
	ck_assert_int_eq(hwt_pt_snapshot_spans(1000, 4096, 0, 50, s), 1);
	ck_assert_uint_eq(s[0].pos, 0);
	ck_assert_uint_eq(s[0].len, 1000);
	ck_assert_uint_eq(s[0].offset, 50);
	ck_assert_int_eq(hwt_pt_snapshot_spans(0, 4096, 0, 0, s), 0);
	/* wrapped: [head, size) then [0, head); a running head counts modulo the size */
	ck_assert_int_eq(hwt_pt_snapshot_spans(4096 * 3 + 1000, 4096, 1, 7, s), 2);
	ck_assert_uint_eq(s[0].pos, 1000);
	ck_assert_uint_eq(s[0].len, 3096);
	ck_assert_uint_eq(s[0].offset, 7);
	ck_assert_uint_eq(s[1].pos, 0);
	ck_assert_uint_eq(s[1].len, 1000);
	ck_assert_uint_eq(s[1].offset, 7 + 3096);
	ck_assert_int_eq(hwt_pt_snapshot_spans(8192, 4096, 1, 0, s), 1);
	ck_assert_uint_eq(s[0].pos, 0);
	ck_assert_uint_eq(s[0].len, 4096);
	ck_assert_int_eq(hwt_pt_snapshot_spans(0, 3000, 1, 0, s), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_snapshot_spans(0, 4096, 1, 0, NULL), HWT_E_INVAL);
}
END_TEST

START_TEST(ptconfig_aux_wrapped)
{
	static uint8_t area[8192];

	memset(area, 0, sizeof(area));
	memset(area, 0x99, 1000); /* written up to the head at 1000 */
	ck_assert_int_eq(hwt_pt_aux_wrapped(area, sizeof(area), 1000), 0);
	area[8191] = 0x02;
	ck_assert_int_eq(hwt_pt_aux_wrapped(area, sizeof(area), 1000), 1);
	ck_assert_int_eq(hwt_pt_aux_wrapped(area, sizeof(area), 8192), 0);
	ck_assert_int_eq(hwt_pt_aux_wrapped(NULL, sizeof(area), 0), 0);
}
END_TEST

START_TEST(ptconfig_aux_size_and_offset)
{
	ck_assert_int_eq(hwt_pt_aux_size_check(4096, 4096, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_pt_aux_size_check(4u << 20, 4096, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_pt_aux_size_check(1u << 30, 4096, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_pt_aux_size_check(2048, 4096, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_size_check(12288, 4096, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_size_check(2ull << 30, 4096, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_aux_size_check(4096, 0, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "power of two"));
	/* user page, then the data pages, then the AUX area */
	ck_assert_uint_eq(hwt_pt_aux_offset(4096, 1u << 20), 4096 + (1u << 20));
}
END_TEST

/* ---- time ------------------------------------------------------------------------------ */

START_TEST(ptconfig_tsc_to_ns)
{
	static const struct {
		uint64_t tsc;
		uint32_t mult;
		uint16_t shift;
		uint64_t zero;
	} c[] = {
		{ 0, 1, 0, 5 },
		{ 3000000000ull, 1u << 31, 31, 0 },		   /* 1 GHz: ns = tsc */
		{ 123456789012345ull, 699050667, 31, 1000 },	   /* ~3.07 GHz */
		{ UINT64_MAX >> 1, 1398101333, 32, 0 },		   /* large: no 64-bit overflow */
		{ 0xfedcba9876543ull, 2796202667u, 33, 12345678 }, /* shift past 32 */
	};

	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		unsigned __int128 exact = ((unsigned __int128)c[i].tsc * c[i].mult) >> c[i].shift;
		ck_assert_uint_eq(hwt_pt_tsc_to_ns(c[i].tsc, c[i].mult, c[i].shift, c[i].zero),
				  (uint64_t)exact + c[i].zero);
	}
}
END_TEST

START_TEST(ptconfig_time_read_page)
{
	struct perf_event_mmap_page pg;
	struct hwt_pt_time t;

	memset(&pg, 0, sizeof(pg));
	pg.cap_user_time_zero = 1;
	pg.time_mult = 699050667; /* ~3.07 GHz TSC */
	pg.time_shift = 31;
	pg.time_zero = (uint64_t)-1000000000000ll; /* perf clock behind the TSC count */
	ck_assert_int_eq(hwt_pt_time_read(&pg, 24000000, 256, 2, &t), 0);
	ck_assert_int_eq(t.have_conv, 1);
	ck_assert_uint_eq(t.time_mult, 699050667);
	ck_assert_uint_eq(t.time_shift, 31);
	ck_assert_uint_eq(t.time_zero, pg.time_zero);
	ck_assert_int_eq(t.have_offset, 1);
	ck_assert_uint_eq(t.tsc_hz, 24000000ull * 256 / 2);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_uint_ne(t.tsc_ref, 0);
	ck_assert_uint_ne(t.mono_ref, 0);
	/* the pair maps exactly: mono_ref = perf-clock(tsc_ref) + mono_offset */
	ck_assert_uint_eq(t.mono_ref,
			  hwt_pt_tsc_to_ns(t.tsc_ref, pg.time_mult, pg.time_shift, pg.time_zero) +
				  (uint64_t)t.mono_offset);
#endif
	/* without CPUID 0x15: from the conversion, 1e9 * 2^31 / mult */
	ck_assert_int_eq(hwt_pt_time_read(&pg, 0, 256, 2, &t), 0);
	ck_assert_uint_eq(t.tsc_hz, (uint64_t)((1000000000ull << 31) / 699050667u));

	/* no conversion offered but CPUID 0x15: the offset is for tsc * 1e9 / tsc_hz */
	pg.cap_user_time_zero = 0;
	ck_assert_int_eq(hwt_pt_time_read(&pg, 25000000, 176, 2, &t), 0);
	ck_assert_int_eq(t.have_conv, 0);
	ck_assert_uint_eq(t.time_mult, 0);
	ck_assert_uint_eq(t.tsc_hz, 2200000000ull);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_int_eq(t.have_offset, 1);
	ck_assert_uint_eq(t.mono_ref,
			  (uint64_t)((unsigned __int128)t.tsc_ref * 1000000000u / 2200000000ull) +
				  (uint64_t)t.mono_offset);
#endif
	/* and without a rate either: nothing to map with */
	ck_assert_int_eq(hwt_pt_time_read(&pg, 0, 0, 0, &t), 0);
	ck_assert_int_eq(t.have_conv, 0);
	ck_assert_int_eq(t.have_offset, 0);
	ck_assert_int_eq(t.mono_offset, 0);
	ck_assert_uint_eq(t.tsc_hz, 0);
	ck_assert_int_eq(hwt_pt_time_read(NULL, 0, 0, 0, &t), 0);
	ck_assert_int_eq(hwt_pt_time_read(&pg, 0, 0, 0, NULL), HWT_E_INVAL);
}
END_TEST

/* The kernel's own page, from a software event: where it offers a TSC conversion, the offset
 * read at one moment still maps TSC to CLOCK_MONOTONIC a moment later. */
START_TEST(ptconfig_time_read_kernel_page)
{
	struct perf_event_attr a = {
		.size = sizeof(a),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
		.exclude_kernel = 1,
	};
	long page = sysconf(_SC_PAGESIZE);
	struct hwt_pt_time t;
	int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);

	if (fd < 0)
		return; /* no perf_event here: nothing to compare with */
	void *pg = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(pg, MAP_FAILED);
	ck_assert_int_eq(hwt_pt_time_read(pg, 0, 0, 0, &t), 0);
#if defined(__x86_64__) || defined(__i386__)
	ck_assert_uint_ne(t.tsc_ref, 0);
	if (t.have_conv) {
		struct timespec ts;
		uint64_t tsc = __rdtsc();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t mono = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
		uint64_t est = hwt_pt_tsc_to_ns(tsc, t.time_mult, t.time_shift, t.time_zero) +
			       (uint64_t)t.mono_offset;
		int64_t d = (int64_t)(mono - est);
		ck_assert_msg(d > -1000000 && d < 1000000, "TSC maps %lld ns off", (long long)d);
	}
#endif
	munmap(pg, (size_t)page * 2);
	close(fd);
}
END_TEST

/* ---- the CPU and the chunk ------------------------------------------------------------- */

static unsigned cpuinfo_value(const char *key)
{
	char line[512];
	unsigned v = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    line[strspn(line + strlen(key), "\t") + strlen(key)] == ':') {
			v = (unsigned)strtoul(strchr(line, ':') + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

START_TEST(ptconfig_cpu_read_matches_cpuinfo)
{
	struct hwt_pt_cpu c;

	hwt_pt_cpu_read(&c);
#if defined(__x86_64__) || defined(__i386__)
	/* The kernel decodes CPUID leaf 1 the same way for /proc/cpuinfo. */
	ck_assert_uint_eq(c.family, cpuinfo_value("cpu family"));
	ck_assert_uint_eq(c.model, cpuinfo_value("model"));
	ck_assert_uint_eq(c.stepping, cpuinfo_value("stepping"));
	char line[512], vendor[64] = "";
	FILE *f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "vendor_id : %63s", vendor) == 1)
			break;
	if (f)
		fclose(f);
	ck_assert_str_eq(c.vendor, strcmp(vendor, "GenuineIntel") ? "other" : "intel");
#else
	ck_assert_str_eq(c.vendor, "other");
#endif
}
END_TEST

static const struct {
	const char *name;
	unsigned f;
} names[] = {
	{ "model name\t: Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz\n", 24 },
	{ "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz", 19 },
	{ "Pentium @ 2400MHz", 24 },
	{ "Genuine Intel(R) CPU 0000 @ 2.10 GHz", 21 },
	{ "AMD EPYC", 0 },
	{ "weird @ fast", 0 },
	{ NULL, 0 },
};

START_TEST(ptconfig_nom_freq_from_name_table)
{
	ck_assert_uint_eq(hwt_pt_nom_freq_from_name(names[_i].name), names[_i].f);
}
END_TEST

static void sample_inputs(struct hwt_pt_cpu *cpu, struct hwt_pt_attr *attr,
			  struct hwt_pt_time *time, struct hwt_pt_config *cfg)
{
	*cpu = (struct hwt_pt_cpu){ .vendor = "intel",
				    .family = 6,
				    .model = 85,
				    .stepping = 4,
				    .cpuid_15_eax = 2,
				    .cpuid_15_ebx = 176,
				    .cpuid_15_ecx = 25000000,
				    .nom_freq = 21 };
	*attr = (struct hwt_pt_attr){ .type = 8,
				      .config = 0x2e601,
				      .tsc = 1,
				      .branch = 1,
				      .mtc_period = 3,
				      .cyc_thresh = HWT_PT_UNSET,
				      .psb_period = 5 };
	*time = (struct hwt_pt_time){ .have_conv = 1,
				      .have_offset = 1,
				      .time_mult = 699050667,
				      .time_shift = 31,
				      .time_zero = 18446743073709551616ull,
				      .mono_offset = -123456,
				      .tsc_ref = 1000,
				      .mono_ref = 2000,
				      .tsc_hz = 2200000000ull };
	hwt_pt_config_init(cfg);
}

START_TEST(hwt_pt_sideband_fill_exact)
{
	struct hwt_pt_cpu cpu;
	struct hwt_pt_attr attr;
	struct hwt_pt_time time;
	struct hwt_pt_config cfg;
	struct hwt_pt_sideband sb;

	sample_inputs(&cpu, &attr, &time, &cfg);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, &attr, &time, &cfg, 24, &sb), 0);
	ck_assert_uint_eq(sb.version, HWT_PT_SIDEBAND_VERSION);
	ck_assert_uint_eq(sb.size, sizeof(sb));
	ck_assert_uint_eq(sb.intel, 1);
	ck_assert_uint_eq(sb.cpu_family, 6);
	ck_assert_uint_eq(sb.cpu_model, 85);
	ck_assert_uint_eq(sb.cpu_stepping, 4);
	ck_assert_uint_eq(sb.cpuid_15_eax, 2);
	ck_assert_uint_eq(sb.cpuid_15_ebx, 176);
	ck_assert_uint_eq(sb.cpuid_15_ecx, 25000000);
	ck_assert_uint_eq(sb.nom_freq, 24);
	ck_assert_uint_eq(sb.mtc_freq, 3);
	ck_assert_uint_eq(sb.noretcomp, 0);
	ck_assert_uint_eq(sb.config, 0x2e601);
	ck_assert_uint_eq(sb.pmu_type, 8);
	ck_assert_uint_eq(sb.tsc, 1);
	ck_assert_uint_eq(sb.mtc, 1);
	ck_assert_uint_eq(sb.cyc, 0);
	ck_assert_uint_eq(sb.branch, 1);
	ck_assert_int_eq(sb.cyc_thresh, -1);
	ck_assert_int_eq(sb.psb_period, 5);
	ck_assert_uint_eq(sb.tsc_hz, 2200000000ull);
	ck_assert_uint_eq(sb.have_conv, 1);
	ck_assert_uint_eq(sb.time_mult, 699050667);
	ck_assert_uint_eq(sb.time_shift, 31);
	ck_assert_uint_eq(sb.time_zero, 18446743073709551616ull);
	ck_assert_uint_eq(sb.have_offset, 1);
	ck_assert_int_eq(sb.mono_offset, -123456);
	ck_assert_uint_eq(sb.tsc_ref, 1000);
	ck_assert_uint_eq(sb.mono_ref, 2000);
	ck_assert_uint_eq(sb.snapshot, 0);
	ck_assert_uint_eq(sb.aux_size, 4194304);
	ck_assert_uint_eq(sb.per_thread, 0);
	ck_assert_str_eq(sb.trigger, "");
}
END_TEST

START_TEST(hwt_pt_sideband_fill_snapshot_no_conv)
{
	struct hwt_pt_cpu cpu;
	struct hwt_pt_attr attr;
	struct hwt_pt_time time;
	struct hwt_pt_config cfg;
	struct hwt_pt_sideband sb;

	sample_inputs(&cpu, &attr, &time, &cfg);
	time.have_conv = 0;
	time.have_offset = 0;
	time.tsc_hz = 0;
	attr.mtc_period = HWT_PT_UNSET;
	attr.noretcomp = 1;
	attr.cyc = 1;
	attr.cyc_thresh = 1;
	ck_assert_int_eq(pt_parse(&cfg, "trigger=main,per_thread=1"), 0);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, &attr, &time, &cfg, 0, &sb), 0);
	ck_assert_uint_eq(sb.have_conv, 0);
	ck_assert_uint_eq(sb.time_mult, 0);
	ck_assert_uint_eq(sb.time_zero, 0);
	ck_assert_uint_eq(sb.have_offset, 0);
	ck_assert_int_eq(sb.mono_offset, 0);
	ck_assert_uint_eq(sb.tsc_hz, 0);
	ck_assert_uint_eq(sb.mtc_freq, 0);
	ck_assert_uint_eq(sb.mtc, 0);
	ck_assert_uint_eq(sb.noretcomp, 1);
	ck_assert_uint_eq(sb.cyc, 1);
	ck_assert_int_eq(sb.cyc_thresh, 1);
	ck_assert_uint_eq(sb.nom_freq, 0);
	ck_assert_uint_eq(sb.tsc_ref, 1000);
	ck_assert_uint_eq(sb.mono_ref, 2000);
	ck_assert_uint_eq(sb.snapshot, 1);
	ck_assert_uint_eq(sb.aux_size, 4194304);
	ck_assert_uint_eq(sb.per_thread, 1);
	ck_assert_str_eq(sb.trigger, "main");
}
END_TEST

START_TEST(hwt_pt_sideband_fill_bad)
{
	struct hwt_pt_cpu cpu;
	struct hwt_pt_attr attr;
	struct hwt_pt_time time;
	struct hwt_pt_config cfg;
	struct hwt_pt_sideband sb;

	sample_inputs(&cpu, &attr, &time, &cfg);
	ck_assert_int_eq(hwt_pt_sideband_fill(NULL, &attr, &time, &cfg, 1, &sb), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, NULL, &time, &cfg, 1, &sb), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, &attr, NULL, &cfg, 1, &sb), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, &attr, &time, NULL, 1, &sb), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_sideband_fill(&cpu, &attr, &time, &cfg, 1, NULL), HWT_E_INVAL);
}
END_TEST

START_TEST(ptconfig_pt_item_layout)
{
	/* The decoder reads these at fixed places (core/pt_format.h). */
	ck_assert_uint_eq(sizeof(struct hwt_pt_item), 32);
	ck_assert_uint_eq(offsetof(struct hwt_pt_item, offset), 8);
	ck_assert_uint_eq(offsetof(struct hwt_pt_item, len), 16);
}
END_TEST

/* ---- where a function is mapped -------------------------------------------------------- */

static const char maps[] =
	"55d0c0000000-55d0c0001000 r--p 00000000 08:01 1234 /usr/bin/prog\n"
	"55d0c0001000-55d0c0003000 r-xp 00001000 08:01 1234 /usr/bin/prog\n"
	"55d0c0003000-55d0c0004000 r--p 00003000 08:01 1234 /usr/bin/prog\n"
	"55d0c0100000-55d0c0101000 r-xp 00001000 08:01 1235 /usr/bin/prog2\n"
	"7f0000028000-7f00001bd000 r-xp 00028000 08:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f1000000000-7f1000001000 r-xp 00000000 08:01 77 /tmp/gone (deleted)\n"
	"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n"
	"7ffd000ff000-7ffd00100000 r-xp 00000000 00:00 0 [vdso]";

START_TEST(ptconfig_maps_addr)
{
	uint64_t a = 0;

	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/prog", 0x1139, &a), 0);
	ck_assert_uint_eq(a, 0x55d0c0001139ull);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/prog", 0x2fff, &a), 0);
	ck_assert_uint_eq(a, 0x55d0c0002fffull);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/prog2", 0x1010, &a), 0);
	ck_assert_uint_eq(a, 0x55d0c0100010ull);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/lib/x86_64-linux-gnu/libc.so.6", 0x29dc0, &a),
			 0);
	ck_assert_uint_eq(a, 0x7f0000029dc0ull);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/tmp/gone", 0x10, &a), 0);
	ck_assert_uint_eq(a, 0x7f1000000010ull);
	/* not executable there, past the mapping, another file, a prefix of a name */
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/prog", 0x500, &a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/prog", 0x3000, &a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/other", 0x1139, &a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/usr/bin/pro", 0x1139, &a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_pt_maps_addr("", "/usr/bin/prog", 0, &a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_pt_maps_addr(NULL, "/x", 0, &a), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, NULL, 0, &a), HWT_E_INVAL);
	ck_assert_int_eq(hwt_pt_maps_addr(maps, "/x", 0, NULL), HWT_E_INVAL);
}
END_TEST

/* ---- the host's AUX mapping and the plugin, on this machine ---------------------------- */

START_TEST(host_map_aux_needs_ring_owner)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_mmap_page *page = NULL;
	void *aux = NULL;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(hwt_host_map_aux(h, 12345, 4096, 0, &aux, &page), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "does not own a ring"));
	ck_assert_ptr_null(aux);
	ck_assert_uint_eq(hwt_host_snapshot_requests(h), 0);
	hwt_host_free(h);
}
END_TEST

/* A software event has no AUX area: the kernel says so (EOPNOTSUPP) only after it accepted the
 * area's offset, size and the mlock accounting, which is what this checks of our arithmetic. */
START_TEST(host_map_aux_reaches_kernel)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.disabled = 1,
		.exclude_kernel = 1,
		.mmap = 1,
	};
	struct perf_event_mmap_page *page = NULL;
	void *aux = NULL;

	ck_assert_ptr_nonnull(h);
	int fd = hwt_host_open_event(h, &a, 0, -1, -1, "dummy", HWT_EVENT_RING);
	if (fd < 0) {
		hwt_host_free(h);
		return; /* no perf_event here */
	}
	ck_assert_int_eq(hwt_host_map_aux(h, fd, 3 * 4096, 0, &aux, &page), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "power of two"));
	for (int overwrite = 0; overwrite < 2; overwrite++) {
		errno = 0;
		ck_assert_int_eq(hwt_host_map_aux(h, fd, 16 * 4096, overwrite, &aux, &page),
				 HWT_E_NOTSUP);
		ck_assert_int_eq(errno, EOPNOTSUPP);
		ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "no AUX area"));
	}
	hwt_host_free(h);
}
END_TEST

START_TEST(plugin_pt_refuses_here)
{
	const struct hwt_plugin *p = hwt_plugin_by_name("pt");
	struct hwt_host *h = hwt_host_alloc_probe();
	struct hwt_target t = { .pid = getpid(), .path = "/bin/true", .ncpus = 1 };
	char pwhy[256] = "";
	void *st = NULL;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_eq(hwt_builtin_plugins[0], p); /* -b auto tries it first */
	ck_assert_str_eq(p->name, "pt");
	ck_assert_uint_eq(p->kind, HWT_PLUGIN_TRACER);
	/* its options are its table's: bad ones are refused before start() */
	ck_assert_ptr_eq(p->options, hwt_pt_options);
	ck_assert_uint_eq(p->noptions, HWT_PT_NOPTIONS);
	ck_assert_int_eq(hwt_options_init(&opts, "pt", p->options, p->noptions, why, sizeof(why)),
			 0);
	ck_assert_int_eq(hwt_options_parse(&opts, "bogus=1", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "unknown option 'bogus'"));
	if (access(HWT_PT_SYSFS, F_OK) == 0) {
		ck_assert_int_eq(p->probe(h, pwhy, sizeof(pwhy)), 1);
	} else {
		ck_assert_int_eq(p->probe(h, pwhy, sizeof(pwhy)), 0);
		ck_assert_str_eq(pwhy, "no Intel PT: /sys/bus/event_source/devices/intel_pt does "
				       "not exist (not an Intel CPU, or a VM without PT "
				       "passthrough)");
		ck_assert_int_eq(p->start(h, &t, opts.values, &st), HWT_E_NOENT);
		ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "no Intel PT"));
		ck_assert_ptr_null(st);
	}
	hwt_host_free(h);
}
END_TEST

static Suite *ptconfig_suite(void)
{
	Suite *s = suite_create("ptconfig");
	TCase *tc = tcase_create("sysfs");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, ptconfig_attr_build_defaults);
	tcase_add_test(tc, ptconfig_attr_build_every_option);
	tcase_add_test(tc, ptconfig_attr_build_without_tsc_or_mtc);
	tcase_add_test(tc, ptconfig_attr_build_legacy_branch);
	tcase_add_test(tc, ptconfig_attr_build_no_mtc);
	tcase_add_test(tc, ptconfig_attr_build_mtc_period_nearest);
	tcase_add_test(tc, ptconfig_attr_build_refuses_what_cpu_lacks);
	tcase_add_test(tc, ptconfig_attr_build_bad_files);
	tcase_add_test(tc, ptconfig_attr_build_no_pmu);
	tcase_add_test(tc, ptconfig_available);
	tcase_add_loop_test(tc, ptconfig_field_set_table, 0, sizeof(fields) / sizeof(fields[0]));
	tcase_add_test(tc, ptconfig_field_set_missing);
	tcase_add_test(tc, ptconfig_cap_read);
	suite_add_tcase(s, tc);

	tc = tcase_create("pure");
	tcase_add_checked_fixture(tc, NULL, opts_fini);
	tcase_add_test(tc, ptconfig_config_set_good);
	tcase_add_test(tc, ptconfig_config_set_defaults);
	tcase_add_loop_test(tc, ptconfig_config_set_bad, 0, sizeof(bad_args) / sizeof(bad_args[0]));
	tcase_add_test(tc, ptconfig_config_set_null);
	tcase_add_loop_test(tc, ptconfig_aux_spans_table, 0, sizeof(spans) / sizeof(spans[0]));
	tcase_add_test(tc, ptconfig_aux_spans_bad);
	tcase_add_test(tc, ptconfig_snapshot_spans);
	tcase_add_test(tc, ptconfig_aux_wrapped);
	tcase_add_test(tc, ptconfig_aux_size_and_offset);
	tcase_add_test(tc, ptconfig_tsc_to_ns);
	tcase_add_test(tc, ptconfig_time_read_page);
	tcase_add_test(tc, ptconfig_time_read_kernel_page);
	tcase_add_test(tc, ptconfig_cpu_read_matches_cpuinfo);
	tcase_add_loop_test(tc, ptconfig_nom_freq_from_name_table, 0,
			    sizeof(names) / sizeof(names[0]));
	tcase_add_test(tc, hwt_pt_sideband_fill_exact);
	tcase_add_test(tc, hwt_pt_sideband_fill_snapshot_no_conv);
	tcase_add_test(tc, hwt_pt_sideband_fill_bad);
	tcase_add_test(tc, ptconfig_pt_item_layout);
	tcase_add_test(tc, ptconfig_maps_addr);
	suite_add_tcase(s, tc);

	tc = tcase_create("host");
	tcase_add_checked_fixture(tc, NULL, opts_fini);
	tcase_add_test(tc, host_map_aux_needs_ring_owner);
	tcase_add_test(tc, host_map_aux_reaches_kernel);
	tcase_add_test(tc, plugin_pt_refuses_here);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ptconfig_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

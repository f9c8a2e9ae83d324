/* Unit tests for the exporters in exporters/: a synthetic event stream exported to every
 * format, each output checked by a tool we did not write (protoc, go tool pprof, python3). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "exporters/exporter.h"
#include "core/model.h"
#include "slice_nodes.h"
#include "core/format/value.h"

/* A synthetic recording: two processes, renamed threads, nested slices, samples whose stacks
 * include a kernel frame and a mapping with a build id, a counter, an instant, lost records,
 * a crash. */
struct fixture {
	struct hwt_model *m;
	struct hwt_event ev[256];
	struct slice_cursors cur;
	uint8_t args[64]; /* the instant's arguments */
	size_t n;
	uint32_t f_main, f_work, f_hot, f_op, f_sys;
	uint32_t stack_a, stack_b, track;
};

static const uint64_t weights[2] = { 1, 1000 };
static struct fixture fx;
static char dir[256];

static uint32_t str(const char *s)
{
	int64_t id = hwt_model_intern_str(fx.m, s);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t frame(const char *name, uint32_t mapping, uint64_t addr, uint32_t kind)
{
	struct hwt_frame f = { .name = str(name), .mapping = mapping, .addr = addr, .kind = kind };
	int64_t id = hwt_model_intern_frame(fx.m, &f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t stack(uint32_t parent, uint32_t f)
{
	int64_t id = hwt_model_intern_stack(fx.m, parent, f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static struct hwt_event *add(enum hwt_event_type type, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct hwt_event *e = &fx.ev[fx.n++];

	ck_assert_uint_lt(fx.n, sizeof(fx.ev) / sizeof(fx.ev[0]));
	*e = (struct hwt_event){ .type = type, .pid = pid, .tid = tid, .ts = ts };
	return e;
}

static void slice(enum hwt_event_type type, uint32_t f, uint64_t ts)
{
	slice_node_set(fx.m, &fx.cur, add(type, 100, 101, ts), f);
}

/* Builds the model and the stream; @samples and @slices choose what it holds. */
static void fixture_build(int samples, int slices)
{
	struct hwt_mapping map = {
		.start = 0x555555554000,
		.end = 0x555555559000,
		.pgoff = 0,
	};
	struct hwt_track tr = { .pid = 100, .cumulative = 1 };
	int64_t mid, tid;
	size_t i, j;

	memset(&fx, 0, sizeof(fx));
	fx.m = hwt_model_alloc();
	ck_assert_ptr_nonnull(fx.m);
	if (samples) {
		ck_assert_int_eq(hwt_model_add_weight(fx.m, "samples", "count"), 0);
		ck_assert_int_eq(hwt_model_add_weight(fx.m, "cpu-time", "nanoseconds"), 1);
	}
	map.path = str("/usr/bin/app");
	map.build_id = str("0123456789abcdef0123456789abcdef01234567");
	mid = hwt_model_intern_mapping(fx.m, &map);
	ck_assert_int_gt(mid, 0);
	fx.f_main = frame("main", (uint32_t)mid, 0x1100, HWT_FRAME_USER);
	fx.f_work = frame("work", (uint32_t)mid, 0x1200, HWT_FRAME_USER);
	fx.f_hot = frame("hot_loop", (uint32_t)mid, 0x1300, HWT_FRAME_USER);
	fx.f_op = frame("operator<", (uint32_t)mid, 0x1400, HWT_FRAME_USER);
	fx.f_sys = frame("do_syscall_64", HWT_NONE, 0xffffffff81000000ull, HWT_FRAME_KERNEL);
	fx.stack_a = stack(stack(stack(HWT_NONE, fx.f_main), fx.f_work), fx.f_hot);
	fx.stack_b = stack(stack(stack(HWT_NONE, fx.f_main), fx.f_op), fx.f_sys);
	tr.name = str("page-faults");
	tr.unit = str("count");
	tid = hwt_model_add_track(fx.m, &tr);
	ck_assert_int_gt(tid, 0);
	fx.track = (uint32_t)tid;
	hwt_model_set_meta(fx.m, "command", "app --fast");
	/* Recording started at 2024-01-01 00:00:00 UTC, at CLOCK_MONOTONIC 500 ns. */
	hwt_model_set_meta(fx.m, "start_realtime", "1704067200.000000000");
	hwt_model_set_meta(fx.m, "start_monotonic", "500");

	add(HWT_EV_PROCESS, 100, 100, 1000)->proc.name = str("app");
	add(HWT_EV_THREAD, 100, 100, 1001)->thread.name = str("app");
	add(HWT_EV_THREAD, 100, 101, 1002)->thread.name = str("app");
	add(HWT_EV_THREAD, 100, 101, 1003)->thread.name = str("worker"); /* renamed */
	add(HWT_EV_PROCESS, 200, 200, 1004)->proc.name = str("helper");
	fx.ev[fx.n - 1].proc.parent_pid = 100;
	add(HWT_EV_THREAD, 200, 200, 1005)->thread.name = str("helper");
	add(HWT_EV_COUNTER, 100, 100, 1500)->counter.track = fx.track;
	fx.ev[fx.n - 1].counter.value = 1;
	if (slices) {
		/* main [2000,10000] > work [3000,4000], work [5000,9000] > hot_loop [6000,8000] */
		slice(HWT_EV_SLICE_BEGIN, fx.f_main, 2000);
		slice(HWT_EV_SLICE_BEGIN, fx.f_work, 3000);
		slice(HWT_EV_SLICE_END, fx.f_work, 4000);
		slice(HWT_EV_SLICE_BEGIN, fx.f_work, 5000);
		slice(HWT_EV_SLICE_BEGIN, fx.f_hot, 6000);
		slice(HWT_EV_SLICE_END, fx.f_hot, 8000);
		slice(HWT_EV_SLICE_END, fx.f_work, 9000);
		slice(HWT_EV_SLICE_END, fx.f_main, 10000);
	}
	for (i = 0; samples && i < 100; i++) {
		/* 70 samples on stack A in thread 100, 30 on stack B in thread 101. */
		int a = i % 10 < 7;
		struct hwt_event *e = add(HWT_EV_SAMPLE, 100, a ? 100 : 101, 11000 + i * 100);

		e->sample.stack = a ? fx.stack_a : fx.stack_b;
		e->sample.weights = weights;
	}
	add(HWT_EV_INSTANT, 100, 100, 12050)->instant.name = str("checkpoint");
	struct hwt_value_writer w = { .buf = fx.args, .cap = sizeof(fx.args) };
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_int(&w, "iter", 3);
	hwt_vw_str(&w, "phase", "\"warm\"");
	hwt_vw_end(&w);
	ck_assert(!w.bad);
	fx.ev[fx.n - 1].instant.args = fx.args;
	fx.ev[fx.n - 1].instant.args_len = (uint32_t)w.len;
	add(HWT_EV_COUNTER, 100, 100, 13050)->counter.track = fx.track;
	fx.ev[fx.n - 1].counter.value = 5;
	add(HWT_EV_LOST, 100, 101, 15050)->lost.count = 17;
	add(HWT_EV_COUNTER, 100, 100, 20000)->counter.track = fx.track;
	fx.ev[fx.n - 1].counter.value = 12.5;
	add(HWT_EV_PROCESS_EXIT, 200, 200, 21000)->exit = (typeof(fx.ev[0].exit)){ -1, 11 };
	add(HWT_EV_THREAD_EXIT, 100, 101, 22000);
	add(HWT_EV_PROCESS_EXIT, 100, 100, 23000)->exit = (typeof(fx.ev[0].exit)){ 0, 0 };

	/* Timestamp order (stable): samples interleave with the rest. */
	for (i = 1; i < fx.n; i++) {
		struct hwt_event e = fx.ev[i];

		for (j = i; j > 0 && fx.ev[j - 1].ts > e.ts; j--)
			fx.ev[j] = fx.ev[j - 1];
		fx.ev[j] = e;
	}
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/hwt-exporters-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[512];

	hwt_model_free(fx.m);
	fx.m = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* Exports the fixture with @format and @view into @dir/@name; returns the hooks' first error. */
static int export(const char *format, const char *view, const char *name, char *path, size_t len)
{
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name(format);
	struct hwt_export_config cfg;
	struct hwt_exporter *e;
	char why[256] = "";
	int err = 0, rc = 0;
	size_t i;

	ck_assert_ptr_nonnull(ops);
	snprintf(path, len, "%s/%s", dir, name);
	hwt_export_config_init(&cfg);
	cfg.view = view;
	cfg.out = fopen(path, "w");
	ck_assert_ptr_nonnull(cfg.out);
	e = ops->create(&cfg, fx.m, &err, why, sizeof(why));
	ck_assert_msg(e != NULL, "%s: create failed: %d %s", format, err, why);
	for (i = 0; i < fx.n && !rc; i++)
		rc = ops->event(e, fx.m, &fx.ev[i]);
	if (!rc)
		rc = ops->finish(e, fx.m);
	ops->destroy(e);
	ck_assert_int_eq(fclose(cfg.out), 0);
	return rc;
}

/* Runs the shell command @cmd; returns its exit status and its stdout in *@out (malloc'd). */
static int run(const char *cmd, char **out)
{
	FILE *p = popen(cmd, "r");
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);
	int status;

	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(buf);
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			ck_assert_ptr_nonnull(buf);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		if (!n)
			break;
		len += n;
	}
	buf[len] = '\0';
	status = pclose(p);
	*out = buf;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs python3 on @script with @arg; returns its exit status, its output in *@out. */
static int python(const char *script, const char *arg, char **out)
{
	char path[512], cmd[1200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/check.py", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(script, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "python3 '%s' '%s' 2>&1", path, arg);
	return run(cmd, out);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* ---- registry ---------------------------------------------------------------------------- */

START_TEST(registry_by_name)
{
	static const char *const names[] = { "perfetto", "chrome", "folded", "pprof", "svg" };
	const struct hwt_exporter_ops *const *e;
	size_t i, n = 0;

	for (i = 0; i < 5; i++) {
		const struct hwt_exporter_ops *ops = hwt_exporter_by_name(names[i]);

		ck_assert_ptr_nonnull(ops);
		ck_assert_str_eq(ops->name, names[i]);
		ck_assert_uint_eq(ops->abi, HWT_EXPORTER_ABI);
		ck_assert_uint_eq(ops->size, sizeof(struct hwt_exporter_ops));
		ck_assert_ptr_nonnull(ops->exts);
		ck_assert_ptr_nonnull(ops->summary);
		ck_assert_ptr_nonnull(ops->create);
		ck_assert_ptr_nonnull(ops->event);
		ck_assert_ptr_nonnull(ops->finish);
		ck_assert_ptr_nonnull(ops->destroy);
	}
	for (e = hwt_exporters; *e; e++)
		n++;
	ck_assert_uint_eq(n, 5);
	ck_assert_ptr_null(hwt_exporter_by_name("text"));
	ck_assert_ptr_null(hwt_exporter_by_name(""));
	ck_assert_ptr_null(hwt_exporter_by_name(NULL));
}
END_TEST

static const struct {
	const char *path, *format;
} path_cases[] = {
	{ "out.pftrace", "perfetto" },
	{ "a/b.perfetto-trace", "perfetto" },
	{ "trace.json", "chrome" },
	{ "TRACE.JSON", "chrome" },
	{ "x.folded", "folded" },
	{ "profile.pb.gz", "pprof" },
	{ "cpu.pprof", "pprof" },
	{ "flame.svg", "svg" },
	{ "archive.gz", NULL },
	{ "notes.txt", NULL },
	{ "svg", NULL },
	{ ".json", NULL },
	{ "trace.json.bak", NULL },
	{ "", NULL },
};

START_TEST(registry_by_path)
{
	const struct hwt_exporter_ops *ops = hwt_exporter_by_path(path_cases[_i].path);

	if (!path_cases[_i].format) {
		ck_assert_msg(ops == NULL, "%s matched %s", path_cases[_i].path,
			      ops ? ops->name : "");
		return;
	}
	ck_assert_msg(ops != NULL, "%s matched nothing", path_cases[_i].path);
	ck_assert_str_eq(ops->name, path_cases[_i].format);
}
END_TEST

START_TEST(registry_bad_args)
{
	struct hwt_export_config cfg = { .out = stdout, .view = "x" };

	ck_assert_ptr_null(hwt_exporter_by_path(NULL));
	hwt_export_config_init(&cfg);
	ck_assert_ptr_null(cfg.out);
	ck_assert_ptr_null(cfg.view);
	hwt_export_config_init(NULL);
}
END_TEST

/* Every exporter refuses a missing output, model or event, and destroy takes NULL. */
START_TEST(exporter_bad_args)
{
	const struct hwt_exporter_ops *ops = hwt_exporters[_i];
	struct hwt_export_config cfg;
	struct hwt_exporter *e;
	char why[128] = "";
	int err = 0;
	FILE *f = tmpfile();

	ck_assert_ptr_nonnull(f);
	fixture_build(1, 1);
	hwt_export_config_init(&cfg);
	ck_assert_ptr_null(ops->create(&cfg, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_ptr_null(ops->create(NULL, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	cfg.out = f;
	ck_assert_ptr_null(ops->create(&cfg, NULL, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	e = ops->create(&cfg, fx.m, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(ops->event(e, fx.m, NULL), HWT_E_INVAL);
	ck_assert_int_eq(ops->event(NULL, fx.m, &fx.ev[0]), HWT_E_INVAL);
	ck_assert_int_eq(ops->finish(NULL, fx.m), HWT_E_INVAL);
	ck_assert_int_eq(ops->finish(e, NULL), HWT_E_INVAL);
	ops->destroy(e);
	ops->destroy(NULL);
	fclose(f);
}
END_TEST

/* The aggregating exporters reject a view that is neither a weight nor time/calls, and say
 * which views exist. */
START_TEST(exporter_unknown_view)
{
	static const char *const formats[] = { "folded", "pprof", "svg" };
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name(formats[_i]);
	struct hwt_export_config cfg;
	char why[256] = "";
	int err = 0;
	FILE *f = tmpfile();

	fixture_build(1, 1);
	hwt_export_config_init(&cfg);
	cfg.out = f;
	cfg.view = "bogus";
	ck_assert_ptr_null(ops->create(&cfg, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_msg(strstr(why, "bogus") && strstr(why, "samples") && strstr(why, "cpu-time") &&
			      strstr(why, "time") && strstr(why, "calls"),
		      "why: %s", why);
	cfg.view = "cpu-time";
	err = 1;
	ops->destroy(ops->create(&cfg, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, 0);
	fclose(f);
}
END_TEST

/* ---- folded ------------------------------------------------------------------------------ */

static const struct {
	const char *view;
	int samples, slices;
	const char *expect;
} folded_cases[] = {
	{ NULL, 1, 1, "app;main;work;hot_loop 70\nworker;main;operator<;do_syscall_64 30\n" },
	{ "samples", 1, 0, "app;main;work;hot_loop 70\nworker;main;operator<;do_syscall_64 30\n" },
	{ "cpu-time", 1, 1,
	  "app;main;work;hot_loop 70000\nworker;main;operator<;do_syscall_64 30000\n" },
	{ NULL, 0, 1, "worker;main 3000\nworker;main;work 3000\nworker;main;work;hot_loop 2000\n" },
	{ "time", 1, 1,
	  "worker;main 3000\nworker;main;work 3000\nworker;main;work;hot_loop 2000\n" },
	{ "calls", 0, 1, "worker;main 1\nworker;main;work 2\nworker;main;work;hot_loop 1\n" },
};

START_TEST(folded_lines)
{
	char path[512], *out;

	fixture_build(folded_cases[_i].samples, folded_cases[_i].slices);
	ck_assert_int_eq(export("folded", folded_cases[_i].view, "out.folded", path, sizeof(path)),
			 0);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "cat '%s'", path);
		ck_assert_int_eq(run(cmd, &out), 0);
	}
	ck_assert_str_eq(out, folded_cases[_i].expect);
	free(out);
}
END_TEST

/* A stray end is ignored; slices still open at the end are closed at the thread's last event. */
START_TEST(folded_unbalanced)
{
	static const char *const views[] = { "time", "calls" };
	static const char *const expect[] = { "t;main 10\n", "t;main 1\nt;main;work 1\n" };
	char path[512], cmd[600], *out;

	fixture_build(0, 0);
	fx.n = 0;
	add(HWT_EV_THREAD, 1, 1, 1)->thread.name = str("t");
	slice_node_set(fx.m, &fx.cur, add(HWT_EV_SLICE_END, 1, 1, 5), fx.f_hot);
	slice_node_set(fx.m, &fx.cur, add(HWT_EV_SLICE_BEGIN, 1, 1, 10), fx.f_main);
	slice_node_set(fx.m, &fx.cur, add(HWT_EV_SLICE_BEGIN, 1, 1, 20), fx.f_work);
	ck_assert_int_eq(export("folded", views[_i], "open.folded", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "cat '%s'", path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_str_eq(out, expect[_i]);
	free(out);
}
END_TEST

/* ---- perfetto ---------------------------------------------------------------------------- */

START_TEST(perfetto_decode_raw)
{
	char path[512], cmd[700], *out;

	fixture_build(1, 1);
	ck_assert_int_eq(export("perfetto", NULL, "out.pftrace", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < '%s'", path);
	ck_assert_int_eq(run(cmd, &out), 0);
	/* Process and thread descriptors, the rename, the names. */
	ck_assert_ptr_nonnull(strstr(out, "\"app\""));
	ck_assert_ptr_nonnull(strstr(out, "\"worker\""));
	ck_assert_ptr_nonnull(strstr(out, "\"helper\""));
	ck_assert_ptr_nonnull(strstr(out, "1: 100\n"));
	ck_assert_ptr_nonnull(strstr(out, "2: 101\n"));
	ck_assert_ptr_nonnull(strstr(out, "1: 200\n"));
	/* Thread 101 described twice: first seen as "app", then renamed "worker". */
	ck_assert_uint_eq(count(out, "2: 101\n      5: \""), 2);
	/* One sequence; incremental state cleared once, needed everywhere else. */
	ck_assert_uint_eq(count(out, "13: 1\n"), 1);
	ck_assert_uint_gt(count(out, "13: 2\n"), 100);
	/* 100 perf samples, but only two callstacks interned. */
	ck_assert_uint_eq(count(out, "66 {"), 100);
	ck_assert_uint_eq(count(out, "  7 {"), 2);
	/* Slices: 4 begins, 4 ends; instants: checkpoint, lost, crash, exit; 3 counter values. */
	ck_assert_uint_eq(count(out, "  9: 1\n"), 4);
	ck_assert_uint_eq(count(out, "  9: 2\n"), 4);
	ck_assert_uint_eq(count(out, "  9: 3\n"), 4);
	ck_assert_uint_eq(count(out, "  9: 4\n"), 3);
	ck_assert_ptr_nonnull(strstr(out, "\"checkpoint\""));
	ck_assert_ptr_nonnull(strstr(out, "\"phase\""));
	ck_assert_ptr_nonnull(strstr(out, "\"lost 17 records\""));
	ck_assert_ptr_nonnull(strstr(out, "\"crash: SIGSEGV\""));
	ck_assert_ptr_nonnull(strstr(out, "\"exit 0\""));
	ck_assert_ptr_nonnull(strstr(out, "\"page-faults\""));
	ck_assert_ptr_nonnull(strstr(out, "44: 0x4029000000000000")); /* 12.5 as a double */
	/* Interned names of frames and functions, the mapping path and build id. */
	ck_assert_ptr_nonnull(strstr(out, "\"hot_loop\""));
	ck_assert_ptr_nonnull(strstr(out, "\"do_syscall_64\""));
	ck_assert_ptr_nonnull(strstr(out, "\"usr/bin/app\""));
	ck_assert_ptr_nonnull(strstr(out, "\\001#Eg\\211\\253\\315\\357"));
	free(out);
}
END_TEST

START_TEST(perfetto_empty)
{
	char path[512], cmd[700], *out;

	fixture_build(0, 0);
	fx.n = 0;
	ck_assert_int_eq(export("perfetto", NULL, "empty.pftrace", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < '%s'", path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "6 {")); /* the clock snapshot */
	free(out);
}
END_TEST

/* ---- pprof ------------------------------------------------------------------------------- */

/* The flat value pprof -top shows for function @name, or -1. */
static long long top_flat(const char *top, const char *name)
{
	const char *line = top;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line), nlen = strlen(name);

		if (len > nlen && !memcmp(line + len - nlen, name, nlen) &&
		    line[len - nlen - 1] == ' ')
			return strtoll(line, NULL, 10);
		line = end ? end + 1 : NULL;
	}
	return -1;
}

/* Non-zero if pprof -raw output @raw has a sample with values @a and @b. */
static int raw_has(const char *raw, long long a, long long b)
{
	const char *line = raw;

	while (line && *line) {
		long long x, y;
		char colon;

		if (sscanf(line, "%lld %lld%c", &x, &y, &colon) == 3 && colon == ':' && x == a &&
		    y == b)
			return 1;
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return 0;
}

static const char go_env[] = "HOME=${HOME:-/tmp} GOCACHE=${GOCACHE:-/tmp/hwt-go-cache} ";

START_TEST(pprof_samples)
{
	char path[512], cmd[900], *out;

	fixture_build(1, 1);
	ck_assert_int_eq(export("pprof", "cpu-time", "out.pb.gz", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -top -sample_index=samples '%s' 2>&1", go_env,
		 path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_msg(top_flat(out, "hot_loop") == 70, "%s", out);
	ck_assert_msg(top_flat(out, "do_syscall_64") == 30, "%s", out);
	ck_assert_msg(top_flat(out, "main") == 0, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "100 total"));
	free(out);

	snprintf(cmd, sizeof(cmd), "%s go tool pprof -raw '%s' 2>&1", go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "samples/count"));
	ck_assert_ptr_nonnull(strstr(out, "cpu-time/nanoseconds[dflt]"));
	ck_assert_ptr_nonnull(strstr(out, "Comment: app --fast"));
	ck_assert_msg(strstr(out, "Time: 2024-01-01 00:00:00.0000") != NULL, "%s", out);
	ck_assert_msg(raw_has(out, 70, 70000), "%s", out);
	ck_assert_msg(raw_has(out, 30, 30000), "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "/usr/bin/app"));
	ck_assert_ptr_nonnull(strstr(out, "0123456789abcdef0123456789abcdef01234567"));
	ck_assert_ptr_nonnull(strstr(out, "thread:[app]"));
	ck_assert_ptr_nonnull(strstr(out, "thread:[worker]"));
	free(out);
}
END_TEST

START_TEST(pprof_slices)
{
	char path[512], cmd[900], *out;

	fixture_build(0, 1);
	ck_assert_int_eq(export("pprof", NULL, "slices.pprof", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -top -sample_index=calls '%s' 2>&1", go_env,
		 path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_msg(top_flat(out, "work") == 2, "%s", out);
	ck_assert_msg(top_flat(out, "hot_loop") == 1, "%s", out);
	ck_assert_msg(top_flat(out, "main") == 1, "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -raw '%s' 2>&1", go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_ptr_nonnull(strstr(out, "calls/count"));
	ck_assert_ptr_nonnull(strstr(out, "time/nanoseconds[dflt]"));
	/* Self times: main 3000, main;work 3000 (1000 + 2000), hot_loop 2000. */
	ck_assert_msg(raw_has(out, 1, 3000), "%s", out);
	ck_assert_msg(raw_has(out, 2, 3000), "%s", out);
	ck_assert_msg(raw_has(out, 1, 2000), "%s", out);
	free(out);
}
END_TEST

/* ---- chrome ------------------------------------------------------------------------------ */

static const char chrome_check[] =
	"import json, sys\n"
	"d = json.load(open(sys.argv[1]))\n"
	"ev = d['traceEvents']\n"
	"assert d['displayTimeUnit'] == 'ns'\n"
	"assert d['otherData']['command'] == 'app --fast'\n"
	"stacks = {}\n"
	"for e in ev:\n"
	"    k = (e['pid'], e['tid'])\n"
	"    if e['ph'] == 'B':\n"
	"        stacks.setdefault(k, []).append(e['name'])\n"
	"    elif e['ph'] == 'E':\n"
	"        assert stacks[k].pop() == e['name'], e\n"
	"assert all(not s for s in stacks.values()), stacks\n"
	"names = [e['name'] for e in ev if e['ph'] in 'BX']\n"
	"assert sorted(names) == ['hot_loop', 'main', 'work', 'work'], names\n"
	"x = [e for e in ev if e['ph'] == 'X']\n"
	"assert all(e['dur'] > 0 for e in x), x\n"
	"hot = [e for e in ev if e['name'] == 'hot_loop'][0]\n"
	"assert hot['ph'] == 'X' and hot['ts'] == 6.0 and hot['dur'] == 2.0, hot\n"
	"meta = {(e['name'], e['pid'], e['tid']): e['args']['name'] for e in ev if e['ph'] == "
	"'M'}\n"
	"assert meta[('process_name', 100, 100)] == 'app', meta\n"
	"assert meta[('process_name', 200, 200)] == 'helper', meta\n"
	"assert meta[('thread_name', 100, 101)] == 'worker', meta\n"
	"p = [e for e in ev if e['ph'] == 'P']\n"
	"assert len(p) == 100\n"
	"sf = d['stackFrames']\n"
	"def path(i):\n"
	"    out = []\n"
	"    while i is not None:\n"
	"        out.append(sf[str(i)]['name']); i = sf[str(i)].get('parent')\n"
	"    return ';'.join(reversed(out))\n"
	"paths = {}\n"
	"for e in p:\n"
	"    paths[path(e['sf'])] = paths.get(path(e['sf']), 0) + 1\n"
	"assert paths == {'main;work;hot_loop': 70, 'main;operator<;do_syscall_64': 30}, paths\n"
	"assert [e['args']['value'] for e in ev if e['ph'] == 'C'] == [1, 5, 12.5]\n"
	"i = {e['name']: e for e in ev if e['ph'] == 'i'}\n"
	"assert i['checkpoint']['args'] == {'iter': 3, 'phase': '\"warm\"'}, i\n"
	"assert i['checkpoint']['s'] == 't'\n"
	"assert 'lost 17 records' in i and 'crash: SIGSEGV' in i and 'exit 0' in i, i\n"
	"assert i['crash: SIGSEGV']['pid'] == 200\n"
	"print('ok')\n";

START_TEST(chrome_json)
{
	char path[512], *out;

	fixture_build(1, 1);
	ck_assert_int_eq(export("chrome", NULL, "out.json", path, sizeof(path)), 0);
	ck_assert_msg(python(chrome_check, path, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "ok\n");
	free(out);
}
END_TEST

/* Names with quotes, control characters and invalid UTF-8 still make valid JSON. */
START_TEST(chrome_escaping)
{
	static const char check[] =
		"import json, sys\n"
		"d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
		"n = [e['args']['name'] for e in d['traceEvents'] if e['ph'] == 'M']\n"
		"print(n[0])\n";
	char path[512], *out;

	fixture_build(0, 0);
	fx.n = 0;
	add(HWT_EV_PROCESS, 1, 1, 1)->proc.name = str("a\"b\\c\n\x01\xff\xc3\xa9");
	ck_assert_int_eq(export("chrome", NULL, "esc.json", path, sizeof(path)), 0);
	ck_assert_msg(python(check, path, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "a\"b\\c\n\x01\xef\xbf\xbd\xc3\xa9\n");
	free(out);
}
END_TEST

/* ---- svg --------------------------------------------------------------------------------- */

static const char svg_check[] =
	"import sys, xml.etree.ElementTree as ET\n"
	"ns = '{http://www.w3.org/2000/svg}'\n"
	"root = ET.parse(sys.argv[1]).getroot()\n"
	"assert root.tag == ns + 'svg'\n"
	"assert root.find(ns + 'script') is not None\n"
	"titles = [g.find(ns + 'title').text for g in root.iter(ns + 'g')]\n"
	"def find(name):\n"
	"    return [t for t in titles if t.startswith(name + ' (')]\n"
	"assert find('all') == ['all (100 count, 100.00%)'], titles\n"
	"assert find('hot_loop') == ['hot_loop (70 count, 70.00%)'], titles\n"
	"assert find('operator<') == ['operator< (30 count, 30.00%)'], titles\n"
	"assert find('do_syscall_64') == ['do_syscall_64 (30 count, 30.00%)'], titles\n"
	"assert find('main') == ['main (70 count, 70.00%)', 'main (30 count, 30.00%)'] or \\\n"
	"       find('main') == ['main (30 count, 30.00%)', 'main (70 count, 70.00%)'], titles\n"
	"assert find('app') and find('worker'), titles\n"
	"assert len(titles) == 9, titles\n"
	"print('ok')\n";

START_TEST(svg_flamegraph)
{
	char path[512], *out;

	fixture_build(1, 1);
	ck_assert_int_eq(export("svg", NULL, "out.svg", path, sizeof(path)), 0);
	ck_assert_msg(python(svg_check, path, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "ok\n");
	free(out);
}
END_TEST

static Suite *exporters_suite(void)
{
	Suite *s = suite_create("exporters");
	TCase *reg = tcase_create("registry"), *fmt = tcase_create("formats");

	tcase_add_test(reg, registry_by_name);
	tcase_add_loop_test(reg, registry_by_path, 0, sizeof(path_cases) / sizeof(path_cases[0]));
	tcase_add_test(reg, registry_bad_args);
	suite_add_tcase(s, reg);

	tcase_add_checked_fixture(fmt, setup, teardown);
	tcase_set_timeout(fmt, 120);
	tcase_add_loop_test(fmt, exporter_bad_args, 0, 5);
	tcase_add_loop_test(fmt, exporter_unknown_view, 0, 3);
	tcase_add_loop_test(fmt, folded_lines, 0, sizeof(folded_cases) / sizeof(folded_cases[0]));
	tcase_add_loop_test(fmt, folded_unbalanced, 0, 2);
	tcase_add_test(fmt, perfetto_decode_raw);
	tcase_add_test(fmt, perfetto_empty);
	tcase_add_test(fmt, pprof_samples);
	tcase_add_test(fmt, pprof_slices);
	tcase_add_test(fmt, chrome_json);
	tcase_add_test(fmt, chrome_escaping);
	tcase_add_test(fmt, svg_flamegraph);
	suite_add_tcase(s, fmt);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exporters_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

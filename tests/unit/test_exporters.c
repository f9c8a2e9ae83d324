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
#include "exporters/trackstats.h"
#include "exporters/value_walk.h"
#include "core/format/value.h"
#include "core/model.h"
#include "slice_nodes.h"

/* A synthetic recording: two processes, renamed threads, nested slices, samples whose stacks
 * include a kernel frame and a mapping with a build id, a counter, an instant, lost records,
 * a crash. With fx_custom (and slices) also what plugins add: arguments of slices, instants of
 * a process and of the machine with nested arguments, an object with two snapshots, a thread's
 * and a global counter, a flow between two threads. */
struct fixture {
	struct hwt_model *m;
	struct hwt_event ev[256];
	struct slice_cursors cur;
	size_t n;
	uint32_t f_main, f_work, f_hot, f_op, f_sys;
	uint32_t stack_a, stack_b, track;
	uint32_t heap, rss, load; /* object, thread counter and global counter tracks */
	uint8_t trees[16][256];	  /* value trees the events point to */
	uint32_t ntrees;
};

static int fx_custom;

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

/* A writer into the fixture's next tree buffer. */
static struct hwt_value_writer tree_new(void)
{
	ck_assert_uint_lt(fx.ntrees, sizeof(fx.trees) / sizeof(fx.trees[0]));
	return (struct hwt_value_writer){ .buf = fx.trees[fx.ntrees++],
					  .cap = sizeof(fx.trees[0]) };
}

static const uint8_t *tree_done(const struct hwt_value_writer *w, uint32_t *len)
{
	ck_assert(!w->bad);
	ck_assert_uint_eq(w->depth, 0);
	*len = (uint32_t)w->len;
	return w->buf;
}

/* A slice arguments event on thread 101 with the one entry @key = the int @v (or the string
 * @sv when not NULL; the boolean true when @v is -1). */
static void slice_args(uint64_t ts, const char *key, int64_t v, const char *sv, const char *key2,
		       const char *sv2)
{
	struct hwt_value_writer w = tree_new();
	struct hwt_event *e = add(HWT_EV_SLICE_ARGS, 100, 101, ts);

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	if (sv)
		hwt_vw_str(&w, key, sv);
	else if (v == -1)
		hwt_vw_bool(&w, key, 1);
	else
		hwt_vw_int(&w, key, v);
	if (key2)
		hwt_vw_str(&w, key2, sv2);
	hwt_vw_end(&w);
	e->args.args = tree_done(&w, &e->args.len);
}

static uint32_t track_add(const char *name, const char *unit, uint32_t pid, uint32_t tid,
			  int cumulative, uint32_t kind)
{
	struct hwt_track t = { .name = str(name),
			       .unit = unit ? str(unit) : HWT_NONE,
			       .pid = pid,
			       .tid = tid,
			       .cumulative = cumulative,
			       .kind = kind };
	int64_t id = hwt_model_add_track(fx.m, &t);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static void counter_add(uint32_t track, uint32_t pid, uint32_t tid, uint64_t ts, double v)
{
	struct hwt_event *e = add(HWT_EV_COUNTER, pid, tid, ts);

	e->counter.track = track;
	e->counter.value = v;
}

static void heap_snapshot(uint64_t ts, int64_t used, int blocks)
{
	struct hwt_value_writer w = tree_new();
	struct hwt_event *e = add(HWT_EV_OBJECT, 100, 0, ts);

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_int(&w, "used", used);
	hwt_vw_begin(&w, "blocks", HWT_VAL_LIST);
	for (int i = 1; i <= blocks; i++)
		hwt_vw_int(&w, NULL, i);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	e->object.track = fx.heap;
	e->object.value = tree_done(&w, &e->object.len);
}

static void flow_add(uint32_t pid, uint32_t tid, uint64_t ts, uint32_t phase, uint64_t id,
		     const char *name)
{
	struct hwt_event *e = add(HWT_EV_FLOW, pid, tid, ts);

	e->flow.id = id;
	e->flow.phase = phase;
	e->flow.name = str(name);
}

/* The events plugins add (see struct fixture); thread 101's slices must be there. */
static void fixture_custom(void)
{
	struct hwt_value_writer w;
	struct hwt_event *e;

	fx.heap = track_add("heap", NULL, 100, 0, 0, HWT_TRACK_OBJECT);
	fx.rss = track_add("rss", "bytes", 100, 101, 0, HWT_TRACK_COUNTER);
	fx.load = track_add("load", "percent", 0, 0, 0, HWT_TRACK_COUNTER);
	/* main's two while its begin is held back, hot_loop's likewise, the second work's and
	 * main's after their begins were written. */
	slice_args(2500, "argc", 2, NULL, NULL, NULL);
	slice_args(2600, "argv0", 0, "app", NULL, NULL);
	slice_args(6500, "i", 1, NULL, NULL, NULL);
	slice_args(8500, "result", 0, "ok", "unit", "ms");
	slice_args(9500, "late", -1, NULL, NULL, NULL);

	w = tree_new();
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_int(&w, "n", -7);
	hwt_vw_begin(&w, "nested", HWT_VAL_MAP);
	hwt_vw_begin(&w, "list", HWT_VAL_LIST);
	hwt_vw_int(&w, NULL, 1);
	hwt_vw_double(&w, NULL, 2.5);
	hwt_vw_str(&w, NULL, "x\"y");
	hwt_vw_bool(&w, NULL, 1);
	hwt_vw_null(&w, NULL);
	hwt_vw_end(&w);
	hwt_vw_begin(&w, "void", HWT_VAL_MAP);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	hwt_vw_bool(&w, "flag", 0);
	hwt_vw_end(&w);
	e = add(HWT_EV_INSTANT, 100, 0, 12100);
	e->instant.name = str("proc-mark");
	e->instant.args = tree_done(&w, &e->instant.args_len);
	add(HWT_EV_INSTANT, 0, 0, 12200)->instant.name = str("global-mark");

	heap_snapshot(13100, 10, 2);
	heap_snapshot(14100, 20, 0);
	counter_add(fx.rss, 100, 101, 13200, 4096);
	counter_add(fx.rss, 100, 101, 14200, 8192);
	counter_add(fx.load, 0, 0, 13300, 0.5);
	flow_add(100, 101, 7000, HWT_FLOW_OUT, 0x1234, "wakes");
	flow_add(100, 101, 8600, HWT_FLOW_STEP, 0x1234, "wakes");
	flow_add(100, 100, 12300, HWT_FLOW_IN, 0x1234, "wakes");
	/* Process to process (tid 0). */
	flow_add(100, 0, 12400, HWT_FLOW_OUT, 0x99, "spawned");
	flow_add(200, 0, 12500, HWT_FLOW_IN, 0x99, "spawned");
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
	/* The exporters are tested on paths as given: redaction has tests of its own. */
	ck_assert_int_eq(hwt_model_set_redaction(fx.m, 0, NULL), 0);
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
	{
		struct hwt_value_writer w = tree_new();
		struct hwt_event *e = add(HWT_EV_INSTANT, 100, 100, 12050);

		hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
		hwt_vw_int(&w, "iter", 3);
		hwt_vw_str(&w, "phase", "warm");
		hwt_vw_end(&w);
		e->instant.name = str("checkpoint");
		e->instant.args = tree_done(&w, &e->instant.args_len);
	}
	if (fx_custom && slices)
		fixture_custom();
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
	fx_custom = 0;
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

/* The aggregating exporters reject a view that is neither a weight, time/calls nor a counter:
 * at the end (counters appear as a recording is decoded), through the create hook's @why,
 * which lists the views there are; an empty view at once. */
START_TEST(exporter_unknown_view)
{
	static const char *const formats[] = { "folded", "pprof", "svg" };
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name(formats[_i]);
	struct hwt_export_config cfg;
	struct hwt_exporter *e;
	char why[256] = "";
	int err = 0;
	FILE *f = tmpfile();

	fixture_build(1, 1);
	hwt_export_config_init(&cfg);
	cfg.out = f;
	cfg.view = "";
	ck_assert_ptr_null(ops->create(&cfg, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_str_eq(why, "unknown view ''; valid views: samples cpu-time time calls "
			      "page-faults");
	cfg.view = "bogus";
	why[0] = 0;
	e = ops->create(&cfg, fx.m, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(e);
	for (size_t i = 0; i < fx.n; i++)
		ck_assert_int_eq(ops->event(e, fx.m, &fx.ev[i]), 0);
	ck_assert_int_eq(ops->finish(e, fx.m), HWT_E_INVAL);
	ck_assert_str_eq(why, "unknown view 'bogus'; valid views: samples cpu-time time calls "
			      "page-faults");
	ops->destroy(e);
	cfg.view = "cpu-time";
	err = 1;
	ops->destroy(ops->create(&cfg, fx.m, &err, why, sizeof(why)));
	ck_assert_int_eq(err, 0);
	fclose(f);
}
END_TEST

/* Arguments that are not a map stand as the one argument "value"; malformed ones fail the
 * event with HWT_E_CORRUPT (Chrome and Perfetto), and Chrome has not written half of them. */
START_TEST(exporter_args_not_a_map)
{
	static const char check[] = "import json, sys\n"
				    "ev = json.load(open(sys.argv[1]))['traceEvents']\n"
				    "print([e['args'] for e in ev if e['ph'] == 'i'])\n";
	static const uint8_t scalar[] = { HWT_VAL_INT, 5, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t list[] = { HWT_VAL_LIST, 1, 0, 0, 0, HWT_VAL_TRUE };
	static const uint8_t corrupt[] = { HWT_VAL_MAP, 1, 0, 0, 0, 1, 0, 0, 0, 'k', 99 };
	static const char *const formats[] = { "chrome", "perfetto" };
	char path[512], *out;
	struct hwt_event *e;

	fixture_build(0, 0);
	fx.n = 0;
	e = add(HWT_EV_INSTANT, 1, 1, 10);
	e->instant.args = scalar;
	e->instant.args_len = sizeof(scalar);
	e = add(HWT_EV_INSTANT, 1, 1, 20);
	e->instant.args = list;
	e->instant.args_len = sizeof(list);
	ck_assert_int_eq(export("chrome", NULL, "odd.json", path, sizeof(path)), 0);
	ck_assert_int_eq(python(check, path, &out), 0);
	ck_assert_str_eq(out, "[{'value': 5}, {'value': [True]}]\n");
	free(out);
	for (int i = 0; i < 2; i++) {
		fx.n = 0;
		e = add(HWT_EV_INSTANT, 1, 1, 10);
		e->instant.args = corrupt;
		e->instant.args_len = sizeof(corrupt);
		ck_assert_int_eq(export(formats[i], NULL, "bad.out", path, sizeof(path)),
				 HWT_E_CORRUPT);
	}
	{
		/* Nothing of the bad instant in the Chrome file: it stops before the event. */
		char cmd[600];

		fx.n = 0;
		e = add(HWT_EV_INSTANT, 1, 1, 10);
		e->instant.args = corrupt;
		e->instant.args_len = sizeof(corrupt);
		ck_assert_int_eq(export("chrome", NULL, "bad.json", path, sizeof(path)),
				 HWT_E_CORRUPT);
		snprintf(cmd, sizeof(cmd), "cat '%s'", path);
		ck_assert_int_eq(run(cmd, &out), 0);
		ck_assert_ptr_null(strstr(out, "\"ph\":\"i\""));
		free(out);
	}
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
	/* The process's cumulative page-faults (1, 5, 12.5): +4 and +8 (12.5 rounds to 13), both
	 * at thread 100's latest sample, or its bare thread without samples. */
	{ "page-faults", 1, 1, "app;main;work;hot_loop 12\n" },
	{ "page-faults", 0, 1, "app 12\n" },
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
	/* Sequences: the main one and one per thread with events (100/100, 100/101, 200/201),
	 * each cleared once, by its first packet, on its own incremental clock (64); interned data
	 * needed on many packets (the samples' callstacks, the names of slices). */
	ck_assert_uint_eq(count(out, "13: 1\n"), 4);
	ck_assert_uint_eq(count(out, "87: 1\n"), 4);
	ck_assert_uint_eq(count(out, "      1: 64\n      2: "), 4);
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

/* protoc --decode_raw text as nested lists of (field, value), values ints, bytes or lists; a
 * fixed64 (0x...) is an int, a double is read from it where one is expected. */
static const char raw_parser[] =
	"import re, struct, sys, codecs\n"
	"def load(path):\n"
	"    root = []; stack = [root]\n"
	"    for line in open(path, encoding='latin-1'):\n"
	"        line = line.strip()\n"
	"        if not line: continue\n"
	"        if line == '}': stack.pop(); continue\n"
	"        m = re.match(r'^(\\d+) \\{$', line)\n"
	"        if m:\n"
	"            msg = []; stack[-1].append((int(m.group(1)), msg)); stack.append(msg); "
	"continue\n"
	"        f, v = re.match(r'^(\\d+): (.*)$', line).groups()\n"
	"        if v.startswith('\"'): v = codecs.escape_decode(v[1:-1].encode('latin-1'))[0]\n"
	"        elif v.startswith('0x'): v = int(v, 16)\n"
	"        else: v = int(v)\n"
	"        stack[-1].append((int(f), v))\n"
	"    return root\n"
	"def fs(msg, n): return [v for f, v in msg if f == n]\n"
	"def f1(msg, n, d=None):\n"
	"    v = fs(msg, n); return v[0] if v else d\n"
	"def dbl(u): return struct.unpack('<d', struct.pack('<Q', u))[0]\n"
	"def s64(u): return u - (1 << 64) if u >= 1 << 63 else u\n"
	"def ann(a):\n"
	"    \"\"\"A DebugAnnotation as a Python value.\"\"\"\n"
	"    if f1(a, 2) is not None: return bool(f1(a, 2))\n"
	"    if f1(a, 4) is not None: return s64(f1(a, 4))\n"
	"    if f1(a, 5) is not None: return dbl(f1(a, 5))\n"
	"    if f1(a, 6) is not None: return f1(a, 6).decode()\n"
	"    if fs(a, 11): return {f1(e, 10).decode(): ann(e) for e in fs(a, 11)}\n"
	"    if fs(a, 12): return [ann(e) if isinstance(e, list) else None for e in fs(a, 12)]\n"
	"    return None\n"
	"def anns(te): return {f1(a, 10).decode(): ann(a) for a in fs(te, 4)}\n"
	"def named(msg, keys):\n"
	"    \"\"\"Annotations named by iid (1) named by their interned name (10) instead.\"\"\"\n"
	"    for i, (f, v) in enumerate(msg):\n"
	"        if f == 1 and not isinstance(v, list): msg[i] = (10, keys[v])\n"
	"        elif f in (4, 11, 12) and isinstance(v, list): named(v, keys)\n"
	"def fresh(): return dict(n={}, k={}, track=None, clock=None, last=0)\n"
	"seqs, tracks, events = {}, {}, []\n"
	"for p in fs(load(sys.argv[1]), 1):\n"
	"    q = f1(p, 10, 0)\n"
	"    if f1(p, 13, 0) & 1: seqs[q] = fresh()\n"
	"    s = seqs.setdefault(q, fresh())\n"
	"    for d in fs(p, 59):\n"
	"        s['clock'] = f1(d, 58)\n"
	"        for ted in fs(d, 11): s['track'] = f1(ted, 11)\n"
	"    for c in fs(p, 6):\n"
	"        for k in fs(c, 1):\n"
	"            if f1(k, 1) == 64: s['last'] = f1(k, 2)\n"
	"    for i in fs(p, 12):\n"
	"        for n in fs(i, 2): s['n'][f1(n, 1)] = f1(n, 2).decode()\n"
	"        for n in fs(i, 3): s['k'][f1(n, 1)] = f1(n, 2)\n"
	"    ts = f1(p, 8)\n"
	"    if ts is not None and f1(p, 58) is None and s['clock'] == 64:\n"
	"        s['last'] += ts; ts = s['last']\n"
	"    for td in fs(p, 60): tracks[f1(td, 1)] = td\n"
	"    for te in fs(p, 11):\n"
	"        named(te, s['k'])\n"
	"        n = s['n'].get(f1(te, 10)) or (f1(te, 23) or b'').decode()\n"
	"        events.append((ts, f1(te, 9), n, f1(te, 11, s['track']), te))\n";

static const char perfetto_custom_check[] =
	"def track_named(name):\n"
	"    t = [u for u, td in tracks.items() if (f1(td, 2) or b'').decode() == name]\n"
	"    assert len(t) == 1, (name, t); return t[0]\n"
	"def thread(pid, tid):\n"
	"    return [u for u, td in tracks.items() if fs(td, 4) and f1(fs(td, 4)[0], 1) == pid\n"
	"            and f1(fs(td, 4)[0], 2) == tid][0]\n"
	"def process(pid):\n"
	"    return [u for u, td in tracks.items() if fs(td, 3) and f1(fs(td, 3)[0], 1) == "
	"pid][0]\n"
	"inst = {n: (ts, tr, te) for ts, ty, n, tr, te in events if ty == 3}\n"
	"ts, tr, te = inst['checkpoint']\n"
	"assert tr == thread(100, 100) and anns(te) == {'iter': 3, 'phase': 'warm'}, anns(te)\n"
	"ts, tr, te = inst['proc-mark']\n"
	"assert tr == process(100), tr\n"
	"a = anns(te)\n"
	"assert a == {'n': -7, 'nested': {'list': [1, 2.5, 'x\"y', True, None], 'void': None},\n"
	"             'flag': False}, a\n"
	"assert [f1(x, 10) for x in fs(te, 4)] == [b'n', b'nested', b'flag']\n"
	"ts, tr, te = inst['global-mark']\n"
	"g = tracks[tr]\n"
	"assert f1(g, 2) == b'global' and not fs(g, 3) and not fs(g, 4) and not fs(g, 5), g\n"
	"heap = track_named('heap')\n"
	"assert f1(tracks[heap], 5) == process(100) and not fs(tracks[heap], 8)\n"
	"snaps = [(ts, anns(te)) for ts, ty, n, tr, te in events if tr == heap]\n"
	"assert snaps == [(13100, {'used': 10, 'blocks': [1, 2]}), (14100, {'used': 20,\n"
	"                 'blocks': None})], snaps\n"
	"assert all(n == 'heap' and ty == 3 for ts, ty, n, tr, te in events if tr == heap)\n"
	"rss, load, pf = track_named('rss'), track_named('load'), track_named('page-faults')\n"
	"assert f1(tracks[rss], 5) == thread(100, 101), tracks[rss]\n"
	"assert f1(fs(tracks[rss], 8)[0], 3) == 3  # UNIT_SIZE_BYTES\n"
	"assert f1(tracks[load], 5) is None, tracks[load]\n"
	"assert f1(fs(tracks[load], 8)[0], 6) == b'percent', tracks[load]\n"
	"assert f1(tracks[pf], 5) == process(100) and f1(fs(tracks[pf], 8)[0], 3) == 2\n"
	"def values(u):\n"
	"    return [(ts, f1(te, 30) if f1(te, 30) is not None else dbl(f1(te, 44)))\n"
	"            for ts, ty, n, tr, te in events if tr == u and ty == 4]\n"
	"assert values(rss) == [(13200, 4096), (14200, 8192)], values(rss)\n"
	"assert values(load) == [(13300, 0.5)], values(load)\n"
	"ends = [(ts, anns(te)) for ts, ty, n, tr, te in events if ty == 2 and\n"
	"        tr == thread(100, 101)]\n"
	"assert ends == [(4000, {}), (8000, {'i': 1}), (9000, {'result': 'ok', 'unit': 'ms'}),\n"
	"                (10000, {'argc': 2, 'argv0': 'app', 'late': True})], ends\n"
	"fl = [(ts, tr, n, fs(te, 47), fs(te, 48)) for ts, ty, n, tr, te in events\n"
	"      if fs(te, 47) or fs(te, 48)]\n"
	"assert fl == [(7000, thread(100, 101), 'wakes', [0x1234], []),\n"
	"              (8600, thread(100, 101), 'wakes', [0x1234], []),\n"
	"              (12300, thread(100, 100), 'wakes', [], [0x1234]),\n"
	"              (12400, process(100), 'spawned', [0x99], []),\n"
	"              (12500, process(200), 'spawned', [], [0x99])], fl\n"
	"print('ok')\n";

START_TEST(perfetto_custom)
{
	char path[512], cmd[1200], raw[600],
		script[sizeof(raw_parser) + sizeof(perfetto_custom_check)];
	char *out;

	fx_custom = 1;
	fixture_build(1, 1);
	ck_assert_int_eq(export("perfetto", NULL, "custom.pftrace", path, sizeof(path)), 0);
	snprintf(raw, sizeof(raw), "%s/custom.txt", dir);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < '%s' > '%s'", path, raw);
	ck_assert_int_eq(run(cmd, &out), 0);
	free(out);
	snprintf(script, sizeof(script), "%s%s", raw_parser, perfetto_custom_check);
	ck_assert_msg(python(script, raw, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "ok\n");
	free(out);
}
END_TEST

/* An event older than its sequence's latest packet: written with an absolute CLOCK_MONOTONIC
 * time, which leaves the sequence's incremental clock where it was. */
static const char perfetto_time_back_check[] =
	"inst = {n: ts for ts, ty, n, tr, te in events if ty == 3}\n"
	"assert inst['late'] == 2500 and inst['next'] == 10500, inst\n"
	"ends = [ts for ts, ty, n, tr, te in events if ty == 2]\n"
	"assert ends == [4000, 8000, 9000, 10000], ends\n"
	"print('ok')\n";

START_TEST(perfetto_time_back)
{
	char path[512], cmd[1200], raw[600],
		script[sizeof(raw_parser) + sizeof(perfetto_time_back_check)];
	char *out;
	size_t i, at = 0;

	fixture_build(0, 1);
	/* After main's end at 10000 on thread 101: an instant at 2500, then one at 10500. */
	for (i = 0; i < fx.n; i++)
		if (fx.ev[i].type == HWT_EV_SLICE_END && fx.ev[i].ts == 10000)
			at = i + 1;
	ck_assert_uint_gt(at, 0);
	add(HWT_EV_INSTANT, 100, 101, 2500)->instant.name = str("late");
	add(HWT_EV_INSTANT, 100, 101, 10500)->instant.name = str("next");
	{
		struct hwt_event late = fx.ev[fx.n - 2], next = fx.ev[fx.n - 1];

		memmove(&fx.ev[at + 2], &fx.ev[at], (fx.n - 2 - at) * sizeof(fx.ev[0]));
		fx.ev[at] = late;
		fx.ev[at + 1] = next;
	}
	ck_assert_int_eq(export("perfetto", NULL, "back.pftrace", path, sizeof(path)), 0);
	snprintf(raw, sizeof(raw), "%s/back.txt", dir);
	snprintf(cmd, sizeof(cmd), "protoc --decode_raw < '%s' > '%s'", path, raw);
	ck_assert_int_eq(run(cmd, &out), 0);
	free(out);
	/* Exactly one packet on CLOCK_MONOTONIC (TracePacket.timestamp_clock_id 58 = 3). */
	snprintf(cmd, sizeof(cmd), "grep -c '^  58: 3$' '%s'", raw);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_str_eq(out, "1\n");
	free(out);
	snprintf(script, sizeof(script), "%s%s", raw_parser, perfetto_time_back_check);
	ck_assert_msg(python(script, raw, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "ok\n");
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

/* The main mapping (pprof's first) is the program of the target's last exec, the model's "exe",
 * even when the command's first word names another file (a wrapper) and another mapping is used
 * first. */
START_TEST(pprof_main_mapping)
{
	struct hwt_mapping map = { .start = 0x7f0000000000, .end = 0x7f0000020000 };
	char path[512], cmd[900], *out, *first;
	int64_t mid;
	struct hwt_event *e;

	fixture_build(1, 0);
	map.path = str("/opt/bin/real-app");
	mid = hwt_model_intern_mapping(fx.m, &map);
	ck_assert_int_gt(mid, 1);
	e = add(HWT_EV_SAMPLE, 100, 100, 30000);
	e->sample.stack = stack(HWT_NONE, frame("start", (uint32_t)mid, 0x100, HWT_FRAME_USER));
	/* The fixture's samples' weights. */
	for (size_t i = 0; i + 1 < fx.n; i++)
		if (fx.ev[i].type == HWT_EV_SAMPLE)
			e->sample.weights = fx.ev[i].sample.weights;
	hwt_model_set_meta(fx.m, "command", "wrap.sh app");
	hwt_model_set_meta(fx.m, "exe", "/opt/bin/real-app");
	ck_assert_int_eq(export("pprof", NULL, "main.pb.gz", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -raw '%s' 2>&1", go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	first = strstr(out, "Mappings\n1: ");
	ck_assert_msg(first != NULL, "%s", out);
	first = strchr(first + 9, '\n');
	ck_assert_msg(first && memmem(out, (size_t)(first - out), "/opt/bin/real-app", 17), "%s",
		      out);
	free(out);

	/* Without "exe": the mapping named like the command's first word. */
	hwt_model_set_meta(fx.m, "command", "real-app --x");
	hwt_model_set_meta(fx.m, "exe", "");
	ck_assert_int_eq(export("pprof", NULL, "named.pb.gz", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -raw '%s' 2>&1", go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	first = strstr(out, "Mappings\n1: ");
	ck_assert_msg(first && strstr(first, "real-app") < strchr(first + 9, '\n'), "%s", out);
	free(out);
}
END_TEST

/* A counter view in pprof: thread 101's rss (4096 and 8192 bytes, not cumulative) charged to
 * its latest sample's stack, the sample type named after the counter with its unit. */
START_TEST(pprof_counter_view)
{
	char path[512], cmd[900], *out;

	fx_custom = 1;
	fixture_build(1, 1);
	ck_assert_int_eq(export("pprof", "rss", "rss.pb.gz", path, sizeof(path)), 0);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -top -unit=byte -sample_index=rss '%s' 2>&1",
		 go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_msg(top_flat(out, "do_syscall_64") == 12288, "%s", out);
	ck_assert_msg(top_flat(out, "hot_loop") == -1, "%s", out);
	free(out);
	snprintf(cmd, sizeof(cmd), "%s go tool pprof -raw '%s' 2>&1", go_env, path);
	ck_assert_int_eq(run(cmd, &out), 0);
	ck_assert_msg(strstr(out, "rss/bytes[dflt]\n      12288: ") != NULL, "%s", out);
	ck_assert_ptr_nonnull(strstr(out, "thread:[worker]"));
	ck_assert_uint_eq(count(out, "thread:["), 1);
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
	"p = [e for e in ev if e['ph'] == 'P' and e['name'] == 'sample']\n"
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
	"# The same samples as CPU profiles: a Profile, then chunks of nodes, samples, deltas.\n"
	"nodes, prof, seen = {}, {}, {}\n"
	"for e in ev:\n"
	"    if e['ph'] == 'P' and e['name'] == 'Profile':\n"
	"        prof[e['id']] = e['args']['data']['startTime']\n"
	"    if e['ph'] != 'P' or e['name'] != 'ProfileChunk':\n"
	"        continue\n"
	"    assert e['id'] in prof, e\n"
	"    c = e['args']['data']\n"
	"    for n in c['cpuProfile']['nodes']:\n"
	"        assert 'parent' not in n or (e['id'], n['parent']) in nodes, n\n"
	"        nodes[(e['id'], n['id'])] = n\n"
	"    assert len(c['timeDeltas']) == len(c['cpuProfile']['samples'])\n"
	"    for i in c['cpuProfile']['samples']:\n"
	"        out, k = [], (e['id'], i)\n"
	"        while k in nodes:\n"
	"            out.append(nodes[k]['callFrame']['functionName'])\n"
	"            k = (e['id'], nodes[k].get('parent'))\n"
	"        q = ';'.join(reversed(out))\n"
	"        seen[q] = seen.get(q, 0) + 1\n"
	"assert seen == paths, seen\n"
	"assert [e['args']['value'] for e in ev if e['ph'] == 'C'] == [1, 5, 12.5]\n"
	"i = {e['name']: e for e in ev if e['ph'] == 'i'}\n"
	"assert i['checkpoint']['args'] == {'iter': 3, 'phase': 'warm'}, i\n"
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

/* What plugins add, in Chrome JSON: slice arguments on the right slices (merged from "B" or
 * "X" and "E"), instants of each scope with nested arguments, the object's "N" then its "O"
 * snapshots, the flow's "s", "t", "f" with one id, counters of a thread and of the machine. */
static const char chrome_custom_check[] =
	"import json, sys\n"
	"ev = json.load(open(sys.argv[1]))['traceEvents']\n"
	"open_, done = {}, []\n"
	"for e in ev:\n"
	"    k = (e['pid'], e['tid'])\n"
	"    if e['ph'] == 'X':\n"
	"        done.append((e['ts'], e['name'], e.get('args', {})))\n"
	"    elif e['ph'] == 'B':\n"
	"        open_.setdefault(k, []).append((e['ts'], e['name'], dict(e.get('args', {}))))\n"
	"    elif e['ph'] == 'E':\n"
	"        ts, name, args = open_[k].pop()\n"
	"        assert name == e['name'], e\n"
	"        assert not set(args) & set(e.get('args', {})), (args, e)  # each written once\n"
	"        args.update(e.get('args', {}))\n"
	"        done.append((ts, name, args))\n"
	"done.sort(key=lambda d: d[0])\n"
	"want = [(2.0, 'main', {'argc': 2, 'argv0': 'app', 'late': True}), (3.0, 'work', {}),\n"
	"        (5.0, 'work', {'result': 'ok', 'unit': 'ms'}), (6.0, 'hot_loop', {'i': 1}),\n"
	"        (12.3, 'wakes', {}), (12.4, 'spawned', {}), (12.5, 'spawned', {})]\n"
	"assert done == want, done\n"
	"i = {e['name']: e for e in ev if e['ph'] == 'i'}\n"
	"assert i['checkpoint']['s'] == 't' and i['checkpoint']['tid'] == 100, i\n"
	"p = i['proc-mark']\n"
	"assert p['s'] == 'p' and p['pid'] == 100, p\n"
	"assert p['args'] == {'n': -7, 'nested': {'list': [1, 2.5, 'x\"y', True, None],\n"
	"                     'void': {}}, 'flag': False}, p\n"
	"assert list(p['args']) == ['n', 'nested', 'flag'], p\n"
	"g = i['global-mark']\n"
	"assert g['s'] == 'g' and g['pid'] == 0 and 'args' not in g, g\n"
	"obj = [e for e in ev if e['ph'] in 'NOD' and e['name'] == 'heap']\n"
	"assert [e['ph'] for e in obj] == ['N', 'O', 'O'], obj\n"
	"assert len({e['id'] for e in obj}) == 1 and obj[0]['id'].startswith('0x'), obj\n"
	"assert obj[0]['ts'] == obj[1]['ts'] == 13.1 and obj[2]['ts'] == 14.1, obj\n"
	"assert all(e['pid'] == 100 for e in obj), obj\n"
	"assert obj[1]['args'] == {'snapshot': {'used': 10, 'blocks': [1, 2]}}, obj\n"
	"assert obj[2]['args'] == {'snapshot': {'used': 20, 'blocks': []}}, obj\n"
	"fl = [e for e in ev if e['ph'] in 'stf' and e['id'] == '0x1234']\n"
	"assert [(e['ph'], e['tid'], e['ts']) for e in fl] == \\\n"
	"       [('s', 101, 7.0), ('t', 101, 8.6), ('f', 100, 12.3)], fl\n"
	"assert all(e['id'] == '0x1234' and e['cat'] == 'flow' and e['bp'] == 'e' and\n"
	"           e['name'] == 'wakes' for e in fl), fl\n"
	"sp = [(e['ph'], e['pid'], e['tid'], e['ts']) for e in ev if e['ph'] in 'sf' and\n"
	"      e['id'] == '0x99' and e['name'] == 'spawned' and e['bp'] == 'e']\n"
	"assert sp == [('s', 100, 100, 12.4), ('f', 200, 200, 12.5)], sp\n"
	"c = {}\n"
	"for e in ev:\n"
	"    if e['ph'] == 'C':\n"
	"        c.setdefault(e['name'], []).append((e['pid'], e.get('id'), e['args']['value']))\n"
	"assert c['page-faults'] == [(100, None, 1), (100, None, 5), (100, None, 12.5)], c\n"
	"assert c['rss'] == [(100, '101', 4096), (100, '101', 8192)], c\n"
	"assert c['load'] == [(0, None, 0.5)], c\n"
	"print('ok')\n";

START_TEST(chrome_custom)
{
	char path[512], *out;

	fx_custom = 1;
	fixture_build(1, 1);
	ck_assert_int_eq(export("chrome", NULL, "custom.json", path, sizeof(path)), 0);
	ck_assert_msg(python(chrome_custom_check, path, &out) == 0, "%s", out);
	ck_assert_str_eq(out, "ok\n");
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

/* ---- track statistics (info, report) ----------------------------------------------------- */

/* Counter tracks with their unit, scope, number of values, min, max and last; object tracks with
 * their snapshots; a track without events shows dashes. */
START_TEST(hwt_trackstats_print_tables)
{
	static const char want[] = "# counter track  unit       scope                    values    "
				   "        min            max"
				   "           last\n"
				   "  page-faults    count      process 100                   3    "
				   "          1           12.5"
				   "           12.5\n"
				   "  rss            bytes      thread 100/101                2    "
				   "       4096           8192"
				   "           8192\n"
				   "  load           percent    global                        1    "
				   "        0.5            0.5"
				   "            0.5\n"
				   "  idle           -          process 100                   0    "
				   "          -              -"
				   "              -\n"
				   "# object track   scope                 snapshots\n"
				   "  heap           process 100                   2\n";
	struct hwt_trackstats *ts = hwt_trackstats_alloc();
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct hwt_track idle = { .pid = 100 };

	ck_assert_ptr_nonnull(ts);
	ck_assert_ptr_nonnull(f);
	fx_custom = 1;
	fixture_build(1, 1);
	idle.name = str("idle");
	ck_assert_int_gt(hwt_model_add_track(fx.m, &idle), 0);
	for (size_t i = 0; i < fx.n; i++)
		ck_assert_int_eq(hwt_trackstats_event(ts, &fx.ev[i]), 0);
	ck_assert_int_eq(hwt_trackstats_print(ts, fx.m, f), 5);
	fclose(f);
	ck_assert_str_eq(text, want);
	ck_assert_uint_eq(hwt_trackstats_get(ts, fx.heap)->n, 2);
	ck_assert(hwt_trackstats_get(ts, fx.rss)->min == 4096);
	ck_assert_uint_eq(hwt_trackstats_get(ts, 999)->n, 0);
	ck_assert_int_eq(hwt_trackstats_event(NULL, &fx.ev[0]), HWT_E_INVAL);
	ck_assert_int_eq(hwt_trackstats_event(ts, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_trackstats_print(NULL, fx.m, stdout), HWT_E_INVAL);
	ck_assert_ptr_null(hwt_trackstats_get(NULL, 1));
	hwt_trackstats_free(ts);
	hwt_trackstats_free(NULL);
	free(text);
}
END_TEST

/* ---- the value walker ------------------------------------------------------------------- */

/* Records the hooks' calls as text: "d.i key=value" per value, "d.end" per container end. */
struct walk_log {
	char text[1024];
	size_t len;
	int fail_at; /* the call that returns HWT_E_IO, 0 for none */
	int calls;
};

static int log_value(void *ctx, const struct hwt_value *v, uint32_t depth, uint32_t index)
{
	struct walk_log *l = ctx;
	char val[64];

	switch (v->tag) {
	case HWT_VAL_INT:
		snprintf(val, sizeof(val), "%lld", (long long)v->i);
		break;
	case HWT_VAL_STRING:
		snprintf(val, sizeof(val), "'%.*s'", (int)v->n, v->s);
		break;
	case HWT_VAL_LIST:
		snprintf(val, sizeof(val), "[");
		break;
	case HWT_VAL_MAP:
		snprintf(val, sizeof(val), "{");
		break;
	default:
		snprintf(val, sizeof(val), "tag%u", v->tag);
	}
	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "%u.%u %.*s=%s\n",
				   depth, index, v->key ? (int)v->keylen : 1, v->key ? v->key : "-",
				   val);
	return ++l->calls == l->fail_at ? HWT_E_IO : 0;
}

static int log_end(void *ctx, uint8_t tag, uint32_t depth)
{
	struct walk_log *l = ctx;

	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "%u.end%c\n", depth,
				   tag == HWT_VAL_MAP ? '}' : ']');
	return ++l->calls == l->fail_at ? HWT_E_IO : 0;
}

static const struct hwt_value_walk_ops log_ops = { .value = log_value, .end = log_end };

/* Depth and place of every value, as the tree is and as arguments; two trees walked as
 * arguments one after the other number their entries as one map; a scalar tree is "value";
 * a hook's error ends the walk; a malformed tree calls no hook. */
START_TEST(hwt_value_walk_depth_and_index)
{
	uint8_t a[128] = { 0 }, b[64], c[16];
	struct hwt_value_writer w = { .buf = a, .cap = sizeof(a) };
	struct walk_log l = { 0 };
	uint32_t index = 0;

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_int(&w, "x", 1);
	hwt_vw_begin(&w, "l", HWT_VAL_LIST);
	hwt_vw_str(&w, NULL, "s");
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	hwt_vw_end(&w);
	ck_assert(!w.bad);
	ck_assert_int_eq(hwt_value_walk(a, w.len, &log_ops, &l), 0);
	ck_assert_str_eq(l.text, "0.0 -={\n1.0 x=1\n1.1 l=[\n2.0 -='s'\n2.1 -={\n2.end}\n"
				 "1.end]\n0.end}\n");

	l = (struct walk_log){ 0 };
	ck_assert_int_eq(hwt_value_walk_args(a, w.len, &log_ops, &l, &index), 0);
	ck_assert_uint_eq(index, 2);
	{
		struct hwt_value_writer w2 = { .buf = b, .cap = sizeof(b) };

		hwt_vw_begin(&w2, NULL, HWT_VAL_MAP);
		hwt_vw_int(&w2, "y", 2);
		hwt_vw_end(&w2);
		ck_assert_int_eq(hwt_value_walk_args(b, w2.len, &log_ops, &l, &index), 0);
	}
	ck_assert_uint_eq(index, 3);
	ck_assert_str_eq(l.text, "0.0 x=1\n0.1 l=[\n1.0 -='s'\n1.1 -={\n1.end}\n0.end]\n0.2 y=2\n");

	l = (struct walk_log){ 0 };
	index = 0;
	w = (struct hwt_value_writer){ .buf = c, .cap = sizeof(c) };
	hwt_vw_int(&w, NULL, -3);
	ck_assert_int_eq(hwt_value_walk_args(c, w.len, &log_ops, &l, &index), 0);
	ck_assert_str_eq(l.text, "0.0 value=-3\n");
	ck_assert_int_eq(hwt_value_walk_args(c, 0, &log_ops, &l, &index), 0);
	ck_assert_uint_eq(index, 1);

	l = (struct walk_log){ .fail_at = 3 };
	ck_assert_int_eq(hwt_value_walk(a, 30, &log_ops, &l), HWT_E_CORRUPT);
	ck_assert_int_eq(l.calls, 0);
	ck_assert_int_eq(hwt_value_walk(a, sizeof(a), &log_ops, &l), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_value_walk(a, w.len, NULL, &l), HWT_E_INVAL);
	{
		struct hwt_value_writer w3 = { .buf = a, .cap = sizeof(a) };

		hwt_vw_begin(&w3, NULL, HWT_VAL_MAP);
		hwt_vw_int(&w3, "x", 1);
		hwt_vw_int(&w3, "y", 2);
		hwt_vw_int(&w3, "z", 3);
		hwt_vw_end(&w3);
		ck_assert_int_eq(hwt_value_walk(a, w3.len, &log_ops, &l), HWT_E_IO);
		ck_assert_int_eq(l.calls, 3);
	}
}
END_TEST

static Suite *exporters_suite(void)
{
	Suite *s = suite_create("exporters");
	TCase *reg = tcase_create("registry"), *fmt = tcase_create("formats");

	tcase_add_test(reg, registry_by_name);
	tcase_add_loop_test(reg, registry_by_path, 0, sizeof(path_cases) / sizeof(path_cases[0]));
	tcase_add_test(reg, registry_bad_args);
	tcase_add_test(reg, hwt_value_walk_depth_and_index);
	suite_add_tcase(s, reg);

	tcase_add_checked_fixture(fmt, setup, teardown);
	tcase_set_timeout(fmt, 120);
	tcase_add_loop_test(fmt, exporter_bad_args, 0, 5);
	tcase_add_loop_test(fmt, exporter_unknown_view, 0, 3);
	tcase_add_test(fmt, exporter_args_not_a_map);
	tcase_add_loop_test(fmt, folded_lines, 0, sizeof(folded_cases) / sizeof(folded_cases[0]));
	tcase_add_loop_test(fmt, folded_unbalanced, 0, 2);
	tcase_add_test(fmt, perfetto_decode_raw);
	tcase_add_test(fmt, perfetto_empty);
	tcase_add_test(fmt, perfetto_custom);
	tcase_add_test(fmt, perfetto_time_back);
	tcase_add_test(fmt, pprof_samples);
	tcase_add_test(fmt, pprof_slices);
	tcase_add_test(fmt, pprof_counter_view);
	tcase_add_test(fmt, pprof_main_mapping);
	tcase_add_test(fmt, chrome_json);
	tcase_add_test(fmt, chrome_escaping);
	tcase_add_test(fmt, chrome_custom);
	tcase_add_test(fmt, svg_flamegraph);
	tcase_add_test(fmt, hwt_trackstats_print_tables);
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

/* Unit tests for core/progapi.c and lib/ (libhwtrace): the library writes into an area the test
 * creates as the recorder does, and the recorder's drain hands the records to a sink here, where
 * they are read back with the stream's reader (custom_format.h) and the value tree reader. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hwtrace.h"
#include "hwtrace/error.h"
#include "hwtrace/plugin.h"
#include "core/format/custom_format.h"
#include "core/format/value.h"
#include "core/host.h"
#include "core/progapi.h"
#include "lib/api_internal.h"
#include "value_text.h"

/* ---- a sink that keeps everything ------------------------------------------------------ */

struct track {
	char name[64];
	int kind; /* HWT_CR_COUNTER_TRACK or HWT_CR_OBJECT_TRACK */
	int pid;
};

static struct {
	uint8_t *buf;
	size_t len, cap;
	struct track tracks[64];
	int ntracks;
	uint64_t lost;
	int appends;
} got;

static int sink_counter(void *ctx, const struct hwt_counter_desc *d)
{
	ck_assert_int_lt(got.ntracks, 64);
	ck_assert_uint_eq(d->scope, HWT_SCOPE_PROCESS);
	struct track *t = &got.tracks[got.ntracks++];
	snprintf(t->name, sizeof(t->name), "%s", d->name);
	t->kind = HWT_CR_COUNTER_TRACK;
	t->pid = d->pid;
	return 100 + got.ntracks - 1; /* host ids: 100, 101, ... */
}

static int sink_object(void *ctx, const char *name, uint32_t scope, int pid, int tid)
{
	ck_assert_int_lt(got.ntracks, 64);
	ck_assert_uint_eq(scope, HWT_SCOPE_PROCESS);
	struct track *t = &got.tracks[got.ntracks++];
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->kind = HWT_CR_OBJECT_TRACK;
	t->pid = pid;
	return 100 + got.ntracks - 1;
}

static int sink_append(void *ctx, const void *recs, size_t len)
{
	if (got.len + len > got.cap) {
		got.cap = (got.len + len) * 2;
		got.buf = realloc(got.buf, got.cap);
		ck_assert_ptr_nonnull(got.buf);
	}
	memcpy(got.buf + got.len, recs, len);
	got.len += len;
	got.appends++;
	return 0;
}

static void sink_lost(void *ctx, uint64_t n)
{
	got.lost += n;
}

static const struct hwt_progapi_sink sink = {
	.counter_track = sink_counter,
	.object_track = sink_object,
	.append = sink_append,
	.lost = sink_lost,
};

/* One record read back. */
struct rec {
	struct hwt_custom_rec h;
	const uint8_t *body;
};

/* The records drained so far, in order, into @out (at most @max); returns how many. */
static int records(struct rec *out, int max)
{
	int n = 0;
	long step;

	for (size_t off = 0; off < got.len; off += (size_t)step) {
		step = hwt_custom_next(got.buf + off, got.len - off, &out[n].h, &out[n].body);
		ck_assert_int_gt(step, 0);
		ck_assert_int_lt(n, max);
		n++;
	}
	return n;
}

static struct hwt_progapi *pa;

/* An area of @nrings rings as the recorder makes it, found by the library as if at start-up. */
static void start_rings(uint32_t nrings, uint64_t ring_bytes)
{
	struct hwt_progapi_config cfg = { .nrings = nrings, .ring_bytes = ring_bytes };
	char why[256];

	memset(&got, 0, sizeof(got));
	ck_assert_int_eq(hwt_progapi_create(&pa, &cfg, why, sizeof(why)), 0);
	hwt__init();
	ck_assert_int_eq(hwt__active, 1);
}

static void start(uint64_t ring_bytes)
{
	start_rings(8, ring_bytes);
}

static long drain(void)
{
	long n = hwt_progapi_drain_sink(pa, &sink, 12345);
	ck_assert_int_ge(n, 0);
	return n;
}

/* The name of a named record (INSTANT, SPAN_BEGIN) and the text of its tree. */
static const char *named(const struct rec *r, char *args, size_t cap)
{
	const char *name;
	long off = hwt_custom_str(r->body, r->h.len, 0, &name);

	ck_assert_int_gt(off, 0);
	tree_text(r->body + off, r->h.len - (size_t)off, args, cap);
	return name;
}

/* ---- the recorder's side --------------------------------------------------------------- */

START_TEST(hwt_progapi_create_bad_ring)
{
	struct hwt_progapi_config cfg = { .ring_bytes = 5000 };
	char why[256] = "";

	ck_assert_int_eq(hwt_progapi_create(&pa, &cfg, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_null(pa);
	ck_assert_ptr_nonnull(strstr(why, "power of two"));
	ck_assert_ptr_null(getenv(HWT_API_ENV));
}
END_TEST

START_TEST(hwt_progapi_create_env)
{
	char why[256];
	int fd;
	unsigned long long size;

	ck_assert_int_eq(hwt_progapi_create(&pa, NULL, why, sizeof(why)), 0);
	const char *env = getenv(HWT_API_ENV);
	ck_assert_ptr_nonnull(env);
	ck_assert_int_eq(sscanf(env, "%d:%llu", &fd, &size), 2);
	/* Inherited across exec: no close-on-exec. */
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	ck_assert_uint_ge(size, 128ull << 20);
	hwt_progapi_started(pa);
	ck_assert_ptr_null(getenv(HWT_API_ENV));
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	hwt_progapi_free(pa);
	hwt_progapi_free(NULL);
}
END_TEST

START_TEST(hwt_progapi_drain_empty)
{
	start(0);
	ck_assert_int_eq(drain(), 0);
	ck_assert_uint_eq(got.len, 0);
	ck_assert_uint_eq(hwt_progapi_lost(pa), 0);
	ck_assert_uint_eq(hwt_progapi_lost(NULL), 0);
	ck_assert_int_eq(hwt_progapi_drain(NULL, NULL), 0);
	hwt_progapi_free(pa);
}
END_TEST

/* ---- not recorded ---------------------------------------------------------------------- */

START_TEST(hwt__init_no_env)
{
	unsetenv(HWT_API_ENV);
	hwt__init();
	ck_assert_int_eq(hwt__active, 0);
	ck_assert_int_eq(hwt_active(), 0);
	ck_assert_ptr_null(hwt_counter_new("c"));
	ck_assert_ptr_null(hwt_object_new("o"));
	int evaluated = 0;
	hwt_instant("x", HWT_ARG("n", ++evaluated));
	ck_assert_int_eq(evaluated, 0); /* arguments are not even evaluated */
	struct hwt_link l = hwt_link_out("t");
	ck_assert_uint_eq(l.id, 0);
	hwt_link_in(l);
	{
		HWT_SCOPE("s");
	}
}
END_TEST

START_TEST(hwt__init_env_names_another_file)
{
	/* The fd of the environment is now an empty file opened for writing (an exec'ed image that
	 * closed the area's fd and opened a file): not mapped, nothing written, no fault. */
	char path[] = "/tmp/hwt-test-progapi-XXXXXX", env[64];
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	unlink(path);
	snprintf(env, sizeof(env), "%d:%d", fd, 1 << 20);
	setenv(HWT_API_ENV, env, 1);
	hwt__init();
	ck_assert_int_eq(hwt__active, 1);
	hwt_instant("x");
	ck_assert_int_eq(hwt__active, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_size, 0);
	close(fd);
}
END_TEST

static const char *const bad_envs[] = { "",	     "x",    "3",	"3:",
					"-1:100000", "3:10", "3:1000x", "99999999:1000000" };

START_TEST(hwt__init_bad_env)
{
	setenv(HWT_API_ENV, bad_envs[_i], 1);
	hwt__init();
	/* Either refused at once, or refused when mapping at the first event. */
	hwt_instant("x");
	ck_assert_int_eq(hwt__active, 0);
}
END_TEST

/* ---- events ---------------------------------------------------------------------------- */

START_TEST(hwt_instant_args)
{
	char args[512];
	struct rec r[8];

	start(0);
	uint64_t before = hwt_host_now();
	hwt_instant("plain");
	hwt_instant("args", HWT_ARG("i", -5), HWT_ARG("d", 2.5), HWT_ARG("s", "text"),
		    HWT_ARG("b", (_Bool)1), hwt_arg_null("n"), HWT_ARG("u", 7u),
		    HWT_ARG("f", 0.25f));
	hwt_instant_process("proc", HWT_ARG("k", 1));
	hwt_instant_global("glob");
	ck_assert_int_eq(drain(), 4);
	ck_assert_int_eq(records(r, 8), 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_uint_eq(r[i].h.type, HWT_CR_INSTANT);
		ck_assert_uint_ge(r[i].h.ts, before);
		ck_assert_uint_le(r[i].h.ts, hwt_host_now());
		ck_assert(i == 0 || r[i].h.ts >= r[i - 1].h.ts);
	}
	ck_assert_str_eq(named(&r[0], args, sizeof(args)), "plain");
	ck_assert_str_eq(args, "");
	ck_assert_int_eq(r[0].h.pid, getpid());
	ck_assert_int_eq(r[0].h.tid, gettid());
	ck_assert_str_eq(named(&r[1], args, sizeof(args)), "args");
	ck_assert_str_eq(args, "{i:-5,d:2.5,s:'text',b:true,n:null,u:7,f:0.25}");
	ck_assert_str_eq(named(&r[2], args, sizeof(args)), "proc");
	ck_assert_int_eq(r[2].h.pid, getpid());
	ck_assert_int_eq(r[2].h.tid, 0);
	ck_assert_str_eq(named(&r[3], args, sizeof(args)), "glob");
	ck_assert_int_eq(r[3].h.pid, 0);
	ck_assert_int_eq(r[3].h.tid, 0);
	ck_assert_uint_eq(got.lost, 0);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_instant_json_args)
{
	char args[512];
	struct rec r[8];

	start(0);
	hwt_instant_json("j", "{\"user\": {\"id\": %d, \"tags\": [\"a\", null]}, \"ok\": true}", 7);
	hwt_instant_json("not an object", "[%d]", 1);
	hwt_span_begin("s");
	hwt_span_annotate_json("{\"n\": %.1f}", 1.5);
	hwt_span_end();
	ck_assert_int_eq(drain(), 5);
	ck_assert_int_eq(records(r, 8), 5);
	ck_assert_str_eq(named(&r[0], args, sizeof(args)), "j");
	ck_assert_str_eq(args, "{user:{id:7,tags:['a',null]},ok:true}");
	ck_assert_str_eq(named(&r[1], args, sizeof(args)), "not an object");
	ck_assert_str_eq(args, "{text:'[1]'}");
	ck_assert_uint_eq(r[3].h.type, HWT_CR_SPAN_ARGS);
	tree_text(r[3].body, r[3].h.len, args, sizeof(args));
	ck_assert_str_eq(args, "{n:1.5}");
	hwt_progapi_free(pa);
}
END_TEST

/* A writer held up across a drain (preempted between its clock and publishing) takes the time
 * again: no record may come after a drain that began later than its time. */
START_TEST(hwt_lib_commit_after_a_drain_retimes)
{
	struct rec r[4];
	struct hwt_lib_rec w;

	start(0);
	ck_assert_int_eq(hwt_lib_reserve(&w, HWT_CR_INSTANT, HWT__THREAD, 2), 0);
	memcpy(w.body, "a", 2);
	uint64_t first = w.hdr->ts, drained = hwt_host_now();
	ck_assert_int_eq(drain(), 0); /* nothing published yet */
	hwt_lib_commit(&w);
	ck_assert_int_eq(hwt_lib_reserve(&w, HWT_CR_INSTANT, HWT__THREAD, 2), 0);
	memcpy(w.body, "b", 2);
	uint64_t second = w.hdr->ts;
	hwt_lib_commit(&w); /* no drain between: its time stays */
	ck_assert_int_eq(drain(), 2);
	ck_assert_int_eq(records(r, 4), 2);
	ck_assert_uint_gt(r[0].h.ts, drained);
	ck_assert_uint_gt(r[0].h.ts, first);
	ck_assert_uint_eq(r[1].h.ts, second);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_span_nesting_and_links)
{
	char args[512];
	struct rec r[16];

	start(0);
	hwt_span_begin("outer", HWT_ARG("n", 1));
	hwt_span_annotate(HWT_ARG("more", "yes"));
	struct hwt_link l = hwt_link_out("feeds");
	ck_assert_uint_gt(l.id, 0);
	hwt_span_begin("inner");
	hwt_link_in(l);
	hwt_span_end(HWT_ARG("result", 42));
	hwt_span_end();
	{
		HWT_SCOPE("scoped");
		hwt_instant("in scope");
	}
	ck_assert_int_eq(drain(), 10);
	ck_assert_int_eq(records(r, 16), 10);
	ck_assert_uint_eq(r[0].h.type, HWT_CR_SPAN_BEGIN);
	ck_assert_str_eq(named(&r[0], args, sizeof(args)), "outer");
	ck_assert_str_eq(args, "{n:1}");
	ck_assert_uint_eq(r[1].h.type, HWT_CR_SPAN_ARGS);
	tree_text(r[1].body, r[1].h.len, args, sizeof(args));
	ck_assert_str_eq(args, "{more:'yes'}");
	ck_assert_uint_eq(r[2].h.type, HWT_CR_FLOW);
	ck_assert_uint_eq(r[4].h.type, HWT_CR_FLOW);
	for (int i = 2; i <= 4; i += 2) {
		uint64_t id;
		uint32_t phase;
		memcpy(&id, r[i].body, 8);
		memcpy(&phase, r[i].body + 8, 4);
		ck_assert_uint_eq(id, l.id);
		ck_assert_uint_eq(phase, i == 2 ? HWT_FLOW_END_OUT : HWT_FLOW_END_IN);
		ck_assert_str_eq((const char *)r[i].body + 16, "feeds");
	}
	ck_assert_uint_eq(r[3].h.type, HWT_CR_SPAN_BEGIN);
	ck_assert_uint_eq(r[5].h.type, HWT_CR_SPAN_END);
	tree_text(r[5].body, r[5].h.len, args, sizeof(args));
	ck_assert_str_eq(args, "{result:42}");
	ck_assert_uint_eq(r[6].h.type, HWT_CR_SPAN_END);
	ck_assert_uint_eq(r[6].h.len, 0);
	ck_assert_str_eq(named(&r[7], args, sizeof(args)), "scoped");
	ck_assert_uint_eq(r[8].h.type, HWT_CR_INSTANT);
	/* The scope's end comes after the instant inside it. */
	ck_assert_uint_eq(r[9].h.type, HWT_CR_SPAN_END);
	got.len = 0;
	ck_assert_int_eq(drain(), 0);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_link_ids_unique)
{
	start(0);
	uint64_t a = hwt_link_out("x").id, b = hwt_link_out("x").id;
	ck_assert_uint_gt(a, 0);
	ck_assert_uint_ne(a, b);
	hwt_progapi_free(pa);
}
END_TEST

/* ---- counters and objects -------------------------------------------------------------- */

/* The values of COUNTER records on host track @track, in order, into @v; returns how many. */
static int counter_values(const struct rec *r, int n, uint32_t track, double *v, int max)
{
	int k = 0;

	for (int i = 0; i < n; i++) {
		uint32_t t;
		if (r[i].h.type != HWT_CR_COUNTER)
			continue;
		ck_assert_uint_eq(r[i].h.len, 16);
		memcpy(&t, r[i].body, 4);
		if (t != track)
			continue;
		ck_assert_int_lt(k, max);
		memcpy(&v[k++], r[i].body + 8, 8);
	}
	return k;
}

START_TEST(hwt_counter_trigger_and_filters)
{
	static struct rec r[256];
	double v[64];

	start(0);
	struct hwt_counter *c = hwt_counter_new("queue");
	ck_assert_ptr_nonnull(c);
	hwt_counter_set(c, "a", 1);  /* logs a */
	hwt_counter_set(c, "b", 2);  /* logs a, b */
	hwt_counter_exclude(c, "b"); /* b no more */
	hwt_counter_set(c, "b", 3);  /* not logged, no trigger */
	hwt_counter_set(c, "a", 4);  /* logs a */
	hwt_counter_trigger(c, 0);
	hwt_counter_set(c, "a", 5); /* nothing */
	hwt_counter_log(c);	    /* logs a */
	hwt_counter_include(c, "b");
	hwt_counter_include(c, "c");
	hwt_counter_set(c, "a", 6);
	hwt_counter_set(c, "c", 7);
	hwt_counter_log(c); /* only b and c: b 3, c 7 */
	hwt_counter_free(c);
	hwt_counter_free(NULL);
	drain();
	int n = records(r, 256);
	ck_assert_int_eq(got.ntracks, 3);
	ck_assert_str_eq(got.tracks[0].name, "queue.a");
	ck_assert_str_eq(got.tracks[1].name, "queue.b");
	ck_assert_str_eq(got.tracks[2].name, "queue.c");
	ck_assert_int_eq(got.tracks[0].pid, getpid());
	ck_assert_int_eq(counter_values(r, n, 100, v, 64), 4);
	ck_assert(v[0] == 1 && v[1] == 1 && v[2] == 4 && v[3] == 5);
	ck_assert_int_eq(counter_values(r, n, 101, v, 64), 2);
	ck_assert(v[0] == 2 && v[1] == 3);
	ck_assert_int_eq(counter_values(r, n, 102, v, 64), 1);
	ck_assert(v[0] == 7);
	ck_assert_int_eq(n, 7);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_object_snapshots)
{
	struct rec r[16];
	char text[512];

	start(0);
	struct hwt_object *o = hwt_object_new("state");
	hwt_object_set(o, "n", 1); /* logs {n:1} */
	hwt_object_trigger(o, 0);
	hwt_object_json(o, "pos", "{\"x\": %d, \"y\": [1, 2.5, \"s\\n\\u00e9\"], \"z\": {}}", 3);
	hwt_object_json(o, "bad", "{not json");
	hwt_object_exclude(o, "hidden");
	hwt_object_set(o, "hidden", "x");
	hwt_object_log(o);
	hwt_object_free(o);
	drain();
	ck_assert_int_eq(records(r, 16), 2);
	ck_assert_int_eq(got.ntracks, 1);
	ck_assert_str_eq(got.tracks[0].name, "state");
	ck_assert_int_eq(got.tracks[0].kind, HWT_CR_OBJECT_TRACK);
	for (int i = 0; i < 2; i++) {
		uint32_t t;
		ck_assert_uint_eq(r[i].h.type, HWT_CR_OBJECT);
		memcpy(&t, r[i].body, 4);
		ck_assert_uint_eq(t, 100);
	}
	tree_text(r[0].body + 8, r[0].h.len - 8, text, sizeof(text));
	ck_assert_str_eq(text, "{n:1}");
	tree_text(r[1].body + 8, r[1].h.len - 8, text, sizeof(text));
	ck_assert_str_eq(text, "{n:1,pos:{x:3,y:[1,2.5,'s\n\xc3\xa9'],z:{}},bad:'{not json'}");
	hwt_progapi_free(pa);
}
END_TEST

/* JSON text and the tree it gives, as tree_text() writes it ("" when stored as a string). */
static const struct {
	const char *json, *tree;
} json_cases[] = {
	{ "1", "{v:1}" },
	{ "-9223372036854775808", "{v:-9223372036854775808}" },
	{ "9223372036854775808", "{v:9.22337e+18}" },
	{ "1e3", "{v:1000}" },
	{ " [ ] ", "{v:[]}" },
	{ "[true,false,null]", "{v:[true,false,null]}" },
	{ "{\"a\":{\"b\":[{\"c\":\"\\\"\\\\\\/\"}]}}", "{v:{a:{b:[{c:'\"\\/'}]}}}" },
	{ "\"\\ud83d\\ude00\"", "{v:'\xf0\x9f\x98\x80'}" },
	{ "[1,]", "" },
	{ "{\"a\" 1}", "" },
	{ "tru", "" },
	{ "1 2", "" },
	{ "\"unterminated", "" },
	{ "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]", "" },
};

START_TEST(hwt_object_json_cases)
{
	struct rec r[4];
	char text[512], want[512];

	start(0);
	struct hwt_object *o = hwt_object_new("j");
	hwt_object_trigger(o, 0);
	hwt_object_json(o, "v", "%s", json_cases[_i].json);
	hwt_object_log(o);
	hwt_object_free(o);
	drain();
	ck_assert_int_eq(records(r, 4), 1);
	tree_text(r[0].body + 8, r[0].h.len - 8, text, sizeof(text));
	if (*json_cases[_i].tree)
		snprintf(want, sizeof(want), "%s", json_cases[_i].tree);
	else
		snprintf(want, sizeof(want), "{v:'%s'}", json_cases[_i].json);
	ck_assert_str_eq(text, want);
	hwt_progapi_free(pa);
}
END_TEST

/* ---- rings: overflow, threads, fork ---------------------------------------------------- */

START_TEST(hwt_progapi_drain_counts_lost_exactly)
{
	static struct rec r[4096];
	char args[128];

	start(4096);
	/* 32-byte records ("x" and no arguments): 128 fit in 4096 bytes. */
	for (int i = 0; i < 1000; i++)
		hwt_instant("x");
	ck_assert_int_eq(drain(), 128);
	ck_assert_uint_eq(got.lost, 1000 - 128);
	ck_assert_uint_eq(hwt_progapi_lost(pa), 1000 - 128);
	int n = records(r, 4096);
	ck_assert_int_eq(n, 129);
	uint64_t count = 0;
	ck_assert_uint_eq(r[128].h.type, HWT_CR_LOST);
	ck_assert_uint_eq(r[128].h.len, 8);
	memcpy(&count, r[128].body, 8);
	ck_assert_uint_eq(count, 872);
	ck_assert_uint_eq(r[128].h.ts, 12345);
	ck_assert_int_eq(r[128].h.tid, gettid());
	/* Drained, the ring takes records again, across its end (a PAD record): 60 records of
	 * 48 bytes a round. */
	got.len = 0;
	for (int round = 0; round < 10; round++) {
		for (int i = 0; i < 60; i++)
			hwt_instant("y", HWT_ARG("i", i));
		ck_assert_int_eq(drain(), 60);
	}
	ck_assert_uint_eq(got.lost, 1000 - 128);
	n = records(r, 4096);
	ck_assert_int_eq(n, 600);
	for (int i = 0; i < n; i++) {
		char want[32];
		ck_assert_str_eq(named(&r[i], args, sizeof(args)), "y");
		snprintf(want, sizeof(want), "{i:%d}", i % 60);
		ck_assert_str_eq(args, want);
	}
	hwt_progapi_free(pa);
}
END_TEST

static void *thread_events(void *arg)
{
	for (int i = 0; i < 10; i++)
		hwt_instant("thread", HWT_ARG("i", i));
	*(pid_t *)arg = gettid();
	return NULL;
}

START_TEST(hwt_progapi_threads_free_rings)
{
	static struct rec r[512];

	start(0);
	/* 20 threads one after another through 8 rings: each ring is freed once drained. */
	for (int k = 0; k < 20; k++) {
		pthread_t t;
		pid_t tid;
		ck_assert_int_eq(pthread_create(&t, NULL, thread_events, &tid), 0);
		pthread_join(t, NULL);
		ck_assert_int_eq(drain(), 10);
		int n = records(r, 512);
		ck_assert_int_eq(n, 10 * (k + 1));
		for (int i = n - 10; i < n; i++)
			ck_assert_int_eq(r[i].h.tid, tid);
	}
	ck_assert_uint_eq(got.lost, 0);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_progapi_fork_child_rings)
{
	static struct rec r[64];
	char args[128];

	start(0);
	struct hwt_counter *c = hwt_counter_new("c");
	hwt_counter_set(c, "v", 1);
	hwt_instant("parent");
	pid_t child = fork();
	if (child == 0) {
		hwt_instant("child");
		hwt_counter_set(c, "v", 2);
		_exit(0);
	}
	waitpid(child, NULL, 0);
	hwt_instant("parent again");
	hwt_counter_free(c);
	drain();
	int n = records(r, 64);
	ck_assert_int_eq(n, 5);
	int seen = 0;
	for (int i = 0; i < n; i++) {
		if (r[i].h.type != HWT_CR_INSTANT)
			continue;
		const char *name = named(&r[i], args, sizeof(args));
		ck_assert_int_eq(r[i].h.pid, strcmp(name, "child") ? getpid() : child);
		ck_assert_int_eq(r[i].h.tid, r[i].h.pid);
		seen++;
	}
	ck_assert_int_eq(seen, 3);
	/* The counter's track again in the child: its own. */
	ck_assert_int_eq(got.ntracks, 2);
	ck_assert_str_eq(got.tracks[1].name, "c.v");
	ck_assert_int_eq(got.tracks[0].pid, getpid());
	ck_assert_int_eq(got.tracks[1].pid, child);
	double v[4];
	ck_assert_int_eq(counter_values(r, n, 101, v, 4), 1);
	ck_assert(v[0] == 2);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_progapi_drain_reclaims_rings_of_dead_processes)
{
	static struct rec r[64];

	start(0);
	/* 12 children one after another through 8 rings: a process that exits leaves its ring in
	 * use (no thread key destructor runs), the recorder finds it gone and frees it. */
	for (int k = 0; k < 12; k++) {
		pid_t child = fork();
		if (child == 0) {
			hwt_instant("child");
			_exit(0);
		}
		waitpid(child, NULL, 0);
		for (int i = 0; i < 100; i++)
			drain();
	}
	ck_assert_uint_eq(got.lost, 0);
	int n = records(r, 64);
	ck_assert_int_eq(n, 12);
	for (int i = 1; i < n; i++)
		ck_assert_int_ne(r[i].h.pid, r[i - 1].h.pid);
	hwt_progapi_free(pa);
}
END_TEST

/* The test program run again by exec() (main() sees "exec-child"): an event after the exec. */
static int exec_child(void)
{
	hwt_instant("after exec");
	return 0;
}

START_TEST(hwt_progapi_exec_keeps_ring)
{
	static struct rec r[8];
	char args[64];

	/* One ring: the exec'ed image must take its thread's ring again, not a new one. */
	start_rings(1, 0);
	pid_t child = fork();
	if (child == 0) {
		hwt_instant("before exec");
		execl("/proc/self/exe", "test_progapi", "exec-child", (char *)NULL);
		_exit(127);
	}
	int status;
	waitpid(child, &status, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	drain();
	ck_assert_uint_eq(got.lost, 0);
	ck_assert_int_eq(records(r, 8), 2);
	ck_assert_str_eq(named(&r[0], args, sizeof(args)), "before exec");
	ck_assert_str_eq(named(&r[1], args, sizeof(args)), "after exec");
	ck_assert_int_eq(r[0].h.pid, child);
	ck_assert_int_eq(r[1].h.pid, child);
	ck_assert_int_eq(r[1].h.tid, child);
	hwt_progapi_free(pa);
}
END_TEST

/* The area as the library sees it, mapped here too: for tests that write over it. */
static struct hwt_api_area *map_area(void)
{
	int fd;
	unsigned long long size;

	ck_assert_int_eq(sscanf(getenv(HWT_API_ENV), "%d:%llu", &fd, &size), 2);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	return p;
}

START_TEST(hwt_progapi_two_copies_two_rings)
{
	start_rings(2, 0);
	struct hwt_api_area *a = map_area();
	struct hwt_api_ring *ring = (struct hwt_api_ring *)((uint8_t *)a + a->rings_off);
	/* Another copy of the library in this image (a static one in a shared object) has ring 0
	 * for this thread: ours must be another. */
	ring[0].pid = getpid();
	ring[0].tid = gettid();
	memcpy(&ring[0].image, (const void *)getauxval(AT_RANDOM), 8);
	ring[0].state = HWT_API_USED;
	hwt_instant("mine");
	ck_assert_uint_eq(ring[0].head, 0);
	ck_assert_uint_eq(ring[1].state, HWT_API_USED);
	ck_assert_uint_gt(ring[1].head, 0);
	ck_assert_uint_eq(ring[1].image, ring[0].image);
	hwt_progapi_free(pa);
}
END_TEST

/* What a program that writes over its ring 0 may leave there. */
enum garbage {
	G_HEAD_AHEAD,
	G_TOO_LONG,
	G_TRACK_RECORD,
	G_UNKNOWN_TRACK,
	G_SHORT_COUNTER,
	G_AREA_HEAD, /* the area's geometry: the recorder keeps its own */
	G_N
};

START_TEST(hwt_progapi_drain_survives_garbage)
{
	static struct rec r[8];

	start(0);
	hwt_instant("first"); /* ring 0 is this thread's */
	struct hwt_api_area *a = map_area();
	struct hwt_api_ring *ring = (struct hwt_api_ring *)((uint8_t *)a + a->rings_off);
	uint8_t *data = (uint8_t *)a + a->data_off;
	struct hwt_custom_rec *h = (struct hwt_custom_rec *)(data + ring->head);
	uint64_t head = ring->head;
	memset(h, 0, 64);
	h->len = 16;
	switch (_i) {
	case G_HEAD_AHEAD:
		head += a->ring_bytes * 2;
		break;
	case G_TOO_LONG:
		h->type = HWT_CR_INSTANT;
		h->len = 1000;
		head += 64;
		break;
	case G_TRACK_RECORD:
		h->type = HWT_CR_COUNTER_TRACK;
		head += hwt_custom_size(16);
		break;
	case G_UNKNOWN_TRACK:
		h->type = HWT_CR_COUNTER;
		memset(h + 1, 0x7f, 4);
		head += hwt_custom_size(16);
		break;
	case G_SHORT_COUNTER:
		h->type = HWT_CR_OBJECT;
		h->len = 4;
		head += hwt_custom_size(4);
		break;
	case G_AREA_HEAD:
		a->nrings = 1u << 30;
		a->ring_bytes = 3;
		a->decl_bytes = 1ull << 50;
		break;
	}
	ring->head = head;
	long n = hwt_progapi_drain_sink(pa, &sink, 1);
	ck_assert_int_ge(n, 0);
	/* Nothing of the garbage goes out; what came before it does, unless the head is absurd. */
	ck_assert_int_eq(records(r, 8), _i == G_HEAD_AHEAD ? 0 : 1);
	ck_assert_uint_eq(got.lost, _i == G_UNKNOWN_TRACK);
	/* The ring goes on. */
	got.len = 0;
	hwt_instant("after");
	ck_assert_int_eq(drain(), 1);
	hwt_progapi_free(pa);
}
END_TEST

START_TEST(hwt_progapi_drain_bad_declaration)
{
	start(0);
	struct hwt_counter *c = hwt_counter_new("c");
	hwt_counter_set(c, "v", 1);
	struct hwt_api_area *a = map_area();
	struct hwt_api_decl *d = (struct hwt_api_decl *)((uint8_t *)a + a->decl_off);
	d->size = 3; /* written over */
	ck_assert_int_eq(hwt_progapi_drain_sink(pa, &sink, 1), HWT_E_CORRUPT);
	/* Into a host: a note, and the area is drained no more. */
	struct hwt_host *h = hwt_host_alloc_probe();
	hwt_counter_set(c, "v", 2);
	ck_assert_int_eq(hwt_progapi_drain(pa, h), HWT_E_CORRUPT);
	hwt_instant("later");
	ck_assert_int_eq(hwt_progapi_drain(pa, h), 0);
	hwt_host_free(h);
	hwt_counter_free(c);
	hwt_progapi_free(pa);
}
END_TEST

static Suite *progapi_suite(void)
{
	Suite *s = suite_create("progapi");
	TCase *tc = tcase_create("progapi");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hwt_progapi_create_bad_ring);
	tcase_add_test(tc, hwt_progapi_create_env);
	tcase_add_test(tc, hwt_progapi_drain_empty);
	tcase_add_test(tc, hwt__init_no_env);
	tcase_add_test(tc, hwt__init_env_names_another_file);
	tcase_add_loop_test(tc, hwt__init_bad_env, 0,
			    (int)(sizeof(bad_envs) / sizeof(bad_envs[0])));
	tcase_add_test(tc, hwt_instant_args);
	tcase_add_test(tc, hwt_instant_json_args);
	tcase_add_test(tc, hwt_lib_commit_after_a_drain_retimes);
	tcase_add_test(tc, hwt_span_nesting_and_links);
	tcase_add_test(tc, hwt_link_ids_unique);
	tcase_add_test(tc, hwt_counter_trigger_and_filters);
	tcase_add_test(tc, hwt_object_snapshots);
	tcase_add_loop_test(tc, hwt_object_json_cases, 0,
			    (int)(sizeof(json_cases) / sizeof(json_cases[0])));
	tcase_add_test(tc, hwt_progapi_drain_counts_lost_exactly);
	tcase_add_test(tc, hwt_progapi_threads_free_rings);
	tcase_add_test(tc, hwt_progapi_fork_child_rings);
	tcase_add_test(tc, hwt_progapi_drain_reclaims_rings_of_dead_processes);
	tcase_add_test(tc, hwt_progapi_exec_keeps_ring);
	tcase_add_test(tc, hwt_progapi_two_copies_two_rings);
	tcase_add_loop_test(tc, hwt_progapi_drain_survives_garbage, 0, G_N);
	tcase_add_test(tc, hwt_progapi_drain_bad_declaration);
	suite_add_tcase(s, tc);
	return s;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exec-child"))
		return exec_child();
	SRunner *sr = srunner_create(progapi_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

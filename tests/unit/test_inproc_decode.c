/* Unit tests for the inproc stream decoder (decoders/inproc/inproc_decode.c), driven through the
 * decoding driver on recordings written here chunk by chunk as the inproc recorder writes them:
 * a function table, entry/return/unwound/gap records of two threads (no stack pointers: a return
 * closes the innermost open call of its function), and the perf side-band records. */
#include <check.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/records.h"
#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"
#include "core/store.h"
#include "decoders/decode.h"
#include "slice_nodes.h"

#define PID  1000 /* the target; its main thread is thread index 0 of the stream */
#define TID2 1001 /* its second thread ("worker"), thread index 1 */
#define SB   7	  /* id of the side-band event */
#define SRC  1	  /* id of the inproc stream */

/* Function ids of the table the recorder wrote. */
enum { FN_MAIN = 1, FN_WORK = 2, FN_TEST = 3, FN_LEAF = 4 };

static char path[64];
static struct hwt_store_writer *w;

/* ---- writing a recording --------------------------------------------------------------- */

struct buf {
	uint8_t b[16384];
	size_t len;
};

static void put(struct buf *r, const void *p, size_t n)
{
	ck_assert_uint_le(r->len + n, sizeof(r->b));
	memcpy(r->b + r->len, p, n);
	r->len += n;
}

static void put64(struct buf *r, uint64_t v)
{
	put(r, &v, 8);
}

/* Perf side-band records, sample_id trailer TID TIME CPU IDENTIFIER. */
static void trailer(struct buf *r, uint32_t pid, uint32_t tid, uint64_t time)
{
	put64(r, pid | (uint64_t)tid << 32);
	put64(r, time);
	put64(r, 0);
	put64(r, SB);
}

static void comm(struct buf *r, uint32_t pid, uint32_t tid, const char *name, int exec,
		 uint64_t time)
{
	struct perf_event_header h = { .type = PERF_RECORD_COMM,
				       .misc = exec ? PERF_RECORD_MISC_COMM_EXEC : 0,
				       .size = 8 + 8 + 16 + 32 };
	uint32_t pt[2] = { pid, tid };
	char c[16] = { 0 };

	snprintf(c, sizeof(c), "%s", name);
	put(r, &h, sizeof(h));
	put(r, pt, 8);
	put(r, c, 16);
	trailer(r, pid, tid, time);
}

static void task(struct buf *r, uint32_t type, uint32_t pid, uint32_t ppid, uint32_t tid,
		 uint32_t ptid, uint64_t time)
{
	struct perf_event_header h = { .type = type, .size = 8 + 16 + 8 + 32 };
	uint32_t pt[4] = { pid, ppid, tid, ptid };

	put(r, &h, sizeof(h));
	put(r, pt, 16);
	put64(r, time);
	trailer(r, pid, tid, time);
}

static void ring_item(struct buf *r, uint64_t round)
{
	struct hwt_stream_item it = {
		.ts = round, .cpu = 0, .kind = HWT_ITEM_RING, .len = (uint32_t)r->len
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { r->b, r->len } };

	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 2), 0);
	ck_assert_int_eq(hwt_store_flush(w, 1), 0);
	r->len = 0;
}

/* The inproc stream: uprobe stream records whose stack pointer delta is a flag. */
struct ustream {
	struct buf buf;
	uint64_t prev_ts;
	uint32_t nthreads;
};

static struct ustream us;

static void varint(uint64_t v)
{
	uint8_t b;

	do {
		b = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			b |= 0x80;
		put(&us.buf, &b, 1);
	} while (v);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* A thread seen for the first time: it gets the next index. */
static uint32_t u_thread(uint32_t tid, uint32_t pid)
{
	varint(UP_KIND_THREAD);
	varint(tid);
	varint(pid);
	return us.nthreads++;
}

static void u_record(uint32_t kind, uint32_t fid, uint32_t ti, uint64_t ts, uint64_t flags)
{
	varint((uint64_t)fid << UP_KIND_BITS | kind);
	varint(ti);
	varint(zigzag((int64_t)(ts - us.prev_ts)));
	varint(zigzag((int64_t)flags));
	us.prev_ts = ts;
}

/* Function @fid entered on thread @ti at @ts. */
static void enter(uint32_t ti, uint32_t fid, uint64_t ts)
{
	u_record(UP_KIND_ENTRY, fid, ti, ts, 0);
}

/* It returns. */
static void leave(uint32_t ti, uint32_t fid, uint64_t ts)
{
	u_record(UP_KIND_RETURN, fid, ti, ts, 0);
}

/* Its frame is left without a return (longjmp, an exception). */
static void unwound(uint32_t ti, uint32_t fid, uint64_t ts)
{
	u_record(UP_KIND_RETURN, fid, ti, ts, HWT_INPROC_FLAG_UNWOUND);
}

static void gap(uint32_t ti, uint64_t lost)
{
	varint(UP_KIND_GAP);
	varint(ti);
	varint(lost);
}

/* The stream's bytes so far as one item drained at @round. */
static void source_item(uint64_t round)
{
	struct hwt_stream_item it = {
		.ts = round, .id = SRC, .kind = HWT_ITEM_SOURCE, .len = (uint32_t)us.buf.len
	};
	static const uint8_t pad[8];
	struct iovec iov[3] = { { &it, sizeof(it) },
				{ us.buf.b, us.buf.len },
				{ (void *)pad, -us.buf.len & 7 } };

	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 3), 0);
	ck_assert_int_eq(hwt_store_flush(w, 1), 0);
	us.buf.len = 0;
}

static void meta(const char *k, const char *v)
{
	char b[128];
	size_t kl = strlen(k) + 1, vl = strlen(v) + 1;

	memcpy(b, k, kl);
	memcpy(b + kl, v, vl);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_META, b, kl + vl), 0);
}

/* The plugin chunk of the function table the recorder writes (the uprobe table format). */
static void function_table(void)
{
	struct hwt_uprobe_table t = { 0 };
	uint32_t nl = 6;

	ck_assert_int_eq(hwt_uprobe_table_begin(&t, "/usr/bin/app"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 1, 0x1100, 32, 0, "main"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 2, 0x1200, 48, 1, "work"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 3, 0x1300, 16, 2, "_ZN3hwt4testEv"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 4, 0x1400, 8, 0, "leaf"), 0);

	struct iovec iov[3] = { { &nl, 4 }, { "inproc", 6 }, { t.data, t.len } };

	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_PLUGIN, iov, 3), 0);
	ck_assert_int_eq(hwt_store_flush(w, 1), 0);
	hwt_uprobe_table_fini(&t);
}

/* Header chunks, the function table, the process and its second thread; @depth and @min_ns
 * are the recorder's filters (NULL: none). */
static void begin_file(const char *depth, const char *min_ns)
{
	struct hwt_event_desc d = {
		.id = SB,
		.leader_id = SB,
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
			       PERF_SAMPLE_CPU,
		.read_format = PERF_FORMAT_ID,
		.cpu = 0,
		.name = "sideband",
		.plugin = "inproc",
	};
	struct hwt_source_desc sd = { .id = SRC };
	struct iovec iov[2] = { { &sd, sizeof(sd) }, { "inproc", 7 } };
	struct buf r = { .len = 0 };
	int err, fd;

	snprintf(path, sizeof(path), "/tmp/hwt-test-inproc-%d.hwt", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	w = hwt_store_writer_open(fd, NULL, &err);
	ck_assert_ptr_nonnull(w);
	meta("pid", "1000");
	if (depth)
		meta("inproc.depth", depth);
	if (min_ns)
		meta("inproc.min_duration_ns", min_ns);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_EVENTS, &d, sizeof(d)), 0);
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_SOURCE, iov, 2), 0);
	ck_assert_int_eq(hwt_store_flush(w, 1), 0);
	function_table();
	comm(&r, PID, PID, "app", 1, 10);
	task(&r, PERF_RECORD_FORK, PID, PID, TID2, PID, 20);
	comm(&r, PID, TID2, "worker", 0, 30);
	ring_item(&r, 50);
	memset(&us, 0, sizeof(us));
}

/* Exits of both threads at @t2 and @t1, then an END chunk unless @truncated. */
static void end_file(uint64_t t2, uint64_t t1, int truncated)
{
	struct buf r = { .len = 0 };
	struct hwt_end_rec e = { .ts = 5000, .pid = PID, .exit_status = 0 };

	if (t2)
		task(&r, PERF_RECORD_EXIT, PID, PID, TID2, PID, t2);
	if (t1)
		task(&r, PERF_RECORD_EXIT, PID, PID, PID, PID, t1);
	if (r.len)
		ring_item(&r, 4000);
	if (!truncated)
		ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, &e, sizeof(e)), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
}

static void teardown(void)
{
	unlink(path);
}

/* ---- decoding it ----------------------------------------------------------------------- */

struct seen {
	struct hwt_event ev[256];
	int n;
	struct hwt_model *m;
};

static struct seen s;

/* Decodes the recording on @threads threads into s (at most 256 events), or, with @digest,
 * only checks every slice's node and returns a digest of the events' bytes; *@n is the number
 * of slice begins and ends. */
static uint64_t decode_with(int threads, int digest, size_t *n)
{
	struct hwt_decoder_config cfg;
	struct hwt_decoder *d;
	struct hwt_event ev;
	struct slice_cursors nest = { 0 };
	uint64_t h = 1469598103934665603ull, last_ts = 0;
	char why[256];
	int err;

	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	cfg.threads = threads;
	memset(&s, 0, sizeof(s));
	s.m = hwt_model_alloc();
	ck_assert_ptr_nonnull(s.m);
	d = hwt_decoder_open(path, s.m, &cfg, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	*n = 0;
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		slice_node_check(s.m, &nest, &ev);
		*n += ev.type == HWT_EV_SLICE_BEGIN || ev.type == HWT_EV_SLICE_END;
		ck_assert_uint_ge(ev.ts, last_ts);
		last_ts = ev.ts;
		if (digest) {
			const uint8_t *b = (const uint8_t *)&ev;
			for (size_t i = 0; i < sizeof(ev); i++)
				h = (h ^ b[i]) * 1099511628211ull;
			continue;
		}
		ck_assert_int_lt(s.n, 256);
		s.ev[s.n++] = ev;
	}
	ck_assert_int_eq(err, 0);
	hwt_decoder_close(d);
	return h;
}

static void decode_all(void)
{
	struct hwt_decoder_config cfg;
	struct hwt_decoder *d;
	struct hwt_event ev;
	struct slice_cursors nest = { 0 };
	char why[256];
	int err;

	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	memset(&s, 0, sizeof(s));
	s.m = hwt_model_alloc();
	ck_assert_ptr_nonnull(s.m);
	d = hwt_decoder_open(path, s.m, &cfg, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		ck_assert_int_lt(s.n, 256);
		slice_node_check(s.m, &nest, &ev);
		s.ev[s.n++] = ev;
	}
	ck_assert_int_eq(err, 0);
	hwt_decoder_close(d);
}

static void free_seen(void)
{
	hwt_model_free(s.m);
	s.m = NULL;
}

/* The name of the frame of a slice event. */
static const char *fname(const struct hwt_event *ev)
{
	const struct hwt_frame *f = hwt_model_frame(s.m, ev->slice.frame);

	ck_assert_ptr_nonnull(f);
	return hwt_model_str(s.m, f->name);
}

/* Thread @tid's slices and lost markers as text: "B main@100 E main@400! L5@500", where an end
 * names the frame it closes and '!' marks an unfinished one. */
static const char *timeline_of(uint32_t tid, int with_lost)
{
	static char text[4096];
	size_t len = 0;

	text[0] = 0;
	for (int i = 0; i < s.n; i++) {
		const struct hwt_event *ev = &s.ev[i];

		if (ev->tid != tid)
			continue;
		if (ev->type == HWT_EV_SLICE_BEGIN)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%sB %s@%llu",
						len ? " " : "", fname(ev),
						(unsigned long long)ev->ts);
		else if (ev->type == HWT_EV_SLICE_END)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%sE %s@%llu%s",
						len ? " " : "", fname(ev),
						(unsigned long long)ev->ts,
						ev->slice.flags & HWT_SLICE_UNFINISHED ? "!" : "");
		else if (ev->type == HWT_EV_LOST && with_lost)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "%sL%llu@%llu",
						len ? " " : "", (unsigned long long)ev->lost.count,
						(unsigned long long)ev->ts);
		ck_assert_uint_lt(len, sizeof(text));
	}
	return text;
}

static const char *timeline(uint32_t tid)
{
	return timeline_of(tid, 1);
}

/*
 * The standard scenario, records in time order:
 *   thread 0: main [100,900] > work [200,700] > { leaf [300,400], leaf [500,600] }
 *   thread 1: work [150,800] > { hwt::test() [250,350], 5 records lost, leaf [550,650] }
 */
static void standard_stream(void)
{
	uint32_t a = u_thread(PID, PID), b;

	enter(a, FN_MAIN, 100);
	b = u_thread(TID2, PID);
	enter(b, FN_WORK, 150);
	enter(a, FN_WORK, 200);
	enter(b, FN_TEST, 250);
	source_item(1000);
	enter(a, FN_LEAF, 300);
	leave(b, FN_TEST, 350);
	leave(a, FN_LEAF, 400);
	enter(a, FN_LEAF, 500);
	gap(b, 5);
	enter(b, FN_LEAF, 550);
	source_item(2000);
	leave(a, FN_LEAF, 600);
	leave(b, FN_LEAF, 650);
	leave(a, FN_WORK, 700);
	leave(b, FN_WORK, 800);
	leave(a, FN_MAIN, 900);
	source_item(3000);
}

START_TEST(inproc_decode_nested_two_threads)
{
	begin_file(NULL, NULL);
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B leaf@300 E leaf@400 "
					"B leaf@500 E leaf@600 E work@700 E main@900");
	ck_assert_str_eq(timeline(TID2), "B work@150 B hwt::test()@250 E hwt::test()@350 "
					 "L5@500 B leaf@550 E leaf@650 E work@800");
	for (int i = 1; i < s.n; i++)
		ck_assert_uint_le(s.ev[i - 1].ts, s.ev[i].ts);
	free_seen();
}
END_TEST

/* Recursion: each return closes the innermost call of its function. */
START_TEST(inproc_decode_recursion)
{
	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100);
	enter(a, FN_WORK, 200);
	enter(a, FN_WORK, 300);
	enter(a, FN_WORK, 400);
	leave(a, FN_WORK, 500);
	leave(a, FN_WORK, 600);
	enter(a, FN_WORK, 650);
	leave(a, FN_WORK, 660);
	leave(a, FN_WORK, 700);
	leave(a, FN_MAIN, 800);
	source_item(1000);
	end_file(0, 900, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B work@300 B work@400 E work@500 "
					"E work@600 B work@650 E work@660 E work@700 E main@800");
	free_seen();
}
END_TEST

/* longjmp or an exception: frames reported left (UNWOUND) end unfinished; a frame whose
 * return was not seen (a uprobe-traced one a longjmp skipped) ends unfinished when a frame
 * below it returns; a return whose entry was never seen (made before a fork, or lost) closes
 * nothing. */
START_TEST(inproc_decode_unwound_and_missing_returns)
{
	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100);
	enter(a, FN_WORK, 200);
	enter(a, FN_LEAF, 300);
	unwound(a, FN_LEAF, 400);
	unwound(a, FN_WORK, 400);
	enter(a, FN_WORK, 500);
	enter(a, FN_TEST, 550);
	leave(a, FN_WORK, 600); /* hwt::test()'s return never came */
	leave(a, FN_LEAF, 650); /* no leaf open */
	leave(a, FN_MAIN, 700);
	source_item(1000);
	end_file(0, 900, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B leaf@300 E leaf@400! "
					"E work@400! B work@500 B hwt::test()@550 "
					"E hwt::test()@600! E work@600 E main@700");
	free_seen();
}
END_TEST

/* Calls still open when the thread exits end unfinished then. */
START_TEST(inproc_decode_unfinished_at_exit)
{
	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100);
	enter(a, FN_WORK, 200);
	source_item(1000);
	end_file(0, 900, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 E work@900! E main@900!");
	free_seen();
}
END_TEST

/* -D 2: only the two outermost levels show; calls under them are counted out. */
START_TEST(inproc_decode_depth_filter)
{
	begin_file("2", NULL);
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline_of(PID, 0), "B main@100 B work@200 E work@700 E main@900");
	ck_assert_str_eq(timeline_of(TID2, 0), "B work@150 B hwt::test()@250 E hwt::test()@350 "
					       "B leaf@550 E leaf@650 E work@800");
	free_seen();
}
END_TEST

/* --min-duration 250: the leaves (100 ns) never show, their callers do. */
START_TEST(inproc_decode_min_duration_filter)
{
	begin_file(NULL, "250");
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline_of(PID, 0), "B main@100 B work@200 E work@700 E main@900");
	ck_assert_str_eq(timeline_of(TID2, 0), "B work@150 E work@800");
	free_seen();
}
END_TEST

/* An id no table names shows as "[function N]". */
START_TEST(inproc_decode_unknown_function)
{
	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, 77, 100);
	source_item(1000);
	enter(a, FN_WORK, 200);
	leave(a, FN_WORK, 300);
	leave(a, 77, 400);
	source_item(2000);
	end_file(0, 900, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B [function 77]@100 B work@200 E work@300 "
					"E [function 77]@400");
	free_seen();
}
END_TEST

/* A loss count past 32 bits is told exactly (a loss waits for its turn apart from the calls,
 * which wait inside the queue's items), and two threads give the very events one gives. */
START_TEST(inproc_decode_lost_count_wide)
{
	struct hwt_event one[256];
	size_t n1, n2;

	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100);
	enter(a, FN_WORK, 200);
	gap(a, 5000000000ull);
	source_item(1000);
	enter(a, FN_LEAF, 300);
	unwound(a, FN_LEAF, 400);
	leave(a, FN_WORK, 500);
	leave(a, FN_MAIN, 600);
	source_item(2000);
	end_file(0, 900, 0);
	decode_with(1, 0, &n1);
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 L5000000000@200 B leaf@300 "
					"E leaf@400! E work@500 E main@600");
	memcpy(one, s.ev, sizeof(one));
	free_seen();
	decode_with(2, 0, &n2);
	ck_assert_uint_eq(n2, n1);
	ck_assert_mem_eq(s.ev, one, n1 * sizeof(one[0]));
	free_seen();
}
END_TEST

/* Deep stacks, each level calling a leaf then going deeper, twice over: more (caller, callee)
 * pairs than the decoder keeps nodes of, each met again. Every slice gets the node the model
 * gives its frame under its caller (slice_node_check()), and two threads give the same events. */
START_TEST(inproc_decode_deep_stacks)
{
	enum { LEVELS = 4500, ROUNDS = 2 };
	uint64_t ts = 100;
	size_t n1, n2;

	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID);
	enter(a, FN_MAIN, ts++);
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < LEVELS; i++) {
			enter(a, FN_LEAF, ts++);
			leave(a, FN_LEAF, ts++);
			enter(a, i % 2 ? FN_WORK : FN_TEST, ts++);
			if (us.buf.len > sizeof(us.buf.b) - 256)
				source_item(ts);
		}
		for (int i = LEVELS - 1; i >= 0; i--) {
			leave(a, i % 2 ? FN_WORK : FN_TEST, ts++);
			if (us.buf.len > sizeof(us.buf.b) - 256)
				source_item(ts);
		}
	}
	leave(a, FN_MAIN, ts++);
	source_item(ts);
	end_file(0, ts + 10, 0);
	uint64_t h1 = decode_with(1, 1, &n1);
	ck_assert_uint_eq(n1, 2 + (size_t)ROUNDS * LEVELS * 4);
	free_seen();
	uint64_t h2 = decode_with(2, 1, &n2);
	ck_assert_uint_eq(n2, n1);
	ck_assert_uint_eq(h2, h1);
	free_seen();
}
END_TEST

/* One drain item holding each thread's calls after the other's, the second thread's earlier:
 * the records go back in time inside the item (a run ends, another starts) and runs span
 * segments. Events come out in time order, every call closed, and two threads give the same. */
START_TEST(inproc_decode_item_goes_back)
{
	enum { CALLS = 1100 };
	size_t n1, n2;

	begin_file(NULL, NULL);
	uint32_t a = u_thread(PID, PID), b = u_thread(TID2, PID);
	for (int round = 0; round < 3; round++) {
		uint64_t base = 1000 + (uint64_t)round * 10 * CALLS;
		for (uint32_t ti = 0; ti < 2; ti++) {
			/* Thread b's calls first in time, thread a's first in the item. */
			uint64_t ts = base + (ti == a ? 4 * CALLS : 0);
			for (int i = 0; i < CALLS; i++) {
				enter(ti == 0 ? a : b, FN_LEAF, ts++);
				leave(ti == 0 ? a : b, FN_LEAF, ts++);
				if (us.buf.len > sizeof(us.buf.b) - 64)
					source_item(base + 10 * CALLS - 1);
			}
		}
		source_item(base + 10 * CALLS - 1);
	}
	end_file(100000, 100001, 0);
	uint64_t h1 = decode_with(1, 1, &n1);
	ck_assert_uint_eq(n1, 3 * 2 * CALLS * 2);
	free_seen();
	uint64_t h2 = decode_with(2, 1, &n2);
	ck_assert_uint_eq(n2, n1);
	ck_assert_uint_eq(h2, h1);
	free_seen();
}
END_TEST

/* Checks thread @threads's decoding of the recording: every call is a slice of its own thread,
 * tid MANY_TID + k for the call at MANY_TS + 2 k; returns a digest of the events' bytes. */
enum { MANY = 2500, MANY_TID = 3000, MANY_TS = 100 };

static uint64_t decode_many(int threads)
{
	struct hwt_decoder_config cfg;
	struct hwt_event ev;
	uint64_t h = 1469598103934665603ull;
	char why[256];
	int err, begins = 0, ends = 0;

	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	cfg.threads = threads;
	struct hwt_model *m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	struct hwt_decoder *d = hwt_decoder_open(path, m, &cfg, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		const uint8_t *b = (const uint8_t *)&ev;
		for (size_t i = 0; i < sizeof(ev); i++)
			h = (h ^ b[i]) * 1099511628211ull;
		if (ev.type != HWT_EV_SLICE_BEGIN && ev.type != HWT_EV_SLICE_END)
			continue;
		uint64_t k = (ev.ts - MANY_TS) / 2;
		ck_assert_uint_lt(k, MANY);
		ck_assert_uint_eq(ev.tid, MANY_TID + k);
		ck_assert_uint_eq(ev.pid, PID);
		ck_assert_int_eq(ev.slice.flags & HWT_SLICE_UNFINISHED, 0);
		begins += ev.type == HWT_EV_SLICE_BEGIN;
		ends += ev.type == HWT_EV_SLICE_END;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(begins, MANY);
	ck_assert_int_eq(ends, MANY);
	hwt_decoder_close(d);
	hwt_model_free(m);
	return h;
}

/* Calls of thousands of threads: a queued call names its thread by the stream's index, whose
 * tid and pid lie in pages of 1024 threads (more than two here). Each call is its own thread's,
 * on one thread and on two. */
START_TEST(inproc_decode_many_threads)
{
	struct buf r = { .len = 0 };

	begin_file(NULL, NULL);
	for (uint32_t k = 0; k < MANY; k++) {
		task(&r, PERF_RECORD_FORK, PID, PID, MANY_TID + k, PID, 40);
		if (r.len > sizeof(r.b) - 128)
			ring_item(&r, 50);
	}
	if (r.len)
		ring_item(&r, 50);
	for (uint32_t k = 0; k < MANY; k++) {
		uint32_t ti = u_thread(MANY_TID + k, PID);
		enter(ti, FN_WORK, MANY_TS + 2 * (uint64_t)k);
		leave(ti, FN_WORK, MANY_TS + 2 * (uint64_t)k + 1);
		if (us.buf.len > sizeof(us.buf.b) - 64)
			source_item(MANY_TS + 2 * (uint64_t)k + 2);
	}
	source_item(MANY_TS + 2 * MANY);
	end_file(0, 0, 0);
	uint64_t h1 = decode_many(1);
	ck_assert_uint_eq(decode_many(2), h1);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("inproc_decode");
	TCase *tc = tcase_create("decode");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, inproc_decode_nested_two_threads);
	tcase_add_test(tc, inproc_decode_recursion);
	tcase_add_test(tc, inproc_decode_unwound_and_missing_returns);
	tcase_add_test(tc, inproc_decode_unfinished_at_exit);
	tcase_add_test(tc, inproc_decode_depth_filter);
	tcase_add_test(tc, inproc_decode_min_duration_filter);
	tcase_add_test(tc, inproc_decode_unknown_function);
	tcase_add_test(tc, inproc_decode_lost_count_wide);
	tcase_add_test(tc, inproc_decode_deep_stacks);
	tcase_add_test(tc, inproc_decode_item_goes_back);
	tcase_add_test(tc, inproc_decode_many_threads);
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

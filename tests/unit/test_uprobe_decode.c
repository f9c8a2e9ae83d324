/* Unit tests for the uprobe stream decoder (decoders/uprobe/uprobe_decode.c), driven through the
 * decoding driver on recordings written here chunk by chunk as the uprobe recorder writes them:
 * function tables, entry/return/gap records of two threads, and the perf side-band records. */
#include <check.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/records.h"
#include "core/format/uprobe_format.h"
#include "core/store.h"
#include "decoders/decode.h"
#include "slice_nodes.h"

#define PID  1000 /* the target; its main thread is thread index 0 of the stream */
#define TID2 1001 /* its second thread ("worker"), thread index 1 */
#define SB   7	  /* id of the side-band event */
#define SRC  1	  /* id of the uprobe stream */

/* Function ids of the table the recorder wrote. */
enum { FN_MAIN = 1, FN_WORK = 2, FN_TEST = 3, FN_LEAF = 4 };

/* Stack pointers at entry: each call 0x100 below its caller. */
#define A0 0x7ffff000ull     /* thread 0 */
#define B0 0x7f0000100000ull /* thread 1 */

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

/* The uprobe stream, encoded from uprobe_format.h. */
struct ustream {
	struct buf buf;
	uint64_t prev_ts;
	uint64_t sp[8];
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

static void u_record(uint32_t kind, uint32_t fid, uint32_t ti, uint64_t ts, uint64_t sp)
{
	varint((uint64_t)fid << UP_KIND_BITS | kind);
	varint(ti);
	varint(zigzag((int64_t)(ts - us.prev_ts)));
	varint(zigzag((int64_t)(sp - us.sp[ti])));
	us.prev_ts = ts;
	us.sp[ti] = sp;
}

/* Function @fid entered on thread @ti at @ts with the stack pointer at @sp. */
static void enter(uint32_t ti, uint32_t fid, uint64_t ts, uint64_t sp)
{
	u_record(UP_KIND_ENTRY, fid, ti, ts, sp);
}

/* The call entered with @sp returns: sp is one slot above. */
static void leave(uint32_t ti, uint32_t fid, uint64_t ts, uint64_t sp)
{
	u_record(UP_KIND_RETURN, fid, ti, ts, sp + 8);
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

/* The plugin chunk of the function table the recorder writes (core/format/uprobe_format.h). */
static void function_table(void)
{
	struct hwt_uprobe_table t = { 0 };
	uint32_t nl = 6;

	ck_assert_int_eq(hwt_uprobe_table_begin(&t, "/usr/bin/app"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 1, 0x1100, 32, 0, "main"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 2, 0x1200, 48, 1, "work"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 3, 0x1300, 16, 2, "_ZN3hwt4testEv"), 0);
	ck_assert_int_eq(hwt_uprobe_table_add(&t, 4, 0x1400, 8, 0, "leaf"), 0);

	struct iovec iov[3] = { { &nl, 4 }, { "uprobe", 6 }, { t.data, t.len } };

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
		.plugin = "uprobe",
	};
	struct hwt_source_desc sd = { .id = SRC };
	struct iovec iov[2] = { { &sd, sizeof(sd) }, { "uprobe", 7 } };
	struct buf r = { .len = 0 };
	int err, fd;

	snprintf(path, sizeof(path), "/tmp/hwt-test-uprobe-%d.hwt", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	w = hwt_store_writer_open(fd, NULL, &err);
	ck_assert_ptr_nonnull(w);
	meta("pid", "1000");
	if (depth)
		meta("uprobe.depth", depth);
	if (min_ns)
		meta("uprobe.min_duration_ns", min_ns);
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
	ck_assert_int_eq(hwt_model_set_redaction(s.m, 0, NULL), 0); /* paths as recorded */
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

static int count(enum hwt_event_type type, uint32_t tid)
{
	int n = 0;

	for (int i = 0; i < s.n; i++)
		n += s.ev[i].type == type && (!tid || s.ev[i].tid == tid);
	return n;
}

/*
 * The standard scenario, records in time order:
 *   thread 0: main [100,900] > work [200,700] > { leaf [300,400], leaf [500,600] }
 *   thread 1: work [150,800] > { hwt::test() [250,350], 5 records lost, leaf [550,650] }
 */
static void standard_stream(void)
{
	uint32_t a = u_thread(PID, PID), b;

	enter(a, FN_MAIN, 100, A0);
	b = u_thread(TID2, PID);
	enter(b, FN_WORK, 150, B0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	enter(b, FN_TEST, 250, B0 - 0x100);
	source_item(1000);
	enter(a, FN_LEAF, 300, A0 - 0x200);
	leave(b, FN_TEST, 350, B0 - 0x100);
	leave(a, FN_LEAF, 400, A0 - 0x200);
	enter(a, FN_LEAF, 500, A0 - 0x200);
	gap(b, 5);
	enter(b, FN_LEAF, 550, B0 - 0x100);
	source_item(2000);
	leave(a, FN_LEAF, 600, A0 - 0x200);
	leave(b, FN_LEAF, 650, B0 - 0x100);
	leave(a, FN_WORK, 700, A0 - 0x100);
	leave(b, FN_WORK, 800, B0);
	leave(a, FN_MAIN, 900, A0);
	source_item(3000);
}

START_TEST(uprobe_decode_nested_two_threads)
{
	begin_file(NULL, NULL);
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B leaf@300 E leaf@400 "
					"B leaf@500 E leaf@600 E work@700 E main@900");
	/* The loss shows at the last time known before the thread's next record. */
	ck_assert_str_eq(timeline(TID2), "B work@150 B hwt::test()@250 E hwt::test()@350 "
					 "L5@500 B leaf@550 E leaf@650 E work@800");
	/* Time order across threads, each thread announced before its first slice. */
	for (int i = 1; i < s.n; i++)
		ck_assert_uint_le(s.ev[i - 1].ts, s.ev[i].ts);
	for (int i = 0; i < s.n; i++) {
		if (s.ev[i].type != HWT_EV_SLICE_BEGIN)
			continue;
		int announced = 0;

		for (int k = 0; k < i; k++)
			announced |= s.ev[k].type == HWT_EV_THREAD && s.ev[k].tid == s.ev[i].tid;
		ck_assert(announced);
	}
	ck_assert_int_eq(count(HWT_EV_PROCESS_EXIT, PID), 1);
	free_seen();
}
END_TEST

/* Frames come from the table: names (demangled), addresses, the file's mapping. */
START_TEST(uprobe_decode_function_table)
{
	static const struct {
		const char *name;
		uint64_t addr;
	} want[] = { { "main", 0x1100 },
		     { "work", 0x1200 },
		     { "hwt::test()", 0x1300 },
		     { "leaf", 0x1400 } };
	int found = 0;

	begin_file(NULL, NULL);
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		for (int i = 0; i < s.n; i++) {
			const struct hwt_frame *f;
			const struct hwt_mapping *map;

			if (s.ev[i].type != HWT_EV_SLICE_BEGIN ||
			    strcmp(fname(&s.ev[i]), want[k].name))
				continue;
			f = hwt_model_frame(s.m, s.ev[i].slice.frame);
			ck_assert_uint_eq(f->addr, want[k].addr);
			ck_assert_uint_eq(f->kind, HWT_FRAME_USER);
			map = hwt_model_mapping(s.m, f->mapping);
			ck_assert_ptr_nonnull(map);
			ck_assert_str_eq(hwt_model_str(s.m, map->path), "/usr/bin/app");
			found++;
			break;
		}
	}
	ck_assert_int_eq(found, 4);
	free_seen();
}
END_TEST

/* Returns never seen (longjmp, exceptions): the stack pointer says which calls are over. */
START_TEST(uprobe_decode_missing_returns)
{
	uint32_t a;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	enter(a, FN_LEAF, 300, A0 - 0x200);
	/* longjmp back into main, which calls work again at the same stack slot */
	enter(a, FN_WORK, 400, A0 - 0x100);
	/* a return whose entry was lost, deeper than anything open: closes nothing */
	leave(a, FN_LEAF, 450, A0 - 0x300);
	enter(a, FN_LEAF, 500, A0 - 0x200);
	/* longjmp out of leaf and work straight to main's return */
	leave(a, FN_MAIN, 600, A0);
	source_item(1000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B leaf@300 E leaf@400! E work@400! "
					"B work@400 B leaf@500 E leaf@600! E work@600! E main@600");
	free_seen();
}
END_TEST

/* A tail call: the callee's entry has the caller's stack slot, and the caller is over. */
START_TEST(uprobe_decode_tail_call)
{
	uint32_t a;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	enter(a, FN_LEAF, 300, A0 - 0x100); /* work jumps to leaf */
	leave(a, FN_LEAF, 400, A0 - 0x100);
	leave(a, FN_MAIN, 500, A0);
	source_item(1000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID),
			 "B main@100 B work@200 E work@300! B leaf@300 E leaf@400 E main@500");
	free_seen();
}
END_TEST

/* The next entry of thread @ti is a tail call (the recorder saw the uretprobe trampoline). */
static void tail_mark(uint32_t ti)
{
	varint((uint64_t)UP_GAP_TAIL << UP_KIND_BITS | UP_KIND_GAP);
	varint(ti);
	varint(0);
}

/* Tail calls the recorder marked: work jumps to test, which jumps to leaf; each nests in the
 * one that jumped, and the returns the kernel delivers for all three at the shared return close
 * them innermost first, none unfinished. An unmarked entry at the same slot still ends the call
 * there (uprobe_decode_tail_call). */
START_TEST(uprobe_decode_tail_call_marked)
{
	uint32_t a;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	tail_mark(a);
	enter(a, FN_TEST, 300, A0 - 0x100);
	enter(a, FN_LEAF, 310, A0 - 0x200); /* a real call from test */
	leave(a, FN_LEAF, 320, A0 - 0x200);
	tail_mark(a);
	enter(a, FN_LEAF, 330, A0 - 0x100);
	leave(a, FN_LEAF, 400, A0 - 0x100);
	leave(a, FN_TEST, 400, A0 - 0x100);
	leave(a, FN_WORK, 400, A0 - 0x100);
	enter(a, FN_WORK, 450, A0 - 0x100); /* main calls work again: not nested */
	leave(a, FN_WORK, 460, A0 - 0x100);
	leave(a, FN_MAIN, 500, A0);
	source_item(1000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B hwt::test()@300 B leaf@310 "
					"E leaf@320 B leaf@330 E leaf@400 E hwt::test()@400 "
					"E work@400 B work@450 E work@460 E main@500");
	ck_assert_int_eq(count(HWT_EV_LOST, PID), 0);
	free_seen();
}
END_TEST

/* Returns caught at ret instructions (programs that throw): work's tail jump to a traced
 * function is marked, no return comes for work; it ends with leaf, finished, whatever record
 * comes next (here main calling work again, then the end of the recording). */
START_TEST(uprobe_decode_tail_call_ret_sites)
{
	uint32_t a;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	tail_mark(a);
	enter(a, FN_LEAF, 300, A0 - 0x100);
	leave(a, FN_LEAF, 400, A0 - 0x100);
	enter(a, FN_WORK, 450, A0 - 0x100);
	tail_mark(a);
	enter(a, FN_LEAF, 460, A0 - 0x100);
	leave(a, FN_LEAF, 470, A0 - 0x100);
	source_item(1000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 B leaf@300 E leaf@400 E work@400 "
					"B work@450 B leaf@460 E leaf@470 E work@470 E main@1000!");
	free_seen();
}
END_TEST

/* Calls open when a thread exits end at its exit; when the recording ends, at its end. */
START_TEST(uprobe_decode_unfinished_at_exit)
{
	uint32_t a, b;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	b = u_thread(TID2, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(b, FN_WORK, 150, B0);
	enter(b, FN_LEAF, 250, B0 - 0x100);
	source_item(1000);
	end_file(700, 900, 0);
	decode_all();
	ck_assert_str_eq(timeline(TID2), "B work@150 B leaf@250 E leaf@700! E work@700!");
	ck_assert_str_eq(timeline(PID), "B main@100 E main@900!");
	free_seen();
}
END_TEST

/* A recording cut short (no exits, no END): what is open ends at the last record seen. */
START_TEST(uprobe_decode_truncated)
{
	uint32_t a;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	enter(a, FN_WORK, 200, A0 - 0x100);
	leave(a, FN_WORK, 300, A0 - 0x100);
	enter(a, FN_LEAF, 400, A0 - 0x100);
	source_item(1000);
	end_file(0, 0, 1);
	decode_all();
	ck_assert_str_eq(timeline(PID),
			 "B main@100 B work@200 E work@300 B leaf@400 E leaf@400! E main@400!");
	free_seen();
}
END_TEST

/* A function id the table does not have, and a thread outside the traced process tree. */
START_TEST(uprobe_decode_unknown_function_and_thread)
{
	uint32_t a, x;
	const struct hwt_frame *f = NULL;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	x = u_thread(4242, 4242); /* another process running the same file */
	enter(a, 99, 100, A0);
	enter(x, FN_MAIN, 150, B0);
	leave(a, 99, 200, A0);
	leave(x, FN_MAIN, 250, B0);
	source_item(1000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B [function 99]@100 E [function 99]@200");
	for (int i = 0; i < s.n; i++) {
		ck_assert_uint_ne(s.ev[i].tid, 4242);
		ck_assert_uint_ne(s.ev[i].pid, 4242);
		if (s.ev[i].type == HWT_EV_SLICE_BEGIN)
			f = hwt_model_frame(s.m, s.ev[i].slice.frame);
	}
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->kind, HWT_FRAME_UNKNOWN);
	free_seen();
}
END_TEST

/* The recorder's depth filter: calls deeper than it never show; the rest are whole. */
START_TEST(uprobe_decode_depth_filter)
{
	begin_file("2", NULL);
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 E work@700 E main@900");
	ck_assert_str_eq(timeline(TID2), "B work@150 B hwt::test()@250 E hwt::test()@350 "
					 "L5@500 B leaf@550 E leaf@650 E work@800");
	free_seen();
}
END_TEST

/* The recorder's duration filter: calls shorter than it never show; a longer one shows with
 * every caller, each at its own start. */
START_TEST(uprobe_decode_min_duration_filter)
{
	begin_file(NULL, "150");
	standard_stream();
	end_file(950, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 E work@700 E main@900");
	ck_assert_str_eq(timeline_of(TID2, 0), "B work@150 E work@800");
	ck_assert_int_eq(count(HWT_EV_LOST, TID2), 1);
	free_seen();
}
END_TEST

/* A record naming a thread index never declared: the rest of its item is dropped, the items
 * before and after are decoded. */
START_TEST(uprobe_decode_damaged_item)
{
	uint32_t a;
	struct ustream keep;

	begin_file(NULL, NULL);
	a = u_thread(PID, PID);
	enter(a, FN_MAIN, 100, A0);
	source_item(1000);
	enter(a, FN_WORK, 200, A0 - 0x100);
	varint(FN_LEAF << UP_KIND_BITS | UP_KIND_ENTRY);
	varint(9); /* no thread 9 */
	varint(zigzag(10));
	varint(0);
	/* A good record after it, dropped with it: the deltas that follow do not count it. */
	keep = us;
	enter(a, FN_LEAF, 250, A0 - 0x200);
	keep.buf = us.buf;
	us = keep;
	source_item(2000);
	leave(a, FN_WORK, 300, A0 - 0x100);
	leave(a, FN_MAIN, 500, A0);
	varint(FN_MAIN << UP_KIND_BITS | UP_KIND_ENTRY);
	varint(a);
	put(&us.buf, "\x80", 1); /* a varint cut short at the end of the item */
	source_item(3000);
	end_file(0, 1000, 0);
	decode_all();
	ck_assert_str_eq(timeline(PID), "B main@100 B work@200 E work@300 E main@500");
	free_seen();
}
END_TEST

static Suite *uprobe_decode_suite(void)
{
	Suite *su = suite_create("uprobe_decode");
	TCase *tc = tcase_create("uprobe_decode");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, uprobe_decode_nested_two_threads);
	tcase_add_test(tc, uprobe_decode_function_table);
	tcase_add_test(tc, uprobe_decode_missing_returns);
	tcase_add_test(tc, uprobe_decode_tail_call);
	tcase_add_test(tc, uprobe_decode_tail_call_marked);
	tcase_add_test(tc, uprobe_decode_tail_call_ret_sites);
	tcase_add_test(tc, uprobe_decode_unfinished_at_exit);
	tcase_add_test(tc, uprobe_decode_truncated);
	tcase_add_test(tc, uprobe_decode_unknown_function_and_thread);
	tcase_add_test(tc, uprobe_decode_depth_filter);
	tcase_add_test(tc, uprobe_decode_min_duration_filter);
	tcase_add_test(tc, uprobe_decode_damaged_item);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(uprobe_decode_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

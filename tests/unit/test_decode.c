/* Unit tests for the perf-record decoder on recordings synthesized record by record: ordering
 * across rings, thread and process lifecycle, counter deltas, losses, the end of the target. */
#include <check.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/records.h"
#include "core/store.h"
#include "decoders/decode.h"

#define LEAD   100
#define MEMBER 101
#define PID    1000
#define TID2   1001

static char path[64];
static struct hwt_store_writer *w;

/* A growable buffer of perf records for one ring item. */
struct recs {
	uint8_t buf[8192];
	size_t len;
};

static void put(struct recs *r, const void *p, size_t n)
{
	ck_assert_uint_le(r->len + n, sizeof(r->buf));
	memcpy(r->buf + r->len, p, n);
	r->len += n;
}

static void put64(struct recs *r, uint64_t v)
{
	put(r, &v, 8);
}

static void header(struct recs *r, uint32_t type, uint16_t misc, uint16_t size)
{
	struct perf_event_header h = { .type = type, .misc = misc, .size = size };
	put(r, &h, sizeof(h));
}

/* sample_id trailer: TID, TIME, CPU, IDENTIFIER. */
static void trailer(struct recs *r, uint32_t pid, uint32_t tid, uint64_t time)
{
	put64(r, pid | (uint64_t)tid << 32);
	put64(r, time);
	put64(r, 0);
	put64(r, LEAD);
}

static void comm(struct recs *r, uint32_t pid, uint32_t tid, const char *name, int exec,
		 uint64_t time)
{
	char c[16] = { 0 };
	snprintf(c, sizeof(c), "%s", name);
	header(r, PERF_RECORD_COMM, exec ? PERF_RECORD_MISC_COMM_EXEC : 0, 8 + 8 + 16 + 32);
	uint32_t pt[2] = { pid, tid };
	put(r, pt, 8);
	put(r, c, 16);
	trailer(r, pid, tid, time);
}

static void task(struct recs *r, uint32_t type, uint32_t pid, uint32_t ppid, uint32_t tid,
		 uint32_t ptid, uint64_t time)
{
	header(r, type, 0, 8 + 16 + 8 + 32);
	uint32_t pt[4] = { pid, ppid, tid, ptid };
	put(r, pt, 16);
	put64(r, time);
	trailer(r, pid, tid, time);
}

/* A sample of LEAD: IDENTIFIER IP TID TIME CPU PERIOD READ(group of 2) CALLCHAIN(2 user ips). */
static void sample(struct recs *r, uint32_t pid, uint32_t tid, uint64_t time, uint64_t faults,
		   uint64_t ip)
{
	header(r, PERF_RECORD_SAMPLE, PERF_RECORD_MISC_USER, 8 + 8 * 6 + 8 * 7 + 8 * 4);
	put64(r, LEAD);
	put64(r, ip);
	put64(r, pid | (uint64_t)tid << 32);
	put64(r, time);
	put64(r, 0);
	put64(r, 250000);
	put64(r, 2); /* nr, then value id lost for each */
	put64(r, time);
	put64(r, LEAD);
	put64(r, 0);
	put64(r, faults);
	put64(r, MEMBER);
	put64(r, 0);
	put64(r, 3); /* callchain: user context, ip, caller */
	put64(r, PERF_CONTEXT_USER);
	put64(r, ip);
	put64(r, 0x401001);
}

static void lost(struct recs *r, uint64_t n, uint64_t time)
{
	header(r, PERF_RECORD_LOST, 0, 8 + 16 + 32);
	put64(r, LEAD);
	put64(r, n);
	trailer(r, PID, PID, time);
}

static void ring_item(struct recs *r, int cpu, uint64_t round)
{
	struct hwt_stream_item it = {
		.ts = round,
		.cpu = cpu,
		.kind = HWT_ITEM_RING,
		.len = (uint32_t)r->len,
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { r->buf, r->len } };
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 2), 0);
	/* One chunk per item: the decoder must order records it has not all seen at once. */
	ck_assert_int_eq(hwt_store_flush(w, 1), 0);
	r->len = 0;
}

static void read_item(int cpu, uint64_t round, uint64_t time_ns, uint64_t faults)
{
	uint64_t v[7] = { 2, time_ns, LEAD, 0, faults, MEMBER, 0 };
	struct hwt_stream_item it = {
		.ts = round,
		.id = LEAD,
		.cpu = cpu,
		.kind = HWT_ITEM_READ,
		.len = sizeof(v),
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { v, sizeof(v) } };
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 2), 0);
}

static void begin_file(void)
{
	int err, fd;
	snprintf(path, sizeof(path), "/tmp/hwt-test-decode-%d.hwt", (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	w = hwt_store_writer_open(fd, NULL, &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_META,
					 "pid\0"
					 "1000",
					 9),
			 0);
	struct hwt_event_desc d[2] = {
		{ .id = LEAD,
		  .leader_id = LEAD,
		  .type = PERF_TYPE_SOFTWARE,
		  .config = PERF_COUNT_SW_CPU_CLOCK,
		  .sample_period = 4000,
		  .flags = HWT_DESC_FREQ,
		  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
				 PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
				 PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN,
		  .read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST,
		  .name = "cpu-clock" },
		{ .id = MEMBER,
		  .leader_id = LEAD,
		  .type = PERF_TYPE_SOFTWARE,
		  .config = PERF_COUNT_SW_PAGE_FAULTS,
		  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
				 PERF_SAMPLE_CPU,
		  .read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST,
		  .name = "page-faults" },
	};
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_EVENTS, d, sizeof(d)), 0);
}

static void end_file(int with_end, int signal)
{
	if (with_end) {
		struct hwt_end_rec e = { .ts = 99000,
					 .pid = PID,
					 .exit_status = -1,
					 .signal = signal,
					 .samples = 4,
					 .lost = 3 };
		ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, &e, sizeof(e)), 0);
	}
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
}

/* The standard scenario: two rings, a thread created, samples out of order across rings. */
static void write_scenario(int with_end)
{
	struct recs r = { .len = 0 };
	begin_file();
	comm(&r, PID, PID, "prog", 1, 10);
	task(&r, PERF_RECORD_FORK, PID, PID, TID2, PID, 20);
	sample(&r, PID, PID, 40, 5, 0x401100);
	ring_item(&r, 0, 1000);
	/* CPU 1's ring drained after CPU 0's in the same round, with earlier samples. */
	sample(&r, PID, TID2, 30, 100, 0x401200);
	comm(&r, PID, TID2, "worker", 0, 35);
	ring_item(&r, 1, 1000);
	read_item(0, 1000, 500, 7);
	read_item(1, 1000, 300, 100);
	sample(&r, PID, PID, 1500, 12, 0x401100);
	lost(&r, 3, 1600);
	task(&r, PERF_RECORD_EXIT, PID, PID, TID2, PID, 1700);
	task(&r, PERF_RECORD_EXIT, PID, PID, PID, PID, 1800);
	ring_item(&r, 0, 2000);
	read_item(0, 2000, 900, 12); /* read after the exit: shown at the exit */
	read_item(1, 2000, 400, 100);
	end_file(with_end, 11);
}

struct seen {
	struct hwt_event ev[64];
	uint64_t w[64][3];
	int n;
	struct hwt_model *m;
	const struct hwt_store_status *st;
	struct hwt_decode_stats stats;
};

static int decode_threads = 1; /* hwt_decoder_config.threads of decode_all() */

static void decode_all(struct seen *s)
{
	struct hwt_decoder_config cfg;
	char why[256];
	int err;
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	cfg.threads = decode_threads;
	memset(s, 0, sizeof(*s));
	s->m = hwt_model_alloc();
	struct hwt_decoder *d = hwt_decoder_open(path, s->m, &cfg, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	struct hwt_event ev;
	while ((err = hwt_decoder_next(d, &ev)) > 0) {
		ck_assert_int_lt(s->n, 64);
		if (ev.type == HWT_EV_SAMPLE)
			memcpy(s->w[s->n], ev.sample.weights, sizeof(s->w[0]));
		s->ev[s->n++] = ev;
	}
	ck_assert_int_eq(err, 0);
	s->stats = *hwt_decoder_stats(d);
	static struct hwt_store_status st;
	st = *hwt_decoder_store_status(d);
	s->st = &st;
	hwt_decoder_close(d);
}

static int find(const struct seen *s, enum hwt_event_type type, uint32_t tid, int nth)
{
	for (int i = 0; i < s->n; i++)
		if (s->ev[i].type == type && (!tid || s->ev[i].tid == tid) && nth-- == 0)
			return i;
	return -1;
}

static void teardown(void)
{
	unlink(path);
}

START_TEST(decode_orders_across_rings)
{
	struct seen s;
	write_scenario(1);
	decode_all(&s);
	for (int i = 1; i < s.n; i++)
		ck_assert_uint_le(s.ev[i - 1].ts, s.ev[i].ts);
	/* The sample at 30 (ring 1) comes out before the one at 40 (ring 0). */
	int a = find(&s, HWT_EV_SAMPLE, 0, 0), b = find(&s, HWT_EV_SAMPLE, 0, 1);
	ck_assert_uint_eq(s.ev[a].ts, 30);
	ck_assert_uint_eq(s.ev[a].tid, TID2);
	ck_assert_uint_eq(s.ev[b].ts, 40);
	ck_assert_int_eq(s.stats.samples, 3);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_lifecycle)
{
	struct seen s;
	write_scenario(1);
	decode_all(&s);
	int p = find(&s, HWT_EV_PROCESS, PID, 0);
	ck_assert_int_ge(p, 0);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[p].proc.name), "prog");
	/* The thread is announced at its fork with the process' name, renamed by its COMM. */
	int t = find(&s, HWT_EV_THREAD, TID2, 0);
	ck_assert_int_ge(t, 0);
	ck_assert_uint_eq(s.ev[t].pid, PID);
	ck_assert_uint_eq(s.ev[t].thread.parent_tid, PID);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[t].thread.name), "prog");
	int t2 = find(&s, HWT_EV_THREAD, TID2, 1);
	ck_assert_int_gt(t2, t);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[t2].thread.name), "worker");
	/* Every event of a thread comes after its announcement. */
	ck_assert_int_lt(t, find(&s, HWT_EV_SAMPLE, TID2, 0));
	ck_assert_int_ge(find(&s, HWT_EV_THREAD_EXIT, TID2, 0), 0);
	/* The target's end carries the signal from the end chunk, at its EXIT record's time. */
	int e = find(&s, HWT_EV_PROCESS_EXIT, PID, 0);
	ck_assert_int_ge(e, 0);
	ck_assert_int_eq(s.ev[e].exit.signal, 11);
	ck_assert_uint_eq(s.ev[e].ts, 1800);
	ck_assert_int_eq(find(&s, HWT_EV_PROCESS_EXIT, PID, 1), -1);
	hwt_model_free(s.m);
}
END_TEST

/* A child forked while the recording started, whose FORK no event wrote (attaching opens the
 * parent's events CPU by CPU): its first sample announces it as "[PID]", its EXIT, naming its
 * parent, gives it the parent's name and parent; a thread of that child takes the process's
 * name only once it has one. */
START_TEST(decode_unforked_child_named_at_exit)
{
	struct recs r = { .len = 0 };
	struct seen s;
	const uint32_t child = 1002, child_thread = 1003;

	begin_file();
	comm(&r, PID, PID, "prog", 0, 10);
	sample(&r, child, child, 40, 1, 0x401100);
	sample(&r, child, child_thread, 45, 1, 0x401100);
	task(&r, PERF_RECORD_EXIT, child, PID, child, PID, 60);
	ring_item(&r, 0, 1000);
	end_file(1, 0);
	decode_all(&s);
	int p0 = find(&s, HWT_EV_PROCESS, child, 0), p1 = find(&s, HWT_EV_PROCESS, child, 1);
	ck_assert_int_ge(p0, 0);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[p0].proc.name), "[1002]");
	ck_assert_int_lt(p0, find(&s, HWT_EV_SAMPLE, child, 0));
	ck_assert_str_eq(
		hwt_model_str(s.m, s.ev[find(&s, HWT_EV_THREAD, child_thread, 0)].thread.name),
		"[1002]");
	ck_assert_int_gt(p1, p0);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[p1].proc.name), "prog");
	ck_assert_uint_eq(s.ev[p1].proc.parent_pid, PID);
	ck_assert_uint_eq(s.ev[p1].ts, 60);
	ck_assert_str_eq(hwt_model_str(s.m, s.ev[find(&s, HWT_EV_THREAD, child, 1)].thread.name),
			 "prog");
	ck_assert_int_eq(find(&s, HWT_EV_PROCESS, child, 2), -1);
	/* The parent, named by its COMM, is never renamed. */
	ck_assert_int_eq(find(&s, HWT_EV_PROCESS, PID, 1), -1);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_counter_deltas)
{
	struct seen s;
	write_scenario(1);
	decode_all(&s);
	ck_assert_uint_eq(hwt_model_nweights(s.m), 3);
	ck_assert_str_eq(hwt_model_str(s.m, hwt_model_weight(s.m, 0)->name), "samples");
	ck_assert_str_eq(hwt_model_str(s.m, hwt_model_weight(s.m, 1)->name), "cpu-time");
	ck_assert_str_eq(hwt_model_str(s.m, hwt_model_weight(s.m, 2)->name), "page-faults");
	/* Main thread: 5 faults by its first sample, 12 by its second: weights 5 then 7. */
	int a = find(&s, HWT_EV_SAMPLE, PID, 0), b = find(&s, HWT_EV_SAMPLE, PID, 1);
	ck_assert_uint_eq(s.w[a][0], 1);
	ck_assert_uint_eq(s.w[a][1], 250000);
	ck_assert_uint_eq(s.w[a][2], 5);
	ck_assert_uint_eq(s.w[b][2], 7);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_counter_tracks_sum_cpus)
{
	struct seen s;
	write_scenario(1);
	decode_all(&s);
	/* Round 1000: two counters (cpu-clock, page-faults), each summed over both CPUs. */
	double want[2][2] = { { 800, 107 }, { 1300, 112 } };
	uint64_t want_ts[2] = { 1000, 1800 };
	for (int round = 0; round < 2; round++) {
		for (int k = 0; k < 2; k++) {
			int i = find(&s, HWT_EV_COUNTER, 0, round * 2 + k);
			ck_assert_int_ge(i, 0);
			const struct hwt_track *t = hwt_model_track(s.m, s.ev[i].counter.track);
			ck_assert_str_eq(hwt_model_str(s.m, t->name),
					 k ? "page-faults" : "cpu-clock");
			ck_assert_uint_eq(t->pid, PID);
			ck_assert(s.ev[i].counter.value == want[round][k]);
			ck_assert_uint_eq(s.ev[i].ts, want_ts[round]);
		}
	}
	ck_assert_int_eq(find(&s, HWT_EV_COUNTER, 0, 4), -1);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_lost_marked)
{
	struct seen s;
	write_scenario(1);
	decode_all(&s);
	int l = find(&s, HWT_EV_LOST, 0, 0);
	ck_assert_int_ge(l, 0);
	ck_assert_uint_eq(s.ev[l].lost.count, 3);
	ck_assert_uint_eq(s.ev[l].ts, 1600);
	ck_assert_uint_eq(s.stats.lost_records, 3);
	ck_assert_int_eq(s.stats.have_end, 1);
	ck_assert_uint_eq(s.stats.end.lost, 3);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_truncated_keeps_events)
{
	struct seen s;
	write_scenario(0);
	decode_all(&s);
	ck_assert_int_eq(s.st->complete, 0);
	ck_assert_int_eq(s.st->error, HWT_E_TRUNCATED);
	ck_assert_int_eq(s.stats.samples, 3);
	ck_assert_int_eq(s.stats.have_end, 0);
	ck_assert_int_eq(find(&s, HWT_EV_PROCESS_EXIT, PID, 0), -1);
	hwt_model_free(s.m);
}
END_TEST

START_TEST(decode_damaged_records_skipped)
{
	struct recs r = { .len = 0 };
	begin_file();
	comm(&r, PID, PID, "prog", 1, 10);
	/* A sample of an unknown event id, and one cut short: both skipped. */
	header(&r, PERF_RECORD_SAMPLE, 0, 16);
	put64(&r, 4242);
	header(&r, PERF_RECORD_SAMPLE, 0, 16);
	put64(&r, LEAD);
	sample(&r, PID, PID, 40, 5, 0x401100);
	/* A record claiming more bytes than the item has: the rest of the item is dropped. */
	header(&r, 77, 0, 4000);
	ring_item(&r, 0, 1000);
	end_file(1, 0);
	struct seen s;
	decode_all(&s);
	ck_assert_int_eq(s.stats.samples, 1);
	ck_assert_int_ge(find(&s, HWT_EV_SAMPLE, PID, 0), 0);
	hwt_model_free(s.m);
}
END_TEST

/* The reader thread (threads 2) gives the events one thread gives, in the same order, for every
 * scenario: with and without its end chunk. */
START_TEST(hwt_decoder_open_threads_same)
{
	struct seen one, two;

	write_scenario(_i);
	decode_threads = 1;
	decode_all(&one);
	decode_threads = 2;
	decode_all(&two);
	decode_threads = 1;
	ck_assert_int_gt(one.n, 10);
	ck_assert_int_eq(one.n, two.n);
	for (int i = 0; i < one.n; i++) {
		if (one.ev[i].type == HWT_EV_SAMPLE) { /* the weights point into each decoder */
			ck_assert_mem_eq(one.w[i], two.w[i], sizeof(one.w[i]));
			two.ev[i].sample.weights = one.ev[i].sample.weights;
		}
		ck_assert_mem_eq(&one.ev[i], &two.ev[i], sizeof(one.ev[i]));
	}
	/* The threads' times are the reader thread's alone; the rest is the same. */
	ck_assert_uint_eq(one.stats.reader_cpu_ns, 0);
	ck_assert_uint_gt(two.stats.reader_cpu_ns, 0);
	two.stats.reader_cpu_ns = two.stats.reader_wait_ns = two.stats.main_wait_ns = 0;
	ck_assert_mem_eq(&one.stats, &two.stats, sizeof(one.stats));
	hwt_model_free(one.m);
	hwt_model_free(two.m);
}
END_TEST

/* How far decoding got: all of the file at the end; nothing known of no decoder. */
START_TEST(hwt_decoder_progress_to_end)
{
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_event ev;
	char why[256];
	uint64_t done = 1, size = 1;
	int err;

	hwt_decoder_progress(NULL, &done, &size);
	ck_assert_uint_eq(done, 0);
	ck_assert_uint_eq(size, 0);
	write_scenario(1);
	struct hwt_decoder *d = hwt_decoder_open(path, m, NULL, &err, why, sizeof(why));
	ck_assert_msg(d != NULL, "%s", why);
	hwt_decoder_progress(d, &done, &size);
	ck_assert_uint_gt(size, 0);
	ck_assert_uint_le(done, size);
	while ((err = hwt_decoder_next(d, &ev)) > 0)
		;
	ck_assert_int_eq(err, 0);
	hwt_decoder_progress(d, &done, &size);
	ck_assert_uint_eq(done, size);
	hwt_decoder_close(d);
	hwt_model_free(m);
}
END_TEST

START_TEST(decode_open_errors)
{
	struct hwt_model *m = hwt_model_alloc();
	char why[256] = "";
	int err = 0;
	ck_assert_ptr_null(hwt_decoder_open("/nonexistent/x.hwt", m, NULL, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_NOENT);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/x.hwt"));
	ck_assert_ptr_null(hwt_decoder_open("/proc/self/status", m, NULL, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_BADFILE);
	ck_assert_ptr_nonnull(strstr(why, "not an hwtrace recording"));
	hwt_decoder_close(NULL);
	hwt_model_free(m);
}
END_TEST

static Suite *decode_suite(void)
{
	Suite *s = suite_create("decode");
	TCase *tc = tcase_create("decode");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, decode_orders_across_rings);
	tcase_add_test(tc, decode_lifecycle);
	tcase_add_test(tc, decode_unforked_child_named_at_exit);
	tcase_add_test(tc, decode_counter_deltas);
	tcase_add_test(tc, decode_counter_tracks_sum_cpus);
	tcase_add_test(tc, decode_lost_marked);
	tcase_add_test(tc, decode_truncated_keeps_events);
	tcase_add_test(tc, decode_damaged_records_skipped);
	tcase_add_test(tc, decode_open_errors);
	tcase_add_loop_test(tc, hwt_decoder_open_threads_same, 0, 2);
	tcase_add_test(tc, hwt_decoder_progress_to_end);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(decode_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

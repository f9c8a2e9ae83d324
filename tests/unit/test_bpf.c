/* Unit tests for BPF uprobes (core/bpf.c): probes on this test program's own functions, called a
 * known number of times from one and from several threads, read back from the ring buffer. */
#include <check.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugins/uprobe/uprobe_bpf.h"
#include "hwtrace/error.h"

#define ID_A	  11u
#define ID_B	  22u
#define ID_REC	  33u
#define NCALLS	  1000
#define NTHREADS  3
#define REC_DEPTH 10
#define MAX_RECS  65536

/* The traced functions: kept out of line and opaque to the optimizer. */
__attribute__((noinline, noipa)) int tfn_a(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

__attribute__((noinline, noipa)) int tfn_b(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x * 3;
}

/* Called through a volatile pointer, so the compiler cannot turn the recursion into a loop. */
static int (*volatile rec_next)(int);

__attribute__((noinline, noipa)) int tfn_rec(int depth)
{
	if (depth <= 1)
		return 1;
	return rec_next(depth - 1) + 1;
}

/* Returns its stack pointer at entry, where the return address is: what the probe must see. */
__asm__(".text\n"
	".globl tfn_sp\n.type tfn_sp, @function\n"
	"tfn_sp:\n\tmov %rsp, %rax\n\tret\n"
	".size tfn_sp, .-tfn_sp\n");
uint64_t tfn_sp(void);

static struct hwt_bpf_uprobes *u;
static char why[512];
static char self_path[4096];
static struct hwt_uprobe_rec recs[MAX_RECS];
static int nrecs;

/* File offset of @fn in this program, from /proc/self/maps (vaddr - map start + map offset). */
static uint64_t self_offset(const void *fn)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uint64_t a = (uint64_t)(uintptr_t)fn, off = 0;
	char line[4096 + 128];
	int found = 0;

	ck_assert_ptr_nonnull(f);
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff, &pos) < 3 ||
		    !pos || a < start || a >= end)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(self_path, sizeof(self_path), "%s", line + pos);
		off = a - start + pgoff;
		found = 1;
	}
	fclose(f);
	ck_assert_msg(found && self_path[0] == '/', "no file mapping holds %p", fn);
	return off;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Keeps this process' records (every process mapping this file is probed). */
static int collect(const struct hwt_uprobe_rec *r, void *ctx)
{
	(void)ctx;
	if (r->pid != (uint32_t)getpid())
		return 0;
	ck_assert_int_lt(nrecs, MAX_RECS);
	recs[nrecs++] = *r;
	return 0;
}

static void consume_all(void)
{
	int n = hwt_bpf_uprobes_consume(u, collect, NULL);

	ck_assert_int_ge(n, 0);
}

static void open_ring(size_t bytes)
{
	int err = 0;

	u = hwt_bpf_uprobes_open(bytes, &err, why, sizeof(why));
	ck_assert_msg(u != NULL, "hwt_bpf_uprobes_open: %s (%s)", why, hwt_errstr(err));
	ck_assert_int_eq(err, 0);
}

static void attach(const void *fn, uint32_t id, int entries, int returns)
{
	uint64_t off = self_offset(fn);
	int rc = hwt_bpf_uprobes_attach(u, self_path, entries ? &off : NULL, returns ? &off : NULL,
					&id, 1, why, sizeof(why));

	ck_assert_msg(rc == entries + returns, "attach %s+%#llx: %d %s", self_path,
		      (unsigned long long)off, rc, why);
}

static void setup(void)
{
	u = NULL;
	nrecs = 0;
	rec_next = tfn_rec;
}

static void teardown(void)
{
	hwt_bpf_uprobes_close(u);
	u = NULL;
}

/* Checks the records of thread @tid: seq contiguous from 1, ts non-decreasing and inside
 * [t0, t1], entries and returns nest with return sp == entry sp + 8 and the same id. Returns the
 * number of entries seen for @id (and checks the returns match). */
static int check_thread(uint32_t tid, uint32_t id, uint64_t t0, uint64_t t1)
{
	uint64_t sp_stack[64];
	uint32_t id_stack[64];
	uint32_t want_seq = 1;
	uint64_t last_ts = 0;
	int depth = 0, entries = 0, returns = 0;

	for (int i = 0; i < nrecs; i++) {
		const struct hwt_uprobe_rec *r = &recs[i];

		if (r->tid != tid)
			continue;
		ck_assert_uint_eq(r->pid, (uint32_t)getpid());
		ck_assert_uint_eq(r->seq, want_seq);
		want_seq++;
		ck_assert_uint_ge(r->ts, last_ts);
		ck_assert_uint_ge(r->ts, t0);
		ck_assert_uint_le(r->ts, t1);
		last_ts = r->ts;
		if (!(r->flags & HWT_UPROBE_RETURN)) {
			ck_assert_uint_eq(r->flags, 0);
			ck_assert_uint_ne(r->ret_lo, 0); /* a return address is there */
			ck_assert_int_lt(depth, 64);
			sp_stack[depth] = r->sp;
			id_stack[depth++] = r->cookie;
			entries += r->cookie == id;
		} else {
			ck_assert_uint_eq(r->flags, HWT_UPROBE_RETURN);
			ck_assert_int_gt(depth, 0);
			depth--;
			ck_assert_uint_eq(r->cookie, id_stack[depth]);
			ck_assert_uint_eq(r->sp, sp_stack[depth] + 8);
			returns += r->cookie == id;
		}
	}
	ck_assert_int_eq(depth, 0);
	ck_assert_int_eq(entries, returns);
	return entries;
}

START_TEST(bpf_probe_here)
{
	int ok = hwt_bpf_uprobes_probe(why, sizeof(why));

	ck_assert_msg(ok == 1, "BPF uprobes do not work here: %s", why);
	ck_assert_str_eq(why, "");
	ck_assert_int_eq(hwt_bpf_uprobes_probe(NULL, 0), 1);
}
END_TEST

START_TEST(bpf_one_thread_counts)
{
	uint32_t tid = (uint32_t)gettid();
	uint64_t t0, t1;
	int sum = 0;

	open_ring(4u << 20);
	attach(tfn_a, ID_A, 1, 1);
	attach(tfn_b, ID_B, 1, 1);
	t0 = mono_ns();
	for (int i = 0; i < NCALLS; i++)
		sum += tfn_a(i) + tfn_b(i);
	t1 = mono_ns();
	ck_assert_int_ne(sum, 0);
	consume_all();
	ck_assert_int_eq(nrecs, 4 * NCALLS);
	ck_assert_uint_eq(hwt_bpf_uprobes_lost(u), 0);
	ck_assert_int_eq(check_thread(tid, ID_A, t0, t1), NCALLS);
	ck_assert_int_eq(check_thread(tid, ID_B, t0, t1), NCALLS);
	/* calls do not nest here: each entry is followed by its own return */
	for (int i = 0; i < nrecs; i += 2) {
		ck_assert_uint_eq(recs[i].flags, 0);
		ck_assert_uint_eq(recs[i + 1].flags, HWT_UPROBE_RETURN);
		ck_assert_uint_eq(recs[i].cookie, (i / 2) % 2 ? ID_B : ID_A);
		ck_assert_uint_eq(recs[i + 1].cookie, recs[i].cookie);
	}
}
END_TEST

static int count_pid(const struct hwt_uprobe_rec *r, void *ctx)
{
	uint32_t *want = ctx; /* [0]: pid, [1]: its records */

	want[1] += r->pid == want[0];
	return 0;
}

/* A program opened for the recorder leaves the recorder's own hits alone, not its children's. */
START_TEST(bpf_open_except_self)
{
	int err = 0, status;
	uint32_t self[2] = { (uint32_t)getpid(), 0 }, child[2] = { 0, 0 };

	u = hwt_bpf_uprobes_open_except(1u << 20, (uint32_t)getpid(), &err, why, sizeof(why));
	ck_assert_msg(u != NULL, "hwt_bpf_uprobes_open_except: %s", why);
	attach(tfn_a, ID_A, 1, 1);
	for (int i = 0; i < 10; i++)
		ck_assert_int_ge(tfn_a(i), 0);
	ck_assert_int_ge(hwt_bpf_uprobes_consume(u, count_pid, self), 0);
	ck_assert_uint_eq(self[1], 0);
	hwt_bpf_uprobes_close(u);
	u = NULL;
	/* A child of this process is traced. */
	u = hwt_bpf_uprobes_open_except(1u << 20, (uint32_t)getpid(), &err, why, sizeof(why));
	ck_assert_ptr_nonnull(u);
	attach(tfn_a, ID_A, 1, 1);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (!pid) {
		for (int i = 0; i < 5; i++)
			tfn_a(i);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	child[0] = (uint32_t)pid;
	ck_assert_int_ge(hwt_bpf_uprobes_consume(u, count_pid, child), 0);
	ck_assert_uint_eq(child[1], 10); /* 5 entries, 5 returns */
}
END_TEST

struct worker {
	pthread_t thread;
	pthread_barrier_t *start;
	uint32_t tid;
	int sum;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	w->tid = (uint32_t)gettid();
	pthread_barrier_wait(w->start);
	for (int i = 0; i < NCALLS; i++)
		w->sum += tfn_a(i) + tfn_b(i);
	return NULL;
}

START_TEST(bpf_sp_exact)
{
	uint64_t sp[3];

	open_ring(1u << 16);
	attach((const void *)tfn_sp, ID_A, 1, 1);
	for (int i = 0; i < 3; i++)
		sp[i] = tfn_sp();
	consume_all();
	ck_assert_int_eq(nrecs, 6);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(recs[2 * i].flags, 0);
		ck_assert_uint_eq(recs[2 * i].sp, sp[i]);
		ck_assert_uint_eq(recs[2 * i + 1].flags, HWT_UPROBE_RETURN);
		ck_assert_uint_eq(recs[2 * i + 1].sp, sp[i] + 8);
	}
}
END_TEST

START_TEST(bpf_ret_site_probes)
{
	/* tfn_sp is "mov %rsp,%rax" (3 bytes) then "ret": returns caught on the ret itself */
	uint64_t off[2] = { self_offset((const void *)tfn_sp), 0 }, cookie[2], sp;
	int rc;

	off[1] = off[0] + 3;
	cookie[0] = hwt_uprobe_cookie(ID_A, 0);
	cookie[1] = hwt_uprobe_cookie(ID_A, HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE);
	open_ring(1u << 16);
	rc = hwt_bpf_uprobes_attach_probes(u, self_path, off, cookie, 2, 0, why, sizeof(why));
	ck_assert_msg(rc == 2, "attach_probes: %d %s", rc, why);
	sp = tfn_sp();
	consume_all();
	ck_assert_int_eq(nrecs, 2);
	ck_assert_uint_eq(recs[0].cookie, ID_A);
	ck_assert_uint_eq(recs[0].flags, 0);
	ck_assert_uint_eq(recs[0].sp, sp);
	ck_assert_uint_eq(recs[1].cookie, ID_A);
	ck_assert_uint_eq(recs[1].flags, HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE);
	ck_assert_uint_eq(recs[1].sp, sp);
	ck_assert_uint_eq(recs[1].seq, 2);

	ck_assert_int_eq(hwt_bpf_uprobes_attach_probes(NULL, self_path, off, cookie, 2, 0, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach_probes(u, self_path, NULL, cookie, 2, 0, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach_probes(u, self_path, off, NULL, 2, 0, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach_probes(u, self_path, off, cookie, 0, 1, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_uint_eq(hwt_uprobe_cookie(7, HWT_UPROBE_RETURN), (1ull << 32) | 7);
}
END_TEST

START_TEST(bpf_three_threads)
{
	struct worker w[NTHREADS];
	pthread_barrier_t start;
	uint64_t t0, t1;

	open_ring(4u << 20);
	attach(tfn_a, ID_A, 1, 1);
	attach(tfn_b, ID_B, 1, 1);
	pthread_barrier_init(&start, NULL, NTHREADS);
	t0 = mono_ns();
	for (int i = 0; i < NTHREADS; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].start = &start;
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(w[i].thread, NULL);
	t1 = mono_ns();
	pthread_barrier_destroy(&start);
	consume_all();
	ck_assert_uint_eq(hwt_bpf_uprobes_lost(u), 0);
	ck_assert_int_eq(nrecs, NTHREADS * 4 * NCALLS);
	for (int i = 0; i < NTHREADS; i++) {
		ck_assert_uint_ne(w[i].tid, (uint32_t)getpid());
		ck_assert_int_eq(check_thread(w[i].tid, ID_A, t0, t1), NCALLS);
		ck_assert_int_eq(check_thread(w[i].tid, ID_B, t0, t1), NCALLS);
	}
	/* every record belongs to one of the workers */
	for (int i = 0; i < nrecs; i++) {
		int known = 0;

		for (int k = 0; k < NTHREADS; k++)
			known |= recs[i].tid == w[k].tid;
		ck_assert_msg(known, "record of unknown thread %u", recs[i].tid);
	}
}
END_TEST

START_TEST(bpf_recursion_nests)
{
	uint32_t tid = (uint32_t)gettid();
	uint64_t t0, t1;

	open_ring(1u << 20);
	attach(tfn_rec, ID_REC, 1, 1);
	t0 = mono_ns();
	ck_assert_int_eq(tfn_rec(REC_DEPTH), REC_DEPTH);
	t1 = mono_ns();
	consume_all();
	ck_assert_int_eq(nrecs, 2 * REC_DEPTH);
	ck_assert_int_eq(check_thread(tid, ID_REC, t0, t1), REC_DEPTH);
	for (int i = 0; i < REC_DEPTH; i++) {
		const struct hwt_uprobe_rec *in = &recs[i], *out = &recs[2 * REC_DEPTH - 1 - i];

		ck_assert_uint_eq(in->flags, 0);
		ck_assert_uint_eq(out->flags, HWT_UPROBE_RETURN);
		ck_assert_uint_eq(out->sp, in->sp + 8);
		if (i)
			ck_assert_uint_lt(in->sp, recs[i - 1].sp); /* deeper calls, lower stack */
	}
}
END_TEST

START_TEST(bpf_lost_exact)
{
	uint32_t tid = (uint32_t)gettid();
	uint32_t max_seq = 0, seen = 0, gaps = 0, prev = 0;
	uint64_t lost;

	open_ring((size_t)sysconf(_SC_PAGESIZE)); /* ~85 records of 48 bytes */
	attach(tfn_a, ID_A, 1, 1);
	for (int i = 0; i < NCALLS; i++)
		tfn_a(i);
	consume_all();
	/* room again: these land after the gap */
	for (int i = 0; i < 10; i++)
		tfn_a(i);
	consume_all();
	lost = hwt_bpf_uprobes_lost(u);
	ck_assert_uint_gt(lost, 0);
	ck_assert_uint_eq(nrecs + lost, 2 * (NCALLS + 10));
	for (int i = 0; i < nrecs; i++) {
		ck_assert_uint_eq(recs[i].tid, tid);
		ck_assert_uint_gt(recs[i].seq, prev);
		if (recs[i].seq != prev + 1)
			gaps++;
		prev = recs[i].seq;
		seen++;
		if (recs[i].seq > max_seq)
			max_seq = recs[i].seq;
	}
	/* the seq numbers of every hit are there, missing exactly where records were lost */
	ck_assert_uint_eq(max_seq, 2 * (NCALLS + 10));
	ck_assert_uint_eq(max_seq - seen, lost);
	ck_assert_uint_ge(gaps, 1);
}
END_TEST

START_TEST(bpf_bad_path_and_offset)
{
	uint64_t off = 16, big;
	uint32_t id = 1;
	int rc;

	open_ring(1u << 16);
	rc = hwt_bpf_uprobes_attach(u, "/nonexistent/hwtrace-test", &off, &off, &id, 1, why,
				    sizeof(why));
	ck_assert_int_eq(rc, HWT_E_NOENT);
	ck_assert_msg(strstr(why, "/nonexistent/hwtrace-test"), "why: %s", why);
	rc = hwt_bpf_uprobes_attach(u, "/", &off, &off, &id, 1, why, sizeof(why));
	ck_assert_int_eq(rc, HWT_E_INVAL);
	ck_assert_msg(strstr(why, "not a regular file"), "why: %s", why);

	self_offset(tfn_a);
	big = 1ull << 40;
	rc = hwt_bpf_uprobes_attach(u, self_path, &big, NULL, &id, 1, why, sizeof(why));
	ck_assert_int_eq(rc, HWT_E_INVAL);
	ck_assert_msg(strstr(why, "past the end") && strstr(why, "0x10000000000"), "why: %s", why);
	rc = hwt_bpf_uprobes_attach(u, self_path, &off, &big, &id, 1, why, sizeof(why));
	ck_assert_int_eq(rc, HWT_E_INVAL);
	/* nothing stayed attached: a call gives no record */
	tfn_a(1);
	consume_all();
	ck_assert_int_eq(nrecs, 0);
}
END_TEST

START_TEST(bpf_bad_arguments)
{
	uint64_t off = self_offset(tfn_a);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uint32_t id = 1;
	int err = 0;

	ck_assert_ptr_null(hwt_bpf_uprobes_open(0, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_ptr_null(hwt_bpf_uprobes_open(page / 2, &err, NULL, 0));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_ptr_null(hwt_bpf_uprobes_open(3 * page, &err, why, sizeof(why)));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_msg(strstr(why, "power of two"), "why: %s", why);
	ck_assert_ptr_null(hwt_bpf_uprobes_open(0, NULL, NULL, 0));

	ck_assert_int_eq(hwt_bpf_uprobes_attach(NULL, self_path, &off, &off, &id, 1, why, 0),
			 HWT_E_INVAL);
	open_ring(page);
	ck_assert_int_eq(hwt_bpf_uprobes_attach(u, NULL, &off, &off, &id, 1, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach(u, "", &off, &off, &id, 1, NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach(u, self_path, NULL, NULL, &id, 1, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach(u, self_path, &off, &off, NULL, 1, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_attach(u, self_path, &off, &off, &id, 0, NULL, 0),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_consume(NULL, collect, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_consume(u, NULL, NULL), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_bpf_uprobes_lost(NULL), 0);
	ck_assert_int_eq(hwt_bpf_uprobes_fd(NULL), -1);
	ck_assert_int_ge(hwt_bpf_uprobes_fd(u), 0);
	ck_assert_int_eq(hwt_bpf_uprobes_detach(NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_forget_thread(NULL, 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_bpf_uprobes_forget_thread(u, 0x7fffffff), HWT_E_NOENT);
	hwt_bpf_uprobes_close(NULL);
}
END_TEST

START_TEST(bpf_poll_detach_forget)
{
	uint32_t tid = (uint32_t)gettid();
	struct pollfd p;
	int64_t ns;

	open_ring(1u << 16);
	attach(tfn_a, ID_A, 1, 0); /* entries only */
	p.fd = hwt_bpf_uprobes_fd(u);
	p.events = POLLIN;
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	tfn_a(1);
	tfn_a(2);
	ck_assert_int_eq(poll(&p, 1, 0), 1);
	ck_assert(p.revents & POLLIN);
	consume_all();
	ck_assert_int_eq(poll(&p, 1, 0), 0);
	ck_assert_int_eq(nrecs, 2);
	ck_assert_uint_eq(recs[0].flags, 0);
	ck_assert_uint_eq(recs[1].flags, 0);
	ck_assert_uint_eq(recs[1].seq, 2);

	/* a thread forgotten starts again at 1 */
	ck_assert_int_eq(hwt_bpf_uprobes_forget_thread(u, tid), 0);
	tfn_a(3);
	consume_all();
	ck_assert_int_eq(nrecs, 3);
	ck_assert_uint_eq(recs[2].seq, 1);

	/* attach more later (returns only), then detach: no more records, old ones stay */
	attach(tfn_b, ID_B, 0, 1);
	tfn_b(1);
	ns = hwt_bpf_uprobes_detach(u);
	ck_assert_int_ge(ns, 0);
	tfn_a(4);
	tfn_b(4);
	consume_all();
	ck_assert_int_eq(nrecs, 4);
	ck_assert_uint_eq(recs[3].cookie, ID_B);
	ck_assert_uint_eq(recs[3].flags, HWT_UPROBE_RETURN);
	ck_assert_uint_eq(recs[3].seq, 2);
}
END_TEST

static int stop_after_one(const struct hwt_uprobe_rec *r, void *ctx)
{
	int *calls = ctx;

	(void)r;
	(*calls)++;
	return -5;
}

START_TEST(bpf_consume_stops)
{
	int calls = 0;

	open_ring(1u << 16);
	attach(tfn_a, ID_A, 1, 1);
	tfn_a(1);
	tfn_a(2);
	ck_assert_int_eq(hwt_bpf_uprobes_consume(u, stop_after_one, &calls), -5);
	ck_assert_int_eq(calls, 1);
	consume_all(); /* the first record was released, the other three wait */
	ck_assert_int_eq(nrecs, 3);
	ck_assert_uint_eq(recs[0].seq, 2);
	ck_assert_int_eq(hwt_bpf_uprobes_consume(u, collect, NULL), 0);
}
END_TEST

static Suite *bpf_suite(void)
{
	Suite *s = suite_create("bpf");
	TCase *tc = tcase_create("uprobes");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, bpf_probe_here);
	tcase_add_test(tc, bpf_one_thread_counts);
	tcase_add_test(tc, bpf_open_except_self);
	tcase_add_test(tc, bpf_sp_exact);
	tcase_add_test(tc, bpf_ret_site_probes);
	tcase_add_test(tc, bpf_three_threads);
	tcase_add_test(tc, bpf_recursion_nests);
	tcase_add_test(tc, bpf_lost_exact);
	tcase_add_test(tc, bpf_bad_path_and_offset);
	tcase_add_test(tc, bpf_bad_arguments);
	tcase_add_test(tc, bpf_poll_detach_forget);
	tcase_add_test(tc, bpf_consume_stops);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(bpf_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

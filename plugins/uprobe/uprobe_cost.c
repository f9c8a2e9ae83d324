/* The cost of a traced call on this host, and the meter of a recording's probe time. */
#include "uprobe_cost.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "hwtrace/error.h"
#include "core/util.h"
#include "uprobe_bpf.h"

#define COST_CALLS  400
#define COST_ROUNDS 3

/* The two functions measured: the first starts with push %rbp (emulated by the kernel), the
 * second with lea (single-stepped out of line). Written in assembly so their first instruction
 * is what it says whatever the compiler flags; local to this file, and named hwt_ so that a
 * recording of hwtrace itself does not trace them by default. */
__asm__(".pushsection .text\n"
	".type hwt_cost_fast, @function\n"
	"hwt_cost_fast:\n"
	"\tpush %rbp\n"
	"\tmov %rsp, %rbp\n"
	"\tlea 1(%rdi), %eax\n"
	"\tpop %rbp\n"
	"\tret\n"
	".size hwt_cost_fast, .-hwt_cost_fast\n"
	".type hwt_cost_slow, @function\n"
	"hwt_cost_slow:\n"
	"\tlea 1(%rdi), %eax\n"
	"\tret\n"
	".size hwt_cost_slow, .-hwt_cost_slow\n"
	".popsection\n");
int hwt_cost_fast(int x);
int hwt_cost_slow(int x);

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The fastest of a few rounds of COST_CALLS calls of @fn, in ns a call. */
static double time_calls(int (*volatile fn)(int))
{
	double best = 0;
	volatile int sink = 0;

	for (int r = 0; r < COST_ROUNDS; r++) {
		uint64_t t0 = now_ns();
		for (int i = 0; i < COST_CALLS; i++)
			sink = fn(sink);
		double ns = (double)(now_ns() - t0) / COST_CALLS;
		if (!r || ns < best)
			best = ns;
	}
	return best;
}

/* The entry-to-return times of the calls measured, from their records. */
struct inside {
	uint32_t pid;
	uint64_t entry_ts; /* of the call open, 0: none */
	uint64_t ns[COST_CALLS * COST_ROUNDS];
	size_t n;
};

static int inside_rec(const struct hwt_uprobe_rec *r, void *ctx)
{
	struct inside *in = ctx;

	if (r->pid != in->pid) /* another process running this file */
		return 0;
	if (!(r->flags & HWT_UPROBE_RETURN))
		in->entry_ts = r->ts;
	else if (in->entry_ts && r->ts >= in->entry_ts && in->n < COST_CALLS * COST_ROUNDS)
		in->ns[in->n++] = r->ts - in->entry_ts;
	if (r->flags & HWT_UPROBE_RETURN)
		in->entry_ts = 0;
	return 0;
}

static int by_value(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The median entry-to-return time of the calls in @in (0 if none), at most @cost. */
static double inside_median(struct inside *in, double cost)
{
	if (!in->n)
		return 0;
	qsort(in->ns, in->n, sizeof(in->ns[0]), by_value);
	double m = (double)in->ns[in->n / 2];
	return m < cost ? m : cost;
}

int up_cost_measure(struct up_cost *c, char *why, size_t len)
{
	int (*const fns[2])(int) = { hwt_cost_fast, hwt_cost_slow };
	double *out[2] = { &c->fast_ns, &c->slow_ns };
	double *out_in[2] = { &c->fast_in_ns, &c->slow_in_ns };
	struct inside *in = calloc(1, sizeof(*in));
	char path[4096], msg[256];
	int err = 0;

	/* Room for every record: a full ring takes another path in the program. */
	if (!in)
		return hwt_fail(why, len, HWT_E_NOMEM,
				"measuring the cost of a uprobe: out of memory");
	in->pid = (uint32_t)getpid();
	struct hwt_bpf_uprobes *u = hwt_bpf_uprobes_open(1u << 20, &err, msg, sizeof(msg));
	if (!u) {
		free(in);
		return hwt_fail(why, len, err, "measuring the cost of a uprobe: %s", msg);
	}
	for (int k = 0; k < 2 && !err; k++) {
		uint64_t off;
		uint32_t id = (uint32_t)k;
		double bare = time_calls(fns[k]);
		if (hwt_bpf_self_file_offset((const void *)fns[k], path, sizeof(path), &off)) {
			err = hwt_fail(why, len, HWT_E_NOENT,
				       "measuring the cost of a uprobe: this program's own file "
				       "is not mapped");
			break;
		}
		int n = hwt_bpf_uprobes_attach(u, path, &off, &off, &id, 1, msg, sizeof(msg));
		if (n < 0) {
			err = hwt_fail(why, len, n, "measuring the cost of a uprobe: %s", msg);
			break;
		}
		double probed = time_calls(fns[k]);
		*out[k] = probed > bare ? probed - bare : 0;
		in->n = 0;
		in->entry_ts = 0;
		hwt_bpf_uprobes_consume(u, inside_rec, in);
		*out_in[k] = inside_median(in, *out[k]);
	}
	hwt_bpf_uprobes_detach_background(u);
	hwt_bpf_uprobes_close(u);
	free(in);
	return err;
}

int up_meter_mark(struct up_meter *m, uint32_t id, int slow)
{
	if (id >= m->nslow_cap) {
		size_t cap = m->nslow_cap ? m->nslow_cap : 1024;
		while (cap <= id)
			cap *= 2;
		uint8_t *s = realloc(m->slow, cap);
		if (!s)
			return HWT_E_NOMEM;
		memset(s + m->nslow_cap, 0, cap - m->nslow_cap);
		m->slow = s;
		m->nslow_cap = cap;
	}
	m->slow[id] = slow != 0;
	return 0;
}

/* @n with a k or M suffix, e.g. 1.23 M. */
static void human(char *buf, size_t len, double n)
{
	if (n >= 1e6)
		snprintf(buf, len, "%.2f M", n / 1e6);
	else if (n >= 1e4)
		snprintf(buf, len, "%.0f k", n / 1e3);
	else
		snprintf(buf, len, "%.0f", n);
}

void up_meter_progress(struct up_meter *m, struct hwt_host *h, uint64_t now, uint64_t lost)
{
	char calls[32], rate[32], share[64] = "";

	if (!m->start_ns)
		m->start_ns = now;
	if (now - m->start_ns < 2000000000u || (m->shown_ns && now - m->shown_ns < 1000000000u))
		return;
	uint64_t since = m->shown_ns ? m->shown_ns : m->start_ns;
	double secs = (double)(now - since) / 1e9;
	human(calls, sizeof(calls), (double)m->calls);
	human(rate, sizeof(rate), (double)(m->calls - m->shown_calls) / secs);
	if (m->measured) {
		double f = (m->probe_ns - m->shown_probe_ns) / ((double)(now - since));
		snprintf(share, sizeof(share), ", ~%.0f%% of the time in probes",
			 f > 0.99 ? 99 : f * 100);
	}
	hwt_host_progress(h, "uprobe: %s calls, %s/s%s, %llu lost", calls, rate, share,
			  (unsigned long long)lost);
	m->shown_ns = now;
	m->shown_calls = m->calls;
	m->shown_probe_ns = m->probe_ns;
}

void up_meter_end(struct up_meter *m, struct hwt_host *h, uint64_t now)
{
	char buf[64], calls[32];

	if (m->shown_ns)
		hwt_host_progress(h, NULL);
	if (!m->measured)
		return;
	snprintf(buf, sizeof(buf), "%.0f", m->cost.fast_ns);
	hwt_host_set_meta(h, "uprobe.call_ns", buf);
	snprintf(buf, sizeof(buf), "%.0f", m->cost.slow_ns);
	hwt_host_set_meta(h, "uprobe.slow_call_ns", buf);
	snprintf(buf, sizeof(buf), "%.0f", m->cost.fast_in_ns);
	hwt_host_set_meta(h, "uprobe.call_in_ns", buf);
	snprintf(buf, sizeof(buf), "%.0f", m->cost.slow_in_ns);
	hwt_host_set_meta(h, "uprobe.slow_call_in_ns", buf);
	snprintf(buf, sizeof(buf), "%.0f", m->probe_ns / 1e6);
	hwt_host_set_meta(h, "uprobe.probe_ms", buf);
	if (!m->calls || !m->start_ns)
		return;
	human(calls, sizeof(calls), (double)m->calls);
	double wall = (double)(now - m->start_ns);
	hwt_host_note(h,
		      "uprobe: %s calls, ~%.2f s in probes (~%.1f us a call, measured here) in "
		      "%.2f s of recording%s",
		      calls, m->probe_ns / 1e9, m->probe_ns / (double)m->calls / 1e3, wall / 1e9,
		      m->probe_ns > 0.2 * wall
			      ? ": the durations of short calls are mostly "
				"probe time (sampling alone, without -b uprobe, is not slowed so)"
			      : "");
}

void up_meter_fini(struct up_meter *m)
{
	free(m->slow);
	memset(m, 0, sizeof(*m));
}

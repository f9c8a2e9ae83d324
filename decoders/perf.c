/* The perf-record decoder: reads the chunks of a .hwt, puts the records of every ring back in
 * timestamp order, tracks processes, threads and address spaces, and turns samples, counter reads
 * and lifecycle records into events of the model. */
#include "decode.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "../core/symbols.h"
#include "unwind.h"

#define MAX_WEIGHTS	  16
#define MAX_CHAIN	  512
#define HWT_USER_ADDR_END 0x800000000000ull /* x86-64, 4-level page tables */
#define MAX_GROUP	  16

/* ---- small containers ------------------------------------------------------------------ */

struct thread {
	uint32_t tid, pid;
	uint32_t name; /* string id */
	int announced; /* a THREAD event went out */
	int exited;
	uint64_t last[MAX_GROUP]; /* group values at the previous sample, for deltas */
	int have_last;
};

struct item { /* a record waiting for its turn */
	uint64_t ts, seq;
	int32_t cpu;
	uint16_t kind; /* enum hwt_item_kind, or 0 for the end record */
	uint64_t id;
	uint32_t len;
	uint8_t *data; /* owned */
};

struct hwt_decoder {
	struct hwt_decoder_config cfg;
	struct hwt_model *m;
	struct hwt_store_reader *r;
	struct hwt_symbolizer *sym;
	struct hwt_unwinder *unw;
	struct hwt_decode_stats stats;

	struct hwt_event_desc *descs;
	size_t ndescs;
	int weights_ready;
	int w_period;		  /* weight index of the sampling period, -1 if none */
	int w_members[MAX_GROUP]; /* weight index for each group member (by position) */
	uint32_t target_pid;
	uint64_t target_exit_ts;

	/* Threads: open addressing on tid. */
	struct thread *threads;
	size_t nthreads, cap_threads;

	/* Records waiting to be put in order: a binary heap on (ts, seq). */
	struct item *heap;
	size_t nheap, cap_heap;
	uint64_t seq;
	uint64_t round_cur, round_prev; /* drain times of the last two rounds */
	int input_done;

	/* Counter reads of one round, summed over CPUs before they become events. */
	uint64_t read_ts;	   /* when the pending values are shown */
	uint64_t read_round;	   /* the round they were read in */
	uint64_t read_leader_desc; /* index + 1 of the leader's desc, 0 if none pending */
	double read_sum[MAX_GROUP];
	uint32_t read_names[MAX_GROUP];
	int read_n;
	uint32_t tracks[MAX_GROUP]; /* track id per group member position */

	/* Events ready to hand out. */
	/* Events ready to hand out: what one record gives (announcements, a sample, the counter
	 * values of a round). Handed out before the next record is processed, so one weights
	 * buffer serves the one sample among them. */
	struct hwt_event out[8 + 2 * MAX_GROUP];
	int nout, iout;
	uint64_t weights[MAX_WEIGHTS];
};

void hwt_decoder_config_init(struct hwt_decoder_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->symbolize = 1;
}

static struct thread *thread_get(struct hwt_decoder *d, uint32_t tid, int create)
{
	if (d->nthreads * 2 >= d->cap_threads) {
		if (!create && d->cap_threads)
			goto lookup;
		size_t cap = d->cap_threads ? d->cap_threads * 2 : 256;
		struct thread *nt = calloc(cap, sizeof(*nt));
		if (!nt)
			return NULL;
		for (size_t i = 0; i < d->cap_threads; i++) {
			struct thread *t = &d->threads[i];
			if (!t->tid)
				continue;
			size_t j = (t->tid * 2654435761u) & (cap - 1);
			while (nt[j].tid)
				j = (j + 1) & (cap - 1);
			nt[j] = *t;
		}
		free(d->threads);
		d->threads = nt;
		d->cap_threads = cap;
	}
lookup:
	if (!d->cap_threads)
		return NULL;
	size_t j = (tid * 2654435761u) & (d->cap_threads - 1);
	while (d->threads[j].tid) {
		if (d->threads[j].tid == tid)
			return &d->threads[j];
		j = (j + 1) & (d->cap_threads - 1);
	}
	if (!create || !tid)
		return NULL;
	d->threads[j] = (struct thread){ .tid = tid };
	d->nthreads++;
	return &d->threads[j];
}

static int heap_less(const struct item *a, const struct item *b)
{
	return a->ts < b->ts || (a->ts == b->ts && a->seq < b->seq);
}

static int heap_push(struct hwt_decoder *d, struct item *it)
{
	if (d->nheap == d->cap_heap) {
		size_t cap = d->cap_heap ? d->cap_heap * 2 : 1024;
		struct item *nh = realloc(d->heap, cap * sizeof(*nh));
		if (!nh)
			return HWT_E_NOMEM;
		d->heap = nh;
		d->cap_heap = cap;
	}
	it->seq = d->seq++;
	size_t i = d->nheap++;
	while (i && heap_less(it, &d->heap[(i - 1) / 2])) {
		d->heap[i] = d->heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	d->heap[i] = *it;
	return 0;
}

static void heap_pop(struct hwt_decoder *d, struct item *out)
{
	*out = d->heap[0];
	struct item last = d->heap[--d->nheap];
	size_t i = 0, n = d->nheap;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && heap_less(&d->heap[c + 1], &d->heap[c]))
			c++;
		if (!heap_less(&d->heap[c], &last))
			break;
		d->heap[i] = d->heap[c];
		i = c;
	}
	if (n)
		d->heap[i] = last;
}

/* ---- descriptions ---------------------------------------------------------------------- */

static const struct hwt_event_desc *desc_by_id(struct hwt_decoder *d, uint64_t id)
{
	for (size_t i = 0; i < d->ndescs; i++) /* few events: a scan beats a hash here */
		if (d->descs[i].id == id)
			return &d->descs[i];
	return NULL;
}

/* Group members of @leader in the order read() returns them: the leader, then the others in
 * the order they were opened. */
static int group_members(struct hwt_decoder *d, const struct hwt_event_desc *leader,
			 const struct hwt_event_desc **out)
{
	int n = 0;
	for (size_t i = 0; i < d->ndescs && n < MAX_GROUP; i++)
		if (d->descs[i].leader_id == leader->id)
			out[n++] = &d->descs[i];
	return n;
}

static int is_time_event(const struct hwt_event_desc *e)
{
	return e->type == PERF_TYPE_SOFTWARE &&
	       (e->config == PERF_COUNT_SW_CPU_CLOCK || e->config == PERF_COUNT_SW_TASK_CLOCK);
}

/* Weights: "samples", then the period ("cpu-time" for timer events), then each counter. */
static int declare_weights(struct hwt_decoder *d)
{
	const struct hwt_event_desc *lead = NULL, *mem[MAX_GROUP];

	for (size_t i = 0; i < d->ndescs && !lead; i++)
		if (d->descs[i].sample_period && d->descs[i].leader_id == d->descs[i].id)
			lead = &d->descs[i];
	d->w_period = -1;
	for (int i = 0; i < MAX_GROUP; i++)
		d->w_members[i] = -1;
	int err = hwt_model_add_weight(d->m, "samples", "count");
	if (err < 0 || !lead)
		return err < 0 ? err : 0;
	d->w_period = is_time_event(lead) ? hwt_model_add_weight(d->m, "cpu-time", "nanoseconds")
					  : hwt_model_add_weight(d->m, lead->name, "count");
	int n = group_members(d, lead, mem);
	for (int i = 1; i < n && i + 2 < MAX_WEIGHTS; i++)
		d->w_members[i] = hwt_model_add_weight(
			d->m, mem[i]->name, is_time_event(mem[i]) ? "nanoseconds" : "count");
	return d->w_period < 0 ? d->w_period : 0;
}

/* ---- output ---------------------------------------------------------------------------- */

static struct hwt_event *emit(struct hwt_decoder *d, enum hwt_event_type type, uint32_t pid,
			      uint32_t tid, uint64_t ts)
{
	if (d->nout == (int)(sizeof(d->out) / sizeof(d->out[0])))
		return NULL;
	struct hwt_event *ev = &d->out[d->nout++];
	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->pid = pid;
	ev->tid = tid;
	ev->ts = ts;
	return ev;
}

static void announce(struct hwt_decoder *d, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct thread *t = thread_get(d, tid, 1);

	if (!t || t->announced)
		return;
	t->pid = pid;
	if (!t->name) {
		struct thread *p = thread_get(d, pid, 0);
		char buf[32];
		snprintf(buf, sizeof(buf), "[%u]", tid);
		int64_t id = p && p->name ? p->name : hwt_model_intern_str(d->m, buf);
		t->name = id > 0 ? (uint32_t)id : 0;
	}
	if (tid == pid) {
		struct hwt_event *ev = emit(d, HWT_EV_PROCESS, pid, tid, ts);
		if (ev)
			ev->proc.name = t->name;
		d->stats.processes++;
	} else {
		struct thread *p = thread_get(d, pid, 0);
		if (!p || !p->announced)
			announce(d, pid, pid, ts);
		t = thread_get(d, tid, 0);
	}
	struct hwt_event *ev = emit(d, HWT_EV_THREAD, pid, tid, ts);
	if (ev)
		ev->thread.name = t->name;
	t->announced = 1;
	d->stats.threads++;
}

/* ---- records --------------------------------------------------------------------------- */

struct sample {
	uint64_t ip, time, period, id;
	uint32_t pid, tid, cpu;
	const uint64_t *chain;
	uint64_t nchain;
	const uint64_t *read;
	size_t nread;
	const uint64_t *regs;
	uint64_t regs_abi;
	const uint8_t *stack;
	uint64_t stack_size;
};

static int parse_sample(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			struct sample *s)
{
	uint64_t st = e->sample_type;
	const uint64_t *q = (const uint64_t *)p;
#define NEED(n)                                       \
	do {                                          \
		if ((const uint8_t *)(q + (n)) > end) \
			return HWT_E_CORRUPT;         \
	} while (0)

	memset(s, 0, sizeof(*s));
	if (st & PERF_SAMPLE_IDENTIFIER) {
		NEED(1);
		s->id = *q++;
	}
	if (st & PERF_SAMPLE_IP) {
		NEED(1);
		s->ip = *q++;
	}
	if (st & PERF_SAMPLE_TID) {
		NEED(1);
		s->pid = (uint32_t)*q;
		s->tid = (uint32_t)(*q++ >> 32);
	}
	if (st & PERF_SAMPLE_TIME) {
		NEED(1);
		s->time = *q++;
	}
	if (st & PERF_SAMPLE_ADDR)
		q++;
	if (st & PERF_SAMPLE_ID)
		q++;
	if (st & PERF_SAMPLE_STREAM_ID)
		q++;
	if (st & PERF_SAMPLE_CPU) {
		NEED(1);
		s->cpu = (uint32_t)*q++;
	}
	if (st & PERF_SAMPLE_PERIOD) {
		NEED(1);
		s->period = *q++;
	}
	if (st & PERF_SAMPLE_READ) {
		uint64_t rf = e->read_format;
		size_t per = 1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST);
		size_t hdr = !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			     !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING);
		if (rf & PERF_FORMAT_GROUP) {
			NEED(1);
			uint64_t nr = *q;
			if (nr > MAX_GROUP)
				return HWT_E_CORRUPT;
			NEED(1 + hdr + nr * per);
			s->read = q;
			s->nread = 1 + hdr + nr * per;
		} else {
			NEED(per + hdr);
			s->read = q;
			s->nread = per + hdr;
		}
		q += s->nread;
	}
	if (st & PERF_SAMPLE_CALLCHAIN) {
		NEED(1);
		s->nchain = *q++;
		if (s->nchain > (uint64_t)(end - (const uint8_t *)q) / 8)
			return HWT_E_CORRUPT;
		s->chain = q;
		q += s->nchain;
	}
	if (st & PERF_SAMPLE_RAW) {
		NEED(1);
		uint32_t size = *(const uint32_t *)q;
		q = (const uint64_t *)((const uint8_t *)q + 4 + size);
		NEED(0);
	}
	if (st & PERF_SAMPLE_BRANCH_STACK) {
		NEED(1);
		uint64_t nr = *q++;
		if (nr > (uint64_t)(end - (const uint8_t *)q) / 24)
			return HWT_E_CORRUPT;
		q += nr * 3;
	}
	if (st & PERF_SAMPLE_REGS_USER) {
		NEED(1);
		s->regs_abi = *q++;
		if (s->regs_abi) {
			int n = __builtin_popcountll(e->sample_regs_user);
			NEED(n);
			s->regs = q;
			q += n;
		}
	}
	if (st & PERF_SAMPLE_STACK_USER) {
		NEED(1);
		uint64_t size = *q++;
		if (size) {
			if (size > (uint64_t)(end - (const uint8_t *)q) - 8)
				return HWT_E_CORRUPT;
			s->stack = (const uint8_t *)q;
			q = (const uint64_t *)((const uint8_t *)q + size);
			uint64_t dyn = *q++;
			s->stack_size = dyn < size ? dyn : size;
		}
	}
#undef NEED
	return 0;
}

/* Turns the callchain (or the unwound user stack) into a stack node, outermost frame first. */
static int64_t build_stack(struct hwt_decoder *d, const struct hwt_event_desc *e,
			   const struct sample *s)
{
	uint64_t pcs[MAX_CHAIN];
	uint8_t kernel[MAX_CHAIN];
	int n = 0;
	int ctx_kernel = 0, have_user_ip = 0;

	for (uint64_t i = 0; i < s->nchain && n < MAX_CHAIN; i++) {
		uint64_t ip = s->chain[i];
		if (ip >= PERF_CONTEXT_MAX) {
			ctx_kernel = ip == PERF_CONTEXT_KERNEL;
			continue;
		}
		if (ctx_kernel && n && kernel[n - 1])
			continue; /* one [kernel] frame for the whole kernel part */
		if (!ctx_kernel && (ip < 4096 || ip >= HWT_USER_ADDR_END))
			break; /* the end of the chain, or a frame-pointer walk gone astray */
		/* Return addresses point after the call; look up the call itself. */
		pcs[n] = (!ctx_kernel && have_user_ip) ? ip - 1 : ip;
		kernel[n] = (uint8_t)ctx_kernel;
		have_user_ip |= !ctx_kernel;
		n++;
	}
	if (s->regs && s->stack && d->unw) {
		uint64_t upcs[MAX_CHAIN];
		int room = MAX_CHAIN - n;
		int k = hwt_unwind(d->unw, s->pid, s->tid, s->regs, s->stack, s->stack_size, upcs,
				   room);
		if (k <= 1)
			d->stats.unwind_failures++;
		if (k <= 0 && s->ip && room > 0) {
			upcs[0] = s->ip;
			k = 1;
		}
		for (int i = 0; i < k; i++, n++) {
			pcs[n] = i ? upcs[i] - 1 : upcs[i];
			kernel[n] = 0;
		}
	} else if (!s->nchain && s->ip) {
		pcs[n] = s->ip;
		kernel[n++] = 0;
	}
	uint32_t node = HWT_NONE;
	for (int i = n - 1; i >= 0; i--) {
		int64_t f = d->cfg.symbolize
				    ? hwt_symbolizer_frame(d->sym, s->pid, pcs[i], kernel[i])
				    : HWT_E_NOTSUP;
		if (f < 0) {
			char buf[32];
			snprintf(buf, sizeof(buf), kernel[i] ? "[kernel]" : "0x%llx",
				 (unsigned long long)pcs[i]);
			int64_t name = hwt_model_intern_str(d->m, buf);
			if (name < 0)
				return name;
			struct hwt_frame fr = { .name = (uint32_t)name,
						.addr = pcs[i],
						.kind = kernel[i] ? HWT_FRAME_KERNEL
								  : HWT_FRAME_USER };
			f = hwt_model_intern_frame(d->m, &fr);
			if (f < 0)
				return f;
		}
		int64_t nn = hwt_model_intern_stack(d->m, node, (uint32_t)f);
		if (nn < 0)
			return nn;
		node = (uint32_t)nn;
	}
	return node;
}

static int do_sample(struct hwt_decoder *d, const uint8_t *rec, uint32_t size)
{
	const uint8_t *end = rec + size;
	const uint64_t id = *(const uint64_t *)(rec + sizeof(struct perf_event_header));
	const struct hwt_event_desc *e = desc_by_id(d, id);
	struct sample s;

	if (!e || parse_sample(e, rec + sizeof(struct perf_event_header), end, &s))
		return 0; /* unknown event or damaged record: skip it, keep the rest */
	d->stats.samples++;
	announce(d, s.pid, s.tid, s.time);
	int64_t stack = build_stack(d, e, &s);
	if (stack < 0)
		return (int)stack;

	uint32_t nw = hwt_model_nweights(d->m);
	memset(d->weights, 0, sizeof(d->weights));
	d->weights[0] = 1;
	if (d->w_period >= 0)
		d->weights[d->w_period] = s.period;
	struct thread *t = thread_get(d, s.tid, 0);
	if (s.read && (e->read_format & PERF_FORMAT_GROUP) && t) {
		/* Values are the thread's running totals: the sample gets what accrued since the
		 * thread's previous sample. */
		size_t hdr = 1 + !!(e->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			     !!(e->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING);
		size_t per = 1 + !!(e->read_format & PERF_FORMAT_ID) +
			     !!(e->read_format & PERF_FORMAT_LOST);
		uint64_t nr = s.read[0];
		for (uint64_t i = 1; i < nr && i < MAX_GROUP; i++) {
			uint64_t v = s.read[hdr + i * per];
			if (d->w_members[i] >= 0 && (uint32_t)d->w_members[i] < nw)
				d->weights[d->w_members[i]] =
					t->have_last && v >= t->last[i] ? v - t->last[i] : v;
			t->last[i] = v;
		}
		t->have_last = 1;
	}
	struct hwt_event *ev = emit(d, HWT_EV_SAMPLE, s.pid, s.tid, s.time);
	if (ev) {
		ev->sample.stack = (uint32_t)stack;
		ev->sample.weights = d->weights;
	}
	return 0;
}

/* The sample_id trailer of a non-sample record: TID, TIME, ... IDENTIFIER last. */
static void trailer(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, uint32_t *pid,
		    uint32_t *tid, uint64_t *time)
{
	const uint64_t *endq = (const uint64_t *)(rec + size);
	const struct hwt_event_desc *e = desc_by_id(d, endq[-1]);

	*pid = *tid = 0;
	*time = 0;
	if (!e)
		return;
	uint64_t st = e->sample_type;
	int n = !!(st & PERF_SAMPLE_TID) + !!(st & PERF_SAMPLE_TIME) + !!(st & PERF_SAMPLE_ID) +
		!!(st & PERF_SAMPLE_STREAM_ID) + !!(st & PERF_SAMPLE_CPU) + 1;
	const uint64_t *q = endq - n;
	if ((const uint8_t *)q < rec + sizeof(struct perf_event_header))
		return;
	if (st & PERF_SAMPLE_TID) {
		*pid = (uint32_t)*q;
		*tid = (uint32_t)(*q++ >> 32);
	}
	if (st & PERF_SAMPLE_TIME)
		*time = *q;
}

static void set_name(struct hwt_decoder *d, struct thread *t, const char *comm, size_t max)
{
	int64_t id = hwt_model_intern_strn(d->m, comm, strnlen(comm, max));
	if (id > 0)
		t->name = (uint32_t)id;
}

static int do_record(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, uint64_t ts)
{
	const struct perf_event_header *h = (const void *)rec;
	const uint8_t *body = rec + sizeof(*h);
	size_t blen = size - sizeof(*h);

	d->stats.records++;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		return blen >= 8 ? do_sample(d, rec, size) : 0;
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2: {
		const uint32_t *pt = (const void *)body;
		const uint64_t *a = (const void *)(body + 8);
		size_t fixed = h->type == PERF_RECORD_MMAP ? 32 : 64;
		if (blen < fixed + 1)
			return 0;
		struct hwt_map_info mi = {
			.start = a[0],
			.end = a[0] + a[1],
			.pgoff = a[2],
			.path = (const char *)body + fixed,
		};
		if (strnlen(mi.path, blen - fixed) == blen - fixed)
			return 0;
		if (h->type == PERF_RECORD_MMAP2 && (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) {
			const uint8_t *bid = body + 32;
			mi.build_id_len = bid[0] <= 20 ? bid[0] : 20;
			mi.build_id = bid + 4;
		}
		return hwt_symbolizer_add_map(d->sym, pt[0], &mi);
	}
	case PERF_RECORD_COMM: {
		const uint32_t *pt = (const void *)body;
		if (blen < 9)
			return 0;
		uint32_t pid, tid;
		uint64_t time;
		trailer(d, rec, size, &pid, &tid, &time);
		struct thread *t = thread_get(d, pt[1], 1);
		if (!t)
			return HWT_E_NOMEM;
		if (h->misc & PERF_RECORD_MISC_COMM_EXEC)
			hwt_symbolizer_exec(d->sym, pt[0]);
		set_name(d, t, (const char *)(body + 8), blen - 8);
		t->pid = pt[0];
		if (t->announced) {
			/* A rename: announce again with the new name. */
			if (pt[0] == pt[1]) {
				struct hwt_event *ev = emit(d, HWT_EV_PROCESS, pt[0], pt[1], time);
				if (ev)
					ev->proc.name = t->name;
			}
			struct hwt_event *ev = emit(d, HWT_EV_THREAD, pt[0], pt[1], time);
			if (ev)
				ev->thread.name = t->name;
		} else {
			announce(d, pt[0], pt[1], time);
		}
		return 0;
	}
	case PERF_RECORD_FORK: {
		const uint32_t *pt = (const void *)body; /* pid ppid tid ptid, then time */
		if (blen < 24)
			return 0;
		uint64_t time = *(const uint64_t *)(body + 16);
		struct thread *parent = thread_get(d, pt[3], 0);
		uint32_t pname = parent ? parent->name : 0;
		struct thread *t = thread_get(d, pt[2], 1);
		if (!t)
			return HWT_E_NOMEM;
		*t = (struct thread){ .tid = pt[2], .pid = pt[0], .name = pname, .announced = 1 };
		if (pt[0] != pt[1]) { /* a new process, not a new thread */
			int err = hwt_symbolizer_fork(d->sym, pt[1], pt[0]);
			if (err < 0)
				return err;
			struct hwt_event *ev = emit(d, HWT_EV_PROCESS, pt[0], pt[2], time);
			if (ev) {
				ev->proc.name = pname;
				ev->proc.parent_pid = pt[1];
			}
			d->stats.processes++;
		}
		struct hwt_event *ev = emit(d, HWT_EV_THREAD, pt[0], pt[2], time);
		if (ev) {
			ev->thread.name = pname;
			ev->thread.parent_tid = pt[3];
		}
		d->stats.threads++;
		return 0;
	}
	case PERF_RECORD_EXIT: {
		const uint32_t *pt = (const void *)body;
		if (blen < 24)
			return 0;
		uint64_t time = *(const uint64_t *)(body + 16);
		struct thread *t = thread_get(d, pt[2], 0);
		if (!t || t->exited)
			return 0;
		t->exited = 1;
		emit(d, HWT_EV_THREAD_EXIT, pt[0], pt[2], time);
		if (pt[0] == pt[2]) {
			if (pt[0] == d->target_pid)
				d->target_exit_ts = time; /* its status comes with the end chunk */
			else
				emit(d, HWT_EV_PROCESS_EXIT, pt[0], pt[2], time);
		}
		return 0;
	}
	case PERF_RECORD_LOST: {
		if (blen < 16)
			return 0;
		uint64_t lost = ((const uint64_t *)body)[1];
		uint32_t pid, tid;
		uint64_t time;
		trailer(d, rec, size, &pid, &tid, &time);
		d->stats.lost_records += lost;
		struct hwt_event *ev = emit(d, HWT_EV_LOST, pid, tid, time ? time : ts);
		if (ev)
			ev->lost.count = lost;
		return 0;
	}
	case PERF_RECORD_THROTTLE:
		d->stats.throttled++;
		return 0;
	default:
		return 0; /* unknown records are skipped */
	}
}

/* ---- counter reads --------------------------------------------------------------------- */

static int flush_reads(struct hwt_decoder *d)
{
	if (!d->read_leader_desc)
		return 0;
	for (int i = 0; i < d->read_n; i++) {
		if (!d->tracks[i]) {
			struct hwt_track t = {
				.name = d->read_names[i],
				.pid = d->target_pid,
				.cumulative = 1,
			};
			int64_t unit = hwt_model_intern_str(d->m, "count");
			t.unit = unit > 0 ? (uint32_t)unit : 0;
			int64_t id = hwt_model_add_track(d->m, &t);
			if (id < 0)
				return (int)id;
			d->tracks[i] = (uint32_t)id;
		}
		struct hwt_event *ev =
			emit(d, HWT_EV_COUNTER, d->target_pid, d->target_pid, d->read_ts);
		if (ev) {
			ev->counter.track = d->tracks[i];
			ev->counter.value = d->read_sum[i];
		}
	}
	d->read_leader_desc = 0;
	d->stats.counter_reads++;
	return 0;
}

static int do_read(struct hwt_decoder *d, const struct item *it)
{
	const struct hwt_event_desc *e = desc_by_id(d, it->id), *mem[MAX_GROUP];
	const uint64_t *v = (const uint64_t *)it->data;
	size_t nv = it->len / 8;

	if (!e || !(e->read_format & PERF_FORMAT_GROUP) || nv < 1)
		return 0;
	int n = group_members(d, e, mem);
	size_t hdr = 1 + !!(e->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED) +
		     !!(e->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING);
	size_t per =
		1 + !!(e->read_format & PERF_FORMAT_ID) + !!(e->read_format & PERF_FORMAT_LOST);
	if (!d->read_leader_desc) {
		memset(d->read_sum, 0, sizeof(d->read_sum));
		d->read_n = n;
		for (int i = 0; i < n; i++) {
			int64_t s = hwt_model_intern_str(d->m, mem[i]->name);
			d->read_names[i] = s > 0 ? (uint32_t)s : 0;
		}
		/* Reads taken after the target exited hold its final values: show them at the exit,
		 * not after it. */
		d->read_ts = d->target_exit_ts && it->ts > d->target_exit_ts ? d->target_exit_ts
									     : it->ts;
		d->read_round = it->ts;
		d->read_leader_desc = 1;
	}
	for (uint64_t i = 0; i < v[0] && (int)i < d->read_n && hdr + i * per < nv; i++)
		d->read_sum[i] += (double)v[hdr + i * per];
	return 0;
}

/* ---- the driver ------------------------------------------------------------------------ */

static int process_item(struct hwt_decoder *d, struct item *it)
{
	int err = 0;

	/* The reads of one round share a timestamp and come out of the heap together: anything
	 * else means the round is complete. */
	if (d->read_leader_desc && (it->kind != HWT_ITEM_READ || it->ts != d->read_round)) {
		err = flush_reads(d);
		if (err)
			return err;
	}
	switch (it->kind) {
	case HWT_ITEM_RING:
		err = do_record(d, it->data, it->len, it->ts);
		break;
	case HWT_ITEM_READ:
		err = do_read(d, it);
		break;
	default: { /* the end of the recording */
		const struct hwt_end_rec *end = (const void *)it->data;
		err = flush_reads(d);
		struct hwt_event *ev =
			emit(d, HWT_EV_PROCESS_EXIT, (uint32_t)end->pid, (uint32_t)end->pid,
			     d->target_exit_ts ? d->target_exit_ts : end->ts);
		if (ev) {
			ev->exit.status = end->exit_status;
			ev->exit.signal = end->signal;
		}
		break;
	}
	}
	free(it->data);
	return err;
}

static int queue(struct hwt_decoder *d, uint64_t ts, int32_t cpu, uint16_t kind, uint64_t id,
		 const void *data, size_t len)
{
	struct item it = { .ts = ts, .cpu = cpu, .kind = kind, .id = id, .len = (uint32_t)len };
	it.data = malloc(len ? len : 1);
	if (!it.data)
		return HWT_E_NOMEM;
	memcpy(it.data, data, len);
	int err = heap_push(d, &it);
	if (err)
		free(it.data);
	return err;
}

static uint64_t record_time(struct hwt_decoder *d, const uint8_t *rec, uint32_t size,
			    uint64_t fallback)
{
	const struct perf_event_header *h = (const void *)rec;
	if (h->type == PERF_RECORD_SAMPLE && size >= sizeof(*h) + 8) {
		const struct hwt_event_desc *e = desc_by_id(d, *(const uint64_t *)(h + 1));
		struct sample s;
		if (e && !parse_sample(e, rec + sizeof(*h), rec + size, &s) && s.time)
			return s.time;
		return fallback;
	}
	uint32_t pid, tid;
	uint64_t time;
	trailer(d, rec, size, &pid, &tid, &time);
	return time ? time : fallback;
}

static int read_stream(struct hwt_decoder *d, const uint8_t *p, size_t len)
{
	while (len >= sizeof(struct hwt_stream_item)) {
		struct hwt_stream_item hd;
		memcpy(&hd, p, sizeof(hd));
		p += sizeof(hd);
		len -= sizeof(hd);
		if (hd.len > len)
			return 0; /* damaged: the CRC passed, so this is a writer bug; stop here */
		if (hd.ts > d->round_cur) {
			d->round_prev = d->round_cur;
			d->round_cur = hd.ts;
		}
		int err = 0;
		if (hd.kind == HWT_ITEM_READ) {
			err = queue(d, hd.ts, hd.cpu, HWT_ITEM_READ, hd.id, p, hd.len);
		} else if (hd.kind == HWT_ITEM_RING) {
			for (uint32_t off = 0;
			     off + sizeof(struct perf_event_header) <= hd.len && !err;) {
				const struct perf_event_header *h = (const void *)(p + off);
				if (h->size < sizeof(*h) || h->size % 8 || off + h->size > hd.len)
					break;
				uint64_t ts = record_time(d, p + off, h->size, hd.ts);
				err = queue(d, ts, hd.cpu, HWT_ITEM_RING, 0, p + off, h->size);
				off += h->size;
			}
		}
		if (err)
			return err;
		size_t adv = (hd.len + 7) & ~(size_t)7;
		if (adv > len)
			adv = len;
		p += adv;
		len -= adv;
	}
	return 0;
}

static int read_chunk(struct hwt_decoder *d)
{
	uint32_t type;
	const void *data;
	size_t len;
	int n = hwt_store_read(d->r, &type, &data, &len);

	if (n <= 0) {
		d->input_done = 1;
		return n;
	}
	switch (type) {
	case HWT_CHUNK_META: {
		const char *k = data, *v = memchr(data, 0, len);
		if (v && memchr(v + 1, 0, len - (size_t)(v + 1 - k)))
			hwt_model_set_meta(d->m, k, v + 1);
		if (v && !strcmp(k, "pid"))
			d->target_pid = (uint32_t)strtoul(v + 1, NULL, 10);
		return 0;
	}
	case HWT_CHUNK_EVENTS: {
		size_t n = len / sizeof(struct hwt_event_desc);
		struct hwt_event_desc *nd = realloc(d->descs, (d->ndescs + n + 1) * sizeof(*nd));
		if (!nd)
			return HWT_E_NOMEM;
		memcpy(nd + d->ndescs, data, n * sizeof(*nd));
		for (size_t i = d->ndescs; i < d->ndescs + n; i++) {
			nd[i].name[sizeof(nd[i].name) - 1] = 0;
			nd[i].plugin[sizeof(nd[i].plugin) - 1] = 0;
		}
		d->descs = nd;
		d->ndescs += n;
		if (!d->weights_ready) {
			d->weights_ready = 1;
			return declare_weights(d);
		}
		return 0;
	}
	case HWT_CHUNK_STREAM:
		return read_stream(d, data, len);
	case HWT_CHUNK_PROC_MAPS: {
		if (len < 8)
			return 0;
		uint32_t pid = *(const uint32_t *)data;
		char *text = strndup((const char *)data + 8, len - 8), *save = NULL;
		if (!text)
			return HWT_E_NOMEM;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned long long s, e, off;
			char perms[8];
			int pos = 0;
			if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off,
				   &pos) < 4 ||
			    !pos || !strchr(perms, 'x'))
				continue;
			struct hwt_map_info mi = {
				.start = s, .end = e, .pgoff = off, .path = line + pos
			};
			if (*mi.path)
				hwt_symbolizer_add_map(d->sym, pid, &mi);
		}
		free(text);
		return 0;
	}
	case HWT_CHUNK_NOTE: {
		char msg[512];
		snprintf(msg, sizeof(msg), "%.*s", (int)len, (const char *)data);
		d->stats.notes++;
		if (d->cfg.on_note)
			d->cfg.on_note(msg, d->cfg.ctx);
		return 0;
	}
	case HWT_CHUNK_END:
		if (len < sizeof(struct hwt_end_rec))
			return 0;
		memcpy(&d->stats.end, data, sizeof(d->stats.end));
		d->stats.have_end = 1;
		return queue(d, UINT64_MAX, -1, 0, 0, data, len);
	default:
		return 0; /* unknown chunk types are skipped: newer writers, older readers */
	}
}

int hwt_decoder_next(struct hwt_decoder *d, struct hwt_event *ev)
{
	for (;;) {
		if (d->iout < d->nout) {
			*ev = d->out[d->iout++];
			return 1;
		}
		d->iout = d->nout = 0;
		/* An item may go once a later round started after its own: nothing older can
		 * still be in a ring that was drained before. */
		if (d->nheap && (d->input_done || d->heap[0].ts < d->round_prev)) {
			struct item it;
			heap_pop(d, &it);
			int err = process_item(d, &it);
			if (err < 0)
				return err;
			continue;
		}
		if (d->input_done) {
			int err = flush_reads(d);
			if (err < 0)
				return err;
			if (d->nout)
				continue;
			return 0;
		}
		int err = read_chunk(d);
		if (err < 0)
			return err;
	}
}

struct hwt_decoder *hwt_decoder_open(const char *path, struct hwt_model *m,
				     const struct hwt_decoder_config *cfg, int *err, char *why,
				     size_t whylen)
{
	struct hwt_decoder *d = calloc(1, sizeof(*d));

	if (!d) {
		*err = HWT_E_NOMEM;
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (cfg)
		d->cfg = *cfg;
	else
		hwt_decoder_config_init(&d->cfg);
	d->m = m;
	d->r = hwt_store_reader_open(path, err);
	if (!d->r) {
		switch (*err) {
		case HWT_E_BADFILE:
			snprintf(why, whylen,
				 "'%s' is not an hwtrace recording (empty or another "
				 "format): record one with `hwtrace record`",
				 path);
			break;
		case HWT_E_VERSION:
			snprintf(why, whylen,
				 "'%s' was written by a newer hwtrace: upgrade to read it", path);
			break;
		default:
			snprintf(why, whylen, "cannot read '%s': %s", path,
				 *err == HWT_E_IO ? strerror(errno) : hwt_errstr(*err));
		}
		free(d);
		return NULL;
	}
	d->sym = hwt_symbolizer_alloc(m);
	d->unw = d->sym ? hwt_unwinder_alloc(d->sym) : NULL;
	if (!d->sym || !d->unw) {
		*err = HWT_E_NOMEM;
		snprintf(why, whylen, "out of memory");
		hwt_decoder_close(d);
		return NULL;
	}
	/* Read up to the event list, so the model knows its metadata and sample weights before
	 * the first event: exporters look their view up among the weights. */
	while (!d->weights_ready && !d->input_done && !d->nheap) {
		*err = read_chunk(d);
		if (*err < 0) {
			snprintf(why, whylen, "cannot read '%s': %s", path, hwt_errstr(*err));
			hwt_decoder_close(d);
			return NULL;
		}
	}
	*err = 0;
	return d;
}

const struct hwt_decode_stats *hwt_decoder_stats(const struct hwt_decoder *d)
{
	return &d->stats;
}

const struct hwt_store_status *hwt_decoder_store_status(const struct hwt_decoder *d)
{
	return hwt_store_reader_status(d->r);
}

void hwt_decoder_close(struct hwt_decoder *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nheap; i++)
		free(d->heap[i].data);
	free(d->heap);
	free(d->threads);
	free(d->descs);
	hwt_unwinder_free(d->unw);
	hwt_symbolizer_free(d->sym);
	hwt_store_reader_close(d->r);
	free(d);
}

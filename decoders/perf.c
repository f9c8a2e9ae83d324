/* Perf records: samples (callchains, unwound user stacks, group reads), process and thread
 * lifecycle, mappings, losses, and the periodic counter reads, as events of the model. */
#include "internal.h"

#include <assert.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/format/perf_sample.h"
#include "core/format/sysc_format.h"
#include "core/symbols.h"
#include "callchain.h"
#include "unwind.h"

_Static_assert(MAX_GROUP >= HWT_PERF_GROUP_MAX, "a group read the parser accepts fits");

const struct hwt_event_desc *hwt_perf_desc(struct hwt_decoder *d, uint64_t id)
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
int hwt_perf_declare_weights(struct hwt_decoder *d)
{
	const struct hwt_event_desc *lead = NULL, *mem[MAX_GROUP];

	/* The sampling plugin's leader; in recordings that do not name plugins, the first. */
	for (int pass = 0; pass < 2 && !lead; pass++)
		for (size_t i = 0; i < d->ndescs && !lead; i++)
			if (d->descs[i].sample_period && d->descs[i].leader_id == d->descs[i].id &&
			    (pass || !strcmp(d->descs[i].plugin, "sample")))
				lead = &d->descs[i];
	d->w_period = -1;
	for (int i = 0; i < MAX_GROUP; i++)
		d->w_members[i] = -1;
	int err = hwt_model_add_weight(d->m, "samples", "count");
	if (err < 0 || !lead)
		return err < 0 ? err : 0;
	d->w_period = is_time_event(lead) ? hwt_model_add_weight(d->m, "cpu-time", "nanoseconds")
					  : hwt_model_add_weight(d->m, lead->name, "count");
	/* Sampled every N events (-c N): views count the events, N a sample, as perf does. */
	if (d->w_period >= 0 && !is_time_event(lead) && !(lead->flags & HWT_DESC_FREQ))
		hwt_model_set_default_weight(d->m, (uint32_t)d->w_period);
	int n = group_members(d, lead, mem);
	for (int i = 1; i < n && i + 2 < MAX_WEIGHTS; i++)
		d->w_members[i] = hwt_model_add_weight(
			d->m, mem[i]->name, is_time_event(mem[i]) ? "nanoseconds" : "count");
	return d->w_period < 0 ? d->w_period : 0;
}

/* The user frames of a sample of address space generation @gen: the kernel's frame-pointer walk
 * checked and its leaf fixed (callchain.c), or the copied stack unwound with DWARF. Appends to
 * @pcs/@kernel from @n. */
static int user_frames(struct hwt_decoder *d, const struct hwt_event_desc *e,
		       const struct hwt_perf_sample *s, uint64_t gen, const uint64_t *user,
		       int nuser, uint64_t *pcs, uint8_t *kernel, int n)
{
	uint64_t upcs[MAX_CHAIN], leaf_ra = 0, mask = e->sample_regs_user;
	int k = 0, room = MAX_CHAIN - n;

	/* A sample taken in the kernel while the process execs, after its old address space went
	 * and before the new program runs (the kernel loading it), carries the old program's
	 * user registers: its user IP lies in no mapping of the new image. The time is the
	 * kernel's; there is no user frame to show (perf shows one "[unknown]"). */
	if (n && kernel[n - 1] && (nuser || s->regs)) {
		uint64_t uip = nuser ? user[0] : hwt_regs_get(mask, s->regs, HWT_REG_IP);
		if (uip && hwt_symbolizer_mapped(d->sym, s->pid, uip) == 0)
			return n;
	}
	if (nuser) {
		/* The registers and stack copied with a frame-pointer sample are the sampled
		 * function's: its CFI tells whether the walk skipped its caller. Read where they
		 * lie: the few the rule needs, not all of them placed first. */
		if (s->regs && (s->stack || s->stack_map) && d->unw &&
		    hwt_regs_get(mask, s->regs, HWT_REG_IP) == user[0] &&
		    hwt_chain_sample_leaf_ra_gen(&d->chk, d->unw, s, mask, gen, &leaf_ra) <= 0)
			leaf_ra = 0;
		/* The walk starts at the sampled %rbp: below the stack pointer, none of it holds.
		 */
		if (s->regs && (mask & HWT_SAMPLE_FP_REGS_MASK) == HWT_SAMPLE_FP_REGS_MASK &&
		    nuser > 1 &&
		    hwt_regs_get(mask, s->regs, HWT_REG_BP) <
			    hwt_regs_get(mask, s->regs, HWT_REG_SP)) {
			nuser = 1;
			d->chk.cut++;
		}
		/* What it counts goes to d->stats once per batch (fill()): here, a store of each
		 * count and a load of both at once cost a stalled forward per sample. */
		k = hwt_chain_fix(&d->chk, s->pid, user, nuser, leaf_ra, upcs, room);
	} else if (s->regs && s->stack && d->unw) {
		uint64_t regs[HWT_SAMPLE_NREGS];
		hwt_regs_expand(mask, s->regs, regs);
		k = hwt_unwind(d->unw, s->pid, s->tid, regs, s->stack, s->stack_size, upcs, room);
		if (k <= 1)
			d->stats.unwind_failures++;
		if (k <= 0 && s->ip && room > 0) {
			upcs[0] = s->ip;
			k = 1;
		}
	} else if (!s->nchain && s->ip && room > 0) {
		upcs[k++] = s->ip;
	}
	/* Return addresses point after the call; look up the call itself (the checked walk gives
	 * those already). */
	for (int i = 0; i < k; i++, n++) {
		pcs[n] = i && !nuser ? upcs[i] - 1 : upcs[i];
		kernel[n] = 0;
	}
	return n;
}

/* The cache entry of the frames @pcs (@kernel) of @pid, at address space generation @gen: its
 * stack node when ->gen is set and ->n is @n (a hit), else the entry to fill; NULL when the
 * stack is not cached (too deep, no memory). */
static struct stack_cache_entry *stack_cached(struct hwt_decoder *d, uint32_t pid, uint64_t gen,
					      const uint64_t *pcs, const uint8_t *kernel, int n)
{
	if (n > STACK_CACHE_FRAMES)
		return NULL;
	if (!d->stacks && !(d->stacks = calloc(STACK_CACHE_SIZE, sizeof(*d->stacks))))
		return NULL;
	uint64_t h = gen * 0x9e3779b97f4a7c15ull ^ pid;
	uint32_t kmask = 0;
	for (int i = 0; i < n; i++) {
		h = (h ^ pcs[i]) * 0xc2b2ae3d27d4eb4full;
		kmask |= (uint32_t)kernel[i] << i;
	}
	struct stack_cache_entry *ce = &d->stacks[(h ^ (h >> 29)) & (STACK_CACHE_SIZE - 1)];
	if (ce->gen == gen && ce->pid == pid && ce->n == (uint32_t)n && ce->kernel == kmask) {
		int i = 0;
		while (i < n && ce->pcs[i] == pcs[i]) /* a few frames: no call to memcmp() */
			i++;
		if (i == n)
			return ce;
	}
	ce->gen = 0; /* to be filled */
	return ce;
}

/* Turns the callchain (or the unwound user stack) into a stack node, outermost frame first. */
static int64_t build_stack(struct hwt_decoder *d, const struct hwt_event_desc *e,
			   const struct hwt_perf_sample *s)
{
	uint64_t pcs[MAX_CHAIN], user[MAX_CHAIN];
	uint8_t kernel[MAX_CHAIN];
	int n = 0, nuser = 0, ctx_kernel = 0, user_end = 0;

	for (uint64_t i = 0; i < s->nchain && n + nuser < MAX_CHAIN; i++) {
		uint64_t ip = s->chain[i];
		if (ip >= PERF_CONTEXT_MAX) {
			ctx_kernel = ip == PERF_CONTEXT_KERNEL;
			continue;
		}
		if (ctx_kernel) {
			if (n && kernel[n - 1])
				continue; /* one [kernel] frame for the whole kernel part */
			/* Symbolized, it is "[kernel]" wherever it was: one stack in the cache. */
			pcs[n] = d->cfg.symbolize ? 0 : ip;
			kernel[n++] = 1;
			continue;
		}
		if (ip < 4096 || ip >= HWT_USER_ADDR_END)
			user_end = 1; /* the end of the chain, or a walk gone astray */
		if (!user_end)
			user[nuser++] = ip;
	}
	/* Mappings change between records, never within one: one look-up for the sample. */
	uint64_t gen = hwt_symbolizer_generation(d->sym, s->pid);
	n = user_frames(d, e, s, gen, user, nuser, pcs, kernel, n);
	struct stack_cache_entry *ce = stack_cached(d, s->pid, gen, pcs, kernel, n);
	if (ce && ce->gen && ce->n == (uint32_t)n)
		return ce->node;
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
		/* What was inlined at the address: callees of that function, outermost first. */
		uint32_t inl[HWT_INLINE_MAX];
		int k = d->cfg.symbolize && !kernel[i]
				? hwt_symbolizer_inlined(d->sym, s->pid, pcs[i], inl,
							 HWT_INLINE_MAX)
				: 0;
		for (int j = k - 1; j >= 0; j--) {
			nn = hwt_model_intern_stack(d->m, node, inl[j]);
			if (nn < 0)
				return nn;
			node = (uint32_t)nn;
		}
		if (k < 0)
			return k;
	}
	if (ce) {
		ce->gen = gen;
		ce->pid = s->pid;
		ce->n = (uint32_t)n;
		ce->node = node;
		ce->kernel = 0;
		for (int i = 0; i < n; i++) {
			ce->pcs[i] = pcs[i];
			ce->kernel |= (uint32_t)kernel[i] << i;
		}
	}
	return node;
}

/* A record of the syscalls plugin: an instant for each effect it completes (a copy makes two),
 * with the caller's stack and, under it, the effect's own frame; an io_uring request's on the
 * thread and under the stack that submitted it. */
static int effect_sample(struct hwt_decoder *d, const struct hwt_event_desc *e,
			 const struct hwt_perf_sample *s)
{
	struct hwt_effect fx[HWT_EFFECTS_MAX];

	if (!s->raw)
		return 0;
	if (!d->effects && !(d->effects = hwt_effects_alloc()))
		return HWT_E_NOMEM;
	int n = hwt_effects_record(d->effects, d->m, s->pid, s->tid, s->time, s->raw, s->raw_size,
				   fx);
	if (n == HWT_E_CORRUPT) {
		d->stats.damaged_records++;
		return 0;
	}
	if (n == 0 && hwt_effects_wants_stack(d->effects)) {
		/* An io_uring submission: its completion's effect shows where it was made. */
		int64_t at = build_stack(d, e, s);
		if (at < 0)
			return (int)at;
		hwt_effects_keep_stack(d->effects, (uint32_t)at);
		return 0;
	}
	if (n <= 0)
		return n;
	uint32_t tid = fx[0].tid ? fx[0].tid : s->tid;
	hwt_dec_announce(d, s->pid, tid, s->time);
	int64_t caller = fx[0].stack ? 0 : build_stack(d, e, s);
	if (caller < 0)
		return (int)caller;
	for (int k = 0; k < n; k++) {
		struct hwt_frame fr = { .name = fx[k].leaf, .kind = HWT_FRAME_SPAN };
		int64_t stack = fx[k].stack ? fx[k].stack : caller,
			frame = fx[k].leaf ? hwt_model_intern_frame(d->m, &fr) : 0;
		if (frame < 0)
			return (int)frame;
		if (frame &&
		    (stack = hwt_model_intern_stack(d->m, (uint32_t)stack, (uint32_t)frame)) < 0)
			return (int)stack;
		int64_t name = hwt_model_intern_str(d->m, fx[k].name);
		if (name < 0)
			return (int)name;
		struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_INSTANT, s->pid, tid, s->time);
		if (!ev)
			return HWT_E_NOMEM;
		ev->stack = (uint32_t)stack;
		ev->instant.name = (uint32_t)name;
		ev->instant.args = fx[k].args;
		ev->instant.args_len = fx[k].args ? fx[k].args_len : 0;
	}
	return 0;
}

static int do_sample(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, uint64_t hint)
{
	const uint8_t *end = rec + size, *body = rec + sizeof(struct perf_event_header);
	const struct hwt_event_desc *e;
	struct hwt_perf_sample s;
	int err;

	if (hint && hint <= d->ndescs) { /* found and checked when it was queued */
		e = &d->descs[hint - 1];
		err = hwt_perf_sample_reparse(e, body, end, &s);
	} else {
		e = hwt_perf_desc(d, *(const uint64_t *)body);
		if (!e)
			return 0; /* an event this recording does not declare: skip it */
		err = hwt_perf_sample_parse(e, body, end, &s);
	}
	if (err) {
		d->stats.damaged_records++; /* skip it, keep the rest */
		return 0;
	}
	if (e->type == PERF_TYPE_SOFTWARE && e->config == PERF_COUNT_SW_BPF_OUTPUT &&
	    !strcmp(e->name, HWT_SYSC_EVENT))
		return effect_sample(d, e, &s);
	d->stats.samples++;
	/* One lookup where the thread is known (most samples); the table stays as it is until the
	 * next record. */
	struct thread *t = hwt_dec_thread(d, s.tid, 0);
	if (!t || !t->announced) {
		hwt_dec_announce(d, s.pid, s.tid, s.time);
		t = hwt_dec_thread(d, s.tid, 0);
	}
	int64_t stack = build_stack(d, e, &s);
	if (stack < 0)
		return (int)stack;

	uint32_t nw = hwt_model_nweights(d->m);
	/* The row of the event's place, so that samples go out in batches (internal.h); rows of
	 * the weights there are (readers read no more), so that a batch's take a few KiB. */
	size_t row = d->nout, stride = nw >= 1 && nw <= MAX_WEIGHTS ? nw : MAX_WEIGHTS;
	uint64_t *w = row < WEIGHT_ROWS ? d->sample_weights + row * stride : d->weights;
	/* The row's few weights zeroed one by one: a memset() of a length known only here is a
	 * "rep stos" whose start-up costs more than the stores (a quarter of this function's
	 * time), and the compiler makes the plain loop a memset() (volatile keeps it a loop). */
	w[0] = 1;
	for (size_t i = 1; i < stride; i++)
		((volatile uint64_t *)w)[i] = 0;
	/* Events sampled every N occurrences do not carry the period: it is N. */
	uint64_t period = s.period;
	if (!(e->sample_type & PERF_SAMPLE_PERIOD) && !(e->flags & HWT_DESC_FREQ))
		period = e->sample_period;
	if (d->w_period >= 0)
		w[d->w_period] = period;
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
				w[d->w_members[i]] =
					t->have_last && v >= t->last[i] ? v - t->last[i] : v;
			t->last[i] = v;
		}
		t->have_last = 1;
	}
	struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_SAMPLE, s.pid, s.tid, s.time);
	if (ev) {
		assert(ev == d->out + row);
		ev->sample.stack = (uint32_t)stack;
		ev->sample.weights = w;
	}
	return 0;
}

/* The sample_id trailer of a non-sample record: TID, TIME, ... IDENTIFIER last. */
static void trailer(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, uint32_t *pid,
		    uint32_t *tid, uint64_t *time)
{
	const uint64_t *endq = (const uint64_t *)(rec + size);
	const struct hwt_event_desc *e = hwt_perf_desc(d, endq[-1]);

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
	if (id > 0) {
		t->name = (uint32_t)id;
		t->made_up = 0;
	}
}

/* Thread @t of @pid, announced already, has a new name: announced again with it (a process's
 * main thread as the process too, with its parent @ppid when known, else 0). */
static void announce_again(struct hwt_decoder *d, const struct thread *t, uint32_t pid,
			   uint32_t ppid, uint64_t time)
{
	if (pid == t->tid) {
		struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_PROCESS, pid, t->tid, time);
		if (ev) {
			ev->proc.name = t->name;
			ev->proc.parent_pid = ppid;
		}
	}
	struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_THREAD, pid, t->tid, time);
	if (ev)
		ev->thread.name = t->name;
}

/* PERF_RECORD_MMAP, MMAP2: a mapping for the symbolizer. */
static int on_mmap(struct hwt_decoder *d, const struct perf_event_header *h, const uint8_t *body,
		   size_t blen)
{
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
	if (d->exe_pending && pt[0] == d->target_pid && mi.path[0] == '/') {
		d->exe_pending = 0;
		if (hwt_model_set_meta(d->m, "exe", mi.path) < 0)
			return HWT_E_NOMEM;
	}
	if (h->type == PERF_RECORD_MMAP2 && (h->misc & PERF_RECORD_MISC_MMAP_BUILD_ID)) {
		const uint8_t *bid = body + 32;
		mi.build_id_len = bid[0] <= 20 ? bid[0] : 20;
		mi.build_id = bid + 4;
	}
	return hwt_symbolizer_add_map(d->sym, pt[0], &mi);
}

/* A flow of kind @name (a static string, interned) from thread @ptid of @ppid to thread @tid of
 * @pid at @time: what created what (a thread, a process by fork, a new program by exec). Its id
 * has the top bit set, which libhwtrace's flows (user links) never have, and the time and
 * the thread's id below. */
static int link_flow(struct hwt_decoder *d, const char *name, uint32_t ppid, uint32_t ptid,
		     uint32_t pid, uint32_t tid, uint64_t time)
{
	int64_t sid = hwt_model_intern_str(d->m, name);
	uint64_t id = 1ull << 63 | (time & ((1ull << 47) - 1)) << 16 | (tid & 0xffff);

	if (sid < 0)
		return (int)sid;
	for (int k = 0; k < 2; k++) {
		struct hwt_event *ev =
			hwt_dec_emit(d, HWT_EV_FLOW, k ? pid : ppid, k ? tid : ptid, time);
		if (!ev)
			return HWT_E_NOMEM;
		ev->flow.id = id;
		ev->flow.phase = k ? HWT_FLOW_IN : HWT_FLOW_OUT;
		ev->flow.name = (uint32_t)sid;
	}
	return 0;
}

/* PERF_RECORD_COMM: a thread's name, set at exec or renamed. */
static int on_comm(struct hwt_decoder *d, const uint8_t *rec, uint32_t size)
{
	const struct perf_event_header *h = (const void *)rec;
	const uint8_t *body = rec + sizeof(*h);
	size_t blen = size - sizeof(*h);
	const uint32_t *pt = (const void *)body;
	if (blen < 9)
		return 0;
	uint32_t pid, tid;
	uint64_t time;
	trailer(d, rec, size, &pid, &tid, &time);
	if (h->misc & PERF_RECORD_MISC_COMM_EXEC) {
		/* From the call that ran exec (its innermost slice) to the new program; what the
		 * old program had open ends here. */
		struct thread *before = hwt_dec_thread(d, pt[1], 0);
		/* Not the exec that started the recorded program: nothing of it came before. */
		int err = before && before->announced
				  ? link_flow(d, "exec", pt[0], pt[1], pt[0], pt[1], time)
				  : 0;
		if (!err)
			err = hwt_dec_thread_end(d, pt[0], pt[1], time);
		if (err < 0)
			return err;
		hwt_symbolizer_exec(d->sym, pt[0]);
		if (pt[0] == d->target_pid)
			d->exe_pending = 1;
	}
	struct thread *t = hwt_dec_thread(d, pt[1], 1);
	if (!t)
		return HWT_E_NOMEM;
	set_name(d, t, (const char *)(body + 8), blen - 8);
	t->pid = pt[0];
	if (t->announced) {
		announce_again(d, t, pt[0], 0, time); /* a rename */
	} else {
		hwt_dec_announce(d, pt[0], pt[1], time);
	}
	return 0;
}

/* PERF_RECORD_FORK: a new thread, or a new process with a copy of its parent's mappings. */
static int on_fork(struct hwt_decoder *d, const uint8_t *body, size_t blen)
{
	const uint32_t *pt = (const void *)body; /* pid ppid tid ptid, then time */
	if (blen < 24)
		return 0;
	uint64_t time = *(const uint64_t *)(body + 16);
	struct thread *parent = hwt_dec_thread(d, pt[3], 0);
	uint32_t pname = parent ? parent->name : 0;
	int made_up = !parent || !parent->name || parent->made_up;
	struct thread *t = hwt_dec_thread(d, pt[2], 1);
	if (!t)
		return HWT_E_NOMEM;
	*t = (struct thread){
		.tid = pt[2], .pid = pt[0], .name = pname, .made_up = made_up, .announced = 1
	};
	if (pt[0] != pt[1]) { /* a new process, not a new thread */
		int err = hwt_symbolizer_fork(d->sym, pt[1], pt[0]);
		if (err < 0)
			return err;
		struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_PROCESS, pt[0], pt[2], time);
		if (ev) {
			ev->proc.name = pname;
			ev->proc.parent_pid = pt[1];
		}
		d->stats.processes++;
	}
	struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_THREAD, pt[0], pt[2], time);
	if (ev) {
		ev->thread.name = pname;
		ev->thread.parent_tid = pt[3];
	}
	d->stats.threads++;
	return parent ? link_flow(d, pt[0] != pt[1] ? "fork" : "thread", pt[1], pt[3], pt[0], pt[2],
				  time)
		      : 0;
}

/* PERF_RECORD_EXIT: a thread, or the process with its last thread, is gone. */
static int on_thread_exit(struct hwt_decoder *d, const uint8_t *body, size_t blen)
{
	const uint32_t *pt = (const void *)body;
	if (blen < 24)
		return 0;
	uint64_t time = *(const uint64_t *)(body + 16);
	struct thread *t = hwt_dec_thread(d, pt[2], 0);
	if (!t || t->exited)
		return 0;
	t->exited = 1;
	/* A process forked while the recording started has no FORK record: its parent's events
	 * are opened CPU by CPU, and the child inherits those open already, while the fork is told
	 * only by an event of the CPU it ran on. Announced at its first sample under a made-up
	 * name, it takes its parent's (what a fork's child has until it execs) from its EXIT, which
	 * names the parent. */
	if (t->made_up && t->announced && pt[0] == pt[2] && pt[1] != pt[0]) {
		const struct thread *p = hwt_dec_thread(d, pt[3], 0);
		if (!p || !p->name || p->made_up)
			p = hwt_dec_thread(d, pt[1], 0);
		if (p && p->name && !p->made_up) {
			t->name = p->name;
			t->made_up = 0;
			announce_again(d, t, pt[0], pt[1], time);
		}
	}
	int err = hwt_dec_thread_end(d, pt[0], pt[2], time);
	if (err < 0)
		return err;
	hwt_dec_emit(d, HWT_EV_THREAD_EXIT, pt[0], pt[2], time);
	if (pt[0] == pt[2]) {
		if (pt[0] == d->target_pid)
			d->target_exit_ts = time; /* its status comes with the end chunk */
		else
			hwt_dec_emit(d, HWT_EV_PROCESS_EXIT, pt[0], pt[2], time);
	}
	return 0;
}

/* PERF_RECORD_LOST: records the kernel could not write, as a marker on the timeline. */
static int on_lost(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, uint64_t ts)
{
	const uint8_t *body = rec + sizeof(struct perf_event_header);
	size_t blen = size - sizeof(struct perf_event_header);
	if (blen < 16)
		return 0;
	uint64_t lost = ((const uint64_t *)body)[1];
	uint32_t pid, tid;
	uint64_t time;
	trailer(d, rec, size, &pid, &tid, &time);
	d->stats.lost_records += lost;
	struct hwt_event *ev = hwt_dec_emit(d, HWT_EV_LOST, pid, tid, time ? time : ts);
	if (ev)
		ev->lost.count = lost;
	return 0;
}

int hwt_perf_record(struct hwt_decoder *d, const uint8_t *rec, uint32_t size, int32_t cpu,
		    uint64_t ts, uint64_t hint)
{
	const struct perf_event_header *h = (const void *)rec;
	const uint8_t *body = rec + sizeof(*h);
	size_t blen = size - sizeof(*h);

	d->stats.records++;
	switch (h->type) {
	case PERF_RECORD_SAMPLE:
		return blen >= 8 ? do_sample(d, rec, size, hint) : 0;
	case PERF_RECORD_MMAP:
	case PERF_RECORD_MMAP2:
		return on_mmap(d, h, body, blen);
	case PERF_RECORD_COMM:
		return on_comm(d, rec, size);
	case PERF_RECORD_FORK:
		return on_fork(d, body, blen);
	case PERF_RECORD_EXIT:
		return on_thread_exit(d, body, blen);
	case PERF_RECORD_LOST:
		return on_lost(d, rec, size, ts);
	case PERF_RECORD_THROTTLE:
		d->stats.throttled++;
		return 0;
	case PERF_RECORD_AUX:
	case PERF_RECORD_ITRACE_START:
	case PERF_RECORD_SWITCH:
	case PERF_RECORD_SWITCH_CPU_WIDE: {
		uint32_t pid, tid;
		uint64_t time;
		trailer(d, rec, size, &pid, &tid, &time);
		return hwt_dec_perf_record(d, h, cpu, time ? time : ts);
	}
	default:
		return 0; /* unknown records are skipped */
	}
}

int hwt_perf_flush_reads(struct hwt_decoder *d)
{
	if (!d->read_leader_desc)
		return 0;
	for (int i = 0; i < d->read_n; i++) {
		if (!d->tracks[i]) {
			struct hwt_track t = {
				.name = d->read_names[i],
				.unit = d->read_units[i],
				.pid = d->target_pid,
				.cumulative = 1,
			};
			int64_t id = hwt_model_add_track(d->m, &t);
			if (id < 0)
				return (int)id;
			d->tracks[i] = (uint32_t)id;
		}
		struct hwt_event *ev =
			hwt_dec_emit(d, HWT_EV_COUNTER, d->target_pid, d->target_pid, d->read_ts);
		if (ev) {
			ev->counter.track = d->tracks[i];
			ev->counter.value = d->read_sum[i];
		}
	}
	d->read_leader_desc = 0;
	d->stats.counter_reads++;
	return 0;
}

int hwt_perf_read(struct hwt_decoder *d, uint64_t ts, uint64_t id, const uint8_t *data, size_t len)
{
	const struct hwt_event_desc *e = hwt_perf_desc(d, id), *mem[MAX_GROUP];
	const uint64_t *v = (const uint64_t *)data;
	size_t nv = len / 8;

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
			int clock = mem[i]->type == PERF_TYPE_SOFTWARE &&
				    (mem[i]->config == PERF_COUNT_SW_CPU_CLOCK ||
				     mem[i]->config == PERF_COUNT_SW_TASK_CLOCK);
			int64_t s = hwt_model_intern_str(d->m, mem[i]->name);
			int64_t u = hwt_model_intern_str(d->m, clock ? "ns" : "count");
			d->read_names[i] = s > 0 ? (uint32_t)s : 0;
			d->read_units[i] = u > 0 ? (uint32_t)u : 0;
		}
		/* Reads taken after the target exited hold its final values: show them at the exit,
		 * not after it. */
		d->read_ts = d->target_exit_ts && ts > d->target_exit_ts ? d->target_exit_ts : ts;
		d->read_round = ts;
		d->read_leader_desc = 1;
	}
	for (uint64_t i = 0; i < v[0] && (int)i < d->read_n && hdr + i * per < nv; i++)
		d->read_sum[i] += (double)v[hdr + i * per];
	return 0;
}

uint64_t hwt_perf_record_time(struct hwt_decoder *d, const uint8_t *rec, uint32_t size,
			      uint64_t fallback, uint64_t *hint)
{
	const struct perf_event_header *h = (const void *)rec;
	*hint = 0;
	if (h->type == PERF_RECORD_SAMPLE && size >= sizeof(*h) + 8) {
		const struct hwt_event_desc *e = hwt_perf_desc(d, *(const uint64_t *)(h + 1));
		uint64_t time;
		if (!e || hwt_perf_sample_time(e, rec + sizeof(*h), rec + size, &time))
			return fallback;
		*hint = (uint64_t)(e - d->descs) + 1;
		return time ? time : fallback;
	}
	uint32_t pid, tid;
	uint64_t time;
	trailer(d, rec, size, &pid, &tid, &time);
	return time ? time : fallback;
}

/* Which of the records taken out of the heap together are samples to unwind with DWARF: handed
 * to the unwinder's threads before their turn comes (unwind_pool.c). */
#include "internal.h"

#include "core/format/perf_sample.h"

int hwt_dec_wants_ahead(struct hwt_decoder *d)
{
	/* Samples with every register and a stack copy are -g dwarf's; events are declared
	 * before their records, so this changes only when more are. */
	if (d->ahead_ndescs != d->ndescs) {
		d->ahead_ndescs = d->ndescs;
		d->ahead = 0;
		for (size_t i = 0; i < d->ndescs && !d->ahead; i++)
			d->ahead = (d->descs[i].sample_type & PERF_SAMPLE_STACK_USER) &&
				   (d->descs[i].sample_regs_user & HWT_SAMPLE_REGS_MASK) ==
					   HWT_SAMPLE_REGS_MASK;
		if (d->ahead && hwt_unwind_ahead_threads(d->unw) <= 0)
			d->ahead = 0;
	}
	return d->ahead && hwt_unwind_ahead_wanted(d->unw);
}

/* Whether build_stack() in perf.c finds user frames in the callchain (then it does not unwind). */
static int chain_has_user(const struct hwt_perf_sample *s)
{
	int ctx_kernel = 0;

	for (uint64_t i = 0; i < s->nchain; i++) {
		uint64_t ip = s->chain[i];

		if (ip >= PERF_CONTEXT_MAX) {
			ctx_kernel = ip == PERF_CONTEXT_KERNEL;
			continue;
		}
		if (!ctx_kernel)
			return ip >= 4096 && ip < HWT_USER_ADDR_END;
	}
	return 0;
}

int hwt_dec_unwind_ahead(struct hwt_decoder *d, const struct item *items, size_t n)
{
	uint64_t regs[HWT_SAMPLE_NREGS];

	for (size_t i = 0; i < n; i++) {
		const struct item *it = &items[i];
		const struct perf_event_header *h = (const void *)it->data;
		struct hwt_perf_sample s;

		if (it->kind != HWT_ITEM_RING || h->type != PERF_RECORD_SAMPLE ||
		    it->len < sizeof(*h) + 8)
			continue;
		const uint8_t *body = it->data + sizeof(*h);
		const struct hwt_event_desc *e = hwt_perf_desc(d, *(const uint64_t *)body);
		if (!e || !(e->sample_type & PERF_SAMPLE_STACK_USER) ||
		    hwt_perf_sample_parse(e, body, it->data + it->len, &s) || !s.regs || !s.stack ||
		    chain_has_user(&s))
			continue;
		hwt_regs_expand(e->sample_regs_user, s.regs, regs);
		if (!regs[HWT_REG_IP])
			continue;
		int err = hwt_unwind_ahead_add(d->unw, s.pid, s.tid, regs, s.stack, s.stack_size);
		if (err < 0)
			return err;
	}
	return hwt_unwind_ahead_start(d->unw);
}

/* The oracle's self-check: libipt's own decoders over the encoded trace must give back exactly
 * the instructions that executed, and the times the truth says a decoder can know. This proves
 * the encoding right independently of hwtrace's decoder. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-pt.h>

#include "oracle.h"

/* Mismatches reported in full; the rest are only counted. */
#define SHOW_MAX 5

struct seg_ctx {
	struct pt_image *image;
	const char *path;
	uint64_t bias;
	int added;
};

static int seg_add(uint64_t off, uint64_t size, uint64_t vaddr, void *ctx)
{
	struct seg_ctx *c = ctx;
	int err = pt_image_add_file(c->image, c->path, off, size, NULL, vaddr + c->bias);

	if (err < 0) {
		fprintf(stderr, "selfcheck: %s: pt_image_add_file: %s\n", c->path,
			pt_errstr(pt_errcode(err)));
		return -1;
	}
	c->added++;
	return 0;
}

static void config_fill(struct pt_config *pc, const struct orc_check_in *in)
{
	pt_config_init(pc);
	pc->begin = (uint8_t *)in->trace;
	pc->end = (uint8_t *)in->trace + in->len;
	pc->cpuid_0x15_eax = in->cfg->cpuid15_eax;
	pc->cpuid_0x15_ebx = in->cfg->cpuid15_ebx;
	pc->mtc_freq = (uint8_t)in->cfg->mtc_freq;
	pc->nom_freq = in->cfg->nom_freq;
}

struct counts {
	long bad, bad_time, enabled, disabled, other_events;
	size_t ninsn, nmarks, exact;
	uint64_t max_late; /* largest decoded time - lo */
	uint64_t max_out;  /* farthest a decoded time lies outside [lo, hi] */
};

static void event_count(struct counts *c, const struct pt_event *ev)
{
	if (ev->type == ptev_enabled)
		c->enabled++;
	else if (ev->type == ptev_disabled)
		c->disabled++;
	else {
		c->other_events++;
		if (getenv("PT_ORACLE_DEBUG"))
			fprintf(stderr, "selfcheck: event type %d\n", (int)ev->type);
	}
}

/* Compares libipt's time after the instruction at @k of the path with the marks made there. */
static void times_check(struct pt_insn_decoder *dec, const struct orc_check_in *in, size_t k,
			size_t *ev, struct counts *c)
{
	for (; *ev < in->nmarks && in->event_step[*ev] == k; (*ev)++) {
		const struct orc_mark *m = &in->marks[*ev];
		uint64_t t = 0;
		uint32_t lost_mtc, lost_cyc;
		int ok, err = pt_insn_time(dec, &t, &lost_mtc, &lost_cyc);

		/* With CYC, libipt's time is as good as its calibration from MTC periods, which
		 * the cycles of a stay in the kernel upset: only reported. */
		ok = err >= 0 && (in->cfg->cyc || (t >= m->lo && t <= m->hi));
		if (err >= 0 && t > m->hi && t - m->hi > c->max_out)
			c->max_out = t - m->hi;
		if (err >= 0 && t < m->lo && m->lo - t > c->max_out)
			c->max_out = m->lo - t;
		if (err >= 0 && t > m->lo && t - m->lo > c->max_late)
			c->max_late = t - m->lo;
		c->exact += err >= 0 && t == m->lo;
		c->nmarks++;
		if (ok)
			continue;
		if (c->bad_time++ < SHOW_MAX)
			fprintf(stderr,
				"selfcheck: mark %zu at instruction %zu (0x%" PRIx64
				"): libipt time %" PRIu64 "%s, truth lo %" PRIu64 " hi %" PRIu64
				"\n",
				*ev, k, in->path[k], t, err < 0 ? " (no time)" : "", m->lo, m->hi);
	}
}

/* The instruction decoder: every instruction, and the time at each mark. */
static void insn_check(const struct pt_config *pc, struct pt_image *image,
		       const struct orc_check_in *in, struct counts *c)
{
	struct pt_insn_decoder *dec = pt_insn_alloc_decoder(pc);
	size_t k = 0, ev = 0;
	uint64_t off = 0;
	int status;

	if (!dec || pt_insn_set_image(dec, image) < 0) {
		fprintf(stderr, "selfcheck: cannot set up libipt's instruction decoder\n");
		c->bad++;
		pt_insn_free_decoder(dec);
		return;
	}
	status = pt_insn_sync_forward(dec);
	while (status >= 0) {
		struct pt_insn insn;

		while (status & pts_event_pending) {
			struct pt_event e;

			status = pt_insn_event(dec, &e, sizeof(e));
			if (status < 0)
				break;
			event_count(c, &e);
			if (e.type == ptev_overflow && in->resume_at) {
				/* What ran during the overflow is not in the trace. */
				k = in->resume_at;
				while (ev < in->nmarks && in->event_step[ev] < k)
					ev++;
			}
		}
		if (status < 0)
			break;
		status = pt_insn_next(dec, &insn, sizeof(insn));
		if (status < 0)
			break;
		if (k >= in->npath || insn.ip != in->path[k]) {
			pt_insn_get_offset(dec, &off);
			fprintf(stderr,
				"selfcheck: instruction %zu: libipt decoded 0x%" PRIx64
				", the program executed 0x%" PRIx64 " (trace offset %" PRIu64 ")\n",
				k, insn.ip, k < in->npath ? in->path[k] : 0, off);
			c->bad++;
			break;
		}
		times_check(dec, in, k, &ev, c);
		k++;
	}
	if (status < 0 && status != -pte_eos) {
		pt_insn_get_offset(dec, &off);
		fprintf(stderr,
			"selfcheck: libipt's instruction decoder stopped at offset %" PRIu64
			" after %zu instructions: %s\n",
			off, k, pt_errstr(pt_errcode(status)));
		c->bad++;
	}
	if (k != in->npath) {
		fprintf(stderr,
			"selfcheck: libipt ended at instruction %zu, the program executed %zu\n", k,
			in->npath);
		c->bad++;
	}
	c->ninsn = k;
	pt_insn_free_decoder(dec);
}

/* The block decoder: blocks must cover the path exactly. */
static void blk_check(const struct pt_config *pc, struct pt_image *image,
		      const struct orc_check_in *in, struct counts *c)
{
	struct pt_block_decoder *dec = pt_blk_alloc_decoder(pc);
	size_t k = 0;
	uint64_t off = 0;
	int status;

	if (!dec || pt_blk_set_image(dec, image) < 0) {
		fprintf(stderr, "selfcheck: cannot set up libipt's block decoder\n");
		c->bad++;
		pt_blk_free_decoder(dec);
		return;
	}
	status = pt_blk_sync_forward(dec);
	while (status >= 0) {
		struct pt_block b;

		while (status & pts_event_pending) {
			struct pt_event e;

			status = pt_blk_event(dec, &e, sizeof(e));
			if (status < 0)
				break;
			if (e.type == ptev_overflow && in->resume_at)
				k = in->resume_at;
		}
		if (status < 0)
			break;
		memset(&b, 0, sizeof(b));
		status = pt_blk_next(dec, &b, sizeof(b));
		if (!b.ninsn)
			continue;
		if (k + b.ninsn > in->npath || in->path[k] != b.ip ||
		    in->path[k + b.ninsn - 1] != b.end_ip) {
			pt_blk_get_offset(dec, &off);
			fprintf(stderr,
				"selfcheck: block of %u instructions 0x%" PRIx64 "..0x%" PRIx64
				" at instruction %zu does not match the path (trace offset %" PRIu64
				")\n",
				b.ninsn, b.ip, b.end_ip, k, off);
			c->bad++;
			break;
		}
		k += b.ninsn;
	}
	if (status < 0 && status != -pte_eos) {
		pt_blk_get_offset(dec, &off);
		fprintf(stderr,
			"selfcheck: libipt's block decoder stopped at offset %" PRIu64
			" after %zu instructions: %s\n",
			off, k, pt_errstr(pt_errcode(status)));
		c->bad++;
	}
	if (k != in->npath) {
		fprintf(stderr,
			"selfcheck: libipt's blocks hold %zu instructions, the program executed "
			"%zu\n",
			k, in->npath);
		c->bad++;
	}
	pt_blk_free_decoder(dec);
}

long orc_selfcheck(const struct orc_check_in *in)
{
	struct pt_config pc;
	struct pt_image *image = pt_image_alloc("pt_oracle");
	struct counts c = { 0 };
	size_t i;

	if (!image)
		return 1;
	config_fill(&pc, in);
	for (i = 0; i < in->nimages; i++) {
		struct seg_ctx sc = { .image = image,
				      .path = in->images[i].path,
				      .bias = in->images[i].bias };

		if (orc_elf_exec_segments(sc.path, seg_add, &sc) || !sc.added) {
			fprintf(stderr, "selfcheck: no executable segment in %s\n", sc.path);
			c.bad++;
		}
	}
	insn_check(&pc, image, in, &c);
	/* The enables are the start and each return from the kernel; the disables each entry
	 * (those in an overflow are lost). */
	if (!in->resume_at &&
	    (c.enabled != (long)in->nsyscalls || c.disabled != (long)in->nsyscalls)) {
		fprintf(stderr,
			"selfcheck: libipt saw %ld enables and %ld disables, the program made "
			"%" PRIu64 " syscalls\n",
			c.enabled, c.disabled, in->nsyscalls);
		c.bad++;
	}
	blk_check(&pc, image, in, &c);
	pt_image_free(image);
	fprintf(stderr,
		"selfcheck: %s: %zu of %zu instructions; %zu of %zu calls and returns timed within "
		"[lo, hi]%s (%zu exactly at lo, the latest lo + %" PRIu64
		", the farthest out %" PRIu64
		"); %ld enables, %ld disables, %ld other events; %ld mismatches\n",
		c.bad || c.bad_time ? "FAIL" : "ok", c.ninsn, in->npath,
		c.nmarks - (size_t)c.bad_time, in->nmarks,
		in->cfg->cyc ? " or not (CYC: not checked)" : "", c.exact, c.max_late, c.max_out,
		c.enabled, c.disabled, c.other_events, c.bad + c.bad_time);
	return c.bad + c.bad_time;
}

/* The oracle's packet encoder: turns the instructions a traced thread executed into the Intel PT
 * packets the hardware would have written (user-only tracing, BranchEn, TSCEn, MTCEn, optional
 * CYC), through libipt's packet encoder, and keeps what a decoder can know of the time. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-pt.h>

#include "oracle.h"

/* The most TNT bits one packet carries: TNT-8 and TNT-64. */
#define TNT8_MAX  6
#define TNT64_MAX 47
/* Depth of the hardware's return-compression stack. */
#define RET_DEPTH 64

int orc_buf_put(struct orc_buf *b, const void *p, size_t len)
{
	if (b->len + len > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		uint8_t *d;

		while (cap < b->len + len)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return -1;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

void orc_buf_fini(struct orc_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void orc_config_init(struct orc_config *c)
{
	memset(c, 0, sizeof(*c));
	c->retcomp = 1;
	c->psb_bytes = 4096;
	c->mtc_freq = 3;
	c->cpuid15_eax = 2;
	c->cpuid15_ebx = 64;
	c->nom_freq = 10;
}

int orc_enc_init(struct orc_enc *e, const struct orc_config *c)
{
	struct pt_config pc;

	memset(e, 0, sizeof(*e));
	e->cfg = *c;
	if (!c->cpuid15_eax || c->cpuid15_ebx % c->cpuid15_eax || c->mtc_freq > 15) {
		fprintf(stderr, "pt_oracle: cpuid 0x15 ratio must be a whole number and mtc_freq "
				"0..15\n");
		return -1;
	}
	/* TMA's fast counter holds 9 bits of TSC ticks since the last CTC tick. */
	e->ctc_tsc = c->cpuid15_ebx / c->cpuid15_eax;
	if (!e->ctc_tsc || e->ctc_tsc > 512) {
		fprintf(stderr,
			"pt_oracle: cpuid 0x15 ebx/eax must be 1..512 TSC ticks a CTC tick\n");
		return -1;
	}
	e->mtc_period = e->ctc_tsc << c->mtc_freq;
	pt_config_init(&pc);
	pc.begin = e->scratch;
	pc.end = e->scratch + sizeof(e->scratch);
	e->enc = pt_alloc_encoder(&pc);
	if (!e->enc) {
		fprintf(stderr, "pt_oracle: pt_alloc_encoder failed\n");
		return -1;
	}
	return 0;
}

void orc_enc_fini(struct orc_enc *e)
{
	if (e->enc)
		pt_free_encoder(e->enc);
	orc_buf_fini(&e->out);
	free(e->marks);
	free(e->psbs);
	memset(e, 0, sizeof(*e));
}

/* Writes one packet, unless inside a simulated overflow. */
static int put(struct orc_enc *e, const struct pt_packet *p)
{
	int n;

	if (e->lost)
		return 0;
	if (pt_enc_sync_set(e->enc, 0) < 0)
		return -1;
	n = pt_enc_next(e->enc, p);
	if (n < 0) {
		fprintf(stderr, "pt_oracle: pt_enc_next (packet type %d): %s\n", (int)p->type,
			pt_errstr(pt_errcode(n)));
		return -1;
	}
	if (orc_buf_put(&e->out, e->scratch, (size_t)n)) {
		fprintf(stderr, "pt_oracle: out of memory\n");
		return -1;
	}
	e->npackets++;
	return 0;
}

/* A packet about trace items up to @end was written at time @when: marks of points before the
 * last of them learn the latest time a decoder can show for them. A decoder reads ahead to the
 * next packet about a later point (libipt fetches a pending event early), but no further. */
static void items_written(struct orc_enc *e, uint64_t end, uint64_t when)
{
	e->timing_at_pkt = e->timing;
	while (e->marks_open < e->nmarks && e->marks[e->marks_open].need < end) {
		e->marks[e->marks_open].hi = when;
		e->marks[e->marks_open].has_hi = 1;
		e->marks_open++;
	}
}

/* A CYC packet before a CYC-eligible packet that happens at @when. */
static int cyc(struct orc_enc *e, uint64_t when)
{
	struct pt_packet p = { .type = ppt_cyc };

	if (!e->cfg.cyc || when <= e->cyc_at)
		return 0;
	p.payload.cyc.value = when - e->cyc_at;
	e->cyc_at = when;
	return put(e, &p);
}

/* The IP packet of @type for @ip, compressed against the last IP as the hardware may: the
 * fewest bytes that give @ip back. */
static int put_ip(struct orc_enc *e, enum pt_packet_type type, uint64_t ip)
{
	struct pt_packet p = { .type = type };
	uint64_t diff = e->last_ip ^ ip;

	if (e->ip_uncompressed) {
		/* After an overflow the last IP is unknown: only a whole IP will do. */
		e->ip_uncompressed = 0;
		diff = ~0ull;
	}
	if (!(diff >> 16)) {
		p.payload.ip.ipc = pt_ipc_update_16;
		p.payload.ip.ip = ip & 0xffffull;
	} else if (!(diff >> 32)) {
		p.payload.ip.ipc = pt_ipc_update_32;
		p.payload.ip.ip = ip & 0xffffffffull;
	} else if (!(diff >> 48)) {
		p.payload.ip.ipc = pt_ipc_update_48;
		p.payload.ip.ip = ip & 0xffffffffffffull;
	} else if ((uint64_t)((int64_t)(ip << 16) >> 16) == ip) {
		p.payload.ip.ipc = pt_ipc_sext_48;
		p.payload.ip.ip = ip & 0xffffffffffffull;
	} else {
		p.payload.ip.ipc = pt_ipc_full;
		p.payload.ip.ip = ip;
	}
	if (e->psb_ip_open) {
		/* What this packet gives a decoder that missed the last PSB+ (nopsb in
		 * t_pt_damaged.sh): the bytes it leaves out come from the IP before the PSB. */
		uint64_t keep = p.payload.ip.ipc == pt_ipc_update_16   ? ~0xffffull
				: p.payload.ip.ipc == pt_ipc_update_32 ? ~0xffffffffull
				: p.payload.ip.ipc == pt_ipc_update_48 ? ~0xffffffffffffull
								       : 0;

		e->psb_ip_open = 0;
		if (((e->psb_prev_ip & keep) | (ip & ~keep)) != ip)
			e->psbs[e->npsbs - 1].needed = 1;
	}
	e->last_ip = ip;
	return put(e, &p);
}

int orc_enc_flush(struct orc_enc *e)
{
	struct pt_packet p = { 0 };

	if (!e->tnt_n)
		return 0;
	if (cyc(e, e->tnt_time))
		return -1;
	p.type = e->tnt_n > TNT8_MAX ? ppt_tnt_64 : ppt_tnt_8;
	p.payload.tnt.bit_size = (uint8_t)e->tnt_n;
	p.payload.tnt.payload = e->tnt_bits;
	e->tnt_n = 0;
	e->tnt_bits = 0;
	if (put(e, &p))
		return -1;
	e->ntnt++;
	items_written(e, e->items, e->tnt_time);
	return 0;
}

/* The timing packets of a PSB+ or after an overflow: TSC and TMA for @now. */
static int put_tsc(struct orc_enc *e, uint64_t now)
{
	struct pt_packet p = { .type = ppt_tsc };

	p.payload.tsc.tsc = now;
	if (put(e, &p))
		return -1;
	memset(&p, 0, sizeof(p));
	p.type = ppt_tma;
	p.payload.tma.ctc = (uint16_t)(now / e->ctc_tsc);
	p.payload.tma.fc = (uint16_t)(now % e->ctc_tsc);
	if (put(e, &p))
		return -1;
	e->timing = now;
	return 0;
}

int orc_enc_advance(struct orc_enc *e, uint64_t now)
{
	struct pt_packet p = { .type = ppt_mtc };

	if (!e->next_mtc) /* before the first PSB+ */
		return 0;
	while (e->next_mtc <= now) {
		/* A partial TNT goes out before the MTC: a decoder then never sees a branch after
		 * a time that came later than the branch. */
		if (orc_enc_flush(e))
			return -1;
		p.payload.mtc.ctc = (uint8_t)((e->next_mtc / e->ctc_tsc) >> e->cfg.mtc_freq);
		if (put(e, &p))
			return -1;
		e->nmtc++;
		if (!e->lost)
			e->timing = e->next_mtc;
		e->next_mtc += e->mtc_period;
	}
	return 0;
}

static int put_mode_exec(struct orc_enc *e)
{
	struct pt_packet p = { .type = ppt_mode };

	p.payload.mode.leaf = pt_mol_exec;
	p.payload.mode.bits.exec = pt_set_exec_mode(ptem_64bit);
	return put(e, &p);
}

/* PSB+ at the instruction boundary before @ip (in user space) or, at the start, in the kernel
 * before tracing reaches user space (no FUP, no MODE.Exec). */
static int psb(struct orc_enc *e, uint64_t ip, uint64_t now, int in_user)
{
	struct pt_packet p = { .type = ppt_psb };
	struct orc_psb *ps;

	if (orc_enc_flush(e))
		return -1;
	if (e->npsbs == e->cappsbs) {
		size_t n = e->cappsbs ? e->cappsbs * 2 : 64;
		struct orc_psb *v = realloc(e->psbs, n * sizeof(*v));

		if (!v)
			return -1;
		e->psbs = v;
		e->cappsbs = n;
	}
	ps = &e->psbs[e->npsbs++];
	ps->offset = e->out.len;
	ps->nmarks = e->nmarks;
	ps->time = now;
	ps->needed = 0;
	e->psb_prev_ip = e->last_ip;
	e->psb_ip_open = 0; /* not the PSB+'s own FUP */
	e->psb_at = e->out.len;
	if (put(e, &p) || put_tsc(e, now))
		return -1;
	memset(&p, 0, sizeof(p));
	p.type = ppt_cbr;
	p.payload.cbr.ratio = e->cfg.nom_freq;
	if (put(e, &p))
		return -1;
	/* The last IP is zero after a PSB; only calls seen since the PSB may compress returns. */
	e->last_ip = 0;
	e->ret_n = 0;
	if (in_user && (put_mode_exec(e) || put_ip(e, ppt_fup, ip)))
		return -1;
	memset(&p, 0, sizeof(p));
	p.type = ppt_psbend;
	if (put(e, &p))
		return -1;
	ps->end = e->out.len;
	e->npsb++;
	e->psb_ip_open = 1;
	/* A decoder that reads the PSB+ in user space takes its status as an event: its time. */
	if (in_user)
		e->timing_at_pkt = e->timing;
	return 0;
}

/* The end of a simulated overflow before the instruction at @ip: OVF, the time, and a FUP
 * with the IP where tracing resumes. */
static int overflow_end(struct orc_enc *e, uint64_t ip, uint64_t now)
{
	struct pt_packet p = { .type = ppt_ovf };

	e->lost = 0;
	e->ovf_offset = e->out.len;
	e->ovf_nmarks = e->nmarks;
	e->ovf_time = now;
	e->ovf_done = 1;
	if (put(e, &p) || put_tsc(e, now))
		return -1;
	e->ip_uncompressed = 1;
	e->ret_n = 0;
	e->enabled = 1;
	if (put_ip(e, ppt_fup, ip))
		return -1;
	e->items++;
	items_written(e, e->items, now);
	return 0;
}

int orc_enc_insn(struct orc_enc *e, uint64_t ip, uint64_t now)
{
	uint64_t n = e->ninsn++;

	if (!e->started) {
		/* Tracing was enabled in the kernel, during exec: PSB+ without an IP, then the
		 * first user instruction enables packet generation. */
		e->cyc_at = now;
		e->next_mtc = (now / e->mtc_period + 1) * e->mtc_period;
		if (psb(e, ip, now, 0))
			return -1;
	}
	if (orc_enc_advance(e, now))
		return -1;
	if (e->cfg.overflow_len) {
		if (n == e->cfg.overflow_at) {
			e->lost = 1;
			e->tnt_n = 0;
			e->tnt_bits = 0;
		} else if (e->lost && n == e->cfg.overflow_at + e->cfg.overflow_len) {
			return overflow_end(e, ip, now);
		}
	}
	if (!e->enabled) {
		if (cyc(e, now))
			return -1;
		/* MODE.Exec comes with the first TIP.PGE after a PSB+ that had none. */
		if (!e->started && put_mode_exec(e))
			return -1;
		if (put_ip(e, ppt_tip_pge, ip))
			return -1;
		e->started = 1;
		e->enabled = 1;
		e->items++;
		items_written(e, e->items, now);
	}
	if (e->out.len - e->psb_at >= e->cfg.psb_bytes && !e->lost)
		return psb(e, ip, now, 1);
	return 0;
}

int orc_enc_cond(struct orc_enc *e, int taken, uint64_t now)
{
	e->items++;
	if (e->lost)
		return 0;
	e->tnt_bits = e->tnt_bits << 1 | (taken ? 1 : 0);
	e->tnt_n++;
	e->tnt_time = now;
	if (e->tnt_n == (e->cfg.tnt64 ? TNT64_MAX : TNT8_MAX))
		return orc_enc_flush(e);
	return 0;
}

int orc_enc_indirect(struct orc_enc *e, uint64_t target, uint64_t now)
{
	if (orc_enc_flush(e) || cyc(e, now) || put_ip(e, ppt_tip, target))
		return -1;
	e->ntip++;
	e->items++;
	if (!e->lost)
		items_written(e, e->items, now);
	return 0;
}

void orc_enc_push(struct orc_enc *e, uint64_t retaddr)
{
	e->ret[e->ret_top] = retaddr;
	e->ret_top = (e->ret_top + 1) % RET_DEPTH;
	if (e->ret_n < RET_DEPTH)
		e->ret_n++;
}

int orc_enc_ret(struct orc_enc *e, uint64_t target, uint64_t now)
{
	unsigned top = (e->ret_top + RET_DEPTH - 1) % RET_DEPTH;

	/* Compressed: the return goes where the newest call since the PSB said it would. An
	 * uncompressed return leaves the stack alone, as libipt's decoder does. */
	if (e->cfg.retcomp && e->ret_n && e->ret[top] == target) {
		e->ret_top = top;
		e->ret_n--;
		return orc_enc_cond(e, 1, now) ? -1 : 1;
	}
	return orc_enc_indirect(e, target, now) ? -1 : 0;
}

int orc_enc_disable(struct orc_enc *e, uint64_t now)
{
	struct pt_packet p = { .type = ppt_tip_pgd };

	/* SYSCALL with user-only tracing: TIP.PGD without an IP (the target is the kernel's). */
	if (orc_enc_flush(e) || cyc(e, now))
		return -1;
	p.payload.ip.ipc = pt_ipc_suppressed;
	if (put(e, &p))
		return -1;
	e->enabled = 0;
	e->items++;
	if (!e->lost)
		items_written(e, e->items, now);
	return 0;
}

long orc_enc_mark(struct orc_enc *e, int own)
{
	struct orc_mark *m;

	if (e->nmarks == e->capmarks) {
		size_t n = e->capmarks ? e->capmarks * 2 : 1024;
		struct orc_mark *v = realloc(e->marks, n * sizeof(*v));

		if (!v)
			return -1;
		e->marks = v;
		e->capmarks = n;
	}
	m = &e->marks[e->nmarks];
	memset(m, 0, sizeof(*m));
	m->item = e->items;
	m->need = e->items + (own ? 1 : 0);
	/* A decoder at this point has read the packet of the newest item before it; pending TNT
	 * bits (and the point's own item) go out before any later timing packet. */
	m->lo = own || e->tnt_n ? e->timing : e->timing_at_pkt;
	return (long)e->nmarks++;
}

void orc_enc_finish(struct orc_enc *e, uint64_t now)
{
	for (; e->marks_open < e->nmarks; e->marks_open++) {
		e->marks[e->marks_open].hi = now;
		e->marks[e->marks_open].has_hi = 1;
	}
	assert(!e->tnt_n);
}

/* Intel PT block decoding: libipt's block decoder walks a lane's trace over the process images
 * (pt_image.c) and this file turns the blocks and events into operations (call, return, jump,
 * tracing enabled or disabled, trace lost), classifying with capstone the instructions libipt
 * leaves unnamed. Runs on worker threads: it reads the lane, the parameters and the master
 * images only. */
#include "pt_decode.h"

#include <stdlib.h>
#include <string.h>

#define PT_ICACHE_BITS	  14
#define PT_TRAILING_MAX	  65536 /* blocks walked without trace at the end (a `jmp .` loop) */
#define PT_SYNC_ATTEMPTS  64	/* failed syncs that do not move forward */
#define PT_MAX_INSN_BYTES 16

/* Instruction classes this decoder cares about. */
enum { PT_C_OTHER, PT_C_CALL, PT_C_RET, PT_C_JUMP, PT_C_FAR };

struct pt_icent {
	uint64_t ip;
	int32_t isid;
	uint8_t cls, size, valid, pad;
};

/* ---- workers ---------------------------------------------------------------------------- */

int hwt_pt_worker_init(struct pt_worker *w)
{
	memset(w, 0, sizeof(*w));
	w->icache = calloc((size_t)1 << PT_ICACHE_BITS, sizeof(*w->icache));
	w->isc = pt_iscache_alloc(NULL);
	if (!w->icache || !w->isc) {
		free(w->icache);
		pt_iscache_free(w->isc);
		memset(w, 0, sizeof(*w));
		return HWT_E_NOMEM;
	}
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &w->cs64) == CS_ERR_OK) {
		if (cs_open(CS_ARCH_X86, CS_MODE_32, &w->cs32) == CS_ERR_OK) {
			w->in64 = cs_malloc(w->cs64);
			w->in32 = cs_malloc(w->cs32);
			w->have_cs = w->in64 && w->in32;
		} else {
			cs_close(&w->cs64);
		}
	}
	return 0;
}

void hwt_pt_worker_fini(struct pt_worker *w)
{
	if (!w->icache)
		return;
	if (w->have_cs) {
		cs_free(w->in64, 1);
		cs_free(w->in32, 1);
		cs_close(&w->cs64);
		cs_close(&w->cs32);
	}
	for (size_t i = 0; i < w->nimages; i++) {
		pt_image_free(w->images[i].img);
		free(w->images[i].vdso);
	}
	free(w->images);
	free(w->icache);
	pt_iscache_free(w->isc);
	memset(w, 0, sizeof(*w));
}

/* ---- instruction classes ---------------------------------------------------------------- */

static uint8_t class_of(unsigned id)
{
	switch (id) {
	case X86_INS_CALL:
		return PT_C_CALL;
	case X86_INS_RET:
		return PT_C_RET;
	case X86_INS_JMP:
		return PT_C_JUMP;
	case X86_INS_LCALL:
	case X86_INS_LJMP:
	case X86_INS_RETF:
	case X86_INS_RETFQ:
	case X86_INS_IRET:
	case X86_INS_IRETD:
	case X86_INS_IRETQ:
	case X86_INS_SYSCALL:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
	case X86_INS_INT:
	case X86_INS_INT1:
	case X86_INS_INT3:
	case X86_INS_INTO:
	case X86_INS_UD2:
		return PT_C_FAR;
	default:
		return PT_C_OTHER;
	}
}

struct pt_session {
	struct ptdec *pd;
	struct pt_worker *w;
	struct pt_job *job;
	struct pt_block_decoder *dec;
	uint64_t base; /* lane offset of the decoder's buffer */
	int status;
	int synced, synced_once, need_sync, done, sync_failures;
	uint64_t last_sync, failed_at; /* lane offsets of the last PSB synced at, failed at */
	uint32_t trailing;
	uint64_t skip;
	uint64_t ts;		    /* ns, the latest time read */
	uint64_t tsc_seen, ns_seen; /* the last conversion: the time changes once in many blocks */
	/* The transfer ending the previous block, waiting for the next block's IP. */
	uint32_t pend;
	uint64_t pend_aux, pend_ts;
	/* The last instruction of the previous block. */
	uint64_t end_ip;
	int end_isid, end_far;
	enum pt_exec_mode end_mode;
	/* Who runs (per-CPU lanes) and the image in use. */
	uint32_t tid, pid;
	int attributed;
	struct pt_image *image; /* the worker's copy in use; lives as long as the worker */
	const struct vdso_range *vdso;
};

static inline struct pt_icent *icent(struct pt_worker *w, uint64_t ip, int isid)
{
	return &w->icache[((ip ^ ((uint64_t)isid << 40)) * 0x9e3779b97f4a7c15ull) >>
			  (64 - PT_ICACHE_BITS)];
}

/* The class and size of the instruction at @ip in section @isid (or at @raw when libipt gave its
 * bytes), decoded with capstone. */
static uint8_t classify_slow(struct pt_session *s, uint64_t ip, int isid, enum pt_exec_mode mode,
			     const uint8_t *raw, uint8_t rawlen, uint8_t *size)
{
	struct pt_worker *w = s->w;
	struct pt_icent *e = icent(w, ip, isid);
	uint8_t buf[PT_MAX_INSN_BYTES];
	int n;

	if (raw) {
		memcpy(buf, raw, rawlen);
		n = rawlen;
	} else if (isid > 0) {
		n = pt_iscache_read(s->w->isc, buf, sizeof(buf), isid, ip);
	} else {
		n = hwt_pt_vdso_read(buf, sizeof(buf), NULL, ip, (void *)s->vdso);
	}
	uint8_t cls = PT_C_OTHER;
	*size = 0;
	if (n > 0 && w->have_cs) {
		const uint8_t *code = buf;
		size_t left = (size_t)n;
		uint64_t addr = ip;
		int m32 = mode == ptem_32bit || mode == ptem_16bit;
		cs_insn *in = m32 ? w->in32 : w->in64;
		if (cs_disasm_iter(m32 ? w->cs32 : w->cs64, &code, &left, &addr, in)) {
			cls = class_of(in->id);
			*size = (uint8_t)in->size;
		}
	}
	if (raw)
		return cls; /* bytes straddling sections: not cached by address */
	*e = (struct pt_icent){ .ip = ip, .isid = isid, .cls = cls, .size = *size, .valid = 1 };
	return cls;
}

/* Cached: the same few branch sites come back over and over. */
static inline uint8_t classify(struct pt_session *s, uint64_t ip, int isid, enum pt_exec_mode mode,
			       const uint8_t *raw, uint8_t rawlen, uint8_t *size)
{
	const struct pt_icent *e = icent(s->w, ip, isid);

	if (!raw && e->valid && e->ip == ip && e->isid == isid) {
		*size = e->size;
		return e->cls;
	}
	return classify_slow(s, ip, isid, mode, raw, rawlen, size);
}

/* ---- sessions ----------------------------------------------------------------------------- */

static int grow_ops(struct pt_ops *o)
{
	return HWT_ARRAY_GROW(o->v, &o->cap, o->cap < 4096 ? 4096 : o->cap + 1);
}

static inline int put(struct pt_session *s, uint32_t kind, uint64_t ip, uint64_t aux, uint64_t ts)
{
	struct pt_ops *o = &s->job->ops;

	if (kind < PT_OP_SYNC) {
		s->job->nreal++;
		if (s->skip) {
			s->skip--;
			return 0;
		}
	}
	if (o->n == o->cap && grow_ops(o))
		return HWT_E_NOMEM;
	o->v[o->n++] = (struct pt_op){ .ip = ip, .aux = aux, .ts = ts, .kind = kind };
	return 0;
}

static __attribute__((noinline)) uint64_t now_slow(struct pt_session *s, int err, uint64_t tsc)
{
	if (err < 0 && err != -pte_no_time)
		return s->ts;
	if (tsc != s->tsc_seen || !s->ns_seen) {
		s->tsc_seen = tsc;
		s->ns_seen = hwt_pt_clock_ns(&s->pd->prm.clock, tsc);
	}
	if (s->ns_seen > s->ts)
		s->ts = s->ns_seen;
	return s->ts;
}

static inline uint64_t now(struct pt_session *s)
{
	uint64_t tsc = 0;
	uint32_t lost_mtc, lost_cyc; /* newer libipt wants somewhere to put them */
	int err = pt_blk_time(s->dec, &tsc, &lost_mtc, &lost_cyc);

	/* The time changes once in many blocks: then s->ts is already at least ns_seen. */
	if (__builtin_expect(tsc == s->tsc_seen && s->ns_seen && (err >= 0 || err == -pte_no_time),
			     1))
		return s->ts;
	return now_slow(s, err, tsc);
}

static void use_image(struct pt_session *s, uint32_t pid)
{
	struct pt_wimage *wi = hwt_pt_worker_image(s->pd, s->w, pid);
	struct pt_image *img = wi ? wi->img : NULL;

	if (img == s->image && s->image)
		return;
	s->image = img;
	s->vdso = wi ? wi->vdso : NULL;
	pt_blk_set_image(s->dec, img);
}

/* Per-CPU lanes: the thread that runs at @t, from the side-band known when the job was made. */
static int attribute(struct pt_session *s, uint64_t t)
{
	const struct pt_job *j = s->job;

	if (!j->lane->per_cpu)
		return 0;
	size_t lo = 0, hi = j->nsw;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (j->sw[mid].ts <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	uint32_t tid = lo ? j->sw[lo - 1].tid : 0, pid = lo ? j->sw[lo - 1].pid : 0;
	if (s->attributed && tid == s->tid && pid == s->pid)
		return 0;
	s->attributed = 1;
	s->tid = tid;
	s->pid = pid;
	use_image(s, pid ? pid : s->pd->target_pid);
	return put(s, PT_OP_THREAD, tid, pid, t);
}

static int past_cut(struct pt_session *s)
{
	uint64_t off;

	if (s->job->cut == UINT64_MAX || pt_blk_get_offset(s->dec, &off) < 0)
		return 0;
	return s->base + off > s->job->cut;
}

/* Stops at the cut: the next job starts at @ip, which is where the pending transfer went. */
static int stop_at(struct pt_session *s, uint64_t ip)
{
	int err = 0;

	if (s->pend && ip)
		err = put(s, s->pend, ip, s->pend_aux, s->pend_ts);
	s->pend = 0;
	s->done = 1;
	return err;
}

/* The PSB this job was to start at could not be read: what ran up to the one it found is lost. */
static int lost_start(struct pt_session *s)
{
	if (s->synced_once || !s->job->start_psb)
		return 0;
	s->synced_once = 1;
	return put(s, PT_OP_LOST, 0, 0, s->ts);
}

static int do_sync(struct pt_session *s)
{
	int ret = pt_blk_sync_forward(s->dec);
	uint64_t off = 0;

	if (ret < 0 && ret != -pte_eos) {
		/* A PSB+ that cannot be read: on to the next PSB, as long as the search moves. */
		if (pt_blk_get_sync_offset(s->dec, &off) >= 0 && s->base + off > s->failed_at) {
			s->failed_at = s->base + off;
			s->sync_failures = 0;
		}
		if (s->failed_at >= s->job->cut || ++s->sync_failures > PT_SYNC_ATTEMPTS)
			ret = -pte_eos;
		else
			return 0;
	}
	if (ret == -pte_eos) {
		s->done = 1;
		return lost_start(s);
	}
	pt_blk_get_sync_offset(s->dec, &off);
	off += s->base;
	if ((s->job->cut != UINT64_MAX && off >= s->job->cut) ||
	    (s->synced_once && off <= s->last_sync)) {
		s->done = 1;
		return lost_start(s);
	}
	if (!s->synced_once && off != s->job->start) {
		int err = lost_start(s);
		if (err)
			return err;
	}
	s->last_sync = off;
	s->synced = s->synced_once = 1;
	s->sync_failures = 0;
	s->status = ret;
	s->need_sync = 1;
	s->pend = 0;
	/* Per-CPU lanes: whose image the first block is in. */
	return attribute(s, now(s));
}

/* A decode error, or the end of the bytes. */
static int trace_error(struct pt_session *s, int err)
{
	if (err == -pte_eos) {
		s->done = 1;
		return s->job->brk_end ? put(s, PT_OP_LOST, 0, 0, s->ts) : 0;
	}
	if (past_cut(s)) {
		s->done = 1;
		return 0;
	}
	/* Damaged or undecodable trace (code missing from the image...): what was open is lost;
	 * decoding goes on at the next PSB. */
	s->pend = 0;
	s->synced = 0;
	return put(s, PT_OP_LOST, 0, 0, s->ts);
}

static int on_event(struct pt_session *s, const struct pt_event *ev)
{
	uint64_t t;
	int err;

	switch (ev->type) {
	case ptev_enabled:
		if (past_cut(s))
			return stop_at(s, 0);
		t = ev->has_tsc ? hwt_pt_clock_ns(&s->pd->prm.clock, ev->tsc) : now(s);
		if (t < s->ts)
			t = s->ts;
		err = attribute(s, t);
		s->pend = 0;
		s->need_sync = 0;
		return err ? err : put(s, PT_OP_ENABLE, ev->variant.enabled.ip, 0, t);
	case ptev_disabled:
	case ptev_async_disabled: {
		uint64_t resume = 0;
		if (ev->type == ptev_async_disabled) {
			resume = ev->variant.async_disabled.at;
		} else if (s->end_far) {
			uint8_t size;
			classify(s, s->end_ip, s->end_isid, s->end_mode, NULL, 0, &size);
			resume = size ? s->end_ip + size : 0;
		}
		s->pend = 0; /* it went where tracing is off */
		return put(s, PT_OP_DISABLE, 0, resume, now(s));
	}
	case ptev_overflow:
		s->pend = 0;
		err = put(s, PT_OP_LOST, 0, 0, s->ts);
		if (!ev->ip_suppressed)
			s->need_sync = 1; /* decoding goes on at the overflow's IP */
		return err;
	default:
		/* The next job's PSB+: this job is done where that one begins. Not at the first of
		 * its status updates: the CBR's comes as soon as the PSB+ is read, before the
		 * blocks up to where it was; the execution mode's comes there (with the PSB+'s IP).
		 */
		if (ev->type == ptev_exec_mode && ev->status_update && past_cut(s))
			return stop_at(s, ev->ip_suppressed ? 0 : ev->variant.exec_mode.ip);
		return 0;
	}
}

/* The start of a block: the previous block's transfer went here. */
static inline int block_start(struct pt_session *s, const struct pt_block *b)
{
	int err = 0;

	if (s->need_sync) {
		uint64_t t = now(s);
		s->need_sync = 0;
		err = attribute(s, t);
		if (!err)
			err = put(s, PT_OP_SYNC, b->ip, 0, t);
	}
	if (s->pend && !err) {
		err = put(s, s->pend, b->ip, s->pend_aux, s->pend_ts);
		s->pend = 0;
	}
	return err;
}

static inline int on_block(struct pt_session *s, const struct pt_block *b)
{
	int err;
	uint8_t size = 0, cls;

	if (!b->ninsn)
		return 0;
	if ((err = block_start(s, b)))
		return err;
	s->end_far = 0; /* the rest of end_* is read only when it is set */
	switch (b->iclass) {
	case ptic_call:
		cls = PT_C_CALL;
		break;
	case ptic_return:
		cls = PT_C_RET;
		break;
	case ptic_jump:
		cls = PT_C_JUMP;
		break;
	case ptic_far_call:
	case ptic_far_return:
	case ptic_far_jump:
		cls = PT_C_FAR;
		break;
	case ptic_error:
		cls = classify(s, b->end_ip, b->isid, b->mode, b->truncated ? b->raw : NULL,
			       b->size, &size);
		break;
	default:
		return 0;
	}
	switch (cls) {
	case PT_C_CALL:
		if (!size) {
			if (b->truncated)
				size = b->size;
			else
				classify(s, b->end_ip, b->isid, b->mode, NULL, 0, &size);
		}
		s->pend = PT_OP_CALL;
		s->pend_aux = b->end_ip + size;
		break;
	case PT_C_RET:
		s->pend = PT_OP_RET;
		break;
	case PT_C_JUMP:
		s->pend = PT_OP_JUMP;
		break;
	case PT_C_FAR:
		s->end_ip = b->end_ip;
		s->end_isid = b->isid;
		s->end_mode = b->mode;
		s->end_far = 1;
		return 0;
	default:
		return 0;
	}
	s->pend_ts = now(s);
	return 0;
}

/* What pt_blk_next() gave: @ret and the block @b. */
static int after_next(struct pt_session *s, int ret, const struct pt_block *b)
{
	int err;

	if (ret < 0) {
		/* What was walked before the trouble still happened. */
		if (b->ninsn && (err = block_start(s, b)))
			return err;
		return trace_error(s, ret);
	}
	s->status = ret;
	if (ret & pts_eos) {
		/* Past the last packet libipt walks on while no trace is needed. A growing lane
		 * stops here and decodes this again once more bytes came. */
		if (s->job->spec || ++s->trailing > PT_TRAILING_MAX) {
			s->done = 1;
			return 0;
		}
	}
	return on_block(s, b);
}

static int step(struct pt_session *s)
{
	struct pt_block b;
	int ret;

	if (!s->synced)
		return do_sync(s);
	if (s->status & pts_event_pending) {
		struct pt_event ev;
		ret = pt_blk_event(s->dec, &ev, sizeof(ev));
		if (ret < 0)
			return trace_error(s, ret);
		s->status = ret;
		return on_event(s, &ev);
	}
	ret = pt_blk_next(s->dec, &b, sizeof(b));
	return after_next(s, ret, &b);
}

/* step() for the blocks that make most of a trace, with the state they change kept in
 * registers: blocks ending in a call (whose size is cached), a return, a jump or no branch,
 * while nothing is skipped and no event waits. The first block of another
 * kind goes to after_next(), and the loop ends there or at an event. Returns what step() does. */
static int run_blocks(struct pt_session *s, size_t limit)
{
	struct pt_ops *o = &s->job->ops;
	struct pt_worker *w = s->w;
	uint32_t pend = s->pend;
	uint64_t pend_aux = s->pend_aux, pend_ts = s->pend_ts, real = 0;
	size_t n = o->n, cap = o->cap;
	struct pt_op *v = o->v;
	struct pt_block b;
	int ret, err = 0, status = -1, unusual = 0;
	/* now() with its state in registers: s->ts stays while the TSC does. */
	uint64_t ts = s->ts, tsc_seen = s->ns_seen ? s->tsc_seen : ~0ull;

	while (n < limit) {
		ret = pt_blk_next(s->dec, &b, sizeof(b));
		if (__builtin_expect(ret < 0 || (ret & pts_eos) || !b.ninsn, 0))
			goto slow;
		uint32_t kind;
		uint64_t aux = 0;
		switch (b.iclass) {
		case ptic_call: {
			const struct pt_icent *e = icent(w, b.end_ip, b.isid);
			if (b.truncated || !e->valid || e->ip != b.end_ip || e->isid != b.isid)
				goto slow;
			kind = PT_OP_CALL;
			aux = b.end_ip + e->size;
			break;
		}
		case ptic_return:
			kind = PT_OP_RET;
			break;
		case ptic_jump:
			kind = PT_OP_JUMP;
			break;
		case ptic_error:
		case ptic_far_call:
		case ptic_far_return:
		case ptic_far_jump:
			goto slow;
		default:
			kind = 0;
		}
		if (pend) {
			if (n == cap) {
				o->n = n;
				if ((err = grow_ops(o)))
					goto out;
				v = o->v;
				cap = o->cap;
			}
			struct pt_op *op = &v[n++];
			op->ip = b.ip;
			op->aux = pend_aux;
			op->ts = pend_ts;
			op->kind = pend;
			real++;
		}
		pend = kind;
		pend_aux = aux;
		if (kind) {
			uint64_t tsc = 0;
			uint32_t lost_mtc, lost_cyc;
			int terr = pt_blk_time(s->dec, &tsc, &lost_mtc, &lost_cyc);
			if (__builtin_expect(tsc != tsc_seen || (terr < 0 && terr != -pte_no_time),
					     0)) {
				ts = now_slow(s, terr, tsc);
				tsc_seen = s->ns_seen ? s->tsc_seen : ~0ull;
			}
			pend_ts = ts;
		}
		status = ret;
		if (ret & pts_event_pending)
			goto out;
	}
	goto out;
slow:
	unusual = 1;
out:
	if (status >= 0) { /* a block was walked */
		s->end_far = 0;
		s->status = status;
	}
	o->n = n;
	s->pend = pend;
	s->pend_aux = pend_aux;
	s->pend_ts = pend_ts;
	s->job->nreal += real;
	return unusual ? after_next(s, ret, &b) : err;
}

struct pt_session *hwt_pt_session_open(struct ptdec *pd, struct pt_worker *w, struct pt_job *job)
{
	struct pt_session *s = calloc(1, sizeof(*s));
	struct pt_config cfg = pd->prm.cfg;

	if (!s)
		return NULL;
	s->pd = pd;
	s->w = w;
	s->job = job;
	s->base = job->start;
	s->skip = job->skip;
	job->nreal = 0;
	if (job->end <= job->start) {
		s->done = 1;
		return s;
	}
	cfg.begin = job->lane->buf + job->start;
	cfg.end = job->lane->buf + job->end;
	s->dec = pt_blk_alloc_decoder(&cfg);
	if (!s->dec) {
		free(s);
		return NULL;
	}
	if (!job->lane->per_cpu)
		use_image(s, (uint32_t)job->pid);
	return s;
}

int hwt_pt_session_run(struct pt_session *s, size_t max)
{
	size_t limit = s->job->ops.n + max;

	while (!s->done && s->job->ops.n < limit) {
		int fast =
			s->synced && !s->need_sync && !s->skip && !(s->status & pts_event_pending);
		int err = fast ? run_blocks(s, limit) : step(s);
		if (err < 0)
			return err;
	}
	return s->done;
}

void hwt_pt_session_close(struct pt_session *s)
{
	if (!s)
		return;
	pt_blk_free_decoder(s->dec);
	free(s);
}

/* Intel PT operations to slices: a shadow stack per thread on which calls push a frame (named
 * after the call's target) with its return address and returns pop to the frame whose return
 * address they went to. Slices are exactly the calls that executed:
 *  - a return that matches no frame but lands in a deeper frame's function, and a jump into the
 *    middle of one, left the frames above without returning (longjmp, exceptions): they end
 *    unfinished; any other unmatched return is ignored (a `push; ret` used as a jump);
 *  - a return with no frame open returns from a call made before the trace (or the resync)
 *    began: an "[unknown]" slice from that run's first time to the return wraps everything the
 *    run showed so far. Its begin must come first in the thread's stream, so a run's events are
 *    held back until PT_HOLD_MAX of them wait (then returns past the top no longer show), the
 *    thread ends, or trace is lost;
 *  - jumps are not calls: a tail call stays part of the slice of the call that led to it. With
 *    HWT_PT_TAILCALLS=1 in the environment a jump to another function's start ends the frame
 *    and begins one for its target instead, and a call into a PLT stub shows as the function the
 *    stub jumps to. */
#include "pt_decode.h"

#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"
#include "core/openfile.h"

#define PT_FCACHE_BITS 16
#define PT_HOLD_MAX    (1u << 18)
#define PT_MAX_DEPTH   65536

/* Flags of an address, cached with its frame. */
#define PT_FL_START 1 /* the first instruction of a function */
#define PT_FL_PLT   2 /* in a .plt section */

struct fcent {
	uint64_t addr, gen;
	uint32_t pid, frame;
	uint8_t flags, valid;
};

struct pt_frame {
	uint64_t ret; /* return address */
	uint64_t ts;
	uint32_t frame;
	uint8_t pending; /* HWT_PT_TAILCALLS: a call into a PLT stub, shown as its target */
};

struct held {
	uint64_t ts;
	uint32_t type, frame, flags;
};

struct pt_thread {
	uint32_t tid, pid;
	struct pt_frame *stack;
	uint32_t depth, cap;
	struct held *held; /* the run's events while its [unknown] callers are not known */
	uint32_t nheld, cap_held;
	uint32_t unknown; /* returns past the top while holding: [unknown] slices to begin */
	uint32_t base;	  /* the function running below every frame, 0 if not known */
	uint32_t node;	  /* stack node of the innermost slice shown (hwt_model_slice_node) */
	int run, holding, announced;
	int lost; /* the last thing shown was a lost marker: the next one adds nothing */
	uint64_t t0, last_ts;
	uint64_t gen; /* the symbolizer's generation of pid, read once a round */
	uint32_t round;
};

/* What an ELF file says about addresses beyond symbols: segments and PLT sections. */
struct elfinfo {
	struct elfinfo *next;
	char *path;
	struct {
		uint64_t off, vaddr, filesz;
	} seg[16];
	size_t nseg;
	struct {
		uint64_t lo, hi;
	} plt[4];
	size_t nplt;
};

struct pt_stacks {
	struct hwt_decoder *d;
	struct hwt_idmap map; /* tid -> index in threads */
	struct pt_thread *threads;
	uint32_t nthreads, cap_threads;
	uint32_t last; /* index + 1 of the thread of the previous operation */
	struct fcent *fc;
	struct elfinfo *elfs;
	uint32_t unknown_frame;
	uint32_t round;
	int tailcalls; /* HWT_PT_TAILCALLS: jumps to a function start replace the frame */
};

/* ---- addresses ------------------------------------------------------------------------- */

static struct elfinfo *elf_info(struct pt_stacks *st, const char *path)
{
	struct elfinfo *e;

	for (e = st->elfs; e; e = e->next)
		if (!strcmp(e->path, path))
			return e;
	e = calloc(1, sizeof(*e));
	if (!e || !(e->path = strdup(path))) {
		free(e);
		return NULL;
	}
	e->next = st->elfs;
	st->elfs = e;
	int fd = hwt_open_regular(path);
	Elf *elf = fd >= 0 ? elf_begin(fd, ELF_C_READ_MMAP, NULL) : NULL;
	size_t n = 0, shstr = 0;
	if (elf && elf_kind(elf) == ELF_K_ELF && !elf_getphdrnum(elf, &n)) {
		for (size_t i = 0; i < n && e->nseg < 16; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD) {
				e->seg[e->nseg].off = ph.p_offset;
				e->seg[e->nseg].vaddr = ph.p_vaddr;
				e->seg[e->nseg++].filesz = ph.p_filesz;
			}
		}
	}
	if (elf && !elf_getshdrstrndx(elf, &shstr)) {
		for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn)) && e->nplt < 4;) {
			GElf_Shdr sh;
			const char *name;
			if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstr, sh.sh_name)))
				continue;
			if (strcmp(name, ".plt") && strcmp(name, ".plt.sec") &&
			    strcmp(name, ".plt.got") && strcmp(name, ".iplt"))
				continue;
			e->plt[e->nplt].lo = sh.sh_addr;
			e->plt[e->nplt++].hi = sh.sh_addr + sh.sh_size;
		}
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	return e;
}

/* Flags of @ip in @pid, whose frame is @fid. */
static uint8_t addr_flags(struct pt_stacks *st, uint32_t pid, uint64_t ip, uint32_t fid)
{
	struct hwt_map_info mi;
	struct elfinfo *e;
	uint64_t off, vaddr = 0;
	uint8_t flags = 0;
	size_t i;

	if (!hwt_symbolizer_find_map(st->d->sym, pid, ip, &mi) || mi.path[0] != '/' ||
	    !(e = elf_info(st, mi.path)))
		return 0;
	off = ip - mi.start + mi.pgoff;
	for (i = 0; i < e->nseg; i++)
		if (off >= e->seg[i].off && off - e->seg[i].off < e->seg[i].filesz)
			break;
	if (i == e->nseg)
		return 0;
	vaddr = e->seg[i].vaddr + off - e->seg[i].off;
	for (i = 0; i < e->nplt; i++)
		if (vaddr >= e->plt[i].lo && vaddr < e->plt[i].hi)
			flags |= PT_FL_PLT;
	const struct hwt_frame *f = hwt_model_frame(st->d->m, fid);
	if (f && f->kind == HWT_FRAME_USER && f->addr == vaddr) {
		/* Without a symbol the frame is "module+0xOFF" at the file offset, which may equal
		 * the address: only a named function has a start. */
		char suffix[32];
		const char *name = hwt_model_str(st->d->m, f->name);
		size_t nl = strlen(name), sl;
		snprintf(suffix, sizeof(suffix), "+0x%" PRIx64, off);
		sl = strlen(suffix);
		if (nl < sl || strcmp(name + nl - sl, suffix))
			flags |= PT_FL_START;
	}
	return flags;
}

static int64_t frame_miss(struct pt_stacks *st, struct pt_thread *t, uint64_t ip, uint8_t *flags,
			  struct fcent *e)
{
	int64_t fid = hwt_symbolizer_frame(st->d->sym, t->pid, ip, 0);
	if (fid < 0)
		return fid;
	*flags = addr_flags(st, t->pid, ip, (uint32_t)fid);
	*e = (struct fcent){ .addr = ip,
			     .gen = t->gen,
			     .pid = t->pid,
			     .frame = (uint32_t)fid,
			     .flags = *flags,
			     .valid = 1 };
	return fid;
}

/* The frame cache's entry for @ip in @pid, and whether it holds it (as of generation @gen). */
static inline struct fcent *fc_slot(struct fcent *fc, uint64_t ip, uint32_t pid)
{
	return &fc[((ip ^ ((uint64_t)pid << 47)) * 0x9e3779b97f4a7c15ull) >> (64 - PT_FCACHE_BITS)];
}

static inline int fc_hit(const struct fcent *e, uint64_t ip, uint32_t pid, uint64_t gen)
{
	return e->valid && e->addr == ip && e->pid == pid && e->gen == gen;
}

static inline int64_t frame_of(struct pt_stacks *st, struct pt_thread *t, uint64_t ip,
			       uint8_t *flags)
{
	if (t->round != st->round) {
		t->round = st->round;
		t->gen = hwt_symbolizer_generation(st->d->sym, t->pid);
	}
	struct fcent *e = fc_slot(st->fc, ip, t->pid);
	if (fc_hit(e, ip, t->pid, t->gen)) {
		*flags = e->flags;
		return e->frame;
	}
	return frame_miss(st, t, ip, flags, e);
}

/* ---- events ---------------------------------------------------------------------------- */

static __attribute__((noinline)) void announce(struct pt_stacks *st, struct pt_thread *t,
					       uint64_t ts)
{
	struct hwt_decoder *d = st->d;
	const char *comm = hwt_model_meta(d->m, "comm");

	t->announced = 1;
	/* An import has no COMM record: its threads are named after the program. */
	if (comm && *comm) {
		int64_t id = hwt_model_intern_str(d->m, comm);
		uint32_t ids[2] = { t->pid, t->tid };
		for (int i = 0; i < 2 && id > 0; i++) {
			struct thread *dt = hwt_dec_thread(d, ids[i], 1);
			if (dt && !dt->name)
				dt->name = (uint32_t)id;
		}
	}
	hwt_dec_announce(d, t->pid, t->tid, ts);
}

static inline int out(struct pt_stacks *st, struct pt_thread *t, uint32_t type, uint32_t frame,
		      uint32_t flags, uint64_t ts)
{
	if (!t->announced)
		announce(st, t, ts);
	struct hwt_event *ev = hwt_dec_emit(st->d, type, t->pid, t->tid, ts);
	if (!ev)
		return HWT_E_NOMEM;
	if (type == HWT_EV_LOST)
		return 0;
	ev->slice.flags = flags;
	return hwt_dec_slice(st->d, &t->node, ev, frame);
}

static int release(struct pt_stacks *st, struct pt_thread *t)
{
	int err = 0;

	t->holding = 0;
	for (uint32_t i = 0; i < t->unknown && !err; i++)
		err = out(st, t, HWT_EV_SLICE_BEGIN, st->unknown_frame, 0, t->t0);
	for (uint32_t i = 0; i < t->nheld && !err; i++)
		err = out(st, t, t->held[i].type, t->held[i].frame, t->held[i].flags,
			  t->held[i].ts);
	t->nheld = t->unknown = 0;
	return err;
}

/* Room for one more held event; 0 when the run can hold no more. */
static int hold_room(struct pt_thread *t)
{
	if (t->nheld < t->cap_held)
		return 1;
	if (t->cap_held >= PT_HOLD_MAX)
		return 0;
	return !HWT_ARRAY_GROW(t->held, &t->cap_held, t->nheld + 1);
}

static inline int emit(struct pt_stacks *st, struct pt_thread *t, uint32_t type, uint32_t frame,
		       uint32_t flags, uint64_t ts)
{
	if (ts < t->last_ts)
		ts = t->last_ts;
	t->last_ts = ts;
	if (t->holding) {
		if (hold_room(t)) {
			t->held[t->nheld++] = (struct held){
				.ts = ts, .type = type, .frame = frame, .flags = flags
			};
			return 0;
		}
		int err = release(st, t);
		if (err)
			return err;
	}
	return out(st, t, type, frame, flags, ts);
}

/* ---- stacks ---------------------------------------------------------------------------- */

static inline int materialize(struct pt_stacks *st, struct pt_thread *t)
{
	if (__builtin_expect(!st->tailcalls, 1))
		return 0; /* frames are pending only with HWT_PT_TAILCALLS */
	struct pt_frame *f = t->depth ? &t->stack[t->depth - 1] : NULL;

	if (!f || !f->pending)
		return 0;
	f->pending = 0;
	return emit(st, t, HWT_EV_SLICE_BEGIN, f->frame, 0, f->ts);
}

static inline int pop(struct pt_stacks *st, struct pt_thread *t, uint64_t ts, uint32_t flags)
{
	int err = materialize(st, t);
	struct pt_frame *f = &t->stack[t->depth - 1];

	if (!err)
		err = emit(st, t, HWT_EV_SLICE_END, f->frame, flags, ts < f->ts ? f->ts : ts);
	t->depth--;
	return err;
}

/* Pops down to @depth frames: the ones above left without returning. */
static inline int unwind(struct pt_stacks *st, struct pt_thread *t, uint32_t depth, uint64_t ts)
{
	int err = 0;

	while (t->depth > depth && !err)
		err = pop(st, t, ts, HWT_SLICE_UNFINISHED);
	return err;
}

/* The run ends (lost trace, thread end, end of the recording): what is open ends unfinished. */
static int close_all(struct pt_stacks *st, struct pt_thread *t, uint64_t ts)
{
	int err = unwind(st, t, 0, ts);

	if (!err && t->holding)
		err = release(st, t);
	t->run = 0;
	return err;
}

static int lost(struct pt_stacks *st, struct pt_thread *t, uint64_t ts)
{
	int err = close_all(st, t, ts);

	if (err || t->lost)
		return err;
	t->lost = 1;
	return emit(st, t, HWT_EV_LOST, 0, 0, ts);
}

static void start_run(struct pt_thread *t, uint64_t ts)
{
	t->run = 1;
	t->lost = 0;
	t->holding = 1;
	t->nheld = t->unknown = t->base = 0;
	t->t0 = ts < t->last_ts ? t->last_ts : ts;
}

static inline int push(struct pt_stacks *st, struct pt_thread *t, uint32_t frame, uint64_t ret,
		       uint64_t ts, int pending)
{
	if (t->depth >= PT_MAX_DEPTH) {
		/* Runaway recursion, or garbage decoded as calls: start over. */
		int err = lost(st, t, ts);
		if (err)
			return err;
		start_run(t, ts);
	}
	if (HWT_ARRAY_GROW(t->stack, &t->cap, t->depth + 1))
		return HWT_E_NOMEM;
	if (ts < t->last_ts)
		ts = t->last_ts;
	t->stack[t->depth++] =
		(struct pt_frame){ .ret = ret, .ts = ts, .frame = frame, .pending = !!pending };
	return pending ? 0 : emit(st, t, HWT_EV_SLICE_BEGIN, frame, 0, ts);
}

/* Execution went to @fid (not its start) while the top frame is another function: if a deeper
 * frame is that function, the frames above it were left without returning. */
static int unwind_to(struct pt_stacks *st, struct pt_thread *t, uint32_t fid, uint64_t ts)
{
	for (uint32_t i = t->depth - 1; i-- > 0;)
		if (t->stack[i].frame == fid)
			return unwind(st, t, i + 1, ts);
	return fid == t->base ? unwind(st, t, 0, ts) : 0;
}

/* A return with no frame open: from a call before the run began. */
static int past_top(struct pt_stacks *st, struct pt_thread *t, uint64_t target, uint64_t ts)
{
	uint8_t fl;
	int64_t fid = frame_of(st, t, target, &fl);

	if (fid < 0)
		return (int)fid;
	t->base = (uint32_t)fid;
	if (!t->holding || !hold_room(t))
		return 0; /* its [unknown] slice can no longer go first: not shown */
	t->unknown++;
	return emit(st, t, HWT_EV_SLICE_END, st->unknown_frame, 0, ts);
}

static inline int ret_to(struct pt_stacks *st, struct pt_thread *t, uint64_t target, uint64_t ts)
{
	int err = materialize(st, t);
	uint8_t fl;

	if (err)
		return err;
	if (!t->depth)
		return past_top(st, t, target, ts);
	for (uint32_t i = t->depth; i-- > 0;)
		if (t->stack[i].ret == target) {
			err = unwind(st, t, i + 1, ts);
			return err ? err : pop(st, t, ts, 0);
		}
	int64_t fid = frame_of(st, t, target, &fl);
	return fid < 0 ? (int)fid : unwind_to(st, t, (uint32_t)fid, ts);
}

static int jump(struct pt_stacks *st, struct pt_thread *t, uint64_t target, uint64_t ts)
{
	struct pt_frame *top = t->depth ? &t->stack[t->depth - 1] : NULL;
	uint8_t fl;

	if (!top)
		return 0;
	int64_t fid = frame_of(st, t, target, &fl);
	if (fid < 0)
		return (int)fid;
	if (top->pending) {
		if (fl & PT_FL_PLT)
			return 0; /* lazy binding walks the PLT first */
		top->frame = (uint32_t)fid;
		return materialize(st, t);
	}
	if ((uint32_t)fid == top->frame)
		return 0;
	if (!(fl & PT_FL_START))
		return unwind_to(st, t, (uint32_t)fid, ts);
	if (!st->tailcalls)
		return 0;
	/* A tail call: the callee takes the caller's place and returns for it. */
	int err = emit(st, t, HWT_EV_SLICE_END, top->frame, 0, ts);
	if (err)
		return err;
	top->frame = (uint32_t)fid;
	top->ts = ts < t->last_ts ? t->last_ts : ts;
	top->pending = !!(fl & PT_FL_PLT);
	return top->pending ? 0 : emit(st, t, HWT_EV_SLICE_BEGIN, top->frame, 0, top->ts);
}

/* ---- threads --------------------------------------------------------------------------- */

static struct pt_thread *thread_get(struct pt_stacks *st, uint32_t tid, uint32_t pid)
{
	if (st->last && st->threads[st->last - 1].tid == tid)
		return &st->threads[st->last - 1];
	int created = 0;
	/* Room first, so that the map never holds a thread the array lacks. */
	if (HWT_ARRAY_GROW(st->threads, &st->cap_threads, st->nthreads + 1))
		return NULL;
	uint32_t *slot = hwt_idmap_put(&st->map, tid, &created);
	if (!slot)
		return NULL;
	if (created) {
		*slot = st->nthreads;
		st->threads[st->nthreads++] = (struct pt_thread){ .tid = tid, .pid = pid };
	}
	st->last = *slot + 1;
	struct pt_thread *t = &st->threads[*slot];
	if (t->pid != pid && !t->run) {
		t->pid = pid; /* the tid was reused by another process */
		t->round = 0;
	}
	return t;
}

static inline int apply(struct pt_stacks *st, struct pt_thread *t, const struct pt_op *op)
{
	int err = 0;
	uint8_t fl;

	if (!t->run && op->kind != PT_OP_LOST && op->kind != PT_OP_DISABLE) {
		start_run(t, op->ts);
		if (op->kind == PT_OP_SYNC || op->kind == PT_OP_ENABLE) {
			int64_t fid = frame_of(st, t, op->ip, &fl);
			if (fid < 0)
				return (int)fid;
			t->base = (uint32_t)fid;
		}
	}
	switch (op->kind) {
	case PT_OP_LOST:
		return lost(st, t, op->ts);
	case PT_OP_CALL: {
		if (op->ip == op->aux)
			return 0; /* a call to the next instruction: position-independent code */
		int64_t fid = frame_of(st, t, op->ip, &fl);
		if (fid < 0)
			return (int)fid;
		err = materialize(st, t);
		return err ? err
			   : push(st, t, (uint32_t)fid, op->aux, op->ts,
				  st->tailcalls && (fl & PT_FL_PLT));
	}
	case PT_OP_RET:
		return ret_to(st, t, op->ip, op->ts);
	case PT_OP_JUMP:
		return jump(st, t, op->ip, op->ts);
	default: /* SYNC, ENABLE (a run begins), DISABLE (the stack waits for the return) */
		return 0;
	}
}

/* The thread @lane runs now. */
static struct pt_thread *lane_thread(struct pt_stacks *st, const struct pt_lane *lane)
{
	uint32_t tid = lane->per_cpu ? lane->cur_tid : lane->tid;
	uint32_t pid = lane->per_cpu ? lane->cur_pid : lane->pid;
	if (!tid) /* no side-band says who ran: the target */
		tid = pid = st->d->target_pid;
	return thread_get(st, tid, pid ? pid : tid);
}

/* apply() for the operations that make most of a trace: calls whose target is in the frame
 * cache and returns to the top frame, on a thread whose run is under way and shown (not held),
 * without HWT_PT_TAILCALLS. Applies ops[@i...] up to the first other one, or the first after
 * @until; returns the index after the last applied. The thread's state stays in registers. */
static size_t apply_run(struct pt_stacks *st, struct pt_thread *t, const struct pt_op *ops,
			size_t i, size_t n, uint64_t until, int *err)
{
	struct hwt_decoder *d = st->d;
	const size_t first = i;

	if (!t->run || t->holding || !t->announced || st->tailcalls || t->round != st->round)
		return i;
	/* An event for each operation, at most. */
	while (d->cap_out - d->nout < n - i)
		if ((*err = hwt_dec_out_grow(d)))
			return i;
	struct hwt_event *ev = d->out + d->nout;
	struct pt_frame *stack = t->stack;
	struct fcent *fc = st->fc;
	uint32_t depth = t->depth, room = t->cap < PT_MAX_DEPTH ? t->cap : PT_MAX_DEPTH;
	const uint32_t pid = t->pid, tid = t->tid;
	const uint64_t gen = t->gen;
	uint64_t last = t->last_ts;
	uint32_t node = t->node;
	for (; i < n; i++) {
		const struct pt_op *op = &ops[i];
		uint64_t ts = op->ts < last ? last : op->ts;
		uint32_t type, frame;
		if (i > first && op->ts > until)
			break;
		if (op->kind == PT_OP_CALL) {
			const struct fcent *e = fc_slot(fc, op->ip, pid);
			if (op->ip == op->aux)
				continue;
			if (!fc_hit(e, op->ip, pid, gen) || depth == room)
				break;
			frame = e->frame;
			stack[depth++] =
				(struct pt_frame){ .ret = op->aux, .ts = ts, .frame = frame };
			type = HWT_EV_SLICE_BEGIN;
		} else if (op->kind == PT_OP_RET && depth && stack[depth - 1].ret == op->ip) {
			const struct pt_frame *f = &stack[--depth];
			if (ts < f->ts)
				ts = f->ts;
			frame = f->frame;
			type = HWT_EV_SLICE_END;
		} else {
			break;
		}
		last = ts;
		*ev = (struct hwt_event){ .type = type, .pid = pid, .tid = tid, .ts = ts };
		if ((*err = hwt_dec_slice(d, &node, ev, frame)))
			break;
		ev++;
	}
	t->node = node;
	t->depth = depth;
	t->last_ts = last;
	d->nout = (size_t)(ev - d->out);
	return i;
}

size_t hwt_pt_stacks_apply(struct pt_stacks *st, struct pt_lane *lane, const struct pt_op *ops,
			   size_t n, uint64_t until, int *err)
{
	struct pt_thread *t = lane_thread(st, lane);
	size_t i = 0;

	*err = t ? 0 : HWT_E_NOMEM;
	while (i < n && !*err) {
		size_t j = apply_run(st, t, ops, i, n, until, err);
		if (j != i) {
			i = j;
			if (*err || i == n || ops[i].ts > until)
				break;
		}
		const struct pt_op *op = &ops[i++];
		if (op->kind == PT_OP_THREAD) {
			lane->cur_tid = (uint32_t)op->ip;
			lane->cur_pid = (uint32_t)op->aux;
			if (!(t = lane_thread(st, lane)))
				*err = HWT_E_NOMEM;
		} else {
			*err = apply(st, t, op);
		}
		if (until != UINT64_MAX && i < n && ops[i].ts > until)
			break;
	}
	return i;
}

int hwt_pt_stacks_end_thread(struct pt_stacks *st, uint32_t pid, uint32_t tid, uint64_t ts)
{
	uint32_t *slot = hwt_idmap_find(&st->map, tid);
	if (!slot)
		return 0;
	struct pt_thread *t = &st->threads[*slot];
	return close_all(st, t, ts < t->last_ts ? t->last_ts : ts);
}

int hwt_pt_stacks_finish(struct pt_stacks *st, uint64_t ts)
{
	int err = 0;
	for (uint32_t i = 0; i < st->nthreads && !err; i++) {
		struct pt_thread *t = &st->threads[i];
		err = close_all(st, t, ts < t->last_ts ? t->last_ts : ts);
	}
	return err;
}

void hwt_pt_stacks_round(struct pt_stacks *st)
{
	st->round++;
}

struct pt_stacks *hwt_pt_stacks_alloc(struct hwt_decoder *d)
{
	struct pt_stacks *st = calloc(1, sizeof(*st));

	if (!st)
		return NULL;
	st->d = d;
	st->round = 1;
	st->fc = calloc((size_t)1 << PT_FCACHE_BITS, sizeof(*st->fc));
	int64_t name = hwt_model_intern_str(d->m, "[unknown]");
	struct hwt_frame f = { .name = name > 0 ? (uint32_t)name : 0, .kind = HWT_FRAME_UNKNOWN };
	int64_t fid = name > 0 ? hwt_model_intern_frame(d->m, &f) : -1;
	if (!st->fc || fid <= 0) {
		hwt_pt_stacks_free(st);
		return NULL;
	}
	st->unknown_frame = (uint32_t)fid;
	const char *tc = getenv("HWT_PT_TAILCALLS");
	st->tailcalls = tc && *tc && strcmp(tc, "0");
	elf_version(EV_CURRENT);
	return st;
}

void hwt_pt_stacks_free(struct pt_stacks *st)
{
	if (!st)
		return;
	for (uint32_t i = 0; i < st->nthreads; i++) {
		free(st->threads[i].stack);
		free(st->threads[i].held);
	}
	free(st->threads);
	hwt_idmap_fini(&st->map);
	while (st->elfs) {
		struct elfinfo *e = st->elfs;
		st->elfs = e->next;
		free(e->path);
		free(e);
	}
	free(st->fc);
	free(st);
}

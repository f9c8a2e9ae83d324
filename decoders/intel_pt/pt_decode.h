/* The parts of the Intel PT decoder and what they share: pt_decode.c (the stream, its lanes and
 * jobs), pt_params.c (the trace's parameters and clock), pt_workers.c (the threads that decode
 * jobs), pt_block.c (libipt block decoding into call, return and jump operations) over the images
 * of pt_image.c, and pt_stack.c (operations to slices on a shadow stack per thread). Private to
 * decoders/.
 *
 * Data flows in three steps. split() appends each piece of trace to its lane (a CPU, or a thread
 * for per-thread traces and imports) and indexes its PSBs. A job decodes a lane from one PSB up
 * to a later one with libipt's block decoder into a compact list of operations (a call with its
 * return address, a return, a jump, tracing enabled or disabled, trace lost), on the main thread
 * or on worker threads. The operations are then applied in order to the shadow stacks on the main
 * thread, which emits the slices: only this step touches the model and the symbolizer.
 */
#ifndef HWT_DECODERS_PT_DECODE_H
#define HWT_DECODERS_PT_DECODE_H

#include <capstone/capstone.h>
#include <intel-pt.h>
#include <pthread.h>
#include <stdint.h>

#include "core/format/pt_format.h"
#include "decoders/internal.h"

/* ---- parameters of the trace (the "intel_pt" plugin chunk; pt_params.c) ---- */

/** How TSC becomes CLOCK_MONOTONIC nanoseconds (core/pt_format.h). */
struct pt_clock {
	int have_perf; /* time_mult/shift/zero recorded */
	uint32_t mult;
	uint16_t shift;
	uint64_t zero;
	uint64_t hz;	     /* TSC ticks per second, 0 if unknown */
	int64_t mono_offset; /* added at the end */
};

/** What a recording says about its Intel PT data. */
struct pt_params {
	struct pt_config cfg; /* begin and end unset; block flags set */
	struct pt_clock clock;
	int noretcomp;
	uint64_t total_bytes; /* import: all the bytes the stream has, 0 if not said */
};

/** Sets @p from the side-band chunk @sb (borrowed for the call; NULL: the defaults, TSC taken
 *  as ns). */
void hwt_pt_params_set(struct pt_params *p, const struct hwt_pt_sideband *sb);
/** @tsc in CLOCK_MONOTONIC nanoseconds. */
uint64_t hwt_pt_clock_ns(const struct pt_clock *c, uint64_t tsc);

/* ---- operations: what block decoding found, in trace order ---- */

enum pt_op_kind {
	PT_OP_CALL = 1, /* ip: callee, aux: return address */
	PT_OP_RET,	/* ip: where it returned to */
	PT_OP_JUMP,	/* ip: target (a tail call if it is another function's start) */
	PT_OP_ENABLE,	/* ip: where tracing resumed */
	PT_OP_DISABLE,	/* aux: where execution will resume, 0 if unknown */
	PT_OP_LOST,	/* trace lost: ts is the last good time */
	/* Idempotent state: not counted when a decode is replayed. */
	PT_OP_SYNC,   /* ip: the first instruction after (re)synchronizing */
	PT_OP_THREAD, /* per-CPU lanes: ip = tid, aux = pid run from here on */
};

struct pt_op {
	uint64_t ip, aux, ts; /* ts: CLOCK_MONOTONIC ns */
	uint32_t kind;
};

struct pt_ops {
	struct pt_op *v;
	size_t n, cap;
};

/* ---- lanes and jobs ---- */

/** A thread starting to run on a CPU at @ts (side-band); tid 0: nothing traced runs. */
struct pt_switch {
	uint64_t ts;
	uint32_t pid, tid;
};

/** A place a job may start: a PSB, or a break (bytes before and after are not contiguous). */
struct pt_bound {
	uint64_t off;
	int brk;
};

enum pt_job_state { PT_JOB_NEW, PT_JOB_RUNNING, PT_JOB_DONE };

/** Decoding of one lane from @start up to @cut (the next job's PSB) or the end of its bytes. */
struct pt_job {
	struct pt_job *next; /* in the lane's queue */
	struct pt_lane *lane;
	uint64_t start, end; /* lane offsets: where to sync from, and the decoder's buffer end */
	uint64_t cut;	     /* stop where the PSB here takes over; UINT64_MAX: decode to @end */
	int brk_end;	     /* @end is a break: trace was lost there */
	int start_psb; /* @start is a PSB the previous job stopped at: missing it loses trace */
	int spec;      /* the growing end of a lane: stop where the trace runs out */
	uint64_t skip; /* operations an earlier decode from @start already produced */
	uint64_t pid;  /* per-thread lanes: the process */
	const struct pt_switch *sw; /* per-CPU lanes: the side-band known when it was made */
	size_t nsw;
	int state;	/* enum pt_job_state, under the pool's lock once queued */
	int worker;	/* queued for the worker threads */
	int windowed;	/* done and its operations handed to the lane's window */
	int err;	/* a negative enum hwt_error from decoding */
	uint64_t nreal; /* operations produced, the skipped ones included */
	struct pt_ops ops;
	struct pt_session *s; /* a job run on the main thread, a bounded step at a time */
};

/** The trace of one CPU, or of one thread. */
struct pt_lane {
	uint32_t cpu, tid, pid; /* tid 0: a per-CPU lane */
	int per_cpu;
	uint8_t *buf; /* every byte so far: decoders read it in place */
	size_t len, cap;
	void **retired; /* buffers outgrown while a decoder may still read them */
	size_t nretired;
	uint64_t aux_next;  /* the AUX offset the next piece should have */
	uint64_t last_item; /* item time of the latest bytes */
	struct pt_bound *bounds;
	size_t nbounds, cap_bounds, scanned;
	struct pt_switch *sw;
	size_t nsw, cap_sw;
	uint32_t *pids; /* the processes in @sw, each once */
	size_t npids;
	int complete; /* no more bytes will come */
	/* Scheduling. */
	uint64_t next_start; /* where the next job starts */
	int next_brk;	     /* it starts after a break */
	size_t next_bound;   /* index of the first bound after next_start */
	uint64_t resume_off, resume_end, resume_skip; /* the tail decoded so far: from, to and
							  operations, to replay past */
	size_t spec_len;			      /* bytes the last tail decode saw */
	struct pt_job *head, *tail;
	uint32_t njobs;
	/* Applying. */
	const struct pt_op *win;
	size_t nwin, iwin;
	uint64_t frontier; /* time of the latest operation decoded */
	uint32_t cur_tid, cur_pid;
};

/* ---- block decoding (pt_block.c) ---- */

struct ptdec;

/** What one thread needs to decode: disassemblers, a cache of instruction classes, its own
 *  copies of the process images (a pt_image is not safe to share). */
struct pt_worker {
	csh cs64, cs32;
	cs_insn *in64, *in32;
	int have_cs;
	struct pt_icent *icache; /* direct-mapped */
	/* Its own section cache: libipt locks a cache on every section it maps or reads, and
	 * workers sharing one spent a third of their time waiting for it. */
	struct pt_image_section_cache *isc;
	struct pt_wimage
		*images; /* every copy made, the replaced ones too: a session may hold one */
	size_t nimages, cap_images;
};

int hwt_pt_worker_init(struct pt_worker *w);
void hwt_pt_worker_fini(struct pt_worker *w);

struct pt_session;

/** Starts decoding @job with @w (borrowed for the session). NULL when out of memory. */
struct pt_session *hwt_pt_session_open(struct ptdec *pd, struct pt_worker *w, struct pt_job *job);
/** Appends up to about @max operations to @job->ops. Returns 1 when the job is done, 0 when more
 *  remain, or HWT_E_NOMEM. */
int hwt_pt_session_run(struct pt_session *s, size_t max);
/** Ends a session; NULL accepted. */
void hwt_pt_session_close(struct pt_session *s);

/* ---- process images (pt_image.c) ---- */

/** A file-backed piece of a process image: @size bytes at @off in @path, loaded at @vaddr. */
struct pt_psec {
	char *path;
	uint64_t off, size, vaddr;
};

/** A process image as the symbolizer knew it when it was built: what each worker builds its own
 *  libipt image from. */
struct pt_pimage {
	uint32_t pid;
	uint32_t version; /* changes when rebuilt */
	uint64_t symgen;  /* hwt_symbolizer_generation() it was built from */
	struct pt_psec *secs;
	size_t nsecs, cap_secs;
	uint64_t vdso_start, vdso_end;
};

/** Where the vdso of a worker image's process was mapped. */
struct vdso_range {
	uint64_t start, end;
};

/** A worker's libipt copy of a master image. */
struct pt_wimage {
	uint32_t pid, version;
	int current; /* the copy in use for @pid; older ones stay for sessions holding them */
	struct pt_image *img;
	struct vdso_range *vdso;
};

void hwt_pt_pimage_fini(struct pt_pimage *pi);
/** The master image of @pid, built or rebuilt from the symbolizer's mappings (main thread, no
 *  job running). NULL when out of memory. */
struct pt_pimage *hwt_pt_master_image(struct ptdec *pd, uint32_t pid);
/** Whether the master image of @pid is missing or older than its mappings. */
int hwt_pt_master_stale(struct ptdec *pd, uint32_t pid);
/** @w's copy of @pid's master image, made anew when the master changed (the old copy stays for
 *  sessions holding it): a pt_image moves what it finds to the front, so decoders running at
 *  once each need their own. NULL without a master image or memory. */
struct pt_wimage *hwt_pt_worker_image(struct ptdec *pd, struct pt_worker *w, uint32_t pid);
/** A pt_image read callback for memory no section covers: the vdso in @ctx (a struct
 *  vdso_range, NULL for none), from this process' own copy (same kernel, most likely). Returns
 *  the bytes read at @ip into @buffer, or -pte_nomap. */
int hwt_pt_vdso_read(uint8_t *buffer, size_t size, const struct pt_asid *asid, uint64_t ip,
		     void *ctx);

/* ---- shadow stacks (pt_stack.c) ---- */

struct pt_stacks;

/** New stacks emitting through @d (borrowed; must outlive them). NULL when out of memory. */
struct pt_stacks *hwt_pt_stacks_alloc(struct hwt_decoder *d);
void hwt_pt_stacks_free(struct pt_stacks *st);
/** Marks the start of a round of applying: mappings may have changed since the last one. */
void hwt_pt_stacks_round(struct pt_stacks *st);
/** Applies the first of the @n operations at @ops of @lane (to the thread it runs), and those
 *  after it up to time @until. Returns how many, with *@err 0 or HWT_E_NOMEM. */
size_t hwt_pt_stacks_apply(struct pt_stacks *st, struct pt_lane *lane, const struct pt_op *ops,
			   size_t n, uint64_t until, int *err);
/** Thread @tid ended at @ts: its open calls end unfinished. */
int hwt_pt_stacks_end_thread(struct pt_stacks *st, uint32_t pid, uint32_t tid, uint64_t ts);
/** No more operations: every open call ends unfinished at @ts (or its thread's last time). */
int hwt_pt_stacks_finish(struct pt_stacks *st, uint64_t ts);

/* ---- worker threads (pt_workers.c) ---- */

struct ptdec;

/** Starts the worker threads pd->nthreads asks for (the main thread is one of them), once;
 *  with none to be had, sets pd->nthreads to 1. Returns 0, or HWT_E_NOMEM. */
int hwt_pt_workers_start(struct ptdec *pd);
/** Queues @j for the workers. Returns 0, or HWT_E_NOMEM. */
int hwt_pt_workers_enqueue(struct ptdec *pd, struct pt_job *j);
/** The main thread needs @j now: takes it back if no worker started it, else decodes the next
 *  waiting job itself while a worker finishes @j. */
void hwt_pt_workers_claim(struct ptdec *pd, struct pt_job *j);
/** Waits until no worker runs: before master images change. */
void hwt_pt_workers_wait_idle(struct ptdec *pd);
/** Stops the worker threads and waits for them; what they hold is freed with @pd. */
void hwt_pt_workers_stop(struct ptdec *pd);

/* ---- the stream decoder (pt_decode.c) ---- */

#define PT_SPARE_OPS 24 /* operation arrays kept for reuse */

struct ptdec {
	struct hwt_decoder *d;
	uint32_t source;
	struct pt_params prm;
	struct pt_pimage *pimg;
	size_t npimg;
	uint32_t img_version;
	struct pt_lane **lanes;
	size_t nlanes;
	struct pt_stacks *st;
	struct pt_worker mw; /* the main thread's */
	uint32_t target_pid;
	uint64_t last_item; /* newest item time */
	int markers;	    /* pump markers waiting in the driver's queue */
	/* Worker threads. */
	int nthreads, threads_fixed;
	uint64_t job_bytes; /* trace per job on several threads (HWT_PT_JOB_KIB) */
	int tailcalls;	    /* HWT_PT_TAILCALLS: blocks also end at direct jumps */
	pthread_t *threads;
	struct pt_worker *workers;
	int nstarted;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct pt_job **queue; /* jobs waiting for a worker, FIFO */
	size_t qhead, qlen, qcap;
	int inflight; /* jobs queued or running on workers */
	int stop;
	/* Operation arrays of finished jobs, for the next ones: fresh memory for every job costs
	 * a page fault per 4 KiB written. */
	struct pt_ops spare[PT_SPARE_OPS];
	size_t nspare;
};

/** The "intel_pt" stream decoder. */
extern const struct hwt_source_ops hwt_intel_pt_source;

#endif

/* Unwinding ahead on worker threads: each worker has an unwinder of its own (its own Dwfls and
 * CFI rows), brought in line with the symbolizer by the decoding thread before a batch starts;
 * the decoding thread then takes each sample's frames in its own order. */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "unwind_int.h"

/* A process needs this many samples in a batch to go to the workers: each worker's address
 * space of it is brought in line first (modules reported, files opened), and a fork-heavy
 * recording has thousands of processes with a few samples each. */
#define MIN_JOBS_PER_PID 8
/* Processes told apart per batch; the samples of any more stay with the decoding thread. */
#define MAX_PIDS 32

/* Frames kept per sample unwound ahead: a caller asking for more unwinds it itself. */
#define JOB_FRAMES  512
#define MAX_WORKERS 7
/* Pauses the decoding thread waits for a sample a worker holds (~2-5 us) before unwinding it
 * itself. */
#define SPIN 200
/* Records a pause of one batch lasts (hwt_unwind_ahead_wanted() calls). */
#define AHEAD_PAUSE 256

enum { JOB_FREE, JOB_BUSY, JOB_DONE };

struct uw_job {
	uint32_t pid, tid;
	uint64_t regs[HWT_SAMPLE_NREGS];
	const uint8_t *stack;
	size_t size;
	uint64_t gen; /* of the address space when the batch started */
	atomic_int state;
	int n;	  /* frames, or -1: the worker could not (no address space) */
	int mine; /* left to the decoding thread: too few samples of its process to refresh the
		     workers' address spaces for */
};

struct uw_pool {
	int nworkers;
	pthread_t *threads;
	struct hwt_unwinder **wu; /* each worker's own */
	int started;		  /* threads running */

	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	uint64_t seq; /* batches started */
	int quit;
	int busy; /* workers inside the current batch */

	struct uw_job *jobs, *pend; /* the batch running; the one being added */
	size_t njobs, cap_jobs, npend, cap_pend;
	uint64_t *pcs; /* JOB_FRAMES per job */
	size_t cap_pcs;
	atomic_size_t next; /* the next job to claim */
	size_t cursor;	    /* the job the decoding thread expects next */
	/* Whether the workers keep ahead: samples of the batch the decoding thread took from a
	 * worker, and those it unwound itself because no worker had (or had finished) them. Where
	 * the workers fall behind (their CPUs busy with other work), batches pause for a while. */
	uint32_t took, own;
	uint32_t backoff; /* batches paused after the next failing one: 0, 1, 2, 4 ... 64 */
	uint64_t skip;	  /* hwt_unwind_ahead_wanted() calls left to answer no */
};

int hwt_uw_threads_env(void)
{
	const char *env = getenv("HWT_UNWIND_THREADS");
	long n;

	if (!env || !*env)
		return -1;
	n = strtol(env, NULL, 10);
	n = n < 1 ? 1 : n > MAX_WORKERS + 1 ? MAX_WORKERS + 1 : n;
	return (int)n - 1;
}

int hwt_unwind_ahead_threads(struct hwt_unwinder *u)
{
	if (!u)
		return 0;
	/* None unless HWT_UNWIND_THREADS asks: on this project's quiet 2-vCPU machine, unwinding
	 * ahead on 2 threads gave 0.93 M samples/s against 1.43 M on one (bench_unwind), and
	 * `report` of -g dwarf samples 316 k/s against 343 k (tests/bench/unwind.sh). */
	if (u->workers < 0)
		u->workers = 0;
	return u->workers;
}

static void run_job(struct hwt_unwinder *wu, struct uw_job *j, uint64_t *pcs)
{
	struct uw_proc *p = hwt_uw_proc_find(wu, j->pid);

	j->n = -1;
	if (p && p->gen == j->gen)
		j->n = hwt_uw_walk(wu, p, j->tid, j->regs, j->stack, j->size, pcs, JOB_FRAMES);
}

struct worker_arg {
	struct uw_pool *pool;
	int idx;
};

static void *worker_main(void *arg)
{
	struct uw_pool *pool = ((struct worker_arg *)arg)->pool;
	struct hwt_unwinder *wu = pool->wu[((struct worker_arg *)arg)->idx];
	uint64_t seen = 0;

	free(arg);
	pthread_mutex_lock(&pool->mu);
	for (;;) {
		while (!pool->quit && pool->seq == seen)
			pthread_cond_wait(&pool->cv_work, &pool->mu);
		if (pool->quit)
			break;
		seen = pool->seq;
		pool->busy++;
		pthread_mutex_unlock(&pool->mu);
		for (;;) {
			size_t i = atomic_fetch_add(&pool->next, 1);
			int expect = JOB_FREE;

			if (i >= pool->njobs)
				break;
			if (pool->jobs[i].mine)
				continue;
			if (!atomic_compare_exchange_strong(&pool->jobs[i].state, &expect,
							    JOB_BUSY))
				continue; /* the decoding thread took it */
			run_job(wu, &pool->jobs[i], pool->pcs + i * JOB_FRAMES);
			atomic_store(&pool->jobs[i].state, JOB_DONE);
		}
		pthread_mutex_lock(&pool->mu);
		if (!--pool->busy)
			pthread_cond_broadcast(&pool->cv_done);
	}
	pthread_mutex_unlock(&pool->mu);
	return NULL;
}

void hwt_uw_pool_free(struct hwt_unwinder *u)
{
	struct uw_pool *pool = u->pool;
	int i;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->mu);
	pool->quit = 1;
	pthread_cond_broadcast(&pool->cv_work);
	pthread_mutex_unlock(&pool->mu);
	for (i = 0; i < pool->started; i++)
		pthread_join(pool->threads[i], NULL);
	for (i = 0; i < pool->nworkers; i++)
		hwt_unwinder_free(pool->wu[i]);
	pthread_mutex_destroy(&pool->mu);
	pthread_cond_destroy(&pool->cv_work);
	pthread_cond_destroy(&pool->cv_done);
	free(pool->threads);
	free(pool->wu);
	free(pool->jobs);
	free(pool->pend);
	free(pool->pcs);
	free(pool);
	u->pool = NULL;
}

static struct uw_pool *pool_get(struct hwt_unwinder *u)
{
	struct uw_pool *pool;
	int i, n = hwt_unwind_ahead_threads(u);

	if (u->pool || n <= 0)
		return u->pool;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return NULL;
	pthread_mutex_init(&pool->mu, NULL);
	pthread_cond_init(&pool->cv_work, NULL);
	pthread_cond_init(&pool->cv_done, NULL);
	u->pool = pool;
	pool->threads = calloc((size_t)n, sizeof(*pool->threads));
	pool->wu = calloc((size_t)n, sizeof(*pool->wu));
	if (!pool->threads || !pool->wu)
		goto fail;
	for (i = 0; i < n; i++) {
		pool->wu[i] = hwt_unwinder_alloc(u->s);
		if (!pool->wu[i])
			goto fail;
		pool->nworkers++;
		hwt_unwinder_set_cache(pool->wu[i], u->use_rows);
		pool->wu[i]->workers = 0; /* a worker's unwinder never has workers of its own */
	}
	for (i = 0; i < n; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));

		if (!wa)
			goto fail;
		*wa = (struct worker_arg){ .pool = pool, .idx = i };
		if (pthread_create(&pool->threads[i], NULL, worker_main, wa)) {
			free(wa);
			goto fail;
		}
		pool->started++;
	}
	return pool;
fail:
	hwt_uw_pool_free(u);
	u->workers = 0; /* no threads: unwind in turn from now on */
	return NULL;
}

int hwt_unwind_ahead_add(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
			 const uint8_t *stack, size_t size)
{
	struct uw_pool *pool;
	struct uw_job *j;

	if (!u || !regs || (!stack && size))
		return HWT_E_INVAL;
	pool = pool_get(u);
	if (!pool)
		return hwt_unwind_ahead_threads(u) ? HWT_E_NOMEM : 0;
	if (HWT_ARRAY_GROW(pool->pend, &pool->cap_pend, pool->npend + 1))
		return HWT_E_NOMEM;
	j = &pool->pend[pool->npend++];
	j->pid = pid;
	j->tid = tid;
	memcpy(j->regs, regs, sizeof(j->regs));
	j->stack = stack;
	j->size = stack ? size : 0;
	return 0;
}

/* Nothing is claimed from the batch running any more; waits for what workers hold of it.
 * Called with the mutex held. */
static void drain(struct uw_pool *pool)
{
	atomic_store(&pool->next, SIZE_MAX / 2);
	while (pool->busy)
		pthread_cond_wait(&pool->cv_done, &pool->mu);
}

void hwt_unwind_ahead_stop(struct hwt_unwinder *u)
{
	struct uw_pool *pool = u ? u->pool : NULL;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->mu);
	drain(pool);
	pool->njobs = 0;
	pool->cursor = 0;
	pthread_mutex_unlock(&pool->mu);
}

/* The workers' address spaces of the processes with samples enough, as the symbolizer has
 * them now; the other samples are the decoding thread's. */
static void refresh_workers(struct hwt_unwinder *u, struct uw_pool *pool)
{
	struct {
		uint32_t pid, n;
	} pids[MAX_PIDS];
	size_t i, k, npids = 0;

	for (i = 0; i < pool->njobs; i++) {
		struct uw_job *j = &pool->jobs[i];

		j->gen = hwt_symbolizer_generation(u->s, j->pid);
		j->n = -1;
		atomic_init(&j->state, JOB_FREE);
		for (k = 0; k < npids && pids[k].pid != j->pid; k++)
			;
		if (k == npids && npids < MAX_PIDS)
			pids[npids++] = (typeof(pids[0])){ .pid = j->pid };
		if (k < npids)
			pids[k].n++;
	}
	for (k = 0; k < npids; k++)
		for (int w = 0; w < pool->nworkers && pids[k].n >= MIN_JOBS_PER_PID; w++)
			hwt_uw_proc(pool->wu[w], pids[k].pid);
	for (i = 0; i < pool->njobs; i++) {
		struct uw_job *j = &pool->jobs[i];

		for (k = 0; k < npids && pids[k].pid != j->pid; k++)
			;
		j->mine = k == npids || pids[k].n < MIN_JOBS_PER_PID;
	}
}

int hwt_unwind_ahead_start(struct hwt_unwinder *u)
{
	struct uw_pool *pool = u ? u->pool : NULL;
	struct uw_job *t;
	size_t cap;
	int err = 0;

	if (!pool)
		return 0;
	/* Did the workers keep ahead in the last batch? If not, pause (for 1, 2, 4 ... 64
	 * batches' worth of records) before the next try. */
	if (pool->took + pool->own >= 16) {
		if (pool->took < pool->own) {
			pool->skip = (uint64_t)(pool->backoff ? pool->backoff : 1) * AHEAD_PAUSE;
			pool->backoff =
				pool->backoff ? (pool->backoff < 64 ? pool->backoff * 2 : 64) : 1;
		} else {
			pool->backoff = 0;
		}
	}
	pool->took = pool->own = 0;
	pthread_mutex_lock(&pool->mu);
	drain(pool);
	t = pool->jobs;
	pool->jobs = pool->pend;
	pool->pend = t;
	cap = pool->cap_jobs;
	pool->cap_jobs = pool->cap_pend;
	pool->cap_pend = cap;
	pool->njobs = pool->npend;
	pool->npend = 0;
	pool->cursor = 0;
	if (pool->njobs && HWT_ARRAY_GROW(pool->pcs, &pool->cap_pcs, pool->njobs * JOB_FRAMES)) {
		pool->njobs = 0;
		err = HWT_E_NOMEM;
	}
	refresh_workers(u, pool);
	atomic_store(&pool->next, 0);
	pool->seq++;
	pthread_cond_broadcast(&pool->cv_work);
	pthread_mutex_unlock(&pool->mu);
	return err ? err : (int)(pool->njobs < INT32_MAX ? pool->njobs : INT32_MAX);
}

int hwt_uw_pool_take(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
		     const uint8_t *stack, size_t size, uint64_t *pcs, int max)
{
	struct uw_pool *pool = u->pool;
	struct uw_job *j = NULL;
	int expect = JOB_FREE, n;
	size_t i;

	for (i = pool->cursor; i < pool->njobs && !j; i++)
		if (pool->jobs[i].stack == stack && pool->jobs[i].pid == pid &&
		    pool->jobs[i].tid == tid && pool->jobs[i].size == (stack ? size : 0) &&
		    !memcmp(pool->jobs[i].regs, regs, sizeof(pool->jobs[i].regs)))
			j = &pool->jobs[i];
	if (!j)
		return 0;
	pool->cursor = i;
	i--;
	pool->own++; /* until taken below */
	/* Not started yet: this thread unwinds it in turn, sooner than waiting. */
	if (atomic_compare_exchange_strong(&j->state, &expect, JOB_BUSY)) {
		pool->own -= (uint32_t)j->mine; /* the decoding thread's anyway */
		return 0;
	}
	/* A worker has it: a sample takes a microsecond or two. Past that the worker may have
	 * lost its CPU: this thread unwinds the sample itself (the same frames) rather than wait,
	 * and the worker's are never read. */
	for (int spin = 0; spin < SPIN && atomic_load(&j->state) != JOB_DONE; spin++)
		__builtin_ia32_pause();
	if (atomic_load(&j->state) != JOB_DONE)
		return 0;
	/* Unwound in the address space the sample has now? */
	if (j->n <= 0 || j->gen != hwt_symbolizer_generation(u->s, pid))
		return 0;
	n = j->n;
	if (n > max)
		n = max;
	else if (n == JOB_FRAMES && max > JOB_FRAMES)
		return 0; /* cut short: this thread unwinds it further */
	memcpy(pcs, pool->pcs + i * JOB_FRAMES, (size_t)n * sizeof(*pcs));
	pool->own--;
	pool->took++;
	return n;
}

int hwt_unwind_ahead_wanted(struct hwt_unwinder *u)
{
	struct uw_pool *pool = u ? u->pool : NULL;

	if (!u || hwt_unwind_ahead_threads(u) <= 0)
		return 0;
	if (!pool || !pool->skip)
		return 1;
	pool->skip--;
	return 0;
}

/* The Intel PT decoder's worker threads: a FIFO of jobs they take and decode, and the main
 * thread's way to take a job back, or to wait for one, when it needs that job's operations. */
#include "pt_decode.h"

#include <stdlib.h>

static void run_job(struct ptdec *pd, struct pt_worker *w, struct pt_job *j)
{
	struct pt_session *s = hwt_pt_session_open(pd, w, j);
	int r = s ? hwt_pt_session_run(s, SIZE_MAX) : HWT_E_NOMEM;
	if (r < 0)
		j->err = r;
	hwt_pt_session_close(s);
}

struct worker_arg {
	struct ptdec *pd;
	int idx;
};

static void *worker_main(void *arg)
{
	struct worker_arg wa = *(struct worker_arg *)arg;
	struct ptdec *pd = wa.pd;

	free(arg);
	pthread_mutex_lock(&pd->mu);
	for (;;) {
		while (!pd->stop && !pd->qlen)
			pthread_cond_wait(&pd->cv_work, &pd->mu);
		if (pd->stop)
			break;
		struct pt_job *j = pd->queue[pd->qhead];
		pd->qhead = (pd->qhead + 1) % pd->qcap;
		pd->qlen--;
		j->state = PT_JOB_RUNNING;
		pthread_mutex_unlock(&pd->mu);
		run_job(pd, &pd->workers[wa.idx], j);
		pthread_mutex_lock(&pd->mu);
		j->state = PT_JOB_DONE;
		pd->inflight--;
		pthread_cond_broadcast(&pd->cv_done);
	}
	pthread_mutex_unlock(&pd->mu);
	return NULL;
}

int hwt_pt_workers_start(struct ptdec *pd)
{
	int n = pd->nthreads - 1; /* the main thread decodes too */

	if (pd->nstarted || n <= 0)
		return 0;
	pd->threads = calloc((size_t)n, sizeof(*pd->threads));
	pd->workers = calloc((size_t)n, sizeof(*pd->workers));
	if (!pd->threads || !pd->workers)
		return HWT_E_NOMEM;
	for (int i = 0; i < n; i++) {
		struct worker_arg *wa = malloc(sizeof(*wa));
		if (!wa || hwt_pt_worker_init(&pd->workers[i]) < 0) {
			free(wa);
			break;
		}
		*wa = (struct worker_arg){ pd, i };
		if (pthread_create(&pd->threads[i], NULL, worker_main, wa)) {
			free(wa);
			hwt_pt_worker_fini(&pd->workers[i]);
			break;
		}
		pd->nstarted++;
	}
	if (!pd->nstarted)
		pd->nthreads = 1; /* no threads to be had: decode on this one */
	return 0;
}

int hwt_pt_workers_enqueue(struct ptdec *pd, struct pt_job *j)
{
	pthread_mutex_lock(&pd->mu);
	if (pd->qlen == pd->qcap) {
		size_t cap = pd->qcap ? pd->qcap * 2 : 64;
		struct pt_job **nq = malloc(cap * sizeof(*nq));
		if (!nq) {
			pthread_mutex_unlock(&pd->mu);
			return HWT_E_NOMEM;
		}
		for (size_t i = 0; i < pd->qlen; i++)
			nq[i] = pd->queue[(pd->qhead + i) % pd->qcap];
		free(pd->queue);
		pd->queue = nq;
		pd->qhead = 0;
		pd->qcap = cap;
	}
	pd->queue[(pd->qhead + pd->qlen++) % pd->qcap] = j;
	pd->inflight++;
	pthread_cond_signal(&pd->cv_work);
	pthread_mutex_unlock(&pd->mu);
	return 0;
}

/* Takes @j out of the queue (under the lock): the main thread runs it. */
static void unqueue(struct ptdec *pd, struct pt_job *j)
{
	size_t k = 0;

	for (size_t i = 0; i < pd->qlen; i++) {
		struct pt_job *q = pd->queue[(pd->qhead + i) % pd->qcap];
		if (q != j)
			pd->queue[(pd->qhead + k++) % pd->qcap] = q;
	}
	pd->qlen = k;
	pd->inflight--;
	j->state = PT_JOB_RUNNING;
	j->worker = 0;
}

void hwt_pt_workers_claim(struct ptdec *pd, struct pt_job *j)
{
	pthread_mutex_lock(&pd->mu);
	if (j->state == PT_JOB_NEW)
		unqueue(pd, j);
	while (j->worker && j->state != PT_JOB_DONE) {
		if (pd->qlen) {
			struct pt_job *next = pd->queue[pd->qhead];
			unqueue(pd, next);
			pthread_mutex_unlock(&pd->mu);
			run_job(pd, &pd->mw, next);
			next->state = PT_JOB_DONE;
			pthread_mutex_lock(&pd->mu);
			continue;
		}
		pthread_cond_wait(&pd->cv_done, &pd->mu);
	}
	pthread_mutex_unlock(&pd->mu);
}

void hwt_pt_workers_wait_idle(struct ptdec *pd)
{
	pthread_mutex_lock(&pd->mu);
	while (pd->inflight)
		pthread_cond_wait(&pd->cv_done, &pd->mu);
	pthread_mutex_unlock(&pd->mu);
}

void hwt_pt_workers_stop(struct ptdec *pd)
{
	if (!pd->nstarted)
		return;
	pthread_mutex_lock(&pd->mu);
	pd->stop = 1;
	pthread_cond_broadcast(&pd->cv_work);
	pthread_mutex_unlock(&pd->mu);
	for (int i = 0; i < pd->nstarted; i++)
		pthread_join(pd->threads[i], NULL);
}

/* The "intel_pt" stream decoder: gathers each CPU's (or thread's) trace into a lane, cuts lanes
 * at PSBs into jobs decoded on the main thread or on worker threads, and applies what the jobs
 * found to the shadow stacks in time order, a bounded number of operations per turn.
 *
 * Every lane stays in memory until the recording is closed. Jobs begin at a PSB and stop where
 * the next job's PSB takes over, so lanes split at PSBs decode in parallel and give what one
 * decoder would (a compressed return never refers to a call before the last PSB). The growing
 * end of a lane is decoded up to where its trace runs out, and decoded again from its PSB once
 * more bytes came, the operations already applied skipped. */
#include "pt_decode.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PT_MARKER	  0x6b4d5450u /* "PTMk": a turn to decode and apply */
#define PT_TURN_OPS	  65536	      /* operations applied per turn */
#define PT_STEP_OPS	  16384	      /* operations a main-thread job makes per step */
#define PT_JOB_BYTES_MT	  (256u << 10)
#define PT_JOB_BYTES_1T	  (64u << 20)
#define PT_PSB_TAIL	  512	      /* bytes a PSB+ needs after its PSB */
#define PT_PARALLEL_BYTES (16u << 20) /* a lane this long decodes on several threads */
#define PT_MAX_THREADS	  8

static const uint8_t psb_pattern[16] = { 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82,
					 0x02, 0x82, 0x02, 0x82, 0x02, 0x82, 0x02, 0x82 };

/* ---- lanes ------------------------------------------------------------------------------ */

static struct pt_lane *lane_find(struct ptdec *pd, int per_cpu, uint32_t key, int create)
{
	for (size_t i = 0; i < pd->nlanes; i++) {
		struct pt_lane *l = pd->lanes[i];
		if (l->per_cpu == per_cpu && (per_cpu ? l->cpu : l->tid) == key)
			return l;
	}
	if (!create)
		return NULL;
	struct pt_lane **nl = realloc(pd->lanes, (pd->nlanes + 1) * sizeof(*nl));
	struct pt_lane *l = calloc(1, sizeof(*l));
	if (nl)
		pd->lanes = nl;
	if (!nl || !l) {
		free(l);
		return NULL;
	}
	l->per_cpu = per_cpu;
	if (per_cpu)
		l->cpu = key;
	else
		l->tid = key;
	l->resume_off = UINT64_MAX;
	pd->lanes[pd->nlanes++] = l;
	return l;
}

/* Grows an array a decoder may be reading: the old copy stays until the lane goes. */
static void *grow(struct pt_lane *l, void *old, size_t used, size_t bytes)
{
	void **nr = realloc(l->retired, (l->nretired + 1) * sizeof(*nr));
	void *nb = malloc(bytes);

	if (nr)
		l->retired = nr;
	if (!nr || !nb) {
		free(nb);
		return NULL;
	}
	if (old) {
		memcpy(nb, old, used);
		l->retired[l->nretired++] = old;
	}
	return nb;
}

static int add_bound(struct pt_lane *l, uint64_t off, int brk)
{
	if (l->nbounds && l->bounds[l->nbounds - 1].off >= off) {
		if (brk)
			l->bounds[l->nbounds - 1].brk = 1;
		return 0;
	}
	if (HWT_ARRAY_GROW(l->bounds, &l->cap_bounds, l->nbounds + 1))
		return HWT_E_NOMEM;
	l->bounds[l->nbounds++] = (struct pt_bound){ .off = off, .brk = brk };
	return 0;
}

static int lane_append(struct ptdec *pd, struct pt_lane *l, const uint8_t *p, size_t n, int brk)
{
	int err;

	if (brk && l->len && (err = add_bound(l, l->len, 1)))
		return err;
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 1 << 20;
		if (pd->prm.total_bytes > cap && pd->nlanes == 1)
			cap = pd->prm.total_bytes;
		while (cap < l->len + n)
			cap *= 2;
		uint8_t *nb = grow(l, l->buf, l->len, cap);
		if (!nb)
			return HWT_E_NOMEM;
		l->buf = nb;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, p, n);
	size_t from = brk ? l->len : l->scanned > 15 ? l->scanned - 15 : 0;
	l->len += n;
	for (size_t off = from; off + sizeof(psb_pattern) <= l->len;) {
		const uint8_t *hit =
			memmem(l->buf + off, l->len - off, psb_pattern, sizeof(psb_pattern));
		if (!hit)
			break;
		off = (size_t)(hit - l->buf);
		if ((err = add_bound(l, off, 0)))
			return err;
		off += sizeof(psb_pattern);
	}
	l->scanned = l->len;
	if (pd->prm.total_bytes && pd->nlanes == 1 && l->len >= pd->prm.total_bytes)
		l->complete = 1;
	return 0;
}

/* ---- jobs ------------------------------------------------------------------------------- */

static void job_free(struct ptdec *pd, struct pt_job *j)
{
	hwt_pt_session_close(j->s);
	if (j->ops.v && pd->nspare < PT_SPARE_OPS)
		pd->spare[pd->nspare++] = (struct pt_ops){ .v = j->ops.v, .cap = j->ops.cap };
	else
		free(j->ops.v);
	free(j);
}

/* Master images for every process @l may run, rebuilt with no worker running. */
static int prepare_images(struct ptdec *pd, struct pt_lane *l)
{
	uint32_t pid = l->per_cpu ? pd->target_pid : l->pid;
	int stale = hwt_pt_master_stale(pd, pid);

	for (size_t i = 0; i < l->npids && !stale; i++)
		stale = hwt_pt_master_stale(pd, l->pids[i]);
	if (!stale)
		return 0;
	hwt_pt_workers_wait_idle(pd);
	if (!hwt_pt_master_image(pd, pid))
		return HWT_E_NOMEM;
	for (size_t i = 0; i < l->npids; i++)
		if (!hwt_pt_master_image(pd, l->pids[i]))
			return HWT_E_NOMEM;
	return 0;
}

static int add_job(struct ptdec *pd, struct pt_lane *l, uint64_t end, uint64_t cut, int brk_end,
		   int spec)
{
	struct pt_job *j = calloc(1, sizeof(*j));
	int err = 0;

	if (!j)
		return HWT_E_NOMEM;
	*j = (struct pt_job){ .lane = l,
			      .start = l->next_start,
			      .end = end,
			      .cut = cut,
			      .brk_end = brk_end,
			      .spec = spec,
			      .start_psb = l->next_start && !l->next_brk,
			      .pid = l->pid,
			      .sw = l->sw,
			      .nsw = l->nsw };
	if (pd->nspare)
		j->ops = pd->spare[--pd->nspare];
	if (l->resume_off == j->start) {
		j->skip = l->resume_skip;
		if (!spec)
			l->resume_off = UINT64_MAX;
	}
	if (l->tail)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->njobs++;
	uint64_t size = (cut != UINT64_MAX ? cut : end) - j->start;
	if (!spec && pd->nthreads > 1 && size <= 4 * pd->job_bytes) {
		j->worker = 1;
		err = hwt_pt_workers_start(pd);
		if (!err && pd->nthreads > 1)
			err = hwt_pt_workers_enqueue(pd, j);
		else
			j->worker = 0;
	}
	return err;
}

static void pick_threads(struct ptdec *pd, size_t bytes)
{
	if (pd->threads_fixed || pd->nthreads > 1 || bytes < PT_PARALLEL_BYTES)
		return;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	pd->nthreads = n < 1 ? 1 : n > PT_MAX_THREADS ? PT_MAX_THREADS : (int)n;
}

/* Makes the next jobs of @l: up to its last PSB whose PSB+ is all there, then its tail. */
static int schedule(struct ptdec *pd, struct pt_lane *l, int final)
{
	int err = 0;

	pick_threads(pd, l->len);
	uint32_t ahead = pd->nthreads > 1 ? 2 * (uint32_t)pd->nthreads + 1 : 1;
	uint64_t jb = pd->nthreads > 1 ? pd->job_bytes : PT_JOB_BYTES_1T;
	if (l->tail && l->tail->spec)
		return 0; /* the tail being decoded decides where the next job starts */
	if (l->next_start < l->len && (err = prepare_images(pd, l)))
		return err;
	while (l->njobs < ahead && l->next_start < l->len && !err) {
		uint64_t s0 = l->next_start;
		size_t i = l->next_bound, pick = SIZE_MAX;
		while (i < l->nbounds && l->bounds[i].off <= s0)
			i++;
		for (; i < l->nbounds; i++) {
			const struct pt_bound *b = &l->bounds[i];
			if (!b->brk && !l->complete && !final && i + 1 == l->nbounds &&
			    l->len < b->off + PT_PSB_TAIL)
				break;
			/* A job replaying the tail decoded so far must get past all of it. */
			if (s0 == l->resume_off && b->off < l->resume_end && !b->brk)
				continue;
			pick = i;
			if (b->brk || b->off - s0 >= jb)
				break;
		}
		if (pick != SIZE_MAX) {
			const struct pt_bound *b = &l->bounds[pick];
			uint64_t end = l->len;
			for (size_t k = pick + 1; k < l->nbounds; k++)
				if (l->bounds[k].brk) {
					end = l->bounds[k].off;
					break;
				}
			err = b->brk ? add_job(pd, l, b->off, UINT64_MAX, 1, 0)
				     : add_job(pd, l, end, b->off, 0, 0);
			l->next_start = b->off;
			l->next_brk = b->brk;
			l->next_bound = pick + 1;
			continue;
		}
		if (final || l->complete) {
			err = add_job(pd, l, l->len, UINT64_MAX, 0, 0);
			l->next_start = l->len;
		} else if (!l->njobs && l->len > l->spec_len) {
			err = add_job(pd, l, l->len, UINT64_MAX, 0, 1);
			l->spec_len = l->len;
		}
		break;
	}
	return err;
}

/* Fills @l's window with its next operations. Returns 1 if there are some, 0 if none can be
 * had now, or a negative error. */
static int refill(struct ptdec *pd, struct pt_lane *l, int final)
{
	while (l->iwin >= l->nwin) {
		struct pt_job *j = l->head;
		int err;
		if (j && j->windowed) {
			if (j->spec) {
				l->resume_off = j->start;
				l->resume_end = j->end;
				l->resume_skip = j->nreal;
			}
			l->head = j->next;
			if (!l->head)
				l->tail = NULL;
			l->njobs--;
			job_free(pd, j);
			l->win = NULL;
			l->nwin = l->iwin = 0;
			continue;
		}
		if (!j) {
			if ((err = schedule(pd, l, final)))
				return err;
			if (!(j = l->head))
				return 0;
		}
		if (j->worker)
			hwt_pt_workers_claim(pd, j);
		if (j->state != PT_JOB_DONE) {
			if (!j->s && !(j->s = hwt_pt_session_open(pd, &pd->mw, j)))
				return HWT_E_NOMEM;
			j->ops.n = 0;
			int r = hwt_pt_session_run(j->s, PT_STEP_OPS);
			if (r < 0)
				return r;
			if (r) {
				hwt_pt_session_close(j->s);
				j->s = NULL;
				j->state = PT_JOB_DONE;
			}
		}
		if (j->err)
			return j->err;
		if (j->state == PT_JOB_DONE)
			j->windowed = 1;
		l->win = j->ops.v;
		l->nwin = j->ops.n;
		l->iwin = 0;
		if (l->nwin && l->win[l->nwin - 1].ts > l->frontier)
			l->frontier = l->win[l->nwin - 1].ts;
		/* Keep the workers busy while this lane is applied. */
		if ((err = schedule(pd, l, final)))
			return err;
	}
	return 1;
}

/* Decodes and applies, oldest operation first across lanes, at most @budget operations. Sets
 * *@more when the budget ran out first. Unless @force, operations of per-CPU lanes wait while
 * an active CPU's trace has not been decoded as far: a thread moving between CPUs keeps its
 * order. */
static int pump(struct ptdec *pd, int final, int force, size_t budget, int *more)
{
	size_t applied = 0;
	int err = 0;

	*more = 0;
	hwt_pt_stacks_round(pd->st);
	for (size_t i = 0; i < pd->nlanes && !err; i++)
		err = schedule(pd, pd->lanes[i], final);
	while (!err) {
		struct pt_lane *best = NULL;
		uint64_t safe = UINT64_MAX, second = UINT64_MAX;
		for (size_t i = 0; i < pd->nlanes; i++) {
			struct pt_lane *l = pd->lanes[i];
			int r = refill(pd, l, final);
			if (r < 0)
				return r;
			if (!r) {
				if (!final && !force && l->per_cpu && !l->complete && l->frontier &&
				    l->last_item >= pd->last_item && l->frontier < safe)
					safe = l->frontier;
				continue;
			}
			uint64_t ts = l->win[l->iwin].ts;
			if (!best || ts < best->win[best->iwin].ts) {
				if (best)
					second = best->win[best->iwin].ts;
				best = l;
			} else if (ts < second) {
				second = ts;
			}
		}
		if (!best || best->win[best->iwin].ts > safe)
			break;
		uint64_t limit = second < safe ? second : safe;
		size_t n = best->nwin - best->iwin;
		if (n > budget - applied)
			n = budget - applied;
		n = hwt_pt_stacks_apply(pd->st, best, best->win + best->iwin, n, limit, &err);
		best->iwin += n;
		applied += n;
		if (applied >= budget) {
			*more = 1;
			break;
		}
	}
	return err;
}

/* ---- the stream decoder ----------------------------------------------------------------- */

static int queue_marker(struct ptdec *pd, uint64_t ts)
{
	uint32_t m = PT_MARKER;
	int err = hwt_dec_queue(pd->d, ts, -1, HWT_ITEM_SOURCE, pd->source, &m, sizeof(m));
	if (!err)
		pd->markers++;
	return err;
}

static int pt_chunk(void *st, const void *data, size_t len)
{
	struct ptdec *pd = st;
	struct hwt_pt_sideband sb;

	/* A chunk this reader cannot take leaves the defaults: TSC taken as ns, no errata. */
	hwt_pt_params_set(&pd->prm, hwt_pt_sideband_read(data, len, &sb) ? NULL : &sb);
	/* Indirect jumps end blocks anyway; direct ones matter for tail calls only. */
	pd->prm.cfg.flags.variant.block.end_on_jump = pd->tailcalls;
	return 0;
}

static int pt_split(void *st, uint64_t item_ts, const uint8_t *p, size_t len)
{
	struct ptdec *pd = st;
	int err = 0;

	while (len >= sizeof(struct hwt_pt_item) && !err) {
		struct hwt_pt_item it;
		memcpy(&it, p, sizeof(it));
		p += sizeof(it);
		len -= sizeof(it);
		size_t n = it.len < len ? it.len : len;
		struct pt_lane *l = lane_find(pd, !it.tid, it.tid ? it.tid : it.cpu, 1);
		if (!l)
			return HWT_E_NOMEM;
		if (it.tid)
			l->pid = it.pid ? it.pid : it.tid;
		int brk = (it.flags & (HWT_PT_TRUNCATED | HWT_PT_SNAPSHOT)) ||
			  (l->len && it.offset != l->aux_next);
		err = lane_append(pd, l, p, n, brk);
		l->aux_next = it.offset + n;
		l->last_item = item_ts;
		if (item_ts > pd->last_item)
			pd->last_item = item_ts;
		p += n;
		len -= n;
	}
	return err ? err : queue_marker(pd, item_ts);
}

static int pt_record(void *st, uint64_t ts, const uint8_t *rec, size_t len)
{
	struct ptdec *pd = st;
	uint32_t m;
	int more;

	if (len != sizeof(m))
		return 0;
	memcpy(&m, rec, sizeof(m));
	if (m != PT_MARKER)
		return 0;
	pd->markers--;
	int err = pump(pd, 0, 0, PT_TURN_OPS, &more);
	/* More is ready: another turn once the driver handed out what this one made. */
	if (!err && more && !pd->markers)
		err = queue_marker(pd, ts);
	return err;
}

static int pt_thread_end(void *st, uint32_t pid, uint32_t tid, uint64_t ts)
{
	struct ptdec *pd = st;
	int more;
	int err = pump(pd, 0, 1, SIZE_MAX, &more);
	return err ? err : hwt_pt_stacks_end_thread(pd->st, pid, tid, ts);
}

static int pt_finish(void *st, uint64_t ts)
{
	struct ptdec *pd = st;
	int more;

	for (size_t i = 0; i < pd->nlanes; i++)
		pd->lanes[i]->complete = 1;
	int err = pump(pd, 1, 1, SIZE_MAX, &more);
	return err ? err : hwt_pt_stacks_finish(pd->st, ts);
}

/* The thread of a PERF_RECORD_SWITCH: its sample_id trailer, read from the end. */
static int switch_thread(struct ptdec *pd, const struct perf_event_header *h, uint32_t *pid,
			 uint32_t *tid)
{
	const uint8_t *rec = (const uint8_t *)h;
	uint64_t id;

	if (h->size < sizeof(*h) + 8)
		return 0;
	memcpy(&id, rec + h->size - 8, 8);
	const struct hwt_event_desc *e = hwt_perf_desc(pd->d, id);
	if (!e || !(e->sample_type & PERF_SAMPLE_TID))
		return 0;
	size_t off = h->size - 8;
	uint64_t skip = PERF_SAMPLE_CPU | PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_ID | PERF_SAMPLE_TIME;
	for (uint64_t bit = 1; bit; bit <<= 1)
		if ((skip & bit) && (e->sample_type & bit))
			off -= 8;
	if (off < sizeof(*h) + 8)
		return 0;
	uint32_t pt[2];
	memcpy(pt, rec + off - 8, 8);
	*pid = pt[0];
	*tid = pt[1];
	return 1;
}

static int pt_perf_record(void *st, const struct perf_event_header *h, int32_t cpu, uint64_t ts)
{
	struct ptdec *pd = st;
	const uint32_t *body = (const void *)(h + 1);
	size_t blen = h->size - sizeof(*h);
	uint32_t pid = 0, tid = 0;

	switch (h->type) {
	case PERF_RECORD_ITRACE_START:
		if (blen < 8)
			return 0;
		pid = body[0];
		tid = body[1];
		break;
	case PERF_RECORD_SWITCH_CPU_WIDE:
		/* A switch out names the next task; its switch in names the previous one. */
		if (blen < 8 || !(h->misc & PERF_RECORD_MISC_SWITCH_OUT))
			return 0;
		pid = body[0];
		tid = body[1];
		break;
	case PERF_RECORD_SWITCH:
		if (!(h->misc & PERF_RECORD_MISC_SWITCH_OUT) && !switch_thread(pd, h, &pid, &tid))
			return 0;
		break;
	default:
		return 0;
	}
	if (cpu < 0)
		return 0;
	struct pt_lane *l = lane_find(pd, 1, (uint32_t)cpu, 1);
	if (!l)
		return HWT_E_NOMEM;
	if (l->nsw == l->cap_sw) {
		size_t cap = l->cap_sw ? l->cap_sw * 2 : 64;
		struct pt_switch *ns = grow(l, l->sw, l->nsw * sizeof(*ns), cap * sizeof(*ns));
		if (!ns)
			return HWT_E_NOMEM;
		l->sw = ns;
		l->cap_sw = cap;
	}
	size_t i = l->nsw++;
	while (i && l->sw[i - 1].ts > ts) { /* side-band is in time order but for equal rounds */
		l->sw[i] = l->sw[i - 1];
		i--;
	}
	l->sw[i] = (struct pt_switch){ .ts = ts, .pid = pid, .tid = tid };
	for (i = 0; i < l->npids && l->pids[i] != pid; i++)
		;
	if (pid && i == l->npids) {
		uint32_t *np = realloc(l->pids, (l->npids + 1) * sizeof(*np));
		if (!np)
			return HWT_E_NOMEM;
		l->pids = np;
		l->pids[l->npids++] = pid;
	}
	return 0;
}

static void pt_destroy(void *st)
{
	struct ptdec *pd = st;

	if (!pd)
		return;
	hwt_pt_workers_stop(pd);
	for (size_t i = 0; i < pd->nlanes; i++) {
		struct pt_lane *l = pd->lanes[i];
		while (l->head) {
			struct pt_job *j = l->head;
			l->head = j->next;
			job_free(pd, j);
		}
		for (size_t k = 0; k < l->nretired; k++)
			free(l->retired[k]);
		free(l->retired);
		free(l->buf);
		free(l->bounds);
		free(l->sw);
		free(l->pids);
		free(l);
	}
	free(pd->lanes);
	while (pd->nspare)
		free(pd->spare[--pd->nspare].v);
	for (int i = 0; i < pd->nstarted; i++)
		hwt_pt_worker_fini(&pd->workers[i]);
	free(pd->workers);
	free(pd->threads);
	free(pd->queue);
	hwt_pt_worker_fini(&pd->mw);
	for (size_t i = 0; i < pd->npimg; i++)
		hwt_pt_pimage_fini(&pd->pimg[i]);
	free(pd->pimg);
	hwt_pt_stacks_free(pd->st);
	pthread_mutex_destroy(&pd->mu);
	pthread_cond_destroy(&pd->cv_work);
	pthread_cond_destroy(&pd->cv_done);
	free(pd);
}

static void *pt_create(struct hwt_decoder *d, uint32_t id)
{
	struct ptdec *pd = calloc(1, sizeof(*pd));

	if (!pd)
		return NULL;
	pd->d = d;
	pd->source = id;
	pd->target_pid = d->target_pid;
	pd->nthreads = 1;
	pthread_mutex_init(&pd->mu, NULL);
	pthread_cond_init(&pd->cv_work, NULL);
	pthread_cond_init(&pd->cv_done, NULL);
	const char *env = getenv("HWT_PT_TAILCALLS");
	pd->tailcalls = env && *env && strcmp(env, "0");
	pt_chunk(pd, NULL, 0);
	env = getenv("HWT_PT_THREADS");
	if (env && *env) {
		long n = strtol(env, NULL, 10);
		pd->nthreads = n < 1 ? 1 : n > 64 ? 64 : (int)n;
		pd->threads_fixed = 1;
	}
	/* Smaller jobs on several threads: more cuts, for tests of the stitching. */
	env = getenv("HWT_PT_JOB_KIB");
	pd->job_bytes = env && *env ? (uint64_t)strtoul(env, NULL, 10) << 10 : PT_JOB_BYTES_MT;
	if (pd->job_bytes < 4096)
		pd->job_bytes = 4096;
	pd->st = hwt_pt_stacks_alloc(d);
	if (!pd->st || hwt_pt_worker_init(&pd->mw) < 0) {
		pt_destroy(pd);
		return NULL;
	}
	return pd;
}

const struct hwt_source_ops hwt_intel_pt_source = {
	.name = "intel_pt",
	.create = pt_create,
	.destroy = pt_destroy,
	.chunk = pt_chunk,
	.split = pt_split,
	.record = pt_record,
	.thread_end = pt_thread_end,
	.finish = pt_finish,
	.perf_record = pt_perf_record,
};

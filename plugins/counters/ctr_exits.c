/* The counters plugin's inherited counters: totals over the whole process tree, and each thread's
 * final counts from the PERF_RECORD_READ its counters write when it exits. */
#include "ctr_exits.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "core/util.h"

/* The trailer of every record (sample_id_all with TID, TIME and IDENTIFIER). */
struct exit_trailer {
	uint32_t pid, tid;
	uint64_t time;
	uint64_t id;
};

/* PERF_RECORD_READ with read_format TOTAL_TIME_ENABLED | TOTAL_TIME_RUNNING | ID. */
struct exit_read {
	struct perf_event_header header;
	uint32_t pid, tid;
	uint64_t value, enabled, running, id;
	struct exit_trailer trailer;
};

struct hwt_ctr_exits {
	size_t nevents;
	int *fds;		       /* event i's on CPU k at [i * maxcpus + k]: the host's */
	int maxcpus;		       /* CPUs asked for */
	int ncpus[HWT_CTR_MAX_EVENTS]; /* CPUs counted on, per event */
	struct hwt_idmap ids;	       /* event id -> event index + 1; read-only once open */
	pthread_mutex_t lock;	       /* the sideband hook and the poll thread share: */
	struct hwt_ctr_exit *exits;    /* exits whose records are coming in */
	size_t nexits, cap_exits;
	int nomem; /* an exit was dropped for want of memory */
};

int hwt_ctr_exits_open(struct hwt_host *h, int pid, int ncpus, const struct perf_event_attr *attrs,
		       const char *const *names, size_t n, size_t *bad, struct hwt_ctr_exits **out)
{
	struct hwt_ctr_exits *x = calloc(1, sizeof(*x));
	int created;

	if (!x)
		return HWT_E_NOMEM;
	if (n > HWT_CTR_MAX_EVENTS || ncpus <= 0) {
		free(x);
		return HWT_E_INVAL;
	}
	pthread_mutex_init(&x->lock, NULL);
	x->nevents = n;
	x->maxcpus = ncpus;
	x->fds = calloc(n * (size_t)ncpus, sizeof(*x->fds));
	if (!x->fds) {
		hwt_ctr_exits_free(x);
		return HWT_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		for (int cpu = 0; cpu < ncpus; cpu++) {
			struct perf_event_attr a = attrs[i];
			a.size = sizeof(a);
			a.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
			a.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
					PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_ID;
			a.inherit = 1;
			a.inherit_stat = 1; /* a PERF_RECORD_READ at each inherited thread's exit */
			a.disabled = 1;
			a.enable_on_exec = 1;
			int fd = hwt_host_open_event(h, &a, pid, cpu, -1, names[i], HWT_EVENT_RING);
			if (fd == HWT_E_INVAL && errno == ENODEV)
				continue; /* CPU offline */
			uint64_t id = 0;
			if (fd < 0 || ioctl(fd, PERF_EVENT_IOC_ID, &id)) {
				*bad = i;
				hwt_ctr_exits_free(x);
				return fd < 0 ? fd : HWT_E_IO;
			}
			uint32_t *v = hwt_idmap_put(&x->ids, id, &created);
			if (!v) {
				hwt_ctr_exits_free(x);
				return HWT_E_NOMEM;
			}
			*v = (uint32_t)i + 1;
			x->fds[i * (size_t)ncpus + (size_t)x->ncpus[i]++] = fd;
		}
	}
	*out = x;
	return 0;
}

void hwt_ctr_exits_record(struct hwt_ctr_exits *x, const struct perf_event_header *rec)
{
	struct exit_read r;

	if (!x || rec->type != PERF_RECORD_READ || rec->size != sizeof(r))
		return;
	memcpy(&r, rec, sizeof(r));
	uint32_t *idx = hwt_idmap_find(&x->ids, r.id);
	if (!idx || !*idx)
		return; /* another plugin's, or the tracer's */
	size_t i = *idx - 1;
	/* Not scaled by enabled / running: a per-CPU counter of a thread runs only while the thread
	 * is on that CPU, which is not multiplexing. */
	double v = (double)r.value;
	pthread_mutex_lock(&x->lock);
	struct hwt_ctr_exit *e = NULL;
	for (size_t k = 0; k < x->nexits && !e; k++)
		if (x->exits[k].tid == (int)r.tid)
			e = &x->exits[k];
	if (!e) {
		if (HWT_ARRAY_GROW(x->exits, &x->cap_exits, x->nexits + 1)) {
			x->nomem = 1;
			pthread_mutex_unlock(&x->lock);
			return;
		}
		e = &x->exits[x->nexits++];
		memset(e, 0, sizeof(*e));
		e->pid = (int)r.pid;
		e->tid = (int)r.tid;
	}
	e->v[i] += v;
	e->seen[i]++;
	if (r.trailer.time > e->ts)
		e->ts = r.trailer.time;
	pthread_mutex_unlock(&x->lock);
}

static int complete(const struct hwt_ctr_exits *x, const struct hwt_ctr_exit *e)
{
	for (size_t i = 0; i < x->nevents; i++)
		if (e->seen[i] < (uint32_t)x->ncpus[i])
			return 0;
	return 1;
}

long hwt_ctr_exits_take(struct hwt_ctr_exits *x, int all, struct hwt_ctr_exit **out)
{
	size_t n = 0, j = 0;

	*out = NULL;
	pthread_mutex_lock(&x->lock);
	for (size_t k = 0; k < x->nexits; k++)
		n += all || complete(x, &x->exits[k]);
	if (n && !(*out = malloc(n * sizeof(**out)))) {
		pthread_mutex_unlock(&x->lock);
		return HWT_E_NOMEM;
	}
	n = 0;
	for (size_t k = 0; k < x->nexits; k++) {
		if (all || complete(x, &x->exits[k]))
			(*out)[n++] = x->exits[k];
		else
			x->exits[j++] = x->exits[k];
	}
	x->nexits = j;
	pthread_mutex_unlock(&x->lock);
	return (long)n;
}

int hwt_ctr_exits_totals(struct hwt_ctr_exits *x, double *v)
{
	for (size_t i = 0; i < x->nevents; i++) {
		v[i] = 0;
		for (int c = 0; c < x->ncpus[i]; c++) {
			uint64_t b[4];
			if (read(x->fds[i * (size_t)x->maxcpus + (size_t)c], b, sizeof(b)) !=
			    (ssize_t)sizeof(b))
				return HWT_E_IO;
			v[i] += (double)b[0]; /* not scaled: see hwt_ctr_exits_record() */
		}
	}
	return 0;
}

void hwt_ctr_exits_free(struct hwt_ctr_exits *x)
{
	if (!x)
		return;
	pthread_mutex_destroy(&x->lock);
	hwt_idmap_fini(&x->ids);
	free(x->fds);
	free(x->exits);
	free(x);
}

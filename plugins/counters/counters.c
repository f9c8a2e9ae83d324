/* The `counters` counter plugin: perf events (page-faults, context-switches, cycles where a PMU
 * exists: any name -e takes) counted, not sampled, on every thread of the target and of its
 * descendants, read every interval into one thread-scoped cumulative counter track per event and
 * thread, and a process-wide total per event counted with inherit.
 *
 * Threads are found by listing /proc/PID/task every interval, and each gets a counter group of its
 * own when it is first seen: its track counts from then on (what it did before is missing from
 * the values read while it runs). The inherited counters (ctr_exits.c) count every thread from
 * its start: they give the "(total)" tracks, and the kernel's record of each thread's exit gives
 * its track its exact final count, at its exit; a thread that starts and ends between two scans,
 * never seen running, gets a track with that one value. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "core/events.h"
#include "ctr_exits.h"
#include "proctree.h"

#define CTR_MAX_EVENTS HWT_CTR_MAX_EVENTS
#define TOTALS_NS      100000000 /* the totals are read this often at most */

enum { OPT_EVENTS, OPT_INTERVAL, OPT_CHILDREN, OPT_TOTAL, CTR_NOPTIONS };

static const struct hwt_option ctr_options[CTR_NOPTIONS] = {
	[OPT_EVENTS] = { .name = "events",
			 .type = HWT_OPT_LIST,
			 .max = CTR_MAX_EVENTS,
			 .arg = "EVENT",
			 .help = "an event to count per thread: page-faults, context-switches, "
				 "cpu-migrations, task-clock, cycles (with a PMU), or any libpfm4 "
				 "name such as perf::MINOR-FAULTS" },
	[OPT_INTERVAL] = { .name = "interval",
			   .type = HWT_OPT_DURATION,
			   .min = 100000,
			   .max = 60000000000,
			   .def = "10ms",
			   .help = "read the counters, and look for new threads, this often" },
	[OPT_CHILDREN] = { .name = "children",
			   .type = HWT_OPT_BOOL,
			   .def = "1",
			   .help = "count the threads of the processes the target forks too" },
	[OPT_TOTAL] = { .name = "total",
			.type = HWT_OPT_BOOL,
			.def = "1",
			.help = "also count each event over the target and all its descendants "
				"(with inherit) on a process track 'EVENT (total)', and give the "
				"threads too short-lived to be seen their final counts at their "
				"exit" },
};

/* The tracks of a thread, kept after it is gone for the records of its exit. */
struct ctr_tracks {
	int tracks[CTR_MAX_EVENTS];
	double last[CTR_MAX_EVENTS]; /* the value last written; -1: none yet */
	uint64_t last_ts;	     /* when */
};

/* A thread counted while it runs: a group of counters, the first the leader read for all. */
struct ctr_thread {
	int pid, tid;
	int fds[CTR_MAX_EVENTS];
	uint32_t tracks; /* its index in ctr_state.tracks */
};

struct ctr_state {
	struct hwt_host *h;
	int root;
	size_t nevents;
	const char *const *names; /* borrowed from the options until stop() */
	struct perf_event_attr attrs[CTR_MAX_EVENTS];
	int kernel;   /* count in the kernel too (root, or perf_event_paranoid < 1) */
	int started;  /* start() is over: the target runs the program */
	int attached; /* the target ran before recording (-p): no exec to count from */
	struct hwt_ctr_exits *exits; /* the inherited counters; NULL without total */
	int total_tracks[CTR_MAX_EVENTS];
	double total_last[CTR_MAX_EVENTS];
	int children;		   /* follow child processes */
	struct ctr_tracks *tracks; /* of every thread with tracks, in order */
	size_t ntracks, cap_tracks;
	struct hwt_idmap tracks_of;	/* tid -> index in tracks + 1 */
	uint64_t from_exits;		/* threads counted from their exit records alone */
	uint64_t interval, totals_next; /* ns; when the totals are read next */
	struct hwt_proctree tree;
	struct ctr_thread *threads;
	size_t nthreads, cap_threads;
	int noted; /* a thread could not be counted: noted once */
};

static int kernel_allowed(void)
{
	char buf[16] = "2";
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");

	if (f) {
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '2';
		fclose(f);
	}
	return geteuid() == 0 || atoi(buf) < 1;
}

/* The message and code for perf_event_open()'s errno @e on event @i. */
static int open_error(struct ctr_state *s, size_t i, int e)
{
	const char *name = s->names[i];

	if ((e == ENOENT || e == EOPNOTSUPP || e == ENODEV) &&
	    hwt_event_is_hardware(&s->attrs[i])) {
		hwt_host_set_error(s->h,
				   "counters: events=%s needs a hardware PMU and this machine has "
				   "none (a VM without PMU passthrough?): count a software event "
				   "such as page-faults",
				   name);
		return HWT_E_NOPMU;
	}
	if (e == EACCES || e == EPERM) {
		hwt_host_set_error(s->h,
				   "counters: not allowed to count events=%s (%s): run as root or "
				   "lower /proc/sys/kernel/perf_event_paranoid",
				   name, strerror(e));
		return HWT_E_PERM;
	}
	hwt_host_set_error(s->h, "counters: cannot count events=%s: %s", name, strerror(e));
	return e == ENOENT ? HWT_E_NOTSUP : hwt_error_from_errno(e);
}

/* Opens event @i on thread @tid in @group (-1: as its leader). */
static int open_one(struct ctr_state *s, size_t i, int tid, int group, int on_exec)
{
	struct perf_event_attr a = s->attrs[i];

	a.size = sizeof(a);
	a.read_format =
		PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING | PERF_FORMAT_GROUP;
	a.exclude_hv = 1;
	a.exclude_kernel = !s->kernel;
	/* Before exec the target is our forked copy: count from exec on. */
	a.disabled = (unsigned)on_exec;
	a.enable_on_exec = (unsigned)on_exec;
	return (int)syscall(SYS_perf_event_open, &a, tid, -1, group, PERF_FLAG_FD_CLOEXEC);
}

static void close_thread(struct ctr_state *s, struct ctr_thread *th)
{
	for (size_t i = 0; i < s->nevents; i++)
		if (th->fds[i] >= 0)
			close(th->fds[i]);
}

/* Writes @v at @ts on event @i's track of @t if the count went up (or it is the first): the
 * exact count at a thread's exit may have come before the last read of its group, which counted
 * from when the thread was seen; a track's times never go back. */
static int write_value(struct ctr_state *s, struct ctr_tracks *t, size_t i, uint64_t ts, double v)
{
	if (v <= t->last[i])
		return 0;
	if (ts < t->last_ts)
		ts = t->last_ts;
	int err = hwt_host_counter(s->h, t->tracks[i], ts, v);
	if (err < 0)
		return err;
	t->last[i] = v;
	t->last_ts = ts;
	return 0;
}

/* Reads the group of @th and writes the values that went up (all of them the first time). */
static int read_thread(struct ctr_state *s, struct ctr_thread *th, uint64_t ts)
{
	uint64_t buf[3 + CTR_MAX_EVENTS];
	ssize_t n = read(th->fds[0], buf, sizeof(buf));

	if (n < (ssize_t)(3 * sizeof(uint64_t)) || buf[0] != s->nevents)
		return 0;
	/* Multiplexed (hardware counters outnumbering the PMU's): scale as perf stat does. */
	double scale = buf[2] && buf[2] < buf[1] ? (double)buf[1] / (double)buf[2] : 1.0;
	for (size_t i = 0; i < s->nevents; i++) {
		int err = write_value(s, &s->tracks[th->tracks], i, ts, (double)buf[3 + i] * scale);
		if (err < 0)
			return err;
	}
	return 0;
}

/* The tracks of thread @tid of @pid, declared now; *@index to them. */
static int new_tracks(struct ctr_state *s, int pid, int tid, uint32_t *index)
{
	struct ctr_tracks t = { .last_ts = 0 };
	int created;

	if (HWT_ARRAY_GROW(s->tracks, &s->cap_tracks, s->ntracks + 1))
		return HWT_E_NOMEM;
	for (size_t i = 0; i < s->nevents; i++) {
		struct hwt_counter_desc d = {
			.name = s->names[i],
			.unit = "count",
			.scope = HWT_SCOPE_THREAD,
			.flags = HWT_TRACK_CUMULATIVE,
			.pid = pid,
			.tid = tid,
		};
		t.tracks[i] = hwt_host_counter_track(s->h, &d);
		if (t.tracks[i] < 0)
			return t.tracks[i];
		t.last[i] = -1;
	}
	/* A tid used again (after the pid numbers wrapped) gets tracks of its own. */
	uint32_t *v = hwt_idmap_put(&s->tracks_of, (uint64_t)tid, &created);
	if (!v)
		return HWT_E_NOMEM;
	*index = (uint32_t)s->ntracks;
	s->tracks[s->ntracks++] = t;
	*v = *index + 1;
	return 0;
}

/* A thread seen for the first time: its counters and tracks. */
static int thread_new(void *ctx, int pid, int tid)
{
	struct ctr_state *s = ctx;
	struct ctr_thread th = { .pid = pid, .tid = tid };
	int on_exec = !s->started && !s->attached;

	if (HWT_ARRAY_GROW(s->threads, &s->cap_threads, s->nthreads + 1))
		return HWT_E_NOMEM;
	for (size_t i = 0; i < CTR_MAX_EVENTS; i++)
		th.fds[i] = -1;
	for (size_t i = 0; i < s->nevents; i++) {
		th.fds[i] = open_one(s, i, tid, i ? th.fds[0] : -1, on_exec && !i);
		if (th.fds[i] >= 0)
			continue;
		int e = errno;
		close_thread(s, &th);
		if (e == ESRCH) /* gone already: its exit records will count it */
			return 0;
		int err = open_error(s, i, e);
		if (!s->started)
			return err; /* the target's own thread: the events do not work here */
		if (!s->noted++)
			hwt_host_note(s->h,
				      "%s; thread %d and later ones it fails on are not counted",
				      hwt_host_error(s->h), tid);
		return 0;
	}
	int err = new_tracks(s, pid, tid, &th.tracks);
	if (err < 0) {
		close_thread(s, &th);
		return err;
	}
	s->threads[s->nthreads++] = th;
	return 0;
}

/* A thread gone: its counters still hold its final counts. */
static void thread_gone(void *ctx, int pid, int tid)
{
	struct ctr_state *s = ctx;

	for (size_t k = 0; k < s->nthreads; k++) {
		struct ctr_thread *th = &s->threads[k];
		if (th->tid != tid)
			continue;
		read_thread(s, th, hwt_host_now());
		close_thread(s, th);
		*th = s->threads[--s->nthreads];
		return;
	}
}

/* Reads the process-wide totals. */
static int read_totals(struct ctr_state *s, uint64_t ts)
{
	double tot[CTR_MAX_EVENTS];

	if (!s->exits || hwt_ctr_exits_totals(s->exits, tot))
		return 0;
	for (size_t i = 0; i < s->nevents; i++) {
		double v = tot[i];
		if (v == s->total_last[i])
			continue;
		int err = hwt_host_counter(s->h, s->total_tracks[i], ts, v);
		if (err < 0)
			return err;
		s->total_last[i] = v;
	}
	return 0;
}

/* The exact final counts of the threads that exited (with @all, also of those whose records have
 * not all come: the end): on their tracks, made now for threads never seen running. */
static int write_exits(struct ctr_state *s, int all)
{
	struct hwt_ctr_exit *ex;
	long n = s->exits ? hwt_ctr_exits_take(s->exits, all, &ex) : 0;
	int err = n < 0 ? (int)n : 0;

	for (long k = 0; k < n && !err; k++) {
		const struct hwt_ctr_exit *e = &ex[k];
		uint32_t *v = hwt_idmap_find(&s->tracks_of, (uint64_t)e->tid);
		uint32_t index = v && *v ? *v - 1 : 0;
		if (!v || !*v) {
			if (!s->children && e->pid != s->root)
				continue;
			s->from_exits++;
			if ((err = new_tracks(s, e->pid, e->tid, &index)) < 0)
				break;
		}
		for (size_t i = 0; i < s->nevents && !err; i++)
			err = write_value(s, &s->tracks[index], i, e->ts, e->v[i]);
	}
	free(n > 0 ? ex : NULL);
	return err < 0 ? err : 0;
}

/* Reads every thread's counters, and the totals when @totals. */
static int read_all(struct ctr_state *s, int totals)
{
	uint64_t ts = hwt_host_now();

	for (size_t k = 0; k < s->nthreads; k++) {
		int err = read_thread(s, &s->threads[k], ts);
		if (err < 0)
			return err;
	}
	return totals ? read_totals(s, ts) : 0;
}

static int ctr_poll(void *st, uint64_t now_ns)
{
	struct ctr_state *s = st;

	if (!s)
		return 0;
	int err = hwt_proctree_scan(&s->tree);
	if (err < 0)
		return err;
	/* Reading a counter of a running thread interrupts its CPU (an IPI), and reading an
	 * inherited total reads the counter of every thread on every CPU: totals 10 times a second
	 * at most (they are exact at the end, read when nothing runs). */
	int totals = now_ns >= s->totals_next;
	if (totals)
		s->totals_next = now_ns + (s->interval > TOTALS_NS ? s->interval : TOTALS_NS);
	err = read_all(s, totals);
	return err < 0 ? err : write_exits(s, 0);
}

/* Exit records, as the host drains them (on its own thread). */
static void ctr_sideband(void *st, const struct perf_event_header *rec)
{
	struct ctr_state *s = st;

	if (s && s->exits)
		hwt_ctr_exits_record(s->exits, rec);
}

static void ctr_free(struct ctr_state *s)
{
	hwt_proctree_fini(&s->tree);
	for (size_t k = 0; k < s->nthreads; k++)
		close_thread(s, &s->threads[k]);
	hwt_ctr_exits_free(s->exits);
	hwt_idmap_fini(&s->tracks_of);
	free(s->tracks);
	free(s->threads);
	free(s);
}

/* The last counts: of the threads still open (the last poll failed, or they ended after it; a
 * counter keeps its thread's count after the thread exited), the totals, and every exit recorded
 * even if some of its CPUs' records are missing. */
static void ctr_stop(void *st)
{
	struct ctr_state *s = st;

	if (!s)
		return;
	read_all(s, 1);
	write_exits(s, 1);
	if (s->from_exits)
		hwt_host_note(
			s->h,
			"counters: %llu threads ended before they could be read while running: "
			"their tracks hold one value, their final count at their exit",
			(unsigned long long)s->from_exits);
	ctr_free(s);
}

/* The process-wide totals and exit records: inherited counters on the target, enabled at exec. */
static int open_totals(struct ctr_state *s, int ncpus)
{
	char name[160];
	size_t bad = 0;
	struct perf_event_attr attrs[CTR_MAX_EVENTS];

	for (size_t i = 0; i < s->nevents; i++) {
		attrs[i] = s->attrs[i];
		attrs[i].exclude_hv = 1;
		attrs[i].exclude_kernel = !s->kernel;
	}
	int err = hwt_ctr_exits_open(s->h, s->root, ncpus, attrs, s->names, s->nevents, &bad,
				     &s->exits);
	if (err < 0)
		return err == HWT_E_NOMEM ? err : open_error(s, bad, errno);
	for (size_t i = 0; i < s->nevents; i++) {
		s->total_last[i] = -1; /* the first value is written, 0 too */
		snprintf(name, sizeof(name), "%s (total)", s->names[i]);
		struct hwt_counter_desc d = {
			.name = name,
			.unit = "count",
			.scope = HWT_SCOPE_PROCESS,
			.flags = HWT_TRACK_CUMULATIVE,
			.pid = s->root,
		};
		s->total_tracks[i] = hwt_host_counter_track(s->h, &d);
		if (s->total_tracks[i] < 0)
			return s->total_tracks[i];
	}
	return 0;
}

static int ctr_start(struct hwt_host *h, const struct hwt_target *t,
		     const struct hwt_option_value *v, void **st)
{
	char why[256];

	if (!v || !t || t->pid <= 0 || v[OPT_EVENTS].n > CTR_MAX_EVENTS) {
		hwt_host_set_error(h, "counters: no target, no option values or too many events");
		return HWT_E_INVAL;
	}
	if (!v[OPT_EVENTS].n) {
		hwt_host_set_error(h, "counters: events= is missing: name an event to count, as "
				      "in -P counters:events=page-faults,events=context-switches");
		return HWT_E_INVAL;
	}
	int err = hwt_host_poll_interval(h, (uint64_t)v[OPT_INTERVAL].i);
	if (err < 0)
		return err;
	struct ctr_state *s = calloc(1, sizeof(*s));
	if (!s)
		return HWT_E_NOMEM;
	s->h = h;
	s->root = t->pid;
	s->nevents = v[OPT_EVENTS].n;
	s->names = v[OPT_EVENTS].list;
	s->interval = (uint64_t)v[OPT_INTERVAL].i;
	s->children = (int)v[OPT_CHILDREN].i;
	s->kernel = kernel_allowed();
	s->attached = !!(t->flags & HWT_TARGET_ATTACHED);
	for (size_t i = 0; i < s->nevents && !err; i++) {
		if (hwt_event_parse(s->names[i], &s->attrs[i], why, sizeof(why))) {
			hwt_host_set_error(h, "counters: events=%s: %s", s->names[i], why);
			err = HWT_E_INVAL; /* a bad option value: the recording fails */
		}
	}
	static const struct hwt_proctree_ops ops = { .thread_new = thread_new,
						     .thread_gone = thread_gone };
	/* Inherited totals count the threads started after them: of a process attached to, only
	 * those; its threads are counted one by one. */
	if (!err && v[OPT_TOTAL].i && s->attached && v[OPT_TOTAL].set)
		hwt_host_note(h, "counters: no totals for a process attached to (-p): its threads "
				 "are counted each");
	if (!err && v[OPT_TOTAL].i && !s->attached)
		err = open_totals(s, t->ncpus);
	if (!err)
		err = hwt_proctree_init(&s->tree, t->pid, (int)v[OPT_CHILDREN].i, &ops, s);
	if (!err)
		err = hwt_proctree_scan(&s->tree); /* the target's thread: counted from exec */
	if (err < 0 || !s->nthreads) {
		if (err >= 0) {
			hwt_host_set_error(h, "counters: the target is gone before it ran");
			err = HWT_E_NOENT;
		}
		ctr_free(s);
		return err;
	}
	s->started = 1;
	*st = s;
	return 0;
}

const struct hwt_plugin hwt_plugin_counters = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = "counters",
	.summary = "perf events (page-faults, context-switches, cycles...) counted per thread",
	.options = ctr_options,
	.noptions = CTR_NOPTIONS,
	.start = ctr_start,
	.poll = ctr_poll,
	.stop = ctr_stop,
	.sideband = ctr_sideband,
};

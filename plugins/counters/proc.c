/* The `proc` counter plugin: RSS, peak RSS, faults, context switches, CPU time, I/O bytes and
 * threads of the target and each of its descendants from /proc, every interval, one process-scoped
 * counter track each. Values are written when they change. What a process does in its last
 * interval is not seen: once it is reaped its /proc entry is gone (and an exiting process has
 * let its memory go, so its last samples are skipped). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "procfs.h"
#include "proctree.h"

enum { OPT_INTERVAL, OPT_TRACK, OPT_CHILDREN, PROC_NOPTIONS };

/* The files a track is read from. */
enum { F_STAT, F_STATUS, F_IO, F_N };

/* The tracks, in the order of proc_tracks[]. */
enum {
	T_RSS,
	T_RSS_PEAK,
	T_MINFLT,
	T_MAJFLT,
	T_VCSW,
	T_IVCSW,
	T_UTIME,
	T_STIME,
	T_READ,
	T_WRITE,
	T_THREADS,
	T_N,
};

static const struct {
	const char *name, *unit;
	uint32_t flags; /* enum hwt_track_flags */
	int file;
	size_t off; /* of the value in struct hwt_procstat */
} proc_tracks[T_N] = {
#define CUM   HWT_TRACK_CUMULATIVE
#define AT(f) offsetof(struct hwt_procstat, f)
	[T_RSS] = { "rss", "bytes", 0, F_STAT, AT(rss_bytes) },
	[T_RSS_PEAK] = { "rss-peak", "bytes", 0, F_STATUS, AT(rss_peak_bytes) },
	[T_MINFLT] = { "faults-minor", "count", CUM, F_STAT, AT(minflt) },
	[T_MAJFLT] = { "faults-major", "count", CUM, F_STAT, AT(majflt) },
	[T_VCSW] = { "switches-voluntary", "count", CUM, F_STATUS, AT(vcsw) },
	[T_IVCSW] = { "switches-involuntary", "count", CUM, F_STATUS, AT(ivcsw) },
	[T_UTIME] = { "cpu-user", "ns", CUM, F_STAT, AT(utime_ns) },
	[T_STIME] = { "cpu-system", "ns", CUM, F_STAT, AT(stime_ns) },
	[T_READ] = { "read-bytes", "bytes", CUM, F_IO, AT(rchar) },
	[T_WRITE] = { "write-bytes", "bytes", CUM, F_IO, AT(wchar) },
	[T_THREADS] = { "threads", "count", 0, F_STAT, AT(threads) },
#undef CUM
#undef AT
};

static const char *const proc_files[F_N] = { "stat", "status", "io" };

static const struct hwt_option proc_options[PROC_NOPTIONS] = {
	[OPT_INTERVAL] = { .name = "interval",
			   .type = HWT_OPT_DURATION,
			   .min = 100000,
			   .max = 60000000000,
			   .def = "10ms",
			   .help = "read /proc, and look for new child processes, this often" },
	[OPT_TRACK] = { .name = "track",
			.type = HWT_OPT_LIST,
			.max = T_N,
			.arg = "NAME",
			.help = "record only the tracks named: rss, rss-peak (bytes), "
				"faults-minor, "
				"faults-major, switches-voluntary, switches-involuntary (counts), "
				"cpu-user, cpu-system (ns, at clock tick resolution), read-bytes, "
				"write-bytes (through read and write calls), threads; unset: all. "
				"Faults, switches, cpu and bytes are running totals" },
	[OPT_CHILDREN] = { .name = "children",
			   .type = HWT_OPT_BOOL,
			   .def = "1",
			   .help = "follow the processes the target forks, each with tracks of its "
				   "own" },
};

/* A process followed. */
struct proc_proc {
	int pid;
	int fds[F_N]; /* the files read, kept open and re-read; -1: not needed */
	int tracks[T_N];
	double last[T_N]; /* the value last written to each track */
	int written;	  /* any value written: later only changes are */
	int exec_seen;	  /* the root: it runs the program (before exec it is a copy of us) */
};

struct proc_state {
	struct hwt_host *h;
	int root;
	uint32_t want;	/* bit per track */
	int files[F_N]; /* which files the tracks need */
	dev_t self_dev; /* our own executable: the root runs it until exec */
	ino_t self_ino;
	long ticks, page; /* sysconf(_SC_CLK_TCK), page bytes */
	struct hwt_proctree tree;
	struct proc_proc *procs;
	size_t nprocs, cap_procs;
	char buf[4096]; /* one file's text */
};

static struct proc_proc *find_proc(struct proc_state *s, int pid)
{
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].pid == pid)
			return &s->procs[i];
	return NULL;
}

/* A process appeared: its tracks, and the files they are read from. */
static int proc_new(void *ctx, int pid)
{
	struct proc_state *s = ctx;
	struct proc_proc p = { .pid = pid, .exec_seen = pid != s->root };

	if (HWT_ARRAY_GROW(s->procs, &s->cap_procs, s->nprocs + 1))
		return HWT_E_NOMEM;
	for (int f = 0; f < F_N; f++)
		p.fds[f] = -1;
	for (int f = 0; f < F_N; f++) {
		if (!s->files[f])
			continue;
		p.fds[f] = hwt_procfs_open(pid, 0, proc_files[f]);
		if (p.fds[f] < 0 && p.fds[f] != HWT_E_NOENT) {
			int err = p.fds[f];
			hwt_host_set_error(s->h, "proc: cannot open /proc/%d/%s: %s", pid,
					   proc_files[f], strerror(errno));
			for (int g = 0; g < f; g++)
				if (p.fds[g] >= 0)
					close(p.fds[g]);
			return err;
		}
	}
	for (int i = 0; i < T_N; i++) {
		if (!(s->want & 1u << i))
			continue;
		struct hwt_counter_desc d = {
			.name = proc_tracks[i].name,
			.unit = proc_tracks[i].unit,
			.scope = HWT_SCOPE_PROCESS,
			.flags = proc_tracks[i].flags,
			.pid = pid,
		};
		p.tracks[i] = hwt_host_counter_track(s->h, &d);
		if (p.tracks[i] < 0) {
			for (int f = 0; f < F_N; f++)
				if (p.fds[f] >= 0)
					close(p.fds[f]);
			return p.tracks[i];
		}
	}
	s->procs[s->nprocs++] = p;
	return 0;
}

static void proc_gone(void *ctx, int pid)
{
	struct proc_state *s = ctx;
	struct proc_proc *p = find_proc(s, pid);

	if (!p)
		return;
	for (int f = 0; f < F_N; f++)
		if (p->fds[f] >= 0)
			close(p->fds[f]);
	*p = s->procs[--s->nprocs];
}

/* Until the root execs it is the recorder's forked copy, whose numbers are not the program's. */
static int runs_program(struct proc_state *s, struct proc_proc *p)
{
	char path[64];
	struct stat st;

	if (p->exec_seen)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	if (stat(path, &st))
		return 0;
	p->exec_seen = st.st_dev != s->self_dev || st.st_ino != s->self_ino;
	return p->exec_seen;
}

/* Reads the files of @p and writes the values that changed (all of them the first time). */
static int sample_proc(struct proc_state *s, struct proc_proc *p, uint64_t ts)
{
	struct hwt_procstat ps = { 0 };
	int have[F_N] = { 0 };

	for (int f = 0; f < F_N; f++) {
		if (p->fds[f] < 0)
			continue;
		long n = hwt_procfs_reread(p->fds[f], s->buf, sizeof(s->buf));
		if (n <= 0)
			return 0; /* gone: the next scan drops it */
		if (f == F_STAT)
			have[f] =
				!hwt_procstat_parse_stat(s->buf, (size_t)n, s->ticks, s->page, &ps);
		else if (f == F_STATUS)
			have[f] = hwt_procstat_parse_status(s->buf, (size_t)n, &ps) == 3;
		else
			have[f] = hwt_procstat_parse_io(s->buf, (size_t)n, &ps) == 2;
	}
	/* An exiting process has let its memory go (RSS 0), a zombie its threads: their last
	 * values stand. What it did (faults, CPU, I/O) still counts: the target stays unreaped
	 * until the last poll, so its last interval shows. */
	int gone = have[F_STAT] && (ps.state == 'Z' || ps.state == 'X' || !ps.rss_bytes);
	for (int i = 0; i < T_N; i++) {
		if (!(s->want & 1u << i) || !have[proc_tracks[i].file])
			continue;
		if (gone && !(proc_tracks[i].flags & HWT_TRACK_CUMULATIVE))
			continue;
		double v = (double)*(const uint64_t *)((const char *)&ps + proc_tracks[i].off);
		/* VmHWM is the larger of the high-water mark and the current RSS, which the kernel
		 * sums approximately (per-CPU counters): keep the peak from going back down. */
		if (i == T_RSS_PEAK && p->written && v < p->last[i])
			v = p->last[i];
		if (p->written && v == p->last[i])
			continue;
		int err = hwt_host_counter(s->h, p->tracks[i], ts, v);
		if (err < 0)
			return err;
		p->last[i] = v;
	}
	p->written = 1;
	return 0;
}

static int proc_poll(void *st, uint64_t now_ns)
{
	struct proc_state *s = st;

	if (!s)
		return 0;
	int err = hwt_proctree_scan(&s->tree);
	if (err < 0)
		return err;
	uint64_t ts = hwt_host_now();
	for (size_t i = 0; i < s->nprocs; i++) {
		if (!runs_program(s, &s->procs[i]))
			continue;
		err = sample_proc(s, &s->procs[i], ts);
		if (err < 0)
			return err;
	}
	return 0;
}

static void proc_stop(void *st)
{
	struct proc_state *s = st;

	if (!s)
		return;
	hwt_proctree_fini(&s->tree);
	while (s->nprocs)
		proc_gone(s, s->procs[0].pid);
	free(s->procs);
	free(s);
}

/* The tracks asked for, as bits; 0 with the error set when a name is unknown. */
static uint32_t wanted_tracks(struct hwt_host *h, const struct hwt_option_value *v)
{
	uint32_t want = 0;

	if (!v[OPT_TRACK].n)
		return (1u << T_N) - 1;
	for (size_t k = 0; k < v[OPT_TRACK].n; k++) {
		int found = -1;
		for (int i = 0; i < T_N; i++)
			if (!strcmp(v[OPT_TRACK].list[k], proc_tracks[i].name))
				found = i;
		if (found < 0) {
			hwt_host_set_error(
				h,
				"proc: track=%s: no such track; choose from rss, "
				"rss-peak, faults-minor, faults-major, switches-voluntary, "
				"switches-involuntary, cpu-user, cpu-system, read-bytes, "
				"write-bytes, threads",
				v[OPT_TRACK].list[k]);
			return 0;
		}
		want |= 1u << found;
	}
	return want;
}

static int proc_start(struct hwt_host *h, const struct hwt_target *t,
		      const struct hwt_option_value *v, void **st)
{
	struct stat self;

	if (!v || !t || t->pid <= 0) {
		hwt_host_set_error(h, "proc: no target or no option values");
		return HWT_E_INVAL;
	}
	uint32_t want = wanted_tracks(h, v);
	if (!want)
		return HWT_E_INVAL;
	if (stat("/proc/self/exe", &self)) {
		hwt_host_set_error(h, "proc: /proc is not mounted (%s): mount it", strerror(errno));
		return HWT_E_NOTSUP;
	}
	int err = hwt_host_poll_interval(h, (uint64_t)v[OPT_INTERVAL].i);
	if (err < 0)
		return err;
	struct proc_state *s = calloc(1, sizeof(*s));
	if (!s)
		return HWT_E_NOMEM;
	*s = (struct proc_state){
		.h = h,
		.root = t->pid,
		.want = want,
		.self_dev = self.st_dev,
		.self_ino = self.st_ino,
		.ticks = sysconf(_SC_CLK_TCK),
		.page = sysconf(_SC_PAGESIZE),
	};
	for (int i = 0; i < T_N; i++)
		if (want & 1u << i)
			s->files[proc_tracks[i].file] = 1;
	static const struct hwt_proctree_ops ops = { .proc_new = proc_new, .proc_gone = proc_gone };
	err = hwt_proctree_init(&s->tree, t->pid, (int)v[OPT_CHILDREN].i, &ops, s);
	if (!err)
		err = hwt_proctree_scan(&s->tree); /* the root's tracks and files, now */
	if (err < 0) {
		proc_stop(s);
		return err;
	}
	*st = s;
	return 0;
}

const struct hwt_plugin hwt_plugin_proc = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = "proc",
	.summary = "RSS, faults, context switches, CPU time, I/O and threads of each process "
		   "from /proc",
	.options = proc_options,
	.noptions = PROC_NOPTIONS,
	.start = proc_start,
	.poll = proc_poll,
	.stop = proc_stop,
};

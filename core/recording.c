/* hwt_record(): launches the target (or attaches to running processes, or records the whole
 * system), starts the plugins on it, drains every ring into the store until the target exits, ^C
 * or --duration, then closes the recording. */
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "attach.h"
#include "host_internal.h"
#include "progapi.h"
#include "plugin_run.h"
#include "store.h"
#include "target.h"
#include "util.h"

#define HWT_POLL_MS 10 /* drain rings and read counters this often: counter track resolution */

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- draining -------------------------------------------------------------------------- */

static void count_records(struct hwt_host *h, const uint8_t *p, size_t len)
{
	for (size_t off = 0; off + sizeof(struct perf_event_header) <= len;) {
		const struct perf_event_header *hd = (const void *)(p + off);
		if (hd->size < sizeof(*hd))
			break;
		if (hd->type != PERF_RECORD_SAMPLE)
			for (int i = 0; i < h->nrun; i++)
				if (h->run[i].plugin->sideband)
					h->run[i].plugin->sideband(h->run[i].st, hd);
		switch (hd->type) {
		case PERF_RECORD_SAMPLE:
			h->end.samples++;
			break;
		case PERF_RECORD_LOST:
			h->end.lost_records += ((const uint64_t *)(hd + 1))[1];
			break;
		case PERF_RECORD_THROTTLE:
			h->end.throttled++;
			break;
		}
		off += hd->size;
	}
}

static const struct hwt_event_desc *desc_of(void *ctx, uint64_t id)
{
	struct hwt_host *h = ctx;
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].desc.id == id)
			return &h->events[i].desc;
	return NULL;
}

static int copies_stacks(const struct hwt_host *h)
{
	for (int i = 0; i < h->nevents; i++)
		if (h->events[i].desc.sample_type & PERF_SAMPLE_STACK_USER)
			return 1;
	return 0;
}

static int drain_ring(struct hwt_host *h, struct ring *r, uint64_t ts)
{
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->page->data_tail;
	size_t len = (size_t)(head - tail);

	if (!len)
		return 0;
	size_t off = tail & (r->size - 1);
	const uint8_t *src = r->data + off;
	if (off + len > r->size) { /* wraps: make it contiguous */
		size_t first = r->size - off;
		memcpy(h->scratch, r->data + off, first);
		memcpy(h->scratch + first, r->data, len - first);
		src = h->scratch;
	}
	/* The copied user stacks lose what lies above the stack's strings (the environment)
	 * before anything is written; in a copy, as the kernel refuses writes to ring pages. */
	if (copies_stacks(h)) {
		if (src != h->scratch)
			memcpy(h->scratch, src, len);
		src = h->scratch;
		hwt_scrub_records(&h->scrub, h->scratch, len, desc_of, h);
	}
	count_records(h, src, len);
	struct hwt_stream_item it = {
		.ts = ts,
		.cpu = r->cpu,
		.kind = HWT_ITEM_RING,
		.len = (uint32_t)len,
	};
	struct iovec iov[2] = { { &it, sizeof(it) }, { (void *)src, len } };
	int err = hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 2);
	h->end.bytes += len;
	__atomic_store_n(&r->page->data_tail, head, __ATOMIC_RELEASE);
	return err;
}

static int drain_all(struct hwt_host *h)
{
	int err = 0;

	h->round_ts = mono_ns();
	for (int i = 0; i < h->nrings && !err; i++)
		err = drain_ring(h, &h->rings[i], h->round_ts);
	hwt_progapi_drain(h->api, h); /* libhwtrace's rings */
	return err;
}

static int read_counters(struct hwt_host *h)
{
	uint64_t buf[512];
	uint64_t ts = mono_ns();

	for (int i = 0; i < h->nevents; i++) {
		struct event *ev = &h->events[i];
		if (!(ev->desc.flags & HWT_DESC_PERIODIC))
			continue;
		ssize_t n = read(ev->fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		struct hwt_stream_item it = {
			.ts = ts,
			.id = ev->desc.id,
			.cpu = ev->desc.cpu,
			.kind = HWT_ITEM_READ,
			.len = (uint32_t)n,
		};
		struct iovec iov[2] = { { &it, sizeof(it) }, { buf, (size_t)n } };
		int err = hwt_store_appendv(h->store, HWT_CHUNK_STREAM, iov, 2);
		if (err)
			return err;
	}
	return 0;
}

/* Exact loss: the kernel counts every record it could not write in PERF_FORMAT_LOST, including
 * those lost at the very end for which no PERF_RECORD_LOST is ever written. */
static uint64_t lost_total(struct hwt_host *h)
{
	uint64_t total = 0, buf[512];

	for (int i = 0; i < h->nevents; i++) {
		const struct hwt_event_desc *d = &h->events[i].desc;
		if (!(d->read_format & PERF_FORMAT_LOST) || d->leader_id != d->id)
			continue;
		ssize_t n = read(h->events[i].fd, buf, sizeof(buf));
		if (n <= 0)
			continue;
		size_t nv = (size_t)n / 8, k = 0;
		int te = !!(d->read_format & PERF_FORMAT_TOTAL_TIME_ENABLED);
		int tr = !!(d->read_format & PERF_FORMAT_TOTAL_TIME_RUNNING);
		if (d->read_format & PERF_FORMAT_GROUP) {
			uint64_t nr = buf[k++];
			k += te + tr;
			for (uint64_t j = 0; j < nr && k + 3 <= nv; j++, k += 3)
				total += buf[k + 2]; /* value, id, lost */
		} else if (nv >= 1u + te + tr + 2) {
			total += buf[1 + te + tr + 1];
		}
	}
	return total;
}

/* ---- the recording --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;
static volatile sig_atomic_t snapshot_signals; /* SIGUSR2 received while recording */

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void on_snapshot_signal(int sig)
{
	snapshot_signals++;
}

uint64_t hwt_host_snapshot_requests(const struct hwt_host *h)
{
	return (uint64_t)snapshot_signals;
}

void hwt_record_config_init(struct hwt_record_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->ring_bytes = 1u << 20;
}

static int write_events(struct hwt_host *h)
{
	size_t len = (size_t)h->nevents * sizeof(struct hwt_event_desc);
	struct hwt_event_desc *all = malloc(len ? len : 1);

	if (!all)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nevents; i++)
		all[i] = h->events[i].desc;
	int err = hwt_store_write(h->store, HWT_CHUNK_EVENTS, all, len);
	free(all);
	return err;
}

/* The initial address space, for what the kernel never sends MMAP records about ([vdso]). */
static void write_proc_maps(struct hwt_host *h, pid_t pid)
{
	char path[64], *text = NULL;
	size_t cap = 0, len = 8;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	for (;;) {
		if (len + 4096 > cap) {
			char *nt = realloc(text, cap = cap ? cap * 2 : 16384);
			if (!nt)
				break;
			text = nt;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (text && len > 8) {
		uint32_t p32 = (uint32_t)pid, pad = 0;
		memcpy(text, &p32, 4);
		memcpy(text + 4, &pad, 4);
		hwt_store_write(h->store, HWT_CHUNK_PROC_MAPS, text, len);
	}
	free(text);
}

static int open_output(const char *output, char *tmp, size_t len, char *why, size_t whylen)
{
	snprintf(tmp, len, "%s.tmp.%d", output, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				output, strerror(errno));
	return fd;
}

/* What ends the recording, besides an error. */
struct ends {
	pid_t child;	   /* the launched program, -1 if none: a stop signal is passed on to it */
	const int *pids;   /* the launched program, or the processes attached */
	int *pidfds;	   /* one per pid: readable when it exits; -1 if pidfd_open failed */
	int npids;	   /* 0: recorded until a stop signal or the deadline (record -a) */
	uint64_t deadline; /* mono_ns() when --duration is over; 0: none */
	int exited;	   /* out: the target is gone (a launched one is not reaped yet) */
	int timed_out;	   /* out: --duration ended it */
};

/* Has pid @k of @e ended? The launched program is left unreaped, so that its /proc stays for the
 * plugins' last polls. */
static int pid_ended(struct ends *e, int k, int readable)
{
	if (e->child > 0) {
		if (e->pidfds[k] >= 0 && !readable)
			return 0;
		siginfo_t si = { 0 };
		return !waitid(P_PID, (id_t)e->child, &si,
			       WEXITED | WNOWAIT | (e->pidfds[k] < 0 ? WNOHANG : 0)) &&
		       si.si_pid == e->child;
	}
	if (e->pidfds[k] >= 0)
		return readable;
	return kill(e->pids[k], 0) && errno == ESRCH;
}

static int run_loop(struct hwt_host *h, struct ends *e)
{
	struct pollfd *fds = calloc((size_t)h->nrings + (size_t)e->npids + 1, sizeof(*fds));
	int err = 0, stop = 0, gone = 0;

	if (!fds)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nrings; i++)
		fds[i] = (struct pollfd){ .fd = h->rings[i].fd, .events = POLLIN };
	for (int k = 0; k < e->npids; k++)
		fds[h->nrings + k] = (struct pollfd){ .fd = e->pidfds[k], .events = POLLIN };
	int forwarded = 0;
	uint64_t last_read = 0;

	while (!e->exited && !err && !stop) {
		int n = poll(fds, (nfds_t)(h->nrings + e->npids), HWT_POLL_MS);
		if (n < 0 && errno != EINTR) {
			err = HWT_E_IO;
			break;
		}
		/* A ring whose task is gone reports POLLHUP for good: stop asking, or the loop
		 * spins until the pidfd says the whole process is gone. */
		for (int i = 0; n > 0 && i < h->nrings; i++)
			if (fds[i].revents & (POLLHUP | POLLERR))
				fds[i].fd = -1;
		if (stop_signal && !forwarded) {
			/* Ctrl-C reaches a launched program through the terminal too; kill() covers
			 * the signals sent to the recorder alone. Attached processes run on: the
			 * signal ends the recording. */
			if (e->child > 0)
				kill(e->child, stop_signal);
			else
				stop = 1;
			h->end.stopped_by = (uint32_t)stop_signal;
			forwarded = 1;
		}
		/* The round holds the host: plugins' poll threads wait to write into it. */
		hwt_host_lock(h);
		err = drain_all(h);
		uint64_t now = mono_ns();
		if (!err && now - last_read >= HWT_POLL_MS * 1000000ull) {
			err = read_counters(h);
			last_read = now;
		}
		if (!err)
			hwt_plugins_poll(h);
		if (!err)
			err = hwt_host_custom_flush(h);
		if (!err)
			err = hwt_store_flush(h->store, 0);
		hwt_host_unlock(h);
		for (int k = 0; k < e->npids; k++) {
			struct pollfd *p = &fds[h->nrings + k];
			if (p->fd == -2 || !pid_ended(e, k, n > 0 && (p->revents & POLLIN)))
				continue;
			p->fd = -2; /* -2: seen gone (poll() skips any negative fd) */
			gone++;
		}
		if (e->npids && gone == e->npids) {
			e->exited = 1;
			atomic_store(&h->target_exited, 1);
		}
		if (e->deadline && mono_ns() >= e->deadline && !e->exited)
			e->timed_out = stop = 1;
	}
	free(fds);
	return err;
}

/* What hwt_record() sets up, and takes down when it ends or fails. */
struct recording {
	const struct hwt_record_config *cfg;
	struct hwt_host *h;
	struct running *run; /* the plugins started: h->run */
	struct hwt_launch l;
	struct hwt_target target; /* what the plugins run on: lives to the end */
	struct hwt_target *each;  /* with -p, a target per process for counter and object plugins */
	int *tids;		  /* target.tids */
	int launched;		  /* 1: the target is a program launched for the recording */
	const struct hwt_plugin *backend; /* the first tracer started */
	struct ends ends;		  /* what ends the recording */
	char path[PATH_MAX];		  /* the program file */
	char tmp[PATH_MAX + 32]; /* the output's name until the recording is worth keeping */
	int renamed;		 /* the output has its own name */
	int stuck;		 /* a plugin hangs in poll(): the host stays allocated */
	struct sigaction old_int, old_term, old_usr2;
};

/* The file process @pid runs into @path ("" if unreadable). */
static void exe_of(int pid, char *path, size_t len)
{
	char link[64];
	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	ssize_t n = readlink(link, path, len - 1);
	path[n > 0 ? n : 0] = 0;
}

/* Resolves the program (or checks the processes to attach to) and opens the store on a
 * temporary output file. */
static int open_recording(struct recording *r, char *why, size_t whylen)
{
	const struct hwt_record_config *cfg = r->cfg;
	int err = 0;

	if (cfg->npids) {
		for (int i = 0; i < cfg->npids && !err; i++)
			err = hwt_attach_check(cfg->pids[i], why, whylen);
		exe_of(cfg->pids[0], r->path, sizeof(r->path));
	} else if (cfg->argv || !cfg->system_wide) {
		err = hwt_target_resolve(cfg->argv ? cfg->argv[0] : NULL, r->path, sizeof(r->path),
					 why, whylen);
	}
	if (err)
		return err;
	int fd = open_output(cfg->output, r->tmp, sizeof(r->tmp), why, whylen);
	if (fd < 0)
		return fd;
	r->h->store = hwt_store_writer_open(fd, NULL, &err);
	if (!r->h->store) {
		snprintf(why, whylen, "cannot write '%s': %s", cfg->output, hwt_errstr(err));
		unlink(r->tmp);
	}
	return err;
}

/* Starts plugin @use on @t, adding its name to @names (@nlen bytes) unless @again (one more
 * process for it). Returns 0, or an error with @why filled. */
static int start_one(struct recording *r, const struct hwt_plugin_use *use,
		     const struct hwt_target *t, int again, char *names, size_t nlen, char *why,
		     size_t whylen)
{
	struct hwt_host *h = r->h;
	const struct hwt_plugin *p = use->plugin;
	char pwhy[256] = "";
	void *st = NULL;
	int err;

	h->error[0] = 0;
	r->run[h->nrun] = (struct running){ .plugin = p, .interval_ns = 10000000 };
	h->starting = h->nrun;
	if (p->probe && p->probe(h, pwhy, sizeof(pwhy)) <= 0)
		err = HWT_E_NOTSUP;
	else
		err = p->start(h, t, use->values, &st);
	h->starting = -1;
	if (err >= 0) {
		r->run[h->nrun++].st = st;
		/* The first tracer is the backend; one beside it (sampling beside exact calls) is
		 * listed with the plugins. */
		if (p->kind == HWT_PLUGIN_TRACER && (!r->backend || r->backend == p)) {
			r->backend = p;
			hwt_host_set_meta(h, "backend", p->name);
		} else if (!again)
			snprintf(names + strlen(names), nlen - strlen(names), "%s%s",
				 names[0] ? "," : "", p->name);
		return 0;
	}
	const char *reason = pwhy[0] ? pwhy : h->error[0] ? h->error : hwt_errstr(err);
	if (p->kind == HWT_PLUGIN_TRACER)
		return hwt_fail(why, whylen, err, "%s", reason);
	return hwt_fail(why, whylen, err, "plugin '%s' cannot start: %s", p->name, reason);
}

/* Starts each plugin on @t; with -p, counter and object plugins once for each process. One
 * that cannot start fails the recording with its reason (a bad symbol, an event this machine
 * lacks: the user's to fix), after the ones started stop. */
static int start_plugins(struct recording *r, const struct hwt_target *t, char *why, size_t whylen)
{
	char names[512] = "";

	for (int i = 0; i < r->cfg->nplugins; i++) {
		const struct hwt_plugin_use *use = &r->cfg->plugins[i];
		int each = use->plugin->kind != HWT_PLUGIN_TRACER && r->each;
		int err = 0;
		for (int k = 0; k < (each ? t->npids : 1) && !err; k++)
			err = start_one(r, use, each ? &r->each[k] : t, k > 0, names, sizeof(names),
					why, whylen);
		if (err) {
			hwt_plugins_stop(r->h); /* the ones started: no poll thread runs yet */
			return err;
		}
	}
	return names[0] ? hwt_host_set_meta(r->h, "plugins", names) : 0;
}

/* The target of -p: every thread of the processes, and a target per process (exe_paths holds
 * their files). */
static int attach_target(struct recording *r, char (*exe_paths)[PATH_MAX], char *why, size_t whylen)
{
	const struct hwt_record_config *cfg = r->cfg;
	int ntids = 0;
	int n = hwt_attach_threads(cfg->pids, cfg->npids, &r->tids, &ntids);

	if (n < 0)
		return hwt_fail(why, whylen, n, "cannot attach: %s",
				n == HWT_E_NOENT ? "a process exited meanwhile" : hwt_errstr(n));
	r->target.pid = cfg->pids[0];
	r->target.path = r->path;
	r->target.flags |= HWT_TARGET_ATTACHED;
	r->target.tids = r->tids;
	r->target.ntids = ntids;
	r->target.pids = cfg->pids;
	r->target.npids = cfg->npids;
	for (int k = 0; k < cfg->npids; k++) {
		exe_of(cfg->pids[k], exe_paths[k], PATH_MAX);
		r->each[k] = r->target;
		r->each[k].pid = cfg->pids[k];
		r->each[k].path = exe_paths[k];
		r->each[k].pids = &cfg->pids[k];
		r->each[k].npids = 1;
		r->each[k].tids = NULL;
		r->each[k].ntids = 0;
	}
	return 0;
}

/* Launches the program, stopped before exec (or lists the threads of the processes to attach
 * to), and starts the plugins on it; once the events are written, the output gets its own name:
 * from there on the recording is worth keeping, even if we are killed. */
static int start_recording(struct recording *r, char (*exe_paths)[PATH_MAX], char *why,
			   size_t whylen)
{
	const struct hwt_record_config *cfg = r->cfg;
	static const int every = -1;
	int err = 0;

	r->target = (struct hwt_target){ .pid = -1, .ncpus = (int)sysconf(_SC_NPROCESSORS_CONF) };
	if (cfg->argv) {
		hwt_progapi_open(r->h); /* the target inherits libhwtrace's area */
		err = hwt_launch_start(&r->l, r->path, cfg->argv);
		hwt_progapi_started(r->h->api);
		if (err)
			return hwt_fail(why, whylen, err, "cannot start '%s': %s", r->path,
					strerror(errno));
		r->launched = 1;
		r->target.pid = r->l.pid;
		r->target.argv = (const char *const *)cfg->argv;
		r->target.path = r->path;
		r->target.pids = r->target.tids = &r->l.pid;
		r->target.npids = r->target.ntids = 1;
	} else if (cfg->npids) {
		err = attach_target(r, exe_paths, why, whylen);
	}
	if (cfg->system_wide) {
		r->target.flags |= HWT_TARGET_SYSTEM;
		r->target.tids = &every;
		r->target.ntids = 1;
	}
	/* Records synthesized from /proc sort before everything the events write. */
	uint64_t t0 = mono_ns();
	if (!err) {
		hwt_record_write_meta(r->h, cfg, r->launched ? r->target.pid : 0);
		err = start_plugins(r, &r->target, why, whylen);
	}
	if (err)
		return err;
	err = write_events(r->h);
	if (!err && (cfg->npids || cfg->system_wide) && !r->launched)
		err = hwt_attach_synthesize(r->h, cfg->pids, cfg->npids ? cfg->npids : -1, t0);
	else if (!err && cfg->system_wide)
		err = hwt_attach_synthesize(r->h, NULL, -1, t0);
	if (err < 0)
		return hwt_fail(why, whylen, err, "cannot write '%s': %s", cfg->output,
				hwt_errstr(err));
	if (rename(r->tmp, cfg->output))
		return hwt_fail(why, whylen, HWT_E_IO, "cannot write '%s': %s", cfg->output,
				strerror(errno));
	r->renamed = 1;
	return 0;
}

/* Ctrl-C and SIGTERM stop the target, SIGUSR2 asks for a snapshot, while recording. */
static void catch_signals(struct recording *r)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction snap = { .sa_handler = on_snapshot_signal };

	sigemptyset(&sa.sa_mask);
	sigemptyset(&snap.sa_mask);
	stop_signal = 0;
	snapshot_signals = 0;
	sigaction(SIGINT, &sa, &r->old_int);
	sigaction(SIGTERM, &sa, &r->old_term);
	sigaction(SIGUSR2, &snap, &r->old_usr2);
}

static void restore_signals(struct recording *r)
{
	sigaction(SIGINT, &r->old_int, NULL);
	sigaction(SIGTERM, &r->old_term, NULL);
	sigaction(SIGUSR2, &r->old_usr2, NULL);
}

/* Lets the target exec: from now on it runs. Then what ends the recording: the program's exit
 * (or each attached process'), the deadline of --duration. */
static int release_target(struct recording *r, char *why, size_t whylen)
{
	const struct hwt_record_config *cfg = r->cfg;
	struct ends *e = &r->ends;

	catch_signals(r);
	e->child = -1;
	if (r->launched) {
		int err = hwt_launch_release(&r->l);
		if (err) {
			hwt_fail(why, whylen, err, "cannot run '%s': %s", r->path, strerror(errno));
			r->l.pid = -1;
			restore_signals(r);
			return err;
		}
		e->child = r->l.pid;
		e->pids = &r->l.pid;
		e->pidfds = &r->l.pidfd;
		e->npids = 1;
	} else if (cfg->npids) {
		e->pids = cfg->pids;
		e->npids = cfg->npids;
		e->pidfds = malloc((size_t)cfg->npids * sizeof(int));
		if (!e->pidfds)
			return HWT_E_NOMEM;
		for (int k = 0; k < cfg->npids; k++)
			e->pidfds[k] = (int)syscall(SYS_pidfd_open, cfg->pids[k], 0);
	}
	if (cfg->duration_ns)
		e->deadline = mono_ns() + cfg->duration_ns;
	return 0;
}

/* The target is gone (@r->ends.exited: a launched one seen dead, not reaped yet), the recording
 * was stopped (^C, --duration: attached processes and a launched program run on), or it failed
 * with @err: drains what is left, stops the plugins, reaps a launched program that ended and
 * closes the store with the end record. Returns @err, or the first error of these steps. */
static int finish_recording(struct recording *r, int err, struct hwt_record_result *res, char *why,
			    size_t whylen)
{
	struct hwt_host *h = r->h;
	int status = 0, exited = r->launched && r->ends.exited;

	hwt_host_lock(h);
	if (!err)
		err = drain_all(h);
	if (!err)
		hwt_plugins_poll(h);
	if (!err)
		err = read_counters(h);
	hwt_host_unlock(h);
	/* Outside the lock: the poll threads' last polls write into the host. */
	r->stuck = hwt_plugins_stop(h);
	if (exited)
		waitpid(r->l.pid, &status, 0);
	else if (r->launched && r->ends.timed_out)
		res->running = r->l.pid; /* runs on: the caller waits for it */
	r->l.pid = -1;
	if (!err)
		err = hwt_host_custom_flush(h);
	res->ndisabled += h->ndisabled;
	h->end.ts = mono_ns();
	/* No pid: nothing ended with the recording (attached, system-wide, or detached). */
	h->end.pid = exited ? r->target.pid : 0;
	h->end.exit_status = !exited ? 0 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	h->end.signal = exited && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	h->end.lost += lost_total(h);
	if (!err)
		err = hwt_store_write(h->store, HWT_CHUNK_END, &h->end, sizeof(h->end));
	res->end = h->end;
	res->file_bytes = hwt_store_writer_bytes(h->store);
	int cerr = hwt_store_writer_close(h->store);
	h->store = NULL;
	if (!err)
		err = cerr;
	if (err)
		snprintf(why, whylen, "writing '%s' failed: %s", r->cfg->output, hwt_errstr(err));
	if (!err && h->failed[0]) {
		snprintf(why, whylen, "%s", h->failed);
		unlink(r->cfg->output);
		return HWT_E_NOENT;
	}
	struct stat st;
	if (!stat(r->cfg->output, &st))
		res->file_bytes = (uint64_t)st.st_size;
	return err;
}

int hwt_record(const struct hwt_record_config *cfg, struct hwt_record_result *res, char *why,
	       size_t whylen)
{
	struct recording r = {
		.cfg = cfg,
		.l = { .pid = -1, .go_fd = -1, .err_fd = -1, .pidfd = -1 },
	};
	int err, copies = cfg->npids > 1 ? cfg->npids : 1;

	memset(res, 0, sizeof(*res));
	if (cfg->npids && cfg->argv)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"-p attaches to running processes: give no program with it");
	char(*exe_paths)[PATH_MAX] = calloc((size_t)copies, PATH_MAX);
	r.run = calloc((size_t)cfg->nplugins * (size_t)copies + 1, sizeof(*r.run));
	r.each = cfg->npids ? calloc((size_t)cfg->npids, sizeof(*r.each)) : NULL;
	r.h = hwt_host_alloc();
	if (!r.run || !r.h || !exe_paths || (cfg->npids && !r.each)) {
		free(r.run);
		free(r.each);
		free(exe_paths);
		hwt_host_free(r.h);
		return HWT_E_NOMEM;
	}
	r.h->ring_bytes = cfg->ring_bytes;
	r.h->quiet = cfg->quiet;
	r.h->run = r.run;
	err = open_recording(&r, why, whylen);
	if (err)
		goto out;
	err = start_recording(&r, exe_paths, why, whylen);
	if (!err)
		err = release_target(&r, why, whylen);
	if (err)
		goto fail;
	if (r.launched)
		write_proc_maps(r.h, r.target.pid);
	err = hwt_plugins_start_threads(r.h);
	if (!err)
		err = run_loop(r.h, &r.ends);
	restore_signals(&r);
	err = finish_recording(&r, err, res, why, whylen);
	goto out;

fail:
	hwt_launch_abort(&r.l);
	hwt_plugins_stop(r.h); /* the ones started before a later step failed; no thread yet */
	hwt_store_writer_close(r.h->store);
	r.h->store = NULL;
	unlink(r.renamed ? cfg->output : r.tmp);
out:
	hwt_launch_fini(&r.l);
	if (r.l.pidfd >= 0)
		close(r.l.pidfd);
	for (int k = 0; !r.launched && k < r.ends.npids; k++)
		if (r.ends.pidfds[k] >= 0)
			close(r.ends.pidfds[k]);
	if (!r.launched)
		free(r.ends.pidfds);
	hwt_progapi_free(r.h->api);
	if (!r.stuck) {
		hwt_host_free(r.h);
		free(r.run);
		free(r.each); /* borrowed by the plugins until they stopped */
		free(exe_paths);
		free(r.tids);
	}
	return err;
}

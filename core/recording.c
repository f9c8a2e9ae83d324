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
#include "record_output.h"
#include "record_drain.h"
#include "plugin_run.h"
#include "store.h"
#include "target.h"
#include "util.h"

#define HWT_POLL_MS 10 /* drain rings and read counters this often: counter track resolution */
/* A launched program asked to stop (a second ^C, a write error) gets this long before SIGKILL:
 * time to clean up, as after a ^C, but the recording cannot wait for it forever. */
#define HWT_GRACE_NS 2000000000ull
/* A recorder killed with SIGKILL loses at most the last HWT_LOSS_MS (README; `make bench` kills
 * it 20 times and reports the worst). What it loses: what waits in a ring (up to HWT_POLL_MS),
 * the open chunk (cut HWT_FLUSH_MS after its first record) and the writer's compressing and
 * writing it (a few ms). So the chunk is cut early enough for the sum to fit. */
#define HWT_LOSS_MS  200
#define HWT_FLUSH_MS (HWT_LOSS_MS - HWT_POLL_MS - 10)

/* ---- the recording --------------------------------------------------------------------- */

static volatile sig_atomic_t stop_signal;  /* the last stop signal received */
static volatile sig_atomic_t stop_signals; /* how many: 1 passes it on, 2 stops, 3 ends at once */
static volatile sig_atomic_t snapshot_signals; /* SIGUSR2 received while recording */

static void on_signal(int sig)
{
	stop_signal = sig;
	stop_signals++;
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
	cfg->output_fd = -1;
}

/* What ends the recording, besides an error. */
struct ends {
	pid_t child;	   /* the launched program, -1 if none: a stop signal is passed on to it */
	const int *pids;   /* the launched program, or the processes attached */
	int *pidfds;	   /* one per pid: readable when it exits; -1 if pidfd_open failed */
	int npids;	   /* 0: recorded until a stop signal or the deadline (record -a) */
	uint64_t deadline; /* hwt_mono_ns() when --duration is over; 0: none */
	int exited;	   /* out: the target is gone (a launched one is not reaped yet) */
	int timed_out;	   /* out: --duration ended it */
	int nsignals;	   /* stop signals handled */
	uint64_t kill_at;  /* hwt_mono_ns() when what still runs of a launched tree gets SIGKILL */
	int failed;	   /* a write error: the target is being stopped, nothing more recorded */
	int tree;	   /* out: the launched program exited, processes it started ran on */
	int reaped;	   /* out: the launched program was reaped early, its status in @status */
	int status;	   /* its wait status then */
	uint64_t launched_exit; /* hwt_mono_ns() when the launched program was seen gone */
	uint64_t start;		/* hwt_mono_ns() when it was let run */
	int killed;		/* a third stop signal sent it SIGKILL and ended the recording */
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

/* The pid stop signals go to: the launched program while it is not reaped (the tree's other
 * processes are this process' children, see hwt_tree_signal()). */
static pid_t launched_pid(const struct ends *e)
{
	return e->reaped ? -1 : e->child;
}

/* Stop signals received since the last round. Processes attached to run on: the first ends the
 * recording. A launched program gets the first passed on (^C reaches it through the terminal
 * too; kill() covers the signals sent to the recorder alone); the second stops its tree (SIGTERM,
 * SIGKILL after HWT_GRACE_NS, like perf's second ^C); the third, or any after a write error, kills
 * what runs and ends the recording at once. Returns 1 when the recording ends now. */
static int stop_signalled(struct hwt_host *h, struct ends *e)
{
	int stop = 0;

	while (!stop && e->nsignals < stop_signals) {
		int n = ++e->nsignals, sig = stop_signal;
		if (n == 1)
			h->end.stopped_by = (uint32_t)sig;
		if (e->child <= 0)
			stop = 1;
		else if (n == 1 && !e->failed)
			hwt_tree_signal(launched_pid(e), sig);
		else if (n == 2 && !e->failed) {
			hwt_tree_signal(launched_pid(e), SIGTERM);
			e->kill_at = hwt_mono_ns() + HWT_GRACE_NS;
		} else {
			hwt_tree_signal(launched_pid(e), SIGKILL);
			e->killed = stop = 1;
		}
	}
	return stop;
}

/* A write error: the recording cannot go on. A launched program would run on unrecorded: it is
 * stopped as ^C would (SIGINT, then SIGKILL after HWT_GRACE_NS, its tree too) and waited for, the
 * rings left alone meanwhile. Processes attached to run on (-p promises it): returns 1, the
 * recording ends now. */
static int write_failed(struct ends *e, int err, struct pollfd *rings, int nrings)
{
	e->failed = err;
	if (e->child <= 0)
		return 1;
	hwt_tree_signal(launched_pid(e), SIGINT);
	e->kill_at = hwt_mono_ns() + HWT_GRACE_NS;
	for (int i = 0; i < nrings; i++)
		rings[i].fd = -1;
	return 0;
}

/* One round of recording: drains the rings, reads the counters, lets the plugins poll and flushes
 * the store. The round holds the host: plugins' poll threads wait to write into it. */
static int record_round(struct hwt_host *h, uint64_t *last_read)
{
	hwt_host_lock(h);
	int err = hwt_rec_drain_all(h);
	uint64_t now = hwt_mono_ns();
	if (!err && now - *last_read >= HWT_POLL_MS * 1000000ull) {
		err = hwt_rec_read_counters(h);
		*last_read = now;
	}
	if (!err)
		hwt_plugins_poll(h);
	if (!err)
		err = hwt_host_custom_flush(h);
	if (!err)
		err = hwt_store_flush(h->store, 0);
	hwt_host_unlock(h);
	return err;
}

/* The launched program is gone: the end, unless processes it started run on (a daemon, whose
 * parent exited): then it is reaped now and the recording follows them until the last is gone. */
static void launched_ended(struct ends *e)
{
	if (!hwt_tree_others(e->child)) {
		e->exited = 1;
		return;
	}
	while (waitpid(e->child, &e->status, 0) < 0 && errno == EINTR)
		;
	e->reaped = e->tree = 1;
	e->launched_exit = hwt_mono_ns();
}

/* Marks the pids of @e seen gone this round (@fds: their pollfds, @n: what poll() returned);
 * sets e->exited once all are. */
static void check_ends(struct hwt_host *h, struct ends *e, struct pollfd *fds, int n, int *gone)
{
	if (e->tree) {
		if (hwt_tree_reap(e->child, NULL))
			e->exited = 1;
	}
	for (int k = 0; k < e->npids && !e->tree; k++) {
		struct pollfd *p = &fds[k];
		if (p->fd == -2 || !pid_ended(e, k, n > 0 && (p->revents & POLLIN)))
			continue;
		p->fd = -2; /* -2: seen gone (poll() skips any negative fd) */
		if (e->child > 0)
			launched_ended(e);
		else
			(*gone)++;
	}
	if (e->npids && *gone == e->npids)
		e->exited = 1;
	if (e->exited)
		atomic_store(&h->target_exited, 1);
}

static int run_loop(struct hwt_host *h, struct ends *e)
{
	struct pollfd *fds = calloc((size_t)h->nrings + (size_t)e->npids + 1, sizeof(*fds));
	int err = 0, stop = 0, gone = 0;
	uint64_t last_read = 0;

	if (!fds)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nrings; i++)
		fds[i] = (struct pollfd){ .fd = h->rings[i].fd, .events = POLLIN };
	for (int k = 0; k < e->npids; k++)
		fds[h->nrings + k] = (struct pollfd){ .fd = e->pidfds[k], .events = POLLIN };
	while (!e->exited && !stop) {
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
		stop = stop_signalled(h, e);
		if (!e->failed && (err = record_round(h, &last_read)))
			stop |= write_failed(e, err, fds, h->nrings);
		check_ends(h, e, fds + h->nrings, n, &gone);
		uint64_t now = hwt_mono_ns();
		if (e->kill_at && now >= e->kill_at && !e->exited) {
			hwt_tree_signal(launched_pid(e), SIGKILL);
			e->kill_at = 0;
		}
		if (e->deadline && now >= e->deadline && !e->exited && !e->failed)
			e->timed_out = stop = 1;
	}
	free(fds);
	return e->failed ? e->failed : err;
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
	struct hwt_rec_output out;	  /* the output file */
	int stuck;			  /* a plugin hangs in poll(): the host stays allocated */
	struct sigaction old[6];	  /* of caught[] */
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
	int fd = cfg->output_fd >= 0
			 ? hwt_rec_output_adopt(&r->out, cfg->output_fd, cfg->output, why, whylen)
			 : hwt_rec_output_open(&r->out, cfg->output, cfg->anonymous, why, whylen);
	if (fd < 0)
		return fd;
	if (cfg->anonymous && (r->out.keep_fd = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
		close(fd);
		return hwt_fail(why, whylen, HWT_E_IO, "cannot write '%s': %s", cfg->output,
				strerror(errno));
	}
	struct hwt_store_writer_config wcfg;
	hwt_store_writer_config_init(&wcfg);
	wcfg.flush_ms = HWT_FLUSH_MS;
	r->h->store = hwt_store_writer_open(fd, &wcfg, &err);
	if (!r->h->store) {
		snprintf(why, whylen, "cannot write '%s': %s", cfg->output,
			 err == HWT_E_NOMEM ? hwt_errstr(err) : strerror(errno));
		hwt_rec_output_drop(&r->out);
	} else if (cfg->on_output && cfg->output_fd < 0) {
		cfg->on_output(cfg->output_ctx, fd);
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
	if (!cfg->ring_fixed)
		hwt_host_fit_rings(r->h, r->target.ncpus);
	if (cfg->argv) {
		/* Orphans of the program's processes (a daemon whose parent exited) become ours:
		 * they are recorded, and waited for, until the last exits. */
		hwt_tree_adopt();
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
	uint64_t t0 = hwt_mono_ns();
	if (!err) {
		hwt_record_write_meta(r->h, cfg, r->launched ? r->target.pid : 0);
		err = start_plugins(r, &r->target, why, whylen);
	}
	if (err)
		return err;
	err = hwt_record_write_events(r->h);
	if (!err && (cfg->npids || cfg->system_wide) && !r->launched)
		err = hwt_attach_synthesize(r->h, cfg->pids, cfg->npids ? cfg->npids : -1, t0);
	else if (!err && cfg->system_wide)
		err = hwt_attach_synthesize(r->h, NULL, -1, t0);
	if (err < 0)
		return hwt_fail(why, whylen, err, "cannot write '%s': %s", cfg->output,
				hwt_errstr(err));
	return hwt_rec_output_name(&r->out, why, whylen);
}

/* The signals caught while recording. SIGINT, SIGTERM and SIGHUP (the terminal closed) stop it
 * (stop_signalled()); SIGUSR2 asks for a snapshot; SIGUSR1 is ignored (sent to the recorder by
 * mistake, it must not kill it without an end chunk while the target runs on); SIGPIPE is ignored:
 * writing to a closed pipe fails with EPIPE, handled as any write error. */
static const int caught[6] = { SIGINT, SIGTERM, SIGHUP, SIGUSR2, SIGUSR1, SIGPIPE };

static void catch_signals(struct recording *r)
{
	stop_signal = 0;
	stop_signals = 0;
	snapshot_signals = 0;
	for (int i = 0; i < 6; i++) {
		struct sigaction sa = { .sa_handler = i < 3    ? on_signal
						      : i == 3 ? on_snapshot_signal
							       : SIG_IGN };
		sigemptyset(&sa.sa_mask);
		sigaction(caught[i], &sa, &r->old[i]);
	}
}

static void restore_signals(struct recording *r)
{
	for (int i = 0; i < 6; i++)
		sigaction(caught[i], &r->old[i], NULL);
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
	e->start = hwt_mono_ns();
	if (cfg->duration_ns)
		e->deadline = e->start + cfg->duration_ns;
	return 0;
}

/* Says in the recording that it followed the processes the launched program left running. */
static void note_tree(struct recording *r)
{
	const struct ends *e = &r->ends;
	double ran = (e->launched_exit - e->start) / 1e9;

	if (!e->tree)
		return;
	if (e->exited)
		hwt_host_note(r->h,
			      "the program exited %.3f s into the recording; processes it started "
			      "ran on and were recorded until the last exited, %.3f s later",
			      ran, (hwt_mono_ns() - e->launched_exit) / 1e9);
	else
		hwt_host_note(r->h,
			      "the program exited %.3f s into the recording; processes it started "
			      "were recorded until the recording stopped, %.3f s later",
			      ran, (hwt_mono_ns() - e->launched_exit) / 1e9);
}

/* The error of a recording that failed with @err: a write error names the file and the errno
 * (@sys_errno) and says what was kept. */
static void say_failure(struct recording *r, int err, int sys_errno, int ended, char *why,
			size_t whylen)
{
	const char *out = r->cfg->output;
	const char *stopped = r->launched && r->ends.failed ? "; the program was stopped" : "";

	if (!sys_errno)
		snprintf(why, whylen, "writing '%s' failed: %s", out, hwt_errstr(err));
	else if (r->cfg->anonymous || !r->out.named)
		snprintf(why, whylen, "writing '%s': %s%s; nothing was written", out,
			 strerror(sys_errno), stopped);
	else
		snprintf(why, whylen, "writing '%s': %s%s; the recording is kept up to then%s", out,
			 strerror(sys_errno), stopped,
			 ended ? "" : " (hwtrace info says where it stops)");
}

/* The target is gone (@r->ends.exited: a launched one seen dead, not reaped yet unless its tree
 * ran on), the recording was stopped (^C, --duration: attached processes and a launched program
 * run on), or it failed with @err: drains what is left (not after an error), stops the plugins,
 * reaps a launched program that ended and closes the store with the end record. After a write
 * error the file is cut back to its last whole chunk and the end record written if it fits.
 * Returns @err, or the first error of these steps. */
static int finish_recording(struct recording *r, int err, struct hwt_record_result *res, char *why,
			    size_t whylen)
{
	struct hwt_host *h = r->h;
	const struct ends *e = &r->ends;
	int status = e->status, exited = r->launched && (e->exited || e->reaped);
	int sys_errno = 0;

	if (err && r->launched && !e->failed && !e->exited && !e->reaped) {
		/* Failed before the loop could stop it (a plugin's thread): it must not run on. */
		hwt_tree_signal(launched_pid(e), SIGKILL);
		r->ends.exited = exited = 1;
	}
	/* Killed by a third ^C: it dies at once (unless stuck in the kernel), its status is said.
	 */
	for (int i = 0; e->killed && !exited && i < 100; i++) {
		siginfo_t si = { 0 };
		if (!waitid(P_PID, (id_t)r->l.pid, &si, WEXITED | WNOHANG | WNOWAIT) &&
		    si.si_pid == r->l.pid)
			exited = 1;
		else
			usleep(1000);
	}
	hwt_host_lock(h);
	if (!err)
		err = hwt_rec_drain_all(h);
	if (!err)
		hwt_plugins_poll(h);
	if (!err)
		err = hwt_rec_read_counters(h);
	hwt_host_unlock(h);
	/* Outside the lock: the poll threads' last polls write into the host. */
	r->stuck = hwt_plugins_stop(h);
	if (exited && !e->reaped)
		waitpid(r->l.pid, &status, 0);
	else if (r->launched && e->timed_out)
		res->running = r->l.pid; /* runs on: the caller waits for it */
	r->l.pid = -1;
	if (!err)
		err = hwt_host_custom_flush(h);
	note_tree(r);
	res->ndisabled += h->ndisabled;
	h->end.ts = hwt_mono_ns();
	/* No pid: nothing ended with the recording (attached, system-wide, or detached). */
	h->end.pid = exited ? r->target.pid : 0;
	h->end.exit_status = !exited ? 0 : WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	h->end.signal = exited && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	h->end.lost += hwt_rec_lost_total(h);
	/* After a write error, what waits is dropped and the file cut back to its last whole chunk:
	 * the END may fit in the room freed. */
	if ((sys_errno = hwt_store_writer_errno(h->store)) || err)
		hwt_store_writer_salvage(h->store);
	if (sys_errno) {
		/* In the recording only: the user reads it in the error line. */
		char msg[256];
		int n = snprintf(msg, sizeof(msg), "the recording stopped at a write error: %s%s",
				 strerror(sys_errno),
				 e->failed && r->launched ? "; the program was stopped" : "");
		hwt_store_write(h->store, HWT_CHUNK_NOTE, msg, (size_t)n);
	}
	int eerr = hwt_store_write(h->store, HWT_CHUNK_END, &h->end, sizeof(h->end));
	res->end = h->end;
	int cerr = hwt_store_writer_close(h->store);
	h->store = NULL;
	if (!err)
		err = eerr < 0 ? eerr : cerr;
	if (!sys_errno && cerr < 0)
		sys_errno = errno; /* the END chunk's own write error: close sets errno */
	if (err) {
		say_failure(r, err, sys_errno, eerr >= 0 && cerr >= 0, why, whylen);
		return err;
	}
	if (h->failed[0]) {
		snprintf(why, whylen, "%s", h->failed);
		if (!r->cfg->anonymous)
			hwt_rec_output_drop(&r->out); /* never a device or a FIFO */
		return HWT_E_NOENT;
	}
	struct stat st;
	if (r->cfg->anonymous ? !fstat(r->out.keep_fd, &st)
			      : !r->out.direct && !stat(r->cfg->output, &st))
		res->file_bytes = (uint64_t)st.st_size;
	return 0;
}

int hwt_record(const struct hwt_record_config *cfg, struct hwt_record_result *res, char *why,
	       size_t whylen)
{
	struct recording r = {
		.cfg = cfg,
		.l = { .pid = -1, .go_fd = -1, .err_fd = -1, .pidfd = -1 },
		.out = { .keep_fd = -1 },
	};
	int err, copies = cfg->npids > 1 ? cfg->npids : 1;

	memset(res, 0, sizeof(*res));
	res->fd = -1;
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
	r.h->api_ring_bytes = cfg->api_ring_bytes;
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
		hwt_record_write_proc_maps(r.h, r.target.pid);
	err = hwt_plugins_start_threads(r.h);
	if (!err)
		err = run_loop(r.h, &r.ends);
	restore_signals(&r);
	err = finish_recording(&r, err, res, why, whylen);
	if (!err && cfg->anonymous) {
		res->fd = r.out.keep_fd;
		r.out.keep_fd = -1;
	}
	goto out;

fail:
	hwt_launch_abort(&r.l);
	hwt_plugins_stop(r.h); /* the ones started before a later step failed; no thread yet */
	hwt_store_writer_close(r.h->store);
	r.h->store = NULL;
	hwt_rec_output_drop(&r.out);
out:
	if (r.out.keep_fd >= 0)
		close(r.out.keep_fd);
	hwt_launch_fini(&r.l);
	if (r.l.pidfd >= 0)
		close(r.l.pidfd);
	for (int k = 0; !r.launched && k < r.ends.npids; k++)
		if (r.ends.pidfds[k] >= 0)
			close(r.ends.pidfds[k]);
	if (!r.launched)
		free(r.ends.pidfds);
	hwt_progapi_free(r.h->api);
	/* A plugin stuck in poll() may still use the host and its target: those are left. */
	if (!r.stuck) {
		hwt_host_free(r.h);
		free(r.run);
		free(r.each); /* borrowed by the plugins until they stopped */
		free(r.tids);
	}
	if (!r.stuck || !r.each)
		free(exe_paths); /* the targets in r.each point into it */
	return err;
}

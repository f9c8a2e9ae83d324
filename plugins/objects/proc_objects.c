/* The object plugins `maps`, `fds` and `env`: what /proc says of the target and each of its
 * descendants, as snapshots on a process-scoped object track. maps: the memory map when the
 * process starts running its program, at each exec and when its set of mapped files changes
 * (dlopen, dlclose). fds: the open descriptors and what they point to, whenever that changes.
 * env: the command line and the environment variables named by `vars=`, at start and each exec;
 * nothing else of the environment. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "plugins/counters/proctree.h"

enum kind { K_MAPS, K_FDS, K_ENV };

enum { OPT_INTERVAL, OPT_VARS, OBJ_NOPTIONS };

static const struct hwt_option obj_options[OBJ_NOPTIONS] = {
	[OPT_INTERVAL] = { .name = "interval",
			   .type = HWT_OPT_DURATION,
			   .min = 100000,
			   .max = 60000000000,
			   .def = "10ms",
			   .help = "look at /proc this often (100us to 60s)" },
	[OPT_VARS] = { .name = "vars",
		       .type = HWT_OPT_LIST,
		       .arg = "NAME",
		       .help = "env: an environment variable to show (repeat it for more); "
			       "none: the command line alone" },
};

/* One process followed. */
struct oproc {
	int pid;
	int track; /* its object track, 0 until its program runs */
	dev_t dev; /* the executable it runs: a change is an exec */
	ino_t ino;
	uint64_t sum; /* what the last snapshot showed, hashed: an equal one is not shown */
};

struct objs {
	enum kind kind;
	struct hwt_host *h;
	const struct hwt_option_value *vars;
	struct hwt_proctree tree;
	struct oproc *procs;
	size_t nprocs, cap;
	dev_t self_dev; /* the recorder: the target runs it until exec */
	ino_t self_ino;
	struct hwt_args *args;
	char *buf; /* a whole /proc file */
	size_t cap_buf;
};

static uint64_t hash(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h;
}

/* Reads /proc/@pid/@name whole into o->buf; its length, or -1. */
static long slurp(struct objs *o, int pid, const char *name)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	FILE *f = fopen(path, "re");
	size_t n = 0;

	if (!f)
		return -1;
	for (;;) {
		if (n + 4096 > o->cap_buf) {
			size_t cap = o->cap_buf ? o->cap_buf * 2 : 65536;
			char *b = realloc(o->buf, cap);
			if (!b)
				break;
			o->buf = b;
			o->cap_buf = cap;
		}
		size_t got = fread(o->buf + n, 1, o->cap_buf - n - 1, f);
		n += got;
		if (!got)
			break;
	}
	fclose(f);
	o->buf[n] = 0;
	return (long)n;
}

/* maps: one entry per mapping; the hash covers the files mapped (not addresses of the heap). */
static uint64_t snap_maps(struct objs *o, int pid)
{
	long n = slurp(o, pid, "maps");
	uint64_t sum = 1469598103934665603ull;

	if (n < 0)
		return 0;
	hwt_args_list(o->args, "mappings");
	for (char *line = o->buf, *end; *line; line = end) {
		end = strchr(line, '\n');
		end = end ? end + 1 : line + strlen(line);
		unsigned long long lo, hi, off;
		char perms[8], path[4096] = "";
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %4095[^\n]", &lo, &hi, perms, &off,
			   path) < 4)
			continue;
		char range[64];
		snprintf(range, sizeof(range), "%llx-%llx", lo, hi);
		hwt_args_map(o->args, NULL);
		hwt_args_str(o->args, "range", range);
		hwt_args_str(o->args, "perms", perms);
		hwt_args_int(o->args, "offset", (int64_t)off);
		hwt_args_str(o->args, "path", path);
		hwt_args_end(o->args);
		if (path[0] == '/')
			sum = hash(hash(sum, path, strlen(path)), perms, strlen(perms));
	}
	hwt_args_end(o->args);
	return sum;
}

/* fds: descriptor -> what it points to, in descriptor order. */
static int fd_cmp(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static uint64_t snap_fds(struct objs *o, int pid)
{
	char path[64], target[4096];
	int fds[1024], nfds = 0;
	uint64_t sum = 1469598103934665603ull;
	struct dirent *e;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d)) && nfds < 1024)
		if (e->d_name[0] != '.')
			fds[nfds++] = atoi(e->d_name);
	closedir(d);
	qsort(fds, (size_t)nfds, sizeof(int), fd_cmp);
	hwt_args_map(o->args, "fds");
	for (int i = 0; i < nfds; i++) {
		char key[16];
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", pid, fds[i]);
		ssize_t n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue; /* closed meanwhile */
		target[n] = 0;
		snprintf(key, sizeof(key), "%d", fds[i]);
		hwt_args_str(o->args, key, target);
		sum = hash(hash(sum, key, strlen(key) + 1), target, (size_t)n + 1);
	}
	hwt_args_end(o->args);
	return sum;
}

/* env: argv and the variables asked for. Shown once per program (start, exec). */
static uint64_t snap_env(struct objs *o, int pid)
{
	long n = slurp(o, pid, "cmdline");

	if (n < 0)
		return 0;
	hwt_args_list(o->args, "argv");
	for (long i = 0; i < n; i += (long)strlen(o->buf + i) + 1)
		hwt_args_str(o->args, NULL, o->buf + i);
	hwt_args_end(o->args);
	if (!o->vars->n || (n = slurp(o, pid, "environ")) < 0)
		return 1;
	hwt_args_map(o->args, "env");
	for (size_t v = 0; v < o->vars->n; v++) {
		size_t len = strlen(o->vars->list[v]);
		for (long i = 0; i < n; i += (long)strlen(o->buf + i) + 1)
			if (!strncmp(o->buf + i, o->vars->list[v], len) &&
			    o->buf[i + (long)len] == '=')
				hwt_args_str(o->args, o->vars->list[v], o->buf + i + len + 1);
	}
	hwt_args_end(o->args);
	return 1;
}

static struct oproc *oproc(struct objs *o, int pid)
{
	for (size_t i = 0; i < o->nprocs; i++)
		if (o->procs[i].pid == pid)
			return &o->procs[i];
	return NULL;
}

static int proc_new(void *ctx, int pid)
{
	struct objs *o = ctx;

	if (o->nprocs == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 8;
		struct oproc *p = realloc(o->procs, cap * sizeof(*p));
		if (!p)
			return HWT_E_NOMEM;
		o->procs = p;
		o->cap = cap;
	}
	o->procs[o->nprocs++] = (struct oproc){ .pid = pid };
	return 0;
}

static void proc_gone(void *ctx, int pid)
{
	struct objs *o = ctx;
	struct oproc *p = oproc(o, pid);

	if (p)
		*p = o->procs[--o->nprocs];
}

/* Snapshots @p if its program runs and what it shows changed (or it exec'ed). */
static int look(struct objs *o, struct oproc *p, uint64_t now)
{
	static const char *const names[] = { "maps", "fds", "env" };
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", p->pid);
	if (stat(path, &st))
		return 0; /* gone, or a zombie */
	if (st.st_dev == o->self_dev && st.st_ino == o->self_ino)
		return 0; /* still the recorder's copy, before exec */
	int exec = st.st_dev != p->dev || st.st_ino != p->ino;
	p->dev = st.st_dev;
	p->ino = st.st_ino;
	if (!p->track) {
		p->track =
			hwt_host_object_track(o->h, names[o->kind], HWT_SCOPE_PROCESS, p->pid, 0);
		if (p->track < 0)
			return p->track;
	}
	if (o->kind == K_ENV && !exec)
		return 0;
	hwt_args_reset(o->args);
	uint64_t sum = o->kind == K_MAPS  ? snap_maps(o, p->pid)
		       : o->kind == K_FDS ? snap_fds(o, p->pid)
					  : snap_env(o, p->pid);
	if (!sum || (sum == p->sum && !exec))
		return 0;
	p->sum = sum;
	return hwt_host_object(o->h, p->track, now, o->args);
}

static int obj_poll(void *st, uint64_t now)
{
	struct objs *o = st;
	int err = hwt_proctree_scan(&o->tree);

	for (size_t i = 0; i < o->nprocs && err >= 0; i++)
		err = look(o, &o->procs[i], now);
	return err < 0 ? err : 0;
}

static int obj_start(enum kind kind, struct hwt_host *h, const struct hwt_target *t,
		     const struct hwt_option_value *opts, void **st)
{
	static const struct hwt_proctree_ops ops = { .proc_new = proc_new, .proc_gone = proc_gone };
	struct objs *o = calloc(1, sizeof(*o));
	struct stat self;

	if (!o)
		return HWT_E_NOMEM;
	*o = (struct objs){ .kind = kind, .h = h, .vars = &opts[OPT_VARS] };
	if (stat("/proc/self/exe", &self) == 0) {
		o->self_dev = self.st_dev;
		o->self_ino = self.st_ino;
	}
	int err = (o->args = hwt_args_new()) ? 0 : HWT_E_NOMEM;
	if (!err)
		err = hwt_proctree_init(&o->tree, t->pid, 1, &ops, o);
	if (!err)
		err = hwt_host_poll_interval(h, (uint64_t)opts[OPT_INTERVAL].i);
	if (err) {
		hwt_proctree_fini(&o->tree);
		hwt_args_free(o->args);
		free(o);
		return err;
	}
	*st = o;
	return 0;
}

static void obj_stop(void *st)
{
	struct objs *o = st;

	hwt_proctree_fini(&o->tree);
	hwt_args_free(o->args);
	free(o->procs);
	free(o->buf);
	free(o);
}

#define OBJ_PLUGIN(id, kind_, name_, summary_)                                \
	static int id##_start(struct hwt_host *h, const struct hwt_target *t, \
			      const struct hwt_option_value *opts, void **st) \
	{                                                                     \
		return obj_start(kind_, h, t, opts, st);                      \
	}                                                                     \
	const struct hwt_plugin hwt_plugin_##id = {                           \
		.abi = HWT_PLUGIN_ABI,                                        \
		.size = sizeof(struct hwt_plugin),                            \
		.kind = HWT_PLUGIN_OBJECT,                                    \
		.name = name_,                                                \
		.summary = summary_,                                          \
		.options = obj_options,                                       \
		.noptions = OBJ_NOPTIONS,                                     \
		.start = id##_start,                                          \
		.poll = obj_poll,                                             \
		.stop = obj_stop,                                             \
	}

OBJ_PLUGIN(maps, K_MAPS, "maps",
	   "each process's memory map when its program starts, at exec and at each dlopen");
OBJ_PLUGIN(fds, K_FDS, "fds",
	   "each process's open descriptors and what they point to, as they change");
OBJ_PLUGIN(env, K_ENV, "env",
	   "each program's command line and the environment variables named by vars=");

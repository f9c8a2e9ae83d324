/* Following the processes and threads of a traced program: each scan lists the task folder of
 * every process followed and reads the children file of each of its threads, and reports what
 * appeared and what went since the scan before. */
#include "proctree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "procfs.h"

struct hwt_proctree_proc {
	int pid;
	int taskfd; /* /proc/PID/task, open while the process is followed */
	uint32_t gen;
	int announced;
};

struct hwt_proctree_thread {
	int pid, tid;
	uint32_t gen;
	int childfd; /* its children file, kept open (one pread a scan); -1: not kept */
};

/* Children files kept open at most: beyond, they are opened for each read (the fds a process may
 * have are few, and the counters plugin needs some for each thread). */
#define KEEP_CHILDFDS 256

int hwt_proctree_init(struct hwt_proctree *t, int root, int follow,
		      const struct hwt_proctree_ops *ops, void *ctx)
{
	int created;

	if (!t || root <= 0 || !ops)
		return HWT_E_INVAL;
	memset(t, 0, sizeof(*t));
	t->ops = *ops;
	t->ctx = ctx;
	t->follow = follow;
	if (HWT_ARRAY_GROW(t->procs, &t->cap_procs, 1))
		return HWT_E_NOMEM;
	uint32_t *v = hwt_idmap_put(&t->proc_ids, (uint64_t)root, &created);
	if (!v)
		return HWT_E_NOMEM;
	*v = 1;
	t->procs[t->nprocs++] = (struct hwt_proctree_proc){ .pid = root, .taskfd = -1 };
	return 0;
}

/* A child @pid of a thread followed: a process to follow from now on, if it is new. */
static int add_child(void *ctx, int pid)
{
	struct hwt_proctree *t = ctx;
	int created;

	uint32_t *v = hwt_idmap_put(&t->proc_ids, (uint64_t)pid, &created);
	if (!v)
		return HWT_E_NOMEM;
	if (*v)
		return 0;
	if (HWT_ARRAY_GROW(t->procs, &t->cap_procs, t->nprocs + 1))
		return HWT_E_NOMEM;
	*v = 1;
	t->procs[t->nprocs++] = (struct hwt_proctree_proc){ .pid = pid, .taskfd = -1 };
	return 0;
}

/* Reads the children of threads[@k] and follows the new ones. A thread that is gone has no
 * children file: nothing to do, the listing tells it is gone. */
static int read_children(struct hwt_proctree *t, size_t k)
{
	struct hwt_proctree_thread *th = &t->threads[k];
	int fd = th->childfd;

	if (fd < 0) {
		fd = hwt_procfs_open(th->pid, th->tid, "children");
		if (fd < 0)
			return 0;
		if (t->nchildfds < KEEP_CHILDFDS) {
			th->childfd = fd;
			t->nchildfds++;
		}
	}
	long n = HWT_ARRAY_GROW(t->buf, &t->cap_buf, 4096)
			 ? HWT_E_NOMEM
			 : hwt_procfs_reread(fd, t->buf, t->cap_buf);
	/* A thread with more children than fit: read it all (ids only grow the text). */
	while (n == (long)t->cap_buf)
		n = HWT_ARRAY_GROW(t->buf, &t->cap_buf, t->cap_buf * 2)
			    ? HWT_E_NOMEM
			    : hwt_procfs_reread(fd, t->buf, t->cap_buf);
	if (fd != th->childfd)
		close(fd);
	if (n == HWT_E_NOMEM)
		return HWT_E_NOMEM;
	if (n <= 0)
		return 0;
	int err = hwt_procfs_parse_pids(t->buf, (size_t)n, add_child, t);
	return err == HWT_E_CORRUPT ? 0 : err < 0 ? err : 0;
}

/* Thread @tid of @pid is listed: marks it seen, announcing it when new, and with follow looks at
 * its children. */
static int see_thread(struct hwt_proctree *t, int pid, int tid)
{
	int created;
	uint32_t *v = hwt_idmap_put(&t->thread_ids, (uint64_t)tid, &created);

	if (!v)
		return HWT_E_NOMEM;
	if (!*v) {
		if (HWT_ARRAY_GROW(t->threads, &t->cap_threads, t->nthreads + 1))
			return HWT_E_NOMEM;
		if (t->ops.thread_new) {
			int err = t->ops.thread_new(t->ctx, pid, tid);
			if (err < 0)
				return err;
		}
		/* The hook may have grown nothing of ours, but look the slot up again anyway. */
		v = hwt_idmap_find(&t->thread_ids, (uint64_t)tid);
		t->threads[t->nthreads++] =
			(struct hwt_proctree_thread){ .pid = pid, .tid = tid, .childfd = -1 };
		*v = (uint32_t)t->nthreads;
	}
	t->threads[*v - 1].gen = t->gen;
	return t->follow ? read_children(t, *v - 1) : 0;
}

/* Lists the task folder of procs[i]: every thread is seen; the process is alive if any is. */
static int list_threads(struct hwt_proctree *t, size_t i)
{
	char buf[4096];
	int pid = t->procs[i].pid;

	if (t->procs[i].taskfd < 0) {
		int fd = hwt_procfs_open(pid, 0, "task");
		if (fd < 0)
			return 0; /* gone */
		t->procs[i].taskfd = fd;
	}
	int fd = t->procs[i].taskfd;
	if (lseek(fd, 0, SEEK_SET) < 0)
		return 0;
	for (;;) {
		ssize_t n = getdents64(fd, buf, sizeof(buf));
		if (n <= 0)
			return 0; /* the end, or the process is gone (ENOENT) */
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			off += d->d_reclen;
			char *end;
			long tid = strtol(d->d_name, &end, 10);
			if (*end || tid <= 0 || d->d_name[0] < '0' || d->d_name[0] > '9')
				continue;
			t->procs[i].gen = t->gen;
			int err = see_thread(t, pid, (int)tid);
			if (err < 0)
				return err;
		}
	}
}

/* Drops the threads and processes not seen by this scan, telling the hooks. */
static void drop_gone(struct hwt_proctree *t)
{
	size_t j = 0;

	for (size_t i = 0; i < t->nthreads; i++) {
		struct hwt_proctree_thread th = t->threads[i];
		uint32_t *v = hwt_idmap_find(&t->thread_ids, (uint64_t)th.tid);
		if (th.gen != t->gen) {
			if (t->ops.thread_gone)
				t->ops.thread_gone(t->ctx, th.pid, th.tid);
			if (th.childfd >= 0) {
				close(th.childfd);
				t->nchildfds--;
			}
			*v = 0;
			continue;
		}
		t->threads[j++] = th;
		*v = (uint32_t)j;
	}
	t->nthreads = j;
	j = 0;
	for (size_t i = 0; i < t->nprocs; i++) {
		struct hwt_proctree_proc p = t->procs[i];
		if (p.gen != t->gen) {
			if (p.announced && t->ops.proc_gone)
				t->ops.proc_gone(t->ctx, p.pid);
			if (p.taskfd >= 0)
				close(p.taskfd);
			*hwt_idmap_find(&t->proc_ids, (uint64_t)p.pid) = 0;
			continue;
		}
		t->procs[j++] = p;
	}
	t->nprocs = j;
}

int hwt_proctree_scan(struct hwt_proctree *t)
{
	if (!t || !t->procs)
		return HWT_E_INVAL;
	t->gen++;
	/* Children found on the way are appended and listed in the same scan. */
	for (size_t i = 0; i < t->nprocs; i++) {
		if (!t->procs[i].announced) {
			if (t->ops.proc_new) {
				int err = t->ops.proc_new(t->ctx, t->procs[i].pid);
				if (err < 0)
					return err;
			}
			t->procs[i].announced = 1;
		}
		int err = list_threads(t, i);
		if (err < 0)
			return err;
	}
	drop_gone(t);
	return (int)t->nprocs;
}

void hwt_proctree_fini(struct hwt_proctree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].taskfd >= 0)
			close(t->procs[i].taskfd);
	for (size_t i = 0; i < t->nthreads; i++)
		if (t->threads[i].childfd >= 0)
			close(t->threads[i].childfd);
	free(t->procs);
	free(t->threads);
	free(t->buf);
	hwt_idmap_fini(&t->thread_ids);
	hwt_idmap_fini(&t->proc_ids);
	memset(t, 0, sizeof(*t));
}

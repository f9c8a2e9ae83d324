/* Function entry/return probes through BPF: the maps, the program of uprobe_bpf_prog.c on
 * uprobe_multi links, and a ring buffer consumer of our own, all by raw bpf(2). */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "uprobe_bpf.h"
#include "uprobe_bpf_sys.h"
#include "hwtrace/error.h"
#include "core/target.h"
#include "core/util.h"

#define HWT_SEQ_THREADS	   65536      /* per-thread counters kept (LRU: dead threads go first) */
#define HWT_RING_MAX	   (1u << 30) /* bytes; our cap (max_entries is a u32) */
#define HWT_MULTI_MAX_CNT  (1u << 20) /* the kernel refuses more uprobes in one link */
#define HWT_DETACH_THREADS 15	      /* helpers closing links besides the caller */
#define HWT_ENOTSUPP	   524	      /* kernel-internal errno that uprobe registration leaks */

struct hwt_bpf_uprobes {
	int prog_fd, ring_fd, seq_fd, lost_fd;
	size_t ring_bytes, page;
	uint64_t *cons_pos;	  /* consumer page, read-write */
	const uint64_t *prod_pos; /* producer page, then the data pages mapped twice */
	const uint8_t *data;
	int *links;
	size_t nlinks, cap_links;
	int ncpus;
};

/* Fills @why with "what: errno text (hint)" and returns the hwt error for @e: the shared errno
 * mapping, plus the kernel-internal ENOTSUPP (524) that uprobe registration leaks, which no libc
 * knows: it means what EOPNOTSUPP does. */
static int bpf_fail(int e, char *why, size_t len, const char *what)
{
	const char *hint = "";

	switch (e) {
	case EPERM:
		hint = " (needs root, or CAP_BPF and CAP_PERFMON)";
		break;
	case ENOSYS:
		hint = " (kernel built without BPF)";
		break;
	case EOPNOTSUPP:
	case HWT_ENOTSUPP:
		hint = " (an instruction there cannot be probed)";
		break;
	}
	return hwt_fail(why, len, e == HWT_ENOTSUPP ? HWT_E_NOTSUP : hwt_error_from_errno(e),
			"%s: %s%s", what,
			e == HWT_ENOTSUPP ? "operation not supported" : strerror(e), hint);
}

static int map_create(uint32_t type, uint32_t key, uint32_t value, uint32_t max, const char *name)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = value;
	a.max_entries = max;
	snprintf(a.map_name, sizeof(a.map_name), "%s", name);
	return (int)sys_bpf(HWT_BPF_MAP_CREATE, &a, sizeof(a));
}

/* Number of possible CPUs: per-CPU map values come back as one slot for each. */
static int possible_cpus(void)
{
	char buf[256], *p = buf;
	int fd = open("/sys/devices/system/cpu/possible", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	int count = 0;

	if (fd < 0)
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return (int)sysconf(_SC_NPROCESSORS_CONF);
	buf[n] = 0;
	while (*p && *p != '\n') {
		char *end;
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			break;
		if (*end == '-')
			b = strtol(end + 1, &end, 10);
		count += (int)(b - a + 1);
		p = *end == ',' ? end + 1 : end;
	}
	return count > 0 ? count : 1;
}

struct hwt_bpf_uprobes *hwt_bpf_uprobes_open(size_t ring_bytes, int *err, char *why, size_t len)
{
	return hwt_bpf_uprobes_open_except(ring_bytes, 0, err, why, len);
}

struct hwt_bpf_uprobes *hwt_bpf_uprobes_open_except(size_t ring_bytes, uint32_t ignore_tgid,
						    int *err, char *why, size_t len)
{
	struct hwt_bpf_uprobes *u;
	char what[256];
	int dummy, e;
	void *p;

	if (!err)
		err = &dummy;
	if (why && len)
		why[0] = 0;
	u = calloc(1, sizeof(*u));
	if (!u) {
		*err = hwt_fail(why, len, HWT_E_NOMEM, "out of memory");
		return NULL;
	}
	u->prog_fd = u->ring_fd = u->seq_fd = u->lost_fd = -1;
	u->page = (size_t)sysconf(_SC_PAGESIZE);
	if (ring_bytes < u->page || ring_bytes > HWT_RING_MAX || (ring_bytes & (ring_bytes - 1))) {
		*err = hwt_fail(
			why, len, HWT_E_INVAL,
			"BPF ring buffer of %zu bytes: must be a power of two from %zu to %u",
			ring_bytes, u->page, HWT_RING_MAX);
		free(u);
		return NULL;
	}
	u->ring_bytes = ring_bytes;
	u->ncpus = possible_cpus();

	u->ring_fd = map_create(HWT_MAP_TYPE_RINGBUF, 0, 0, (uint32_t)ring_bytes, "hwt_ring");
	if (u->ring_fd < 0) {
		*err = bpf_fail(errno, why, len, "bpf(BPF_MAP_CREATE) of the ring buffer");
		goto fail;
	}
	u->seq_fd = map_create(HWT_MAP_TYPE_LRU_HASH, 4, 4, HWT_SEQ_THREADS, "hwt_seq");
	if (u->seq_fd < 0) {
		*err = bpf_fail(errno, why, len, "bpf(BPF_MAP_CREATE) of the thread counters");
		goto fail;
	}
	u->lost_fd = map_create(HWT_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1, "hwt_lost");
	if (u->lost_fd < 0) {
		*err = bpf_fail(errno, why, len, "bpf(BPF_MAP_CREATE) of the lost counter");
		goto fail;
	}

	u->prog_fd = hwt_bpf_prog_load(u->seq_fd, u->ring_fd, u->lost_fd, ignore_tgid, what,
				       sizeof(what));
	if (u->prog_fd < 0) {
		e = errno;
		if (e == EACCES) {
			/* EACCES is the verifier's no; EPERM the missing privilege */
			*err = hwt_fail(why, len, HWT_E_NOTSUP,
					"%s: refused by the kernel's verifier", what);
		} else {
			*err = bpf_fail(e, why, len, what);
			if (e == EINVAL && why && len)
				snprintf(why + strlen(why), len - strlen(why),
					 " (uprobe_multi programs need Linux 6.6 or later)");
		}
		goto fail;
	}

	p = mmap(NULL, u->page, PROT_READ | PROT_WRITE, MAP_SHARED, u->ring_fd, 0);
	if (p == MAP_FAILED) {
		*err = bpf_fail(errno, why, len, "mmap of the ring buffer consumer page");
		goto fail;
	}
	u->cons_pos = p;
	/* producer page, then the data twice in a row so no record ever wraps */
	p = mmap(NULL, u->page + 2 * ring_bytes, PROT_READ, MAP_SHARED, u->ring_fd, (off_t)u->page);
	if (p == MAP_FAILED) {
		*err = bpf_fail(errno, why, len, "mmap of the ring buffer data");
		goto fail;
	}
	u->prod_pos = p;
	u->data = (const uint8_t *)p + u->page;
	*err = 0;
	return u;
fail:
	hwt_bpf_uprobes_close(u);
	return NULL;
}

static int links_add(struct hwt_bpf_uprobes *u, int fd)
{
	if (u->nlinks == u->cap_links) {
		size_t cap = u->cap_links ? 2 * u->cap_links : 8;
		int *l = realloc(u->links, cap * sizeof(*l));

		if (!l)
			return HWT_E_NOMEM;
		u->links = l;
		u->cap_links = cap;
	}
	u->links[u->nlinks++] = fd;
	return 0;
}

/* Checks @path and @off[0..n) before the kernel sees them, to say which offset is wrong. */
static int target_check(const char *path, const uint64_t *off, size_t n, char *why, size_t len)
{
	struct stat st;
	char what[512];

	if (n > HWT_MULTI_MAX_CNT)
		return hwt_fail(why, len, HWT_E_INVAL,
				"attach to %s: more than %u probes in one link", path,
				HWT_MULTI_MAX_CNT);
	if (stat(path, &st) < 0) {
		snprintf(what, sizeof(what), "cannot probe '%s'", path);
		return bpf_fail(errno, why, len, what);
	}
	if (!S_ISREG(st.st_mode))
		return hwt_fail(why, len, HWT_E_INVAL, "cannot probe '%s': not a regular file",
				path);
	for (size_t i = 0; i < n; i++) {
		if (off[i] >= (uint64_t)st.st_size)
			return hwt_fail(
				why, len, HWT_E_INVAL,
				"cannot probe '%s' at offset %#llx (probe %zu): past the end "
				"of the file (%lld bytes)",
				path, (unsigned long long)off[i], i, (long long)st.st_size);
	}
	return 0;
}

int hwt_bpf_probes_add(struct hwt_bpf_probes *p, uint64_t off, uint64_t cookie)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		uint64_t *o = realloc(p->off, cap * sizeof(*o));
		if (o)
			p->off = o;
		uint64_t *c = realloc(p->cookie, cap * sizeof(*c));
		if (c)
			p->cookie = c;
		if (!o || !c)
			return HWT_E_NOMEM;
		p->cap = cap;
	}
	p->off[p->n] = off;
	p->cookie[p->n++] = cookie;
	return 0;
}

void hwt_bpf_probes_fini(struct hwt_bpf_probes *p)
{
	free(p->off);
	free(p->cookie);
}

int hwt_bpf_uprobes_attach_probes(struct hwt_bpf_uprobes *u, const char *path, const uint64_t *off,
				  const uint64_t *cookies, size_t n, int ret, char *why, size_t len)
{
	struct hwt_link_create_uprobe_multi a;
	char what[512];
	int fd, err;

	if (why && len)
		why[0] = 0;
	if (!u || !path || !*path || !off || !cookies || !n)
		return hwt_fail(why, len, HWT_E_INVAL, "attach: no file, offsets or cookies given");
	err = target_check(path, off, n, why, len);
	if (err < 0)
		return err;
	memset(&a, 0, sizeof(a));
	a.prog_fd = (uint32_t)u->prog_fd;
	a.attach_type = HWT_TRACE_UPROBE_MULTI;
	a.path = (uint64_t)(uintptr_t)path;
	a.offsets = (uint64_t)(uintptr_t)off;
	a.cookies = (uint64_t)(uintptr_t)cookies;
	a.cnt = (uint32_t)n;
	a.multi_flags = ret ? HWT_F_UPROBE_MULTI_RETURN : 0;
	fd = (int)sys_bpf(HWT_BPF_LINK_CREATE, &a, sizeof(a));
	if (fd < 0) {
		int e = errno;

		snprintf(what, sizeof(what), "bpf(BPF_LINK_CREATE) of %zu uprobe_multi %s on '%s'",
			 n, ret ? "return probes" : "probes", path);
		err = bpf_fail(e, why, len, what);
		if (e == EINVAL && why && len)
			snprintf(why + strlen(why), len - strlen(why),
				 " (uprobe_multi links need Linux 6.6 or later)");
		return err;
	}
	if (links_add(u, fd) < 0) {
		close(fd);
		return hwt_fail(why, len, HWT_E_NOMEM, "out of memory");
	}
	return (int)n;
}

int hwt_bpf_uprobes_attach(struct hwt_bpf_uprobes *u, const char *path, const uint64_t *entry_off,
			   const uint64_t *ret_off, const uint32_t *ids, size_t n, char *why,
			   size_t len)
{
	uint64_t *cookies;
	int rc = 0, total = 0;

	if (why && len)
		why[0] = 0;
	if (!u || !path || !*path || !ids || !n || (!entry_off && !ret_off))
		return hwt_fail(why, len, HWT_E_INVAL, "attach: no file, offsets or ids given");
	/* both sets checked first, so a bad return offset leaves no entry link behind */
	if ((entry_off && (rc = target_check(path, entry_off, n, why, len)) < 0) ||
	    (ret_off && (rc = target_check(path, ret_off, n, why, len)) < 0))
		return rc;
	cookies = malloc(n * sizeof(*cookies));
	if (!cookies)
		return hwt_fail(why, len, HWT_E_NOMEM, "out of memory");
	if (entry_off) {
		for (size_t i = 0; i < n; i++)
			cookies[i] = hwt_uprobe_cookie(ids[i], 0);
		rc = hwt_bpf_uprobes_attach_probes(u, path, entry_off, cookies, n, 0, why, len);
		total += rc > 0 ? rc : 0;
	}
	if (rc >= 0 && ret_off) {
		for (size_t i = 0; i < n; i++)
			cookies[i] = hwt_uprobe_cookie(ids[i], HWT_UPROBE_RETURN);
		rc = hwt_bpf_uprobes_attach_probes(u, path, ret_off, cookies, n, 1, why, len);
		if (rc < 0 && total) /* nothing stays attached: drop the entry link again */
			close(u->links[--u->nlinks]);
		total += rc > 0 ? rc : 0;
	}
	free(cookies);
	return rc < 0 ? rc : total;
}

int hwt_bpf_uprobes_consume(struct hwt_bpf_uprobes *u,
			    int (*fn)(const struct hwt_uprobe_rec *r, void *ctx), void *ctx)
{
	uint64_t cons, prod, mask;
	int count = 0, rc = 0;

	if (!u || !fn)
		return HWT_E_INVAL;
	mask = u->ring_bytes - 1;
	cons = __atomic_load_n(u->cons_pos, __ATOMIC_RELAXED);
	prod = __atomic_load_n(u->prod_pos, __ATOMIC_ACQUIRE);
	while (cons < prod && rc >= 0) {
		const uint32_t *hdr = (const uint32_t *)(u->data + (cons & mask));
		uint32_t hlen = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		uint32_t rlen = hlen & ~(HWT_RINGBUF_BUSY | HWT_RINGBUF_DISCARD);

		if (hlen & HWT_RINGBUF_BUSY)
			break; /* reserved, not yet submitted: later records wait behind it */
		if (!(hlen & HWT_RINGBUF_DISCARD) && rlen >= sizeof(struct hwt_uprobe_rec)) {
			count++;
			rc = fn((const struct hwt_uprobe_rec *)(hdr + 2), ctx);
		}
		cons += (rlen + HWT_RINGBUF_HDR_SIZE + 7) & ~(uint64_t)7;
		/* hand space back now and then, so the producer need not wait for the whole batch
		 */
		if (!(count & 63))
			__atomic_store_n(u->cons_pos, cons, __ATOMIC_RELEASE);
		if (cons >= prod)
			prod = __atomic_load_n(u->prod_pos, __ATOMIC_ACQUIRE);
	}
	__atomic_store_n(u->cons_pos, cons, __ATOMIC_RELEASE);
	return rc < 0 ? rc : count;
}

uint64_t hwt_bpf_uprobes_lost(const struct hwt_bpf_uprobes *u)
{
	union bpf_attr a;
	uint32_t key = 0;
	uint64_t *vals, sum = 0;

	if (!u || u->lost_fd < 0)
		return 0;
	vals = calloc((size_t)u->ncpus, sizeof(*vals));
	if (!vals)
		return 0;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)u->lost_fd;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)vals;
	if (sys_bpf(HWT_BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) == 0)
		for (int c = 0; c < u->ncpus; c++)
			sum += vals[c];
	free(vals);
	return sum;
}

int hwt_bpf_uprobes_fd(const struct hwt_bpf_uprobes *u)
{
	return u ? u->ring_fd : -1;
}

int hwt_bpf_uprobes_thread_seq(const struct hwt_bpf_uprobes *u, uint32_t tid, uint32_t *seq)
{
	union bpf_attr a;

	if (!u || !seq)
		return HWT_E_INVAL;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)u->seq_fd;
	a.key = (uint64_t)(uintptr_t)&tid;
	a.value = (uint64_t)(uintptr_t)seq;
	if (sys_bpf(HWT_BPF_MAP_LOOKUP_ELEM, &a, sizeof(a)) < 0)
		return hwt_error_from_errno(errno); /* ENOENT: no counter for @tid */
	return 0;
}

int hwt_bpf_uprobes_forget_thread(struct hwt_bpf_uprobes *u, uint32_t tid)
{
	union bpf_attr a;

	if (!u)
		return HWT_E_INVAL;
	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)u->seq_fd;
	a.key = (uint64_t)(uintptr_t)&tid;
	if (sys_bpf(HWT_BPF_MAP_DELETE_ELEM, &a, sizeof(a)) < 0)
		return hwt_error_from_errno(errno); /* ENOENT: no counter for @tid */
	return 0;
}

/* Links closed by several threads at once: each close waits for RCU grace periods of its own,
 * and concurrent closes share them (two links: ~45 ms instead of ~70 ms here). */
struct hwt_link_closer {
	const int *links;
	size_t n, next;
};

static void *links_close(void *arg)
{
	struct hwt_link_closer *c = arg;
	size_t i;

	while ((i = __atomic_fetch_add(&c->next, 1, __ATOMIC_RELAXED)) < c->n)
		close(c->links[i]);
	return NULL;
}

int64_t hwt_bpf_uprobes_detach(struct hwt_bpf_uprobes *u)
{
	struct hwt_link_closer c;
	pthread_t th[HWT_DETACH_THREADS];
	struct timespec t0, t1;
	size_t nth = 0;

	if (!u)
		return HWT_E_INVAL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* closing the last reference to a link unregisters its uprobes before close() returns */
	c.links = u->links;
	c.n = u->nlinks;
	c.next = 0;
	while (nth + 1 < c.n && nth < HWT_DETACH_THREADS &&
	       pthread_create(&th[nth], NULL, links_close, &c) == 0)
		nth++;
	links_close(&c);
	while (nth)
		pthread_join(th[--nth], NULL);
	u->nlinks = 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000 + (t1.tv_nsec - t0.tv_nsec);
}

int hwt_bpf_uprobes_detach_background(struct hwt_bpf_uprobes *u)
{
	if (!u)
		return HWT_E_INVAL;
	/* A child inherits the links and drops the last references while we go on: closing ours
	 * then costs nothing. Only close() and _exit() run in the child: the parent has threads,
	 * and anything that allocates could deadlock there. */
	int lock = u->nlinks ? hwt_cleanup_hold() : -1;
	pid_t pid = u->nlinks ? fork() : -1;
	if (pid == 0) {
		/* Keep nothing but the links: not the caller's terminal or pipes (a shell reading
		 * our output would wait for us), not its files. */
		int top = 1024;
		for (size_t i = 0; i < u->nlinks; i++)
			top = u->links[i] >= top ? u->links[i] + 1 : top;
		for (int fd = 0; fd < top; fd++) {
			int keep = 0;
			keep = fd == lock;
			for (size_t i = 0; i < u->nlinks && !keep; i++)
				keep = u->links[i] == fd;
			if (!keep)
				close(fd);
		}
		for (size_t i = 0; i < u->nlinks; i++)
			close(u->links[i]);
		_exit(0); /* the lock goes with the last descriptor */
	}
	if (lock >= 0)
		close(lock);
	if (pid < 0)
		return (int)(hwt_bpf_uprobes_detach(u) < 0 ? HWT_E_IO : 0);
	hwt_tree_helper(pid); /* not a process of the traced program's tree */
	for (size_t i = 0; i < u->nlinks; i++)
		close(u->links[i]);
	u->nlinks = 0;
	return 1;
}

void hwt_bpf_uprobes_close(struct hwt_bpf_uprobes *u)
{
	if (!u)
		return;
	hwt_bpf_uprobes_detach(u);
	free(u->links);
	if (u->prod_pos)
		munmap((void *)u->prod_pos, u->page + 2 * u->ring_bytes);
	if (u->cons_pos)
		munmap(u->cons_pos, u->page);
	if (u->prog_fd >= 0)
		close(u->prog_fd);
	if (u->ring_fd >= 0)
		close(u->ring_fd);
	if (u->seq_fd >= 0)
		close(u->seq_fd);
	if (u->lost_fd >= 0)
		close(u->lost_fd);
	free(u);
}

/* What hwt_bpf_uprobes_probe() attaches to: never called. */
__attribute__((noinline, used)) static int hwt_bpf_probe_point(int x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int hwt_bpf_self_file_offset(const void *addr, char *path, size_t plen, uint64_t *off)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[4096 + 128];
	uint64_t a = (uint64_t)(uintptr_t)addr;
	int found = 0;

	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		int pos = 0;

		if (sscanf(line, "%llx-%llx %*s %llx %*s %*s %n", &start, &end, &pgoff, &pos) < 3 ||
		    !pos || a < start || a >= end)
			continue;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, plen, "%s", line + pos);
		*off = a - start + pgoff;
		found = path[0] == '/';
	}
	fclose(f);
	return found ? 0 : -1;
}

int hwt_bpf_uprobes_probe(char *why, size_t len)
{
	struct hwt_bpf_uprobes *u;
	char path[4096], msg[512];
	uint64_t off;
	uint32_t id = 0;
	int err, rc;

	u = hwt_bpf_uprobes_open((size_t)sysconf(_SC_PAGESIZE), &err, msg, sizeof(msg));
	if (!u)
		return hwt_fail(why, len, 0, "BPF uprobes unavailable: %s", msg);
	if (hwt_bpf_self_file_offset((const void *)hwt_bpf_probe_point, path, sizeof(path), &off) <
	    0) {
		hwt_bpf_uprobes_close(u);
		return hwt_fail(why, len, 0,
				"BPF uprobes unavailable: this program's own file is not mapped");
	}
	rc = hwt_bpf_uprobes_attach(u, path, &off, &off, &id, 1, msg, sizeof(msg));
	hwt_bpf_uprobes_close(u);
	if (rc < 0)
		return hwt_fail(why, len, 0, "BPF uprobes unavailable: %s", msg);
	if (why && len)
		why[0] = 0;
	return 1;
}

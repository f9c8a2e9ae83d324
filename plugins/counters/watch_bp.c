/* The `watch` plugin's mode=write: a hardware write breakpoint per CPU on the variable, its own
 * rings, and the value of each write taken from the sample (the store's source register). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <elfutils/libdw.h>
#include <libelf.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>

#include "hwtrace/error.h"
#include "core/elffuncs.h"
#include "core/util.h"
#include "plugins/counters/watch_bp.h"

#define BP_RING_PAGES  256	  /* data pages per CPU: ~5000 samples between drains */
#define BP_SMALL_PAGES 32	  /* when the mlock limit refuses that (not root) */
#define BP_HOLD_NS     5000000ull /* samples younger than this wait for the other CPUs' */
#define BP_MAX_CODE    65536	  /* a function longer than this is decoded backwards */
/* A value read back is the write's when no other write's sample comes this soon after the
 * read: the time from a store to its trap's timestamp is far shorter. */
#define BP_QUIET_NS 200000ull

struct bp_ring {
	int fd;
	struct perf_event_mmap_page *page;
	uint8_t *data;
	size_t size; /* data bytes */
};

/* A sample waiting to be put in time order. */
struct held {
	uint64_t ts, ip;
	uint64_t back_ts; /* when it was read back (0: not), right after the ring showed it */
	uint8_t back[8];  /* the variable then */
	uint64_t lost;	  /* not a sample: this many were lost (PERF_RECORD_LOST) */
	int exec;	  /* not a sample: the process exec'ed */
	uint32_t pid;
	int nregs; /* 0: the sample had no user registers */
	uint64_t regs[HWT_WATCH_NREGS];
};

/* A store decoded once per IP. */
struct cached {
	uint64_t ip;
	int n; /* the readings in .s (> 0), or why there are none (< 0) */
	struct hwt_watch_store s[HWT_WATCH_MAX_READINGS];
};

#define BP_MAX_SEGS 16

/* A function: where decoding forward starts. */
struct func {
	uint64_t vaddr, size;
};

/* A mapped file's loadable segments and functions, read once: where decoding starts. */
struct code_file {
	char *path;
	int fd;
	struct hwt_watch_seg segs[BP_MAX_SEGS];
	int nsegs;
	struct func *funcs; /* by address */
	size_t nfuncs, cap_funcs;
	Elf *elf;	/* for its call frame information: the functions a stripped file */
	Dwarf_CFI *cfi; /* has no symbols for still have an FDE each; NULL if none */
};

struct hwt_watch_bp {
	int pid;
	uint64_t addr;
	size_t len;
	struct bp_ring *rings;
	int nrings;
	uint8_t cur[8]; /* the value now, when cur_known */
	int cur_known;
	uint64_t execs_after; /* an exec after this time runs another program */
	int execed;	      /* it did: nothing more is the variable's */
	struct held *held;
	size_t nheld, cap_held;
	struct cached *cache;
	size_t ncache, cap_cache;
	struct hwt_watch_bp_stats stats;
	char *maps; /* /proc/PID/maps as last read: code is found after the process is gone */
	struct code_file *files;
	size_t nfiles, cap_files;
};

static int read_maps(struct hwt_watch_bp *b);

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static int open_ring(struct hwt_watch_bp *b, int cpu, int before_exec, char *why, size_t whylen)
{
	struct perf_event_attr a = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(a),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = b->addr,
		.bp_len = b->len,
		.sample_period = 1,
		.sample_type =
			PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_REGS_USER,
		.sample_regs_user = hwt_watch_regs_mask(),
		.inherit = 1, /* threads and children made after it opened */
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.disabled = before_exec,
		.enable_on_exec = before_exec,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
		.watermark = 1,
		.wakeup_watermark = BP_SMALL_PAGES * 4096 / 2,
		.sample_id_all = 1, /* PERF_RECORD_LOST has a time: where values stop being known */
		.comm = 1,
		.comm_exec = 1, /* and an exec: where the program stops being the one watched */
	};
	int fd = (int)syscall(SYS_perf_event_open, &a, b->pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		if (errno == ENODEV)
			return 0; /* an offline CPU */
		int e = errno;
		snprintf(why, whylen,
			 "cannot set a write breakpoint on %zu bytes at 0x%llx (CPU %d): %s%s",
			 b->len, (unsigned long long)b->addr, cpu, strerror(e),
			 e == ENOSPC ? " (all 4 debug registers are taken)" : "");
		return hwt_error_from_errno(e);
	}
	size_t pages = BP_RING_PAGES, len = (size_t)page_size() * (1 + pages);
	void *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED && errno == EPERM) {
		pages = BP_SMALL_PAGES;
		len = (size_t)page_size() * (1 + pages);
		base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	if (base == MAP_FAILED) {
		snprintf(why, whylen, "cannot map the breakpoint's ring: %s", strerror(errno));
		close(fd);
		return HWT_E_NOMEM;
	}
	b->rings[b->nrings++] = (struct bp_ring){ fd, base, (uint8_t *)base + page_size(),
						  (size_t)page_size() * pages };
	return 0;
}

int hwt_watch_bp_fires(char *why, size_t whylen)
{
	static volatile uint64_t target;
	static int known, fires;
	static const char said[] = "hardware breakpoints never fire on this machine: one set on a "
				   "variable of hwtrace's "
				   "own counted 0 of 3 writes (a virtual machine that does not "
				   "pass the debug registers "
				   "to the CPU)";

	if (!known) {
		struct perf_event_attr a = {
			.type = PERF_TYPE_BREAKPOINT,
			.size = sizeof(a),
			.bp_type = HW_BREAKPOINT_W,
			.bp_addr = (uint64_t)(uintptr_t)&target,
			.bp_len = sizeof(target),
			.exclude_kernel = 1,
			.exclude_hv = 1,
		};
		uint64_t count = 0;
		int fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd < 0)
			return hwt_error_from_errno(errno);
		for (int i = 0; i < 3; i++)
			target = target + 1;
		if (read(fd, &count, sizeof(count)) != (ssize_t)sizeof(count))
			count = 0;
		close(fd);
		fires = count > 0;
		known = 1;
	}
	if (!fires && why && whylen)
		snprintf(why, whylen, "%s", said);
	return fires;
}

struct hwt_watch_bp *hwt_watch_bp_open(int pid, int ncpus, uint64_t addr, size_t len,
				       int before_exec, const uint8_t *init, char *why,
				       size_t whylen)
{
	if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % len) {
		snprintf(why, whylen,
			 "a write breakpoint watches 1, 2, 4 or 8 bytes at an address aligned to "
			 "their size, not %zu at 0x%llx",
			 len, (unsigned long long)addr);
		return NULL;
	}
	if (!hwt_watch_bp_fires(why, whylen))
		return NULL; /* a breakpoint that opens here would record no write at all */
	struct hwt_watch_bp *b = calloc(1, sizeof(*b));
	if (b)
		b->rings = calloc((size_t)ncpus, sizeof(*b->rings));
	if (!b || !b->rings) {
		free(b);
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	b->pid = pid;
	b->addr = addr;
	b->len = len;
	if (init) {
		memcpy(b->cur, init, len);
		b->cur_known = 1;
	}
	for (int cpu = 0; cpu < ncpus; cpu++)
		if (open_ring(b, cpu, before_exec, why, whylen)) {
			hwt_watch_bp_free(b);
			return NULL;
		}
	if (!before_exec)
		read_maps(b);
	return b;
}

void hwt_watch_bp_set_value(struct hwt_watch_bp *b, const uint8_t *val)
{
	memcpy(b->cur, val, b->len);
	b->cur_known = 1;
}

void hwt_watch_bp_execs_after(struct hwt_watch_bp *b, uint64_t ts)
{
	b->execs_after = ts;
}

void hwt_watch_bp_free(struct hwt_watch_bp *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->nrings; i++) {
		munmap(b->rings[i].page, (size_t)page_size() + b->rings[i].size);
		close(b->rings[i].fd);
	}
	free(b->rings);
	free(b->held);
	free(b->cache);
	free(b->maps);
	for (size_t i = 0; i < b->nfiles; i++) {
		free(b->files[i].path);
		free(b->files[i].funcs);
		if (b->files[i].cfi)
			dwarf_cfi_end(b->files[i].cfi);
		elf_end(b->files[i].elf);
		if (b->files[i].fd >= 0)
			close(b->files[i].fd);
	}
	free(b->files);
	free(b);
}

const struct hwt_watch_bp_stats *hwt_watch_bp_stats(const struct hwt_watch_bp *b)
{
	return &b->stats;
}

/* One PERF_RECORD_SAMPLE at @p (@len bytes) into b->held. */
static int hold_sample(struct hwt_watch_bp *b, const uint8_t *p, size_t len)
{
	uint64_t mask = hwt_watch_regs_mask();
	struct held s = { 0 };
	size_t off = 0;

	if (len < 32 || HWT_ARRAY_GROW(b->held, &b->cap_held, b->nheld + 1))
		return HWT_E_NOMEM;
	memcpy(&s.ip, p, 8);
	memcpy(&s.pid, p + 8, 4);
	memcpy(&s.ts, p + 16, 8);
	uint64_t abi;
	memcpy(&abi, p + 24, 8);
	off = 32;
	if (abi != PERF_SAMPLE_REGS_ABI_NONE) {
		for (int r = 0; r < HWT_WATCH_NREGS; r++) {
			if (!(mask & (1ull << r)))
				continue;
			if (off + 8 > len)
				return HWT_E_INVAL;
			memcpy(&s.regs[r], p + off, 8);
			off += 8;
		}
		s.nregs = HWT_WATCH_NREGS;
	}
	/* Read back at once: if no other write comes before it, this is the value written (the
	 * one way to know what a store from an XMM register wrote). */
	struct iovec l = { s.back, b->len }, r = { (void *)b->addr, b->len };
	if (s.pid == (uint32_t)b->pid &&
	    process_vm_readv(b->pid, &l, 1, &r, 1, 0) == (ssize_t)b->len) {
		struct timespec t;
		clock_gettime(CLOCK_MONOTONIC, &t);
		s.back_ts = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
	}
	b->held[b->nheld++] = s;
	return 0;
}

/* Moves what ring @r holds into b->held. */
static void read_ring(struct hwt_watch_bp *b, struct bp_ring *r)
{
	size_t size = r->size;
	uint64_t head = __atomic_load_n(&r->page->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = r->page->data_tail;
	uint8_t rec[1024];

	while (tail < head) {
		struct perf_event_header hd;
		for (size_t i = 0; i < sizeof(hd); i++)
			((uint8_t *)&hd)[i] = r->data[(tail + i) & (size - 1)];
		if (hd.size < sizeof(hd))
			break;
		size_t n = hd.size < sizeof(rec) ? hd.size : sizeof(rec);
		for (size_t i = 0; i < n; i++)
			rec[i] = r->data[(tail + i) & (size - 1)];
		if (hd.type == PERF_RECORD_SAMPLE) {
			if (hold_sample(b, rec + sizeof(hd), n - sizeof(hd)))
				b->stats.unknown++;
		} else if (hd.type == PERF_RECORD_LOST && n >= sizeof(hd) + 32) {
			/* id, lost, then sample_id: pid, tid, time. */
			struct held l = { .lost = 1 };
			memcpy(&l.lost, rec + sizeof(hd) + 8, 8);
			memcpy(&l.ts, rec + n - 8, 8);
			b->stats.lost += l.lost;
			if (!HWT_ARRAY_GROW(b->held, &b->cap_held, b->nheld + 1))
				b->held[b->nheld++] = l;
		} else if (hd.type == PERF_RECORD_COMM && (hd.misc & PERF_RECORD_MISC_COMM_EXEC) &&
			   n >= sizeof(hd) + 24) {
			struct held x = { .exec = 1 };
			memcpy(&x.pid, rec + sizeof(hd), 4);
			memcpy(&x.ts, rec + n - 8, 8);
			if (x.pid == (uint32_t)b->pid &&
			    !HWT_ARRAY_GROW(b->held, &b->cap_held, b->nheld + 1))
				b->held[b->nheld++] = x;
		}
		tail += hd.size;
	}
	__atomic_store_n(&r->page->data_tail, tail, __ATOMIC_RELEASE);
}

static int by_time(const void *x, const void *y)
{
	const struct held *a = x, *b = y;
	return a->ts < b->ts ? -1 : a->ts > b->ts;
}

static int add_func(const struct hwt_elf_func *f, void *ctx)
{
	struct code_file *cf = ctx;

	if (HWT_ARRAY_GROW(cf->funcs, &cf->cap_funcs, cf->nfuncs + 1))
		return HWT_E_NOMEM;
	cf->funcs[cf->nfuncs++] = (struct func){ f->vaddr, f->size };
	return 0;
}

static int by_vaddr(const void *x, const void *y)
{
	const struct func *a = x, *b = y;
	return a->vaddr < b->vaddr ? -1 : a->vaddr > b->vaddr;
}

/* The file @path, its segments and functions read on first use; NULL if it cannot be read. */
static struct code_file *code_file(struct hwt_watch_bp *b, const char *path)
{
	char why[256];

	for (size_t i = 0; i < b->nfiles; i++)
		if (!strcmp(b->files[i].path, path))
			return b->files[i].fd >= 0 ? &b->files[i] : NULL;
	if (HWT_ARRAY_GROW(b->files, &b->cap_files, b->nfiles + 1))
		return NULL;
	struct code_file *cf = &b->files[b->nfiles];
	*cf = (struct code_file){ .path = strdup(path), .fd = -1 };
	if (!cf->path)
		return NULL;
	b->nfiles++;
	cf->nsegs = hwt_watch_file_segments(path, cf->segs, BP_MAX_SEGS);
	if (cf->nsegs <= 0)
		return NULL;
	if (hwt_elf_functions(path, 0, add_func, cf, why, sizeof(why)) < 0)
		cf->nfuncs = 0; /* stripped: decode backwards */
	if (cf->nfuncs)
		qsort(cf->funcs, cf->nfuncs, sizeof(*cf->funcs), by_vaddr);
	cf->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (cf->fd < 0)
		return NULL;
	elf_version(EV_CURRENT);
	if ((cf->elf = elf_begin(cf->fd, ELF_C_READ_MMAP, NULL)))
		cf->cfi = dwarf_getcfi_elf(cf->elf);
	return cf;
}

/* The start of the function of @cf that holds the end of an instruction at @vaddr, by its symbol
 * or its call frame information; 0 if none. */
static uint64_t func_start(const struct code_file *cf, uint64_t vaddr)
{
	size_t lo = 0, hi = cf->nfuncs;

	while (lo < hi) { /* the first function starting at or after vaddr */
		size_t mid = (lo + hi) / 2;
		if (cf->funcs[mid].vaddr < vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	const struct func *f = lo ? &cf->funcs[lo - 1] : NULL;
	if (f && vaddr <= f->vaddr + f->size)
		return f->vaddr;
	/* No symbol: the start of the FDE that covers the instruction's last byte. */
	Dwarf_Frame *frame = NULL;
	Dwarf_Addr start = 0, end = 0;
	if (!cf->cfi || dwarf_cfi_addrframe(cf->cfi, vaddr - 1, &frame))
		return 0;
	if (dwarf_frame_info(frame, &start, &end, NULL) < 0 || start >= vaddr)
		start = 0;
	free(frame);
	return start;
}

/* Reads /proc/PID/maps into b->maps. Returns 0, or -1 (the process is gone: the old stays). */
static int read_maps(struct hwt_watch_bp *b)
{
	char name[64];
	size_t cap = 0, len = 0;
	char *text = NULL;

	snprintf(name, sizeof(name), "/proc/%d/maps", b->pid);
	FILE *f = fopen(name, "r");
	if (!f)
		return -1;
	for (;;) {
		if (HWT_ARRAY_GROW(text, &cap, len + 4097))
			break;
		size_t n = fread(text + len, 1, 4096, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (!text || !len) {
		free(text);
		return -1;
	}
	text[len] = 0;
	free(b->maps);
	b->maps = text;
	return 0;
}

/* The mapped file that holds @ip into @path, its offset there into *@off: from the maps read
 * last, read again if they do not hold it. */
static int map_of(struct hwt_watch_bp *b, uint64_t ip, char *path, size_t len, uint64_t *off)
{
	char line[4352];
	struct hwt_watch_map m;

	for (int pass = 0; pass < 2; pass++) {
		if ((pass || !b->maps) && read_maps(b))
			return HWT_E_NOENT;
		for (const char *p = b->maps; *p;) {
			size_t n = strcspn(p, "\n");
			snprintf(line, sizeof(line), "%.*s", (int)n, p);
			p += n + (p[n] == '\n');
			if (!hwt_watch_map_parse(line, &m) && ip > m.start && ip <= m.end &&
			    m.ino && m.path[0] == '/') {
				snprintf(path, len, "%s", m.path);
				*off = ip - m.start + m.pgoff;
				return 0;
			}
		}
	}
	return HWT_E_NOENT;
}

/* Decodes the store that ended at @s->ip into @out: forward from the start of its function
 * where the file names one, else from the bytes before it. Returns the readings or < 0. */
static int decode(struct hwt_watch_bp *b, const struct held *s, struct hwt_watch_store *out)
{
	char path[4096];
	uint64_t off, vaddr;
	uint8_t code[16];
	struct code_file *cf = NULL;
	const size_t max = HWT_WATCH_MAX_READINGS;

	if (!map_of(b, s->ip, path, sizeof(path), &off))
		cf = code_file(b, path);
	if (!cf || hwt_watch_seg_vaddr(cf->segs, (size_t)cf->nsegs, off, &vaddr)) {
		/* Not in a file (JIT code): the bytes in the process, if it lives. */
		struct iovec l = { code, 15 }, r = { (void *)(s->ip - 15), 15 };
		if (process_vm_readv(b->pid, &l, 1, &r, 1, 0) != 15)
			return HWT_E_NOENT;
		return hwt_watch_store_find(code, 15, 0, s->ip, s->regs, b->addr, b->len, out, max);
	}
	uint64_t start = func_start(cf, vaddr), n = start ? vaddr - start : 15;
	int exact = start && n <= BP_MAX_CODE, err = HWT_E_NOENT;
	if (!exact)
		n = n < 15 ? n : 15;
	if (n > off)
		n = off;
	uint8_t *buf = malloc(n ? n : 1);
	if (buf && pread(cf->fd, buf, n, (off_t)(off - n)) == (ssize_t)n)
		err = hwt_watch_store_find(buf, n, exact, s->ip, s->regs, b->addr, b->len, out,
					   max);
	/* Decoding from the function's start did not land on IP (data in the code, a symbol's
	 * size that is wrong): the bytes before IP alone. */
	if (buf && err == HWT_E_NOENT && exact && n >= 15)
		err = hwt_watch_store_find(buf + n - 15, 15, 0, s->ip, s->regs, b->addr, b->len,
					   out, max);
	free(buf);
	return err;
}

/* The decoded store that ended at @s->ip, decoded once. */
static const struct cached *store_at(struct hwt_watch_bp *b, const struct held *s)
{
	for (size_t i = 0; i < b->ncache; i++)
		if (b->cache[i].ip == s->ip)
			return &b->cache[i];
	struct cached c = { .ip = s->ip };
	c.n = decode(b, s, c.s);
	if (HWT_ARRAY_GROW(b->cache, &b->cap_cache, b->ncache + 1))
		return NULL;
	b->cache[b->ncache] = c;
	return &b->cache[b->ncache++];
}

/* The value one sample wrote: to @fn, or counted as unknown. */
/* The value the sample b->held[@i] read back, if no write of the process came within
 * BP_QUIET_NS of the reading: into @val. Returns 0, or HWT_E_NOENT. */
static int read_back(const struct hwt_watch_bp *b, size_t i, uint8_t *val)
{
	const struct held *s = &b->held[i];

	if (!s->back_ts)
		return HWT_E_NOENT;
	for (size_t j = i + 1; j < b->nheld; j++) /* sorted, then what came in while taking */
		if (!b->held[j].lost && !b->held[j].exec && b->held[j].pid == s->pid &&
		    b->held[j].ts > s->ts && b->held[j].ts <= s->back_ts + BP_QUIET_NS)
			return HWT_E_NOENT;
	memcpy(val, s->back, b->len);
	return 0;
}

static void take(struct hwt_watch_bp *b, size_t i, hwt_watch_point_fn fn, void *ctx)
{
	const struct held *s = &b->held[i];
	uint8_t val[8];

	if (s->lost) {
		b->cur_known = 0; /* writes we did not see */
		return;
	}
	if (s->exec) {
		b->execed |= s->ts > b->execs_after; /* another program: its writes are not ours */
		return;
	}
	if (b->execed) {
		b->stats.other++;
		return;
	}
	if (s->pid != (uint32_t)b->pid) {
		b->stats.other++; /* a child process: not this track */
		return;
	}
	b->stats.writes++;
	const struct cached *c = s->nregs ? store_at(b, s) : NULL;
	int err = !c	     ? HWT_E_NOMEM
		  : c->n < 0 ? c->n
			     : hwt_watch_store_value(c->s, (size_t)c->n, s->regs, b->addr, b->len,
						     b->cur_known ? b->cur : NULL, val);
	if (err || (c && c->n > 0 && c->s[0].op == HWT_WOP_UNKNOWN))
		b->stats.last_unknown_ts = s->ts; /* the thread drains sooner, to read back */
	if (err && !read_back(b, i, val)) {
		err = 0;
		b->stats.read_back++;
	}
	if (!err) {
		memcpy(b->cur, val, b->len);
		b->cur_known = 1;
		fn(ctx, s->ts, val);
		return;
	}
	b->cur_known = 0;
	if (!b->stats.unknown++) {
		char path[4096];
		uint64_t off;
		b->stats.first_ip = s->ip;
		if (!map_of(b, s->ip, path, sizeof(path), &off)) {
			const char *base = strrchr(path, '/');
			snprintf(b->stats.first_where, sizeof(b->stats.first_where),
				 "(%.120s+0x%llx)", base ? base + 1 : path,
				 (unsigned long long)off);
		}
		snprintf(b->stats.first_text, sizeof(b->stats.first_text), "%s",
			 !s->nregs	       ? "a sample without registers"
			 : !c		       ? "out of memory"
			 : c->n == HWT_E_INVAL ? "bytes that decode as too many stores"
			 : c->n < 0	       ? "an instruction that could not be found"
			 : err == HWT_E_INVAL  ? "bytes that decode as stores of other values"
			 : c->n > 1	       ? "bytes that decode as several stores"
					       : c->s[0].text);
	}
}

static void read_rings(struct hwt_watch_bp *b)
{
	for (int i = 0; i < b->nrings; i++)
		read_ring(b, &b->rings[i]);
}

int hwt_watch_bp_drain(struct hwt_watch_bp *b, uint64_t now, int final, hwt_watch_point_fn fn,
		       void *ctx)
{
	struct timespec t;
	uint64_t last = now;

	read_rings(b);
	if (!b->nheld)
		return 0;
	qsort(b->held, b->nheld, sizeof(*b->held), by_time);
	size_t n = 0, sorted = b->nheld;
	while (n < sorted && (final || b->held[n].ts + BP_HOLD_NS < now)) {
		take(b, n++, fn, ctx);
		/* Decoding new stores takes time: keep the rings from filling meanwhile. What
		 * comes in waits for the next drain, to be sorted. */
		clock_gettime(CLOCK_MONOTONIC, &t);
		uint64_t at = (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
		if (at - last > 1000000) {
			read_rings(b);
			last = at;
		}
	}
	memmove(b->held, b->held + n, (b->nheld - n) * sizeof(*b->held));
	b->nheld -= n;
	return (int)n;
}

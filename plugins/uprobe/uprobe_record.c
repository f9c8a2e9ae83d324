/* The `uprobe` tracer plugin: every call and return of the chosen functions of an unmodified
 * binary, through BPF uprobe_multi links writing to a BPF ring buffer, re-encoded compactly into
 * the recording. Libraries and exec'ed programs are attached as they are mapped. */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "core/util.h"
#include "uprobe_bpf.h"
#include "uprobe_target.h"
#include "uprobe_cost.h"
#include "core/elffuncs.h"
#include "core/funcsel.h"
#include "hwtrace/error.h"
#include "core/format/uprobe_format.h"

struct file_id {
	dev_t dev;
	ino_t ino;
};

struct up_thread {
	uint32_t tid, pid;
	uint64_t sp;	   /* last stack pointer written, for deltas */
	uint32_t next_seq; /* the sequence number its next record should carry */
};

struct up_state {
	struct hwt_host *h;
	struct hwt_bpf_uprobes *bpf;
	int source;
	struct hwt_funcsel *sel;  /* what -F and -N choose */
	struct file_id *attached; /* files attached so far, by inode: one file has many paths */
	int nattached;
	uint32_t next_id;
	uint64_t nfuncs, nslow, nret_sites;
	struct up_meter meter; /* probe time, for the progress line and the end note */

	struct hwt_idmap tramps; /* pid -> low half of its uretprobe trampoline's address */

	/* Encoder state (see uprobe_format.h). */
	struct hwt_idmap tids; /* tid -> index into threads */
	struct up_thread *threads;
	uint32_t nthreads, cap_threads;
	uint64_t prev_ts;
	uint8_t *buf;
	size_t len, cap;
	int error;
};

/* ---- options --------------------------------------------------------------------------- */

enum { OPT_FUNC, OPT_NOFUNC, OPT_DEPTH, OPT_MIN_DURATION, OPT_RING, UP_NOPTIONS };

static const struct hwt_option up_options[UP_NOPTIONS] = {
	[OPT_FUNC] = HWT_FUNCSEL_OPT_FUNC(", attached when it is mapped"),
	[OPT_NOFUNC] = HWT_FUNCSEL_OPT_NOFUNC,
	[OPT_DEPTH] = HWT_FUNCSEL_OPT_DEPTH,
	[OPT_MIN_DURATION] = HWT_FUNCSEL_OPT_MIN_DURATION,
	[OPT_RING] = { .name = "ring",
		       .type = HWT_OPT_SIZE,
		       .flags = HWT_OPT_POW2,
		       .min = 4096,
		       .max = 1 << 30,
		       .def = "16M",
		       .short_flag = 'm',
		       .long_flag = "ring",
		       .help = "the BPF ring buffer that calls and returns go through" },
};

static int add_pattern(struct hwt_host *h, struct hwt_funcsel *sel, const char *spec, int exclude)
{
	int err = hwt_funcsel_add(sel, spec, exclude);
	if (err == HWT_E_INVAL)
		hwt_host_set_error(h, "too many -F/-N patterns: at most %d each", HWT_FUNCSEL_MAX);
	return err;
}

/* Applies the option values @v: the patterns, and the filters the decoder applies (recorded as
 * metadata for it). */
static int apply_options(struct up_state *s, const struct hwt_option_value *v)
{
	char text[32];
	int err = 0;

	for (size_t i = 0; i < v[OPT_FUNC].n && !err; i++)
		err = add_pattern(s->h, s->sel, v[OPT_FUNC].list[i], 0);
	for (size_t i = 0; i < v[OPT_NOFUNC].n && !err; i++)
		err = add_pattern(s->h, s->sel, v[OPT_NOFUNC].list[i], 1);
	if (!err && v[OPT_DEPTH].set) {
		snprintf(text, sizeof(text), "%lld", (long long)v[OPT_DEPTH].i);
		err = hwt_host_set_meta(s->h, "uprobe.depth", text);
	}
	if (!err && v[OPT_MIN_DURATION].i > 0) {
		snprintf(text, sizeof(text), "%lld", (long long)v[OPT_MIN_DURATION].i);
		err = hwt_host_set_meta(s->h, "uprobe.min_duration_ns", text);
	}
	return err;
}

/* ---- attaching ------------------------------------------------------------------------- */

struct selection {
	struct up_state *s;
	const char *path;
	int is_main;
	int ret_sites; /* returns as uprobes on each ret instruction, not uretprobes */
	struct hwt_bpf_probes entry, ret;
	size_t n;
	struct hwt_uprobe_table table; /* the function table chunk (uprobe_format.h) */
	uint64_t nslow;
	uint32_t next_id;
	int noted;	   /* an IFUNC traced at its resolver was said */
	uint64_t *targets; /* parallel to @ret: where a tail jump goes (0: a ret) */
	size_t cap_targets;
	uint64_t *chosen; /* the addresses of the functions chosen */
	size_t nchosen, cap_chosen;
};

static int select_func(const struct hwt_funcsel_pick *p, void *ctx)
{
	struct selection *sel = ctx;
	const struct hwt_elf_func *f = p->f;
	int err;

	if (p->ifunc_note && !sel->noted++)
		hwt_host_note(sel->s->h,
			      "uprobe: %s is an IFUNC; tracing its resolver, not the code it picks "
			      "(%s)",
			      p->name, p->ifunc_note);
	uint32_t id = sel->next_id++;
	err = hwt_bpf_probes_add(&sel->entry, f->entry_offset, id);
	if (!sel->ret_sites)
		err = err ? err
			  : hwt_bpf_probes_add(&sel->ret, f->offset,
					       hwt_uprobe_cookie(id, HWT_UPROBE_RETURN));
	for (size_t i = 0; sel->ret_sites && i < f->nret_sites && !err; i++) {
		err = HWT_ARRAY_GROW(sel->targets, &sel->cap_targets, sel->ret.n + 1);
		if (!err)
			sel->targets[sel->ret.n] = f->ret_targets[i];
		err = err ? err
			  : hwt_bpf_probes_add(
				    &sel->ret, f->ret_sites[i],
				    hwt_uprobe_cookie(id, HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE));
	}
	if (!err)
		err = HWT_ARRAY_GROW(sel->chosen, &sel->cap_chosen, sel->nchosen + 1);
	if (err)
		return err;
	sel->chosen[sel->nchosen++] = f->vaddr;
	sel->n++;
	int slow = (f->flags & HWT_FUNC_SLOW) || (sel->ret_sites && f->nret_sites);
	sel->nslow += slow;
	err = up_meter_mark(&sel->s->meter, id, slow);
	if (err)
		return err;
	/* The decoder tells single-stepped calls by these flags, for --compensate. */
	uint32_t flags =
		f->flags | (sel->ret_sites && f->nret_sites ? HWT_UPROBE_FUNC_RET_STEPPED : 0);
	return hwt_uprobe_table_add(&sel->table, id, f->vaddr, f->size, flags, p->name);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Return sites that are jumps to a function traced too are tail calls: the jump does not end
 * the call, which nests the callee (HWT_UPROBE_TAIL_SITE). A jump elsewhere (a PLT stub, a
 * function not traced) is where the call's traced part ends. */
static void mark_tail_sites(struct selection *sel)
{
	if (!sel->ret_sites || !sel->nchosen)
		return;
	qsort(sel->chosen, sel->nchosen, sizeof(*sel->chosen), cmp_u64);
	for (size_t i = 0; i < sel->ret.n; i++)
		if (sel->targets[i] && bsearch(&sel->targets[i], sel->chosen, sel->nchosen,
					       sizeof(*sel->chosen), cmp_u64))
			sel->ret.cookie[i] |= (uint64_t)HWT_UPROBE_TAIL_SITE << 32;
}

static int file_id(const char *path, struct file_id *id)
{
	struct stat st;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return -1;
	*id = (struct file_id){ st.st_dev, st.st_ino };
	return 0;
}

static int already_attached(const struct up_state *s, const char *path)
{
	struct file_id id;
	if (file_id(path, &id))
		return 1; /* nothing we could attach to anyway */
	for (int i = 0; i < s->nattached; i++)
		if (s->attached[i].dev == id.dev && s->attached[i].ino == id.ino)
			return 1;
	return 0;
}

/* Attaches what the selection picks in @path. Returns the number of functions (0: nothing
 * chosen there), or a negative error with the host's error set. */
static int attach_file(struct up_state *s, const char *path, int is_main)
{
	struct selection sel = { .s = s, .path = path, .is_main = is_main, .next_id = s->next_id };
	char why[512];
	int err;

	if (already_attached(s, path))
		return 0;
	struct file_id *na = realloc(s->attached, (size_t)(s->nattached + 1) * sizeof(*na));
	if (!na)
		return HWT_E_NOMEM;
	s->attached = na;
	if (file_id(path, &s->attached[s->nattached]))
		return 0;
	s->nattached++;

	/* A uretprobe replaces the return address on the stack with the kernel's trampoline, which
	 * no unwinder can read through: a C++ exception would abort the program. Where exceptions
	 * are thrown, returns are caught on each ret instruction instead (single-stepped: slower,
	 * but the stack stays the program's own). */
	sel.ret_sites = hwt_elf_uses_exceptions(path);
	err = hwt_uprobe_table_begin(&sel.table, path);
	if (!err) {
		err = hwt_funcsel_file(s->sel, path, is_main, sel.ret_sites ? HWT_ELF_RET_SITES : 0,
				       select_func, &sel, why, sizeof(why));
		if (err < 0 && err != HWT_E_NOMEM)
			hwt_host_set_error(s->h, "uprobe: %s", why);
	}
	if (err >= 0 && sel.n) {
		mark_tail_sites(&sel);
		err = hwt_host_write_chunk(s->h, "uprobe", sel.table.data, sel.table.len);
		if (!err)
			err = hwt_bpf_uprobes_attach_probes(s->bpf, path, sel.entry.off,
							    sel.entry.cookie, sel.entry.n, 0, why,
							    sizeof(why));
		if (err >= 0 && sel.ret.n)
			err = hwt_bpf_uprobes_attach_probes(s->bpf, path, sel.ret.off,
							    sel.ret.cookie, sel.ret.n,
							    !sel.ret_sites, why, sizeof(why));
		if (err < 0)
			hwt_host_set_error(s->h, "uprobe: attaching to %s: %s", path, why);
	}
	if (err >= 0) {
		s->next_id = sel.next_id;
		s->nfuncs += sel.n;
		s->nslow += sel.nslow;
		s->nret_sites += sel.ret_sites ? sel.n : 0;
		err = (int)sel.n;
	}
	hwt_bpf_probes_fini(&sel.entry);
	hwt_bpf_probes_fini(&sel.ret);
	free(sel.targets);
	free(sel.chosen);
	hwt_uprobe_table_fini(&sel.table);
	return err;
}

/* ---- encoding -------------------------------------------------------------------------- */

static int reserve(struct up_state *s, size_t n)
{
	return HWT_ARRAY_GROW(s->buf, &s->cap, s->len + n);
}

static void put(struct up_state *s, struct hwt_uprobe_record r)
{
	s->len += hwt_uprobe_record_put(s->buf + s->len, &r);
}

/* The low half of the address of the kernel's uretprobe trampoline in process @pid (the start of
 * its "[uprobes]" mapping), or 1 (no page start) when the process has none or is gone. */
static uint32_t read_trampoline(uint32_t pid)
{
	char path[64], line[512];
	uint32_t lo = 1;

	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "[uprobes]")) {
			lo = (uint32_t)strtoull(line, NULL, 16);
			break;
		}
	if (f)
		fclose(f);
	return lo;
}

/* Did the entry @r find the uretprobe trampoline where its return address should be? Then a
 * traced function entered at the same sp jumped to it: a tail call. The trampoline starts a
 * page, so most entries are told apart without looking; a process gone before its mapping was
 * read is trusted on the page start alone. */
static int tail_entry(struct up_state *s, const struct hwt_uprobe_rec *r)
{
	int created = 0;

	if (r->flags & HWT_UPROBE_RETURN || (r->ret_lo & 0xfff))
		return 0;
	uint32_t *lo = hwt_idmap_put(&s->tramps, r->pid, &created);
	if (!lo)
		return 1;
	if (created || *lo != r->ret_lo) /* new, gone, or exec'ed since */
		*lo = read_trampoline(r->pid);
	return *lo == 1 || *lo == r->ret_lo;
}

static int encode(const struct hwt_uprobe_rec *r, void *ctx)
{
	struct up_state *s = ctx;
	int created = 0;

	if (reserve(s, 4 * UP_RECORD_MAX))
		return s->error = HWT_E_NOMEM;
	uint32_t *slot = hwt_idmap_put(&s->tids, r->tid, &created);
	if (!slot)
		return s->error = HWT_E_NOMEM;
	/* A thread id seen in another process is a new thread: it gets a new index. */
	if (created || s->threads[*slot].pid != r->pid) {
		if (s->nthreads == s->cap_threads) {
			uint32_t cap = s->cap_threads ? s->cap_threads * 2 : 64;
			struct up_thread *t = realloc(s->threads, cap * sizeof(*t));
			if (!t)
				return s->error = HWT_E_NOMEM;
			s->threads = t;
			s->cap_threads = cap;
		}
		*slot = s->nthreads;
		s->threads[s->nthreads++] =
			(struct up_thread){ .tid = r->tid, .pid = r->pid, .next_seq = 1 };
		put(s,
		    (struct hwt_uprobe_record){ .kind = UP_KIND_THREAD, .a = r->tid, .b = r->pid });
	}
	uint32_t ti = *slot;
	struct up_thread *t = &s->threads[ti];
	/* Sequence numbers count every hit of the thread id, recorded or not (0: the program had
	 * no counter slot for it, so no gap can be seen). */
	if (r->seq > t->next_seq)
		put(s, (struct hwt_uprobe_record){
			       .kind = UP_KIND_GAP, .a = ti, .b = r->seq - t->next_seq });
	if (r->seq)
		t->next_seq = r->seq + 1;
	/* At a ret instruction sp still points at the return address; after a uretprobe it is one
	 * slot above. The stream always says the latter. */
	uint64_t sp = r->sp + (r->flags & HWT_UPROBE_RET_SITE ? 8 : 0);
	if (tail_entry(s, r) || (r->flags & HWT_UPROBE_TAIL_SITE))
		put(s,
		    (struct hwt_uprobe_record){ .kind = UP_KIND_GAP, .id = UP_GAP_TAIL, .a = ti });
	if (r->flags & HWT_UPROBE_TAIL_SITE) {
		/* Not the call's end: that comes with the callee's return (uprobe_format.h). */
		up_meter_count(&s->meter, r->cookie, 0);
		return 0;
	}
	put(s, (struct hwt_uprobe_record){
		       .kind = r->flags & HWT_UPROBE_RETURN ? UP_KIND_RETURN : UP_KIND_ENTRY,
		       .id = r->cookie,
		       .a = ti,
		       .b = r->ts - s->prev_ts,
		       .c = (int64_t)(sp - t->sp),
	       });
	s->prev_ts = r->ts;
	t->sp = sp;
	up_meter_count(&s->meter, r->cookie, !(r->flags & HWT_UPROBE_RETURN));
	return 0;
}

/* ---- the plugin ------------------------------------------------------------------------ */

static void up_free(struct up_state *s)
{
	if (!s)
		return;
	hwt_bpf_uprobes_close(s->bpf);
	hwt_funcsel_free(s->sel);
	free(s->attached);
	hwt_idmap_fini(&s->tids);
	hwt_idmap_fini(&s->tramps);
	free(s->threads);
	free(s->buf);
	up_meter_fini(&s->meter);
	free(s);
}

static int is_elf(const char *path)
{
	char magic[4];
	FILE *f = fopen(path, "rb");
	int ok = f && fread(magic, 1, 4, f) == 4 && !memcmp(magic, "\177ELF", 4);

	if (f)
		fclose(f);
	return ok;
}

/* Libraries named by -F LIB:GLOB that are on disk already: attached before the program starts,
 * so calls made while it is starting are not missed (mmap side-band arrives later). Probes
 * belong to the file, so a library found under another path is the same one. */
static int attach_libraries(struct up_state *s, const char *prog)
{
	const char *dirs[] = { "/lib/x86_64-linux-gnu",
			       "/usr/lib/x86_64-linux-gnu",
			       "/lib64",
			       "/usr/lib64",
			       "/lib",
			       "/usr/lib",
			       "/usr/local/lib",
			       NULL };
	char progdir[PATH_MAX];

	snprintf(progdir, sizeof(progdir), "%s", prog);
	char *slash = strrchr(progdir, '/');
	if (slash)
		*slash = 0;
	for (int k = -1; dirs[k + 1] || k < 0; k++) {
		const char *dir = k < 0 ? progdir : dirs[k];
		DIR *d = opendir(dir);
		if (!d)
			continue;
		for (struct dirent *e; (e = readdir(d));) {
			if (!hwt_funcsel_wants_library(s->sel, e->d_name))
				continue;
			char path[PATH_MAX + 256];
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			if (!is_elf(path) || already_attached(s, path))
				continue; /* libc.so is a linker script, for one */
			if (attach_file(s, path, 0) < 0) {
				closedir(d);
				return HWT_E_INVAL;
			}
		}
		closedir(d);
	}
	return 0;
}

/* How many functions are traced, and how many of them the kernel single-steps (~10 us a hit). */
static void write_counts(struct up_state *s)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->nfuncs);
	hwt_host_set_meta(s->h, "uprobe.functions", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->nslow);
	hwt_host_set_meta(s->h, "uprobe.slow_path", buf);
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)s->nret_sites);
	hwt_host_set_meta(s->h, "uprobe.ret_site_functions", buf);
}

/* What a traced call costs here, measured once the probes are known; said before the program
 * runs when many functions are traced and a call costs more than a fast host's ~1 us. */
static void measure_cost(struct up_state *s)
{
	char why[256];

	if (!s->nfuncs || up_cost_measure(&s->meter.cost, why, sizeof(why)))
		return; /* no figure: no estimate, the recording goes on */
	s->meter.measured = 1;
	s->meter.start_ns = hwt_host_now();
	double avg = ((double)(s->nfuncs - s->nslow) * s->meter.cost.fast_ns +
		      (double)s->nslow * s->meter.cost.slow_ns) /
		     (double)s->nfuncs;
	if (s->nfuncs >= 50 && avg >= 2000)
		hwt_host_note(
			s->h,
			"uprobe: a traced call costs ~%.1f us on this host (measured; %.1f us "
			"single-stepped): a program making 100 k calls a second runs ~%.0fx "
			"slower; -F narrows what is traced; sampling alone costs a few %%",
			s->meter.cost.fast_ns / 1e3, s->meter.cost.slow_ns / 1e3,
			1 + avg * 1e5 / 1e9);
}

static int up_probe(struct hwt_host *h, char *why, size_t len)
{
	/* The answer takes an attach and a detach (~60 ms): ask the kernel once per process. */
	static int known = -1;
	static char known_why[256];

	if (known < 0) {
		known = hwt_bpf_uprobes_probe(known_why, sizeof(known_why));
		if (known < 0)
			known = 0;
	}
	snprintf(why, len, "%s", known_why);
	return known;
}

/* A library named by -F LIB:GLOB, mapped already, is attached (no MMAP2 record comes for it). */
static int attach_if_wanted(const char *path, void *ctx)
{
	struct up_state *s = ctx;

	return hwt_funcsel_wants_library(s->sel, path) && !already_attached(s, path)
		       ? attach_file(s, path, 0)
		       : 0;
}

/* Attaches the program (@real gets its path): the one to be exec'ed, or the file each attached
 * process runs and the libraries named by -F LIB:GLOB it has mapped. Returns the number of the
 * programs' functions chosen, or an error. */
static int attach_programs(struct up_state *s, const struct hwt_target *t, char *real)
{
	int n = 0, err = 0;

	if (!realpath(t->path, real))
		snprintf(real, PATH_MAX, "%s", t->path);
	if (!(t->flags & HWT_TARGET_ATTACHED))
		return attach_file(s, real, 1);
	for (int k = 0; k < t->npids && err >= 0; k++) {
		char link[64], exe[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%d/exe", t->pids[k]);
		ssize_t len = readlink(link, exe, sizeof(exe) - 1);
		if (len <= 0)
			continue; /* gone since */
		exe[len] = 0;
		err = attach_file(s, exe, 1);
		n += err > 0 ? err : 0;
		if (err >= 0)
			err = hwt_uprobe_code_files(t->pids[k], attach_if_wanted, s);
	}
	return err < 0 ? err : n;
}

static int up_start(struct hwt_host *h, const struct hwt_target *t,
		    const struct hwt_option_value *opts, void **st)
{
	struct up_state *s = calloc(1, sizeof(*s));
	char why[512];
	int err;

	if (!s)
		return HWT_E_NOMEM;
	s->h = h;
	s->next_id = 1;
	s->sel = hwt_funcsel_alloc();
	if (!s->sel) {
		err = HWT_E_NOMEM;
		goto fail;
	}
	if (!opts) {
		hwt_host_set_error(h, "uprobe: no option values");
		err = HWT_E_INVAL;
		goto fail;
	}
	err = apply_options(s, opts);
	if (err)
		goto fail;
	s->bpf = hwt_bpf_uprobes_open_except((size_t)opts[OPT_RING].i, (uint32_t)getpid(), &err,
					     why, sizeof(why));
	if (!s->bpf) {
		hwt_host_set_error(h, "uprobe: %s", why);
		goto fail;
	}
	s->source = hwt_host_add_source(h, "uprobe");
	if (s->source < 0) {
		err = s->source;
		goto fail;
	}
	if (t->flags & HWT_TARGET_SYSTEM) {
		hwt_host_set_error(h, "-b uprobe records chosen processes, not the whole system: "
				      "use -b sample with -a, or -p PID with -b uprobe");
		err = HWT_E_INVAL;
		goto fail;
	}
	err = hwt_uprobe_sideband_open(h, t);
	if (err < 0)
		goto fail;
	char real[PATH_MAX], ms[32];
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = attach_programs(s, t, real);
	if (err >= 0)
		err = attach_libraries(s, real);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	snprintf(ms, sizeof(ms), "%.1f",
		 (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	hwt_host_set_meta(h, "uprobe.attach_ms", ms);
	if (err < 0)
		goto fail;
	/* A shell or a launcher without functions of its own: what it execs gets attached then
	 * (up_sideband); if nothing ever is, up_stop() fails the recording. */
	measure_cost(s);
	write_counts(s);
	*st = s;
	return 0;
fail:
	up_free(s);
	return err < 0 ? err : HWT_E_INVAL;
}

static int up_poll(void *st, uint64_t now_ns)
{
	struct up_state *s = st;

	s->len = 0;
	int n = hwt_bpf_uprobes_consume(s->bpf, encode, s);
	if (n < 0 || s->error) {
		hwt_host_set_error(s->h, "uprobe: reading the ring buffer: %s",
				   hwt_errstr(n < 0 ? n : s->error));
		return n < 0 ? n : s->error;
	}
	up_meter_progress(&s->meter, s->h, now_ns, hwt_bpf_uprobes_lost(s->bpf));
	return s->len ? hwt_host_stream(s->h, s->source, s->buf, s->len) : 0;
}

/* Follows exec (the new program is attached like the first) and mmap (libraries named by -F
 * LIB:GLOB are attached when they appear, dlopen'ed ones included). */
static void up_sideband(void *st, const struct perf_event_header *rec)
{
	struct up_state *s = st;
	const uint32_t *pt = (const uint32_t *)(rec + 1);

	if (rec->type == PERF_RECORD_COMM && (rec->misc & PERF_RECORD_MISC_COMM_EXEC)) {
		char link[64], path[PATH_MAX];
		snprintf(link, sizeof(link), "/proc/%u/exe", pt[0]);
		ssize_t n = readlink(link, path, sizeof(path) - 1);
		if (n <= 0)
			return;
		path[n] = 0;
		if (attach_file(s, path, 1) < 0)
			hwt_host_note(s->h, "%s", hwt_host_error(s->h));
	} else if (rec->type == PERF_RECORD_MMAP2 && hwt_funcsel_npatterns(s->sel)) {
		const uint8_t *body = (const uint8_t *)(rec + 1);
		uint32_t prot;
		memcpy(&prot, body + 56, 4);
		const char *path = (const char *)body + 64;
		if ((prot & PROT_EXEC) && path[0] == '/' && attach_if_wanted(path, s) < 0)
			hwt_host_note(s->h, "%s", hwt_host_error(s->h));
	}
}

static void up_stop(void *st)
{
	struct up_state *s = st;

	/* Records lost after a thread's last recorded one show as no gap in the stream: compare
	 * with the last number the program gave out. */
	s->len = 0;
	for (uint32_t i = 0; i < s->nthreads && !reserve(s, UP_RECORD_MAX); i++) {
		uint32_t last;
		struct up_thread *t = &s->threads[i];
		if (hwt_bpf_uprobes_thread_seq(s->bpf, t->tid, &last) || last < t->next_seq)
			continue;
		put(s, (struct hwt_uprobe_record){
			       .kind = UP_KIND_GAP, .a = i, .b = last - t->next_seq + 1 });
	}
	if (s->len)
		hwt_host_stream(s->h, s->source, s->buf, s->len);
	hwt_host_count_lost(s->h, hwt_bpf_uprobes_lost(s->bpf));
	up_meter_end(&s->meter, s->h, hwt_host_now());
	/* The trace is what matters now: removing the probes must not keep the user waiting. */
	hwt_bpf_uprobes_detach_background(s->bpf);
	size_t npat = hwt_funcsel_npatterns(s->sel);
	for (size_t i = 0; s->nfuncs && i < npat; i++) {
		uint64_t matched;
		const char *spec = hwt_funcsel_pattern(s->sel, i, &matched);
		if (!matched)
			hwt_host_note(s->h, "uprobe: -F '%s' matched no function", spec);
	}
	if (!s->nfuncs && npat)
		hwt_host_fail(s->h,
			      "uprobe: nothing to trace: -F '%s'%s matched no function of the "
			      "programs that ran; `hwtrace list --functions PROG` names theirs",
			      hwt_funcsel_pattern(s->sel, 0, NULL),
			      npat > 1 ? " and the others" : "");
	else if (!s->nfuncs)
		hwt_host_fail(s->h,
			      "uprobe: nothing to trace: the programs that ran have no functions "
			      "of their own (stripped); `hwtrace list PROG` names the libraries "
			      "that hold their code (-F 'LIB:GLOB'), or drop -b uprobe to sample");
	write_counts(s); /* libraries and programs attached while recording count too */
	up_free(s);
}

const struct hwt_plugin hwt_plugin_uprobe = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_TRACER,
	.name = "uprobe",
	.summary = "every call and return of the chosen functions (BPF uprobe_multi)",
	.options = up_options,
	.noptions = UP_NOPTIONS,
	.probe = up_probe,
	.start = up_start,
	.poll = up_poll,
	.stop = up_stop,
	.sideband = up_sideband,
};

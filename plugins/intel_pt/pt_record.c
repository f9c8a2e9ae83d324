/* The `pt` tracer plugin: Intel Processor Trace through the kernel's intel_pt PMU, every branch
 * of the target copied from per-CPU AUX areas into the "intel_pt" stream (core/pt_format.h),
 * continuously (full trace) or from overwritten areas at exit, on SIGUSR2 or when a trigger
 * function runs (snapshot). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/hw_breakpoint.h>

#include <hwtrace/plugin.h>

#include "core/elffuncs.h"
#include "hwtrace/error.h"
#include "core/format/pt_format.h"
#include "pt_config.h"

#define PT_PIECE   (1u << 20) /* PT bytes in one stream item at most */
#define PT_NO_LOSS UINT64_MAX
#define PT_LOSS	   (PERF_AUX_FLAG_TRUNCATED | PERF_AUX_FLAG_PARTIAL | PERF_AUX_FLAG_COLLISION)

struct pt_cpu {
	int cpu;     /* -1: one event for the target thread */
	int fd;	     /* the intel_pt event; it owns the CPU's ring (borrowed from the host) */
	uint64_t id; /* its PERF_EVENT_IOC_ID: what its AUX records carry as identifier */
	struct perf_event_mmap_page *page; /* borrowed from the host */
	uint8_t *aux;			   /* borrowed from the host */
	size_t size;
	uint64_t loss_at;  /* full trace: AUX offset where data went missing, PT_NO_LOSS */
	uint32_t pending;  /* flags for this CPU's next item */
	int wrapped;	   /* snapshot: the hardware has gone round the area at least once */
	uint64_t snap_off; /* snapshot: bytes of this CPU's snapshots written so far */
	int bp_fd;	   /* the trigger's breakpoint on this CPU, -1 if none */
};

struct pt_file {
	dev_t dev;
	ino_t ino;
};

struct pt_state {
	struct hwt_host *h;
	struct hwt_pt_config cfg;
	int source;
	int pid;
	struct pt_cpu *cpus;
	int ncpus;
	uint8_t *buf;  /* one item: struct hwt_pt_item and up to PT_PIECE bytes */
	int exec_seen; /* enabling events now no longer runs ahead of enable_on_exec */
	uint64_t usr2_seen;

	/* The trigger: a hardware execute breakpoint on the function's first instruction. */
	struct perf_event_attr bp_attr; /* as opened, with what the host set: for MODIFY */
	struct pt_file trig_file;	/* the file the offset below is of */
	uint64_t trig_off;		/* file offset of the function */
	uint64_t trig_vaddr;		/* its link-time address */
	int trig_fixed;			/* the program is not position-independent: that is where
					   it runs, and the breakpoint is enabled by the exec */
	int arm_pending, armed, arm_failed;
	uint64_t hits;

	uint64_t nsnap[3]; /* snapshots at exit, on SIGUSR2, by the trigger */
	uint64_t ntrunc, npartial, ncollide, nskipped;
};

enum { SNAP_EXIT, SNAP_SIGNAL, SNAP_TRIGGER };

/* ---- options --------------------------------------------------------------------------- */

const struct hwt_option hwt_pt_options[HWT_PT_NOPTIONS] = {
	[HWT_PT_OPT_SNAPSHOT] = { .name = "snapshot",
				  .type = HWT_OPT_SIZE,
				  .flags = HWT_OPT_POW2,
				  .min = 4096,
				  .max = HWT_PT_MAX_AUX,
				  .long_flag = "snapshot",
				  .help = "keep only the last SIZE of trace per CPU (e.g. 4M) and "
					  "record it at exit, on SIGUSR2 to hwtrace, and on "
					  "--trigger" },
	[HWT_PT_OPT_TRIGGER] = { .name = "trigger",
				 .type = HWT_OPT_STRING,
				 .arg = "FUNCTION",
				 .long_flag = "trigger",
				 .help = "also record a snapshot when FUNCTION of the program runs "
					 "(a hardware breakpoint; implies --snapshot 4M)" },
	[HWT_PT_OPT_AUX] = { .name = "aux",
			     .type = HWT_OPT_SIZE,
			     .flags = HWT_OPT_POW2,
			     .min = 4096,
			     .max = HWT_PT_MAX_AUX,
			     .def = "4M",
			     .short_flag = 'm',
			     .long_flag = "ring",
			     .help = "the trace area per CPU without --snapshot" },
	[HWT_PT_OPT_PER_THREAD] = { .name = "per_thread",
				    .type = HWT_OPT_BOOL,
				    .def = "0",
				    .help = "one event on the program's thread (no inherit) "
					    "instead of one per CPU" },
	[HWT_PT_OPT_TSC] = { .name = "tsc",
			     .type = HWT_OPT_BOOL,
			     .def = "1",
			     .help = "TSC timestamp packets" },
	[HWT_PT_OPT_MTC] = { .name = "mtc",
			     .type = HWT_OPT_BOOL,
			     .def = "1",
			     .help = "MTC timing packets where the CPU has them" },
	[HWT_PT_OPT_MTC_PERIOD] = { .name = "mtc_period",
				    .type = HWT_OPT_INT,
				    .min = 0,
				    .max = 15,
				    .help = "an MTC packet every 2^(N+1) crystal clock ticks; "
					    "unset: 3 or the nearest the CPU allows" },
	[HWT_PT_OPT_CYC] = { .name = "cyc",
			     .type = HWT_OPT_BOOL,
			     .def = "0",
			     .help = "CYC cycle-count packets (cycle-accurate mode)" },
	[HWT_PT_OPT_CYC_THRESH] = { .name = "cyc_thresh",
				    .type = HWT_OPT_INT,
				    .min = 0,
				    .max = 15,
				    .help = "CYC packets at most every 2^(N-1) cycles, with cyc=1; "
					    "unset: the CPU's default" },
	[HWT_PT_OPT_NORETCOMP] = { .name = "noretcomp",
				   .type = HWT_OPT_BOOL,
				   .def = "0",
				   .help = "no return compression: every return as a TIP packet" },
	[HWT_PT_OPT_PSB_PERIOD] = { .name = "psb_period",
				    .type = HWT_OPT_INT,
				    .min = 0,
				    .max = 15,
				    .help = "a PSB packet every 2^(N+11) bytes of trace; unset: "
					    "the CPU's default" },
};

/* ---- probing --------------------------------------------------------------------------- */

static int pt_probe(struct hwt_host *h, char *why, size_t len)
{
	return hwt_pt_available(HWT_PT_SYSFS, why, len);
}

/* ---- the trigger ----------------------------------------------------------------------- */

struct find_func {
	const char *name;
	uint64_t offset, vaddr;
	int found;
};

static int find_func(const struct hwt_elf_func *f, void *ctx)
{
	struct find_func *ff = ctx;

	if (strcmp(f->name, ff->name) && strcmp(f->demangled, ff->name))
		return 0;
	ff->offset = f->offset;
	ff->vaddr = f->vaddr;
	ff->found = 1;
	return 1;
}

/* Is @path an ELF executable of type ET_EXEC, loaded at its link-time addresses? */
static int fixed_address(const char *path)
{
	unsigned char e[18];
	FILE *f = fopen(path, "rb");
	size_t n = f ? fread(e, 1, sizeof(e), f) : 0;

	if (f)
		fclose(f);
	/* e_type is at 16 in both classes; EI_DATA 1: little-endian */
	return n == sizeof(e) && !memcmp(e, "\177ELF", 4) && e[5] == 1 && e[16] == 2 && !e[17];
}

/* Finds the trigger function in @path: 0, or a negative error with the host's error set. */
static int resolve_trigger(struct pt_state *s, const char *path)
{
	struct find_func ff = { .name = s->cfg.trigger };
	struct stat st;
	char why[512];

	int n = hwt_elf_functions(path, 0, find_func, &ff, why, sizeof(why));
	if (n < 0) {
		hwt_host_set_error(s->h, "intel_pt: trigger '%s': %s", s->cfg.trigger, why);
		return n;
	}
	if (!ff.found) {
		hwt_host_set_error(s->h,
				   "intel_pt: trigger function '%s' is not among the %d functions "
				   "of %s: give a function of the program",
				   s->cfg.trigger, n, path);
		return HWT_E_NOENT;
	}
	if (stat(path, &st)) {
		hwt_host_set_error(s->h, "intel_pt: cannot stat %s: %s", path, strerror(errno));
		return HWT_E_IO;
	}
	s->trig_file = (struct pt_file){ st.st_dev, st.st_ino };
	s->trig_off = ff.offset;
	s->trig_vaddr = ff.vaddr;
	s->trig_fixed = fixed_address(path);
	return 0;
}

static char *read_text(const char *path)
{
	size_t len = 0, cap = 65536;
	char *text = malloc(cap);
	FILE *f = fopen(path, "r");

	if (!f || !text) {
		if (f)
			fclose(f);
		free(text);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nt = realloc(text, cap *= 2);
			if (!nt)
				break;
			text = nt;
		}
		size_t n = fread(text + len, 1, cap - len - 1, f);
		if (!n)
			break;
		len += n;
	}
	text[len] = 0;
	fclose(f);
	return text;
}

static void set_breakpoints(struct pt_state *s, int on)
{
	for (int i = 0; i < s->ncpus; i++)
		if (s->cpus[i].bp_fd >= 0)
			ioctl(s->cpus[i].bp_fd, on ? PERF_EVENT_IOC_ENABLE : PERF_EVENT_IOC_DISABLE,
			      0);
}

/* After an exec of the target: put the breakpoints where the function now is (a PIE is loaded
 * at a random address) and enable them. Breakpoints cannot follow addresses by themselves. */
static void arm_trigger(struct pt_state *s)
{
	char link[64], exe[PATH_MAX], maps[64];
	struct stat st;

	s->arm_pending = 0;
	snprintf(link, sizeof(link), "/proc/%d/exe", s->pid);
	ssize_t n = readlink(link, exe, sizeof(exe) - 1);
	if (n <= 0)
		return; /* gone already */
	exe[n] = 0;
	if (stat(exe, &st) || st.st_dev != s->trig_file.dev || st.st_ino != s->trig_file.ino) {
		/* It exec'ed another program: the function may be there too. */
		char saved[512];
		snprintf(saved, sizeof(saved), "%s", hwt_host_error(s->h));
		if (resolve_trigger(s, exe) < 0) {
			set_breakpoints(s, 0);
			s->armed = 0;
			hwt_host_note(s->h, "%s; the trigger waits for a program that has it",
				      hwt_host_error(s->h));
			hwt_host_set_error(s->h, "%s", saved);
			return;
		}
	}
	snprintf(maps, sizeof(maps), "/proc/%d/maps", s->pid);
	char *text = read_text(maps);
	uint64_t addr = 0;
	int err = text ? hwt_pt_maps_addr(text, exe, s->trig_off, &addr) : HWT_E_IO;
	free(text);
	if (err) {
		hwt_host_note(s->h,
			      "intel_pt: trigger '%s': %s is not mapped executable in process %d",
			      s->cfg.trigger, exe, s->pid);
		return;
	}
	if (addr == s->bp_attr.bp_addr && s->bp_attr.enable_on_exec) {
		s->armed = 1; /* in place, and enabled by the exec */
		return;
	}
	for (int i = 0; i < s->ncpus; i++) {
		if (s->cpus[i].bp_fd < 0)
			continue;
		/* The kernel takes a new address (and enables) only with an attr identical but for
		 * the breakpoint fields, and passes it on to the inherited copies. */
		struct perf_event_attr a = s->bp_attr;
		a.bp_addr = addr;
		a.disabled = 0;
		a.enable_on_exec = 0; /* the kernel clears it at the exec */
		if (ioctl(s->cpus[i].bp_fd, PERF_EVENT_IOC_MODIFY_ATTRIBUTES, &a)) {
			if (!s->arm_failed)
				hwt_host_note(
					s->h,
					"intel_pt: cannot move the trigger breakpoint to %s "
					"(%s): no snapshots by trigger (a kernel older than 4.17?)",
					s->cfg.trigger, strerror(errno));
			s->arm_failed = 1;
			set_breakpoints(s, 0);
			return;
		}
	}
	s->armed = 1;
}

static uint64_t trigger_hits(struct pt_state *s)
{
	uint64_t total = 0, v[4];

	for (int i = 0; i < s->ncpus; i++)
		if (s->cpus[i].bp_fd >= 0 && read(s->cpus[i].bp_fd, v, sizeof(v)) >= 8)
			total += v[0]; /* value, then the id the host asked for */
	return total;
}

/* ---- copying trace out ----------------------------------------------------------------- */

/* Writes @len bytes of @c's trace from @src as items; @flags go on the first. */
static int emit(struct pt_state *s, struct pt_cpu *c, const uint8_t *src, size_t len,
		uint64_t offset, uint32_t flags)
{
	struct hwt_pt_item it;
	int err = 0;

	while (len && !err) {
		size_t n = len < PT_PIECE ? len : PT_PIECE;
		uint32_t f = flags | c->pending;
		if (c->loss_at != PT_NO_LOSS) {
			if (c->loss_at <= offset) {
				f |= HWT_PT_TRUNCATED;
				c->loss_at = PT_NO_LOSS;
			} else if (c->loss_at < offset + n) {
				n = (size_t)(c->loss_at - offset); /* the gap starts a new item */
			}
		}
		it = (struct hwt_pt_item){
			.cpu = c->cpu < 0 ? 0 : (uint32_t)c->cpu,
			.flags = f,
			.offset = offset,
			.len = (uint32_t)n,
			.tid = c->cpu < 0 ? (uint32_t)s->pid : 0,
			.pid = c->cpu < 0 ? (uint32_t)s->pid : 0,
		};
		memcpy(s->buf, &it, sizeof(it));
		memcpy(s->buf + sizeof(it), src, n);
		err = hwt_host_stream(s->h, s->source, s->buf, sizeof(it) + n);
		c->pending = 0;
		flags = 0;
		src += n;
		len -= n;
		offset += n;
	}
	return err;
}

/* Full trace: copies [aux_tail, aux_head) of every CPU and gives the space back. */
static int drain(struct pt_state *s)
{
	for (int i = 0; i < s->ncpus; i++) {
		struct pt_cpu *c = &s->cpus[i];
		struct hwt_pt_span sp[2];
		uint64_t skipped = 0;
		uint64_t head = __atomic_load_n(&c->page->aux_head, __ATOMIC_ACQUIRE);
		uint64_t tail = __atomic_load_n(&c->page->aux_tail, __ATOMIC_RELAXED);

		int n = hwt_pt_aux_spans(tail, head, c->size, sp, &skipped);
		if (n < 0)
			continue;
		if (skipped) {
			c->pending |= HWT_PT_TRUNCATED;
			s->nskipped += skipped;
		}
		for (int k = 0; k < n; k++) {
			int err = emit(s, c, c->aux + sp[k].pos, sp[k].len, sp[k].offset, 0);
			if (err)
				return err;
		}
		/* The copy is done before the kernel may write there again. */
		__atomic_store_n(&c->page->aux_tail, head, __ATOMIC_RELEASE);
		/* A full area makes the kernel disable the event; after exec an enable is safe and
		 * a no-op for an event that runs. */
		if (s->exec_seen && (c->loss_at != PT_NO_LOSS || head - tail >= c->size / 2))
			ioctl(c->fd, PERF_EVENT_IOC_ENABLE, 0);
	}
	return 0;
}

/* Snapshot: stops the trace on every CPU (the driver publishes aux_head when the event stops),
 * copies each overwritten area oldest first, and lets the trace go on when @resume. */
static int snapshot(struct pt_state *s, int why, int resume)
{
	int err = 0;

	for (int i = 0; i < s->ncpus; i++)
		ioctl(s->cpus[i].fd, PERF_EVENT_IOC_DISABLE, 0);
	for (int i = 0; i < s->ncpus && !err; i++) {
		struct pt_cpu *c = &s->cpus[i];
		struct hwt_pt_span sp[2];
		uint64_t head = __atomic_load_n(&c->page->aux_head, __ATOMIC_ACQUIRE);

		if (!c->wrapped)
			c->wrapped =
				hwt_pt_aux_wrapped(c->aux, c->size, (size_t)(head & (c->size - 1)));
		int n = hwt_pt_snapshot_spans(head, c->size, c->wrapped, c->snap_off, sp);
		for (int k = 0; k < n && !err; k++) {
			err = emit(s, c, c->aux + sp[k].pos, sp[k].len, sp[k].offset,
				   k ? 0 : HWT_PT_SNAPSHOT);
			c->snap_off += sp[k].len;
		}
	}
	if (resume && s->exec_seen)
		for (int i = 0; i < s->ncpus; i++)
			ioctl(s->cpus[i].fd, PERF_EVENT_IOC_ENABLE, 0);
	s->nsnap[why]++;
	return err;
}

static int pt_poll(void *st, uint64_t now_ns)
{
	struct pt_state *s = st;

	if (s->arm_pending)
		arm_trigger(s);
	if (!s->cfg.snapshot_bytes)
		return drain(s);

	int err = 0;
	uint64_t req = hwt_host_snapshot_requests(s->h);
	if (req != s->usr2_seen) {
		s->usr2_seen = req;
		err = snapshot(s, SNAP_SIGNAL, 1);
	}
	if (!err && s->armed) {
		uint64_t hits = trigger_hits(s);
		if (hits > s->hits) {
			s->hits = hits;
			err = snapshot(s, SNAP_TRIGGER, 1);
		}
	}
	return err;
}

/* ---- side band ------------------------------------------------------------------------- */

static struct pt_cpu *cpu_by_id(struct pt_state *s, uint64_t id)
{
	for (int i = 0; i < s->ncpus; i++)
		if (s->cpus[i].id == id)
			return &s->cpus[i];
	return NULL;
}

static void aux_record(struct pt_state *s, const struct perf_event_header *rec)
{
	uint64_t f[3], id;

	/* aux_offset, aux_size, flags, then sample_id ending with PERF_SAMPLE_IDENTIFIER */
	if (rec->size < sizeof(*rec) + sizeof(f) + sizeof(id))
		return;
	memcpy(f, rec + 1, sizeof(f));
	memcpy(&id, (const uint8_t *)rec + rec->size - sizeof(id), sizeof(id));
	struct pt_cpu *c = cpu_by_id(s, id);
	if (!c || !(f[2] & PT_LOSS))
		return;
	/* Truncated: nothing after the record's data was kept. Partial, collision: the data of
	 * the record itself has a gap. */
	uint64_t at = f[2] & PERF_AUX_FLAG_TRUNCATED ? f[0] + f[1] : f[0];
	if (s->cfg.snapshot_bytes)
		c->pending |= HWT_PT_TRUNCATED;
	else if (c->loss_at == PT_NO_LOSS || at < c->loss_at)
		c->loss_at = at;
	const char *what = f[2] & PERF_AUX_FLAG_TRUNCATED ? "the AUX area was full"
			   : f[2] & PERF_AUX_FLAG_PARTIAL ? "the hardware dropped packets"
							  : "another event took the trace unit";
	uint64_t *count = f[2] & PERF_AUX_FLAG_TRUNCATED ? &s->ntrunc
			  : f[2] & PERF_AUX_FLAG_PARTIAL ? &s->npartial
							 : &s->ncollide;
	if (!(*count)++)
		hwt_host_note(s->h, "intel_pt: trace lost on CPU %d at AUX offset %llu: %s%s",
			      c->cpu, (unsigned long long)at, what,
			      f[2] & PERF_AUX_FLAG_TRUNCATED && !s->cfg.snapshot_bytes
				      ? " (a bigger -m, or --snapshot to keep the end of the run)"
				      : "");
}

static void pt_sideband(void *st, const struct perf_event_header *rec)
{
	struct pt_state *s = st;

	if (rec->type == PERF_RECORD_AUX) {
		aux_record(s, rec);
	} else if (rec->type == PERF_RECORD_COMM && (rec->misc & PERF_RECORD_MISC_COMM_EXEC) &&
		   rec->size >= sizeof(*rec) + 8) {
		uint32_t pid;
		memcpy(&pid, rec + 1, sizeof(pid));
		if ((int)pid == s->pid) {
			s->exec_seen = 1;
			s->arm_pending = s->cfg.trigger && !s->arm_failed;
		}
	}
}

/* ---- start and stop -------------------------------------------------------------------- */

static void free_state(struct pt_state *s)
{
	if (!s)
		return;
	free(s->cpus);
	free(s->buf);
	free(s);
}

static int open_cpu(struct pt_state *s, const struct hwt_target *t, const struct hwt_pt_attr *pa,
		    int cpu, size_t aux)
{
	struct pt_cpu *c = &s->cpus[s->ncpus];
	int per_thread = cpu < 0, snap = s->cfg.snapshot_bytes != 0;
	struct perf_event_attr a = {
		.type = pa->type,
		.config = pa->config,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
		.disabled = 1,
		.enable_on_exec = 1,
		.inherit = !per_thread, /* the kernel maps no inherited per-thread event */
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.aux_watermark = snap ? 0 : (uint32_t)(aux / 4),
	};

	*c = (struct pt_cpu){ .cpu = cpu, .fd = -1, .loss_at = PT_NO_LOSS, .bp_fd = -1 };
	c->fd = hwt_host_open_event(s->h, &a, t->pid, cpu, -1, "intel_pt", HWT_EVENT_RING);
	if (c->fd < 0)
		return errno == ENODEV && cpu >= 0 ? 1 : c->fd; /* 1: CPU offline */
	if (ioctl(c->fd, PERF_EVENT_IOC_ID, &c->id)) {
		hwt_host_set_error(s->h, "intel_pt: PERF_EVENT_IOC_ID: %s", strerror(errno));
		return HWT_E_INVAL;
	}
	void *area = NULL;
	int err = hwt_host_map_aux(s->h, c->fd, aux, snap, &area, &c->page);
	if (err)
		return err;
	c->aux = area;
	c->size = aux;

	/* Side band on an event of its own, as the trace event is disabled while snapshots are
	 * taken and by the kernel when its area is full: mappings, threads, exec, switches. */
	struct perf_event_attr sb = {
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU,
		.disabled = 1,
		.enable_on_exec = 1,
		.inherit = !per_thread,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.mmap = 1,
		.mmap2 = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.context_switch = 1,
	};
	int fd = hwt_host_open_event(s->h, &sb, t->pid, cpu, -1, "intel_pt-sideband",
				     HWT_EVENT_RING);
	if (fd < 0)
		return fd;

	if (s->cfg.trigger) {
		/* At the function's link-time address: where a fixed-address program runs it,
		 * enabled by the exec then; else disabled until arm_trigger() moves it to the load
		 * address after the exec, so calls in the first poll period are missed. */
		struct perf_event_attr bp = {
			.type = PERF_TYPE_BREAKPOINT,
			.bp_type = HW_BREAKPOINT_X,
			.bp_addr = s->trig_vaddr,
			.bp_len = sizeof(long),
			.sample_period = 1,
			.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
			.disabled = 1,
			.enable_on_exec = s->trig_fixed,
			.inherit = !per_thread,
			.exclude_kernel = 1,
			.exclude_hv = 1,
		};
		c->bp_fd = hwt_host_open_event(s->h, &bp, t->pid, cpu, -1, "intel_pt-trigger", 0);
		if (c->bp_fd < 0)
			return c->bp_fd;
		s->bp_attr = bp;
	}
	s->ncpus++;
	return 0;
}

static int pt_start(struct hwt_host *h, const struct hwt_target *t,
		    const struct hwt_option_value *opts, void **st)
{
	struct pt_state *s = calloc(1, sizeof(*s));
	struct hwt_pt_attr pa;
	char why[512], real[PATH_MAX];
	int err;

	if (!s)
		return HWT_E_NOMEM;
	if (t->flags & (HWT_TARGET_ATTACHED | HWT_TARGET_SYSTEM)) {
		/* Its events are set up to start at the program's exec, one AUX area per CPU. */
		hwt_host_set_error(h, "-b pt records a program it starts, not yet -p or -a: use "
				      "-b sample (or -b uprobe with -p)");
		free(s);
		return HWT_E_NOTSUP;
	}
	s->h = h;
	s->pid = t->pid;
	err = hwt_pt_config_set(&s->cfg, opts, why, sizeof(why));
	if (!err)
		err = hwt_pt_attr_build(&s->cfg, HWT_PT_SYSFS, &pa, why, sizeof(why));
	size_t aux = s->cfg.snapshot_bytes ? s->cfg.snapshot_bytes : s->cfg.aux_bytes;
	if (!err)
		err = hwt_pt_aux_size_check(aux, (size_t)sysconf(_SC_PAGESIZE), why, sizeof(why));
	if (err) {
		hwt_host_set_error(h, "%s", why);
		goto fail;
	}
	if (s->cfg.trigger) {
		err = resolve_trigger(s, realpath(t->path, real) ? real : t->path);
		if (err)
			goto fail;
	}
	/* The stream first: the decoder finds the chunk below by the stream's name. */
	s->source = hwt_host_add_source(h, "intel_pt");
	if (s->source < 0) {
		err = s->source;
		hwt_host_set_error(h, "intel_pt: cannot declare the stream: %s", hwt_errstr(err));
		goto fail;
	}
	int want = s->cfg.per_thread ? 1 : t->ncpus;
	s->cpus = calloc((size_t)want, sizeof(*s->cpus));
	s->buf = malloc(sizeof(struct hwt_pt_item) + PT_PIECE);
	if (!s->cpus || !s->buf) {
		err = HWT_E_NOMEM;
		goto fail;
	}
	for (int i = 0; i < want; i++) {
		err = open_cpu(s, t, &pa, s->cfg.per_thread ? -1 : i, aux);
		if (err < 0)
			goto fail;
	}
	if (!s->ncpus) {
		snprintf(why, sizeof(why), "%s", hwt_host_error(h));
		hwt_host_set_error(h, "intel_pt: no CPU could take the event: %s", why);
		err = HWT_E_NOTSUP;
		goto fail;
	}

	struct hwt_pt_cpu cpu;
	struct hwt_pt_time tm;
	struct hwt_pt_sideband sb;
	hwt_pt_cpu_read(&cpu);
	hwt_pt_time_read(s->cpus[0].page, cpu.cpuid_15_ecx, cpu.cpuid_15_ebx, cpu.cpuid_15_eax,
			 &tm);
	err = hwt_pt_sideband_fill(&cpu, &pa, &tm, &s->cfg,
				   pa.nom_freq ? pa.nom_freq : cpu.nom_freq, &sb);
	if (!err)
		err = hwt_host_write_chunk(h, "intel_pt", &sb, sizeof(sb));
	if (err) {
		hwt_host_set_error(h, "intel_pt: cannot write its chunk: %s", hwt_errstr(err));
		goto fail;
	}
	if (!tm.have_conv)
		hwt_host_note(h, "intel_pt: the kernel gives no TSC conversion here "
				 "(cap_user_time_zero is 0): times come from tsc_hz and one "
				 "TSC/CLOCK_MONOTONIC pair");
	hwt_host_set_meta(h, "pt.mode", s->cfg.snapshot_bytes ? "snapshot" : "full");
	*st = s;
	return 0;
fail:
	free_state(s); /* the host closes the events and unmaps the areas */
	return err;
}

static void pt_stop(void *st)
{
	struct pt_state *s = st;
	char buf[64];

	if (!s)
		return;
	if (s->cfg.snapshot_bytes)
		snapshot(s, SNAP_EXIT, 0);
	else
		drain(s);
	if (s->cfg.snapshot_bytes) {
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)(s->nsnap[SNAP_EXIT] + s->nsnap[SNAP_SIGNAL] +
					      s->nsnap[SNAP_TRIGGER]));
		hwt_host_set_meta(s->h, "pt.snapshots", buf);
		if (s->cfg.trigger)
			hwt_host_note(s->h,
				      "intel_pt: trigger '%s' hit %llu times, %llu snapshots "
				      "taken by it",
				      s->cfg.trigger, (unsigned long long)s->hits,
				      (unsigned long long)s->nsnap[SNAP_TRIGGER]);
	}
	if (s->ntrunc + s->npartial + s->ncollide + s->nskipped) {
		snprintf(buf, sizeof(buf), "%llu",
			 (unsigned long long)(s->ntrunc + s->npartial + s->ncollide));
		hwt_host_set_meta(s->h, "pt.aux_lost", buf);
		hwt_host_note(s->h,
			      "intel_pt: trace data lost: %llu times the AUX area was full, %llu "
			      "times the hardware dropped packets, %llu collisions",
			      (unsigned long long)s->ntrunc, (unsigned long long)s->npartial,
			      (unsigned long long)s->ncollide);
	}
	free_state(s);
}

const struct hwt_plugin hwt_plugin_intel_pt = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_TRACER,
	.name = "pt",
	.summary = "Intel Processor Trace: every branch, exact calls and returns on a timeline",
	.options = hwt_pt_options,
	.noptions = HWT_PT_NOPTIONS,
	.probe = pt_probe,
	.start = pt_start,
	.poll = pt_poll,
	.stop = pt_stop,
	.sideband = pt_sideband,
};

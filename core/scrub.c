/* Privacy at record time: the bytes of copied user stacks that lie at or above a process's
 * initial argv and environment strings are zeroed before they reach the recording. */
#include "scrub.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "format/perf_sample.h"
#include "format/sysc_format.h"
#include "hwtrace/error.h"

#define PERF_REG_X86_SP 7
#define PERF_REG_X86_IP 8

#define PF_EXITING 0x4 /* the kernel's task flag: exit has begun (field 9 of /proc/PID/stat) */

/* /proc/PID/stat read into @buf (@len bytes, NUL-terminated) through @pr's descriptor, kept open
 * from round to round (a read costs one system call, not four); opened again once when it fails:
 * the process is gone, or its pid now names another. Returns the bytes read, 0 on failure. */
static size_t read_stat(struct hwt_scrub_proc *pr, uint32_t pid, char *buf, size_t len)
{
	for (int again = 0; again < 2; again++) {
		if (!pr->stat_fd) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/%u/stat", pid);
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return 0;
			pr->stat_fd = fd + 1;
		}
		ssize_t n = pread(pr->stat_fd - 1, buf, len - 1, 0);
		if (n > 0) {
			buf[n] = 0;
			return (size_t)n;
		}
		close(pr->stat_fd - 1);
		pr->stat_fd = 0;
	}
	return 0;
}

/* Fields 28 (startstack: where argc is) and 48 (arg_start) of /proc/PID/stat; both 0 when they
 * cannot be read. Returns 1 while the process runs, 0 once it is gone, a zombie, or exiting (its
 * memory is being torn down: the fields read 0 then, and they describe no new image). */
static int read_stack_fields(struct hwt_scrub_proc *pr, uint32_t pid, uint64_t *startstack,
			     uint64_t *arg_start)
{
	char buf[1024];
	*startstack = *arg_start = 0;
	if (!read_stat(pr, pid, buf, sizeof(buf)))
		return 0;
	/* The command name (field 2) may hold spaces and parentheses: count after the last ')'. */
	char *p = strrchr(buf, ')');
	/* A zombie's memory fields read 0: the process is gone, not changing. */
	int alive = p && p[1] == ' ' && p[2] && !strchr("ZXx", p[2]);
	for (int field = 2; p && field < 48; field++) {
		p = strchr(p + 1, ' '); /* now before field + 1 */
		if (p && field + 1 == 9 && (strtoull(p + 1, NULL, 10) & PF_EXITING))
			alive = 0;
		if (p && field + 1 == 28)
			*startstack = strtoull(p + 1, NULL, 10);
	}
	if (p && *startstack)
		*arg_start = strtoull(p + 1, NULL, 10);
	return alive;
}

/* The process's stack fields, read in this round if they were not yet. */
static struct hwt_scrub_proc *proc_of(struct hwt_scrub *s, uint32_t pid)
{
	static struct hwt_scrub_proc unknown;
	int created = 0;
	uint32_t *slot = hwt_idmap_put(&s->pids, pid, &created);
	if (!slot)
		return &unknown;
	if (created) {
		if (HWT_ARRAY_GROW(s->procs, &s->cap_procs, s->nprocs + 1)) {
			*slot = 0;
			return &unknown;
		}
		s->procs[s->nprocs] = (struct hwt_scrub_proc){ 0 };
		*slot = (uint32_t)++s->nprocs;
	}
	if (!*slot)
		return &unknown;
	struct hwt_scrub_proc *pr = &s->procs[*slot - 1];
	if (pr->round != s->round) {
		uint64_t ss, as;
		/* A process gone since keeps what it had: it exec'd no more. One that runs takes
		 * what it has now, 0 included: in the middle of an exec the new image's fields
		 * are not set yet, and the old image's must not be applied to its copies. */
		if (read_stack_fields(pr, pid, &ss, &as) || as) {
			/* The fields must describe the process's memory as it is: argv[0], after
			 * argc, points at the strings. Read in the middle of an exec they may not
			 * yet (values of the image being built were seen 54 bytes off). */
			uint64_t argv0 = 0;
			struct iovec local = { &argv0, 8 },
				     remote = { (void *)(uintptr_t)(ss + 8), 8 };
			if (as && process_vm_readv((pid_t)pid, &local, 1, &remote, 1, 0) == 8 &&
			    argv0 != as)
				as = 0;
			pr->startstack = ss;
			pr->arg_start = as;
		}
		pr->round = s->round;
	}
	return pr;
}

/* Where the zeroing of a copy of @len bytes (@dyn of them copied) from @sp starts: at the
 * process's argc (its argv strings lie above), or 0 (all of it) when the copy cannot be shown to be
 * of the image /proc describes. A main thread's copy that reaches argc must find argv[0] pointing
 * at arg_start there; one that stops short of argc because the stack ended (a copy taken while the
 * process was still the old program, during exec) or that starts above argc is not this
 * image's. */
static uint64_t cut_at(const struct hwt_scrub_proc *pr, int main_thread, uint64_t sp,
		       const uint8_t *stack, uint64_t len, uint64_t dyn)
{
	uint64_t argv0;

	if (!pr->arg_start || pr->arg_start <= sp)
		return 0;
	if (main_thread) {
		uint64_t at = pr->startstack + 8; /* argv[0] */
		if (sp > at)
			return 0;
		if (at - sp <= dyn && dyn - (at - sp) >= 8) {
			memcpy(&argv0, stack + (at - sp), 8);
			if (argv0 != pr->arg_start)
				return 0;
		} else if (dyn < len) {
			return 0;
		}
	}
	/* From argc up: the argv and environment pointers, the auxiliary vector, and between it
	 * and the strings what exec left of them (fragments of the strings were seen there). No
	 * frame lives above argc: _start begins below it. */
	if (pr->startstack <= sp)
		return 0;
	return pr->startstack - sp < len ? pr->startstack - sp : len;
}

/* User register @reg (perf's number) of sample @smp of event @e into *@v: 1, or 0 when the
 * sample has no such register. */
static int user_reg(const struct hwt_event_desc *e, const struct hwt_perf_sample *smp, int reg,
		    uint64_t *v)
{
	if (!smp->regs || !(e->sample_regs_user >> reg & 1))
		return 0;
	*v = smp->regs[__builtin_popcountll(e->sample_regs_user & ((1ull << reg) - 1))];
	return 1;
}

/* Where the zeroing of the stack copy of sample @rec (@size bytes, @e's) starts (see cut_at());
 * fills @smp. Returns -1 when the record has no copy (or does not parse): nothing to scrub. */
static int64_t cut_of(struct hwt_scrub *s, const struct hwt_event_desc *e, const uint8_t *rec,
		      size_t size, struct hwt_perf_sample *smp)
{
	const uint8_t *body = rec + sizeof(struct perf_event_header);

	if (!(e->sample_type & PERF_SAMPLE_STACK_USER) ||
	    hwt_perf_sample_parse(e, body, rec + size, smp) || !smp->stack)
		return -1;
	uint64_t copied, from = 0, sp;
	memcpy(&copied, smp->stack - 8, 8);
	if (user_reg(e, smp, PERF_REG_X86_SP, &sp)) {
		struct hwt_scrub_proc *pr = proc_of(s, smp->pid);
		uint16_t mode = ((const struct perf_event_header *)rec)->misc &
				PERF_RECORD_MISC_CPUMODE_MASK;
		/* The syscalls plugin's records are taken in the kernel, at a system call the
		 * program made from its own code, after its exec (the plugin follows a launched
		 * program from there): the copy is of the image /proc describes. */
		if (e->type == PERF_TYPE_SOFTWARE && e->config == PERF_COUNT_SW_BPF_OUTPUT &&
		    !strcmp(e->name, HWT_SYSC_EVENT))
			mode = PERF_RECORD_MISC_USER;
		/* Samples in the kernel before the process first ran its own code are taken during
		 * its exec: the copy is of a stack being built (partial copies of the strings were
		 * seen there), not of the image /proc describes. */
		if (mode == PERF_RECORD_MISC_USER && pr->arg_start)
			pr->ran_user = 1;
		from = mode != PERF_RECORD_MISC_USER && !pr->ran_user
			       ? 0
			       : cut_at(pr, smp->pid == smp->tid, sp, smp->stack, copied,
					smp->stack_size);
	}
	return (int64_t)(from < copied ? from : copied);
}

int hwt_scrub_learn_range(struct hwt_scrub *s, uint64_t lo, uint64_t hi)
{
	size_t a = 0, b = s->ncode, j;

	if (lo >= hi)
		return 0;
	while (a < b) { /* the first range that ends at or after @lo */
		size_t m = a + (b - a) / 2;
		if (s->code[m].hi < lo)
			a = m + 1;
		else
			b = m;
	}
	if (a < s->ncode && s->code[a].lo <= lo && hi <= s->code[a].hi)
		return 0; /* known already: most records are seen twice, and maps read again */
	memset(s->pages, 0, sizeof(s->pages));
	for (j = a; j < s->ncode && s->code[j].lo <= hi; j++) { /* those it touches merge */
		lo = s->code[j].lo < lo ? s->code[j].lo : lo;
		hi = s->code[j].hi > hi ? s->code[j].hi : hi;
	}
	if (j == a) {
		if (HWT_ARRAY_GROW(s->code, &s->cap_code, s->ncode + 1))
			return HWT_E_NOMEM;
		memmove(&s->code[a + 1], &s->code[a], (s->ncode - a) * sizeof(*s->code));
		s->ncode++;
	} else if (j > a + 1) {
		memmove(&s->code[a + 1], &s->code[j], (s->ncode - j) * sizeof(*s->code));
		s->ncode -= j - a - 1;
	}
	s->code[a] = (struct hwt_scrub_range){ lo, hi };
	return 0;
}

/* hwt_scrub_is_code(), in the loop over a copy's words. */
static inline __attribute__((always_inline)) int code_at(struct hwt_scrub *s, uint64_t addr)
{
	size_t a = 0, b = s->ncode;

	/* Most words of a stack are small numbers or point into the stack, above the code. */
	if (!b || addr < s->code[0].lo || addr >= s->code[b - 1].hi)
		return 0;
	/* Others point into a few pages again and again (code, the heap): one look a page. */
	uint64_t key = (addr >> 12) + 1;
	uint64_t *slot = &s->pages[(key * 0x9e3779b97f4a7c15ull) >> 54 & (HWT_SCRUB_PAGES - 1)];
	if (*slot >> 1 == key)
		return (int)(*slot & 1);
	while (b - a > 1) { /* the last range that starts at or before @addr is in [a, b) */
		size_t m = a + (b - a) / 2;
		if (s->code[m].lo <= addr)
			a = m;
		else
			b = m;
	}
	int found = addr < s->code[a].hi;
	/* Per page only where the ranges are whole pages, as mappings are. */
	if (!(s->code[a].lo & 4095) && !(s->code[a].hi & 4095) &&
	    (a + 1 == s->ncode || !(s->code[a + 1].lo & 4095)))
		*slot = key << 1 | (uint64_t)found;
	return found;
}

int hwt_scrub_is_code(struct hwt_scrub *s, uint64_t addr)
{
	return code_at(s, addr);
}

int hwt_scrub_learn(struct hwt_scrub *s, const uint8_t *rec, size_t len)
{
	struct perf_event_header h;
	uint64_t addr, size;
	uint32_t prot;

	if (len < sizeof(h) + 24)
		return 0;
	memcpy(&h, rec, sizeof(h));
	if (h.type == PERF_RECORD_MMAP) { /* pid, tid, addr, len, pgoff, filename */
		if (h.misc & PERF_RECORD_MISC_MMAP_DATA)
			return 0;
	} else if (h.type == PERF_RECORD_MMAP2 && len >= 68 && h.size >= 68) {
		memcpy(&prot, rec + 64, 4); /* after pgoff and the device or build-id union */
		if (!(prot & PROT_EXEC))
			return 0;
	} else {
		return 0;
	}
	memcpy(&addr, rec + 16, 8);
	memcpy(&size, rec + 24, 8);
	if (addr + size < addr)
		return 0;
	return hwt_scrub_learn_range(s, addr, addr + size) ? HWT_E_NOMEM : 1;
}

void hwt_scrub_lost(struct hwt_scrub *s)
{
	s->maps_since = s->round + 1; /* the round of the copies rewritten next */
}

/* The executable mappings of @pid (its @pr) from /proc/PID/maps, read in this round. */
static void learn_maps(struct hwt_scrub *s, struct hwt_scrub_proc *pr, uint32_t pid)
{
	char path[64], line[256];
	int whole = 1; /* @line starts a line of the file */

	pr->maps_round = s->round;
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return; /* gone: what its MMAP records said is all there is */
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[5];
		if (whole && sscanf(line, "%llx-%llx %4s", &lo, &hi, perms) == 3 && perms[2] == 'x')
			hwt_scrub_learn_range(s, lo, hi);
		whole = strchr(line, '\n') != NULL;
	}
	fclose(f);
}

/* Whether the user IP of sample @smp (@e's) lies in a mapping known to be executable, the
 * sampled process's mappings read from /proc the first time it is seen and, when the IP lies in
 * none, once more in this round: else what is known is stale, and the copy stays whole. */
static int ip_known(struct hwt_scrub *s, const struct hwt_event_desc *e,
		    const struct hwt_perf_sample *smp)
{
	uint64_t ip;
	if (!user_reg(e, smp, PERF_REG_X86_IP, &ip))
		return 0;
	struct hwt_scrub_proc *pr = proc_of(s, smp->pid);
	if (!pr->maps_round || pr->maps_round < s->maps_since)
		learn_maps(s, pr, smp->pid);
	if (hwt_scrub_is_code(s, ip))
		return 1;
	if (pr->maps_round == s->round)
		return 0;
	learn_maps(s, pr, smp->pid);
	return hwt_scrub_is_code(s, ip);
}

/* Copies sample @rec (@size bytes, @e's, parsed in @smp) to @out (at or below it) as copy_cut()
 * would with @keep and @from, but its stack copy sparse: only the words, below @from, that point
 * into executable mappings. Returns the copy's size; 0 when the sparse copy would be no shorter,
 * or what the process has mapped is not known (then copy it whole). */
static size_t copy_sparse(struct hwt_scrub *s, const struct hwt_event_desc *e, uint8_t *out,
			  const uint8_t *rec, size_t size, const struct hwt_perf_sample *smp,
			  uint64_t keep, uint64_t from)
{
	uint64_t extent = smp->stack_size < keep ? smp->stack_size : keep, nmap, kept = 0, w;
	uint64_t map[HWT_STACK_SPARSE_MAX / 512] = { 0 };
	uint8_t block[HWT_STACK_SPARSE_MAX + sizeof(map)];

	if (extent > HWT_STACK_SPARSE_MAX || !ip_known(s, e, smp)) {
		s->whole++;
		return 0;
	}
	nmap = HWT_STACK_SPARSE_MAP_WORDS(extent);
	/* Slots wholly below @from: above it lie the program's arguments, zeroed. */
	uint64_t slots = (extent + 7) / 8 < from / 8 ? (extent + 7) / 8 : from / 8;
	for (uint64_t i = 0; i < slots; i++) {
		memcpy(&w, smp->stack + 8 * i, 8);
		if (code_at(s, w)) {
			map[i / 64] |= 1ull << (i % 64);
			kept++;
		}
	}
	if (8 * (nmap + kept) >= keep) {
		s->whole++;
		return 0;
	}
	/* Everything read from @rec before anything is written: @out may overlap it. */
	size_t blen = hwt_perf_stack_pack(block, smp->stack, extent, map);
	uint64_t copied, dyn = extent | HWT_STACK_SPARSE, b64 = blen;
	memcpy(&copied, smp->stack - 8, 8);
	size_t head = (size_t)(smp->stack - rec), tail = size - head - (size_t)copied;
	struct perf_event_header h;

	memmove(out, rec, head); /* the tail lies after the block's end: read after it */
	memcpy(out + head - 8, &b64, 8);
	memcpy(out + head, block, blen);
	memmove(out + head + blen, rec + size - tail, tail);
	memcpy(out + head + blen, &dyn, 8); /* the dynamic size leads the tail */
	memcpy(&h, out, sizeof(h));
	h.size = (uint16_t)(head + blen + tail);
	memcpy(out, &h, sizeof(h));
	s->sparse++;
	return h.size;
}

/* Copies sample @rec (@size bytes) to @out (at or below it: memmove), its stack copy cut at
 * @keep bytes (8 or more; bytes past @from are zeros); returns the copy's size. */
static size_t copy_cut(uint8_t *out, const uint8_t *rec, size_t size, const uint8_t *stack,
		       uint64_t copied, uint64_t keep, uint64_t from)
{
	size_t head = (size_t)(stack - rec), tail = size - head - (size_t)copied;
	struct perf_event_header h;

	memmove(out, rec, head);
	memmove(out + head, stack, (size_t)(keep < from ? keep : from));
	if (from < keep)
		memset(out + head + from, 0, (size_t)(keep - from));
	memmove(out + head + keep, stack + copied, tail);
	memcpy(out + head - 8, &keep, 8);
	memcpy(&h, out, sizeof(h));
	h.size = (uint16_t)(head + keep + tail);
	memcpy(out, &h, sizeof(h));
	return h.size;
}

void hwt_scrub_prime(struct hwt_scrub *s, uint32_t pid)
{
	s->round++; /* read again: an exec since the last read changed the fields */
	proc_of(s, pid);
}

void hwt_scrub_fork(struct hwt_scrub *s, uint32_t parent, uint32_t child)
{
	s->round++;
	struct hwt_scrub_proc p = *proc_of(s, parent); /* a copy: the next call may move it */
	struct hwt_scrub_proc *pc = proc_of(s, child);
	/* A fork copies its parent's memory: the same stack, argv and environment, until the
	 * child execs. One gone before it could be read has its parent's (an exec would have
	 * been seen first: the copies of a later image are checked against argv[0]). */
	if (parent != child && !pc->startstack && !pc->arg_start && p.arg_start) {
		pc->startstack = p.startstack;
		pc->arg_start = p.arg_start;
		pc->ran_user = p.ran_user;
	}
}

size_t hwt_scrub_copy(struct hwt_scrub *s, uint8_t *dst, const uint8_t *src, size_t len,
		      hwt_scrub_desc_fn desc_of, void *ctx)
{
	size_t in = 0, out = 0;

	s->round++;
	while (in + sizeof(struct perf_event_header) <= len) {
		struct perf_event_header h;
		const struct hwt_event_desc *e = NULL;
		struct hwt_perf_sample smp;
		int64_t cut = -1;
		uint64_t id;

		memcpy(&h, src + in, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - in || h.size % 8)
			break;
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 8) {
			memcpy(&id, src + in + sizeof(h), 8);
			e = desc_of(ctx, id);
		}
		if (e)
			cut = cut_of(s, e, src + in, h.size, &smp);
		if (cut < 0) {
			memmove(dst + out, src + in, h.size);
			out += h.size;
		} else {
			uint64_t copied, from = (uint64_t)cut;
			memcpy(&copied, smp.stack - 8, 8);
			/* What the kernel filled, up to argc: nothing above is of use. */
			uint64_t keep = (smp.stack_size + 7) & ~7ull;
			keep = keep > (from & ~7ull) ? from & ~7ull : keep;
			keep = keep < 8 ? 8 : keep;
			s->zeroed += copied - from;
			size_t n = 0;
			if (e->flags & HWT_DESC_SPARSE_STACK)
				n = copy_sparse(s, e, dst + out, src + in, h.size, &smp, keep,
						from);
			if (!n)
				n = copy_cut(dst + out, src + in, h.size, smp.stack, copied, keep,
					     from);
			out += n;
		}
		in += h.size;
	}
	/* A broken tail goes on as it was. */
	memmove(dst + out, src + in, len - in);
	return out + (len - in);
}

void hwt_scrub_fini(struct hwt_scrub *s)
{
	if (!s)
		return;
	hwt_idmap_fini(&s->pids);
	for (size_t i = 0; i < s->nprocs; i++)
		if (s->procs[i].stat_fd)
			close(s->procs[i].stat_fd - 1);
	free(s->procs);
	free(s->code);
	memset(s, 0, sizeof(*s));
}

/* Privacy at record time: the bytes of copied user stacks that lie at or above a process's
 * initial argv and environment strings are zeroed before they reach the recording. */
#include "scrub.h"

#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "format/perf_sample.h"
#include "format/sysc_format.h"

#define PERF_REG_X86_SP 7

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

/* Where the zeroing of the stack copy of sample @rec (@size bytes, @e's) starts (see cut_at());
 * fills @smp. Returns -1 when the record has no copy (or does not parse): nothing to scrub. */
static int64_t cut_of(struct hwt_scrub *s, const struct hwt_event_desc *e, const uint8_t *rec,
		      size_t size, struct hwt_perf_sample *smp)
{
	const uint8_t *body = rec + sizeof(struct perf_event_header);

	if (!(e->sample_type & PERF_SAMPLE_STACK_USER) ||
	    hwt_perf_sample_parse(e, body, rec + size, smp) || !smp->stack)
		return -1;
	uint64_t copied, from = 0;
	memcpy(&copied, smp->stack - 8, 8);
	if (smp->regs && (e->sample_regs_user >> PERF_REG_X86_SP & 1)) {
		int at =
			__builtin_popcountll(e->sample_regs_user & ((1ull << PERF_REG_X86_SP) - 1));
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
			       : cut_at(pr, smp->pid == smp->tid, smp->regs[at], smp->stack, copied,
					smp->stack_size);
	}
	return (int64_t)(from < copied ? from : copied);
}

static size_t scrub_sample(struct hwt_scrub *s, const struct hwt_event_desc *e, uint8_t *rec,
			   size_t size)
{
	struct hwt_perf_sample smp;
	int64_t cut = cut_of(s, e, rec, size, &smp);

	if (cut < 0)
		return 0;
	uint8_t *stack = rec + (smp.stack - rec);
	uint64_t copied, from = (uint64_t)cut;
	memcpy(&copied, stack - 8, 8);
	if (from >= copied)
		return 0;
	memset(stack + from, 0, copied - from);
	return copied - from;
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
			out += copy_cut(dst + out, src + in, h.size, smp.stack, copied, keep, from);
		}
		in += h.size;
	}
	/* A broken tail goes on as it was. */
	memmove(dst + out, src + in, len - in);
	return out + (len - in);
}

size_t hwt_scrub_records(struct hwt_scrub *s, uint8_t *p, size_t len, hwt_scrub_desc_fn desc_of,
			 void *ctx)
{
	size_t zeroed = 0;

	s->round++;
	for (size_t off = 0; off + sizeof(struct perf_event_header) <= len;) {
		struct perf_event_header h;
		memcpy(&h, p + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off)
			break;
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 8) {
			uint64_t id;
			memcpy(&id, p + off + sizeof(h), 8);
			const struct hwt_event_desc *e = desc_of(ctx, id);
			if (e)
				zeroed += scrub_sample(s, e, p + off, h.size);
		}
		off += h.size;
	}
	s->zeroed += zeroed;
	return zeroed;
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
	memset(s, 0, sizeof(*s));
}

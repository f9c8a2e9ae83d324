/* Privacy at record time: the bytes of copied user stacks that lie at or above a process's
 * initial argv and environment strings are zeroed before they reach the recording. */
#include "scrub.h"

#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/perf_sample.h"

#define PERF_REG_X86_SP 7

/* Field 48 of /proc/PID/stat (arg_start), or 0 when it cannot be read. */
static uint64_t read_arg_start(uint32_t pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	/* The command name (field 2) may hold spaces and parentheses: count after the last ')'. */
	char *p = strrchr(buf, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 2; field < 47 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* arg_start of @pid, read in this round if it was not yet. */
static uint64_t arg_start(struct hwt_scrub *s, uint32_t pid)
{
	int created = 0;
	uint32_t *slot = hwt_idmap_put(&s->pids, pid, &created);
	if (!slot)
		return 0;
	if (created) {
		if (HWT_ARRAY_GROW(s->procs, &s->cap_procs, s->nprocs + 1)) {
			*slot = 0;
			return 0;
		}
		s->procs[s->nprocs] = (struct hwt_scrub_proc){ 0, 0 };
		*slot = (uint32_t)++s->nprocs;
	}
	if (!*slot)
		return 0;
	struct hwt_scrub_proc *pr = &s->procs[*slot - 1];
	if (pr->round != s->round) {
		uint64_t a = read_arg_start(pid);
		if (a) /* a process gone since keeps what it had: it exec'd no more */
			pr->arg_start = a;
		pr->round = s->round;
	}
	return pr->arg_start;
}

static size_t scrub_sample(struct hwt_scrub *s, const struct hwt_event_desc *e, uint8_t *rec,
			   size_t size)
{
	struct hwt_perf_sample smp;
	const uint8_t *body = rec + sizeof(struct perf_event_header);

	if (!(e->sample_type & PERF_SAMPLE_STACK_USER) ||
	    hwt_perf_sample_parse(e, body, rec + size, &smp) || !smp.stack)
		return 0;
	uint8_t *stack = rec + (smp.stack - rec);
	uint64_t copied = *(const uint64_t *)(smp.stack - 8), from = 0;
	uint64_t top = arg_start(s, smp.pid), sp = 0;
	int have_sp = smp.regs && (e->sample_regs_user >> PERF_REG_X86_SP & 1);
	if (have_sp) {
		int at =
			__builtin_popcountll(e->sample_regs_user & ((1ull << PERF_REG_X86_SP) - 1));
		sp = smp.regs[at];
	}
	if (have_sp && top)
		from = top <= sp ? 0 : top - sp < copied ? top - sp : copied;
	if (from >= copied)
		return 0;
	memset(stack + from, 0, copied - from);
	return copied - from;
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
	free(s->procs);
	memset(s, 0, sizeof(*s));
}

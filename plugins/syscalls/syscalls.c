/* The `syscalls` plugin: file opens, reads, writes and mappings with their paths and byte counts,
 * and network connects, sends and receives with their addresses, each with the calling thread's
 * user stack (copied, for CFI unwinding), from a BPF program on the raw sys_exit tracepoint (and
 * two on io_uring's submission and completion tracepoints) that writes to per-CPU perf events;
 * decoders/effects turns the records into instants. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "core/format/records.h"
#include "core/format/sysc_format.h"
#include "sysc_bpf.h"

enum { OPT_STACK, OPT_STACK_SIZE, SYSC_NOPTIONS };

/* The rings with stack=dwarf (see sysc_ring_bytes()): about this much in all, each CPU's a power
 * of two from SYSC_RING_MIN to SYSC_RING_MAX. */
#define SYSC_RING_ALL (64u << 20)
#define SYSC_RING_MIN (4u << 20)
#define SYSC_RING_MAX (16u << 20)

static const struct hwt_option sysc_options[SYSC_NOPTIONS] = {
	[OPT_STACK] = { .name = "stack",
			.type = HWT_OPT_ENUM,
			.def = "dwarf",
			.choices = (const char *const[]){ "dwarf", "fp", "none", NULL },
			.help = "the caller's stack: dwarf (copy the top of the user stack and "
				"unwind "
				"it with the code's CFI: every caller, about stack_size bytes a "
				"call), "
				"fp (frame pointers: cheap, but the walk stops in libc's wrappers "
				"once "
				"the program has threads) or none" },
	[OPT_STACK_SIZE] = { .name = "stack_size",
			     .type = HWT_OPT_SIZE,
			     .min = 512,
			     .max = 65528,
			     .def = "8K",
			     .help = "with stack=dwarf, bytes of user stack copied at each call "
				     "(multiple of 8): deeper stacks need more, busy programs "
				     "less" },
};

static int sysc_probe(struct hwt_host *h, char *why, size_t len)
{
	int err, rc;
	struct hwt_sysc_bpf *b = hwt_sysc_bpf_open(1, &err, why, len);

	(void)h;
	if (!b)
		return 0;
	/* Attached for a moment: a kernel without raw tracepoints for BPF says so here. */
	rc = hwt_sysc_bpf_attach(b, why, len);
	hwt_sysc_bpf_close(b);
	return rc == 0;
}

static int sysc_start(struct hwt_host *h, const struct hwt_target *t,
		      const struct hwt_option_value *opts, void **st)
{
	char why[700];
	int err;

	if (t->flags & HWT_TARGET_SYSTEM) {
		hwt_host_set_error(h, "not with -a (every process): record a program, or "
				      "attach with -p PID");
		return HWT_E_INVAL;
	}
	struct hwt_sysc_bpf *b = hwt_sysc_bpf_open(t->ncpus, &err, why, sizeof(why));
	if (!b) {
		hwt_host_set_error(h, "%s", why);
		return err;
	}
	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		struct perf_event_attr attr;

		memset(&attr, 0, sizeof(attr));
		attr.type = PERF_TYPE_SOFTWARE;
		attr.config = PERF_COUNT_SW_BPF_OUTPUT;
		attr.sample_period = 1;
		attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_RAW;
		/* The records the kernel could not write, counted exactly (info's lost). */
		attr.read_format = PERF_FORMAT_LOST;
		if (opts[OPT_STACK].i == 0) {
			/* The user stack is copied and unwound with its CFI (as -g dwarf): the
			 * frame-pointer walk stops in libc's wrappers, which use %rbp as a register
			 * once the program has threads, and skips the function that called them. */
			attr.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
			attr.sample_regs_user = HWT_SAMPLE_REGS_MASK;
			attr.sample_stack_user = (uint32_t)opts[OPT_STACK_SIZE].i & ~7u;
		} else if (opts[OPT_STACK].i == 1) {
			/* Frame pointers, and the top of the stack for the caller of a wrapper
			 * that has no frame of its own (as -g fp). */
			attr.sample_type |= PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
					    PERF_SAMPLE_STACK_USER;
			attr.exclude_callchain_kernel = 1;
			attr.sample_regs_user = HWT_SAMPLE_FP_REGS_MASK;
			attr.sample_stack_user = 512;
		}
		int fd = hwt_host_open_event(h, &attr, -1, cpu, -1, HWT_SYSC_EVENT, 0);
		if (fd == HWT_E_INVAL && errno == ENODEV)
			continue; /* CPU offline */
		if (fd < 0) {
			hwt_sysc_bpf_close(b);
			return fd;
		}
		if ((err = hwt_sysc_bpf_set_output(b, cpu, fd, why, sizeof(why))))
			goto fail;
	}
	int npids = t->npids > 0 && t->pids ? t->npids : 1;
	for (int i = 0; i < npids; i++) {
		int pid = t->npids > 0 && t->pids ? t->pids[i] : t->pid;
		int at_exec = !(t->flags & HWT_TARGET_ATTACHED);
		if ((err = hwt_sysc_bpf_add_pid(b, (uint32_t)pid, at_exec, why, sizeof(why))))
			goto fail;
	}
	if ((err = hwt_sysc_bpf_attach(b, why, sizeof(why))))
		goto fail;
	if (!hwt_sysc_bpf_follows_uring(b))
		hwt_host_note(h,
			      "syscalls: I/O through io_uring is not seen (its tracepoints or the "
			      "kernel's BTF of its requests are missing)");
	*st = b;
	return 0;
fail:
	hwt_host_set_error(h, "%s", why);
	hwt_sysc_bpf_close(b);
	return err;
}

static void sysc_stop(void *st)
{
	hwt_sysc_bpf_close(st);
}

/* Each call's record carries stack_size bytes of stack with stack=dwarf: at 200 k calls a second
 * the host's default ring (1 MiB a CPU, about 120 such records) fills between two drains, and a
 * recorder that waits for a CPU a few milliseconds (a busy machine) loses what 4 MiB cannot
 * hold. 16 MiB a CPU on small machines, less on big ones (the rings are locked memory). */
static size_t sysc_ring_bytes(const struct hwt_option_value *opts)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	size_t ring = SYSC_RING_MAX;

	if (opts[OPT_STACK].i != 0)
		return 0;
	while (ncpus > 0 && ring > SYSC_RING_MIN && ring * (size_t)ncpus > SYSC_RING_ALL)
		ring /= 2;
	return ring;
}

const struct hwt_plugin hwt_plugin_syscalls = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_OBJECT,
	.name = "syscalls",
	.summary = "file and network system calls and io_uring requests (paths, addresses, "
		   "bytes) with the caller's stack, as instants and the files / network views "
		   "(BPF)",
	.options = sysc_options,
	.noptions = SYSC_NOPTIONS,
	.probe = sysc_probe,
	.start = sysc_start,
	.stop = sysc_stop,
	.ring_bytes = sysc_ring_bytes,
};

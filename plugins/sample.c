/* The `sample` tracer plugin: sampling of any event (timer or cycles by default) at a frequency
 * or every N events, with user callchains, frame pointers or copied stacks for DWARF unwinding,
 * and a group of counters read with every sample. Alone, or beside an exact-call tracer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "hwtrace/error.h"
#include "core/events.h"
#include "core/format/records.h"
#include "core/util.h"
#include "sample.h"

#define SAMPLE_MAX_COUNTERS 8
#define SAMPLE_MAX_FREQ	    100000
#define SAMPLE_MAX_PERIOD   (1ll << 40)

enum callgraph { CG_FP, CG_DWARF, CG_NONE }; /* the order of the choices of -g */

enum {
	OPT_COUNTER,
	OPT_FREQ,
	OPT_CALLGRAPH,
	OPT_EVENT,
	OPT_RING,
	OPT_PERIOD,
	OPT_LEAF,
	OPT_LEAF_SPARSE,
	SAMPLE_NOPTIONS
};

static const struct hwt_option sample_options[SAMPLE_NOPTIONS] = {
	[OPT_COUNTER] = { .name = "counter",
			  .type = HWT_OPT_LIST,
			  .max = SAMPLE_MAX_COUNTERS,
			  .arg = "EVENT",
			  .short_flag = 'e',
			  .long_flag = "event",
			  .help = "count EVENT with every sample and as a counter track: "
				  "page-faults, context-switches, task-clock, cycles, or any "
				  "libpfm4 name such as perf::PAGE-FAULTS" },
	[OPT_FREQ] = { .name = "freq",
		       .type = HWT_OPT_INT,
		       .min = 1,
		       .max = SAMPLE_MAX_FREQ,
		       .def = "4000",
		       .arg = "HZ",
		       .long_flag = "freq",
		       .help = "samples per second per thread (the kernel adjusts the period "
			       "to it; -c samples every N events instead)" },
	[OPT_CALLGRAPH] = { .name = "callgraph",
			    .type = HWT_OPT_ENUM,
			    .def = "fp",
			    .choices = (const char *const[]){ "fp", "dwarf", "none", NULL },
			    .short_flag = 'g',
			    .long_flag = "call-graph",
			    .help = "fp (frame pointers), dwarf (copy the user stack and unwind "
				    "with libdw: works without frame pointers) or none" },
	[OPT_EVENT] = { .name = "event",
			.type = HWT_OPT_STRING,
			.arg = "EVENT",
			.long_flag = "sample-event",
			.help = "the sampling event (default cycles where the CPU has a PMU, else "
				"cpu-clock)" },
	[OPT_RING] = { .name = "ring",
		       .type = HWT_OPT_SIZE,
		       .flags = HWT_OPT_POW2,
		       .min = 4096,
		       .max = 1 << 30,
		       .short_flag = 'm',
		       .long_flag = "ring",
		       .help = "ring buffer per CPU, e.g. 512K or 4M; unset: 1M, 4M with dwarf" },
	[OPT_PERIOD] = { .name = "period",
			 .type = HWT_OPT_INT,
			 .min = 1,
			 .max = SAMPLE_MAX_PERIOD,
			 .arg = "N",
			 .short_flag = 'c',
			 .long_flag = "period",
			 .help = "a sample every N events of the sampling event instead of --freq "
				 "(with --sample-event page-faults, -c 1 samples every fault; "
				 "cpu-clock counts ns)" },
	[OPT_LEAF] = { .name = "leaf_stack",
		       .type = HWT_OPT_SIZE,
		       .min = 0,
		       .max = 4096,
		       .def = "512",
		       .help = "with -g fp, bytes of user stack copied with each sample (and ip, "
			       "sp, "
			       "bp) to find the caller of a function sampled before it set up its "
			       "frame; 0: none, multiple of 8" },
	[OPT_LEAF_SPARSE] = { .name = "leaf_sparse",
			      .type = HWT_OPT_BOOL,
			      .def = "1",
			      .help = "keep of that copy only the words that point into code (a "
				      "return address does): 0 keeps it whole, as recordings "
				      "before did" },
};

static int kernel_allowed(void)
{
	int level = 2;
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = 2;
		fclose(f);
	}
	return geteuid() == 0 || level < 1;
}

static int sample_probe(struct hwt_host *h, char *why, size_t len)
{
	return 1; /* cpu-clock exists on every Linux */
}

int hwt_sample_check_options(const struct hwt_option_value *v, char *why, size_t len)
{
	if (!v)
		return hwt_fail(why, len, HWT_E_INVAL, "sample: no option values");
	if (v[OPT_PERIOD].set && v[OPT_FREQ].set)
		return hwt_fail(why, len, HWT_E_INVAL,
				"-c/--period and --freq both given: give one (-c N samples every N "
				"events, --freq HZ about HZ times a second)");
	return 0;
}

static int sample_start(struct hwt_host *h, const struct hwt_target *t,
			const struct hwt_option_value *v, void **st)
{
	struct perf_event_attr counters[SAMPLE_MAX_COUNTERS];
	char why[256];
	int err;

	err = hwt_sample_check_options(v, why, sizeof(why));
	if (!err && v[OPT_COUNTER].n > SAMPLE_MAX_COUNTERS)
		err = hwt_fail(why, sizeof(why), HWT_E_INVAL, "sample: too many counters");
	if (err) {
		hwt_host_set_error(h, "%s", why);
		return err;
	}
	const char *const *names = v[OPT_COUNTER].list;
	size_t ncounters = v[OPT_COUNTER].n;
	enum callgraph cg = (enum callgraph)v[OPT_CALLGRAPH].i;
	/* Validate every name before opening anything. */
	for (size_t i = 0; i < ncounters; i++) {
		err = hwt_event_parse(names[i], &counters[i], why, sizeof(why));
		if (err) {
			hwt_host_set_error(h, "%s", why);
			return err;
		}
	}
	struct perf_event_attr lead = { 0 };
	const char *lead_name = v[OPT_EVENT].s;
	if (!lead_name)
		lead_name = hwt_event_have_pmu(why, sizeof(why)) ? "cycles" : "cpu-clock";
	err = hwt_event_parse(lead_name, &lead, why, sizeof(why));
	if (err) {
		hwt_host_set_error(h, "%s", why);
		return err;
	}

	int kernel = kernel_allowed();
	if (v[OPT_PERIOD].set) {
		lead.sample_period = (uint64_t)v[OPT_PERIOD].i;
	} else {
		lead.freq = 1;
		lead.sample_freq = (uint64_t)v[OPT_FREQ].i;
	}
	/* With a fixed period the kernel would write a software event's every occurrence as a
	 * sample of period 1 when PERF_SAMPLE_PERIOD is asked for: the decoder takes the period
	 * from the event's description instead. */
	lead.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			   (lead.freq ? PERF_SAMPLE_PERIOD : 0);
	if (cg == CG_FP)
		lead.sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (cg == CG_FP && v[OPT_LEAF].i > 0) {
		/* The frame-pointer walk skips the caller of a function that has not pushed its
		 * frame (a leaf built without, a prologue): the decoder finds that caller from the
		 * function's CFI and the top of the stack. */
		lead.sample_type |= PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		lead.sample_regs_user = HWT_SAMPLE_FP_REGS_MASK;
		lead.sample_stack_user = (uint32_t)v[OPT_LEAF].i & ~7u;
	}
	if (cg == CG_DWARF) {
		/* The kernel part still comes from the callchain; user frames from the stack. */
		lead.sample_type |=
			PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		lead.exclude_callchain_user = 1;
		lead.sample_regs_user = HWT_SAMPLE_REGS_MASK;
		lead.sample_stack_user = HWT_SAMPLE_STACK_SIZE;
	}
	if (ncounters)
		lead.sample_type |= PERF_SAMPLE_READ;
	lead.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST;
	/* A launched program is enabled at exec; processes attached to, or the whole system,
	 * from now on. A CPU-wide event (-a) sees every task: nothing to inherit. */
	int on_exec = !(t->flags & (HWT_TARGET_ATTACHED | HWT_TARGET_SYSTEM));
	lead.inherit = !(t->flags & HWT_TARGET_SYSTEM);
	lead.disabled = (unsigned)on_exec;
	lead.enable_on_exec = (unsigned)on_exec;
	lead.mmap = 1;
	lead.mmap2 = 1;
	lead.build_id = 1;
	lead.comm = 1;
	lead.comm_exec = 1;
	lead.task = 1;
	lead.exclude_hv = 1;
	lead.exclude_kernel = !kernel;
	lead.exclude_callchain_kernel = !kernel;

	/* The leaf fix-up reads one word of its copy, a return address: the recorder keeps only
	 * the words that point into code. */
	unsigned flags =
		(ncounters ? HWT_EVENT_READ_PERIODIC : 0) |
		(cg == CG_FP && v[OPT_LEAF].i > 0 && v[OPT_LEAF_SPARSE].i ? HWT_EVENT_SPARSE_STACK
									  : 0);
	/* Each thread on each CPU: the threads of attached processes, or -1 for all. */
	for (int k = 0; k < hwt_target_ntids(t); k++) {
		int tid = hwt_target_tid(t, k);
		for (int cpu = 0; cpu < t->ncpus; cpu++) {
			struct perf_event_attr attr = lead;
			int lfd = hwt_host_open_event(h, &attr, tid, cpu, -1, lead_name, flags);
			if (lfd == HWT_E_INVAL && errno == ENODEV)
				continue; /* CPU offline */
			if (lfd < 0 && errno == ESRCH && (t->flags & HWT_TARGET_ATTACHED) &&
			    tid != t->pid)
				break; /* a thread that ended since it was listed */
			if (lfd < 0)
				return lfd;
			for (size_t i = 0; i < ncounters; i++) {
				struct perf_event_attr c = counters[i];
				c.read_format = lead.read_format;
				c.inherit = lead.inherit;
				c.exclude_hv = 1;
				c.exclude_kernel = !kernel;
				int fd = hwt_host_open_event(h, &c, tid, cpu, lfd, names[i], 0);
				if (fd < 0)
					return fd;
			}
		}
	}
	*st = NULL; /* the host owns every event; nothing else to keep */
	return 0;
}

/* DWARF unwinding copies up to HWT_SAMPLE_STACK_SIZE of stack into every sample: 4 times the
 * host's default ring, unless -m says otherwise. */
static size_t sample_ring_bytes(const struct hwt_option_value *v)
{
	if (v[OPT_RING].set)
		return (size_t)v[OPT_RING].i;
	return v[OPT_CALLGRAPH].i == CG_DWARF ? 4u << 20 : 0;
}

const struct hwt_plugin hwt_plugin_sample = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_TRACER,
	.name = "sample",
	.summary = "statistical sampling (cycles, else cpu-clock) with callchains and counters",
	.options = sample_options,
	.noptions = SAMPLE_NOPTIONS,
	.probe = sample_probe,
	.start = sample_start,
	.ring_bytes = sample_ring_bytes,
};

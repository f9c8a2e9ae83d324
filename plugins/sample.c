/* The `sample` tracer plugin: timer (or cycles) sampling with user callchains, frame pointers or
 * copied stacks for DWARF unwinding, and a group of counters read with every sample. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "hwtrace/error.h"
#include "core/events.h"
#include "core/format/records.h"

#define SAMPLE_MAX_COUNTERS 8
#define SAMPLE_MAX_FREQ	    100000

enum callgraph { CG_FP, CG_DWARF, CG_NONE };

struct sample_args {
	unsigned long freq;
	enum callgraph cg;
	char event[64]; /* the sampling event, "" for the default */
	char counters[SAMPLE_MAX_COUNTERS][64];
	int ncounters;
};

static int parse_args(struct hwt_host *h, const char *args, struct sample_args *a)
{
	char *copy = strdup(args ? args : ""), *save = NULL;

	if (!copy)
		return HWT_E_NOMEM;
	memset(a, 0, sizeof(*a));
	a->freq = 4000;
	int err = 0;
	for (char *kv = strtok_r(copy, ",", &save); kv && !err; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (!v) {
			hwt_host_set_error(h, "sample: option '%s' needs a value (key=value)", kv);
			err = HWT_E_INVAL;
			break;
		}
		*v++ = 0;
		if (!strcmp(kv, "freq")) {
			char *end;
			errno = 0;
			a->freq = strtoul(v, &end, 10);
			if (errno || *end || a->freq == 0 || a->freq > SAMPLE_MAX_FREQ) {
				hwt_host_set_error(
					h,
					"--freq %s: give a rate from 1 to %d samples per "
					"second",
					v, SAMPLE_MAX_FREQ);
				err = HWT_E_INVAL;
			}
		} else if (!strcmp(kv, "callgraph")) {
			if (!strcmp(v, "fp"))
				a->cg = CG_FP;
			else if (!strcmp(v, "dwarf"))
				a->cg = CG_DWARF;
			else if (!strcmp(v, "none"))
				a->cg = CG_NONE;
			else {
				hwt_host_set_error(h, "--call-graph %s: use fp, dwarf or none", v);
				err = HWT_E_INVAL;
			}
		} else if (!strcmp(kv, "event")) {
			snprintf(a->event, sizeof(a->event), "%s", v);
		} else if (!strcmp(kv, "counter")) {
			if (a->ncounters == SAMPLE_MAX_COUNTERS) {
				hwt_host_set_error(h, "too many -e events: at most %d",
						   SAMPLE_MAX_COUNTERS);
				err = HWT_E_INVAL;
			} else {
				snprintf(a->counters[a->ncounters++], 64, "%s", v);
			}
		} else {
			hwt_host_set_error(h, "sample: unknown option '%s'", kv);
			err = HWT_E_INVAL;
		}
	}
	free(copy);
	return err;
}

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

static int sample_start(struct hwt_host *h, const struct hwt_target *t, const char *args, void **st)
{
	struct sample_args a;
	struct perf_event_attr counters[SAMPLE_MAX_COUNTERS];
	char why[256];
	int err = parse_args(h, args, &a);

	if (err)
		return err;
	/* Validate every name before opening anything. */
	for (int i = 0; i < a.ncounters; i++) {
		err = hwt_event_parse(a.counters[i], &counters[i], why, sizeof(why));
		if (err) {
			hwt_host_set_error(h, "%s", why);
			return err;
		}
	}
	struct perf_event_attr lead = { 0 };
	const char *lead_name = a.event;
	if (!a.event[0]) {
		lead_name = hwt_event_have_pmu(why, sizeof(why)) ? "cycles" : "cpu-clock";
	}
	err = hwt_event_parse(lead_name, &lead, why, sizeof(why));
	if (err) {
		hwt_host_set_error(h, "%s", why);
		return err;
	}

	int kernel = kernel_allowed();
	lead.freq = 1;
	lead.sample_freq = a.freq;
	lead.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			   PERF_SAMPLE_PERIOD;
	if (a.cg == CG_FP)
		lead.sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (a.cg == CG_DWARF) {
		/* The kernel part still comes from the callchain; user frames from the stack. */
		lead.sample_type |=
			PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER;
		lead.exclude_callchain_user = 1;
		lead.sample_regs_user = HWT_SAMPLE_REGS_MASK;
		lead.sample_stack_user = HWT_SAMPLE_STACK_SIZE;
	}
	if (a.ncounters)
		lead.sample_type |= PERF_SAMPLE_READ;
	lead.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST;
	lead.inherit = 1;
	lead.disabled = 1;
	lead.enable_on_exec = 1;
	lead.mmap = 1;
	lead.mmap2 = 1;
	lead.build_id = 1;
	lead.comm = 1;
	lead.comm_exec = 1;
	lead.task = 1;
	lead.exclude_hv = 1;
	lead.exclude_kernel = !kernel;
	lead.exclude_callchain_kernel = !kernel;

	for (int cpu = 0; cpu < t->ncpus; cpu++) {
		struct perf_event_attr attr = lead;
		int lfd = hwt_host_open_event(h, &attr, t->pid, cpu, -1, lead_name,
					      a.ncounters ? HWT_EVENT_READ_PERIODIC : 0);
		if (lfd == HWT_E_INVAL && errno == ENODEV)
			continue; /* CPU offline */
		if (lfd < 0)
			return lfd;
		for (int i = 0; i < a.ncounters; i++) {
			struct perf_event_attr c = counters[i];
			c.read_format = lead.read_format;
			c.inherit = 1;
			c.exclude_hv = 1;
			c.exclude_kernel = !kernel;
			int fd = hwt_host_open_event(h, &c, t->pid, cpu, lfd, a.counters[i], 0);
			if (fd < 0)
				return fd;
		}
	}
	*st = NULL; /* the host owns every event; nothing else to keep */
	return 0;
}

const struct hwt_plugin hwt_plugin_sample = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_TRACER,
	.name = "sample",
	.summary = "statistical sampling (cycles, else cpu-clock) with callchains and counters",
	.probe = sample_probe,
	.start = sample_start,
};

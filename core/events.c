/* Event names: a table of perf's short aliases in front of libpfm4's encoder. */
#include "events.h"

#include <errno.h>
#include <perfmon/pfmlib_perf_event.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwtrace/error.h"

static const struct {
	const char *alias;
	const char *pfm;
} aliases[] = {
	{ "cycles", "perf::CYCLES" },
	{ "cpu-cycles", "perf::CYCLES" },
	{ "instructions", "perf::INSTRUCTIONS" },
	{ "cache-references", "perf::CACHE-REFERENCES" },
	{ "cache-misses", "perf::CACHE-MISSES" },
	{ "branches", "perf::BRANCHES" },
	{ "branch-instructions", "perf::BRANCHES" },
	{ "branch-misses", "perf::BRANCH-MISSES" },
	{ "cpu-clock", "perf::CPU-CLOCK" },
	{ "task-clock", "perf::TASK-CLOCK" },
	{ "page-faults", "perf::PAGE-FAULTS" },
	{ "faults", "perf::PAGE-FAULTS" },
	{ "minor-faults", "perf::MINOR-FAULTS" },
	{ "major-faults", "perf::MAJOR-FAULTS" },
	{ "context-switches", "perf::CONTEXT-SWITCHES" },
	{ "cs", "perf::CONTEXT-SWITCHES" },
	{ "cpu-migrations", "perf::CPU-MIGRATIONS" },
	{ "migrations", "perf::CPU-MIGRATIONS" },
};

static int pfm_ready = -1;
static pthread_once_t pfm_once = PTHREAD_ONCE_INIT;

static void pfm_init(void)
{
	pfm_ready = pfm_initialize() == PFM_SUCCESS;
}

int hwt_event_parse(const char *name, struct perf_event_attr *attr, char *why, size_t whylen)
{
	const char *pfm_name = name;
	pfm_perf_encode_arg_t arg;

	if (!name || !*name || !attr) {
		snprintf(why, whylen,
			 "empty event name: give one like page-faults or perf::TASK-CLOCK");
		return HWT_E_INVAL;
	}
	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (!strcmp(name, aliases[i].alias))
			pfm_name = aliases[i].pfm;
	pthread_once(&pfm_once, pfm_init);
	if (!pfm_ready) {
		snprintf(why, whylen, "libpfm4 failed to initialize; cannot look up event '%s'",
			 name);
		return HWT_E_NOTSUP;
	}
	memset(attr, 0, sizeof(*attr));
	memset(&arg, 0, sizeof(arg));
	arg.attr = attr;
	arg.size = sizeof(arg);
	int ret = pfm_get_os_event_encoding(pfm_name, PFM_PLM0 | PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
	if (ret != PFM_SUCCESS) {
		snprintf(why, whylen, "unknown event '%s' (%s): see `hwtrace list` for event names",
			 name, pfm_strerror(ret));
		return HWT_E_NOENT;
	}
	attr->size = sizeof(*attr);
	return 0;
}

int hwt_event_is_hardware(const struct perf_event_attr *attr)
{
	return attr->type == PERF_TYPE_HARDWARE || attr->type == PERF_TYPE_HW_CACHE ||
	       attr->type == PERF_TYPE_RAW || attr->type >= PERF_TYPE_MAX;
}

int hwt_event_have_pmu(char *why, size_t whylen)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.disabled = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return 1;
	}
	if (errno == ENOENT || errno == EOPNOTSUPP || errno == ENODEV)
		snprintf(why, whylen,
			 "the kernel has no hardware PMU here (cycles: %s; a VM "
			 "without PMU passthrough?)",
			 strerror(errno));
	else
		snprintf(why, whylen, "cycles cannot be opened: %s", strerror(errno));
	return 0;
}

/* Unit tests for core/events.c: event names to perf_event_attr, and how hardware events are told
 * apart and refused on a machine without a PMU (the tests pass on machines with one too). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/events.h"
#include "core/host.h"

static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
} known_events[] = {
	/* perf's short names */
	{ "cpu-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "minor-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "context-switches", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cs", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "migrations", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	/* libpfm4's names */
	{ "perf::TASK-CLOCK", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "perf::CPU-CLOCK", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "perf::PAGE-FAULTS", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "perf::CONTEXT-SWITCHES", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	/* Hardware events have names and encodings whether or not this machine can count them:
	 * opening them is what fails without a PMU. */
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "cpu-cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branches", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "perf::CYCLES", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "perf::L1-DCACHE-LOADS", PERF_TYPE_HW_CACHE,
	  PERF_COUNT_HW_CACHE_L1D | PERF_COUNT_HW_CACHE_OP_READ << 8 |
		  PERF_COUNT_HW_CACHE_RESULT_ACCESS << 16 },
};

START_TEST(hwt_event_parse_known)
{
	struct perf_event_attr attr;
	char why[256] = "";
	int hw = known_events[_i].type != PERF_TYPE_SOFTWARE;

	memset(&attr, 0xa5, sizeof(attr)); /* whatever was there is replaced */
	ck_assert_msg(hwt_event_parse(known_events[_i].name, &attr, why, sizeof(why)) == 0,
		      "%s: %s", known_events[_i].name, why);
	ck_assert_uint_eq(attr.type, known_events[_i].type);
	ck_assert_uint_eq(attr.config, known_events[_i].config);
	ck_assert_uint_eq(attr.size, sizeof(attr));
	/* User and kernel both counted, and nothing of the recorder's choosing set. */
	ck_assert_uint_eq(attr.exclude_user, 0);
	ck_assert_uint_eq(attr.exclude_kernel, 0);
	ck_assert_uint_eq(attr.sample_period, 0);
	ck_assert_uint_eq(attr.sample_type, 0);
	ck_assert_uint_eq(attr.freq, 0);
	ck_assert_uint_eq(attr.disabled, 0);
	ck_assert_int_eq(!!hwt_event_is_hardware(&attr), hw);
}
END_TEST

/* libpfm4's privilege-level modifiers. */
static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
	int exclude_user, exclude_kernel;
} modifier_cases[] = {
	{ "perf::CPU-CLOCK:u", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, 0, 1 },
	{ "cpu-clock:u", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK, 0, 1 },
	{ "perf::PAGE-FAULTS:k", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 1, 0 },
	{ "perf::PAGE-FAULTS:u=1", PERF_TYPE_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS, 0, 1 },
	{ "perf::CYCLES:u", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES, 0, 1 },
};

START_TEST(hwt_event_parse_modifiers)
{
	struct perf_event_attr attr;
	char why[256] = "";

	ck_assert_msg(hwt_event_parse(modifier_cases[_i].name, &attr, why, sizeof(why)) == 0,
		      "%s: %s", modifier_cases[_i].name, why);
	ck_assert_uint_eq(attr.type, modifier_cases[_i].type);
	ck_assert_uint_eq(attr.config, modifier_cases[_i].config);
	ck_assert_uint_eq(attr.exclude_user, modifier_cases[_i].exclude_user);
	ck_assert_uint_eq(attr.exclude_kernel, modifier_cases[_i].exclude_kernel);
}
END_TEST

static const char *const unknown_events[] = {
	"no-such-event",
	"perf::NO-SUCH-EVENT",
	"cpu-clock-typo",
	"perf::CPU-CLOCK:nomodifier",
	"perf::PAGE-FAULTS:period=10",
	"not_a_pmu::CYCLES",
	" cycles",
	"cycles ",
	"page-faults,cycles",
};

START_TEST(hwt_event_parse_unknown)
{
	struct perf_event_attr attr;
	char why[256] = "";

	ck_assert_int_eq(hwt_event_parse(unknown_events[_i], &attr, why, sizeof(why)), HWT_E_NOENT);
	/* The reason names the event and where to find the valid names. */
	ck_assert_msg(strstr(why, unknown_events[_i]) != NULL, "%s", why);
	ck_assert_ptr_nonnull(strstr(why, "hwtrace list"));
}
END_TEST

/* The header names HWT_E_NOENT for what is not found; an empty name is told apart. */
START_TEST(hwt_event_parse_empty)
{
	struct perf_event_attr attr;
	char why[256] = "";

	ck_assert_int_eq(hwt_event_parse("", &attr, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_str_ne(why, "");
}
END_TEST

/* A reason longer than the buffer is cut, terminated, and written nowhere past it. */
START_TEST(hwt_event_parse_short_why)
{
	struct perf_event_attr attr;
	char *why = malloc(8);

	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(hwt_event_parse("no-such-event", &attr, why, 8), HWT_E_NOENT);
	ck_assert_uint_eq(strlen(why), 7);
	free(why);
}
END_TEST

/* What the parser gives opens as is, and counts: 64 pages touched are at least 64 faults. */
START_TEST(hwt_event_parse_counts_page_faults)
{
	enum { PAGES = 64 };
	struct perf_event_attr attr;
	char why[256];
	uint64_t count = 0;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *mem;
	int fd;

	ck_assert_int_eq(hwt_event_parse("page-faults", &attr, why, sizeof(why)), 0);
	attr.exclude_kernel = 1; /* allowed whatever perf_event_paranoid says */
	fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	ck_assert_msg(fd >= 0, "perf_event_open(page-faults): %s", strerror(errno));
	mem = mmap(NULL, (size_t)page * PAGES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ck_assert_ptr_ne((void *)mem, MAP_FAILED);
	madvise((void *)mem, (size_t)page * PAGES, MADV_NOHUGEPAGE);
	for (int i = 0; i < PAGES; i++)
		mem[(long)i * page] = 1;
	ck_assert_int_eq(read(fd, &count, sizeof(count)), sizeof(count));
	ck_assert_uint_ge(count, PAGES);
	munmap((void *)mem, (size_t)page * PAGES);
	close(fd);
}
END_TEST

static const struct {
	uint32_t type;
	int hardware;
} type_cases[] = {
	{ PERF_TYPE_HARDWARE, 1 }, { PERF_TYPE_HW_CACHE, 1 },	{ PERF_TYPE_RAW, 1 },
	{ PERF_TYPE_SOFTWARE, 0 }, { PERF_TYPE_TRACEPOINT, 0 }, { PERF_TYPE_BREAKPOINT, 0 },
	{ PERF_TYPE_MAX + 10, 1 }, /* a PMU of its own (uncore): hardware */
};

START_TEST(hwt_event_is_hardware_types)
{
	struct perf_event_attr attr = { .type = type_cases[_i].type, .size = sizeof(attr) };

	ck_assert_int_eq(!!hwt_event_is_hardware(&attr), type_cases[_i].hardware);
}
END_TEST

/* Whether this machine has a PMU, asked of the kernel directly: the answer the tests expect. */
static int kernel_has_pmu(int *err)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_HARDWARE,
		.config = PERF_COUNT_HW_CPU_CYCLES,
		.exclude_kernel = 1,
		.exclude_hv = 1,
		.disabled = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	*err = fd < 0 ? errno : 0;
	if (fd >= 0)
		close(fd);
	return fd >= 0;
}

START_TEST(hwt_event_have_pmu_matches_kernel)
{
	char why[256] = "";
	int err, have = kernel_has_pmu(&err);

	if (have) {
		/* With a PMU: yes, and no reason. */
		ck_assert_int_ne(hwt_event_have_pmu(why, sizeof(why)), 0);
		ck_assert_str_eq(why, "");
		return;
	}
	/* Without: no, and a reason that says which. */
	ck_assert_int_eq(hwt_event_have_pmu(why, sizeof(why)), 0);
	if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV)
		ck_assert_msg(strstr(why, "no hardware PMU") != NULL, "%s", why);
	else
		ck_assert_msg(strstr(why, "cannot be opened") != NULL, "%s", why);
}
END_TEST

/* A hardware event opened through the host: counts where there is a PMU, and is refused with
 * HWT_E_NOPMU and a reason naming the event where there is none. */
START_TEST(hwt_event_parse_hardware_refused_at_open)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr attr;
	char why[256];
	int err, have = kernel_has_pmu(&err), fd;

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(hwt_event_parse("instructions", &attr, why, sizeof(why)), 0);
	ck_assert_int_ne(hwt_event_is_hardware(&attr), 0);
	attr.exclude_kernel = 1;
	errno = 0;
	fd = hwt_host_open_event(h, &attr, 0, -1, -1, "instructions", 0);
	if (have) {
		ck_assert_int_ge(fd, 0);
	} else if (err == ENOENT || err == EOPNOTSUPP || err == ENODEV) {
		ck_assert_int_eq(fd, HWT_E_NOPMU);
		ck_assert_int_eq(errno, err); /* kept */
		ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "'instructions'"));
		ck_assert_ptr_nonnull(strstr(hwt_host_error(h), "hardware PMU"));
	} else {
		ck_assert_int_lt(fd, 0);
		ck_assert_str_ne(hwt_host_error(h), "");
	}
	/* A software event opens on every machine. */
	ck_assert_int_eq(hwt_event_parse("task-clock", &attr, why, sizeof(why)), 0);
	ck_assert_int_eq(hwt_event_is_hardware(&attr), 0);
	attr.exclude_kernel = 1;
	fd = hwt_host_open_event(h, &attr, 0, -1, -1, "task-clock", 0);
	ck_assert_msg(fd >= 0, "%s", hwt_host_error(h));
	hwt_host_free(h); /* closes what it opened */
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
}
END_TEST

static Suite *events_suite(void)
{
	Suite *s = suite_create("events");
	TCase *tc = tcase_create("events");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_event_parse_known, 0,
			    (int)(sizeof(known_events) / sizeof(known_events[0])));
	tcase_add_loop_test(tc, hwt_event_parse_modifiers, 0,
			    (int)(sizeof(modifier_cases) / sizeof(modifier_cases[0])));
	tcase_add_loop_test(tc, hwt_event_parse_unknown, 0,
			    (int)(sizeof(unknown_events) / sizeof(unknown_events[0])));
	tcase_add_test(tc, hwt_event_parse_empty);
	tcase_add_test(tc, hwt_event_parse_short_why);
	tcase_add_test(tc, hwt_event_parse_counts_page_faults);
	tcase_add_loop_test(tc, hwt_event_is_hardware_types, 0,
			    (int)(sizeof(type_cases) / sizeof(type_cases[0])));
	tcase_add_test(tc, hwt_event_have_pmu_matches_kernel);
	tcase_add_test(tc, hwt_event_parse_hardware_refused_at_open);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(events_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for core/host.c: record defaults, the plugin tables and loader, the probe host, events
 * and their side band, and small real recordings of /bin/true and friends with the sample tracer
 * (runs as root). */
#include <check.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <link.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/host.h"
#include "core/options.h"
#include "core/store.h"

#define SCRATCH_NAME "host"
#define SCRATCH_FILE "t.hwt"
#include "scratch_dir.h"

/* Number of entries in the test's directory: what a recording left behind. */
static int dir_entries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* ---- configuration and plugin tables --------------------------------------------------- */

START_TEST(hwt_record_config_init_defaults)
{
	struct hwt_record_config cfg;

	memset(&cfg, 0xa5, sizeof(cfg));
	hwt_record_config_init(&cfg);
	ck_assert_ptr_null(cfg.output);
	ck_assert_ptr_null(cfg.argv);
	ck_assert_ptr_null(cfg.plugins);
	ck_assert_int_eq(cfg.nplugins, 0);
	ck_assert_ptr_null(cfg.cmdline);
	ck_assert_int_eq(cfg.quiet, 0);
	ck_assert_int_eq(cfg.output_fd, -1);
	/* A power of two, at least a page. */
	ck_assert_uint_eq(cfg.ring_bytes, 1u << 20);
	ck_assert_uint_eq(cfg.ring_bytes & (cfg.ring_bytes - 1), 0);
}
END_TEST

static const char *const builtin_names[] = { "sample", "uprobe", "pt" };

START_TEST(hwt_plugin_by_name_known)
{
	const struct hwt_plugin *p = hwt_plugin_by_name(builtin_names[_i]);
	int listed = 0;

	ck_assert_ptr_nonnull(p);
	ck_assert_str_eq(p->name, builtin_names[_i]);
	ck_assert_uint_eq(p->abi, HWT_PLUGIN_ABI);
	ck_assert_uint_eq(p->size, sizeof(struct hwt_plugin));
	ck_assert_uint_eq(p->kind, HWT_PLUGIN_TRACER);
	ck_assert_ptr_nonnull(p->start);
	ck_assert_ptr_nonnull(p->summary);
	for (const struct hwt_plugin *const *b = hwt_builtin_plugins; *b; b++)
		listed += *b == p;
	ck_assert_int_eq(listed, 1);
}
END_TEST

static const char *const unknown_plugins[] = { "nope", "", "Sample", "sample ", "samp", "perf" };

START_TEST(hwt_plugin_by_name_unknown)
{
	ck_assert_ptr_null(hwt_plugin_by_name(unknown_plugins[_i]));
}
END_TEST

/* Every built-in is found by its own name, and names are unique. */
START_TEST(hwt_plugin_by_name_every_builtin)
{
	int n = 0;

	for (const struct hwt_plugin *const *b = hwt_builtin_plugins; *b; b++, n++)
		ck_assert_ptr_eq(hwt_plugin_by_name((*b)->name), *b);
	ck_assert_int_ge(n, 3);
}
END_TEST

/* The real path of a library the dynamic loader finds by @soname. */
static void library_path(const char *soname, char *path, size_t len)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm = NULL;

	ck_assert_msg(lib != NULL, "%s: %s", soname, dlerror());
	ck_assert_int_eq(dlinfo(lib, RTLD_DI_LINKMAP, &lm), 0);
	ck_assert_ptr_nonnull(realpath(lm->l_name, path));
	ck_assert_uint_lt(strlen(path), len);
	dlclose(lib);
}

START_TEST(hwt_plugin_load_missing)
{
	char why[512] = "";
	char path[128];

	snprintf(path, sizeof(path), "%s/no-such-plugin.so", dir);
	ck_assert_ptr_null(hwt_plugin_load(path, why, sizeof(why)));
	ck_assert_msg(strstr(why, path) != NULL, "%s", why);
}
END_TEST

START_TEST(hwt_plugin_load_not_a_plugin)
{
	char why[512] = "", path[4096];

	library_path("libz.so.1", path, sizeof(path));
	ck_assert_ptr_null(hwt_plugin_load(path, why, sizeof(why)));
	ck_assert_msg(strstr(why, "not an hwtrace plugin") != NULL, "%s", why);
	ck_assert_ptr_nonnull(strstr(why, HWT_PLUGIN_ENTRY));
	ck_assert_ptr_nonnull(strstr(why, path));
}
END_TEST

START_TEST(hwt_plugin_load_not_a_library)
{
	char why[512] = "", path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/plugin.so", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not ELF\n", 8), 8);
	close(fd);
	ck_assert_ptr_null(hwt_plugin_load(path, why, sizeof(why)));
	ck_assert_msg(strstr(why, path) != NULL, "%s", why);
}
END_TEST

/* A name without a slash is never handed to dlopen(), which would search the library path: not
 * even that of a library the loader finds (libz.so.1 here, loaded by this test already). */
static const char *const bare_names[] = { "libz.so.1", "libzstd.so", "plugin.so", "x" };

START_TEST(hwt_plugin_load_bare_name)
{
	char why[512] = "";

	ck_assert_ptr_null(hwt_plugin_load(bare_names[_i], why, sizeof(why)));
	ck_assert_msg(strstr(why, "only from a path") != NULL, "%s", why);
	ck_assert_ptr_nonnull(strstr(why, bare_names[_i]));
	ck_assert_ptr_null(hwt_plugin_load(NULL, why, sizeof(why)));
}
END_TEST

/* A FIFO named as a plugin is refused before any open, which would wait for a writer. */
START_TEST(hwt_plugin_load_fifo)
{
	char why[512] = "", path[128];

	snprintf(path, sizeof(path), "%s/fifo.so", dir);
	ck_assert_int_eq(mkfifo(path, 0600), 0);
	alarm(10);
	ck_assert_ptr_null(hwt_plugin_load(path, why, sizeof(why)));
	alarm(0);
	ck_assert_msg(strstr(why, "not a regular file") != NULL, "%s", why);
}
END_TEST

/* ---- the probe host -------------------------------------------------------------------- */

START_TEST(hwt_host_alloc_probe_and_free)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	const struct hwt_plugin *sample = hwt_plugin_by_name("sample");
	char why[256] = "";

	ck_assert_ptr_nonnull(h);
	ck_assert_str_eq(hwt_host_error(h), "");
	hwt_host_set_error(h, "event '%s' failed: %d", "x", 42);
	ck_assert_str_eq(hwt_host_error(h), "event 'x' failed: 42");
	/* Metadata has nowhere to go, and that is not an error. */
	ck_assert_int_eq(hwt_host_set_meta(h, "k", "v"), 0);
	/* What `list` asks of it: the sample tracer works everywhere. */
	ck_assert_ptr_nonnull(sample->probe);
	ck_assert_int_eq(sample->probe(h, why, sizeof(why)), 1);
	ck_assert_uint_eq(hwt_host_snapshot_requests(h), 0);
	hwt_host_free(h);
	hwt_host_free(NULL);
}
END_TEST

/* A side-band dummy event as the tracers open it: every CPU's MMAP2, COMM, FORK and EXIT records
 * of the target and its children, from its exec. */
static struct perf_event_attr sideband_attr(void)
{
	return (struct perf_event_attr){
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_DUMMY,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		.inherit = 1,
		.disabled = 1,
		.enable_on_exec = 1,
		.mmap = 1,
		.mmap2 = 1,
		.comm = 1,
		.comm_exec = 1,
		.task = 1,
		.exclude_kernel = 1,
	};
}

/* Two tracers in one recording: the second asks for no side band the first already gets for the
 * same task and CPU; one that asks for more, or for another task, keeps its own. */
START_TEST(hwt_host_open_event_sideband_once)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	struct perf_event_attr first = sideband_attr(), again = sideband_attr();
	struct perf_event_attr more = sideband_attr(), other = sideband_attr();
	struct perf_event_attr sampler = sideband_attr();

	ck_assert_ptr_nonnull(h);
	ck_assert_int_ge(
		hwt_host_open_event(h, &first, getpid(), 0, -1, "sideband", HWT_EVENT_RING), 0);
	ck_assert(first.mmap2 && first.comm && first.task);
	ck_assert_int_ge(hwt_host_open_event(h, &again, getpid(), 0, -1, "again", HWT_EVENT_RING),
			 0);
	ck_assert(!again.mmap && !again.mmap2 && !again.comm && !again.comm_exec && !again.task);
	/* A sampling event beside it: it still samples, without the side band. */
	sampler.config = PERF_COUNT_SW_CPU_CLOCK;
	sampler.sample_period = 1000000;
	ck_assert_int_ge(hwt_host_open_event(h, &sampler, getpid(), 0, -1, "cpu-clock", 0), 0);
	ck_assert(!sampler.mmap2 && !sampler.task && sampler.sample_period == 1000000);
	more.context_switch = 1; /* what the first does not get */
	ck_assert_int_ge(hwt_host_open_event(h, &more, getpid(), 0, -1, "more", HWT_EVENT_RING), 0);
	ck_assert(more.mmap2 && more.comm && more.task && more.context_switch);
	other.inherit = 0;
	ck_assert_int_ge(hwt_host_open_event(h, &other, getppid(), 0, -1, "other", HWT_EVENT_RING),
			 0);
	ck_assert(other.mmap2 && other.comm && other.task);
	hwt_host_free(h);
}
END_TEST

/* pt (Intel PT) works where the CPU has it; elsewhere its probe says why not. */
START_TEST(hwt_host_probe_intel_pt)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	const struct hwt_plugin *pt = hwt_plugin_by_name("pt");
	struct stat st;
	char why[256] = "";
	int ok;

	ck_assert_ptr_nonnull(h);
	ck_assert_ptr_nonnull(pt->probe);
	ok = pt->probe(h, why, sizeof(why));
	if (stat("/sys/bus/event_source/devices/intel_pt", &st))
		ck_assert_int_eq(ok, 0); /* no PMU, no Intel PT */
	if (!ok)
		ck_assert_str_ne(why, "");
	hwt_host_free(h);
}
END_TEST

/* ---- recording ------------------------------------------------------------------------- */

/* Records @argv with the sample tracer, its options given as @args ("KEY=VALUE,..."), into out;
 * returns the options' error (checked before recording, as the CLI does) or hwt_record()'s
 * result. */
/* record --record-args for the next record(). */
static int record_args;

static int record(char *const argv[], const char *args, struct hwt_record_result *res, char *why,
		  size_t whylen)
{
	struct hwt_plugin_use use = { .plugin = hwt_plugin_by_name("sample") };
	struct hwt_options opts;
	struct hwt_record_config cfg;
	int rc;

	ck_assert_ptr_nonnull(use.plugin);
	ck_assert_int_eq(hwt_options_init(&opts, "sample", use.plugin->options,
					  use.plugin->noptions, why, whylen),
			 0);
	rc = hwt_options_parse(&opts, args, why, whylen);
	if (rc) {
		hwt_options_fini(&opts);
		return rc;
	}
	use.values = opts.values;
	hwt_record_config_init(&cfg);
	cfg.output = out;
	cfg.argv = argv;
	cfg.plugins = &use;
	cfg.nplugins = 1;
	cfg.quiet = 1;
	cfg.cmdline = "hwtrace record -b sample";
	cfg.record_args = record_args;
	rc = hwt_record(&cfg, res, why, whylen);
	hwt_options_fini(&opts);
	return rc;
}

/* What a recording holds, as the store reader sees it. */
struct contents {
	int complete, error;
	int meta, events, ends;
	char command[256];
	char backend[32];
	char first_event[64];
	struct hwt_end_rec end;
};

static void read_back(struct contents *c)
{
	int err = 0, n;
	struct hwt_store_reader *r = hwt_store_reader_open(out, &err);
	uint32_t type;
	const void *data;
	size_t len;

	memset(c, 0, sizeof(*c));
	ck_assert_msg(r != NULL, "%s: %s", out, hwt_errstr(err));
	while ((n = hwt_store_read(r, &type, &data, &len)) > 0) {
		if (type == HWT_CHUNK_META) {
			const char *k = data, *v = memchr(data, 0, len);

			ck_assert_ptr_nonnull(v);
			c->meta++;
			if (!strcmp(k, "command"))
				snprintf(c->command, sizeof(c->command), "%s", v + 1);
			if (!strcmp(k, "backend"))
				snprintf(c->backend, sizeof(c->backend), "%s", v + 1);
		} else if (type == HWT_CHUNK_EVENTS) {
			const struct hwt_event_desc *d = data;

			ck_assert_uint_eq(len % sizeof(*d), 0);
			if (len && !c->events)
				snprintf(c->first_event, sizeof(c->first_event), "%.*s",
					 (int)sizeof(d->name), d->name);
			c->events += (int)(len / sizeof(*d));
		} else if (type == HWT_CHUNK_END) {
			ck_assert_uint_ge(len, sizeof(c->end));
			memcpy(&c->end, data, sizeof(c->end));
			c->ends++;
		}
	}
	ck_assert_int_eq(n, 0);
	c->complete = hwt_store_reader_status(r)->complete;
	c->error = hwt_store_reader_status(r)->error;
	hwt_store_reader_close(r);
}

static const struct {
	const char *argv[6];
	const char *command;
	int status, signal;
	int args; /* --record-args: else the command is the program alone */
} record_cases[] = {
	{ { "/bin/true", NULL }, "/bin/true", 0, 0, 0 },
	{ { "/bin/false", NULL }, "/bin/false", 1, 0, 1 },
	{ { "/bin/sh", "-c", "exit 42", NULL }, "/bin/sh", 42, 0, 0 },
	{ { "/bin/sh", "-c", "kill -SEGV $$", NULL }, "/bin/sh -c kill -SEGV $$", -1, SIGSEGV, 1 },
};

START_TEST(hwt_record_sample_small)
{
	struct hwt_record_result res;
	struct contents c;
	struct stat st;
	char why[512] = "";

	record_args = record_cases[_i].args;
	ck_assert_msg(record((char *const *)record_cases[_i].argv, "", &res, why, sizeof(why)) == 0,
		      "%s", why);
	record_args = 0;
	ck_assert_int_eq(res.ndisabled, 0);
	ck_assert_int_gt(res.end.pid, 0);
	ck_assert_int_eq(res.end.exit_status, record_cases[_i].status);
	ck_assert_int_eq(res.end.signal, record_cases[_i].signal);
	ck_assert_uint_eq(res.end.stopped_by, 0);
	/* The file and nothing else is left, the size the result says. */
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(res.file_bytes, (uint64_t)st.st_size);
	ck_assert_int_eq(dir_entries(), 1);
	read_back(&c);
	ck_assert_int_eq(c.complete, 1);
	ck_assert_int_eq(c.error, 0);
	ck_assert_int_eq(c.ends, 1);
	ck_assert_str_eq(c.command, record_cases[_i].command);
	ck_assert_str_eq(c.backend, "sample");
	/* One sampling event per CPU: cycles with a PMU, cpu-clock without. */
	ck_assert_int_ge(c.events, 1);
	ck_assert_msg(!strcmp(c.first_event, "cpu-clock") || !strcmp(c.first_event, "cycles"), "%s",
		      c.first_event);
	ck_assert_int_eq(c.end.pid, res.end.pid);
	ck_assert_int_eq(c.end.exit_status, record_cases[_i].status);
	ck_assert_int_eq(c.end.signal, record_cases[_i].signal);
}
END_TEST

/* The recorder's signal dispositions are what they were before. */
START_TEST(hwt_record_restores_signals)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGUSR2 };
	char *const argv[] = { "/bin/true", NULL };
	struct hwt_record_result res;
	struct sigaction before[3], after;
	char why[512] = "";

	signal(SIGINT, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(sigaction(sigs[i], NULL, &before[i]), 0);
	ck_assert_msg(record(argv, "", &res, why, sizeof(why)) == 0, "%s", why);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(sigaction(sigs[i], NULL, &after), 0);
		ck_assert_ptr_eq(after.sa_handler, before[i].sa_handler);
	}
	ck_assert_ptr_eq(before[0].sa_handler, SIG_IGN);
}
END_TEST

/* Failures: an error, a reason naming the problem, and no file (nor temporary) left behind. */
static const struct {
	const char *what;
	const char *argv0; /* "@" is replaced by the test's directory */
	const char *args;  /* the sample tracer's */
	int err;
	const char *why;
} fail_cases[] = {
	{ "missing program", "@/no-such-program", "", HWT_E_NOENT, "no-such-program" },
	{ "missing in PATH", "hwt-no-such-program", "", HWT_E_NOENT, "hwt-no-such-program" },
	{ "a directory", "@", "", HWT_E_PERM, "is a directory" },
	{ "exec fails", "@/garbage", "", HWT_E_EXEC, "garbage" },
	{ "tracer refuses", "/bin/true", "freq=0", HWT_E_INVAL, "freq" },
	{ "unknown counter", "/bin/true", "counter=no-such-event", HWT_E_NOENT, "no-such-event" },
};

START_TEST(hwt_record_fails_cleanly)
{
	char argv0[128], why[512] = "";
	char *argv[] = { argv0, NULL };
	struct hwt_record_result res;
	struct stat st;
	int fd;

	/* Executable, but not a program exec can run: found out only at exec. */
	snprintf(argv0, sizeof(argv0), "%s/garbage", dir);
	fd = open(argv0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "garbage\n", 8), 8);
	close(fd);
	if (fail_cases[_i].argv0[0] == '@')
		snprintf(argv0, sizeof(argv0), "%s%s", dir, fail_cases[_i].argv0 + 1);
	else
		snprintf(argv0, sizeof(argv0), "%s", fail_cases[_i].argv0);
	ck_assert_int_eq(record(argv, fail_cases[_i].args, &res, why, sizeof(why)),
			 fail_cases[_i].err);
	ck_assert_msg(strstr(why, fail_cases[_i].why) != NULL, "%s: %s", fail_cases[_i].what, why);
	ck_assert_ptr_null(strchr(why, '\n'));
	ck_assert_int_ne(stat(out, &st), 0);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(dir_entries(), 1); /* the garbage file alone */
}
END_TEST

/* An output that cannot be created: an error naming it, and the program never runs. */
START_TEST(hwt_record_unwritable_output)
{
	char script[256], ran[128], why[512] = "";
	char *const argv[] = { "/bin/sh", "-c", script, NULL };
	struct hwt_record_result res;
	struct stat st;

	snprintf(ran, sizeof(ran), "%s/ran", dir);
	snprintf(script, sizeof(script), "touch '%s'", ran);
	snprintf(out, sizeof(out), "%s/missing-dir/t.hwt", dir);
	ck_assert_int_lt(record(argv, "", &res, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, out) != NULL, "%s", why);
	ck_assert_int_ne(stat(ran, &st), 0);
	ck_assert_int_eq(dir_entries(), 0);
}
END_TEST

/* A recording is its owner's alone whatever the umask; a device node named as the output is
 * written in place, never replaced by a file, and a failed recording leaves it there. */
START_TEST(hwt_record_private_and_devices)
{
	char *const argv[] = { "/bin/true", NULL };
	char why[512] = "";
	struct hwt_record_result res;
	struct stat st;
	mode_t old = umask(0);

	ck_assert_int_eq(record(argv, "", &res, why, sizeof(why)), 0);
	umask(old);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	snprintf(out, sizeof(out), "%s/null", dir);
	ck_assert_int_eq(mknod(out, S_IFCHR | 0666, makedev(1, 3)), 0);
	ck_assert_int_eq(record(argv, "", &res, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	char *const missing[] = { "/no/such/program", NULL };
	ck_assert_int_lt(record(missing, "", &res, why, sizeof(why)), 0);
	ck_assert_int_eq(stat(out, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(dir_entries(), 2);
}
END_TEST

static Suite *host_suite(void)
{
	Suite *s = suite_create("host");
	TCase *tc = tcase_create("host");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hwt_record_config_init_defaults);
	tcase_add_loop_test(tc, hwt_plugin_by_name_known, 0,
			    (int)(sizeof(builtin_names) / sizeof(builtin_names[0])));
	tcase_add_loop_test(tc, hwt_plugin_by_name_unknown, 0,
			    (int)(sizeof(unknown_plugins) / sizeof(unknown_plugins[0])));
	tcase_add_test(tc, hwt_plugin_by_name_every_builtin);
	tcase_add_test(tc, hwt_plugin_load_missing);
	tcase_add_test(tc, hwt_plugin_load_not_a_plugin);
	tcase_add_test(tc, hwt_plugin_load_not_a_library);
	tcase_add_loop_test(tc, hwt_plugin_load_bare_name, 0,
			    (int)(sizeof(bare_names) / sizeof(bare_names[0])));
	tcase_add_test(tc, hwt_plugin_load_fifo);
	tcase_add_test(tc, hwt_host_alloc_probe_and_free);
	tcase_add_test(tc, hwt_host_probe_intel_pt);
	tcase_add_test(tc, hwt_host_open_event_sideband_once);
	tcase_add_loop_test(tc, hwt_record_sample_small, 0,
			    (int)(sizeof(record_cases) / sizeof(record_cases[0])));
	tcase_add_test(tc, hwt_record_restores_signals);
	tcase_add_loop_test(tc, hwt_record_fails_cleanly, 0,
			    (int)(sizeof(fail_cases) / sizeof(fail_cases[0])));
	tcase_add_test(tc, hwt_record_unwritable_output);
	tcase_add_test(tc, hwt_record_private_and_devices);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(host_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* The metadata of a recording: what was recorded (command, pids), on what machine (kernel, CPU,
 * host), when and on which clock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "attach.h"
#include "host_internal.h"
#include "store.h"

/* The first line of @path (with @prefix: the value of the first "PREFIX: value" line) into @out. */
static void read_first_line(const char *path, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(path, "r");

	out[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (prefix && strncmp(line, prefix, strlen(prefix)))
			continue;
		char *v = prefix ? strchr(line, ':') : line;
		if (!v)
			continue;
		v += prefix ? 1 : 0;
		v += strspn(v, " \t");
		v[strcspn(v, "\n")] = 0;
		snprintf(out, len, "%s", v);
		break;
	}
	fclose(f);
}

/* record --record-env: the environment the program starts with, one VAR=value a line. */
static void write_env(struct hwt_host *h)
{
	size_t len = 1;
	char *text;

	for (char **e = environ; e && *e; e++)
		len += strlen(*e) + 1;
	if (!(text = malloc(len)))
		return;
	text[0] = 0;
	for (char **e = environ, *p = text; e && *e; e++)
		p += sprintf(p, "%s%s", *e, e[1] ? "\n" : "");
	hwt_host_set_meta(h, "environment", text);
	free(text);
}

void hwt_record_write_meta(struct hwt_host *h, const struct hwt_record_config *cfg, int pid)
{
	char buf[4096], cpu[256];
	struct utsname u;
	struct timespec rt, mono;
	size_t off = 0;

	/* First the directories the paths below are shown relative to (core/redact.h). */
	if (getcwd(buf, sizeof(buf)))
		hwt_host_set_meta(h, "cwd", buf);
	if (cfg->project_root)
		hwt_host_set_meta(h, "project_root", cfg->project_root);
	else if (getcwd(buf, sizeof(buf)))
		hwt_host_set_meta(h, "project_root", buf);
	/* The program alone unless asked: its arguments may hold what is not ours to keep. */
	buf[0] = 0;
	for (char *const *a = cfg->argv; a && *a && off < sizeof(buf) - 1; a++) {
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%s",
					a == cfg->argv ? "" : " ", *a);
		if (!cfg->record_args)
			break;
	}
	if (cfg->npids)
		hwt_attach_command(cfg->pids, cfg->npids, cfg->record_args, buf, sizeof(buf));
	if (buf[0])
		hwt_host_set_meta(h, "command", buf);
	if (cfg->cmdline)
		hwt_host_set_meta(h, "hwtrace", cfg->cmdline);
	if (cfg->record_env)
		write_env(h);
	uname(&u);
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	hwt_host_set_meta(h, "kernel", buf);
	hwt_host_set_meta(h, "hostname", u.nodename);
	read_first_line("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	hwt_host_set_meta(h, "cpu", cpu);
	snprintf(buf, sizeof(buf), "%ld", sysconf(_SC_NPROCESSORS_ONLN));
	hwt_host_set_meta(h, "cpus", buf);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mono);
	snprintf(buf, sizeof(buf), "%lld.%09ld", (long long)rt.tv_sec, rt.tv_nsec);
	hwt_host_set_meta(h, "start_realtime", buf);
	snprintf(buf, sizeof(buf), "%llu",
		 (unsigned long long)mono.tv_sec * 1000000000ull +
			 (unsigned long long)mono.tv_nsec);
	hwt_host_set_meta(h, "start_monotonic", buf);
	hwt_host_set_meta(h, "clock", "CLOCK_MONOTONIC");
	/* "pid" is a program launched for the recording: its exit ends the timeline. */
	if (pid > 0) {
		snprintf(buf, sizeof(buf), "%d", pid);
		hwt_host_set_meta(h, "pid", buf);
	}
	off = 0;
	for (int i = 0; i < cfg->npids && off < sizeof(buf); i++)
		off += (size_t)snprintf(buf + off, sizeof(buf) - off, "%s%d", i ? "," : "",
					cfg->pids[i]);
	if (cfg->npids)
		hwt_host_set_meta(h, "attached", buf);
	if (cfg->system_wide)
		hwt_host_set_meta(h, "system_wide", "1");
	if (cfg->duration_ns) {
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)cfg->duration_ns);
		hwt_host_set_meta(h, "duration_ns", buf);
	}
}

int hwt_record_write_events(struct hwt_host *h)
{
	size_t len = (size_t)h->nevents * sizeof(struct hwt_event_desc);
	struct hwt_event_desc *all = malloc(len ? len : 1);

	if (!all)
		return HWT_E_NOMEM;
	for (int i = 0; i < h->nevents; i++)
		all[i] = h->events[i].desc;
	int err = hwt_store_write(h->store, HWT_CHUNK_EVENTS, all, len);
	free(all);
	return err;
}

/* The initial address space, for what the kernel never sends MMAP records about ([vdso]). */
void hwt_record_write_proc_maps(struct hwt_host *h, pid_t pid)
{
	char path[64], *text = NULL;
	size_t cap = 0, len = 8;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	for (;;) {
		if (len + 4096 > cap) {
			char *nt = realloc(text, cap = cap ? cap * 2 : 16384);
			if (!nt)
				break;
			text = nt;
		}
		size_t n = fread(text + len, 1, cap - len, f);
		if (!n)
			break;
		len += n;
	}
	fclose(f);
	if (text && len > 8) {
		uint32_t p32 = (uint32_t)pid, pad = 0;
		memcpy(text, &p32, 4);
		memcpy(text + 4, &pad, 4);
		hwt_store_write(h->store, HWT_CHUNK_PROC_MAPS, text, len);
	}
	free(text);
}

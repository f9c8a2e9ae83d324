/* The `inproc` tracer plugin: every call and return of the chosen functions, recorded inside the
 * program by a preloaded runtime (lib/inproc/) that patches function entries and writes into
 * call rings of the in-program API's area; functions it cannot patch go to uprobes in the same
 * recording. This side hands the runtime its selection, drains the rings into the stream
 * "inproc", and writes the runtime's function tables and counts. */
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"
#include "core/funcsel.h"
#include "core/progapi.h"
#include "core/util.h"
#include "hwtrace/error.h"
#include "inproc_plugin.h"
#include "plugins/uprobe/uprobe_target.h"

enum { OPT_FUNC, OPT_NOFUNC, OPT_DEPTH, OPT_MIN_DURATION, OPT_RING, OPT_UPROBES, IP_NOPTIONS };

static const char *const on_off[] = { "on", "off", NULL };

_Static_assert(IP_MAX_PATTERNS == HWT_FUNCSEL_MAX,
	       "-F and -N take as many patterns as a selection");

static const struct hwt_option ip_options[IP_NOPTIONS] = {
	[OPT_FUNC] = HWT_FUNCSEL_OPT_FUNC(""),
	[OPT_NOFUNC] = HWT_FUNCSEL_OPT_NOFUNC,
	[OPT_DEPTH] = HWT_FUNCSEL_OPT_DEPTH,
	[OPT_MIN_DURATION] = HWT_FUNCSEL_OPT_MIN_DURATION,
	[OPT_RING] = { .name = "ring",
		       .type = HWT_OPT_SIZE,
		       .flags = HWT_OPT_POW2,
		       .min = 4096,
		       .max = 1 << 30,
		       .def = "4M",
		       .arg = "BYTES",
		       .short_flag = 'm',
		       .long_flag = "ring",
		       .help = "bytes of each thread's call ring: 8 a record, 16 a call; what the "
			       "recorder drains every 5 ms (a busy machine: longer)" },
	[OPT_UPROBES] = { .name = "uprobes",
			  .type = HWT_OPT_ENUM,
			  .choices = on_off,
			  .def = "on",
			  .help = "trace the functions the patcher refuses with uprobes (off: "
				  "leave them untraced, counted in `hwtrace info`)" },
};

int hwt_inproc_runtime(char *buf, size_t len)
{
	const char *env = getenv("HWTRACE_INPROC_LIB");
	char exe[PATH_MAX];

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) ? -1 : 0;
	}
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0) {
		snprintf(buf, len, "(cannot read /proc/self/exe)");
		return -1;
	}
	exe[n] = 0;
	char *slash = strrchr(exe, '/');
	if (slash)
		*slash = 0;
	static const char *const rel[] = { "lib/libhwtrace-inproc.so",
					   "../lib/hwtrace/libhwtrace-inproc.so" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		snprintf(buf, len, "%s/%s", exe, rel[i]);
		if (!access(buf, R_OK))
			return 0;
	}
	snprintf(buf, len, "%s/lib/ or %s/../lib/hwtrace/", exe, exe);
	return -1;
}

/* ---- the stream ------------------------------------------------------------------------ */

static int reserve(struct ip_state *s, size_t n)
{
	return HWT_ARRAY_GROW(s->buf, &s->cap, s->len + n);
}

static void put(struct ip_state *s, struct hwt_uprobe_record r)
{
	s->len += hwt_uprobe_record_put(s->buf + s->len, &r);
}

/* The stream's index of thread @tid of @pid, announced at its first record; -1 if no memory. */
static long thread_index(struct ip_state *s, uint32_t pid, uint32_t tid)
{
	int created = 0;
	uint32_t *slot = hwt_idmap_put(&s->tids, tid, &created);

	if (!slot || reserve(s, UP_RECORD_MAX))
		return -1;
	/* A thread id seen in another process is a new thread: it gets a new index. */
	if (created || s->threads[*slot].pid != pid) {
		if (HWT_ARRAY_GROW(s->threads, &s->cap_threads, s->nthreads + 1))
			return -1;
		*slot = s->nthreads;
		s->threads[s->nthreads++] = (struct ip_thread){ .tid = tid, .pid = pid };
		put(s, (struct hwt_uprobe_record){ .kind = UP_KIND_THREAD, .a = tid, .b = pid });
	}
	return *slot;
}

int ip_encode(struct ip_state *s, uint32_t pid, uint32_t tid, uint32_t kind, uint32_t id,
	      uint64_t ts)
{
	if (reserve(s, 2 * UP_RECORD_MAX))
		return HWT_E_NOMEM;
	long ti = thread_index(s, pid, tid);
	if (ti < 0)
		return HWT_E_NOMEM;
	put(s, (struct hwt_uprobe_record){
		       .kind = kind == HWT_INPROC_ENTRY ? UP_KIND_ENTRY : UP_KIND_RETURN,
		       .id = id,
		       .a = (uint64_t)ti,
		       .b = ts - s->prev_ts,
		       .c = kind == HWT_INPROC_UNWOUND ? HWT_INPROC_FLAG_UNWOUND : 0,
	       });
	s->prev_ts = ts;
	return 0;
}

int ip_encode_gap(struct ip_state *s, uint32_t pid, uint32_t tid, uint64_t n)
{
	if (reserve(s, 2 * UP_RECORD_MAX))
		return HWT_E_NOMEM;
	long ti = thread_index(s, pid, tid);
	if (ti < 0)
		return HWT_E_NOMEM;
	put(s, (struct hwt_uprobe_record){ .kind = UP_KIND_GAP, .a = (uint64_t)ti, .b = n });
	return 0;
}

/* Decodes @len bytes of one ring's records (see core/format/inproc_format.h) into the stream;
 * @t is its thread. */
static int ring_bytes(struct ip_state *s, uint32_t ti, const uint8_t *p, size_t len,
		      uint32_t *sync_lo, int *half)
{
	struct ip_thread *t = &s->threads[ti];
	for (size_t o = 0; o + 8 <= len; o += 8) {
		/* Room for the next 4096 records at once: this loop is the recorder's cost per
		 * call. */
		if (!(o & (4096 * 8 - 1)) && reserve(s, 4096 * UP_RECORD_MAX))
			return HWT_E_NOMEM;
		uint32_t code, dt;
		memcpy(&code, p + o, 4);
		memcpy(&dt, p + o + 4, 4);
		if (*half) { /* the high half of a SYNC's time */
			t->last = (uint64_t)code << 32 | *sync_lo;
			t->synced = 1;
			*half = 0;
			continue;
		}
		uint32_t kind = hwt_inproc_kind(code);
		if (kind == HWT_INPROC_SYNC) {
			*sync_lo = dt;
			*half = 1;
			continue;
		}
		if (!t->synced)
			continue; /* no time to give it */
		t->last += dt;
		put(s, (struct hwt_uprobe_record){
			       .kind = kind == HWT_INPROC_ENTRY ? UP_KIND_ENTRY : UP_KIND_RETURN,
			       .id = hwt_inproc_id(code),
			       .a = ti,
			       .b = t->last - s->prev_ts,
			       .c = kind == HWT_INPROC_UNWOUND ? HWT_INPROC_FLAG_UNWOUND : 0,
		       });
		s->prev_ts = t->last;
	}
	return 0;
}

static int drain_ring(int32_t pid, int32_t tid, const uint8_t *a, size_t alen, const uint8_t *b,
		      size_t blen, uint64_t lost, int gone, void *ctx)
{
	struct ip_state *s = ctx;
	uint32_t sync_lo = 0;
	int half = 0, err = 0;

	if (pid <= 0 || tid <= 0)
		return 0;
	long ti = thread_index(s, (uint32_t)pid, (uint32_t)tid);
	if (ti < 0)
		return HWT_E_NOMEM;
	err = ring_bytes(s, (uint32_t)ti, a, alen, &sync_lo, &half);
	if (!err)
		err = ring_bytes(s, (uint32_t)ti, b, blen, &sync_lo, &half);
	/* The ring was full after its last record until this drain: the loss shows there. */
	if (!err && lost) {
		s->lost += lost;
		err = ip_encode_gap(s, (uint32_t)pid, (uint32_t)tid, lost);
		hwt_host_count_lost(s->h, lost);
	}
	if (gone)
		s->threads[ti].synced = 0; /* the ring's next thread starts with a SYNC */
	return err;
}

/* ---- the runtime's declarations -------------------------------------------------------- */

static void wake(uint32_t *word, uint32_t state)
{
	__atomic_store_n(word, state, __ATOMIC_RELEASE);
	syscall(SYS_futex, word, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/* The functions of one file the patcher refused: uprobes, then the runtime goes on. */
static int want_uprobes(struct ip_state *s, uint8_t *body, size_t len)
{
	struct hwt_inproc_uprobes *u = (struct hwt_inproc_uprobes *)body;
	if (len < sizeof(*u))
		return 0;
	uint32_t n = u->n;
	size_t arr = (size_t)n * sizeof(struct hwt_inproc_uprobe);
	if (arr > len - sizeof(*u) || !memchr(body + sizeof(*u) + arr, 0, len - sizeof(*u) - arr)) {
		wake(&u->state, HWT_INPROC_UP_FAILED);
		return 0;
	}
	const struct hwt_inproc_uprobe *e = (const void *)(u + 1);
	char *path = strndup((const char *)(e + n), len - sizeof(*u) - arr);
	uint32_t *ids = malloc((n ? n : 1) * sizeof(*ids));
	uint64_t *vaddrs = malloc((n ? n : 1) * sizeof(*vaddrs));
	int got = HWT_E_NOMEM;
	if (path && ids && vaddrs) {
		for (uint32_t i = 0; i < n; i++) {
			ids[i] = e[i].id;
			vaddrs[i] = e[i].vaddr;
		}
		got = ip_uprobes_attach(s, path, ids, vaddrs, n);
	}
	if (got < 0) {
		hwt_host_note(s->h, "inproc: %s: %u functions the patcher refused stay untraced",
			      hwt_host_error(s->h), n);
		s->up_failed += n;
	}
	wake(&u->state, got < 0 ? HWT_INPROC_UP_FAILED : HWT_INPROC_UP_ATTACHED);
	free(path);
	free(ids);
	free(vaddrs);
	return 0;
}

/* An image's counts: patched, refused by reason, the call cost. */
static void stats(struct ip_state *s, const uint8_t *body, size_t len)
{
	struct hwt_inproc_stats st;
	if (len < sizeof(st))
		return;
	memcpy(&st, body, sizeof(st));
	s->patched += st.patched;
	s->refused += st.refused;
	if (st.call_ps) {
		s->images++;
		if (!s->call_ps) {
			s->call_ps = st.call_ps;
			s->call_in_ps = st.call_in_ps;
		}
	}
	if (st.start_ns > s->start_ns_max)
		s->start_ns_max = st.start_ns;
	if (st.start_cpu_ns > s->start_cpu_max)
		s->start_cpu_max = st.start_cpu_ns;
	size_t off = sizeof(st);
	for (uint32_t i = 0; i < st.nreasons && off < len; i++) {
		const char *text = (const char *)body + off, *nul = memchr(text, 0, len - off);
		if (!nul)
			return;
		off = (size_t)(nul + 1 - (const char *)body);
		char *sp;
		unsigned long long count = strtoull(text, &sp, 10);
		if (*sp != ' ')
			continue;
		int k = 0;
		while (k < s->nreasons_kinds && strcmp(s->reasons[k], sp + 1))
			k++;
		if (k == s->nreasons_kinds) {
			if (k == IP_REASONS || !(s->reasons[k] = strdup(sp + 1)))
				continue;
			s->nreasons_kinds++;
		}
		s->nreason[k] += count;
	}
}

static int decl(const struct hwt_custom_rec *rec, uint8_t *body, void *ctx)
{
	struct ip_state *s = ctx;

	switch (rec->type) {
	case HWT_CR_INPROC_FUNCS:
		s->nfuncs++;
		return hwt_host_write_chunk(s->h, HWT_INPROC_SOURCE, body, rec->len);
	case HWT_CR_INPROC_UPROBES:
		return want_uprobes(s, body, rec->len);
	case HWT_CR_INPROC_STATS: {
		/* A copy: the program may write there while it is read. */
		uint8_t *copy = malloc(rec->len + 1);
		if (copy) {
			memcpy(copy, body, rec->len);
			copy[rec->len] = 0;
			stats(s, copy, rec->len);
		}
		free(copy);
		return 0;
	}
	default:
		return 0;
	}
}

/* ---- the plugin ------------------------------------------------------------------------ */

static int ip_probe(struct hwt_host *h, char *why, size_t len)
{
	char path[PATH_MAX + 64];

#if !defined(__x86_64__)
	snprintf(why, len, "the inproc patcher rewrites x86-64 code only");
	return 0;
#endif
	if (hwt_inproc_runtime(path, sizeof(path))) {
		snprintf(why, len,
			 "its runtime libhwtrace-inproc.so is not in %s (build it with "
			 "make, or set HWTRACE_INPROC_LIB)",
			 path);
		return 0;
	}
	snprintf(why, len, "runtime %s", path);
	return 1;
}

/* Whether the program file @path is statically linked (no interpreter to preload with). */
static int is_static(const char *path)
{
	Elf64_Ehdr eh;
	FILE *f = fopen(path, "rb");
	int st = 0;

	if (f && fread(&eh, sizeof(eh), 1, f) == 1 && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
		st = 1;
		for (int i = 0; i < eh.e_phnum && st; i++) {
			Elf64_Phdr ph;
			if (fseek(f, (long)(eh.e_phoff + (uint64_t)i * sizeof(ph)), SEEK_SET) ||
			    fread(&ph, sizeof(ph), 1, f) != 1)
				break;
			if (ph.p_type == PT_INTERP)
				st = 0;
		}
	}
	if (f)
		fclose(f);
	return st;
}

/* The selection into the area, before the program starts. */
static int write_config(struct ip_state *s, const struct hwt_option_value *v,
			struct hwt_inproc_pattern *pats, size_t *npats)
{
	size_t n = 0;
	int main_filtered = 0;

	for (int k = 0; k < 2; k++) {
		const struct hwt_option_value *o = &v[k ? OPT_NOFUNC : OPT_FUNC];
		for (size_t i = 0; i < o->n && n < 2 * IP_MAX_PATTERNS; i++) {
			const char *spec = o->list[i], *colon = strchr(spec, ':');
			/* "LIB:GLOB"; but "ns::f" is a C++ name in the main program. */
			int lib = colon && colon != spec && colon[1] != ':' && colon[-1] != ':';
			pats[n] = (struct hwt_inproc_pattern){
				.exclude = k,
				.lib = lib ? strndup(spec, (size_t)(colon - spec)) : NULL,
				.glob = lib ? colon + 1 : spec,
			};
			if (lib && !pats[n].lib)
				return HWT_E_NOMEM;
			main_filtered |= !k && !lib;
			n++;
		}
	}
	*npats = n;
	struct hwt_inproc_config head = {
		.version = HWT_INPROC_CONFIG_VERSION,
		.next_id = 1,
		.ring_bytes = 0, /* all of it: the area's rings are --ring bytes */
		.npatterns = (uint32_t)n,
		.flags = (main_filtered ? HWT_INPROC_MAIN_FILTERED : 0) |
			 (v[OPT_UPROBES].i == 1 ? HWT_INPROC_NO_UPROBES : 0),
		.wait_ms = 10000,
	};
	size_t len = hwt_inproc_config_size(pats, n);
	uint8_t *body = hwt_progapi_declare(s->pa, HWT_CR_INPROC_CONFIG, len);
	if (!body)
		return HWT_E_NOMEM;
	hwt_inproc_config_write(body, &head, pats, n);
	s->config = (struct hwt_inproc_config *)body;
	return main_filtered;
}

static void ip_free(struct ip_state *s)
{
	if (!s)
		return;
	ip_uprobes_close(s);
	hwt_idmap_fini(&s->tids);
	free(s->threads);
	free(s->buf);
	for (int i = 0; i < s->nreasons_kinds; i++)
		free(s->reasons[i]);
	free(s);
}

static int ip_start(struct hwt_host *h, const struct hwt_target *t,
		    const struct hwt_option_value *opts, void **st)
{
	struct hwt_inproc_pattern pats[2 * IP_MAX_PATTERNS];
	size_t npats = 0;
	char text[32];
	int err;

	if (t->flags & (HWT_TARGET_SYSTEM | HWT_TARGET_ATTACHED)) {
		hwt_host_set_error(h, "-b inproc starts the program itself (its runtime is "
				      "preloaded): for -p PID use -b uprobe, for -a -b sample");
		return HWT_E_INVAL;
	}
	struct ip_state *s = calloc(1, sizeof(*s));
	if (!s)
		return HWT_E_NOMEM;
	s->h = h;
	s->pa = hwt_host_progapi(h);
	if (!s->pa) {
		hwt_host_set_error(h, "inproc: the in-program API's shared memory could not be "
				      "created (see the note above)");
		err = HWT_E_INVAL;
		goto fail;
	}
	err = write_config(s, opts, pats, &npats);
	int main_filtered = err > 0;
	if (err >= 0 && opts[OPT_DEPTH].set) {
		snprintf(text, sizeof(text), "%lld", (long long)opts[OPT_DEPTH].i);
		err = hwt_host_set_meta(h, "inproc.depth", text);
	}
	if (err >= 0 && opts[OPT_MIN_DURATION].i > 0) {
		snprintf(text, sizeof(text), "%lld", (long long)opts[OPT_MIN_DURATION].i);
		err = hwt_host_set_meta(h, "inproc.min_duration_ns", text);
	}
	if (err >= 0)
		err = s->source = hwt_host_add_source(h, HWT_INPROC_SOURCE);
	if (err >= 0)
		err = hwt_uprobe_sideband_open(h, t);
	if (err >= 0 && t->path && is_static(t->path)) {
		s->static_prog = 1;
		hwt_host_note(h,
			      "inproc: %s is statically linked (nothing can be preloaded): "
			      "every function is traced with uprobes",
			      t->path);
		char real[PATH_MAX];
		if (!realpath(t->path, real))
			snprintf(real, sizeof(real), "%s", t->path);
		err = ip_uprobes_static(s, real, pats, npats, main_filtered);
	}
	for (size_t i = 0; i < npats; i++)
		free((char *)pats[i].lib);
	if (err < 0)
		goto fail;
	hwt_host_poll_interval(h, 5000000); /* the runtime waits on uprobes: answer soon */
	*st = s;
	return 0;
fail:
	ip_free(s);
	return err < 0 ? err : HWT_E_INVAL;
}

static int ip_poll(void *st, uint64_t now_ns)
{
	struct ip_state *s = st;
	int err = hwt_progapi_decls(s->pa, &s->decl_cursor, decl, s);

	s->len = 0;
	if (!err)
		err = hwt_progapi_calls(s->pa, drain_ring, s);
	if (!err)
		err = ip_uprobes_poll(s);
	if (err) {
		hwt_host_set_error(s->h, "inproc: reading the program's rings: %s",
				   hwt_errstr(err));
		return err;
	}
	return s->len ? hwt_host_stream(s->h, s->source, s->buf, s->len) : 0;
}

static void set_count(struct ip_state *s, const char *key, uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	hwt_host_set_meta(s->h, key, buf);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

/* The median of the @n values at @v (shared memory: copied first), or 0 for none. */
static uint64_t median_u32(const uint32_t *v, uint32_t n)
{
	uint32_t c[HWT_INPROC_COST_SAMPLES];

	if (!n)
		return 0;
	memcpy(c, v, n * sizeof(*c));
	qsort(c, n, sizeof(*c), cmp_u32);
	return n % 2 ? c[n / 2] : ((uint64_t)c[n / 2 - 1] + c[n / 2]) / 2;
}

/* The probe cost `report --compensate` subtracts: the median of the runtime's in-run samples
 * when it took enough (a long run: what a call cost under the run's load), else what it measured
 * at the start. */
static void write_cost(struct ip_state *s)
{
	char buf[64];
	uint32_t n = s->config ? __atomic_load_n(&s->config->cost_n, __ATOMIC_ACQUIRE) : 0;
	uint64_t call = s->call_ps, in = s->call_in_ps;

	if (s->call_ps) {
		snprintf(buf, sizeof(buf), "%.1f", (double)s->call_ps / 1000.0);
		hwt_host_set_meta(s->h, "inproc.start_call_ns", buf);
		snprintf(buf, sizeof(buf), "%.1f", (double)s->call_in_ps / 1000.0);
		hwt_host_set_meta(s->h, "inproc.start_call_in_ns", buf);
	}
	set_count(s, "inproc.cost_samples", n);
	if (n >= 8) {
		uint32_t k = n < HWT_INPROC_COST_SAMPLES ? n : HWT_INPROC_COST_SAMPLES;
		call = median_u32(s->config->cost_ps, k);
		in = median_u32(s->config->cost_in_ps, k);
		in = in < call ? in : call;
	}
	if (call) {
		snprintf(buf, sizeof(buf), "%.1f", (double)call / 1000.0);
		hwt_host_set_meta(s->h, "inproc.call_ns", buf);
		snprintf(buf, sizeof(buf), "%.1f", (double)in / 1000.0);
		hwt_host_set_meta(s->h, "inproc.call_in_ns", buf);
	}
}

/* Counts for `hwtrace info`: functions per path and why, the probe cost, the start-up time. */
static void write_meta(struct ip_state *s)
{
	char buf[64];

	set_count(s, "inproc.functions", s->patched);
	set_count(s, "inproc.uprobe_functions", s->nuprobe);
	set_count(s, "inproc.refused", s->refused);
	set_count(s, "inproc.lost", s->lost);
	if (s->up_failed)
		set_count(s, "inproc.untraced", s->up_failed);
	char why[1024] = "";
	size_t off = 0;
	for (int i = 0; i < s->nreasons_kinds && off < sizeof(why); i++)
		off += (size_t)snprintf(why + off, sizeof(why) - off, "%s%llu %s", i ? "; " : "",
					(unsigned long long)s->nreason[i], s->reasons[i]);
	if (why[0])
		hwt_host_set_meta(s->h, "inproc.refusals", why);
	write_cost(s);
	if (s->start_ns_max) {
		snprintf(buf, sizeof(buf), "%.1f", (double)s->start_ns_max / 1e6);
		hwt_host_set_meta(s->h, "inproc.start_ms", buf);
		snprintf(buf, sizeof(buf), "%.1f", (double)s->start_cpu_max / 1e6);
		hwt_host_set_meta(s->h, "inproc.start_cpu_ms", buf);
	}
}

static void ip_stop(void *st)
{
	struct ip_state *s = st;

	ip_poll(s, hwt_host_now());
	write_meta(s);
	if (!s->patched && !s->nuprobe && !s->refused && !s->static_prog)
		hwt_host_fail(s->h, "inproc: nothing was traced: the program did not load the "
				    "runtime (a static program? a setuid one?), or -F matched no "
				    "function; `hwtrace list --functions PROG` names them");
	ip_free(s);
}

const struct hwt_plugin hwt_plugin_inproc = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_TRACER,
	.name = "inproc",
	.summary = "every call and return of the chosen functions, patched in the process "
		   "(uprobes where it cannot)",
	.options = ip_options,
	.noptions = IP_NOPTIONS,
	.probe = ip_probe,
	.start = ip_start,
	.poll = ip_poll,
	.stop = ip_stop,
};

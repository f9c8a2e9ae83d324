/* The inproc runtime's start: before main() (and after each dlopen) it picks the functions of
 * each loaded module the recorder's selection names, patches them in one batch, declares them
 * (id -> file, address, name) for the decoder, hands the ones the patcher refuses to the
 * recorder for uprobes and waits until they are attached, and measures what a traced call
 * costs here. */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/elffuncs.h"
#include "core/funcsel.h"
#include "core/format/uprobe_format.h"
#include "lib/inproc/patch.h"
#include "rt_internal.h"

/* Reasons a function is not patched: the patcher's refusals, then two of the runtime's. */
#define RT_UNSIZED HWT_PATCH_REFUSAL_COUNT_	  /* no size known: nothing can be checked */
#define RT_ERROR   (HWT_PATCH_REFUSAL_COUNT_ + 1) /* the patcher failed (memory, mprotect) */
#define RT_REASONS (HWT_PATCH_REFUSAL_COUNT_ + 2)

static struct hwt_patcher *patcher;
static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;
static int scanning; /* a scan is under way: a dlopen inside it (resolving an IFUNC in a forked
		      * child) adds nothing, and must not wait for the lock */
static struct hwt_funcsel *sel;
static uintptr_t self_base; /* this runtime's load address: its code is not traced */
static uintptr_t *seen;	    /* load addresses of the modules handled */
static size_t nseen, cap_seen;

/* One module being handled: what the selection picked, as patch requests and a table. */
struct pick {
	const char *path;
	int is_main;
	uintptr_t base;
	struct hwt_patch_req *reqs;
	uint64_t *vaddrs;
	size_t n, cap;
	struct hwt_uprobe_table table;
	int nomem;
};

/* Functions the patcher must not touch (lib/inproc/patch.h): they return twice, switch stacks,
 * or read their own return address to find their caller. */
static const char *const never[] = {
	"setjmp",     "_setjmp", "sigsetjmp",	       "__sigsetjmp", "vfork",
	"getcontext", "savectx", "setcontext",	       "swapcontext", "makecontext",
	"clone",      "__clone", "__clone3",	       "dlopen",      "dlmopen",
	"dlsym",      "dlvsym",	 "__libc_dlopen_mode", "__vfork",
};

static int never_patched(const struct hwt_elf_func *f)
{
	for (size_t k = 0; k < f->nnames || (!f->nnames && !k); k++) {
		const char *name = f->nnames ? f->names[k] : f->name;
		char base[128];
		/* "name@VERSION" is name. */
		snprintf(base, sizeof(base), "%.*s", (int)strcspn(name, "@"), name);
		for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
			if (!strcmp(base, never[i]))
				return 1;
	}
	return 0;
}

static int pick_func(const struct hwt_funcsel_pick *pk, void *ctx)
{
	struct pick *p = ctx;
	const struct hwt_elf_func *f = pk->f;

	if (never_patched(f))
		return 0;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 256;
		struct hwt_patch_req *r = realloc(p->reqs, cap * sizeof(*r));
		if (r)
			p->reqs = r;
		uint64_t *v = realloc(p->vaddrs, cap * sizeof(*v));
		if (v)
			p->vaddrs = v;
		if (!r || !v) {
			p->nomem = 1;
			return 1;
		}
		p->cap = cap;
	}
	uint32_t id = __atomic_fetch_add(&rt_config->next_id, 1, __ATOMIC_RELAXED);
	p->reqs[p->n] =
		(struct hwt_patch_req){ .addr = p->base + f->vaddr, .size = f->size, .id = id };
	p->vaddrs[p->n++] = f->vaddr;
	if (hwt_uprobe_table_add(&p->table, id, f->vaddr, f->size, f->flags, pk->name)) {
		p->nomem = 1;
		return 1;
	}
	return 0;
}

/* Copies @len bytes of @data into a new declaration of @type. */
static void declare_copy(uint16_t type, const void *data, size_t len)
{
	void *b = rt_declare_begin(type, len);
	if (!b)
		return;
	memcpy(b, data, len);
	rt_declare_end(b);
}

/* Requests for uprobes written but not published yet (publish_uprobes()). */
#define RT_MAX_PENDING 64
static struct hwt_inproc_uprobes *pending[RT_MAX_PENDING];
static size_t npending;

/* Publishes the requests written and waits (bounded) until the recorder attached uprobes to
 * their functions: no call of theirs may be missed (it polls every few ms; attaching takes
 * tens). Nothing here calls a libc function the probes may be on (strlen, memcpy: the runtime's
 * own calls would be counted as the program's). */
static void publish_uprobes(void)
{
	for (size_t i = 0; i < npending; i++)
		rt_declare_end(pending[i]);
	uint64_t until = rt_now() + (uint64_t)rt_config->wait_ms * 1000000ull;
	for (size_t i = 0; i < npending; i++) {
		uint32_t *state = &pending[i]->state;
		while (__atomic_load_n(state, __ATOMIC_ACQUIRE) == HWT_INPROC_UP_WAITING) {
			uint64_t now = rt_now();
			if (now >= until)
				break;
			uint64_t left = until - now < 100000000ull ? until - now : 100000000ull;
			struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)left };
			syscall(SYS_futex, state, FUTEX_WAIT, HWT_INPROC_UP_WAITING, &ts, NULL, 0);
		}
	}
	npending = 0;
}

/* Writes the request for uprobes on the functions @p's patcher refused (@results), published
 * by publish_uprobes(). */
static void ask_uprobes(const struct pick *p, const int *results, size_t nrefused)
{
	if (npending == RT_MAX_PENDING)
		publish_uprobes();
	size_t plen = strlen(p->path) + 1;
	size_t len = sizeof(struct hwt_inproc_uprobes) +
		     nrefused * sizeof(struct hwt_inproc_uprobe) + plen;
	struct hwt_inproc_uprobes *u = rt_declare_begin(HWT_CR_INPROC_UPROBES, len);

	if (!u)
		return;
	struct hwt_inproc_uprobe *e = (struct hwt_inproc_uprobe *)(u + 1);
	size_t k = 0;
	for (size_t i = 0; i < p->n; i++)
		if (results[i] != 0 && results[i] != HWT_PATCH_ALREADY)
			e[k++] = (struct hwt_inproc_uprobe){
				.id = p->reqs[i].id,
				.reason = (uint32_t)results[i],
				.vaddr = p->vaddrs[i],
			};
	u->n = (uint32_t)k;
	u->pid = (int32_t)getpid();
	memcpy(e + k, p->path, plen);
	pending[npending++] = u;
}

/* Writes the image's counts: functions patched, refused and why, what a call costs. */
static void declare_stats(uint64_t patched, const uint64_t *reasons, uint64_t call_ps,
			  uint64_t call_in_ps, uint64_t start_ns, uint64_t start_cpu_ns)
{
	char text[RT_REASONS][96];
	size_t len = sizeof(struct hwt_inproc_stats), nr = 0;
	uint64_t refused = 0;

	for (int i = 1; i < RT_REASONS; i++) {
		if (!reasons[i])
			continue;
		refused += reasons[i];
		snprintf(text[nr], sizeof(text[nr]), "%llu %s", (unsigned long long)reasons[i],
			 i == RT_ERROR ? "error while patching"
			 : i == RT_UNSIZED
				 ? "size unknown (a stripped library's IFUNC implementation)"
				 : hwt_patch_refusal_str(i));
		len += strlen(text[nr++]) + 1;
	}
	struct hwt_inproc_stats *s = rt_declare_begin(HWT_CR_INPROC_STATS, len);
	if (!s)
		return;
	*s = (struct hwt_inproc_stats){ .pid = (int32_t)getpid(),
					.nreasons = (uint32_t)nr,
					.patched = patched,
					.refused = refused,
					.call_ps = call_ps,
					.call_in_ps = call_in_ps,
					.start_ns = start_ns,
					.start_cpu_ns = start_cpu_ns };
	char *o = (char *)(s + 1);
	for (size_t i = 0; i < nr; i++) {
		size_t l = strlen(text[i]) + 1;
		memcpy(o, text[i], l);
		o += l;
	}
	rt_declare_end(s);
}

/* Patches what @p picked: @results[i] gets 0 or a reason (RT_*, the patcher's refusals). A
 * function of unknown size is not tried. */
static void patch_all(struct pick *p, int *results)
{
	struct hwt_patch_req *sized = malloc(p->n * sizeof(*sized));
	size_t *at = malloc(p->n * sizeof(*at)), k = 0;
	int *r = malloc(p->n * sizeof(*r));

	for (size_t i = 0; i < p->n; i++) {
		results[i] = p->reqs[i].size ? RT_ERROR : RT_UNSIZED;
		if (p->reqs[i].size && sized && at && r) {
			sized[k] = p->reqs[i];
			at[k++] = i;
		}
	}
	if (k && hwt_patcher_apply_many(patcher, sized, k, r) >= 0)
		for (size_t j = 0; j < k; j++)
			results[at[j]] = r[j] < 0 || r[j] >= RT_UNSIZED ? RT_ERROR : r[j];
	free(sized);
	free(at);
	free(r);
}

/* Picks, patches and declares the functions of one module; adds to @patched and @reasons. */
static void handle_module(const char *path, int is_main, uintptr_t base, uint64_t *patched,
			  uint64_t *reasons)
{
	struct pick p = { .path = path, .is_main = is_main, .base = base };
	char why[256];

	if (hwt_uprobe_table_begin(&p.table, path))
		return;
	int n = hwt_funcsel_file(sel, path, is_main, 0, pick_func, &p, why, sizeof(why));
	int *results = p.n ? calloc(p.n, sizeof(*results)) : NULL;
	if (n >= 0 && !p.nomem && p.n && results) {
		declare_copy(HWT_CR_INPROC_FUNCS, p.table.data, p.table.len);
		patch_all(&p, results);
		size_t nrefused = 0, nuprobe = 0;
		for (size_t i = 0; i < p.n; i++) {
			nrefused += results[i] != 0;
			/* ALREADY: the same code chosen twice (aliases), or someone's breakpoint at
			 * its entry: a uprobe there would emulate the file's first instruction and
			 * run on into the middle of our jump. Traced already, or left alone. */
			nuprobe += results[i] != 0 && results[i] != HWT_PATCH_ALREADY;
			reasons[results[i]]++;
		}
		*patched += p.n - nrefused;
		if (nuprobe && !(rt_config->flags & HWT_INPROC_NO_UPROBES)) {
			hwt_patch_expect_uretprobes();
			ask_uprobes(&p, results, nrefused);
		}
	}
	free(results);
	free(p.reqs);
	free(p.vaddrs);
	hwt_uprobe_table_fini(&p.table);
}

struct module {
	uintptr_t base;
	char path[PATH_MAX];
	int is_main;
};

struct modules {
	struct module *m;
	size_t n, cap;
};

static int was_seen(uintptr_t base)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i] == base)
			return 1;
	return 0;
}

static int list_module(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct modules *ms = ctx;
	int is_main = !info->dlpi_name || !info->dlpi_name[0];

	if (info->dlpi_addr == self_base || was_seen(info->dlpi_addr))
		return 0;
	if (!is_main && info->dlpi_name[0] != '/')
		return 0; /* the vDSO: no file */
	if (!is_main && !hwt_funcsel_wants_library(sel, info->dlpi_name))
		return 0; /* no -F LIB:GLOB names it: not read at all */
	if (ms->n == ms->cap) {
		size_t cap = ms->cap ? ms->cap * 2 : 32;
		struct module *m = realloc(ms->m, cap * sizeof(*m));
		if (!m)
			return 1;
		ms->m = m;
		ms->cap = cap;
	}
	struct module *m = &ms->m[ms->n];
	m->base = info->dlpi_addr;
	m->is_main = is_main;
	if (is_main) {
		ssize_t l = readlink("/proc/self/exe", m->path, sizeof(m->path) - 1);
		if (l <= 0)
			return 0;
		m->path[l] = 0;
	} else {
		snprintf(m->path, sizeof(m->path), "%s", info->dlpi_name);
	}
	ms->n++;
	return 0;
}

static void scan(uint64_t *patched, uint64_t *reasons)
{
	struct modules ms = { 0 };

	dl_iterate_phdr(list_module, &ms);
	for (size_t i = 0; i < ms.n; i++) {
		if (nseen == cap_seen) {
			size_t cap = cap_seen ? cap_seen * 2 : 32;
			uintptr_t *s = realloc(seen, cap * sizeof(*s));
			if (!s)
				break;
			seen = s;
			cap_seen = cap;
		}
		seen[nseen++] = ms.m[i].base;
		handle_module(ms.m[i].path, ms.m[i].is_main, ms.m[i].base, patched, reasons);
	}
	free(ms.m);
}

void rt_scan_modules(void)
{
	uint64_t patched = 0, reasons[RT_REASONS] = { 0 };

	if (!patcher)
		return;
	if (__atomic_load_n(&scanning, __ATOMIC_ACQUIRE))
		return;
	rt_set_quiet(1);
	pthread_mutex_lock(&scan_lock);
	scanning = 1;
	scan(&patched, reasons);
	scanning = 0;
	uint64_t any = patched;
	for (int i = 1; i < RT_REASONS; i++)
		any += reasons[i];
	if (any)
		declare_stats(patched, reasons, 0, 0, 0, 0);
	publish_uprobes();
	pthread_mutex_unlock(&scan_lock);
	rt_set_quiet(0);
}

/* What a traced call costs: calls of this function, before and after patching it (at the start),
 * and against its untraced twin below (during the run). Exported so that its size is known
 * (dladdr1). */
static volatile int cal_sink;
RT_EXPORT __attribute__((noinline)) int hwt_inproc_calibrate(int x)
{
	cal_sink += x;
	__asm__ volatile("" ::: "memory");
	return cal_sink ^ x;
}

RT_EXPORT __attribute__((noinline)) int hwt_inproc_calibrate_plain(int x)
{
	cal_sink += x;
	__asm__ volatile("" ::: "memory");
	return cal_sink ^ x;
}

static int cal_patched; /* hwt_inproc_calibrate is: in-run samples can be taken */

static uint64_t time_calls(int (*fn)(int), int n)
{
	int (*volatile f)(int) = fn;
	uint64_t t0 = rt_now();
	for (int i = 0; i < n; i++)
		f(i);
	return rt_now() - t0;
}

/* A traced call's cost in ps from @n calls that took @traced ns (@inside of it between the clock
 * reads at entry and return) against @n untraced ones that took @plain; 0 if not measurable.
 * *@inside_ps gets the part between the clock reads, which a traced call's duration holds (the
 * rest falls in its caller's). */
static uint64_t cost_of(uint64_t traced, uint64_t plain, uint64_t inside, int n,
			uint64_t *inside_ps)
{
	*inside_ps = 0;
	if (traced <= plain)
		return 0;
	uint64_t cost = (traced - plain) * 1000 / (uint64_t)n;
	/* The function's own time lies between the clock reads too: not the probe's. */
	inside = inside > plain ? (inside - plain) * 1000 / (uint64_t)n : 0;
	*inside_ps = inside < cost ? inside : cost;
	return cost;
}

/* Patches hwt_inproc_calibrate and, if @measure, returns the cost of a traced call in ps from the
 * fastest of @rounds rounds (0 if it cannot be measured), its inside part in *@inside_ps. */
static uint64_t calibrate(int measure, uint64_t *inside_ps)
{
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	const int n = 2000, rounds = 5; /* ~1 ms in all: start-up counts */

	*inside_ps = 0;
	if (!dladdr1((void *)hwt_inproc_calibrate, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym ||
	    !sym->st_size)
		return 0;
	uint64_t plain = UINT64_MAX, traced = UINT64_MAX, inside = 0;
	for (int k = 0; measure && k < rounds; k++) {
		uint64_t d = time_calls(hwt_inproc_calibrate, n);
		plain = d < plain ? d : plain;
	}
	if (hwt_patcher_apply(patcher, (uintptr_t)hwt_inproc_calibrate, sym->st_size, 0))
		return 0;
	cal_patched = 1;
	for (int k = 0; measure && k < rounds; k++) {
		rt_set_calibrating(1);
		uint64_t d = time_calls(hwt_inproc_calibrate, n);
		if (d < traced) {
			traced = d;
			inside = rt_calibrated_inside();
		}
		rt_set_calibrating(0);
	}
	return measure ? cost_of(traced, plain, inside, n, inside_ps) : 0;
}

/* The calls of one in-run sample: RT_BURST traced, then as many untraced; ns of each into @ctx. */
#define RT_BURST 128
static void burst(void *ctx)
{
	uint64_t *d = ctx;
	/* First a few of each, untimed: what the program ran before left the caches and the
	 * branch predictors cold for these calls, which the program's own calls are not. */
	time_calls(hwt_inproc_calibrate, 16);
	time_calls(hwt_inproc_calibrate_plain, 16);
	d[0] = time_calls(hwt_inproc_calibrate, RT_BURST);
	d[1] = time_calls(hwt_inproc_calibrate_plain, RT_BURST);
}

void rt_cost_sample(void)
{
	uint64_t d[2], in_ps;

	if (!cal_patched || !rt_config)
		return;
	hwt_patch_reenter(burst, d);
	uint64_t ps = cost_of(d[0], d[1], rt_calibrated_inside(), RT_BURST, &in_ps);
	if (!ps || ps > UINT32_MAX)
		return; /* interrupted or preempted: not a call's cost */
	uint32_t i = __atomic_fetch_add(&rt_config->cost_n, 1, __ATOMIC_RELAXED) %
		     HWT_INPROC_COST_SAMPLES;
	rt_config->cost_ps[i] = (uint32_t)ps;
	rt_config->cost_in_ps[i] = (uint32_t)in_ps;
}

/* The recorder's -F/-N patterns, from the config, into @sel. Returns 0 or -1. */
static int read_selection(void)
{
	size_t off = sizeof(struct hwt_inproc_config);
	char spec[1024];

	sel = hwt_funcsel_alloc();
	if (!sel)
		return -1;
	for (uint32_t i = 0; i < rt_config->npatterns; i++) {
		struct hwt_inproc_pattern p;
		if (hwt_inproc_pattern_next(rt_config_body, rt_config_len, &off, &p))
			return -1;
		snprintf(spec, sizeof(spec), "%s%s%s", p.lib ? p.lib : "", p.lib ? ":" : "",
			 p.glob);
		if (hwt_funcsel_add(sel, spec, p.exclude))
			return -1;
	}
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

__attribute__((constructor(101))) static void rt_init(void)
{
	Dl_info self;
	uint64_t t0 = rt_now(), c0 = thread_cpu_ns();

	if (rt_area_open())
		return;
	if (read_selection())
		return;
	if (dladdr((void *)rt_init, &self))
		self_base = (uintptr_t)self.dli_fbase;
	static const struct hwt_patch_hooks hooks = { .enter = rt_enter, .leave = rt_leave };
	patcher = hwt_patcher_alloc(&hooks);
	if (!patcher)
		return;
	/* Once per recording: a script starting many programs pays it once. */
	uint64_t call_in_ps = 0;
	rt_ring_populate(); /* before the calibration, which writes into the ring */
	uint64_t call_ps = calibrate(
		!(__atomic_fetch_or(&rt_config->flags, HWT_INPROC_CALIBRATED, __ATOMIC_RELAXED) &
		  HWT_INPROC_CALIBRATED),
		&call_in_ps);
	uint64_t patched = 0, reasons[RT_REASONS] = { 0 };
	rt_set_quiet(1);
	pthread_mutex_lock(&scan_lock);
	scanning = 1;
	scan(&patched, reasons);
	scanning = 0;
	declare_stats(patched, reasons, call_ps, call_in_ps, rt_now() - t0, thread_cpu_ns() - c0);
	publish_uprobes();
	pthread_mutex_unlock(&scan_lock);
	rt_set_quiet(0);
}

/* ---- libraries loaded later ------------------------------------------------------------ */

RT_EXPORT void *dlopen(const char *file, int mode)
{
	static void *(*real)(const char *, int);
	if (!real)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	void *h = real ? real(file, mode) : NULL;
	if (h)
		rt_scan_modules();
	return h;
}

RT_EXPORT void *dlmopen(Lmid_t lmid, const char *file, int mode)
{
	static void *(*real)(Lmid_t, const char *, int);
	if (!real)
		real = (void *(*)(Lmid_t, const char *, int))dlsym(RTLD_NEXT, "dlmopen");
	void *h = real ? real(lmid, file, mode) : NULL;
	if (h)
		rt_scan_modules();
	return h;
}

/* The address range of the module loaded at @base, from its PT_LOAD segments. */
struct range {
	uintptr_t base, lo, hi;
	int found;
};

static int find_range(struct dl_phdr_info *info, size_t size, void *ctx)
{
	struct range *r = ctx;

	if (info->dlpi_addr != r->base)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD)
			continue;
		uintptr_t lo = r->base + ph->p_vaddr, hi = lo + ph->p_memsz;
		if (!r->found || lo < r->lo)
			r->lo = lo;
		if (!r->found || hi > r->hi)
			r->hi = hi;
		r->found = 1;
	}
	return r->found;
}

/* A library unloaded: the patcher forgets its functions, and a library loaded there later is
 * handled as new. */
RT_EXPORT int dlclose(void *handle)
{
	static int (*real)(void *);
	struct link_map *lm = NULL;
	struct range r = { 0 };

	if (!real)
		real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
	if (patcher && !dlinfo(handle, RTLD_DI_LINKMAP, &lm) && lm) {
		r.base = (uintptr_t)lm->l_addr;
		dl_iterate_phdr(find_range, &r);
	}
	int rc = real ? real(handle) : -1;
	if (r.found) {
		struct range still = { .base = r.base };
		dl_iterate_phdr(find_range, &still);
		if (!still.found) {
			pthread_mutex_lock(&scan_lock);
			hwt_patcher_forget(patcher, r.lo, r.hi);
			for (size_t i = 0; i < nseen; i++)
				if (seen[i] == r.base)
					seen[i] = seen[--nseen];
			pthread_mutex_unlock(&scan_lock);
		}
	}
	return rc;
}

/* core/elffuncs.c names C++ functions with the program's demangler, when it has one (a C
 * program has nothing to demangle): the runtime links no C++ library of its own. */
char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status)
{
	static char *(*real)(const char *, char *, size_t *, int *);
	static int looked;
	if (!looked) {
		real = (char *(*)(const char *, char *, size_t *, int *))dlsym(RTLD_DEFAULT,
									       "__cxa_demangle");
		looked = 1;
	}
	if (real)
		return real(mangled, out, len, status);
	*status = -2;
	return NULL;
}

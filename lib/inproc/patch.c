/* The entry patcher: trampoline regions mapped near the code, and the rewriting of function
 * entries with jumps to them while the program runs. */
#include <errno.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "lib/inproc/patch_internal.h"

#define REGION_SIZE ((size_t)1 << 20)
/* A trampoline and everything its function reaches must be within a rel32 of each other. */
#define REACH (((uintptr_t)1 << 31) - 2 * REGION_SIZE)
#define PAGE  4096ul

/* Trampoline memory: one memfd mapped twice, executable near the code, writable anywhere, so
 * that no page ever needs to be writable and executable, and running trampolines never fault. */
struct region {
	uint8_t *rx, *rw;
	size_t used;
};

/* A patched function. */
struct site {
	uintptr_t func; /* the function's entry */
	uintptr_t site;
	uintptr_t tramp; /* its trampoline's code[], where the jmp goes */
	uint8_t len;
	uint8_t orig[HWT__MAX_DISPLACED];
	uint8_t patch[HWT__MAX_DISPLACED];
};

struct hwt_patcher {
	pthread_mutex_t lock;
	struct hwt__disasm *dis;
	struct region *regions;
	size_t nregions, cap_regions;
	struct site *sites;
	size_t nsites, cap_sites;
	struct hwt_idmap by_addr; /* function entry and site -> index in sites + 1 */
	int sync_core;		  /* membarrier SYNC_CORE registered */
};

static struct hwt_patcher *the_patcher;
static pthread_mutex_t the_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const refusal_text[] = {
	[HWT_PATCH_OK] = "patchable",
	[HWT_PATCH_TOO_SHORT] = "shorter than the 5-byte jump",
	[HWT_PATCH_JUMP_INTO] = "a branch in the function jumps into the bytes to replace",
	[HWT_PATCH_UNKNOWN_INSN] = "an instruction at the entry cannot be decoded or moved",
	[HWT_PATCH_RIP_RANGE] = "a RIP-relative operand would be out of reach from the trampoline",
	[HWT_PATCH_NO_TRAMPOLINE_SPACE] = "no memory free within 2 GiB for its trampoline",
	[HWT_PATCH_JUMP_TABLE] = "a jump table (switch) could target the bytes to replace",
	[HWT_PATCH_ALREADY] = "already patched, or a breakpoint is at its entry",
};

const char *hwt_patch_refusal_str(int r)
{
	if (r >= 0 && r < HWT_PATCH_REFUSAL_COUNT_)
		return refusal_text[r];
	return "unknown refusal";
}

struct hwt_patcher *hwt_patcher_alloc(const struct hwt_patch_hooks *hooks)
{
	struct hwt_patcher *p;

	if (!hooks || !hooks->enter || !hooks->leave) {
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&the_lock);
	if (the_patcher) {
		pthread_mutex_unlock(&the_lock);
		errno = EBUSY;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		pthread_mutex_unlock(&the_lock);
		errno = ENOMEM;
		return NULL;
	}
	p->dis = hwt__disasm_open();
	if (!p->dis) {
		free(p);
		pthread_mutex_unlock(&the_lock);
		errno = ENOSYS;
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	p->sync_core = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
			       0) == 0;
	hwt__patch_hooks = *hooks;
	the_patcher = p;
	pthread_mutex_unlock(&the_lock);
	return p;
}

/* Makes every core see the code written before it executes it again. */
static void sync_cores(struct hwt_patcher *p)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (p->sync_core)
		syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0);
}

/* ---- trampoline regions -------------------------------------------------------------------- */

static bool in_reach(const struct region *r, uintptr_t addr)
{
	uintptr_t lo = (uintptr_t)r->rx, hi = lo + REGION_SIZE;

	return (addr >= lo ? addr - lo : lo - addr) < REACH &&
	       (addr >= hi ? addr - hi : hi - addr) < REACH;
}

/* Maps the executable view of @fd at @hint exactly, or fails. */
static void *map_at(uintptr_t hint, int fd)
{
	void *m;

	if (hint < 0x10000 || hint > 0x7fffffffffffull - REGION_SIZE)
		return NULL;
	m = mmap((void *)hint, REGION_SIZE, PROT_READ | PROT_EXEC,
		 fd >= 0 ? MAP_SHARED | MAP_FIXED_NOREPLACE
			 : MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 fd, 0);
	if (m == MAP_FAILED)
		return NULL;
	if ((uintptr_t)m != hint) { /* a kernel before 4.17 takes the flag as a hint */
		munmap(m, REGION_SIZE);
		return NULL;
	}
	return m;
}

/* A new region within reach of @near: 0, HWT_PATCH_NO_TRAMPOLINE_SPACE, or a negative error. */
static int region_new(struct hwt_patcher *p, uintptr_t near)
{
	uintptr_t base = near & ~(REGION_SIZE - 1);
	size_t steps = REACH / REGION_SIZE - 1;
	struct region r = { 0 };
	int fd;

	if (HWT_ARRAY_GROW(p->regions, &p->cap_regions, p->nregions + 1) < 0)
		return HWT_E_NOMEM;
	fd = memfd_create("hwtrace-trampolines", MFD_CLOEXEC);
	if (fd < 0 || ftruncate(fd, REGION_SIZE) < 0)
		return fd >= 0 ? (close(fd), HWT_E_NOMEM) : hwt_error_from_errno(errno);
	r.rw = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r.rw == MAP_FAILED) {
		close(fd);
		return HWT_E_NOMEM;
	}
	/* Below the code first: above it a main program's heap grows. */
	for (size_t i = 1; i <= steps && !r.rx; i++)
		r.rx = map_at(base - i * REGION_SIZE, fd);
	for (size_t i = 1; i <= steps && !r.rx; i++)
		r.rx = map_at(base + i * REGION_SIZE, fd);
	close(fd);
	if (!r.rx) {
		munmap(r.rw, REGION_SIZE);
		return HWT_PATCH_NO_TRAMPOLINE_SPACE;
	}
	/* The first 16 bytes: the address every trampoline calls through. */
	*(uintptr_t *)r.rw = (uintptr_t)hwt__patch_enter_asm;
	r.used = 16;
	p->regions[p->nregions++] = r;
	return 0;
}

/* A region within reach of @near with @need bytes free: its index, a refusal negated... */
static int region_for(struct hwt_patcher *p, uintptr_t near, size_t need, struct region **out)
{
	int rc;

	for (size_t i = p->nregions; i-- > 0;) {
		if (p->regions[i].used + need <= REGION_SIZE && in_reach(&p->regions[i], near)) {
			*out = &p->regions[i];
			return 0;
		}
	}
	rc = region_new(p, near);
	if (rc)
		return rc;
	*out = &p->regions[p->nregions - 1];
	return 0;
}

/* Writes @plan's trampoline: its code[] address in *@code, 0, a refusal or a negative error. */
static int tramp_build(struct hwt_patcher *p, const struct hwt__plan *plan, uint32_t id,
		       uintptr_t *code)
{
	size_t hdr = offsetof(struct hwt__tramp, code);
	size_t need = (hdr + HWT__CALL_ENTER_LEN + hwt__reloc_max(plan) + 15) & ~(size_t)15;
	struct hwt__tramp *t;
	struct region *r;
	uintptr_t at;
	int32_t disp;
	int rc, n;

	rc = region_for(p, plan->site, need, &r);
	if (rc)
		return rc;
	t = (struct hwt__tramp *)(r->rw + r->used);
	at = (uintptr_t)r->rx + r->used + hdr;
	t->id = id;
	t->len = plan->len;
	t->site = plan->site;
	memcpy(t->orig, plan->orig, plan->len);
	disp = (int32_t)((intptr_t)r->rx - (intptr_t)(at + HWT__CALL_ENTER_LEN));
	t->code[0] = 0xff; /* call *slot(%rip) */
	t->code[1] = 0x15;
	memcpy(t->code + 2, &disp, 4);
	n = hwt__relocate(p->dis, plan, t->code + HWT__CALL_ENTER_LEN, at + HWT__CALL_ENTER_LEN);
	if (n < 0)
		return -n;
	r->used += (hdr + HWT__CALL_ENTER_LEN + (size_t)n + 15) & ~(size_t)15;
	*code = at;
	return 0;
}

/* ---- writing the entries ------------------------------------------------------------------- */

/* The sites being written: a thread that meets the int3 of one goes on in its trampoline. */
static const struct site *volatile inflight;
static volatile size_t inflight_n;
static struct sigaction old_trap;

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uintptr_t at = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP] - 1;
	const struct site *s = inflight;
	size_t n = inflight_n;

	for (size_t i = 0; s && i < n; i++) {
		if (s[i].site == at) {
			uc->uc_mcontext.gregs[REG_RIP] = (greg_t)s[i].tramp;
			return;
		}
	}
	/* Not ours: hand it to whoever had SIGTRAP, as if we were not there. */
	if ((old_trap.sa_flags & SA_SIGINFO) && old_trap.sa_sigaction) {
		old_trap.sa_sigaction(sig, si, ucv);
	} else if (old_trap.sa_handler != SIG_DFL && old_trap.sa_handler != SIG_IGN) {
		old_trap.sa_handler(sig);
	} else {
		sigaction(SIGTRAP, &old_trap, NULL);
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)at; /* the int3 again, now fatal */
	}
}

static bool one_word(const struct site *s)
{
	return (s->site & 7) + s->len <= 8;
}

/* Replaces @len bytes at @at with @bytes, in one atomic store of their aligned 8-byte word. */
static void store_word(uintptr_t at, const uint8_t *bytes, size_t len)
{
	uint64_t *w = (uint64_t *)(at & ~(uintptr_t)7);
	uint64_t v = __atomic_load_n(w, __ATOMIC_RELAXED);

	memcpy((uint8_t *)&v + (at & 7), bytes, len);
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
}

/* Makes the pages of @s[0..n) (sorted) writable (@write) or executable again: 0 or an error. */
static int protect_sites(const struct site *s, size_t n, bool write, int *st)
{
	int prot = PROT_READ | PROT_EXEC | (write ? PROT_WRITE : 0);

	for (size_t i = 0; i < n;) {
		uintptr_t lo = s[i].site & ~(PAGE - 1);
		uintptr_t hi = ((s[i].site + s[i].len - 1) & ~(PAGE - 1)) + PAGE;
		size_t j = i + 1;
		int rc = 0;

		while (j < n && (s[j].site & ~(PAGE - 1)) <= hi) {
			uintptr_t e = ((s[j].site + s[j].len - 1) & ~(PAGE - 1)) + PAGE;

			hi = e > hi ? e : hi;
			j++;
		}
		if (mprotect((void *)lo, hi - lo, prot) < 0)
			rc = hwt_error_from_errno(errno);
		for (; i < j; i++)
			if (rc && st[i] == 0)
				st[i] = rc;
	}
	return 0;
}

/*
 * Writes @s[i].patch (or .orig, @undo) at each site whose @st[i] is 0, sorted by address; a site
 * whose pages cannot be made writable gets its error in @st[i]. Sites within one aligned 8-byte
 * word are written with one store; others get an int3 first, their tail, then the first byte,
 * with on_trap sending a thread that meets the int3 to the trampoline meanwhile.
 */
static void write_sites(struct hwt_patcher *p, struct site *s, size_t n, bool undo, int *st)
{
	struct sigaction sa = { 0 }, prev;
	bool trap = false;

	protect_sites(s, n, true, st);
	for (size_t i = 0; i < n; i++)
		trap |= st[i] == 0 && !one_word(&s[i]);
	if (trap) {
		sa.sa_sigaction = on_trap;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		inflight = s;
		inflight_n = n;
		sigaction(SIGTRAP, &sa, &prev);
		old_trap = prev;
		for (size_t i = 0; i < n; i++)
			if (st[i] == 0 && !one_word(&s[i]))
				__atomic_store_n((uint8_t *)s[i].site, 0xcc, __ATOMIC_SEQ_CST);
		sync_cores(p);
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *b = undo ? s[i].orig : s[i].patch;

		if (st[i])
			continue;
		if (one_word(&s[i]))
			store_word(s[i].site, b, s[i].len);
		else
			memcpy((uint8_t *)s[i].site + 1, b + 1, s[i].len - 1u);
	}
	if (trap) {
		sync_cores(p);
		for (size_t i = 0; i < n; i++)
			if (st[i] == 0 && !one_word(&s[i]))
				__atomic_store_n((uint8_t *)s[i].site,
						 (undo ? s[i].orig : s[i].patch)[0],
						 __ATOMIC_SEQ_CST);
	}
	sync_cores(p);
	if (trap) {
		sigaction(SIGTRAP, &old_trap, NULL);
		inflight = NULL;
	}
	protect_sites(s, n, false, st);
}

/* ---- applying ------------------------------------------------------------------------------ */

int hwt_patcher_check(struct hwt_patcher *p, uintptr_t addr, size_t size)
{
	struct hwt__plan plan;
	int rc;

	if (!p || !addr)
		return HWT_E_INVAL;
	hwt__patch_busy(1);
	pthread_mutex_lock(&p->lock);
	if (hwt_idmap_find(&p->by_addr, addr))
		rc = HWT_PATCH_ALREADY;
	else
		rc = hwt__plan_function(p->dis, addr, size, &plan, NULL);
	pthread_mutex_unlock(&p->lock);
	hwt__patch_busy(0);
	return rc;
}

/* Plans and builds the trampoline of @r into @s: 0, a refusal or a negative error. */
static int prepare(struct hwt_patcher *p, const struct hwt_patch_req *r, struct site *s,
		   struct hwt__targets *ext, bool dry)
{
	struct hwt__plan plan;
	int32_t rel;
	int rc;

	if (!r->addr)
		return HWT_E_INVAL;
	if (hwt_idmap_find(&p->by_addr, r->addr))
		return HWT_PATCH_ALREADY;
	rc = hwt__plan_function(p->dis, r->addr, r->size, &plan, ext);
	if (rc)
		return rc;
	s->func = r->addr;
	s->site = plan.site;
	s->len = plan.len;
	if (dry)
		return 0;
	rc = tramp_build(p, &plan, r->id, &s->tramp);
	if (rc)
		return rc;
	memcpy(s->orig, plan.orig, plan.len);
	rel = (int32_t)((intptr_t)s->tramp - (intptr_t)(plan.site + HWT__JMP_LEN));
	s->patch[0] = 0xe9;
	memcpy(s->patch + 1, &rel, 4);
	memset(s->patch + HWT__JMP_LEN, 0xcc, plan.len - HWT__JMP_LEN);
	return 0;
}

static int cmp_addr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;

	return x < y ? -1 : x > y;
}

/* A jump from one function of the batch into another's replaced bytes (past its entry) would
 * land in the middle of the new jump: that one is refused (@st[k] = HWT_PATCH_JUMP_INTO). @pend
 * is sorted by address; @which[k] its request. */
static void refuse_jumped_into(const struct hwt_patch_req *reqs, const size_t *which,
			       const struct site *pend, size_t npend, struct hwt__targets *ext,
			       int *st)
{
	size_t k = 0;

	if (ext->n)
		qsort(ext->v, ext->n, sizeof(*ext->v), cmp_addr);
	for (size_t t = 0; t < ext->n && npend; t++) {
		uintptr_t x = ext->v[t];

		while (k + 1 < npend && pend[k + 1].site <= x)
			k++;
		/* past the entry (an endbr64 included), before the end of the replaced bytes; the
		 * entry and the jump's own first byte are fine: that is a (tail) call */
		if (x > reqs[which[k]].addr && x != pend[k].site &&
		    x < pend[k].site + pend[k].len && st[k] == 0)
			st[k] = HWT_PATCH_JUMP_INTO;
	}
}

static int cmp_site(const void *a, const void *b)
{
	uintptr_t x = ((const struct site *)a)->site, y = ((const struct site *)b)->site;

	return x < y ? -1 : x > y;
}

static int cmp_req(const void *a, const void *b, void *ctx)
{
	const struct hwt_patch_req *r = ctx;
	uintptr_t x = r[*(const size_t *)a].addr, y = r[*(const size_t *)b].addr;

	return x < y ? -1 : x > y;
}

/* Records the sites written in the patcher: 0 or HWT_E_NOMEM. */
static int remember(struct hwt_patcher *p, const struct site *s, uintptr_t addr)
{
	int created;
	uint32_t *v;

	if (HWT_ARRAY_GROW(p->sites, &p->cap_sites, p->nsites + 1) < 0)
		return HWT_E_NOMEM;
	v = hwt_idmap_put(&p->by_addr, addr, &created);
	if (!v)
		return HWT_E_NOMEM;
	p->sites[p->nsites++] = *s;
	*v = (uint32_t)p->nsites;
	return 0;
}

/* apply_many, or check_many when @dry: the same checks, nothing written. */
static int run_batch(struct hwt_patcher *p, const struct hwt_patch_req *reqs, size_t n,
		     int *results, bool dry)
{
	size_t *order = NULL, *which = NULL, npend = 0;
	struct hwt__targets ext = { 0 };
	struct site *pend = NULL;
	int *st = NULL, done = 0;

	if (!p || (n && (!reqs || !results)))
		return HWT_E_INVAL;
	if (n == 0)
		return 0;
	hwt__patch_busy(1);
	order = malloc(n * sizeof(*order));
	which = malloc(n * sizeof(*which));
	pend = malloc(n * sizeof(*pend));
	st = calloc(n, sizeof(*st));
	if (!order || !which || !pend || !st) {
		free(order), free(which), free(pend), free(st);
		hwt__patch_busy(0);
		return HWT_E_NOMEM;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), cmp_req, (void *)reqs);
	pthread_mutex_lock(&p->lock);
	for (size_t k = 0; k < n; k++) {
		size_t i = order[k];

		/* the same function twice in one batch: the second is already patched */
		if (k && reqs[order[k - 1]].addr == reqs[i].addr && results[order[k - 1]] == 0) {
			results[i] = HWT_PATCH_ALREADY;
			continue;
		}
		results[i] = prepare(p, &reqs[i], &pend[npend], &ext, dry);
		if (results[i] == 0)
			which[npend++] = i;
	}
	refuse_jumped_into(reqs, which, pend, npend, &ext, st);
	free(ext.v);
	if (!dry)
		write_sites(p, pend, npend, false, st);
	for (size_t k = 0; k < npend; k++) {
		size_t i = which[k];

		if (st[k] == 0 && !dry)
			st[k] = remember(p, &pend[k], reqs[i].addr);
		results[i] = st[k];
		done += st[k] == 0;
	}
	pthread_mutex_unlock(&p->lock);
	free(order), free(which), free(pend), free(st);
	hwt__patch_busy(0);
	return done;
}

int hwt_patcher_apply_many(struct hwt_patcher *p, const struct hwt_patch_req *reqs, size_t n,
			   int *results)
{
	return run_batch(p, reqs, n, results, false);
}

int hwt_patcher_check_many(struct hwt_patcher *p, const struct hwt_patch_req *reqs, size_t n,
			   int *results)
{
	return run_batch(p, reqs, n, results, true);
}

int hwt_patcher_apply(struct hwt_patcher *p, uintptr_t addr, size_t size, uint32_t id)
{
	struct hwt_patch_req r = { .addr = addr, .size = size, .id = id };
	int res, rc;

	if (!p || !addr)
		return HWT_E_INVAL;
	rc = hwt_patcher_apply_many(p, &r, 1, &res);
	return rc < 0 ? rc : res;
}

size_t hwt_patcher_count(const struct hwt_patcher *p)
{
	return p ? p->nsites : 0;
}

int hwt_patcher_forget(struct hwt_patcher *p, uintptr_t lo, uintptr_t hi)
{
	struct hwt_idmap by_addr = { 0 };
	size_t kept = 0;
	int gone = 0, rc = 0;

	if (!p)
		return HWT_E_INVAL;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nsites; i++) {
		if (p->sites[i].site >= lo && p->sites[i].site < hi) {
			gone++;
			continue;
		}
		p->sites[kept++] = p->sites[i];
	}
	p->nsites = kept;
	/* the map from entries to sites, again for those kept */
	for (size_t i = 0; i < kept && rc == 0; i++) {
		uint32_t *v = hwt_idmap_put(&by_addr, p->sites[i].func, NULL);

		if (v)
			*v = (uint32_t)i + 1;
		else
			rc = HWT_E_NOMEM;
	}
	if (rc == 0) {
		hwt_idmap_fini(&p->by_addr);
		p->by_addr = by_addr;
	} else {
		hwt_idmap_fini(&by_addr);
	}
	pthread_mutex_unlock(&p->lock);
	return rc ? rc : gone;
}

void hwt_patcher_free(struct hwt_patcher *p)
{
	int *st;

	if (!p)
		return;
	hwt__patch_busy(1);
	pthread_mutex_lock(&p->lock);
	st = calloc(p->nsites ? p->nsites : 1, sizeof(*st));
	if (st && p->nsites) {
		/* recorded batch by batch, each sorted: sorted all together for the page runs */
		qsort(p->sites, p->nsites, sizeof(*p->sites), cmp_site);
		write_sites(p, p->sites, p->nsites, true, st);
	}
	free(st);
	hwt__patch_hooks_clear();
	for (size_t i = 0; i < p->nregions; i++) {
		munmap(p->regions[i].rx, REGION_SIZE);
		munmap(p->regions[i].rw, REGION_SIZE);
	}
	pthread_mutex_unlock(&p->lock);
	hwt__disasm_close(p->dis);
	hwt_idmap_fini(&p->by_addr);
	free(p->regions);
	free(p->sites);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_lock(&the_lock);
	the_patcher = NULL;
	pthread_mutex_unlock(&the_lock);
	free(p);
	hwt__patch_busy(0);
}

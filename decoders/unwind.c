/* DWARF unwinding of sampled user stacks with libdw: one Dwfl per process, its modules reported
 * from the symbolizer's mappings, stack memory read from the copy taken with each sample. */
#include <dwarf.h>
#include <elf.h>
#include <elfutils/libdwelf.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <limits.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "unwind.h"
#include "unwind_int.h"
#include "core/openfile.h"
#include "core/symfile.h"

/* Index of each register in a sample's array: HWT_SAMPLE_REGS_MASK bits in ascending order. */
enum { PR_AX, PR_BX, PR_CX, PR_DX, PR_SI, PR_DI, PR_BP, PR_SP, PR_IP, PR_R8 };

/* DWARF x86-64 register n (rax rdx rcx rbx rsi rdi rbp rsp r8..r15) is sample register
 * perf_of_dwarf[n]; the return address column 16 (rip) is given separately as the PC. */
static const uint8_t perf_of_dwarf[16] = {
	PR_AX,	   PR_DX,     PR_CX,	 PR_BX,	    PR_SI,     PR_DI,	  PR_BP,     PR_SP,
	PR_R8 + 0, PR_R8 + 1, PR_R8 + 2, PR_R8 + 3, PR_R8 + 4, PR_R8 + 5, PR_R8 + 6, PR_R8 + 7,
};

#define DWARF_SP 7
/* Live Dwfls at most: each keeps its modules' files open, and a fork-heavy target (a build)
 * has thousands of processes. The least recently unwound one is ended to make room. */
#define UW_MAX_PROCS 64
#define DWARF_BP     6
#define PAGE_MASK_4K 0xfffull

/* ---- libdw callbacks ---- */

static pid_t uw_next_thread(Dwfl *dwfl, void *arg, void **thread_argp)
{
	struct hwt_unwinder *u = arg;

	/* Only the sampled thread exists as far as libdw is concerned. */
	if (*thread_argp)
		return 0;
	*thread_argp = u;
	return u->tid ? (pid_t)u->tid : 1;
}

static bool uw_get_thread(Dwfl *dwfl, pid_t tid, void *arg, void **thread_argp)
{
	*thread_argp = arg;
	return true;
}

/* Stack words come from the sample's copy; anything else (heap, a thread's other stack, a wild
 * pointer) is unreadable: libdw reads CFI from the ELF files themselves. */
static bool uw_memory_read(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *result, void *arg)
{
	struct hwt_unwinder *u = arg;

	if (addr < u->sp || u->size < sizeof(*result) || addr - u->sp > u->size - sizeof(*result))
		return false;
	memcpy(result, u->stack + (addr - u->sp), sizeof(*result));
	return true;
}

static bool uw_set_initial_registers(Dwfl_Thread *thread, void *thread_arg)
{
	struct hwt_unwinder *u = thread_arg;

	if (!dwfl_thread_state_registers(thread, 0, 16, u->dregs))
		return false;
	dwfl_thread_state_register_pc(thread, u->ip);
	return true;
}

static const Dwfl_Thread_Callbacks uw_thread_callbacks = {
	.next_thread = uw_next_thread,
	.get_thread = uw_get_thread,
	.memory_read = uw_memory_read,
	.set_initial_registers = uw_set_initial_registers,
};

/* Modules reported with dwfl_report_elf() come with their ELF (and kept ones keep theirs); this
 * is only asked for the vdso, served from our own copy. Nothing is looked up elsewhere: libdw's
 * own lookups open paths without checking what they are, and a recording from elsewhere names
 * the paths (a FIFO there would block the reader). */
static int uw_find_elf(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
		       char **file_name, Elf **elfp)
{
	struct hwt_unwinder *u = *userdata;

	(void)mod;
	(void)base;
	(void)file_name;
	if (u && u->vdso && modname && !strcmp(modname, "[vdso]"))
		*elfp = elf_memory((char *)u->vdso, u->vdso_len);
	return -1;
}

/* The separate debug file of a module (for .debug_frame, when its code has no .eh_frame): only
 * the one its build id names under /usr/lib/debug/.build-id, opened only if it is a regular file,
 * and only if it has the same build id. Not libdw's search by .gnu_debuglink, which opens names
 * the file itself gives without checking what they are. */
static int uw_find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname,
			     Dwarf_Addr base, const char *file_name, const char *debuglink_file,
			     GElf_Word debuglink_crc, char **debuginfo_file_name)
{
	const unsigned char *bid;
	GElf_Addr bid_vaddr;
	char path[PATH_MAX];

	(void)userdata;
	(void)modname;
	(void)base;
	(void)file_name;
	(void)debuglink_file;
	(void)debuglink_crc;
	int len = dwfl_module_build_id(mod, &bid, &bid_vaddr);
	if (len <= 0 || hwt_symfile_debug_path(bid, (size_t)len, path, sizeof(path)))
		return -1;
	int fd = hwt_open_regular(path);
	if (fd < 0)
		return -1;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	const void *dbid = NULL;
	ssize_t dlen = elf ? dwelf_elf_gnu_build_id(elf, &dbid) : -1;
	int same = dlen == len && !memcmp(dbid, bid, (size_t)len);
	elf_end(elf);
	if (!same) {
		close(fd);
		return -1;
	}
	*debuginfo_file_name = strdup(path);
	return fd;
}

static char *uw_debuginfo_path; /* NULL: libdw's default search path */

static const Dwfl_Callbacks uw_dwfl_callbacks = {
	.find_elf = uw_find_elf,
	.find_debuginfo = uw_find_debuginfo,
	.debuginfo_path = &uw_debuginfo_path,
};

/* ---- modules ---- */

/* Whether the page-aligned file span of PT_LOAD @ph holds file offset @off. */
static int seg_holds(const GElf_Phdr *ph, uint64_t off)
{
	uint64_t lo = ph->p_offset & ~PAGE_MASK_4K;
	uint64_t hi = (ph->p_offset + ph->p_filesz + PAGE_MASK_4K) & ~PAGE_MASK_4K;

	return off >= lo && off < hi;
}

/* How a mapping places its file, when the ELF loader made it. */
struct load {
	uint64_t bias;	    /* where vaddr 0 lands */
	uint64_t low, high; /* the range libdw gives the module */
	int code;	    /* the mapping holds bytes of an executable segment */
};

/* Where @map, mapping @elf from file offset map->pgoff, puts it. Fails unless @map is what the ELF
 * loader makes: every page in it inside a PT_LOAD's page-aligned file span, at that segment's
 * place for one bias. A file mapped to be read (libelf, a linker, a debugger; /proc/PID/maps lists
 * those too) holds bytes no segment loads (section headers), or segments at other distances from
 * their file offsets: taken as a load, its module would reach past the mapping over whatever lies
 * next, and libdw finds no module at all where two overlap. */
static int load_of(Elf *elf, const struct hwt_map_info *map, struct load *ld)
{
	uint64_t off, delta, len = map->end - map->start;
	GElf_Phdr ph;
	size_t i, n;
	int pass, found = 0;

	if (elf_getphdrnum(elf, &n))
		return -1;
	/* First the segment holding those file bytes, then the page-aligned span around one. */
	for (pass = 0; pass < 2 && !found; pass++) {
		for (i = 0; i < n && !found; i++) {
			uint64_t lo, hi;

			if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
				continue;
			lo = ph.p_offset;
			hi = ph.p_offset + ph.p_filesz;
			if (pass) {
				lo &= ~PAGE_MASK_4K;
				if (ph.p_memsz > ph.p_filesz)
					hi = ph.p_offset + ph.p_memsz;
			}
			if (map->pgoff >= lo && map->pgoff < hi) {
				ld->bias = map->start - (ph.p_vaddr + (map->pgoff - ph.p_offset));
				found = 1;
			}
		}
	}
	if (!found)
		return -1;
	/* Segments at this distance between address and file offset cover the whole mapping;
	 * adjacent ones may share a vma. */
	delta = map->start - map->pgoff - ld->bias;
	ld->code = 0;
	for (off = map->pgoff; off - map->pgoff < len;) {
		for (i = 0; i < n; i++)
			if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    ph.p_vaddr - ph.p_offset == delta && seg_holds(&ph, off))
				break;
		if (i == n)
			return -1;
		ld->code |= !!(ph.p_flags & PF_X);
		off = (ph.p_offset + ph.p_filesz + PAGE_MASK_4K) & ~PAGE_MASK_4K;
	}
	/* As libdw computes it: the first segment's aligned start to the last one's end. */
	ld->low = UINT64_MAX;
	ld->high = 0;
	for (i = 0; i < n; i++) {
		uint64_t align;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		align = ph.p_align > 1 ? ph.p_align : 1;
		if (ld->bias + (ph.p_vaddr & ~(align - 1)) < ld->low)
			ld->low = ld->bias + (ph.p_vaddr & ~(align - 1));
		if (ld->bias + ph.p_vaddr + ph.p_memsz > ld->high)
			ld->high = ld->bias + ph.p_vaddr + ph.p_memsz;
	}
	return 0;
}

static int vdso_is_ours(const struct hwt_unwinder *u, const struct hwt_map_info *map)
{
	if (!u->vdso)
		return 0;
	if (map->build_id_len)
		return map->build_id_len == u->vdso_build_id_len &&
		       !memcmp(map->build_id, u->vdso_build_id, map->build_id_len);
	return map->end - map->start == u->vdso_len;
}

struct refresh {
	struct hwt_unwinder *u;
	struct uw_proc *p;
	struct uw_mod *mods; /* reported this time */
	size_t n, cap;
	/* The headers or data of a file mapped as a load would, waiting for its code to follow:
	 * only code proves a load (a file's first page read through mmap looks just like the
	 * loader's). pend_path NULL: none. */
	char *pend_path;
	uint64_t pend_bias, pend_start, pend_pgoff;
};

static const struct uw_mod *old_mod(const struct uw_proc *p, const char *path, int by_key,
				    uint64_t a, uint64_t b)
{
	size_t i;

	for (i = 0; i < p->nmods; i++) {
		const struct uw_mod *m = &p->mods[i];

		if (strcmp(m->path, path))
			continue;
		if (by_key ? m->key_start == a && m->key_pgoff == b : m->bias == a)
			return m;
	}
	return NULL;
}

/* Keeps a module reported before: same name and range make libdw hand back the existing one.
 * (dwfl_report_elf() cannot do this: it rejects a second file descriptor as an overlap.) */
static void keep_mod(struct refresh *r, const struct uw_mod *old, char *path)
{
	if (!dwfl_report_module(r->p->dwfl, path, old->low, old->high)) {
		free(path);
		return;
	}
	r->mods[r->n] = *old;
	r->mods[r->n++].path = path;
}

static void pend_clear(struct refresh *r)
{
	free(r->pend_path);
	r->pend_path = NULL;
}

static int report_map(const struct hwt_map_info *map, void *ctx)
{
	struct refresh *r = ctx;
	const struct uw_mod *old;
	Dwfl_Module *mod;
	Dwarf_Addr low, high;
	uint64_t key_start = map->start, key_pgoff = map->pgoff;
	struct load ld;
	void **ud;
	char *path;
	Elf *elf;
	size_t i;
	int fd;

	/* A load's mappings of a file come together. */
	if (r->pend_path && strcmp(r->pend_path, map->path))
		pend_clear(r);
	/* The other mappings of a file fall inside the module its first mapping reported, the last
	 * one up to the end of the page. */
	for (i = 0; i < r->n; i++)
		if (!strcmp(r->mods[i].path, map->path) && map->start >= r->mods[i].low &&
		    map->end <= ((r->mods[i].high + PAGE_MASK_4K) & ~PAGE_MASK_4K))
			return 0;
	/* Reserve first: a module libdw knows must never be missing from the list. */
	if (HWT_ARRAY_GROW(r->mods, &r->cap, r->n + 1))
		return 0;
	path = strdup(map->path);
	if (!path)
		return 0;
	old = old_mod(r->p, map->path, 1, map->start, map->pgoff);
	if (old) {
		pend_clear(r);
		keep_mod(r, old, path);
		return 0;
	}
	if (!strcmp(map->path, "[vdso]")) {
		if (!vdso_is_ours(r->u, map))
			goto skip;
		mod = dwfl_report_module(r->p->dwfl, path, map->start, map->end);
		if (!mod)
			goto skip;
		dwfl_module_info(mod, &ud, NULL, NULL, NULL, NULL, NULL, NULL);
		*ud = r->u;
		r->mods[r->n++] = (struct uw_mod){ .path = path,
						   .key_start = map->start,
						   .key_pgoff = map->pgoff,
						   .bias = map->start,
						   .low = map->start,
						   .high = map->end,
						   .file = hwt_uw_file_id(r->u, -1) };
		return 0;
	}

	fd = hwt_open_regular(map->path);
	if (fd < 0)
		goto skip;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF || load_of(elf, map, &ld)) {
		elf_end(elf);
		close(fd);
		goto skip;
	}
	elf_end(elf);
	old = old_mod(r->p, map->path, 0, ld.bias, 0);
	if (old) {
		close(fd);
		pend_clear(r);
		keep_mod(r, old, path);
		return 0;
	}
	if (!ld.code) {
		/* Headers or data: a module only once its code follows. */
		close(fd);
		if (r->pend_path && r->pend_bias == ld.bias)
			goto skip;
		pend_clear(r);
		r->pend_path = path;
		r->pend_bias = ld.bias;
		r->pend_start = map->start;
		r->pend_pgoff = map->pgoff;
		return 0;
	}
	if (r->pend_path && r->pend_bias == ld.bias) {
		/* Keyed by its first mapping, as the next refresh meets it. */
		key_start = r->pend_start;
		key_pgoff = r->pend_pgoff;
	}
	pend_clear(r);
	/* libdw's address lookup takes modules apart: an overlap can hide both. */
	for (i = 0; i < r->n; i++) {
		if ((!strcmp(r->mods[i].path, map->path) && r->mods[i].bias == ld.bias) ||
		    (ld.low < r->mods[i].high && r->mods[i].low < ld.high)) {
			close(fd);
			goto skip;
		}
	}
	uint32_t file = hwt_uw_file_id(r->u, fd);
	/* On success the module owns fd. */
	mod = dwfl_report_elf(r->p->dwfl, path, path, fd, ld.bias, true);
	if (!mod) {
		close(fd);
		goto skip;
	}
	dwfl_module_info(mod, NULL, &low, &high, NULL, NULL, NULL, NULL);
	r->mods[r->n++] = (struct uw_mod){ .path = path,
					   .key_start = key_start,
					   .key_pgoff = key_pgoff,
					   .bias = ld.bias,
					   .low = low,
					   .high = high,
					   .file = file };
	return 0;
skip:
	free(path);
	return 0;
}

static void mods_free(struct uw_mod *mods, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(mods[i].path);
	free(mods);
}

/* Brings the Dwfl's modules in line with the symbolizer's mappings of the process. */
static void refresh(struct hwt_unwinder *u, struct uw_proc *p)
{
	uint64_t gen = hwt_symbolizer_generation(u->s, p->pid);
	struct refresh r = { .u = u, .p = p };

	if (gen == p->gen)
		return;
	dwfl_report_begin(p->dwfl);
	hwt_symbolizer_foreach_map(u->s, p->pid, report_map, &r);
	pend_clear(&r);
	dwfl_report_end(p->dwfl, NULL, NULL);
	mods_free(p->mods, p->nmods);
	p->mods = r.mods;
	p->nmods = r.n;
	p->gen = gen;
}

static void proc_free(struct uw_proc *p)
{
	dwfl_end(p->dwfl);
	mods_free(p->mods, p->nmods);
	free(p);
}

static void proc_evict_lru(struct hwt_unwinder *u)
{
	struct uw_proc **victim = NULL, **pp, *p;
	size_t i;

	for (i = 0; i < UW_BUCKETS; i++)
		for (pp = &u->procs[i]; *pp; pp = &(*pp)->next)
			if (!victim || (*pp)->used < (*victim)->used)
				victim = pp;
	if (!victim)
		return;
	p = *victim;
	*victim = p->next;
	if (u->last == p)
		u->last = NULL;
	u->nprocs--;
	proc_free(p);
}

static struct uw_proc *proc_get(struct hwt_unwinder *u, uint32_t pid)
{
	struct uw_proc **head = &u->procs[pid % UW_BUCKETS];
	struct uw_proc *p;

	if (u->last && u->last->pid == pid)
		return u->last;
	for (p = *head; p; p = p->next)
		if (p->pid == pid)
			return u->last = p;
	if (u->nprocs >= UW_MAX_PROCS)
		proc_evict_lru(u);
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->dwfl = dwfl_begin(&uw_dwfl_callbacks);
	if (!p->dwfl) {
		free(p);
		return NULL;
	}
	/* Attached once: the thread callbacks read the current sample from the unwinder. */
	if (!dwfl_attach_state(p->dwfl, u->arch_elf, (pid_t)(pid ? pid : 1), &uw_thread_callbacks,
			       u)) {
		dwfl_end(p->dwfl);
		free(p);
		return NULL;
	}
	p->next = *head;
	*head = p;
	u->nprocs++;
	return u->last = p;
}

/* ---- public API ---- */

static void vdso_copy(struct hwt_unwinder *u)
{
	const uint8_t *image;
	size_t end = hwt_vdso_image(&image);
	const void *bid;
	ssize_t bid_len;
	Elf *elf;

	if (!end)
		return;
	u->vdso = malloc(end);
	if (!u->vdso)
		return;
	memcpy(u->vdso, image, end);
	u->vdso_len = end;
	elf = elf_memory((char *)u->vdso, u->vdso_len);
	bid_len = elf ? dwelf_elf_gnu_build_id(elf, &bid) : -1;
	if (bid_len > 0 && (size_t)bid_len <= sizeof(u->vdso_build_id)) {
		memcpy(u->vdso_build_id, bid, (size_t)bid_len);
		u->vdso_build_id_len = (size_t)bid_len;
	}
	elf_end(elf);
}

struct hwt_unwinder *hwt_unwinder_alloc(struct hwt_symbolizer *s)
{
	struct hwt_unwinder *u;

	if (!s)
		return NULL;
	elf_version(EV_CURRENT);
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->s = s;
	memcpy(u->arch_image.e_ident, ELFMAG, SELFMAG);
	u->arch_image.e_ident[EI_CLASS] = ELFCLASS64;
	u->arch_image.e_ident[EI_DATA] = ELFDATA2LSB;
	u->arch_image.e_ident[EI_VERSION] = EV_CURRENT;
	u->arch_image.e_type = ET_CORE;
	u->arch_image.e_machine = EM_X86_64;
	u->arch_image.e_version = EV_CURRENT;
	u->arch_image.e_ehsize = sizeof(u->arch_image);
	u->arch_elf = elf_memory((char *)&u->arch_image, sizeof(u->arch_image));
	if (!u->arch_elf) {
		free(u);
		return NULL;
	}
	vdso_copy(u);
	const char *env = getenv("HWT_UNWIND_CACHE");
	u->use_rows = !env || strcmp(env, "0");
	u->workers = hwt_uw_threads_env(); /* -1: none (see hwt_unwind_ahead_threads()) */
	return u;
}

void hwt_unwinder_set_cache(struct hwt_unwinder *u, int on)
{
	if (u)
		u->use_rows = !!on;
}

const struct hwt_unwind_stats *hwt_unwinder_stats(const struct hwt_unwinder *u)
{
	return &u->stats;
}

void hwt_unwinder_free(struct hwt_unwinder *u)
{
	size_t i;

	if (!u)
		return;
	hwt_uw_pool_free(u);
	for (i = 0; i < UW_BUCKETS; i++) {
		struct uw_proc *p, *next;

		for (p = u->procs[i]; p; p = next) {
			next = p->next;
			proc_free(p);
		}
	}
	elf_end(u->arch_elf);
	hwt_uw_rows_free(u);
	free(u->vdso);
	free(u);
}

static int frame_cb(Dwfl_Frame *state, void *arg)
{
	struct hwt_unwinder *u = arg;
	Dwarf_Addr pc;
	Dwarf_Word sp;

	/* Raw pcs, no activation query: asking would make libdw unwind one frame further. */
	if (!dwfl_frame_pc(state, &pc, NULL) || !pc)
		return DWARF_CB_ABORT;
	/* Each caller's frame lies above its callee's; anything else is garbage going round. */
	if (dwfl_frame_reg(state, DWARF_SP, &sp) == 0) {
		if (u->n > 0 && sp <= u->last_sp)
			return DWARF_CB_ABORT;
		u->last_sp = sp;
	}
	u->pcs[u->n++] = pc;
	return u->n < u->max ? DWARF_CB_OK : DWARF_CB_ABORT;
}

struct uw_proc *hwt_uw_proc(struct hwt_unwinder *u, uint32_t pid)
{
	struct uw_proc *p = proc_get(u, pid);

	if (!p)
		return NULL;
	p->used = ++u->clock;
	refresh(u, p);
	return p;
}

struct uw_proc *hwt_uw_proc_find(const struct hwt_unwinder *u, uint32_t pid)
{
	struct uw_proc *p;

	for (p = u->procs[pid % UW_BUCKETS]; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

int hwt_uw_walk(struct hwt_unwinder *u, struct uw_proc *p, uint32_t tid, const uint64_t *regs,
		const uint8_t *stack, size_t size, uint64_t *pcs, int max)
{
	int i;

	u->tid = tid;
	for (i = 0; i < 16; i++)
		u->dregs[i] = regs[perf_of_dwarf[i]];
	u->ip = regs[PR_IP];
	u->sp = regs[PR_SP];
	u->stack = stack;
	u->size = stack ? size : 0;
	u->pcs = pcs;
	u->max = max;
	u->stats.samples++;
	/* Through the cache of CFI rows where it holds every row the walk meets, else libdw:
	 * the same walk either way. */
	u->n = u->use_rows ? hwt_uw_fast(u, p) : -1;
	if (u->n < 0) {
		u->stats.slow++;
		u->n = 0;
		u->last_sp = 0;
		/* An error ends the walk; the frames found up to it are still right. */
		dwfl_getthread_frames(p->dwfl, u->tid ? (pid_t)u->tid : 1, frame_cb, u);
	}
	u->stack = NULL;
	u->pcs = NULL;
	if (!u->n) {
		pcs[0] = regs[PR_IP];
		return 1;
	}
	return u->n;
}

/* pcs[0] is the sampled IP; pcs[1..] are return addresses as found on the stack (not minus 1):
 * a caller that symbolizes them should look up pc - 1, which lies inside the call. */
int hwt_unwind(struct hwt_unwinder *u, uint32_t pid, uint32_t tid, const uint64_t *regs,
	       const uint8_t *stack, size_t size, uint64_t *pcs, int max)
{
	struct uw_proc *p;
	int n;

	if (!u || !regs || !pcs || max <= 0 || (!stack && size))
		return HWT_E_INVAL;
	if (!regs[PR_IP])
		return 0;
	pcs[0] = regs[PR_IP];
	if (max == 1)
		return 1;
	/* Unwound ahead on another thread (unwind_pool.c), in this very address space? */
	if (u->pool) {
		n = hwt_uw_pool_take(u, pid, tid, regs, stack, size, pcs, max);
		if (n > 0)
			return n;
	}
	p = hwt_uw_proc(u, pid);
	if (!p)
		return HWT_E_NOMEM;
	return hwt_uw_walk(u, p, tid, regs, stack, size, pcs, max);
}

/* The CFA at a frame as (register, offset), for the two registers a return address rule uses. */
static int cfa_of(Dwarf_Frame *fr, int *reg, int64_t *off)
{
	Dwarf_Op *ops;
	size_t n;

	if (dwarf_frame_cfa(fr, &ops, &n) || n != 1)
		return -1;
	if (ops[0].atom == DW_OP_bregx) {
		*reg = (int)ops[0].number;
		*off = (int64_t)ops[0].number2;
	} else if (ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		*reg = ops[0].atom - DW_OP_breg0;
		*off = (int64_t)ops[0].number;
	} else {
		return -1;
	}
	return *reg == DWARF_SP || *reg == DWARF_BP ? 0 : -1;
}

static int rule_lookup(struct uw_proc *p, uint64_t ip, int64_t *off)
{
	Dwfl_Module *mod = dwfl_addrmodule(p->dwfl, ip);
	Dwarf_CFI *cfi = NULL;
	Dwarf_Addr bias = 0, start, end;
	Dwarf_Frame *fr = NULL;
	Dwarf_Op mem[3], *ops;
	size_t n;
	int64_t cfa_off;
	int reg, ra, rule = HWT_RA_UNKNOWN;
	bool signal;

	if (mod)
		cfi = dwfl_module_eh_cfi(mod, &bias);
	if (mod && !cfi)
		cfi = dwfl_module_dwarf_cfi(mod, &bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, ip - bias, &fr))
		return HWT_RA_UNKNOWN;
	ra = dwarf_frame_info(fr, &start, &end, &signal);
	/* The return address as "offset(N)" from the CFA: call_frame_cfa, plus_uconst N. */
	if (ra >= 0 && !signal && !cfa_of(fr, &reg, &cfa_off) &&
	    !dwarf_frame_register(fr, ra, mem, &ops, &n) && n >= 1 &&
	    ops[0].atom == DW_OP_call_frame_cfa &&
	    (n == 1 || (n == 2 && ops[1].atom == DW_OP_plus_uconst))) {
		*off = cfa_off + (n == 2 ? (int64_t)ops[1].number : 0);
		rule = reg == DWARF_SP ? HWT_RA_SP : HWT_RA_BP;
	}
	free(fr);
	return rule;
}

int hwt_unwind_ra_rule(struct hwt_unwinder *u, uint32_t pid, uint64_t ip, int64_t *off)
{
	struct uw_proc *p;
	size_t slot;

	if (!u || !off)
		return HWT_E_INVAL;
	p = proc_get(u, pid);
	if (!p)
		return HWT_E_NOMEM;
	p->used = ++u->clock;
	refresh(u, p);
	slot = (size_t)(((ip ^ p->gen * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull) >> 52) &
	       (UW_RULES - 1);
	if (!p->gen || u->rules[slot].gen != p->gen || u->rules[slot].ip != ip) {
		u->rules[slot].ip = ip;
		u->rules[slot].gen = p->gen;
		u->rules[slot].rule = rule_lookup(p, ip, &u->rules[slot].off);
	}
	*off = u->rules[slot].off;
	return u->rules[slot].rule;
}

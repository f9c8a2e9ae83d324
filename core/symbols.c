/* Symbolization: per-process address spaces of sorted mappings over the files of symfile.c, and a
 * direct-mapped address -> frame cache. */
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "symbols.h"
#include "symfile.h"
#include "util.h"

/* From libstdc++ (the link has -lstdc++); <cxxabi.h> is C++ only, so declare it here. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* x86-64 user space ends below the canonical hole; everything above is the kernel's. */
#define KERNEL_START 0xffff800000000000ull
/* The inline cache: 2^12 entries, as keyed as the frame cache. */
#define INL_BITS 12
/* The frame cache: 2^16 entries of 24 bytes, shared by all processes. */
#define CACHE_BITS 16
#define CACHE_SIZE (1u << CACHE_BITS)

struct map {
	uint64_t start, end, pgoff;
	struct elf_file *file;
	uint32_t mapping_id; /* interned lazily; reset when the map is trimmed */
};

/* One address space: maps sorted by start, never overlapping. */
struct proc {
	uint32_t pid;
	uint64_t gen;
	struct map *maps;
	size_t nmaps, cap;
};

/* Keyed by (address, generation): generations are unique across processes, so an entry can
 * neither leak into another process nor outlive a change of its address space. */
struct cache_ent {
	uint64_t addr, gen;
	uint32_t frame;
};

struct inl_ent {
	uint64_t addr, gen;
	uint32_t n;
	uint32_t frames[HWT_INLINE_MAX];
};

struct hwt_symbolizer {
	struct hwt_model *m;
	struct inl_ent *inl; /* NULL until the first inline lookup */
	struct proc **procs; /* open addressing by pid */
	size_t procs_mask, nprocs;
	struct proc *last; /* the process of the previous lookup */
	struct symfile_cache files;
	struct cache_ent *cache;
	uint64_t gen;
	uint32_t kernel_frame, unknown_frame;
	int sources;		  /* hwt_symbolizer_sources(): look up the functions' files */
	struct hwt_idmap sourced; /* the frames whose file was looked up */
};

/* ---- interning ---- */

/* @raw demangled, then @suffix, interned. */
static int64_t intern_demangled(struct hwt_symbolizer *s, const char *raw, const char *suffix)
{
	char *dem = NULL, *full = NULL;
	int status = -1;
	int64_t id;

	if (raw[0] == '_' && raw[1] == 'Z')
		dem = __cxa_demangle(raw, NULL, NULL, &status);
	if (status == 0 && dem)
		raw = dem;
	if (*suffix && asprintf(&full, "%s%s", raw, suffix) < 0)
		full = NULL;
	id = *suffix && !full ? HWT_E_NOMEM : hwt_model_intern_str(s->m, full ? full : raw);
	free(full);
	free(dem);
	return id;
}

static int64_t sym_name_id(struct hwt_symbolizer *s, const struct elf_file *f, struct sym *sy)
{
	int64_t id;

	if (sy->name_id)
		return sy->name_id;
	id = intern_demangled(s, f->names + sy->name, "");
	if (id > 0)
		sy->name_id = (uint32_t)id;
	return id;
}

static int64_t map_mapping_id(struct hwt_symbolizer *s, struct map *mp)
{
	struct elf_file *f = mp->file;
	struct hwt_mapping hm;
	int64_t id;

	if (mp->mapping_id)
		return mp->mapping_id;
	if (!f->path_id) {
		id = hwt_model_intern_mapped_path(s->m, f->path, strlen(f->path));
		if (id < 0)
			return id;
		f->path_id = (uint32_t)id;
	}
	if (!f->build_id_done) {
		const uint8_t *b = f->build_id_len ? f->build_id : f->file_build_id;
		size_t i, n = f->build_id_len ? f->build_id_len : f->file_build_id_len;
		char hex[2 * BUILD_ID_MAX + 1];

		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", b[i]);
		hex[2 * n] = 0;
		id = hwt_model_intern_str(s->m, hex);
		if (id < 0)
			return id;
		f->build_id_id = (uint32_t)id;
		f->build_id_done = 1;
	}
	hm = (struct hwt_mapping){ .start = mp->start,
				   .end = mp->end,
				   .pgoff = mp->pgoff,
				   .path = f->path_id,
				   .build_id = f->build_id_id };
	id = hwt_model_intern_mapping(s->m, &hm);
	if (id > 0)
		mp->mapping_id = (uint32_t)id;
	return id;
}

static int64_t special_frame(struct hwt_symbolizer *s, uint32_t *cached, const char *name,
			     enum hwt_frame_kind kind)
{
	struct hwt_frame fr = { .kind = kind };
	int64_t id;

	if (*cached)
		return *cached;
	id = hwt_model_intern_str(s->m, name);
	if (id < 0)
		return id;
	fr.name = (uint32_t)id;
	id = hwt_model_intern_frame(s->m, &fr);
	if (id > 0)
		*cached = (uint32_t)id;
	return id;
}

/* ---- address spaces ---- */

static uint64_t pid_hash(uint32_t pid)
{
	return (pid * 0x9e3779b97f4a7c15ull) >> 32;
}

static struct proc *proc_find(struct hwt_symbolizer *s, uint32_t pid)
{
	size_t j;

	if (s->last && s->last->pid == pid)
		return s->last;
	for (j = pid_hash(pid) & s->procs_mask; s->procs[j]; j = (j + 1) & s->procs_mask)
		if (s->procs[j]->pid == pid)
			return s->last = s->procs[j];
	return NULL;
}

static struct proc *proc_get(struct hwt_symbolizer *s, uint32_t pid)
{
	struct proc *p = proc_find(s, pid);
	size_t j;

	if (p)
		return p;
	if (2 * (s->nprocs + 1) > s->procs_mask + 1) {
		size_t nmask = s->procs_mask * 2 + 1, i;
		struct proc **nt = calloc(nmask + 1, sizeof(*nt));

		if (!nt)
			return NULL;
		for (i = 0; i <= s->procs_mask; i++) {
			if (!s->procs[i])
				continue;
			for (j = pid_hash(s->procs[i]->pid) & nmask; nt[j]; j = (j + 1) & nmask)
				;
			nt[j] = s->procs[i];
		}
		free(s->procs);
		s->procs = nt;
		s->procs_mask = nmask;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->gen = ++s->gen;
	for (j = pid_hash(pid) & s->procs_mask; s->procs[j]; j = (j + 1) & s->procs_mask)
		;
	s->procs[j] = p;
	s->nprocs++;
	return s->last = p;
}

static int maps_reserve(struct proc *p, size_t n)
{
	size_t ncap;
	struct map *nm;

	if (n <= p->cap)
		return 0;
	ncap = p->cap ? p->cap * 2 : 64;
	while (ncap < n)
		ncap *= 2;
	nm = realloc(p->maps, ncap * sizeof(*nm));
	if (!nm)
		return HWT_E_NOMEM;
	p->maps = nm;
	p->cap = ncap;
	return 0;
}

/* Index of the first map ending above @addr (maps never overlap, so ends are sorted too). */
static size_t maps_upper(const struct proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nmaps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct map *maps_find(struct proc *p, uint64_t addr)
{
	size_t i = maps_upper(p, addr);

	if (i < p->nmaps && p->maps[i].start <= addr)
		return &p->maps[i];
	return NULL;
}

/* Inserts @nm like mmap(MAP_FIXED): what it overlaps is unmapped, partly covered maps are
 * trimmed (and their file offset advanced), a map covering both ends is split in two. */
static int maps_insert(struct proc *p, const struct map *nm)
{
	size_t i, j, n;

	if (maps_reserve(p, p->nmaps + 2))
		return HWT_E_NOMEM;
	n = p->nmaps;
	i = maps_upper(p, nm->start);
	if (i < n && p->maps[i].start < nm->start) {
		struct map *old = &p->maps[i];

		if (old->end > nm->end) {
			struct map tail = *old;

			tail.pgoff += nm->end - old->start;
			tail.start = nm->end;
			tail.mapping_id = 0;
			old->end = nm->start;
			old->mapping_id = 0;
			memmove(&p->maps[i + 3], &p->maps[i + 1], (n - i - 1) * sizeof(*p->maps));
			p->maps[i + 1] = *nm;
			p->maps[i + 2] = tail;
			p->nmaps = n + 2;
			return 0;
		}
		old->end = nm->start;
		old->mapping_id = 0;
		i++;
	}
	for (j = i; j < n && p->maps[j].end <= nm->end; j++)
		;
	if (j < n && p->maps[j].start < nm->end) {
		struct map *old = &p->maps[j];

		old->pgoff += nm->end - old->start;
		old->start = nm->end;
		old->mapping_id = 0;
	}
	memmove(&p->maps[i + 1], &p->maps[j], (n - j) * sizeof(*p->maps));
	p->maps[i] = *nm;
	p->nmaps = n - (j - i) + 1;
	return 0;
}

/* ---- public API ---- */

struct hwt_symbolizer *hwt_symbolizer_alloc(struct hwt_model *m)
{
	struct hwt_symbolizer *s;
	int err;

	if (!m)
		return NULL;
	elf_version(EV_CURRENT);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->m = m;
	s->procs_mask = 15;
	s->procs = calloc(s->procs_mask + 1, sizeof(*s->procs));
	err = hwt_symfile_cache_init(&s->files);
	s->cache = calloc(CACHE_SIZE, sizeof(*s->cache));
	if (!s->procs || err || !s->cache) {
		hwt_symbolizer_free(s);
		return NULL;
	}
	return s;
}

void hwt_symbolizer_free(struct hwt_symbolizer *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->procs && i <= s->procs_mask; i++) {
		if (s->procs[i]) {
			free(s->procs[i]->maps);
			free(s->procs[i]);
		}
	}
	hwt_symfile_cache_fini(&s->files);
	free(s->procs);
	free(s->cache);
	free(s->inl);
	hwt_idmap_fini(&s->sourced);
	free(s);
}

void hwt_symbolizer_sources(struct hwt_symbolizer *s, int on)
{
	if (s)
		s->sources = on;
}

/* The source file of frame @id, the function @sy of @f, into the model (once per frame). */
static int64_t frame_source(struct hwt_symbolizer *s, struct elf_file *f, struct sym *sy,
			    int64_t id)
{
	char path[4096];
	int created = 0;

	if (id <= 0 || !hwt_idmap_put(&s->sourced, (uint64_t)id, &created))
		return id <= 0 ? id : HWT_E_NOMEM;
	if (!created || !hwt_symfile_source(f, sy->addr, path, sizeof(path)))
		return id;
	int64_t file = hwt_model_intern_path(s->m, path, strlen(path));
	int err =
		file < 0 ? (int)file : hwt_model_set_frame_file(s->m, (uint32_t)id, (uint32_t)file);
	return err < 0 ? err : id;
}

int hwt_symbolizer_add_map(struct hwt_symbolizer *s, uint32_t pid, const struct hwt_map_info *map)
{
	struct map nm = { 0 };
	struct proc *p;
	int err;

	if (!s || !map || !map->path || map->start >= map->end ||
	    (map->build_id_len && !map->build_id) || map->build_id_len > BUILD_ID_MAX)
		return HWT_E_INVAL;
	p = proc_get(s, pid);
	if (!p)
		return HWT_E_NOMEM;
	nm.start = map->start;
	nm.end = map->end;
	nm.pgoff = map->pgoff;
	nm.file = hwt_symfile_get(&s->files, map->path, map->build_id, map->build_id_len);
	if (!nm.file)
		return HWT_E_NOMEM;
	err = maps_insert(p, &nm);
	if (err)
		return err;
	p->gen = ++s->gen;
	return 0;
}

int hwt_symbolizer_fork(struct hwt_symbolizer *s, uint32_t parent, uint32_t child)
{
	struct proc *c, *p;

	if (!s)
		return HWT_E_INVAL;
	if (parent == child)
		return 0;
	c = proc_get(s, child);
	if (!c)
		return HWT_E_NOMEM;
	p = proc_find(s, parent);
	if (p && maps_reserve(c, p->nmaps))
		return HWT_E_NOMEM;
	c->nmaps = p ? p->nmaps : 0;
	if (c->nmaps)
		memcpy(c->maps, p->maps, p->nmaps * sizeof(*p->maps));
	c->gen = ++s->gen;
	return 0;
}

void hwt_symbolizer_exec(struct hwt_symbolizer *s, uint32_t pid)
{
	struct proc *p = s ? proc_find(s, pid) : NULL;

	if (!p)
		return;
	p->nmaps = 0;
	p->gen = ++s->gen;
}

static int64_t resolve(struct hwt_symbolizer *s, struct proc *p, uint64_t addr)
{
	struct map *mp = maps_find(p, addr);
	struct elf_file *f;
	struct hwt_frame fr = { .kind = HWT_FRAME_USER };
	struct sym *sy = NULL;
	uint64_t off, vaddr;
	char name[512];
	int64_t id;

	if (!mp)
		return special_frame(s, &s->unknown_frame, "[unknown]", HWT_FRAME_UNKNOWN);
	f = mp->file;
	if (f->state == FILE_UNLOADED)
		hwt_symfile_load(&s->files, f);
	id = map_mapping_id(s, mp);
	if (id < 0)
		return id;
	fr.mapping = (uint32_t)id;
	off = addr - mp->start + mp->pgoff;
	/* Without a build id to compare, a vdso is ours only if it has our vdso's size. */
	if (f->state == FILE_LOADED &&
	    !(f->is_vdso && !f->build_id_len && mp->end - mp->start != s->files.vdso_len) &&
	    hwt_symfile_vaddr(f, off, &vaddr))
		sy = hwt_symfile_sym(f, vaddr);
	if (sy) {
		id = sym_name_id(s, f, sy);
		fr.addr = sy->addr;
	} else {
		snprintf(name, sizeof(name), "%s+0x%" PRIx64, f->base, off);
		id = hwt_model_intern_str(s->m, name);
		fr.addr = off;
	}
	if (id < 0)
		return id;
	fr.name = (uint32_t)id;
	id = hwt_model_intern_frame(s->m, &fr);
	return s->sources && sy ? frame_source(s, f, sy, id) : id;
}

int64_t hwt_symbolizer_frame(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, int kernel)
{
	struct cache_ent *e;
	struct proc *p;
	int64_t id;

	if (!s)
		return HWT_E_INVAL;
	if (kernel || addr >= KERNEL_START)
		return special_frame(s, &s->kernel_frame, "[kernel]", HWT_FRAME_KERNEL);
	p = proc_find(s, pid);
	if (!p)
		return special_frame(s, &s->unknown_frame, "[unknown]", HWT_FRAME_UNKNOWN);
	e = &s->cache[((addr ^ (p->gen * 0xc2b2ae3d27d4eb4full)) * 0x9e3779b97f4a7c15ull) >>
		      (64 - CACHE_BITS)];
	if (e->frame && e->addr == addr && e->gen == p->gen)
		return e->frame;
	id = resolve(s, p, addr);
	if (id > 0) {
		e->addr = addr;
		e->gen = p->gen;
		e->frame = (uint32_t)id;
	}
	return id;
}

int hwt_symbolizer_code(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, size_t len,
			uint8_t *out)
{
	struct proc *p;
	struct map *mp;

	if (!s || (!out && len))
		return HWT_E_INVAL;
	p = proc_find(s, pid);
	mp = p ? maps_find(p, addr) : NULL;
	if (!mp)
		return HWT_E_NOENT;
	if (len > mp->end - addr)
		return 0;
	/* Without a build id to compare, a vdso is ours only if it has our vdso's size. */
	if (mp->file->state == FILE_UNLOADED)
		hwt_symfile_load(&s->files, mp->file);
	if (mp->file->is_vdso && !mp->file->build_id_len &&
	    mp->end - mp->start != s->files.vdso_len)
		return 0;
	return hwt_symfile_bytes(&s->files, mp->file, addr - mp->start + mp->pgoff, len, out);
}

int hwt_symbolizer_mapped(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr)
{
	struct proc *p = s ? proc_find(s, pid) : NULL;

	if (!p || !p->nmaps)
		return HWT_E_NOENT;
	return maps_find(p, addr) != NULL;
}

/* The inlined frames at @addr, looked up in the file's DWARF. */
static int inlined_lookup(struct hwt_symbolizer *s, struct map *mp, uint64_t addr, uint32_t *out)
{
	const char *names[HWT_INLINE_MAX];
	struct elf_file *f = mp->file;
	struct hwt_frame fr = { .kind = HWT_FRAME_USER, .flags = HWT_FRAME_INLINED };
	uint64_t vaddr;
	int64_t id;
	int i, n;

	if (f->state == FILE_UNLOADED)
		hwt_symfile_load(&s->files, f);
	if (f->state != FILE_LOADED || !hwt_symfile_vaddr(f, addr - mp->start + mp->pgoff, &vaddr))
		return 0;
	n = hwt_symfile_inlined(f, vaddr, names, HWT_INLINE_MAX);
	if (n <= 0)
		return 0;
	id = map_mapping_id(s, mp);
	if (id < 0)
		return (int)id;
	fr.mapping = (uint32_t)id;
	for (i = 0; i < n; i++) {
		/* One frame per function and file, wherever it was inlined: addr 0. Named as perf
		 * names them: a function inlined has no call, no time of its own outside. */
		id = intern_demangled(s, names[i], " (inlined)");
		if (id < 0)
			return (int)id;
		fr.name = (uint32_t)id;
		id = hwt_model_intern_frame(s->m, &fr);
		if (id < 0)
			return (int)id;
		out[i] = (uint32_t)id;
	}
	return n;
}

int hwt_symbolizer_inlined(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr, uint32_t *out,
			   int max)
{
	struct inl_ent *e;
	struct proc *p;
	struct map *mp;
	int n;

	if (!s || !out || max < 0)
		return HWT_E_INVAL;
	p = proc_find(s, pid);
	if (!p || addr >= KERNEL_START)
		return 0;
	if (!s->inl) {
		s->inl = calloc(1u << INL_BITS, sizeof(*s->inl));
		if (!s->inl)
			return HWT_E_NOMEM;
	}
	e = &s->inl[((addr ^ (p->gen * 0xc2b2ae3d27d4eb4full)) * 0x9e3779b97f4a7c15ull) >>
		    (64 - INL_BITS)];
	if (e->gen != p->gen || e->addr != addr) {
		mp = maps_find(p, addr);
		n = mp ? inlined_lookup(s, mp, addr, e->frames) : 0;
		if (n < 0)
			return n;
		e->addr = addr;
		e->gen = p->gen;
		e->n = (uint32_t)n;
	}
	n = (int)e->n < max ? (int)e->n : max;
	memcpy(out, e->frames, (size_t)n * sizeof(*out));
	return n;
}

static void map_info(const struct map *mp, struct hwt_map_info *out)
{
	out->start = mp->start;
	out->end = mp->end;
	out->pgoff = mp->pgoff;
	out->path = mp->file->path;
	out->build_id = mp->file->build_id_len ? mp->file->build_id : NULL;
	out->build_id_len = mp->file->build_id_len;
}

int hwt_symbolizer_find_map(struct hwt_symbolizer *s, uint32_t pid, uint64_t addr,
			    struct hwt_map_info *out)
{
	struct proc *p;
	struct map *mp;

	if (!s || !out)
		return HWT_E_INVAL;
	p = proc_find(s, pid);
	mp = p ? maps_find(p, addr) : NULL;
	if (!mp)
		return 0;
	map_info(mp, out);
	return 1;
}

int hwt_symbolizer_foreach_map(struct hwt_symbolizer *s, uint32_t pid,
			       int (*fn)(const struct hwt_map_info *map, void *ctx), void *ctx)
{
	struct hwt_map_info mi;
	struct proc *p;
	size_t i;
	int ret;

	if (!s || !fn)
		return HWT_E_INVAL;
	p = proc_find(s, pid);
	for (i = 0; p && i < p->nmaps; i++) {
		const struct elf_file *f = p->maps[i].file;

		/* File-backed, plus the vdso: it is an ELF image an unwinder can use too. */
		if (!f->is_vdso && (f->path[0] != '/' || !strcmp(f->path, "//anon")))
			continue;
		map_info(&p->maps[i], &mi);
		ret = fn(&mi, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

uint64_t hwt_symbolizer_generation(struct hwt_symbolizer *s, uint32_t pid)
{
	struct proc *p = s ? proc_find(s, pid) : NULL;

	return p ? p->gen : 0;
}

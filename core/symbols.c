/* Symbolization: per-process address spaces of sorted mappings, ELF symbol tables cached per
 * (path, build id) and shared between processes, and a direct-mapped address -> frame cache. */
#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "symbols.h"

/* From libstdc++ (the link has -lstdc++); <cxxabi.h> is C++ only, so declare it here. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* x86-64 user space ends below the canonical hole; everything above is the kernel's. */
#define KERNEL_START 0xffff800000000000ull
/* The frame cache: 2^16 entries of 24 bytes, shared by all processes. */
#define CACHE_BITS   16
#define CACHE_SIZE   (1u << CACHE_BITS)
#define BUILD_ID_MAX 64
/* A vdso larger than this is not what we think it is. */
#define VDSO_MAX (1u << 20)
/* Separate debug files installed by Debian's -dbg/-dbgsym packages, named by build id. */
#define DEBUG_BUILD_ID_DIR "/usr/lib/debug/.build-id/"
/* How far back a lookup walks past symbols that end before the address (nested symbols). */
#define SYM_SCAN_MAX 64
#define PAGE_MASK_4K 0xfffull

enum file_state {
	FILE_UNLOADED, /* not looked at yet */
	FILE_LOADED,   /* segments and symbols read */
	FILE_FAILED,   /* not an ELF file we can read: frames are "module+0xOFF" */
};

/* A function symbol: [addr, end) in ELF virtual addresses. */
struct sym {
	uint64_t addr, end;
	uint64_t maxend;  /* largest end of this and every earlier symbol: bounds the back walk */
	uint32_t name;	  /* offset of the raw name in elf_file.names */
	uint32_t name_id; /* interned (demangled) name, HWT_NONE until first used */
	uint8_t sized;	  /* st_size > 0; else end was inferred from the next symbol */
	uint8_t rank;	  /* binding preference among aliases: global 0, weak 1, other 2 */
};

/* A PT_LOAD segment: how file offsets become virtual addresses. */
struct seg {
	uint64_t off, vaddr, filesz, memsz;
};

/* A mapped file (or pseudo file: "[vdso]", "//anon", "[heap]"), shared by every process that
 * maps the same path with the same build id. Lives until the symbolizer is freed. */
struct elf_file {
	struct elf_file *next; /* hash chain */
	uint64_t hash;
	char *path;
	char *base;			/* display name: basename without " (deleted)" */
	uint8_t build_id[BUILD_ID_MAX]; /* from the mapping record */
	size_t build_id_len;
	uint8_t file_build_id[BUILD_ID_MAX]; /* read from the file */
	size_t file_build_id_len;
	int state;
	int is_vdso;
	struct seg *segs;
	size_t nsegs;
	struct sym *syms;
	size_t nsyms, syms_cap;
	char *names;
	size_t names_len, names_cap;
	uint32_t path_id;     /* interned path, HWT_NONE until needed */
	uint32_t build_id_id; /* interned hex build id */
	int build_id_done;
};

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

struct hwt_symbolizer {
	struct hwt_model *m;
	struct proc **procs; /* open addressing by pid */
	size_t procs_mask, nprocs;
	struct proc *last;	 /* the process of the previous lookup */
	struct elf_file **files; /* hash buckets */
	size_t files_mask, nfiles;
	struct cache_ent *cache;
	uint64_t gen;
	uint32_t kernel_frame, unknown_frame;
	const uint8_t *vdso; /* this process' own vdso image, read on first use */
	size_t vdso_len;
	int vdso_probed;
};

static uint64_t hash_bytes(uint64_t h, const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		h = (h ^ *b++) * 0x100000001b3ull;
	return h;
}

static uint64_t file_key(const char *path, const uint8_t *bid, size_t bid_len)
{
	uint64_t h = hash_bytes(0xcbf29ce484222325ull, path, strlen(path) + 1);

	return hash_bytes(h, bid, bid_len);
}

static char *display_name(const char *path)
{
	static const char deleted[] = " (deleted)";
	const char *b = path;
	size_t len;

	if (!*path || !strcmp(path, "//anon"))
		return strdup("[anon]");
	if (path[0] == '/') {
		b = strrchr(path, '/') + 1;
		if (!*b)
			b = path;
	}
	len = strlen(b);
	if (len > sizeof(deleted) - 1 && !strcmp(b + len - (sizeof(deleted) - 1), deleted))
		len -= sizeof(deleted) - 1;
	return strndup(b, len);
}

static struct elf_file *file_get(struct hwt_symbolizer *s, const char *path, const uint8_t *bid,
				 size_t bid_len)
{
	uint64_t h = file_key(path, bid, bid_len);
	struct elf_file *f;

	for (f = s->files[h & s->files_mask]; f; f = f->next)
		if (f->hash == h && f->build_id_len == bid_len && !strcmp(f->path, path) &&
		    (!bid_len || !memcmp(f->build_id, bid, bid_len)))
			return f;

	if (s->nfiles >= s->files_mask + 1) {
		size_t nmask = s->files_mask * 2 + 1, i;
		struct elf_file **nt = calloc(nmask + 1, sizeof(*nt));

		if (!nt)
			return NULL;
		for (i = 0; i <= s->files_mask; i++) {
			while ((f = s->files[i])) {
				s->files[i] = f->next;
				f->next = nt[f->hash & nmask];
				nt[f->hash & nmask] = f;
			}
		}
		free(s->files);
		s->files = nt;
		s->files_mask = nmask;
	}

	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->hash = h;
	f->path = strdup(path);
	f->base = display_name(path);
	if (!f->path || !f->base) {
		free(f->path);
		free(f->base);
		free(f);
		return NULL;
	}
	if (bid_len)
		memcpy(f->build_id, bid, bid_len);
	f->build_id_len = bid_len;
	f->is_vdso = !strcmp(path, "[vdso]");
	/* Only absolute paths and the vdso can hold symbols; "//anon", "[heap]" never will. */
	if (!f->is_vdso && (path[0] != '/' || !strcmp(path, "//anon")))
		f->state = FILE_FAILED;
	f->next = s->files[h & s->files_mask];
	s->files[h & s->files_mask] = f;
	s->nfiles++;
	return f;
}

static void file_free(struct elf_file *f)
{
	free(f->path);
	free(f->base);
	free(f->segs);
	free(f->syms);
	free(f->names);
	free(f);
}

/* ---- ELF reading ---- */

size_t hwt_vdso_image(const uint8_t **image)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	uint64_t end;
	long page = sysconf(_SC_PAGESIZE);
	unsigned i;

	*image = NULL;
	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_phoff > VDSO_MAX || eh->e_phnum > 64)
		return 0;
	/* The image is the whole ELF file, section headers included, padded to pages. */
	end = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset + ph[i].p_filesz > end)
			end = ph[i].p_offset + ph[i].p_filesz;
	if (page <= 0)
		page = 4096;
	end = (end + (uint64_t)page - 1) & ~((uint64_t)page - 1);
	if (!end || end > VDSO_MAX)
		return 0;
	*image = (const uint8_t *)base;
	return end;
}

static void vdso_probe(struct hwt_symbolizer *s)
{
	s->vdso_probed = 1;
	s->vdso_len = hwt_vdso_image(&s->vdso);
}

static int names_add(struct elf_file *f, const char *name, uint32_t *off)
{
	size_t len = strlen(name) + 1;

	if (f->names_len + len > UINT32_MAX)
		return HWT_E_NOMEM;
	if (f->names_len + len > f->names_cap) {
		size_t ncap = f->names_cap ? f->names_cap * 2 : 4096;
		char *n;

		while (ncap < f->names_len + len)
			ncap *= 2;
		n = realloc(f->names, ncap);
		if (!n)
			return HWT_E_NOMEM;
		f->names = n;
		f->names_cap = ncap;
	}
	memcpy(f->names + f->names_len, name, len);
	*off = (uint32_t)f->names_len;
	f->names_len += len;
	return 0;
}

static int syms_push(struct elf_file *f, const struct sym *sy)
{
	if (f->nsyms == f->syms_cap) {
		size_t ncap = f->syms_cap ? f->syms_cap * 2 : 256;
		struct sym *n = realloc(f->syms, ncap * sizeof(*n));

		if (!n)
			return HWT_E_NOMEM;
		f->syms = n;
		f->syms_cap = ncap;
	}
	f->syms[f->nsyms++] = *sy;
	return 0;
}

/* Adds the function symbols of every section of @type in @elf. Returns 1 if such a section
 * exists, 0 if not, or HWT_E_NOMEM. Zero-size symbols are kept with end = end of their
 * (executable) section, trimmed to the next symbol once all are sorted. */
static int syms_collect(struct elf_file *f, Elf *elf, Elf64_Word type)
{
	Elf_Scn *scn = NULL;
	int found = 0;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i, n;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != type || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		if (!d)
			continue;
		found = 1;
		n = sh.sh_size / sh.sh_entsize;
		for (i = 1; i < n; i++) {
			struct sym sy = { 0 };
			GElf_Sym st;
			const char *name;
			int t, b;

			if (!gelf_getsym(d, (int)i, &st))
				break;
			t = GELF_ST_TYPE(st.st_info);
			b = GELF_ST_BIND(st.st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || st.st_shndx == SHN_UNDEF ||
			    st.st_shndx >= SHN_LORESERVE)
				continue;
			name = elf_strptr(elf, sh.sh_link, st.st_name);
			if (!name || !*name)
				continue;
			sy.addr = st.st_value;
			if (st.st_size) {
				sy.sized = 1;
				sy.end = st.st_value + st.st_size;
				if (sy.end < sy.addr)
					continue;
			} else {
				Elf_Scn *ss = elf_getscn(elf, st.st_shndx);
				GElf_Shdr ssh;

				if (!ss || !gelf_getshdr(ss, &ssh) ||
				    !(ssh.sh_flags & SHF_EXECINSTR) || st.st_value < ssh.sh_addr ||
				    st.st_value >= ssh.sh_addr + ssh.sh_size)
					continue;
				sy.end = ssh.sh_addr + ssh.sh_size;
			}
			sy.rank = b == STB_GLOBAL ? 0 : b == STB_WEAK ? 1 : 2;
			if (names_add(f, name, &sy.name) || syms_push(f, &sy))
				return HWT_E_NOMEM;
		}
	}
	return found;
}

static int underscores(const char *s)
{
	int n = 0;

	while (s[n] == '_')
		n++;
	return n;
}

/* Address order; among aliases at one address the preferred name comes first: sized, fewest
 * leading underscores (the public "getpid" over glibc's "__getpid", "clock_gettime" over
 * "__vdso_clock_gettime"), global over weak over local, then by name for determinism. */
static int sym_cmp(const void *a, const void *b, void *arg)
{
	const struct sym *x = a, *y = b;
	const char *names = arg;
	int d;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	if (x->sized != y->sized)
		return y->sized - x->sized;
	d = underscores(names + x->name) - underscores(names + y->name);
	if (d)
		return d;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return strcmp(names + x->name, names + y->name);
}

static void syms_finish(struct elf_file *f)
{
	size_t i, n = 0;
	uint64_t maxend = 0;

	if (!f->nsyms)
		return;
	qsort_r(f->syms, f->nsyms, sizeof(*f->syms), sym_cmp, f->names);
	for (i = 0; i < f->nsyms; i++)
		if (!n || f->syms[i].addr != f->syms[n - 1].addr)
			f->syms[n++] = f->syms[i];
	f->nsyms = n;
	n = 0;
	for (i = 0; i < f->nsyms; i++) {
		struct sym sy = f->syms[i];

		/* A zero-size symbol covers up to the next symbol, within its section. */
		if (!sy.sized && i + 1 < f->nsyms && f->syms[i + 1].addr < sy.end)
			sy.end = f->syms[i + 1].addr;
		if (sy.end <= sy.addr)
			continue;
		if (sy.end > maxend)
			maxend = sy.end;
		sy.maxend = maxend;
		f->syms[n++] = sy;
	}
	f->nsyms = n;
}

static int same_build_id(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && !memcmp(a, b, alen);
}

static size_t elf_build_id(Elf *elf, uint8_t *out)
{
	const void *p;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &p);

	if (len <= 0 || len > BUILD_ID_MAX)
		return 0;
	memcpy(out, p, (size_t)len);
	return (size_t)len;
}

/* Merges the .symtab of the separate debug file named by @f's build id, if one is installed:
 * Debian's libraries ship stripped, with their local functions only in -dbg packages. */
static int syms_from_debug_file(struct elf_file *f)
{
	char path[sizeof(DEBUG_BUILD_ID_DIR) + 2 * BUILD_ID_MAX + 16];
	uint8_t bid[BUILD_ID_MAX];
	size_t i, len, bid_len;
	Elf *elf;
	int fd, err = 0;

	if (f->file_build_id_len < 2)
		return 0;
	len = (size_t)snprintf(path, sizeof(path), "%s%02x/", DEBUG_BUILD_ID_DIR,
			       f->file_build_id[0]);
	for (i = 1; i < f->file_build_id_len; i++)
		len += (size_t)snprintf(path + len, sizeof(path) - len, "%02x",
					f->file_build_id[i]);
	snprintf(path + len, sizeof(path) - len, ".debug");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF) {
		bid_len = elf_build_id(elf, bid);
		if (same_build_id(bid, bid_len, f->file_build_id, f->file_build_id_len))
			err = syms_collect(f, elf, SHT_SYMTAB);
	}
	elf_end(elf);
	close(fd);
	return err < 0 ? err : 0;
}

static int segs_read(struct elf_file *f, Elf *elf)
{
	size_t i, n;

	if (elf_getphdrnum(elf, &n) || !n)
		return -1;
	f->segs = calloc(n, sizeof(*f->segs));
	if (!f->segs)
		return -1;
	for (i = 0; i < n; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		f->segs[f->nsegs++] = (struct seg){ .off = ph.p_offset,
						    .vaddr = ph.p_vaddr,
						    .filesz = ph.p_filesz,
						    .memsz = ph.p_memsz };
	}
	return f->nsegs ? 0 : -1;
}

/* Reads @f's segments and symbols. Any failure (deleted file, permission, not ELF, a different
 * build id than recorded) leaves FILE_FAILED: its frames are then "module+0xOFF". */
static void file_load(struct hwt_symbolizer *s, struct elf_file *f)
{
	Elf *elf = NULL;
	uint8_t *image = NULL;
	struct stat st;
	int fd = -1, has_symtab;

	f->state = FILE_FAILED;
	if (f->is_vdso) {
		if (!s->vdso_probed)
			vdso_probe(s);
		if (!s->vdso)
			return;
		/* A private copy: libelf may write to the image it is given. */
		image = malloc(s->vdso_len);
		if (!image)
			return;
		memcpy(image, s->vdso, s->vdso_len);
		elf = elf_memory((char *)image, s->vdso_len);
	} else {
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return;
		if (fstat(fd, &st) || !S_ISREG(st.st_mode))
			goto out;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		goto out;
	f->file_build_id_len = elf_build_id(elf, f->file_build_id);
	/* The file at this path now is not the one that was mapped. */
	if (f->build_id_len && f->file_build_id_len &&
	    !same_build_id(f->build_id, f->build_id_len, f->file_build_id, f->file_build_id_len))
		goto out;
	if (segs_read(f, elf))
		goto out;
	has_symtab = syms_collect(f, elf, SHT_SYMTAB);
	if (has_symtab < 0 || syms_collect(f, elf, SHT_DYNSYM) < 0)
		goto out;
	if (!has_symtab && syms_from_debug_file(f) < 0)
		goto out;
	syms_finish(f);
	f->state = FILE_LOADED;
out:
	if (f->state != FILE_LOADED) {
		free(f->segs);
		free(f->syms);
		free(f->names);
		f->segs = NULL;
		f->syms = NULL;
		f->names = NULL;
		f->nsegs = f->nsyms = f->syms_cap = f->names_len = f->names_cap = 0;
	}
	elf_end(elf);
	if (fd >= 0)
		close(fd);
	free(image);
}

/* File offset -> ELF virtual address through the PT_LOAD segments. A segment's own bytes win;
 * failing that, the page-aligned span the kernel maps around it (headers before the first
 * segment, .bss after the file bytes). */
static int file_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr)
{
	size_t i;

	for (i = 0; i < f->nsegs; i++) {
		const struct seg *g = &f->segs[i];

		if (off >= g->off && off - g->off < g->filesz) {
			*vaddr = g->vaddr + (off - g->off);
			return 1;
		}
	}
	for (i = 0; i < f->nsegs; i++) {
		const struct seg *g = &f->segs[i];
		uint64_t lo = g->off & ~PAGE_MASK_4K;
		uint64_t span = g->memsz > g->filesz ? g->memsz : g->filesz;

		if (off >= lo && off < g->off + span) {
			*vaddr = g->vaddr + off - g->off;
			return 1;
		}
	}
	return 0;
}

static struct sym *file_sym(struct elf_file *f, uint64_t vaddr)
{
	struct sym *best = NULL;
	size_t lo = 0, hi = f->nsyms, steps = 0;
	ssize_t i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (f->syms[mid].addr <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Nearest start first; earlier symbols only while one of them may still reach vaddr. */
	for (i = (ssize_t)lo - 1; i >= 0 && f->syms[i].maxend > vaddr && steps < SYM_SCAN_MAX;
	     i--, steps++) {
		struct sym *sy = &f->syms[i];

		if (vaddr >= sy->end)
			continue;
		if (sy->sized)
			return sy;
		if (!best)
			best = sy;
	}
	return best;
}

/* ---- interning ---- */

static int64_t sym_name_id(struct hwt_symbolizer *s, const struct elf_file *f, struct sym *sy)
{
	const char *raw = f->names + sy->name;
	char *dem = NULL;
	int status = -1;
	int64_t id;

	if (sy->name_id)
		return sy->name_id;
	if (raw[0] == '_' && raw[1] == 'Z')
		dem = __cxa_demangle(raw, NULL, NULL, &status);
	id = hwt_model_intern_str(s->m, status == 0 && dem ? dem : raw);
	free(dem);
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
		id = hwt_model_intern_str(s->m, f->path);
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

	if (!m)
		return NULL;
	elf_version(EV_CURRENT);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->m = m;
	s->procs_mask = 15;
	s->files_mask = 63;
	s->procs = calloc(s->procs_mask + 1, sizeof(*s->procs));
	s->files = calloc(s->files_mask + 1, sizeof(*s->files));
	s->cache = calloc(CACHE_SIZE, sizeof(*s->cache));
	if (!s->procs || !s->files || !s->cache) {
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
	for (i = 0; s->files && i <= s->files_mask; i++) {
		struct elf_file *f, *next;

		for (f = s->files[i]; f; f = next) {
			next = f->next;
			file_free(f);
		}
	}
	free(s->procs);
	free(s->files);
	free(s->cache);
	free(s);
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
	nm.file = file_get(s, map->path, map->build_id, map->build_id_len);
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
		file_load(s, f);
	id = map_mapping_id(s, mp);
	if (id < 0)
		return id;
	fr.mapping = (uint32_t)id;
	off = addr - mp->start + mp->pgoff;
	/* Without a build id to compare, a vdso is ours only if it has our vdso's size. */
	if (f->state == FILE_LOADED &&
	    !(f->is_vdso && !f->build_id_len && mp->end - mp->start != s->vdso_len) &&
	    file_vaddr(f, off, &vaddr))
		sy = file_sym(f, vaddr);
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
	return hwt_model_intern_frame(s->m, &fr);
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

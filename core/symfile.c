/* The mapped files of the symbolizer: ELF segments and function symbols read with libelf (the
 * separate debug file where the file has no .symtab, this process' own vdso for "[vdso]"),
 * sorted for lookups by address, cached per (path, build id). */
#include "symfile.h"

#include <elf.h>
#include <elfutils/libdwelf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "symbols.h"
#include "core/openfile.h"

/* A vdso larger than this is not what we think it is. */
#define VDSO_MAX (1u << 20)
/* Separate debug files installed by Debian's -dbg/-dbgsym packages, named by build id. */
#define DEBUG_BUILD_ID_DIR "/usr/lib/debug/.build-id/"
/* How far back a lookup walks past symbols that end before the address (nested symbols). */
#define SYM_SCAN_MAX 64
#define PAGE_MASK_4K 0xfffull

/* ---- the cache ---- */

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

struct elf_file *hwt_symfile_get(struct symfile_cache *c, const char *path, const uint8_t *bid,
				 size_t bid_len)
{
	uint64_t h = file_key(path, bid, bid_len);
	struct elf_file *f;

	for (f = c->files[h & c->files_mask]; f; f = f->next)
		if (f->hash == h && f->build_id_len == bid_len && !strcmp(f->path, path) &&
		    (!bid_len || !memcmp(f->build_id, bid, bid_len)))
			return f;

	if (c->nfiles >= c->files_mask + 1) {
		size_t nmask = c->files_mask * 2 + 1, i;
		struct elf_file **nt = calloc(nmask + 1, sizeof(*nt));

		if (!nt)
			return NULL;
		for (i = 0; i <= c->files_mask; i++) {
			while ((f = c->files[i])) {
				c->files[i] = f->next;
				f->next = nt[f->hash & nmask];
				nt[f->hash & nmask] = f;
			}
		}
		free(c->files);
		c->files = nt;
		c->files_mask = nmask;
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
	f->next = c->files[h & c->files_mask];
	c->files[h & c->files_mask] = f;
	c->nfiles++;
	return f;
}

static void file_free(struct elf_file *f)
{
	hwt_symfile_dwarf_fini(f);
	if (f->image && !f->is_vdso)
		munmap((void *)f->image, f->image_len);
	free(f->path);
	free(f->base);
	free(f->segs);
	free(f->syms);
	free(f->names);
	free(f);
}

int hwt_symfile_cache_init(struct symfile_cache *c)
{
	*c = (struct symfile_cache){ .files_mask = 63 };
	c->files = calloc(c->files_mask + 1, sizeof(*c->files));
	return c->files ? 0 : HWT_E_NOMEM;
}

void hwt_symfile_cache_fini(struct symfile_cache *c)
{
	size_t i;

	for (i = 0; c->files && i <= c->files_mask; i++) {
		struct elf_file *f, *next;

		for (f = c->files[i]; f; f = next) {
			next = f->next;
			file_free(f);
		}
	}
	free(c->files);
	c->files = NULL;
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

static void vdso_probe(struct symfile_cache *c)
{
	c->vdso_probed = 1;
	c->vdso_len = hwt_vdso_image(&c->vdso);
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
	if ((x->rank == RANK_CFI) != (y->rank == RANK_CFI))
		return x->rank == RANK_CFI ? 1 : -1;
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
int hwt_symfile_debug_path(const uint8_t *bid, size_t len, char *buf, size_t size)
{
	size_t i, n;

	if (len < 2 || size < sizeof(DEBUG_BUILD_ID_DIR) + 2 * len + 8)
		return -1;
	n = (size_t)snprintf(buf, size, "%s%02x/", DEBUG_BUILD_ID_DIR, bid[0]);
	for (i = 1; i < len; i++)
		n += (size_t)snprintf(buf + n, size - n, "%02x", bid[i]);
	snprintf(buf + n, size - n, ".debug");
	return 0;
}

static int syms_from_debug_file(struct elf_file *f)
{
	char path[sizeof(DEBUG_BUILD_ID_DIR) + 2 * BUILD_ID_MAX + 16];
	uint8_t bid[BUILD_ID_MAX];
	size_t bid_len;
	Elf *elf;
	int fd, err = 0;

	if (hwt_symfile_debug_path(f->file_build_id, f->file_build_id_len, path, sizeof(path)))
		return 0;
	fd = hwt_open_regular(path);
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
	return err;
}

/* The section of @elf named @name, or NULL. */
static Elf_Scn *section_named(Elf *elf, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		const char *n =
			gelf_getshdr(scn, sh) ? elf_strptr(elf, shstrndx, sh->sh_name) : NULL;
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

static int32_t read_s32(const uint8_t *p)
{
	int32_t v;
	memcpy(&v, p, 4);
	return v;
}

/* The range [*lo, *hi) of the FDE at ELF address @fde in .eh_frame (@eh, at @eh_addr), if it
 * starts at @start: its pc_begin read as GNU tools write it (pc-relative, signed 4 bytes) must
 * give @start back, else the encoding is another and the FDE is left alone. */
static int fde_range(const Elf_Data *eh, uint64_t eh_addr, uint64_t fde, uint64_t start,
		     uint64_t *lo, uint64_t *hi)
{
	if (fde < eh_addr || fde - eh_addr > eh->d_size || eh->d_size - (fde - eh_addr) < 16)
		return 0;
	const uint8_t *q = (const uint8_t *)eh->d_buf + (fde - eh_addr);
	if ((uint32_t)read_s32(q) == 0xffffffffu || read_s32(q + 4) == 0)
		return 0; /* a 64-bit length, or a CIE */
	uint64_t begin = fde + 8 + (uint64_t)(int64_t)read_s32(q + 8);
	int32_t range = read_s32(q + 12);
	if (begin != start || range <= 0)
		return 0;
	*lo = begin;
	*hi = begin + (uint64_t)range;
	return 1;
}

/* A stripped file still describes every function's range for the unwinder: .eh_frame_hdr's
 * sorted table gives each function's start and its FDE (in the encoding GNU ld writes:
 * data-relative signed 4-byte entries), the FDE its length. Each becomes a sized symbol
 * "fn_START@FILE" that any ELF symbol at the same address outranks, so a profile of a stripped
 * library shows functions instead of one entry per sampled address. Returns the number added, or
 * HWT_E_NOMEM. */
static int syms_from_cfi(struct elf_file *f, Elf *elf)
{
	GElf_Shdr sh, eh_sh;
	Elf_Scn *scn = section_named(elf, ".eh_frame_hdr", &sh);
	Elf_Scn *eh_scn = section_named(elf, ".eh_frame", &eh_sh);
	Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
	Elf_Data *eh = eh_scn ? elf_getdata(eh_scn, NULL) : NULL;
	const uint8_t *p = d ? d->d_buf : NULL;
	char name[64 + 256];
	int added = 0;

	/* version 1; eh_frame_ptr 4 bytes; fde_count udata4; table datarel|sdata4 */
	if (!p || !eh || !eh->d_buf || d->d_size < 12 || p[0] != 1 || (p[1] & 0x0f) != 0x0b ||
	    p[2] != 0x03 || p[3] != 0x3b)
		return 0;
	uint32_t count = (uint32_t)read_s32(p + 8);
	if (count > (d->d_size - 12) / 8)
		return 0;
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *e = p + 12 + 8 * (size_t)i;
		uint64_t start = sh.sh_addr + (uint64_t)(int64_t)read_s32(e);
		uint64_t fde = sh.sh_addr + (uint64_t)(int64_t)read_s32(e + 4), lo, hi;
		uint32_t off;
		if (!fde_range(eh, eh_sh.sh_addr, fde, start, &lo, &hi))
			continue;
		snprintf(name, sizeof(name), "fn_%llx@%s", (unsigned long long)lo, f->base);
		struct sym sy = { .addr = lo, .end = hi, .sized = 1, .rank = RANK_CFI };
		if (names_add(f, name, &off))
			return HWT_E_NOMEM;
		sy.name = off;
		if (syms_push(f, &sy))
			return HWT_E_NOMEM;
		added++;
	}
	return added;
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

void hwt_symfile_load(struct symfile_cache *c, struct elf_file *f)
{
	Elf *elf = NULL;
	uint8_t *image = NULL;
	struct stat st;
	int fd = -1, has_symtab;

	f->state = FILE_FAILED;
	if (f->is_vdso) {
		if (!c->vdso_probed)
			vdso_probe(c);
		if (!c->vdso)
			return;
		/* A private copy: libelf may write to the image it is given. */
		image = malloc(c->vdso_len);
		if (!image)
			return;
		memcpy(image, c->vdso, c->vdso_len);
		elf = elf_memory((char *)image, c->vdso_len);
	} else {
		fd = hwt_open_regular(f->path);
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
	int debug = has_symtab ? 0 : syms_from_debug_file(f);
	if (debug < 0 || (!has_symtab && !debug && syms_from_cfi(f, elf) < 0))
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

/* Through the PT_LOAD segments. A segment's own bytes win; failing that, the page-aligned span
 * the kernel maps around it (headers before the first segment, .bss after the file bytes). */
int hwt_symfile_vaddr(const struct elf_file *f, uint64_t off, uint64_t *vaddr)
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

struct sym *hwt_symfile_sym(struct elf_file *f, uint64_t vaddr)
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

/* The file is mapped whole and kept: return addresses of one file are checked by the thousand,
 * and a mapping costs address space, not memory or a file descriptor. */
static int image_map(struct symfile_cache *c, struct elf_file *f)
{
	struct stat st;
	void *p;
	int fd;

	if (f->state == FILE_UNLOADED)
		hwt_symfile_load(c, f);
	if (f->state != FILE_LOADED) {
		f->image_failed = 1;
		return 0;
	}
	if (f->is_vdso) {
		f->image = c->vdso;
		f->image_len = c->vdso_len;
		return 1;
	}
	fd = hwt_open_regular(f->path);
	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0) {
		if (fd >= 0)
			close(fd);
		f->image_failed = 1;
		return 0;
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		f->image_failed = 1;
		return 0;
	}
	f->image = p;
	f->image_len = (size_t)st.st_size;
	return 1;
}

int hwt_symfile_bytes(struct symfile_cache *c, struct elf_file *f, uint64_t off, size_t len,
		      uint8_t *out)
{
	if (!f->image && (f->image_failed || !image_map(c, f)))
		return 0;
	if (off > f->image_len || len > f->image_len - off)
		return 0;
	memcpy(out, f->image + off, len);
	return 1;
}

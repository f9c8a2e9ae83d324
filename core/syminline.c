/* Inlined functions from DWARF: the DW_TAG_inlined_subroutine scopes around an address of a
 * mapped file (its own DWARF, else its separate debug file), so that stacks show what the
 * compiler inlined as frames of their own. */
#include <dlfcn.h>
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <fcntl.h>
#include <gelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "symfile.h"
#include "core/openfile.h"

/* Whether the DWARF section @name is one the lookups below never read: location lists, macros,
 * the old name indexes, CFI; and without @lines the line table, which only
 * hwt_symfile_source()'s file names need. */
static int unread_section(const char *name, int lines)
{
	static const char *const unread[] = {
		".debug_loc",	   ".debug_loclists", ".debug_macro", ".debug_macinfo",
		".debug_pubnames", ".debug_pubtypes", ".debug_frame",
	};

	if (!strncmp(name, ".zdebug_", 8))
		name += 2; /* the old compressed names: .zdebug_loc is .debug_loc */
	if (!lines && !strcmp(name, ".debug_line"))
		return 1;
	for (size_t i = 0; i < sizeof(unread) / sizeof(unread[0]); i++)
		if (!strcmp(name, unread[i]))
			return 1;
	return 0;
}

/* A section's bytes inflated here: kept while its Dwarf is (hwt_symfile_dwarf_fini()). */
struct inflated {
	struct inflated *next;
	uint8_t data[];
};

/* libdeflate (Debian's libdeflate0), when the system has it: it inflates in about 0.4 of zlib's
 * time (Debian's libc debug file: 9 ms against 20). Its ABI, stable since 1.0. The environment's
 * HWT_NO_LIBDEFLATE makes zlib do it (a test runs both). */
static struct {
	void *(*alloc)(void);
	int (*inflate)(void *d, const void *in, size_t in_len, void *out, size_t out_len,
		       size_t *got); /* raw deflate; 0: LIBDEFLATE_SUCCESS */
	void (*free)(void *d);
} deflate_lib;
static pthread_once_t deflate_once = PTHREAD_ONCE_INIT;

static void deflate_open(void)
{
	void *h = getenv("HWT_NO_LIBDEFLATE") ? NULL
					      : dlopen("libdeflate.so.0", RTLD_NOW | RTLD_LOCAL);

	if (!h)
		return;
	*(void **)&deflate_lib.alloc = dlsym(h, "libdeflate_alloc_decompressor");
	*(void **)&deflate_lib.inflate = dlsym(h, "libdeflate_deflate_decompress");
	*(void **)&deflate_lib.free = dlsym(h, "libdeflate_free_decompressor");
	if (!deflate_lib.alloc || !deflate_lib.inflate || !deflate_lib.free) {
		deflate_lib.alloc = NULL;
		dlclose(h);
	}
}

/* Inflates the raw deflate stream @in (@in_len bytes) into exactly @out_len bytes at @out: 1,
 * or 0 if it does not inflate to that. */
static int inflate_raw(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	pthread_once(&deflate_once, deflate_open);
	if (deflate_lib.alloc) {
		void *dc = deflate_lib.alloc();
		size_t got = 0;
		int rc = dc ? deflate_lib.inflate(dc, in, in_len, out, out_len, &got) : -1;

		if (dc)
			deflate_lib.free(dc);
		if (dc)
			return !rc && got == out_len;
	}
	if (in_len > UINT_MAX || out_len > UINT_MAX)
		return 0;
	z_stream zs = { .next_in = (Bytef *)(uintptr_t)in,
			.avail_in = (uInt)in_len,
			.next_out = out,
			.avail_out = (uInt)out_len };
	if (inflateInit2(&zs, -15) != Z_OK)
		return 0;
	int rc = inflate(&zs, Z_FINISH);
	inflateEnd(&zs);
	return rc == Z_STREAM_END && zs.total_out == out_len;
}

/* Makes the compressed section @scn (header @sh) of @elf, a private mapping, its inflated bytes
 * in memory, as elf_compress() would, but inflating the deflate stream raw (libdeflate, else
 * zlib): the zlib wrapper's Adler-32, a fifth of zlib's time here, is not computed. Returns the
 * buffer, or NULL where it is not a zlib stream or does not inflate to its size: the section is
 * left to libdw. */
static struct inflated *inflate_section(Elf *elf, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	GElf_Chdr ch;
	size_t hdr = gelf_getclass(elf) == ELFCLASS64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);

	if (!d || !gelf_getchdr(scn, &ch) || ch.ch_type != ELFCOMPRESS_ZLIB ||
	    d->d_size < hdr + 2 + 4 || !ch.ch_size || ch.ch_size > SIZE_MAX / 2)
		return NULL;
	const uint8_t *z = (const uint8_t *)d->d_buf + hdr;
	/* The wrapper: deflate, no preset dictionary, its two bytes' check. */
	if ((z[0] & 0x0f) != 8 || (z[0] >> 4) > 7 || (z[1] & 0x20) || (z[0] << 8 | z[1]) % 31)
		return NULL;
	struct inflated *in = malloc(sizeof(*in) + ch.ch_size);
	if (!in || !inflate_raw(z + 2, d->d_size - hdr - 2 - 4, in->data, ch.ch_size)) {
		free(in);
		return NULL;
	}
	d->d_buf = in->data;
	d->d_size = ch.ch_size;
	d->d_type = ELF_T_BYTE;
	d->d_align = ch.ch_addralign;
	sh->sh_flags &= ~(GElf_Xword)SHF_COMPRESSED;
	sh->sh_size = ch.ch_size;
	sh->sh_addralign = ch.ch_addralign;
	gelf_update_shdr(scn, sh);
	return in;
}

/* Makes the compressed sections of @elf (a private mapping) that the lookups never read
 * SHT_NOBITS in memory, which dwarf_begin_elf() skips: it would inflate every compressed debug
 * section (Debian's libc debug file: 10 MB, of which location lists are 1.4 and the line table
 * 1.3, in 0.04 s of zlib) before the first lookup. The DWARF sections it reads are inflated
 * here, onto *@bufs. */
static void prepare_sections(Elf *elf, int lines, struct inflated **bufs)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	if (elf_getshdrstrndx(elf, &shstrndx))
		return;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name =
			gelf_getshdr(scn, &sh) ? elf_strptr(elf, shstrndx, sh.sh_name) : NULL;
		if (!name || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_COMPRESSED))
			continue;
		if (unread_section(name, lines)) {
			sh.sh_type = SHT_NOBITS;
			gelf_update_shdr(scn, &sh);
		} else if (!strncmp(name, ".debug_", 7)) {
			struct inflated *in = inflate_section(elf, scn, &sh);
			if (in) {
				in->next = *bufs;
				*bufs = in;
			}
		}
	}
}

static void free_inflated(struct inflated *in)
{
	while (in) {
		struct inflated *next = in->next;
		free(in);
		in = next;
	}
}

/* The DWARF of the file at @path; the sections inflated for it go onto *@bufs. */
static Dwarf *dwarf_of(const char *path, int lines, int *fdp, Elf **elfp, void **bufs)
{
	int fd = hwt_open_regular(path);
	struct inflated *mine = NULL, *last;
	Elf *elf;
	Dwarf *dw;

	if (fd < 0)
		return NULL;
	/* Private: prepare_sections() changes sections in memory only. */
	elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	if (elf && elf_kind(elf) == ELF_K_ELF)
		prepare_sections(elf, lines, &mine);
	dw = elf && elf_kind(elf) == ELF_K_ELF ? dwarf_begin_elf(elf, DWARF_C_READ, NULL) : NULL;
	if (!dw) {
		elf_end(elf);
		close(fd);
		free_inflated(mine);
		return NULL;
	}
	for (last = mine; last && last->next; last = last->next)
		;
	if (last) {
		last->next = *bufs;
		*bufs = mine;
	}
	*fdp = fd;
	*elfp = elf;
	return dw;
}

/* The file's own DWARF, else the debug file named by its build id; once per file, and once more
 * if it was opened without its line tables and @lines asks for them. */
static Dwarf *file_dwarf(struct elf_file *f, int lines)
{
	char path[512];
	Elf *elf = NULL;
	Dwarf *dw;
	int fd;

	if (f->dwarf_state < 0 || (f->dwarf_state > 0 && (f->dwarf_lines || !lines)))
		return f->dwarf;
	if (!f->dwarf_state && (f->is_vdso || f->state != FILE_LOADED)) {
		f->dwarf_state = -1;
		return NULL;
	}
	dw = dwarf_of(f->path, lines, &fd, &elf, &f->dwarf_bufs);
	if (!dw &&
	    !hwt_symfile_debug_path(f->file_build_id, f->file_build_id_len, path, sizeof(path)))
		dw = dwarf_of(path, lines, &fd, &elf, &f->dwarf_bufs);
	if (!dw) {
		if (f->dwarf_state)
			f->dwarf_lines = -1; /* tried: the one without line tables it is */
		else
			f->dwarf_state = -1;
		return f->dwarf;
	}
	if (f->dwarf_state) {
		/* Names the lookups gave from the first stay valid: it lives as long as @f. */
		f->dwarf_old = f->dwarf;
		f->dwarf_old_elf = f->dwarf_elf;
		f->dwarf_old_fd = f->dwarf_fd;
	}
	f->dwarf = dw;
	f->dwarf_elf = elf;
	f->dwarf_fd = fd;
	f->dwarf_lines = lines;
	f->dwarf_state = 1;
	return dw;
}

/* What the function of @die is called: its linkage name (demangled later: C++ templates and
 * overloads told apart, as the symbol table names them), else its name. */
static const char *die_name(Dwarf_Die *die)
{
	Dwarf_Attribute a;
	const char *name = NULL;

	if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) ||
	    dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a))
		name = dwarf_formstring(&a);
	if (!name && dwarf_attr_integrate(die, DW_AT_name, &a))
		name = dwarf_formstring(&a);
	return name;
}

int hwt_symfile_inlined(struct elf_file *f, uint64_t vaddr, const char **names, int max)
{
	Dwarf *dw = file_dwarf(f, 0);
	Dwarf_Die cu, inner, *scopes = NULL;
	int i, n, k = 0;

	if (!dw || max <= 0 || !dwarf_addrdie(dw, vaddr, &cu))
		return 0;
	/* dwarf_getscopes() gives the innermost scope, then its abstract definition's: the
	 * chain of concrete scopes around it comes from dwarf_getscopes_die(). */
	n = dwarf_getscopes(&cu, vaddr, &scopes);
	if (n <= 0) {
		free(scopes);
		return 0;
	}
	inner = scopes[0];
	free(scopes);
	scopes = NULL;
	n = dwarf_getscopes_die(&inner, &scopes);
	for (i = 0; i < n && k < max; i++) {
		int tag = dwarf_tag(&scopes[i]);
		const char *name;

		if (tag == DW_TAG_subprogram)
			break; /* the function they were inlined into: the symbol's frame */
		if (tag != DW_TAG_inlined_subroutine)
			continue;
		name = die_name(&scopes[i]);
		if (name)
			names[k++] = name;
	}
	free(scopes);
	return k;
}

int hwt_symfile_source(struct elf_file *f, uint64_t vaddr, char *out, size_t len)
{
	Dwarf *dw = file_dwarf(f, 1);
	Dwarf_Die cu, *scopes = NULL;
	Dwarf_Attribute a;
	const char *file = NULL, *dir = NULL;

	if (!dw || !len || !dwarf_addrdie(dw, vaddr, &cu))
		return 0;
	int n = dwarf_getscopes(&cu, vaddr, &scopes);
	for (int i = 0; i < n && !file; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram)
			file = dwarf_decl_file(&scopes[i]);
	free(scopes);
	if (!file)
		file = dwarf_diename(&cu);
	if (!file)
		return 0;
	if (file[0] != '/' && dwarf_attr(&cu, DW_AT_comp_dir, &a))
		dir = dwarf_formstring(&a);
	snprintf(out, len, "%s%s%s", dir ? dir : "", dir ? "/" : "", file);
	return 1;
}

void hwt_symfile_dwarf_fini(struct elf_file *f)
{
	if (f->dwarf_state != 1)
		return;
	dwarf_end(f->dwarf);
	elf_end(f->dwarf_elf);
	close(f->dwarf_fd);
	if (f->dwarf_old) {
		dwarf_end(f->dwarf_old);
		elf_end(f->dwarf_old_elf);
		close(f->dwarf_old_fd);
	}
	free_inflated(f->dwarf_bufs);
	f->dwarf_bufs = NULL;
	f->dwarf = f->dwarf_old = NULL;
	f->dwarf_elf = f->dwarf_old_elf = NULL;
	f->dwarf_state = f->dwarf_lines = 0;
}

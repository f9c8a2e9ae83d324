/* The `watch` plugin's ELF side: a variable's symbol and initial bytes in a file, its address
 * in a process from /proc/PID/maps, and the value of its bytes by type. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "plugins/counters/watch.h"

#define WATCH_PAGE 4096ull

const char *const hwt_watch_type_names[] = {
	"u8", "u16", "u32", "u64", "i8", "i16", "i32", "i64", "f32", "f64", NULL,
};

size_t hwt_watch_type_size(int type)
{
	static const uint8_t sizes[HWT_WATCH_NTYPES] = { 1, 2, 4, 8, 1, 2, 4, 8, 4, 8 };

	return type >= 0 && type < HWT_WATCH_NTYPES ? sizes[type] : 0;
}

double hwt_watch_type_value(int type, const uint8_t *b)
{
	uint64_t u = 0;
	size_t n = hwt_watch_type_size(type);
	float f;
	double d;

	memcpy(&u, b, n); /* x86-64 and the files it runs are little-endian */
	switch (type) {
	case HWT_WATCH_I8:
		return (double)(int8_t)u;
	case HWT_WATCH_I16:
		return (double)(int16_t)u;
	case HWT_WATCH_I32:
		return (double)(int32_t)u;
	case HWT_WATCH_I64:
		return (double)(int64_t)u;
	case HWT_WATCH_F32:
		memcpy(&f, b, 4);
		return f;
	case HWT_WATCH_F64:
		memcpy(&d, b, 8);
		return d;
	default:
		return (double)u;
	}
}

/* The symbol @name of type object in section @scn of @e, into @sym. Returns 1 if found. */
static int find_in(Elf *e, Elf_Scn *scn, const char *name, GElf_Sym *sym)
{
	GElf_Shdr sh;
	Elf_Data *d;

	if (!scn || !gelf_getshdr(scn, &sh) || !sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
		return 0;
	size_t n = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getsym(d, (int)i, sym) || sym->st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(sym->st_info);
		if (type != STT_OBJECT && type != STT_COMMON)
			continue;
		const char *s = elf_strptr(e, sh.sh_link, sym->st_name);
		if (s && !strcmp(s, name))
			return 1;
	}
	return 0;
}

/* The section of type @type, NULL if none. */
static Elf_Scn *section_of_type(Elf *e, uint32_t type)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == type)
			return scn;
	return NULL;
}

/* The first bytes of the symbol's initial value, from its section. */
static void initial_bytes(Elf *e, int fd, const GElf_Sym *sym, struct hwt_watch_sym *s)
{
	GElf_Shdr sh;
	Elf_Scn *scn = sym->st_shndx < SHN_LORESERVE ? elf_getscn(e, sym->st_shndx) : NULL;

	memset(s->init, 0, sizeof(s->init));
	s->nobits = 1;
	if (!scn || !gelf_getshdr(scn, &sh) || sh.sh_type == SHT_NOBITS)
		return;
	s->nobits = 0;
	uint64_t n = sym->st_size < sizeof(s->init) ? sym->st_size : sizeof(s->init);
	if (sym->st_value >= sh.sh_addr && sym->st_value + n <= sh.sh_addr + sh.sh_size &&
	    pread(fd, s->init, n, (off_t)(sh.sh_offset + sym->st_value - sh.sh_addr)) != (ssize_t)n)
		memset(s->init, 0, sizeof(s->init));
}

/* The first loadable segment: where the load bias is read. Returns 0 or HWT_E_ELF. */
static int first_load(Elf *e, struct hwt_watch_sym *s)
{
	size_t n;
	GElf_Phdr ph;

	if (elf_getphdrnum(e, &n))
		return HWT_E_ELF;
	for (size_t i = 0; i < n; i++) {
		if (!gelf_getphdr(e, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		s->base_vaddr = ph.p_vaddr & ~(WATCH_PAGE - 1);
		s->base_offset = ph.p_offset & ~(WATCH_PAGE - 1);
		return 0;
	}
	return HWT_E_ELF;
}

int hwt_watch_sym_find(const char *path, const char *name, struct hwt_watch_sym *s, char *why,
		       size_t whylen)
{
	GElf_Ehdr eh;
	GElf_Sym sym;
	int err = 0;

	memset(s, 0, sizeof(*s));
	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, whylen, "cannot open '%s': %s", path, strerror(errno));
		return HWT_E_NOENT;
	}
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || eh.e_machine != EM_X86_64 ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || first_load(e, s)) {
		snprintf(why, whylen, "'%s' is not an x86-64 executable or shared library", path);
		err = HWT_E_ELF;
	} else if (!find_in(e, section_of_type(e, SHT_SYMTAB), name, &sym) &&
		   !find_in(e, section_of_type(e, SHT_DYNSYM), name, &sym)) {
		snprintf(why, whylen, "no variable '%s' in '%s' (its .symtab and .dynsym)", name,
			 path);
		err = HWT_E_NOENT;
	} else {
		s->vaddr = sym.st_value;
		s->size = sym.st_size;
		s->pie = eh.e_type == ET_DYN;
		initial_bytes(e, fd, &sym, s);
	}
	elf_end(e);
	close(fd);
	return err;
}

int hwt_watch_file_segments(const char *path, struct hwt_watch_seg *segs, size_t max)
{
	size_t n = 0, k = 0;
	GElf_Phdr ph;
	int err = 0;

	elf_version(EV_CURRENT);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return HWT_E_NOENT;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF || elf_getphdrnum(e, &n))
		err = HWT_E_ELF;
	for (size_t i = 0; !err && i < n && k < max; i++)
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
			segs[k++] = (struct hwt_watch_seg){ ph.p_offset, ph.p_filesz, ph.p_vaddr };
	elf_end(e);
	close(fd);
	return err ? err : (int)k;
}

int hwt_watch_seg_vaddr(const struct hwt_watch_seg *segs, size_t n, uint64_t off, uint64_t *vaddr)
{
	for (size_t i = 0; i < n; i++)
		if (off >= segs[i].offset && off < segs[i].offset + segs[i].filesz) {
			*vaddr = off - segs[i].offset + segs[i].vaddr;
			return 0;
		}
	return HWT_E_NOENT;
}

int hwt_watch_map_parse(char *line, struct hwt_watch_map *m)
{
	char perms[8];
	int pos = 0;

	memset(m, 0, sizeof(*m));
	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %x:%x %" SCNu64 " %n", &m->start,
		   &m->end, perms, &m->pgoff, &m->major, &m->minor, &m->ino, &pos) < 7)
		return HWT_E_INVAL;
	m->writable = perms[1] == 'w';
	char *p = line + pos;
	p[strcspn(p, "\n")] = 0;
	m->path = p;
	return 0;
}

int hwt_watch_lib_match(const char *path, const char *lib)
{
	if (strchr(lib, '/'))
		return !strcmp(path, lib);
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(lib);
	return !strncmp(base, lib, n) && (!base[n] || base[n] == '.' || base[n] == '-');
}

uint64_t hwt_watch_sym_addr(const struct hwt_watch_sym *s, const struct hwt_watch_map *m)
{
	if (m->pgoff != s->base_offset)
		return 0;
	if (!s->pie)
		return s->vaddr;
	return m->start - s->base_vaddr + s->vaddr;
}

/* The PT_INTERP of @prog into @interp; 0, or -1 if it has none. */
static int interp_of(const char *prog, char *interp, size_t len)
{
	size_t n = 0;
	GElf_Phdr ph;
	int rc = -1;

	elf_version(EV_CURRENT);
	int fd = open(prog, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	if (e && elf_kind(e) == ELF_K_ELF && !elf_getphdrnum(e, &n))
		for (size_t i = 0; i < n && rc; i++)
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP &&
			    ph.p_filesz < len &&
			    pread(fd, interp, ph.p_filesz, (off_t)ph.p_offset) ==
				    (ssize_t)ph.p_filesz) {
				interp[ph.p_filesz] = 0;
				rc = 0;
			}
	elf_end(e);
	close(fd);
	return rc;
}

/* The address of the loader's _r_debug in process @pid, 0 while the loader is not mapped. */
static uint64_t r_debug_addr(int pid, const struct hwt_watch_loader *ld)
{
	char path[64], line[4352];
	struct hwt_watch_map m;
	uint64_t addr = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "r");
	while (f && !addr && fgets(line, sizeof(line), f))
		if (!hwt_watch_map_parse(line, &m) && m.ino == ld->ino &&
		    makedev(m.major, m.minor) == ld->dev)
			addr = hwt_watch_sym_addr(&ld->r_debug, &m);
	if (f)
		fclose(f);
	return addr;
}

int hwt_watch_loader_idle(int pid, const char *prog, struct hwt_watch_loader *ld)
{
	char interp[4096], why[256];
	struct stat st;
	int32_t r[8];

	if (!ld->state) {
		ld->state = -1;
		if (interp_of(prog, interp, sizeof(interp)) || stat(interp, &st) ||
		    hwt_watch_sym_find(interp, "_r_debug", &ld->r_debug, why, sizeof(why)))
			return 1; /* static, or a loader without _r_debug: nothing to wait for */
		ld->state = 1;
		ld->dev = st.st_dev;
		ld->ino = st.st_ino;
	}
	if (ld->state < 0)
		return 1;
	if (!ld->addr && !(ld->addr = r_debug_addr(pid, ld)))
		return 0;
	/* struct r_debug: int r_version; link_map *r_map; r_brk; enum r_state (at 24). */
	struct iovec l = { r, 28 }, rv = { (void *)ld->addr, 28 };
	if (process_vm_readv(pid, &l, 1, &rv, 1, 0) != 28)
		return 0;
	return r[0] >= 1 && r[6] == 0; /* RT_CONSISTENT */
}

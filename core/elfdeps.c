/* DT_NEEDED of an ELF file and the loader's search for each (libelf). */
#include "elfdeps.h"

#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "util.h"
#include "core/openfile.h"

#define MAX_DIRS 64

/* A list of directories to search, in order. */
struct dirs {
	char *d[MAX_DIRS];
	int n;
};

static void add_dir(struct dirs *ds, const char *d, size_t len, const char *origin)
{
	char buf[4096];

	if (!len || ds->n == MAX_DIRS)
		return;
	if (len >= 7 && !strncmp(d, "$ORIGIN", 7))
		snprintf(buf, sizeof(buf), "%s%.*s", origin, (int)(len - 7), d + 7);
	else if (len >= 9 && !strncmp(d, "${ORIGIN}", 9))
		snprintf(buf, sizeof(buf), "%s%.*s", origin, (int)(len - 9), d + 9);
	else
		snprintf(buf, sizeof(buf), "%.*s", (int)len, d);
	ds->d[ds->n] = strdup(buf);
	ds->n += ds->d[ds->n] != NULL;
}

/* Adds each directory of the ':'-separated @list. */
static void add_list(struct dirs *ds, const char *list, const char *origin)
{
	while (list && *list) {
		size_t len = strcspn(list, ":");
		add_dir(ds, list, len, origin);
		list += len + (list[len] == ':');
	}
}

/* The directories of an ld.so.conf file, following its include lines (depth-limited). */
static void add_conf(struct dirs *ds, const char *file, int depth)
{
	FILE *f = depth < 4 ? fopen(file, "re") : NULL;
	char line[4096];

	while (f && fgets(line, sizeof(line), f)) {
		char *s = line + strspn(line, " \t");
		s[strcspn(s, "#\r\n")] = 0;
		size_t len = strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			s[--len] = 0;
		if (!strncmp(s, "include", 7) && (s[7] == ' ' || s[7] == '\t')) {
			glob_t g;
			if (!glob(s + 8 + strspn(s + 8, " \t"), 0, NULL, &g))
				for (size_t i = 0; i < g.gl_pathc; i++)
					add_conf(ds, g.gl_pathv[i], depth + 1);
			globfree(&g);
		} else if (s[0] == '/') {
			add_dir(ds, s, len, "");
		}
	}
	if (f)
		fclose(f);
}

/* The first @dir/@name that is an ELF file of @cls, into @out. */
static int find_in(const struct dirs *ds, const char *name, int cls, char *out, size_t len)
{
	for (int i = 0; i < ds->n; i++) {
		snprintf(out, len, "%s/%s", ds->d[i], name);
		int fd = hwt_open_regular(out);
		unsigned char id[EI_NIDENT];
		int ok = fd >= 0 && read(fd, id, sizeof(id)) == (ssize_t)sizeof(id) &&
			 !memcmp(id, ELFMAG, SELFMAG) && id[EI_CLASS] == cls;
		if (fd >= 0)
			close(fd);
		if (ok)
			return 1;
	}
	return 0;
}

static void free_dirs(struct dirs *ds)
{
	for (int i = 0; i < ds->n; i++)
		free(ds->d[i]);
	ds->n = 0;
}

/* The string of dynamic entry @e, or NULL. */
static const char *dyn_str(Elf *elf, size_t strndx, const GElf_Dyn *e)
{
	return elf_strptr(elf, strndx, (size_t)e->d_un.d_val);
}

/* Fills @ds in the loader's order: DT_RPATH (only without DT_RUNPATH), LD_LIBRARY_PATH,
 * DT_RUNPATH, ld.so.conf, the defaults. Returns the dynamic section, or NULL. */
static Elf_Scn *search_dirs(Elf *elf, const char *origin, struct dirs *ds, size_t *strndx)
{
	const char *rpath = NULL, *runpath = NULL;
	Elf_Scn *dyn = NULL;

	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC) {
			dyn = scn;
			*strndx = sh.sh_link;
		}
	}
	Elf_Data *d = dyn ? elf_getdata(dyn, NULL) : NULL;
	GElf_Dyn e;
	for (int i = 0; d && gelf_getdyn(d, i, &e) && e.d_tag != DT_NULL; i++) {
		if (e.d_tag == DT_RPATH)
			rpath = dyn_str(elf, *strndx, &e);
		else if (e.d_tag == DT_RUNPATH)
			runpath = dyn_str(elf, *strndx, &e);
	}
	if (!runpath)
		add_list(ds, rpath, origin);
	add_list(ds, getenv("LD_LIBRARY_PATH"), origin);
	add_list(ds, runpath, origin);
	add_conf(ds, "/etc/ld.so.conf", 0);
	add_list(ds, "/lib64:/usr/lib64:/lib:/usr/lib", origin);
	return dyn;
}

int hwt_elf_needed(const char *path, int (*fn)(const char *name, const char *found, void *ctx),
		   void *ctx, char *why, size_t whylen)
{
	char origin[4096], found[4096];
	struct dirs ds = { 0 };
	size_t strndx = 0;
	int n = 0, ret = 0;

	elf_version(EV_CURRENT);
	int fd = hwt_open_regular(path);
	if (fd < 0)
		return hwt_fail(why, whylen, HWT_E_NOENT, "cannot open '%s': %m", path);
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return hwt_fail(why, whylen, HWT_E_ELF, "'%s' is not an ELF file", path);
	}
	snprintf(origin, sizeof(origin), "%s", path);
	char *real = realpath(path, NULL);
	snprintf(origin, sizeof(origin), "%s", dirname(real ? real : origin));
	free(real);
	int cls = gelf_getclass(elf);
	Elf_Scn *dyn = search_dirs(elf, origin, &ds, &strndx);
	Elf_Data *d = dyn ? elf_getdata(dyn, NULL) : NULL;
	GElf_Dyn e;
	for (int i = 0; !ret && d && gelf_getdyn(d, i, &e) && e.d_tag != DT_NULL; i++) {
		const char *name = e.d_tag == DT_NEEDED ? dyn_str(elf, strndx, &e) : NULL;
		if (!name)
			continue;
		int ok = strchr(name, '/') ? !access(name, R_OK)
					   : find_in(&ds, name, cls, found, sizeof(found));
		n++;
		ret = fn(name, ok ? (strchr(name, '/') ? name : found) : NULL, ctx);
	}
	free_dirs(&ds);
	elf_end(elf);
	close(fd);
	return ret ? ret : n;
}

int hwt_elf_is_library(const char *path)
{
	int fd = hwt_open_regular(path), lib = 0;
	Elf *elf = fd >= 0 ? (elf_version(EV_CURRENT), elf_begin(fd, ELF_C_READ_MMAP, NULL)) : NULL;
	GElf_Ehdr eh;

	if (elf && elf_kind(elf) == ELF_K_ELF && gelf_getehdr(elf, &eh) && eh.e_type == ET_DYN) {
		size_t n = 0;
		lib = 1;
		if (!elf_getphdrnum(elf, &n))
			for (size_t i = 0; i < n && lib; i++) {
				GElf_Phdr ph;
				lib = !(gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_INTERP);
			}
	}
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return lib;
}

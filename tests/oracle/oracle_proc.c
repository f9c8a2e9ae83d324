/* The oracle's view of the traced process: /proc/PID/maps, and the ELF files behind the
 * executable mappings with the load bias `hwtrace import --image PATH@BIAS` takes. */
#include <elf.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oracle.h"

static void map_free(struct orc_map *m)
{
	free(m->path);
}

/* Adds @nm (its path owned by @m from now on), dropping what it overlaps unless it is the same
 * mapping, which keeps its "used" flag. */
static int maps_add(struct orc_maps *m, struct orc_map *nm)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		struct orc_map *o = &m->v[i];

		if (o->start == nm->start && o->end == nm->end && o->pgoff == nm->pgoff &&
		    !strcmp(o->path, nm->path) && !strcmp(o->perms, nm->perms)) {
			map_free(nm);
			return 0;
		}
	}
	for (i = j = 0; i < m->n; i++) {
		if (m->v[i].start < nm->end && nm->start < m->v[i].end)
			map_free(&m->v[i]);
		else
			m->v[j++] = m->v[i];
	}
	m->n = j;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct orc_map *v = realloc(m->v, cap * sizeof(*v));

		if (!v)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = *nm;
	return 0;
}

int orc_maps_read(struct orc_maps *m, int pid)
{
	char path[64], line[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "r");
	if (!f) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct orc_map nm = { 0 };
		char *name = NULL;
		int at = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %*s %*s %n", &nm.start,
			   &nm.end, nm.perms, &nm.pgoff, &at) < 4)
			continue;
		name = at > 0 ? line + at : line + strlen(line);
		nm.path = strdup(name);
		if (!nm.path || maps_add(m, &nm)) {
			free(nm.path);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

struct orc_map *orc_maps_find(struct orc_maps *m, uint64_t addr)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		if (addr >= m->v[i].start && addr < m->v[i].end && m->v[i].perms[2] == 'x')
			return &m->v[i];
	return NULL;
}

void orc_maps_fini(struct orc_maps *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		map_free(&m->v[i]);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* The program headers of the 64-bit ELF file @path, malloc'ed into *@ph. Returns their number,
 * or -1. */
static int elf_phdrs(const char *path, Elf64_Phdr **ph)
{
	Elf64_Ehdr eh;
	int fd = open(path, O_RDONLY | O_CLOEXEC), n = -1;
	size_t size;

	*ph = NULL;
	if (fd < 0)
		return -1;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr))
		goto out;
	size = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	*ph = malloc(size ? size : 1);
	if (!*ph || pread(fd, *ph, size, (off_t)eh.e_phoff) != (ssize_t)size) {
		free(*ph);
		*ph = NULL;
		goto out;
	}
	n = eh.e_phnum;
out:
	close(fd);
	return n;
}

int orc_elf_bias(const char *path, const struct orc_map *map, uint64_t *bias)
{
	Elf64_Phdr *ph;
	int i, n = elf_phdrs(path, &ph), rc = -1;

	for (i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		uint64_t lo = p->p_offset & ~0xfffull;

		if (p->p_type != PT_LOAD || map->pgoff < lo ||
		    map->pgoff >= p->p_offset + p->p_filesz)
			continue;
		/* File offset p_offset sits at start + (p_offset - pgoff) and at p_vaddr + bias. */
		*bias = map->start + p->p_offset - map->pgoff - p->p_vaddr;
		rc = 0;
		break;
	}
	free(ph);
	return rc;
}

int orc_elf_exec_segments(const char *path,
			  int (*fn)(uint64_t off, uint64_t size, uint64_t vaddr, void *ctx),
			  void *ctx)
{
	Elf64_Phdr *ph;
	int i, n = elf_phdrs(path, &ph), rc = n < 0 ? -1 : 0;

	for (i = 0; i < n && !rc; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X))
			rc = fn(ph[i].p_offset, ph[i].p_filesz, ph[i].p_vaddr, ctx);
	free(ph);
	return rc;
}

/* The process images the Intel PT decoder walks: a master image of each process, built on the
 * main thread from the symbolizer's mappings, and each worker's own libipt copy of it, with the
 * vdso read from this process' own. */
#include "pt_decode.h"

#include <stdlib.h>
#include <string.h>

/* Adds mapping @mi to the master image @ctx (a struct pt_pimage). */
static int add_map(const struct hwt_map_info *mi, void *ctx)
{
	struct pt_pimage *pi = ctx;

	if (!strcmp(mi->path, "[vdso]")) {
		pi->vdso_start = mi->start;
		pi->vdso_end = mi->end;
		return 0;
	}
	if (mi->path[0] != '/' || mi->end <= mi->start)
		return 0;
	if (pi->nsecs == pi->cap_secs) {
		size_t cap = pi->cap_secs ? 2 * pi->cap_secs : 16;
		struct pt_psec *ns = realloc(pi->secs, cap * sizeof(*ns));
		if (!ns)
			return HWT_E_NOMEM;
		pi->secs = ns;
		pi->cap_secs = cap;
	}
	char *path = strdup(mi->path);
	if (!path)
		return HWT_E_NOMEM;
	pi->secs[pi->nsecs++] = (struct pt_psec){
		.path = path, .off = mi->pgoff, .size = mi->end - mi->start, .vaddr = mi->start
	};
	return 0;
}

void hwt_pt_pimage_fini(struct pt_pimage *pi)
{
	while (pi->nsecs)
		free(pi->secs[--pi->nsecs].path);
	free(pi->secs);
	pi->secs = NULL;
	pi->cap_secs = 0;
}

static struct pt_pimage *find_master(struct ptdec *pd, uint32_t pid)
{
	for (size_t i = 0; i < pd->npimg; i++)
		if (pd->pimg[i].pid == pid)
			return &pd->pimg[i];
	return NULL;
}

int hwt_pt_master_stale(struct ptdec *pd, uint32_t pid)
{
	struct pt_pimage *pi = find_master(pd, pid);
	return !pi || pi->symgen != hwt_symbolizer_generation(pd->d->sym, pid);
}

struct pt_pimage *hwt_pt_master_image(struct ptdec *pd, uint32_t pid)
{
	struct pt_pimage *pi = find_master(pd, pid);
	uint64_t gen = hwt_symbolizer_generation(pd->d->sym, pid);

	if (pi && pi->symgen == gen)
		return pi;
	if (!pi) {
		struct pt_pimage *np = realloc(pd->pimg, (pd->npimg + 1) * sizeof(*np));
		if (!np)
			return NULL;
		pd->pimg = np;
		pi = &pd->pimg[pd->npimg++];
		*pi = (struct pt_pimage){ .pid = pid };
	}
	hwt_pt_pimage_fini(pi);
	pi->symgen = gen;
	pi->version = ++pd->img_version;
	pi->vdso_start = pi->vdso_end = 0;
	if (hwt_symbolizer_foreach_map(pd->d->sym, pid, add_map, pi) < 0)
		return NULL;
	return pi;
}

int hwt_pt_vdso_read(uint8_t *buffer, size_t size, const struct pt_asid *asid, uint64_t ip,
		     void *ctx)
{
	const struct vdso_range *r = ctx;
	const uint8_t *image;
	size_t n = hwt_vdso_image(&image);

	if (!r || ip < r->start || ip >= r->end || !n || ip - r->start >= n)
		return -pte_nomap;
	size_t off = (size_t)(ip - r->start), k = n - off < size ? n - off : size;
	memcpy(buffer, image + off, k);
	return (int)k;
}

struct pt_wimage *hwt_pt_worker_image(struct ptdec *pd, struct pt_worker *w, uint32_t pid)
{
	struct pt_pimage *m = find_master(pd, pid);
	struct pt_wimage *cur = NULL;

	if (!m)
		return NULL;
	for (size_t i = 0; i < w->nimages; i++)
		if (w->images[i].pid == pid && w->images[i].current)
			cur = &w->images[i];
	if (cur && cur->version == m->version)
		return cur;
	size_t icur = cur ? (size_t)(cur - w->images) : 0;

	if (HWT_ARRAY_GROW(w->images, &w->cap_images, w->nimages + 1))
		return NULL;
	if (cur)
		cur = &w->images[icur];
	struct pt_wimage *wi = &w->images[w->nimages];
	*wi = (struct pt_wimage){ .pid = pid, .version = m->version, .current = 1 };
	wi->img = pt_image_alloc(NULL);
	wi->vdso = malloc(sizeof(*wi->vdso));
	if (!wi->img || !wi->vdso) {
		pt_image_free(wi->img);
		free(wi->vdso);
		return NULL;
	}
	for (size_t i = 0; i < m->nsecs; i++) {
		const struct pt_psec *sec = &m->secs[i];
		/* A file that is gone cannot be decoded: its code shows as lost trace. */
		int isid = pt_iscache_add_file(w->isc, sec->path, sec->off, sec->size, sec->vaddr);
		if (isid > 0)
			pt_image_add_cached(wi->img, w->isc, isid, NULL);
	}
	*wi->vdso = (struct vdso_range){ m->vdso_start, m->vdso_end };
	pt_image_set_callback(wi->img, hwt_pt_vdso_read, wi->vdso);
	if (cur)
		cur->current = 0;
	w->nimages++;
	return wi;
}

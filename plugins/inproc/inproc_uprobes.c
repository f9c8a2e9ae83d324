/* The uprobe half of the inproc tracer: functions the patcher refused (and every function of a
 * static program, where nothing can be preloaded) traced with plugins/uprobe's BPF programs,
 * their records encoded into the same stream as the patched ones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#include "core/elffuncs.h"
#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"
#include "core/progapi.h"
#include "hwtrace/error.h"
#include "inproc_plugin.h"
#include "plugins/uprobe/uprobe_bpf.h"

#define IP_BPF_RING (16u << 20)

/* What to attach in one file: functions by ELF address (@vaddrs, @ids), or by the selection
 * (@pats) with ids handed out here. */
struct want {
	struct ip_state *s;
	const char *path;
	const uint32_t *ids;
	const uint64_t *vaddrs;
	size_t n;
	const struct hwt_inproc_pattern *pats;
	size_t npats;
	int main_filtered;
	int ret_sites;
	struct hwt_bpf_probes entry, ret;
	struct hwt_uprobe_table table;
	uint32_t *next_id;
	size_t found;
};

static int add_func(struct want *w, const struct hwt_elf_func *f, uint32_t id)
{
	int err = hwt_bpf_probes_add(&w->entry, f->entry_offset, id);
	if (!err && !w->ret_sites)
		err = hwt_bpf_probes_add(&w->ret, f->offset,
					 hwt_uprobe_cookie(id, HWT_UPROBE_RETURN));
	for (size_t i = 0; w->ret_sites && i < f->nret_sites && !err; i++)
		err = hwt_bpf_probes_add(
			&w->ret, f->ret_sites[i],
			hwt_uprobe_cookie(id, HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE));
	if (!err && w->next_id)
		err = hwt_uprobe_table_add(&w->table, id, f->vaddr, f->size, f->flags, f->name);
	w->found += !err;
	return err;
}

static int want_func(const struct hwt_elf_func *f, void *ctx)
{
	struct want *w = ctx;

	if (w->next_id) {
		if (!f->size || !hwt_inproc_chosen(w->pats, w->npats, w->main_filtered, w->path, 1,
						   f->name, f->demangled, NULL))
			return 0;
		return add_func(w, f, __atomic_fetch_add(w->next_id, 1, __ATOMIC_RELAXED));
	}
	for (size_t i = 0; i < w->n; i++) /* few: the functions the patcher refused */
		if (w->vaddrs[i] == f->vaddr)
			return add_func(w, f, w->ids[i]);
	return 0;
}

/* Walks @w->path for what @w wants and attaches it. Returns the functions attached or an
 * error (the host's error set). */
static int attach(struct want *w)
{
	struct ip_state *s = w->s;
	char why[512];
	int err = 0;

	if (!s->bpf) {
		s->bpf = hwt_bpf_uprobes_open_except(IP_BPF_RING, (uint32_t)getpid(), &err, why,
						     sizeof(why));
		if (!s->bpf) {
			hwt_host_set_error(s->h, "uprobes: %s", why);
			return err < 0 ? err : HWT_E_NOTSUP;
		}
	}
	/* A uretprobe hides the return address from the unwinder: where exceptions are thrown,
	 * returns are caught on each ret instruction instead. */
	w->ret_sites = hwt_elf_uses_exceptions(w->path);
	err = hwt_uprobe_table_begin(&w->table, w->path);
	if (!err) {
		unsigned opt = w->ret_sites ? HWT_ELF_RET_SITES : 0;
		/* By address: an IFUNC's implementation may have no symbol (a stripped library). */
		err = w->next_id ? hwt_elf_functions(w->path, opt, want_func, w, why, sizeof(why))
				 : hwt_elf_functions_at(w->path, w->vaddrs, w->n, opt, want_func, w,
							why, sizeof(why));
		if (err < 0 && err != HWT_E_NOMEM)
			hwt_host_set_error(s->h, "uprobes: %s", why);
	}
	if (err >= 0 && w->found && w->next_id)
		err = hwt_host_write_chunk(s->h, HWT_INPROC_SOURCE, w->table.data, w->table.len);
	if (err >= 0 && w->entry.n)
		err = hwt_bpf_uprobes_attach_probes(s->bpf, w->path, w->entry.off, w->entry.cookie,
						    w->entry.n, 0, why, sizeof(why));
	if (err >= 0 && w->ret.n)
		err = hwt_bpf_uprobes_attach_probes(s->bpf, w->path, w->ret.off, w->ret.cookie,
						    w->ret.n, !w->ret_sites, why, sizeof(why));
	if (err < 0 && err != HWT_E_NOMEM && !hwt_host_error(s->h)[0])
		hwt_host_set_error(s->h, "uprobes on %s: %s", w->path, why);
	hwt_bpf_probes_fini(&w->entry);
	hwt_bpf_probes_fini(&w->ret);
	hwt_uprobe_table_fini(&w->table);
	if (err < 0)
		return err;
	s->nuprobe += w->found;
	return (int)w->found;
}

/* Whether the function at @vaddr of the file @st is probed already (another image of the same
 * program, exec'ed again: its hits come with the first image's id, the same function); else
 * remembers it. */
static int probed_already(struct ip_state *s, const struct stat *st, uint64_t vaddr)
{
	for (size_t i = 0; i < s->nprobed; i++)
		if (s->probed[i].dev == st->st_dev && s->probed[i].ino == st->st_ino &&
		    s->probed[i].vaddr == vaddr)
			return 1;
	if (!HWT_ARRAY_GROW(s->probed, &s->cap_probed, s->nprobed + 1))
		s->probed[s->nprobed++] =
			(struct ip_probed){ .dev = st->st_dev, .ino = st->st_ino, .vaddr = vaddr };
	return 0;
}

int ip_uprobes_attach(struct ip_state *s, const char *path, const uint32_t *ids,
		      const uint64_t *vaddrs, size_t n)
{
	struct stat st;
	uint32_t *nids = malloc((n ? n : 1) * sizeof(*nids));
	uint64_t *nv = malloc((n ? n : 1) * sizeof(*nv));
	size_t k = 0;
	int err = HWT_E_NOMEM;

	if (nids && nv && !stat(path, &st)) {
		for (size_t i = 0; i < n; i++)
			if (!probed_already(s, &st, vaddrs[i])) {
				nids[k] = ids[i];
				nv[k++] = vaddrs[i];
			}
		struct want w = { .s = s, .path = path, .ids = nids, .vaddrs = nv, .n = k };
		err = k ? attach(&w) : 0;
	} else if (nids && nv) {
		hwt_host_set_error(s->h, "uprobes: cannot read %s", path);
		err = HWT_E_NOENT;
	}
	free(nids);
	free(nv);
	return err;
}

int ip_uprobes_static(struct ip_state *s, const char *path, const void *pats, size_t npats,
		      int main_filtered)
{
	/* The ids come from the config the runtime would use: none runs to take any. */
	static uint32_t next = 1u << 23;
	struct want w = { .s = s,
			  .path = path,
			  .pats = pats,
			  .npats = npats,
			  .main_filtered = main_filtered,
			  .next_id = &next };
	int n = attach(&w);

	if (n == 0) {
		hwt_host_set_error(s->h,
				   "inproc: %s is statically linked and no function of it "
				   "matches the selection",
				   path);
		return HWT_E_INVAL;
	}
	return n;
}

static int encode(const struct hwt_uprobe_rec *r, void *ctx)
{
	struct ip_state *s = ctx;

	return ip_encode(s, r->pid, r->tid,
			 r->flags & HWT_UPROBE_RETURN ? HWT_INPROC_RETURN : HWT_INPROC_ENTRY,
			 r->cookie, r->ts);
}

int ip_uprobes_poll(struct ip_state *s)
{
	if (!s->bpf)
		return 0;
	int n = hwt_bpf_uprobes_consume(s->bpf, encode, s);
	return n < 0 ? n : 0;
}

void ip_uprobes_close(struct ip_state *s)
{
	free(s->probed);
	s->probed = NULL;
	s->nprobed = s->cap_probed = 0;
	if (!s->bpf)
		return;
	hwt_host_count_lost(s->h, hwt_bpf_uprobes_lost(s->bpf));
	hwt_bpf_uprobes_detach_background(s->bpf);
	hwt_bpf_uprobes_close(s->bpf);
	s->bpf = NULL;
}

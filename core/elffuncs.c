/* Function symbols of an ELF file (libelf) and the placement of uprobes on them. */
#include "elffuncs.h"

#include <errno.h>
#include <fcntl.h>
#include <capstone.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "util.h"
#include "core/openfile.h"

char *__cxa_demangle(const char *mangled, char *out, size_t *len, int *status);

struct fsym {
	const char *name;
	uint64_t vaddr, size, offset;
	int bind_rank;	 /* 0 global, 1 weak, 2 local: the name an address keeps */
	int underscores; /* leading ones: "free" is preferred to "__libc_free" */
	uint32_t index;	 /* in the symbol table: the last tie-break */
	uint32_t flags;	 /* HWT_FUNC_IFUNC */
	int64_t cold;	 /* the first .cold piece of this function (-1: none); of a piece: the
			    next piece of its parent, and is_cold is set */
	int is_cold;
};

static int by_addr(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;
	if (x->vaddr != y->vaddr)
		return x->vaddr < y->vaddr ? -1 : 1;
	if (x->bind_rank != y->bind_rank)
		return x->bind_rank - y->bind_rank;
	if (x->underscores != y->underscores)
		return x->underscores - y->underscores;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int by_vaddr(const void *a, const void *b)
{
	const struct fsym *x = a, *y = b;
	return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Length of the name of the function @name is a `.cold` piece of ("f.cold", "f.cold.3"), or 0
 * if it is none. */
static size_t cold_parent_len(const char *name)
{
	const char *c = strstr(name, ".cold");
	while (c) {
		const char *t = c + 5;
		if (*t == '.')
			for (t++; *t >= '0' && *t <= '9'; t++)
				;
		if (!*t && c != name)
			return (size_t)(c - name);
		c = strstr(c + 1, ".cold");
	}
	return 0;
}

int hwt_uprobe_emulated(const uint8_t *c, size_t len)
{
	if (!len)
		return 0;
	if (c[0] >= 0x50 && c[0] <= 0x57) /* push %reg */
		return 1;
	if (len >= 2 && c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57) /* push %r8..%r15 */
		return 1;
	if (c[0] == 0x90 || c[0] == 0xe8 || c[0] == 0xe9 || c[0] == 0xeb) /* nop, call, jmp */
		return 1;
	if (len >= 2 && c[0] == 0x66 && c[1] == 0x90) /* xchg %ax,%ax */
		return 1;
	if (len >= 5 && !memcmp(c, "\x0f\x1f\x44\x00\x00", 5)) /* nopl 0(%rax,%rax,1) */
		return 1;
	if (len >= 2 && c[0] == 0x0f && c[1] >= 0x80 && c[1] <= 0x8f) /* jcc rel32 */
		return 1;
	if (c[0] >= 0x70 && c[0] <= 0x7f) /* jcc rel8 */
		return 1;
	return 0;
}

static int bind_rank(unsigned char bind)
{
	return bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
}

/* Symbols of one table that name code: functions with a size in executable sections. */
static int collect(Elf *elf, Elf_Scn *tab, struct fsym **out, size_t *n, size_t *cap)
{
	GElf_Shdr sh;
	Elf_Data *data = elf_getdata(tab, NULL);

	if (!gelf_getshdr(tab, &sh) || !data || !sh.sh_entsize)
		return 0;
	size_t count = sh.sh_size / sh.sh_entsize;
	for (size_t i = 0; i < count; i++) {
		GElf_Sym sym;
		GElf_Shdr ssh;
		if (!gelf_getsym(data, (int)i, &sym))
			continue;
		unsigned type = GELF_ST_TYPE(sym.st_info);
		if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym.st_size ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
			continue;
		Elf_Scn *scn = elf_getscn(elf, sym.st_shndx);
		if (!scn || !gelf_getshdr(scn, &ssh) || !(ssh.sh_flags & SHF_EXECINSTR) ||
		    ssh.sh_type != SHT_PROGBITS || sym.st_value < ssh.sh_addr ||
		    sym.st_value - ssh.sh_addr >= ssh.sh_size)
			continue;
		const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
		if (!name || !*name)
			continue;
		if (*n == *cap) {
			size_t nc = *cap ? *cap * 2 : 256;
			struct fsym *ns = realloc(*out, nc * sizeof(*ns));
			if (!ns)
				return HWT_E_NOMEM;
			*out = ns;
			*cap = nc;
		}
		size_t us = strspn(name, "_");
		(*out)[(*n)++] = (struct fsym){
			.name = name,
			.vaddr = sym.st_value,
			.size = sym.st_size,
			.offset = sym.st_value - ssh.sh_addr + ssh.sh_offset,
			.bind_rank = bind_rank(GELF_ST_BIND(sym.st_info)),
			.underscores = us > 8 ? 8 : (int)us,
			.index = (uint32_t)i,
			.flags = type == STT_GNU_IFUNC ? HWT_FUNC_IFUNC : 0,
			.cold = -1,
			.is_cold = cold_parent_len(name) != 0,
		};
	}
	return 0;
}

/* Addresses [lo, hi): a function's code, or one of its .cold pieces. */
struct range {
	uint64_t lo, hi;
};

static int inside(const struct range *r, size_t n, uint64_t a)
{
	for (size_t i = 0; i < n; i++)
		if (a >= r[i].lo && a < r[i].hi)
			return 1;
	return 0;
}

/* Where a function gives its frame back, as hwt_elf_func has it. */
struct sites {
	uint64_t *at, *target; /* parallel: file offset, tail jump target (0: a ret) */
	size_t n, cap, cap_target;
};

/* Appends to @out where the @size bytes at @code (at @vaddr, file offset @offset) give the frame
 * back: every ret, and every jump that leaves the function's code @own (a tail call). */
static int ret_sites(csh cs, const uint8_t *code, uint64_t size, uint64_t vaddr, uint64_t offset,
		     const struct range *own, size_t nown, struct sites *out)
{
	cs_insn *insn = NULL;
	size_t count = cs_disasm(cs, code, size, vaddr, 0, &insn);
	int err = 0;

	for (size_t i = 0; i < count && !err; i++) {
		int site = insn[i].id == X86_INS_RET || insn[i].id == X86_INS_RETF;
		uint64_t target = 0;
		if (insn[i].id == X86_INS_JMP && !strncmp(insn[i].op_str, "0x", 2)) {
			target = strtoull(insn[i].op_str, NULL, 16);
			site = !inside(own, nown, target);
		}
		if (!site)
			continue;
		err = HWT_ARRAY_GROW(out->at, &out->cap, out->n + 1);
		if (!err)
			err = HWT_ARRAY_GROW(out->target, &out->cap_target, out->n + 1);
		if (!err) {
			out->target[out->n] = target;
			out->at[out->n++] = insn[i].address - vaddr + offset;
		}
	}
	cs_free(insn, count);
	return err;
}

int hwt_elf_uses_exceptions(const char *path)
{
	static const char *const names[] = { "__cxa_throw", "_Unwind_RaiseException",
					     "__gxx_personality_v0" };
	int found = 0;

	elf_version(EV_CURRENT);
	int fd = hwt_open_regular(path);
	if (fd < 0)
		return 0;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	for (Elf_Scn *scn = NULL; elf && !found && (scn = elf_nextscn(elf, scn));) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) ||
		    (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM) || !sh.sh_entsize ||
		    !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym sym;
			const char *name;
			if (!gelf_getsym(data, (int)i, &sym) ||
			    !(name = elf_strptr(elf, sh.sh_link, sym.st_name)))
				continue;
			for (size_t k = 0; k < sizeof(names) / sizeof(names[0]) && !found; k++)
				found = !strncmp(name, names[k], strlen(names[k])) &&
					(!name[strlen(names[k])] || name[strlen(names[k])] == '@');
		}
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return found;
}

/* What hwt_elf_functions() walks: the open file, its functions in address order, and the buffers
 * it reuses from one function to the next. */
struct walk {
	const char *path;
	int fd;
	Elf *elf;
	csh cs; /* set when return sites are asked for */
	struct fsym *syms;
	size_t n, cap;
	uint8_t *code; /* the function being disassembled */
	size_t code_cap;
	struct sites sites;   /* its return sites */
	struct range *ranges; /* its code and its .cold pieces' */
	size_t ranges_cap;
	const char **names; /* its names */
	size_t names_cap;
	/* The file's bytes at [win_off, win_off + win_len): functions come in address order, so
	 * reading their first bytes through it takes one pread per window, not one per function. */
	uint8_t *win;
	uint64_t win_off;
	size_t win_len;
};

#define WALK_WINDOW (64u << 10)

/* Up to @len bytes of @w's file at @off into @out, through the window; returns how many. */
static size_t walk_read(struct walk *w, void *out, size_t len, uint64_t off)
{
	if (!w->win || off < w->win_off || off + len > w->win_off + w->win_len) {
		if (!w->win && !(w->win = malloc(WALK_WINDOW))) {
			ssize_t got = pread(w->fd, out, len, (off_t)off);
			return got > 0 ? (size_t)got : 0;
		}
		ssize_t got = pread(w->fd, w->win, WALK_WINDOW, (off_t)off);
		w->win_off = off;
		w->win_len = got > 0 ? (size_t)got : 0;
	}
	size_t have = off - w->win_off < w->win_len ? w->win_len - (size_t)(off - w->win_off) : 0;
	if (have > len)
		have = len;
	memcpy(out, w->win + (off - w->win_off), have);
	return have;
}

struct byname {
	const char *name;
	size_t i;
};

static int cmp_byname(const void *a, const void *b)
{
	return strcmp(((const struct byname *)a)->name, ((const struct byname *)b)->name);
}

/* Chains each .cold piece of @w to its parent: the function of the name before ".cold"
 * nearest to it (a local name may be in the file more than once). */
static int link_cold(struct walk *w)
{
	size_t n = 0, ncold = 0;
	for (size_t i = 0; i < w->n; i++)
		ncold += w->syms[i].is_cold;
	if (!ncold)
		return 0;
	struct byname *idx = malloc(w->n * sizeof(*idx));
	if (!idx)
		return HWT_E_NOMEM;
	for (size_t i = 0; i < w->n; i++)
		if (!w->syms[i].is_cold)
			idx[n++] = (struct byname){ w->syms[i].name, i };
	qsort(idx, n, sizeof(*idx), cmp_byname);
	for (size_t i = 0; i < w->n; i++) {
		struct fsym *c = &w->syms[i];
		char *want = c->is_cold ? strndup(c->name, cold_parent_len(c->name)) : NULL;
		struct byname key = { want, 0 }, *hit;
		if (!want || !(hit = bsearch(&key, idx, n, sizeof(*idx), cmp_byname))) {
			free(want);
			continue;
		}
		while (hit > idx && !strcmp(hit[-1].name, want))
			hit--;
		size_t best = hit->i;
		for (; hit < idx + n && !strcmp(hit->name, want); hit++) {
			uint64_t d = hit->i > i ? w->syms[hit->i].vaddr - c->vaddr
						: c->vaddr - w->syms[hit->i].vaddr;
			uint64_t db = best > i ? w->syms[best].vaddr - c->vaddr
					       : c->vaddr - w->syms[best].vaddr;
			if (d < db)
				best = hit->i;
		}
		free(want);
		c->cold = w->syms[best].cold;
		w->syms[best].cold = (int64_t)i;
	}
	free(idx);
	return 0;
}

/* Reads the function symbols of the open file into @w, sorted by address; with
 * HWT_ELF_RET_SITES in @options, opens a disassembler too. */
static int walk_open(struct walk *w, unsigned options, char *why, size_t whylen)
{
	w->elf = elf_begin(w->fd, ELF_C_READ_MMAP, NULL);
	if (!w->elf || elf_kind(w->elf) != ELF_K_ELF)
		return hwt_fail(why, whylen, HWT_E_ELF, "'%s' is not an ELF file", w->path);
	/* .symtab has everything; a stripped file still has .dynsym's exported functions. */
	Elf_Scn *symtab = NULL, *dynsym = NULL;
	for (Elf_Scn *scn = NULL; (scn = elf_nextscn(w->elf, scn));) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		else if (sh.sh_type == SHT_DYNSYM)
			dynsym = scn;
	}
	if (!symtab && !dynsym)
		return hwt_fail(why, whylen, HWT_E_ELF,
				"'%s' has no symbol table: nothing to attach to", w->path);
	int ret = collect(w->elf, symtab ? symtab : dynsym, &w->syms, &w->n, &w->cap);
	if (ret < 0)
		return hwt_fail(why, whylen, ret, "out of memory reading '%s'", w->path);
	if (w->n) /* qsort(NULL, 0) is undefined */
		qsort(w->syms, w->n, sizeof(*w->syms), by_addr);
	if (link_cold(w) < 0)
		return hwt_fail(why, whylen, HWT_E_NOMEM, "out of memory reading '%s'", w->path);
	if ((options & HWT_ELF_RET_SITES) && cs_open(CS_ARCH_X86, CS_MODE_64, &w->cs) != CS_ERR_OK)
		return hwt_fail(why, whylen, HWT_E_NOTSUP,
				"capstone cannot disassemble x86-64 here");
	return 0;
}

static void walk_close(struct walk *w)
{
	if (w->cs)
		cs_close(&w->cs);
	free(w->code);
	free(w->sites.at);
	free(w->sites.target);
	free(w->ranges);
	free(w->names);
	free(w->win);
	free(w->syms);
	if (w->elf)
		elf_end(w->elf);
	close(w->fd);
}

/* @s as a struct hwt_elf_func: where its probes go, from its first bytes. */
static void describe(struct walk *w, const struct fsym *s, struct hwt_elf_func *f)
{
	uint8_t head[16] = { 0 };
	/* Size 0: a function no symbol names (hwt_elf_functions_at()); its first bytes are there.
	 */
	size_t want = s->size && s->size < sizeof(head) ? s->size : sizeof(head);
	size_t got = walk_read(w, head, want, s->offset);
	*f = (struct hwt_elf_func){
		.name = s->name,
		.demangled = s->name,
		.vaddr = s->vaddr,
		.size = s->size,
		.offset = s->offset,
		.entry_offset = s->offset,
		.flags = s->flags,
	};
	const uint8_t *first = head;
	size_t clen = got;
	if (clen >= 4 && !memcmp(head, "\xf3\x0f\x1e\xfa", 4) && s->size > 4) {
		/* The kernel single-steps endbr64; the instruction after it is usually a push it
		 * emulates. Return probes stay at +0. */
		f->flags |= HWT_FUNC_ENDBR;
		f->entry_offset += 4;
		first += 4;
		clen -= 4;
	}
	if (!hwt_uprobe_emulated(first, clen))
		f->flags |= HWT_FUNC_SLOW;
}

/* Appends the return sites of the code of @s (of the function whose code is @own). */
static int piece_sites(struct walk *w, const struct fsym *s, const struct range *own, size_t nown)
{
	/* The symbol's size is the file's word: only what the file holds is read. */
	struct stat st;
	uint64_t size = s->size;
	if (fstat(w->fd, &st) || (uint64_t)st.st_size < s->offset)
		size = 0;
	else if (size > (uint64_t)st.st_size - s->offset)
		size = (uint64_t)st.st_size - s->offset;
	if (HWT_ARRAY_GROW(w->code, &w->code_cap, size))
		return HWT_E_NOMEM;
	ssize_t all = size ? pread(w->fd, w->code, size, (off_t)s->offset) : 0;
	return all <= 0 ? 0
			: ret_sites(w->cs, w->code, (uint64_t)all, s->vaddr, s->offset, own, nown,
				    &w->sites);
}

/* Disassembles @w->syms[@k] and its .cold pieces to set @f's return sites (@w's buffer, valid
 * until the next function). */
static int add_ret_sites(struct walk *w, size_t k, struct hwt_elf_func *f)
{
	size_t nown = 0;
	int ret = 0;

	for (int64_t i = (int64_t)k; i >= 0 && !ret; i = w->syms[i].cold) {
		ret = HWT_ARRAY_GROW(w->ranges, &w->ranges_cap, nown + 1);
		if (!ret)
			w->ranges[nown++] = (struct range){ w->syms[i].vaddr,
							    w->syms[i].vaddr + w->syms[i].size };
	}
	w->sites.n = 0;
	for (int64_t i = (int64_t)k; i >= 0 && !ret; i = w->syms[i].cold)
		ret = piece_sites(w, &w->syms[i], w->ranges, nown);
	f->ret_sites = w->sites.at;
	f->ret_targets = w->sites.target;
	f->nret_sites = w->sites.n;
	return ret;
}

/* Calls @fn for @f, with its C++ name when it has one. */
static int call_fn(int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx,
		   struct hwt_elf_func *f)
{
	char *dm = NULL;
	if (!strncmp(f->name, "_Z", 2)) {
		int status;
		dm = __cxa_demangle(f->name, NULL, NULL, &status);
		if (dm && !status)
			f->demangled = dm;
	}
	int r = fn(f, ctx);
	free(dm);
	return r;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Calls @fn for the functions of @w; only those at the @nwant addresses @want (sorted) when
 * @want is not NULL, and for each of those no symbol names, one placed from its section. */
static int walk_all(struct walk *w, const uint64_t *want, size_t nwant,
		    int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx)
{
	int ret = 0, count = 0;
	size_t found = 0; /* of @want, those listed */

	for (size_t i = 0, next; !ret && i < w->n; i = next) {
		/* The names of one address; the best-ranked first. */
		size_t nnames = 0, k = w->n;
		for (next = i; next < w->n && w->syms[next].vaddr == w->syms[i].vaddr; next++) {
			if (w->syms[next].is_cold)
				continue; /* not a function: part of its parent */
			if (k == w->n)
				k = next;
			if (HWT_ARRAY_GROW(w->names, &w->names_cap, nnames + 1))
				ret = HWT_E_NOMEM;
			else
				w->names[nnames++] = w->syms[next].name;
		}
		if (ret || k == w->n)
			continue;
		if (want && !bsearch(&w->syms[k].vaddr, want, nwant, sizeof(*want), cmp_u64))
			continue;
		struct hwt_elf_func f;
		describe(w, &w->syms[k], &f);
		f.names = (const char *const *)w->names;
		f.nnames = nnames;
		if (w->cs)
			ret = add_ret_sites(w, k, &f);
		if (!ret)
			ret = call_fn(fn, ctx, &f);
		if (!ret)
			count++;
		found++;
	}
	for (size_t i = 0; want && !ret && found < nwant && i < nwant; i++) {
		struct fsym key = { .vaddr = want[i] };
		if ((i && want[i] == want[i - 1]) ||
		    bsearch(&key, w->syms, w->n, sizeof(*w->syms), by_vaddr))
			continue;
		/* No symbol names it (a stripped library's IFUNC implementation): its section
		 * places it; its size and returns are unknown. */
		for (Elf_Scn *scn = NULL; (scn = elf_nextscn(w->elf, scn));) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) || !(sh.sh_flags & SHF_EXECINSTR) ||
			    sh.sh_type != SHT_PROGBITS || want[i] < sh.sh_addr ||
			    want[i] - sh.sh_addr >= sh.sh_size)
				continue;
			key.name = "";
			key.offset = want[i] - sh.sh_addr + sh.sh_offset;
			struct hwt_elf_func f;
			describe(w, &key, &f);
			f.names = &key.name;
			f.nnames = 1;
			ret = fn(&f, ctx);
			count += !ret;
			break;
		}
	}
	return ret ? ret : count;
}

static int open_walk(struct walk *w, const char *path, unsigned options, char *why, size_t whylen)
{
	if (!path)
		return hwt_fail(why, whylen, HWT_E_INVAL, "no file given");
	elf_version(EV_CURRENT);
	w->path = path;
	w->fd = hwt_open_regular(path);
	if (w->fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot open '%s': %s",
				path, strerror(errno));
	return walk_open(w, options, why, whylen);
}

int hwt_elf_functions(const char *path, unsigned options,
		      int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx, char *why,
		      size_t whylen)
{
	struct walk w = { .fd = -1 };

	if (!fn)
		return hwt_fail(why, whylen, HWT_E_INVAL, "no callback given");
	int ret = open_walk(&w, path, options, why, whylen);
	if (!ret)
		ret = walk_all(&w, NULL, 0, fn, ctx);
	walk_close(&w);
	return ret;
}

int hwt_elf_functions_at(const char *path, const uint64_t *vaddrs, size_t n, unsigned options,
			 int (*fn)(const struct hwt_elf_func *f, void *ctx), void *ctx, char *why,
			 size_t whylen)
{
	struct walk w = { .fd = -1 };

	if (!fn || (n && !vaddrs))
		return hwt_fail(why, whylen, HWT_E_INVAL, "no callback or no addresses given");
	uint64_t *want = n ? malloc(n * sizeof(*want)) : NULL;
	if (n && !want)
		return hwt_fail(why, whylen, HWT_E_NOMEM, "out of memory");
	if (n)
		memcpy(want, vaddrs, n * sizeof(*want));
	if (n)
		qsort(want, n, sizeof(*want), cmp_u64);
	int ret = open_walk(&w, path, options, why, whylen);
	if (!ret)
		ret = n ? walk_all(&w, want, n, fn, ctx) : 0;
	walk_close(&w);
	free(want);
	return ret;
}

/* Function selection by -F/-N globs over every name a function has, IFUNCs at their
 * implementation (see funcsel.h). */
#include "funcsel.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/ifunc.h"
#include "core/util.h"

/* C run-time start-up and tear-down code: not the program's, and _start never returns. Not
 * chosen by default either: libhwtrace's hwt_* functions (see choose()). */
static const char *const crt_names[] = {
	"_start",
	"_init",
	"_fini",
	"frame_dummy",
	"register_tm_clones",
	"deregister_tm_clones",
	"__do_global_dtors_aux",
	"__libc_csu_init",
	"__libc_csu_fini",
	"_dl_relocate_static_pie",
};

struct pattern {
	char *spec; /* as given */
	char *lib;  /* NULL: the main program */
	char *glob;
	uint64_t matched;
};

struct hwt_funcsel {
	struct pattern inc[HWT_FUNCSEL_MAX], exc[HWT_FUNCSEL_MAX];
	int ninc, nexc;
	int main_filtered; /* some -F names the main program */
};

struct hwt_funcsel *hwt_funcsel_alloc(void)
{
	return calloc(1, sizeof(struct hwt_funcsel));
}

static void pattern_fini(struct pattern *p)
{
	free(p->spec);
	free(p->lib);
	free(p->glob);
}

void hwt_funcsel_free(struct hwt_funcsel *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->ninc; i++)
		pattern_fini(&s->inc[i]);
	for (int i = 0; i < s->nexc; i++)
		pattern_fini(&s->exc[i]);
	free(s);
}

int hwt_funcsel_add(struct hwt_funcsel *s, const char *spec, int exclude)
{
	if (!s || !spec)
		return HWT_E_INVAL;
	int *n = exclude ? &s->nexc : &s->ninc;
	if (*n == HWT_FUNCSEL_MAX)
		return HWT_E_INVAL;
	const char *colon = strchr(spec, ':');
	/* "LIB:GLOB"; but "ns::f" is a C++ name in the main program. */
	int lib = colon && colon != spec && colon[1] != ':' && colon[-1] != ':';
	struct pattern p = {
		.spec = strdup(spec),
		.lib = lib ? strndup(spec, (size_t)(colon - spec)) : NULL,
		.glob = strdup(lib ? colon + 1 : spec),
	};
	if (!p.spec || !p.glob || (lib && !p.lib)) {
		pattern_fini(&p);
		return HWT_E_NOMEM;
	}
	(exclude ? s->exc : s->inc)[(*n)++] = p;
	if (!exclude && !lib)
		s->main_filtered = 1;
	return 0;
}

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	return b ? b + 1 : path;
}

int hwt_funcsel_wants_library(const struct hwt_funcsel *s, const char *path)
{
	for (int i = 0; s && path && i < s->ninc; i++)
		if (s->inc[i].lib && !fnmatch(s->inc[i].lib, base_name(path), 0))
			return 1;
	return 0;
}

size_t hwt_funcsel_npatterns(const struct hwt_funcsel *s)
{
	return s ? (size_t)s->ninc : 0;
}

const char *hwt_funcsel_pattern(const struct hwt_funcsel *s, size_t i, uint64_t *matched)
{
	if (!s || i >= (size_t)s->ninc)
		return NULL;
	if (matched)
		*matched = s->inc[i].matched;
	return s->inc[i].spec;
}

/* The name of @f that @glob matches, or NULL: @f->name when the preferred name (or its C++
 * form) does, else the first other name that does, without its @VERSION (copied into @buf). */
static const char *match(const char *glob, const struct hwt_elf_func *f, char *buf, size_t len)
{
	if (!fnmatch(glob, f->name, 0) || !fnmatch(glob, f->demangled, 0))
		return f->name;
	for (size_t i = 0; i < f->nnames; i++) {
		const char *name = f->names[i], *at = strchr(name, '@');
		if (at && at != name) {
			snprintf(buf, len, "%.*s", (int)(at - name), name);
			if (!fnmatch(glob, buf, 0))
				return buf;
		}
		if (i && !fnmatch(glob, name, 0))
			return name;
	}
	return NULL;
}

/* The name @f of the file @base (@is_main: the program) shows under if @s chooses it, or
 * NULL. */
static const char *choose(struct hwt_funcsel *s, const char *base, int is_main,
			  const struct hwt_elf_func *f, char *buf, size_t len)
{
	for (int i = 0; i < s->nexc; i++)
		if ((!s->exc[i].lib ? is_main : !fnmatch(s->exc[i].lib, base, 0)) &&
		    match(s->exc[i].glob, f, buf, len))
			return NULL;
	for (int i = 0; i < s->ninc; i++) {
		const char *name;
		if ((!s->inc[i].lib ? is_main : !fnmatch(s->inc[i].lib, base, 0)) &&
		    (name = match(s->inc[i].glob, f, buf, len))) {
			s->inc[i].matched++;
			return name;
		}
	}
	if (!is_main || s->main_filtered)
		return NULL;
	for (size_t i = 0; i < sizeof(crt_names) / sizeof(crt_names[0]); i++)
		if (!strcmp(f->name, crt_names[i]))
			return NULL;
	/* libhwtrace's own functions (include/hwtrace.h): what they mark is on the timeline
	 * already, and their slices would cut the program's spans; -F 'hwt_*' traces them. */
	return strncmp(f->name, "hwt_", 4) ? f->name : NULL;
}

/* An IFUNC chosen, resolved after the walk. */
struct ifunc {
	char *sym;	   /* the name to look up (no @VERSION) */
	char *show;	   /* the name to show */
	uint64_t resolver; /* the symbol's own address */
	uint64_t impl;	   /* what it resolved to (0: not resolved) */
};

struct pass {
	struct hwt_funcsel *s;
	const char *base;
	int is_main;
	int (*fn)(const struct hwt_funcsel_pick *p, void *ctx);
	void *ctx;
	uint64_t *chosen; /* addresses given out */
	size_t nchosen, cap_chosen;
	struct ifunc *ifuncs;
	size_t nifuncs, cap_ifuncs;
	const char *note; /* of the second pass: why the IFUNCs were not resolved */
	int count;	  /* functions given out */
	int stopped;	  /* @fn's non-zero return */
};

static int give(struct pass *p, const struct hwt_elf_func *f, const char *name, const char *note)
{
	if (HWT_ARRAY_GROW(p->chosen, &p->cap_chosen, p->nchosen + 1))
		return HWT_E_NOMEM;
	p->chosen[p->nchosen++] = f->vaddr;
	struct hwt_funcsel_pick pick = { .f = f, .name = name, .ifunc_note = note };
	int r = p->fn(&pick, p->ctx);
	p->count += !r;
	if (r)
		p->stopped = r;
	return r;
}

static int first_pass(const struct hwt_elf_func *f, void *ctx)
{
	struct pass *p = ctx;
	char buf[512];
	const char *name = choose(p->s, p->base, p->is_main, f, buf, sizeof(buf));

	if (!name)
		return 0;
	if (!(f->flags & HWT_FUNC_IFUNC))
		return give(p, f, name, NULL);
	if (HWT_ARRAY_GROW(p->ifuncs, &p->cap_ifuncs, p->nifuncs + 1))
		return HWT_E_NOMEM;
	struct ifunc *i = &p->ifuncs[p->nifuncs];
	const char *at = strchr(name, '@');
	*i = (struct ifunc){
		.sym = strndup(name, at && at != name ? (size_t)(at - name) : strlen(name)),
		.show = strdup(name),
		.resolver = f->vaddr,
	};
	if (!i->sym || !i->show) {
		free(i->sym);
		free(i->show);
		return HWT_E_NOMEM;
	}
	p->nifuncs++;
	return 0;
}

static int given(const struct pass *p, uint64_t vaddr)
{
	for (size_t i = 0; i < p->nchosen; i++)
		if (p->chosen[i] == vaddr)
			return 1;
	return 0;
}

/* The second pass: the implementations (or, unresolved, the resolvers) of the IFUNCs. */
static int second_pass(const struct hwt_elf_func *f, void *ctx)
{
	struct pass *p = ctx;

	for (size_t k = 0; k < p->nifuncs; k++) {
		struct ifunc *i = &p->ifuncs[k];
		uint64_t at = i->impl ? i->impl : i->resolver;
		if (at != f->vaddr || given(p, at))
			continue;
		int r = give(p, f, i->show, i->impl ? NULL : p->note);
		if (r)
			return r;
	}
	return 0;
}

/* Resolves the IFUNCs the first pass chose and gives out their implementations. */
static int resolve_ifuncs(struct pass *p, const char *path, unsigned options, char *why,
			  size_t whylen)
{
	const char **names = calloc(p->nifuncs, sizeof(*names));
	uint64_t *vaddrs = calloc(p->nifuncs, sizeof(*vaddrs));
	char note[512] = "";
	int ret = HWT_E_NOMEM;

	if (names && vaddrs) {
		for (size_t k = 0; k < p->nifuncs; k++)
			names[k] = p->ifuncs[k].sym;
		int r = hwt_ifunc_resolve(path, names, p->nifuncs, vaddrs, note, sizeof(note));
		for (size_t k = 0; k < p->nifuncs; k++) {
			p->ifuncs[k].impl = r >= 0 ? vaddrs[k] : 0;
			vaddrs[k] = p->ifuncs[k].impl ? p->ifuncs[k].impl : p->ifuncs[k].resolver;
		}
		if (r >= 0)
			snprintf(note, sizeof(note),
				 "the loader does not resolve it to code of '%s'", path);
		p->note = note;
		ret = hwt_elf_functions_at(path, vaddrs, p->nifuncs, options, second_pass, p, why,
					   whylen);
		p->note = NULL;
	}
	free(names);
	free(vaddrs);
	return ret < 0 ? ret : 0;
}

int hwt_funcsel_file(struct hwt_funcsel *s, const char *path, int is_main, unsigned options,
		     int (*fn)(const struct hwt_funcsel_pick *p, void *ctx), void *ctx, char *why,
		     size_t whylen)
{
	if (!s || !path || !fn)
		return hwt_fail(why, whylen, HWT_E_INVAL, "no selection, file or callback given");
	struct pass p = {
		.s = s, .base = base_name(path), .is_main = is_main, .fn = fn, .ctx = ctx
	};
	int ret = hwt_elf_functions(path, options, first_pass, &p, why, whylen);
	if (ret >= 0 && !p.stopped && p.nifuncs)
		ret = resolve_ifuncs(&p, path, options, why, whylen);
	for (size_t k = 0; k < p.nifuncs; k++) {
		free(p.ifuncs[k].sym);
		free(p.ifuncs[k].show);
	}
	free(p.ifuncs);
	free(p.chosen);
	return p.stopped ? p.stopped : ret < 0 ? ret : p.count;
}

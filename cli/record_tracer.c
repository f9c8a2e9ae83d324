/* `hwtrace record`: which tracer records (-b, or what -b auto picks), and its options: the
 * flags given on the command line go to the tracer that declares them, or to the sampler beside
 * it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "cli.h"
#include "record.h"

int record_declares(const struct hwt_plugin *p, const struct flag *f)
{
	return hwt_option_find_flag(p->options, p->noptions, f->c, f->name) >= 0;
}

void record_spell(const struct flag *f, int typed_long, char *buf, size_t len)
{
	if (typed_long || !f->c)
		snprintf(buf, len, "--%s", f->name);
	else
		snprintf(buf, len, "-%c", f->c);
}

/* ---- the tracer ------------------------------------------------------------------------ */

/* "-e, --freq and -g are": the flags of @p that @other lacks. */
void record_flags_lacking(const struct hwt_plugin *p, const struct hwt_plugin *other, char *buf,
			  size_t len)
{
	size_t n = 0, k = 0, off = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < p->noptions; i++) {
			const struct hwt_option *o = &p->options[i];
			struct flag f = { o->short_flag, o->long_flag, 0 };
			char one[72];
			if ((!f.c && !f.name) || record_declares(other, &f))
				continue;
			if (!pass) {
				n++;
				continue;
			}
			record_spell(&f, 0, one, sizeof(one));
			if (off < len)
				off += (size_t)snprintf(buf + off, len - off, "%s%s",
							!k	    ? ""
							: k + 1 < n ? ", "
								    : " and ",
							one);
			k++;
		}
	}
	if (off < len)
		snprintf(buf + off, len - off, " %s", n == 1 ? "is" : "are");
}

/* The error for the flag @g, which the tracer does not take. */
static int not_for(const struct record *r, const struct given *g)
{
	char list[512] = "", spelled[80];

	record_spell(g->f, g->typed_long, spelled, sizeof(spelled));
	const struct hwt_plugin *first = NULL;
	char owners[128] = "";
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		if ((*p)->kind != HWT_PLUGIN_TRACER || !record_declares(*p, g->f))
			continue;
		size_t o = strlen(owners);
		snprintf(owners + o, sizeof(owners) - o, "%s-b %s", first ? " or " : "",
			 (*p)->name);
		if (!first)
			first = *p;
	}
	if (first) {
		record_flags_lacking(first, r->tp, list, sizeof(list));
		return cli_error("%s for %s, not -b %s: drop %s or use -b %s", list, owners,
				 r->tp->name, spelled, first->name);
	}
	return cli_error("%s is not an option of -b %s (see hwtrace record --help)", spelled,
			 r->tp->name);
}

/* Whether @p is the only tracer that declares one of the flags given. */
static int forces(const struct record *r, const struct hwt_plugin *p)
{
	for (int i = 0; p->kind == HWT_PLUGIN_TRACER && i < r->ngiven; i++) {
		int owners = 0;
		for (const struct hwt_plugin *const *q = hwt_builtin_plugins; *q; q++)
			owners += (*q)->kind == HWT_PLUGIN_TRACER &&
				  record_declares(*q, r->given[i].f);
		if (owners == 1 && record_declares(p, r->given[i].f))
			return 1;
	}
	return 0;
}

/* Whether the flags given ask for exact calls (-F, -N, -D, --min-duration: flags of several
 * tracers, SAMPLER not among them) and @p takes them all. */
static int takes_call_flags(const struct record *r, const struct hwt_plugin *p)
{
	int any = 0;

	for (int i = 0; p->kind == HWT_PLUGIN_TRACER && i < r->ngiven; i++) {
		const struct hwt_plugin *sp = hwt_plugin_by_name(SAMPLER);
		if (sp && record_declares(sp, r->given[i].f))
			continue;
		if (!record_declares(p, r->given[i].f))
			return 0;
		any = 1;
	}
	return any;
}

static int works_here(const struct hwt_plugin *p)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	char why[256];
	int ok = h && (!p->probe || p->probe(h, why, sizeof(why)) > 0);

	hwt_host_free(h);
	return ok;
}

/* -b auto: the tracer that alone declares one of the flags given, in the table's order; SAMPLER
 * last, as its flags add sampling beside another tracer whose flags are given. Flags of several
 * exact-call tracers (inproc, uprobe) go to the first of them that works here (the last if
 * none: it says why). */
static const struct hwt_plugin *forced_tracer(const struct record *r)
{
	const struct hwt_plugin *last = NULL;

	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++)
		if (strcmp((*p)->name, SAMPLER) && forces(r, *p))
			return *p;
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++) {
		if (!takes_call_flags(r, *p))
			continue;
		if (works_here(*p))
			return *p;
		last = *p;
	}
	if (last)
		return last;
	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p; p++)
		if (!strcmp((*p)->name, SAMPLER) && forces(r, *p))
			return *p;
	return NULL;
}

/* "auto, pt, uprobe or sample". */
static void backend_names(char *buf, size_t len)
{
	const struct hwt_plugin *t[32];
	size_t n = 0, off;

	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; *p && n < 32; p++)
		if ((*p)->kind == HWT_PLUGIN_TRACER)
			t[n++] = *p;
	off = (size_t)snprintf(buf, len, "auto");
	for (size_t i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i + 1 < n ? ", " : " or ",
					t[i]->name);
}

/* The first tracer that works here, in the table's order. */
static const struct hwt_plugin *first_working(char *why, size_t len)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	const struct hwt_plugin *t = NULL;

	for (const struct hwt_plugin *const *p = hwt_builtin_plugins; h && *p && !t; p++)
		if ((*p)->kind == HWT_PLUGIN_TRACER &&
		    (!(*p)->probe || (*p)->probe(h, why, len) > 0))
			t = *p;
	hwt_host_free(h);
	return t;
}

/* Finds the tracer -b names, or the one -b auto picks: the one whose flags are given, else the
 * first that works here. */
int record_choose_tracer(struct record *r)
{
	const char *b = r->rec.values[R_BACKEND].s, *colon = strchr(b, ':');
	char names[256];

	snprintf(r->backend, sizeof(r->backend), "%.*s", (int)(colon ? colon - b : 63), b);
	r->tracer_args = colon ? colon + 1 : NULL;
	if (!strcmp(r->backend, "auto")) {
		if (colon)
			return cli_error("-b %s: auto takes no options; name the backend to give "
					 "it some, e.g. -b pt:KEY=VALUE",
					 b);
		r->tp = forced_tracer(r);
		if (r->tp)
			return 0;
		/* pt starts with the program it launches: what runs already is sampled. */
		if (r->rec.values[R_PID].s || r->rec.values[R_ALL].i) {
			r->tp = hwt_plugin_by_name("sample");
			r->auto_chose = 2;
			return 0;
		}
		if (!(r->tp = first_working(r->why, sizeof(r->why))))
			return cli_error("no backend works here: see `hwtrace list`");
		r->auto_chose = 1;
		return 0;
	}
	r->tp = hwt_plugin_by_name(r->backend);
	if (!r->tp || r->tp->kind != HWT_PLUGIN_TRACER) {
		backend_names(names, sizeof(names));
		return cli_error("unknown backend '%s': use %s", r->backend, names);
	}
	return 0;
}

/* Where the flag @g goes: the tracer's options, or SAMPLER's beside it (set up on its first
 * flag); NULL if neither takes it. *@k is the option's index. */
static struct hwt_options *flag_owner(struct record *r, const struct given *g, int *k)
{
	const struct hwt_plugin *sp = hwt_plugin_by_name(SAMPLER);

	*k = hwt_option_find_flag(r->tp->options, r->tp->noptions, g->f->c, g->f->name);
	if (*k >= 0)
		return &r->tracer;
	if (!sp || sp == r->tp ||
	    (*k = hwt_option_find_flag(sp->options, sp->noptions, g->f->c, g->f->name)) < 0)
		return NULL;
	if (!r->sp && hwt_options_init(&r->sampling, SAMPLER, sp->options, sp->noptions, r->why,
				       sizeof(r->why)))
		return NULL;
	r->sp = sp;
	return &r->sampling;
}

/* The tracer's option values: -b NAME:ARGS first, then its flags (the last given wins); the
 * flags only SAMPLER declares, given to another tracer, are sampling's beside it. */
int record_tracer_options(struct record *r)
{
	char spelled[80];
	int k;

	if (hwt_options_init(&r->tracer, r->tp->name, r->tp->options, r->tp->noptions, r->why,
			     sizeof(r->why)) ||
	    hwt_options_parse(&r->tracer, r->tracer_args, r->why, sizeof(r->why)))
		return cli_error("-b %s", r->why);
	for (int i = 0; i < r->ngiven; i++) {
		const struct given *g = &r->given[i];
		r->why[0] = 0;
		struct hwt_options *o = flag_owner(r, g, &k);
		if (!o)
			return r->why[0] ? cli_error("%s", r->why) : not_for(r, g);
		record_spell(g->f, g->typed_long, spelled, sizeof(spelled));
		if (hwt_options_set(o, (size_t)k, g->arg ? g->arg : "1", spelled, r->why,
				    sizeof(r->why)))
			return cli_error("%s", r->why);
	}
	return 0;
}

int record_probe_tracer(struct record *r)
{
	struct hwt_host *h = hwt_host_alloc_probe();
	char why[512] = "";

	if (!h)
		return cli_error("out of memory");
	int ok = !r->tp->probe || r->tp->probe(h, why, sizeof(why)) > 0;
	hwt_host_free(h);
	if (!ok)
		return cli_error("backend '%s' is not available here: %s (see `hwtrace list`)",
				 r->tp->name, why);
	return 0;
}

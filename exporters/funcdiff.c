/* Two recordings compared by function and by stack: names interned in a table of their own (the
 * recordings' models are separate), values summed per side. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "funcdiff.h"
#include "hwtrace/error.h"
#include "slices.h"

/* Strings to dense indexes: open addressing over FNV-1a hashes. */
struct strtab {
	char **str;
	uint64_t *hash;
	uint32_t n, cap; /* strings */
	uint32_t *slot;	 /* index + 1, 0 empty */
	uint32_t nslots; /* a power of two, at least twice n */
};

static uint64_t fnv(const char *s, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 0x100000001b3ull;
	return h;
}

static void strtab_fini(struct strtab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->hash);
	free(t->slot);
}

static int strtab_rehash(struct strtab *t)
{
	uint32_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slot = calloc(nslots, sizeof(*slot));

	if (!slot)
		return HWT_E_NOMEM;
	for (uint32_t i = 0; i < t->n; i++) {
		uint32_t k = (uint32_t)t->hash[i] & (nslots - 1);
		while (slot[k])
			k = (k + 1) & (nslots - 1);
		slot[k] = i + 1;
	}
	free(t->slot);
	t->slot = slot;
	t->nslots = nslots;
	return 0;
}

/* The index of the @len bytes at @s, added if new (*@added set); negative enum hwt_error. */
static int64_t strtab_put(struct strtab *t, const char *s, size_t len, int *added)
{
	uint64_t h = fnv(s, len);

	*added = 0;
	if (2 * (t->n + 1) > t->nslots && strtab_rehash(t))
		return HWT_E_NOMEM;
	uint32_t k = (uint32_t)h & (t->nslots - 1);
	for (; t->slot[k]; k = (k + 1) & (t->nslots - 1)) {
		uint32_t i = t->slot[k] - 1;
		if (t->hash[i] == h && !strncmp(t->str[i], s, len) && !t->str[i][len])
			return i;
	}
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 256;
		char **str = realloc(t->str, cap * sizeof(*str));
		if (str)
			t->str = str;
		uint64_t *hash = str ? realloc(t->hash, cap * sizeof(*hash)) : NULL;
		if (!hash)
			return HWT_E_NOMEM;
		t->hash = hash;
		t->cap = cap;
	}
	char *copy = strndup(s, len);
	if (!copy)
		return HWT_E_NOMEM;
	t->str[t->n] = copy;
	t->hash[t->n] = h;
	t->slot[k] = ++t->n;
	*added = 1;
	return t->n - 1;
}

struct hwt_funcdiff {
	struct strtab names, stacks, labels;
	struct hwt_funcdiff_func *funcs; /* by name index */
	uint64_t (*stack_values)[2];	 /* by stack index */
	uint32_t *seen;			 /* by name index: the stack walk that last counted it */
	uint32_t funcs_cap, stacks_cap, stamp;
	struct hwt_funcdiff_func *sorted;
	char *line; /* the stack being built */
	size_t line_cap;
};

struct hwt_funcdiff *hwt_funcdiff_alloc(void)
{
	return calloc(1, sizeof(struct hwt_funcdiff));
}

void hwt_funcdiff_free(struct hwt_funcdiff *d)
{
	if (!d)
		return;
	strtab_fini(&d->names);
	strtab_fini(&d->stacks);
	strtab_fini(&d->labels);
	free(d->funcs);
	free(d->stack_values);
	free(d->seen);
	free(d->sorted);
	free(d->line);
	free(d);
}

/* The function named @name, added if new; NULL when out of memory. */
static struct hwt_funcdiff_func *func(struct hwt_funcdiff *d, const char *name, uint32_t *index)
{
	int added;
	int64_t i = strtab_put(&d->names, name, strlen(name), &added);

	if (i < 0)
		return NULL;
	if (added) {
		if (HWT_ARRAY_GROW(d->funcs, &d->funcs_cap, (size_t)i + 1))
			return NULL;
		uint32_t seen_cap = d->funcs_cap;
		uint32_t *seen = realloc(d->seen, seen_cap * sizeof(*seen));
		if (!seen)
			return NULL;
		d->seen = seen;
		d->seen[i] = 0;
		d->funcs[i] = (struct hwt_funcdiff_func){ .name = d->names.str[i] };
	}
	*index = (uint32_t)i;
	return &d->funcs[i];
}

/* Appends @s to the line at *@len, ';' and newlines replaced as the folded format does. */
static int line_put(struct hwt_funcdiff *d, size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 2 > d->line_cap) {
		size_t cap = d->line_cap ? d->line_cap : 1024;
		while (*len + n + 2 > cap)
			cap *= 2;
		char *p = realloc(d->line, cap);
		if (!p)
			return HWT_E_NOMEM;
		d->line = p;
		d->line_cap = cap;
	}
	if (*len)
		d->line[(*len)++] = ';';
	for (size_t i = 0; i < n; i++)
		d->line[(*len)++] = s[i] == ';' ? ':' : (s[i] == '\n' || s[i] == '\r') ? ' ' : s[i];
	return 0;
}

/* Adds @value of side @side to the stack in d->line (@len bytes). */
static int stack_add(struct hwt_funcdiff *d, size_t len, int side, uint64_t value)
{
	int added;
	int64_t i = strtab_put(&d->stacks, d->line, len, &added);

	if (i < 0)
		return (int)i;
	if (added) {
		if (HWT_ARRAY_GROW(d->stack_values, &d->stacks_cap, (size_t)i + 1))
			return HWT_E_NOMEM;
		d->stack_values[i][0] = d->stack_values[i][1] = 0;
	}
	d->stack_values[i][side] += value;
	return 0;
}

int hwt_funcdiff_add(struct hwt_funcdiff *d, int side, struct hwt_agg *a, const struct hwt_model *m)
{
	return hwt_funcdiff_add_value(d, side, a, m, a ? hwt_agg_index(a) : 0);
}

int hwt_funcdiff_add_value(struct hwt_funcdiff *d, int side, struct hwt_agg *a,
			   const struct hwt_model *m, uint32_t k)
{
	if (!d || !a || !m || side < 0 || side > 1 || k >= hwt_agg_nvalues(a))
		return HWT_E_INVAL;
	int slices = hwt_agg_mode(a) == HWT_AGG_SLICES;

	for (uint32_t e = 0; e < hwt_agg_count(a); e++) {
		uint32_t comm, node, idx;
		const uint64_t *v;
		const uint32_t *frames;
		size_t len = 0;

		hwt_agg_entry(a, e, &comm, &node, &v);
		int depth = hwt_agg_path(a, m, node, &frames);
		if (depth < 0)
			return depth;
		int err = line_put(d, &len, comm ? hwt_model_str(m, comm) : "[unknown]");
		if (++d->stamp == 0) { /* wrapped: nothing may look seen */
			memset(d->seen, 0, d->names.n * sizeof(*d->seen));
			d->stamp = 1;
		}
		for (int j = 0; j < depth && !err; j++) {
			const char *name = hwt_model_frame_name(m, frames[j]);
			struct hwt_funcdiff_func *f = func(d, name, &idx);
			if (!f)
				return HWT_E_NOMEM;
			if (d->seen[idx] != d->stamp) {
				d->seen[idx] = d->stamp;
				f->total[side] += v[k];
			}
			if (j == depth - 1) {
				f->self[side] += v[k];
				if (slices)
					f->calls[side] += v[HWT_AGG_CALLS];
			}
			err = line_put(d, &len, name);
		}
		if (!err && (v[k] || (slices && v[HWT_AGG_CALLS])))
			err = stack_add(d, len, side, v[k]);
		if (err)
			return err;
	}
	return 0;
}

static uint64_t absdiff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

static int by_change(const void *a, const void *b)
{
	const struct hwt_funcdiff_func *x = a, *y = b;
	uint64_t dx = absdiff(x->self[0], x->self[1]), dy = absdiff(y->self[0], y->self[1]);

	if (dx != dy)
		return dx < dy ? 1 : -1;
	dx = absdiff(x->total[0], x->total[1]);
	dy = absdiff(y->total[0], y->total[1]);
	if (dx != dy)
		return dx < dy ? 1 : -1;
	return strcmp(x->name, y->name);
}

const struct hwt_funcdiff_func *hwt_funcdiff_sorted(struct hwt_funcdiff *d, uint32_t *n)
{
	*n = 0;
	free(d->sorted);
	d->sorted = malloc((d->names.n ? d->names.n : 1) * sizeof(*d->sorted));
	if (!d->sorted)
		return NULL;
	memcpy(d->sorted, d->funcs, d->names.n * sizeof(*d->sorted));
	qsort(d->sorted, d->names.n, sizeof(*d->sorted), by_change);
	*n = d->names.n;
	return d->sorted;
}

/* @v as text into @buf: a duration when @ns, else a number. */
static const char *amount(char *buf, size_t len, uint64_t v, int ns)
{
	if (ns)
		return hwt_duration_fmt(buf, len, v);
	snprintf(buf, len, "%" PRIu64, v);
	return buf;
}

/* B/A as "1.23x", "new" (A had none), "gone" (B has none) or "-" (neither). */
static const char *ratio(char *buf, size_t len, uint64_t a, uint64_t b)
{
	if (!a)
		return b ? "new" : "-";
	if (!b)
		return "gone";
	snprintf(buf, len, "%.2fx", (double)b / (double)a);
	return buf;
}

int hwt_funcdiff_print(struct hwt_funcdiff *d, FILE *out, uint32_t top, const char *unit)
{
	uint32_t n;
	const struct hwt_funcdiff_func *f = hwt_funcdiff_sorted(d, &n);
	int ns = unit && hwt_unit_is_ns(unit);
	char s0[HWT_DURATION_LEN], s1[HWT_DURATION_LEN], ch[HWT_DURATION_LEN + 1];
	char t0[HWT_DURATION_LEN], t1[HWT_DURATION_LEN], r1[32], r2[32];

	if (!f)
		return HWT_E_NOMEM;
	fprintf(out, "# %12s %12s %13s %8s %12s %12s %8s %10s %10s  %s\n", "self A", "self B",
		"self change", "self B/A", "total A", "total B", "total B/A", "calls A", "calls B",
		"function");
	for (uint32_t i = 0; i < n && (!top || i < top); i++) {
		const struct hwt_funcdiff_func *x = &f[i];
		uint64_t dv = absdiff(x->self[0], x->self[1]);
		ch[0] = x->self[1] >= x->self[0] ? '+' : '-';
		amount(ch + 1, sizeof(ch) - 1, dv, ns);
		fprintf(out, "  %12s %12s %13s %8s %12s %12s %8s %10" PRIu64 " %10" PRIu64 "  %s\n",
			amount(s0, sizeof(s0), x->self[0], ns),
			amount(s1, sizeof(s1), x->self[1], ns), ch,
			ratio(r1, sizeof(r1), x->self[0], x->self[1]),
			amount(t0, sizeof(t0), x->total[0], ns),
			amount(t1, sizeof(t1), x->total[1], ns),
			ratio(r2, sizeof(r2), x->total[0], x->total[1]), x->calls[0], x->calls[1],
			x->name);
	}
	return ferror(out) ? HWT_E_IO : 0;
}

uint32_t hwt_funcdiff_nstacks(const struct hwt_funcdiff *d)
{
	return d->stacks.n;
}

const char *hwt_funcdiff_stack(const struct hwt_funcdiff *d, uint32_t i, uint64_t v[2])
{
	if (i >= d->stacks.n)
		return NULL;
	v[0] = d->stack_values[i][0];
	v[1] = d->stack_values[i][1];
	return d->stacks.str[i];
}

int64_t hwt_funcdiff_label(struct hwt_funcdiff *d, const char *s, size_t len)
{
	int added;
	return strtab_put(&d->labels, s, len, &added);
}

const char *hwt_funcdiff_label_str(const struct hwt_funcdiff *d, uint32_t id)
{
	return id < d->labels.n ? d->labels.str[id] : NULL;
}

static int by_text(const void *a, const void *b, void *ctx)
{
	char *const *str = ctx;
	return strcmp(str[*(const uint32_t *)a], str[*(const uint32_t *)b]);
}

int hwt_funcdiff_folded(const struct hwt_funcdiff *d, FILE *out)
{
	uint32_t n = d->stacks.n, *order = malloc((n ? n : 1) * sizeof(*order));

	if (!order)
		return HWT_E_NOMEM;
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	/* Sorted for a deterministic file. */
	qsort_r(order, n, sizeof(*order), by_text, d->stacks.str);
	for (uint32_t i = 0; i < n; i++)
		fprintf(out, "%s %" PRIu64 " %" PRIu64 "\n", d->stacks.str[order[i]],
			d->stack_values[order[i]][0], d->stack_values[order[i]][1]);
	free(order);
	return ferror(out) ? HWT_E_IO : 0;
}

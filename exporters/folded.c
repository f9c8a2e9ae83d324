/* Folded-stacks exporter: one sorted "comm;outer;...;leaf COUNT" line per distinct stack, the
 * input of flamegraph tools, weighted by the chosen view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "aggregate.h"
#include "builtin.h"

struct folded {
	struct hwt_exporter base;
	FILE *out;
	struct hwt_agg *agg;
};

/* One output line: the stack text in the line buffer, and its count. */
struct line {
	size_t off, len;
	uint64_t value;
};

struct text {
	char *buf;
	size_t len, cap;
};

static int text_reserve(struct text *t, size_t n)
{
	size_t cap = t->cap ? t->cap : 4096;
	char *p;

	if (t->cap - t->len >= n)
		return 0;
	while (cap - t->len < n)
		cap *= 2;
	p = realloc(t->buf, cap);
	if (!p)
		return HWT_E_NOMEM;
	t->buf = p;
	t->cap = cap;
	return 0;
}

/* Appends @s, leaving room for one more byte; ';' separates frames and a newline ends the line,
 * so both are replaced. */
static int text_name(struct text *t, const char *s)
{
	size_t n = strlen(s), i;

	if (text_reserve(t, n + 1))
		return HWT_E_NOMEM;
	for (i = 0; i < n; i++) {
		char c = s[i];

		t->buf[t->len++] = c == ';' ? ':' : (c == '\n' || c == '\r') ? ' ' : c;
	}
	return 0;
}

static const char *frame_name(const struct hwt_model *m, uint32_t frame)
{
	const struct hwt_frame *f = hwt_model_frame(m, frame);

	return f && f->name ? hwt_model_str(m, f->name) : "[unknown]";
}

static int line_cmp(const void *a, const void *b, void *ctx)
{
	const struct line *x = a, *y = b;
	const char *text = ctx;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(text + x->off, text + y->off, n);

	if (c)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

static int fo_finish(struct hwt_exporter *e, const struct hwt_model *m)
{
	struct folded *fo;
	struct text t = { 0 };
	struct line *lines = NULL;
	uint32_t i, n, idx, nlines = 0;
	int rc;

	if (!e || !m)
		return HWT_E_INVAL;
	fo = container_of(e, struct folded, base);
	if ((rc = hwt_agg_finish(fo->agg, m)))
		return rc;
	n = hwt_agg_count(fo->agg);
	idx = hwt_agg_index(fo->agg);
	lines = malloc((n ? n : 1) * sizeof(*lines));
	if (!lines)
		return HWT_E_NOMEM;
	for (i = 0; i < n; i++) {
		uint32_t comm, node;
		const uint64_t *v;
		const uint32_t *frames;
		int depth, d;
		size_t off = t.len;

		hwt_agg_entry(fo->agg, i, &comm, &node, &v);
		if (!v[idx])
			continue;
		depth = hwt_agg_path(fo->agg, m, node, &frames);
		if (depth < 0) {
			rc = depth;
			goto out;
		}
		if ((rc = text_name(&t, comm ? hwt_model_str(m, comm) : "[unknown]")))
			goto out;
		for (d = 0; d < depth; d++) {
			/* text_name() left room for this separator. */
			t.buf[t.len++] = ';';
			if ((rc = text_name(&t, frame_name(m, frames[d]))))
				goto out;
		}
		lines[nlines++] = (struct line){ .off = off, .len = t.len - off, .value = v[idx] };
	}
	/* Sorted for a deterministic file; equal texts (same names, different frames) merge. */
	qsort_r(lines, nlines, sizeof(*lines), line_cmp, t.buf);
	for (i = 0; i < nlines; i++) {
		uint64_t value = lines[i].value;

		while (i + 1 < nlines && !line_cmp(&lines[i], &lines[i + 1], t.buf))
			value += lines[++i].value;
		fwrite(t.buf + lines[i].off, 1, lines[i].len, fo->out);
		fprintf(fo->out, " %llu\n", (unsigned long long)value);
	}
	rc = fflush(fo->out) || ferror(fo->out) ? HWT_E_IO : 0;
out:
	free(t.buf);
	free(lines);
	return rc;
}

static int fo_event(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev)
{
	if (!e)
		return HWT_E_INVAL;
	return hwt_agg_event(container_of(e, struct folded, base)->agg, m, ev);
}

static struct hwt_exporter *fo_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	struct folded *fo;

	if (!cfg || !cfg->out || !m) {
		*err = HWT_E_INVAL;
		if (why && whylen)
			snprintf(why, whylen, "folded: no output file or model");
		return NULL;
	}
	fo = calloc(1, sizeof(*fo));
	if (!fo) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	fo->agg = hwt_agg_alloc(m, cfg->view, err, why, whylen);
	if (!fo->agg) {
		free(fo);
		return NULL;
	}
	fo->base.ops = &hwt_folded_exporter;
	fo->out = cfg->out;
	return &fo->base;
}

static void fo_destroy(struct hwt_exporter *e)
{
	struct folded *fo;

	if (!e)
		return;
	fo = container_of(e, struct folded, base);
	hwt_agg_free(fo->agg);
	free(fo);
}

const struct hwt_exporter_ops hwt_folded_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "folded",
	.exts = ".folded",
	.summary = "folded stacks, one line per stack (flamegraph.pl, speedscope, inferno)",
	.create = fo_create,
	.event = fo_event,
	.finish = fo_finish,
	.destroy = fo_destroy,
};

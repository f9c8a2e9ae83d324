/* Folded-stacks exporter: one sorted "comm;outer;...;leaf COUNT" line per distinct stack, the
 * input of flamegraph tools, weighted by the chosen view. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "agg_exporter.h"
#include "builtin.h"

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

static int fo_write(FILE *out, struct hwt_agg *a, const struct hwt_model *m)
{
	struct text t = { 0 };
	struct line *lines = NULL;
	uint32_t i, n, idx, nlines = 0;
	int rc = 0;

	n = hwt_agg_count(a);
	idx = hwt_agg_index(a);
	lines = malloc((n ? n : 1) * sizeof(*lines));
	if (!lines)
		return HWT_E_NOMEM;
	for (i = 0; i < n; i++) {
		uint32_t comm, node;
		const uint64_t *v;
		const uint32_t *frames;
		int depth, d;
		size_t off = t.len;

		hwt_agg_entry(a, i, &comm, &node, &v);
		if (!v[idx])
			continue;
		depth = hwt_agg_path(a, m, node, &frames);
		if (depth < 0) {
			rc = depth;
			goto out;
		}
		if ((rc = text_name(&t, comm ? hwt_model_str(m, comm) : "[unknown]")))
			goto out;
		for (d = 0; d < depth; d++) {
			/* text_name() left room for this separator. */
			t.buf[t.len++] = ';';
			if ((rc = text_name(&t, hwt_model_frame_name(m, frames[d]))))
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
		fwrite(t.buf + lines[i].off, 1, lines[i].len, out);
		fprintf(out, " %llu\n", (unsigned long long)value);
	}
out:
	free(t.buf);
	free(lines);
	return rc;
}

static struct hwt_exporter *fo_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	return hwt_agg_exporter_create(&hwt_folded_exporter, fo_write, cfg, m, err, why, whylen);
}

const struct hwt_exporter_ops hwt_folded_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "folded",
	.exts = ".folded",
	.summary = "folded stacks, one line per stack (flamegraph.pl, speedscope, inferno)",
	.create = fo_create,
	.event = hwt_agg_exporter_event,
	.finish = hwt_agg_exporter_finish,
	.destroy = hwt_agg_exporter_destroy,
	.events = hwt_agg_exporter_events,
};

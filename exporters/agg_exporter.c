/* The exporter hooks of the formats that write an aggregation: folded, pprof and svg. */
#include <stdio.h>
#include <stdlib.h>

#include "hwtrace/error.h"
#include "agg_exporter.h"

struct agg_exporter {
	struct hwt_exporter base;
	FILE *out;
	struct hwt_agg *agg;
	hwt_agg_write_fn write;
	char *why; /* the create hook's, borrowed until destroy: where finish explains */
	size_t whylen;
};

struct hwt_exporter *hwt_agg_exporter_create(const struct hwt_exporter_ops *ops,
					     hwt_agg_write_fn write,
					     const struct hwt_export_config *cfg,
					     const struct hwt_model *m, int *err, char *why,
					     size_t whylen)
{
	struct agg_exporter *x = hwt_exporter_alloc(sizeof(*x), ops, cfg, m, err, why, whylen);

	if (!x)
		return NULL;
	x->agg = hwt_agg_alloc(m, cfg->view, err, why, whylen);
	if (!x->agg) {
		free(x);
		return NULL;
	}
	hwt_agg_compensate(x->agg, cfg->compensate);
	x->out = cfg->out;
	x->write = write;
	x->why = why;
	x->whylen = whylen;
	return &x->base;
}

int hwt_agg_exporter_event(struct hwt_exporter *e, const struct hwt_model *m,
			   const struct hwt_event *ev)
{
	if (!e)
		return HWT_E_INVAL;
	return hwt_agg_event(container_of(e, struct agg_exporter, base)->agg, m, ev);
}

int hwt_agg_exporter_events(struct hwt_exporter *e, const struct hwt_model *m,
			    const struct hwt_event *evs, size_t n)
{
	if (!e)
		return HWT_E_INVAL;
	return hwt_agg_events(container_of(e, struct agg_exporter, base)->agg, m, evs, n);
}

int hwt_agg_exporter_finish(struct hwt_exporter *e, const struct hwt_model *m)
{
	struct agg_exporter *x;
	int rc;

	if (!e || !m)
		return HWT_E_INVAL;
	x = container_of(e, struct agg_exporter, base);
	rc = hwt_agg_finish(x->agg, m);
	if (rc == HWT_E_INVAL && x->why && x->whylen)
		snprintf(x->why, x->whylen, "%s", hwt_agg_why(x->agg));
	if (rc || (rc = x->write(x->out, x->agg, m)))
		return rc;
	return fflush(x->out) || ferror(x->out) ? HWT_E_IO : 0;
}

void hwt_agg_exporter_destroy(struct hwt_exporter *e)
{
	struct agg_exporter *x;

	if (!e)
		return;
	x = container_of(e, struct agg_exporter, base);
	hwt_agg_free(x->agg);
	free(x);
}

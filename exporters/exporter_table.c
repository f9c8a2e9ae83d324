/* The table of built-in exporters and their lookup by name or by output file extension. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hwtrace/error.h"

#include "exporter.h"
#include "builtin.h"

const struct hwt_exporter_ops *const hwt_exporters[] = {
	&hwt_perfetto_exporter, &hwt_chrome_exporter, &hwt_folded_exporter,
	&hwt_pprof_exporter,	&hwt_svg_exporter,    NULL,
};

void *hwt_exporter_alloc(size_t size, const struct hwt_exporter_ops *ops,
			 const struct hwt_export_config *cfg, const struct hwt_model *m, int *err,
			 char *why, size_t whylen)
{
	struct hwt_exporter *e;

	if (!cfg || !cfg->out || !m) {
		*err = HWT_E_INVAL;
		if (why && whylen)
			snprintf(why, whylen, "%s: no output file or model", ops->name);
		return NULL;
	}
	e = calloc(1, size);
	if (!e) {
		*err = HWT_E_NOMEM;
		return NULL;
	}
	e->ops = ops;
	*err = 0;
	return e;
}

void hwt_export_config_init(struct hwt_export_config *cfg)
{
	if (cfg)
		*cfg = (struct hwt_export_config){ .out = NULL, .view = NULL };
}

const struct hwt_exporter_ops *hwt_exporter_by_name(const char *name)
{
	const struct hwt_exporter_ops *const *e;

	if (!name)
		return NULL;
	for (e = hwt_exporters; *e; e++)
		if (!strcmp((*e)->name, name))
			return *e;
	return NULL;
}

const struct hwt_exporter_ops *hwt_exporter_by_path(const char *path)
{
	const struct hwt_exporter_ops *const *e, *best = NULL;
	size_t plen, best_len = 0;

	if (!path)
		return NULL;
	plen = strlen(path);
	for (e = hwt_exporters; *e; e++) {
		const char *ext = (*e)->exts;

		/* exts is a space-separated list: ".pb.gz .pprof". */
		while (ext && *ext) {
			size_t len = strcspn(ext, " ");

			/* The longest match wins, so ".pb.gz" beats a ".gz" elsewhere; a bare
			 * extension (path == ext) names no file. */
			if (len && len < plen && len > best_len &&
			    !strncasecmp(path + plen - len, ext, len)) {
				best = *e;
				best_len = len;
			}
			ext += len;
			ext += strspn(ext, " ");
		}
	}
	return best;
}

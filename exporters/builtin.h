/* The built-in exporters' operation tables, for the registry. */
#ifndef HWT_EXPORTERS_BUILTIN_H
#define HWT_EXPORTERS_BUILTIN_H

#include "exporter.h"

/** Native Perfetto protobuf trace (exporters/perfetto.c). */
extern const struct hwt_exporter_ops hwt_perfetto_exporter;
/** Chrome Trace Event Format JSON (exporters/chrome.c). */
extern const struct hwt_exporter_ops hwt_chrome_exporter;
/** Folded stacks, one "comm;frame;...;leaf COUNT" line per stack (exporters/folded.c). */
extern const struct hwt_exporter_ops hwt_folded_exporter;
/** gzip-compressed pprof profile.proto (exporters/pprof.c). */
extern const struct hwt_exporter_ops hwt_pprof_exporter;
/** Interactive flamegraph SVG (exporters/svg.c). */
extern const struct hwt_exporter_ops hwt_svg_exporter;

#endif

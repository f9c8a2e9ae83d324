/* The table of built-in stream decoders: a HWT_CHUNK_SOURCE gets the decoder of its name. */
#include "internal.h"

extern const struct hwt_source_ops hwt_uprobe_source, hwt_intel_pt_source, hwt_custom_source;
extern const struct hwt_source_ops hwt_inproc_source;

const struct hwt_source_ops *const hwt_source_decoders[] = {
	&hwt_uprobe_source, &hwt_inproc_source, &hwt_intel_pt_source, &hwt_custom_source, NULL,
};

/* The table of built-in plugins. */
#include "../core/host.h"

extern const struct hwt_plugin hwt_plugin_sample;

const struct hwt_plugin *const hwt_builtin_plugins[] = {
	&hwt_plugin_sample,
	NULL,
};

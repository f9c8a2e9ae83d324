/* The table of built-in plugins. */
#include "core/host.h"

extern const struct hwt_plugin hwt_plugin_intel_pt, hwt_plugin_sample, hwt_plugin_uprobe;
extern const struct hwt_plugin hwt_plugin_inproc;
extern const struct hwt_plugin hwt_plugin_watch, hwt_plugin_proc, hwt_plugin_counters;
extern const struct hwt_plugin hwt_plugin_maps, hwt_plugin_fds, hwt_plugin_env;
extern const struct hwt_plugin hwt_plugin_syscalls;

/* Tracers in the order `-b auto` tries them: exact calls only where they are cheap (Intel PT),
 * else sampling, which always works; the exact-call tracers only when named or when their flags
 * (-F, -N, -D, --min-duration) are given: inproc (patched in the process, ~0.1 us a call), else
 * uprobe (a trap per call, 1-12 us on hosts measured). */
const struct hwt_plugin *const hwt_builtin_plugins[] = {
	&hwt_plugin_intel_pt,
	&hwt_plugin_sample,
	&hwt_plugin_inproc,
	&hwt_plugin_uprobe,
	/* Counter plugins (-P NAME). */
	&hwt_plugin_watch,
	&hwt_plugin_proc,
	&hwt_plugin_counters,
	/* Object plugins (-P NAME). */
	&hwt_plugin_maps,
	&hwt_plugin_fds,
	&hwt_plugin_env,
	&hwt_plugin_syscalls,
	NULL,
};

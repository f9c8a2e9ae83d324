/* The `sample` tracer plugin's checks that the command line runs before recording. */
#ifndef HWT_PLUGINS_SAMPLE_H
#define HWT_PLUGINS_SAMPLE_H

#include <stddef.h>

#include <hwtrace/plugin.h>

/** The `sample` plugin (plugins/sample.c); also the sampling stream that `record` adds beside an
 *  exact-call tracer when sampling flags are given. */
extern const struct hwt_plugin hwt_plugin_sample;

/**
 * Checks the values @v of the sample plugin's options (indexed like its table, borrowed) taken
 * together: -c/--period and --freq exclude each other. Returns 0, or HWT_E_INVAL with @why in one
 * line saying what to give (also for a NULL @v).
 */
int hwt_sample_check_options(const struct hwt_option_value *v, char *why, size_t len);

#endif

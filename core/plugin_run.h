/* Plugins while recording (plugin_run.c): poll threads, the watch on them, stopping. */
#ifndef HWT_CORE_PLUGIN_RUN_H
#define HWT_CORE_PLUGIN_RUN_H

struct hwt_host;

/** Starts the poll threads of the counter and object plugins in h->run. 0 or HWT_E_NOMEM. */
int hwt_plugins_start_threads(struct hwt_host *h);
/** Once a round: tracers poll here; a threaded plugin that failed or has been in poll() for
 *  over a second is disabled (a note and a marker). */
void hwt_plugins_poll(struct hwt_host *h);
/** The target is gone: threaded plugins poll once more and end (a second at most); every
 *  plugin not stuck stops. Returns 1 when a plugin is still stuck in poll(): the host must then
 *  stay allocated. */
int hwt_plugins_stop(struct hwt_host *h);

#endif

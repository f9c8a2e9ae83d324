/* `hwtrace record --live`: the terminal redrawn every second while recording (cli/live.c). */
#ifndef HWT_CLI_LIVE_H
#define HWT_CLI_LIVE_H

struct cli_live;

/** New live view of a recording of program @prog (copied; for the title), drawn on stderr once
 *  cli_live_output() has the recording. NULL when out of memory. */
struct cli_live *cli_live_alloc(const char *prog);

/** hwt_record_config.on_output: the recording is being written to @fd (read through
 *  /proc/self/fd); starts the thread that redraws the screen every second. */
void cli_live_output(void *ctx, int fd);

/** Stops the view (the last screen stays) and frees @l; NULL accepted. */
void cli_live_free(struct cli_live *l);

#endif

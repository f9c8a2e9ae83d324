/* How long reads (export, report) run: the threads they decode with (-j), and their progress on
 * stderr, shown only when stderr is a terminal. */
#ifndef HWT_CLI_PROGRESS_H
#define HWT_CLI_PROGRESS_H

#include <stdint.h>

struct hwt_decoder;

/** -j N of export and report: the threads to decode with (hwt_decoder_config.threads), 0 until
 *  given (automatic). */
extern int cli_decode_threads;

/** Parses -j @arg into cli_decode_threads: 0, or 1 after saying what is wrong in one line. */
int cli_parse_jobs(const char *cmd, const char *arg);

/** A progress line for reading a recording; zero-initialised is "not shown". */
struct cli_progress {
	const struct hwt_decoder *d; /* borrowed: the decoder read from */
	char what[256];		     /* "exporting x.hwt", ... */
	int tty;		     /* stderr is a terminal: shown at all */
	int shown;		     /* a line is on the terminal */
	uint32_t calls;
	uint64_t events;
	uint64_t start_ns, next_ns;
};

/** Starts @p for reading @trace through @d (borrowed, must outlive @p's use), what is done
 *  named by @verb ("exporting"). Nothing is ever shown unless stderr is a terminal, nor before
 *  a second passed. */
void cli_progress_start(struct cli_progress *p, const struct hwt_decoder *d, const char *verb,
			const char *trace);

/** Counts @n more events, and redraws the line at most ten times a second. */
void cli_progress_tick_slow(struct cli_progress *p);
static inline void cli_progress_tick(struct cli_progress *p, uint64_t n)
{
	p->events += n;
	/* The clock is read every 64th batch only: a batch is up to 256 events. */
	if (p->tty && !(++p->calls & 63))
		cli_progress_tick_slow(p);
}

/** Clears the line if one was shown. */
void cli_progress_end(struct cli_progress *p);

#endif

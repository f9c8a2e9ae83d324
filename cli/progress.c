/* The progress line of long reads (export, report): percent of the recording read, events, rate;
 * on stderr when it is a terminal, never otherwise (tests and pipes see nothing). */
#include "progress.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "decoders/decode.h"
#include "cli.h"

int cli_decode_threads;

int cli_parse_jobs(const char *cmd, const char *arg)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end || end == arg || n < 1 || n > 64)
		return cli_error("%s: -j %s: give the threads to decode with, 1 to 64 (1: one "
				 "thread; by default 2 on large recordings)",
				 cmd, arg);
	cli_decode_threads = (int)n;
	return 0;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void cli_progress_start(struct cli_progress *p, const struct hwt_decoder *d, const char *verb,
			const char *trace)
{
	*p = (struct cli_progress){ .d = d, .tty = isatty(STDERR_FILENO) };
	snprintf(p->what, sizeof(p->what), "%s %s", verb, trace);
	if (p->tty) {
		/* Quick reads show nothing; HWT_PROGRESS_DELAY_MS sets how quick (tests: 0). */
		const char *env = getenv("HWT_PROGRESS_DELAY_MS");
		uint64_t delay = env ? strtoull(env, NULL, 10) * 1000000u : 1000000000u;
		p->start_ns = now_ns();
		p->next_ns = p->start_ns + delay;
	}
}

void cli_progress_tick_slow(struct cli_progress *p)
{
	uint64_t now = now_ns(), done, size;

	if (now < p->next_ns)
		return;
	p->next_ns = now + 100000000u;
	hwt_decoder_progress(p->d, &done, &size);
	double secs = (double)(now - p->start_ns) / 1e9;
	char pct[16] = "";
	if (size)
		snprintf(pct, sizeof(pct), "%3.0f %%, ", 100.0 * (double)done / (double)size);
	fprintf(stderr, "\rhwtrace: %s: %s%.2f M events (%.1f M/s)\033[K", p->what, pct,
		(double)p->events / 1e6, (double)p->events / 1e6 / secs);
	fflush(stderr);
	p->shown = 1;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		p->shown = 0;
	}
}

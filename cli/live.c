/* `hwtrace record --live`: while the recording is made, a thread of ours reads it back every
 * second (through /proc/self/fd: the file may have no name yet) and redraws the terminal with the
 * functions that took the most in the last second and the counters' latest values. It only
 * reads: what is recorded is the same with or without it. Each refresh decodes the recording from
 * its start, so on a long, busy recording the refreshes space out (they never take more than
 * half the time). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "decoders/decode.h"
#include "exporters/aggregate.h"
#include "exporters/funcdiff.h"
#include "exporters/trackstats.h"
#include "hwtrace/error.h"
#include "cli.h"
#include "live.h"

#define LIVE_ROWS 12

/* One reading of the recording. */
struct snap {
	struct hwt_model *m;
	struct hwt_agg *agg;
	struct hwt_trackstats *tracks;
	uint64_t events, first_ts, last_ts;
};

struct cli_live {
	char path[64];
	char prog[64];
	FILE *tty;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int started, stop;
	struct snap prev;
	uint64_t t0; /* when the recording began (CLOCK_MONOTONIC ns) */
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void snap_free(struct snap *s)
{
	hwt_agg_free(s->agg);
	hwt_trackstats_free(s->tracks);
	hwt_model_free(s->m);
	*s = (struct snap){ 0 };
}

/* Reads the recording as far as it is written into @s: 0, or a negative enum hwt_error. */
static int snap_read(struct cli_live *l, struct snap *s)
{
	char why[256];
	int err;
	struct hwt_event ev;

	*s = (struct snap){ 0 };
	if (!(s->m = cli_model_alloc()) || !(s->tracks = hwt_trackstats_alloc()))
		return HWT_E_NOMEM;
	struct hwt_decoder *d = hwt_decoder_open(l->path, s->m, NULL, &err, why, sizeof(why));
	if (!d)
		return err;
	s->agg = hwt_agg_alloc(s->m, NULL, &err, why, sizeof(why));
	while (s->agg && (err = hwt_decoder_next(d, &ev)) > 0) {
		if (!s->events++)
			s->first_ts = ev.ts;
		s->last_ts = ev.ts > s->last_ts ? ev.ts : s->last_ts;
		if ((err = hwt_agg_event(s->agg, s->m, &ev)) < 0 ||
		    (err = hwt_trackstats_event(s->tracks, &ev)) < 0)
			break;
	}
	hwt_decoder_close(d);
	/* The written end may cut a chunk: what came before it is shown. */
	if (s->agg && err >= 0)
		err = hwt_agg_finish(s->agg, s->m);
	return !s->agg ? HWT_E_NOMEM : err == HWT_E_NOCALLS ? 0 : err < 0 ? err : 0;
}

/* Redraws the screen from the last reading @cur and the one before (the last second). */
static void draw(struct cli_live *l, struct snap *cur)
{
	FILE *f = l->tty;
	struct hwt_funcdiff *fd = hwt_funcdiff_alloc();
	const char *vname = "", *unit;
	uint32_t n = 0;
	const struct hwt_funcdiff_func *fn = NULL;

	if (cur->agg && hwt_agg_mode(cur->agg) != HWT_AGG_AUTO)
		hwt_agg_value_desc(cur->agg, cur->m, hwt_agg_index(cur->agg), &vname, &unit);
	if (fd && cur->agg && !hwt_funcdiff_add(fd, 1, cur->agg, cur->m) &&
	    (!l->prev.agg || hwt_agg_mode(l->prev.agg) != hwt_agg_mode(cur->agg) ||
	     !hwt_funcdiff_add(fd, 0, l->prev.agg, l->prev.m)))
		fn = hwt_funcdiff_sorted(fd, &n);
	uint64_t total = 0;
	for (uint32_t i = 0; fn && i < n; i++)
		total += fn[i].self[1] > fn[i].self[0] ? fn[i].self[1] - fn[i].self[0] : 0;
	fprintf(f, "\033[H\033[2J");
	fprintf(f, "hwtrace live: %s, %.1f s, %llu events read (the last second, by self %s)\n\n",
		l->prog, (double)(now_ns() - l->t0) / 1e9, (unsigned long long)cur->events, vname);
	fprintf(f, "  %7s  %s\n", "self%", "function");
	for (uint32_t i = 0, shown = 0; fn && i < n && shown < LIVE_ROWS; i++) {
		uint64_t d = fn[i].self[1] > fn[i].self[0] ? fn[i].self[1] - fn[i].self[0] : 0;
		if (!d)
			continue;
		fprintf(f, "  %6.2f%%  %s\n", total ? 100.0 * (double)d / (double)total : 0.0,
			fn[i].name);
		shown++;
	}
	if (!total)
		fprintf(f, "  (nothing new yet)\n");
	if (cur->m && hwt_model_ntracks(cur->m) > 1) {
		fputc('\n', f);
		hwt_trackstats_print(cur->tracks, cur->m, f);
	}
	fflush(f);
	hwt_funcdiff_free(fd);
}

static void *live_main(void *arg)
{
	struct cli_live *l = arg;
	uint64_t interval = 500000000ull; /* the first screen soon, then every second */

	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(interval / 1000000000ull);
		until.tv_nsec += (long)(interval % 1000000000ull);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		while (!l->stop && pthread_cond_timedwait(&l->wake, &l->lock, &until) == 0)
			;
		if (l->stop)
			break;
		pthread_mutex_unlock(&l->lock);
		uint64_t t = now_ns();
		struct snap cur;
		if (!snap_read(l, &cur)) {
			draw(l, &cur);
			snap_free(&l->prev);
			l->prev = cur;
		} else {
			snap_free(&cur);
		}
		/* Reading takes longer as the recording grows: never more than half the time. */
		uint64_t took = now_ns() - t;
		interval = took > 500000000ull ? 2 * took : 1000000000ull;
		pthread_mutex_lock(&l->lock);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

struct cli_live *cli_live_alloc(const char *prog)
{
	struct cli_live *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	snprintf(l->prog, sizeof(l->prog), "%s", prog ? prog : "");
	l->tty = stderr;
	l->t0 = now_ns();
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	return l;
}

void cli_live_output(void *ctx, int fd)
{
	struct cli_live *l = ctx;

	snprintf(l->path, sizeof(l->path), "/proc/self/fd/%d", fd);
	l->t0 = now_ns();
	l->started = !pthread_create(&l->thread, NULL, live_main, l);
}

void cli_live_free(struct cli_live *l)
{
	if (!l)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->lock);
		l->stop = 1;
		pthread_cond_signal(&l->wake);
		pthread_mutex_unlock(&l->lock);
		pthread_join(l->thread, NULL);
	}
	snap_free(&l->prev);
	pthread_cond_destroy(&l->wake);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

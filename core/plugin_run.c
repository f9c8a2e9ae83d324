/* Plugins while recording: counter and object plugins poll on threads of their own, watched so
 * that one that fails or hangs is disabled (a note, and a marker on the timeline) while the
 * recording and the traced program go on; tracers poll on the recording thread. */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hwtrace/error.h"
#include "host_internal.h"
#include "plugin_run.h"

/* A poll() that has not returned after this long is stuck. */
#define STUCK_NS 1000000000ull

static int threaded(const struct hwt_plugin *p)
{
	return p->kind != HWT_PLUGIN_TRACER && p->poll;
}

int hwt_host_poll_interval(struct hwt_host *h, uint64_t ns)
{
	if (h->starting < 0 || !threaded(h->run[h->starting].plugin)) {
		hwt_host_set_error(h,
				   "only a counter or object plugin's start() sets its interval");
		return HWT_E_INVAL;
	}
	h->run[h->starting].interval_ns = ns < 100000 ? 100000 : ns;
	return 0;
}

int hwt_host_target_exited(const struct hwt_host *h)
{
	return atomic_load(&h->target_exited);
}

static void *poll_thread(void *arg)
{
	struct running *r = arg;
	struct timespec at;
	uint64_t next = hwt_host_now();

	hwt_host_thread_error(r->error);
	for (;;) {
		next += r->interval_ns;
		at = (struct timespec){ .tv_sec = (time_t)(next / 1000000000ull),
					.tv_nsec = (long)(next % 1000000000ull) };
		pthread_mutex_lock(&r->wake_lock);
		while (!atomic_load(&r->stop) &&
		       pthread_cond_timedwait(&r->wake, &r->wake_lock, &at) != ETIMEDOUT)
			;
		pthread_mutex_unlock(&r->wake_lock);
		int last = atomic_load(&r->stop);
		if (atomic_load(&r->disabled))
			break;
		uint64_t now = hwt_host_now();
		atomic_store(&r->poll_since, now);
		int rc = r->plugin->poll(r->st, now);
		atomic_store(&r->poll_since, 0);
		if (rc < 0) {
			atomic_store(&r->failed, rc);
			break;
		}
		if (last)
			break;
		if (next < now)
			next = now; /* fell behind: skip the polls missed, do not burst */
	}
	atomic_store(&r->done, 1);
	return NULL;
}

int hwt_plugins_start_threads(struct hwt_host *h)
{
	for (int i = 0; i < h->nrun; i++) {
		struct running *r = &h->run[i];
		if (!threaded(r->plugin))
			continue;
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&r->wake, &ca);
		pthread_condattr_destroy(&ca);
		pthread_mutex_init(&r->wake_lock, NULL);
		if (pthread_create(&r->thread, NULL, poll_thread, r)) {
			hwt_host_set_error(h, "cannot start a thread for plugin '%s'",
					   r->plugin->name);
			return HWT_E_NOMEM;
		}
		r->threaded = 1;
	}
	return 0;
}

/* Disables @r, saying @why in a note and on the timeline. */
static void disable(struct hwt_host *h, struct running *r, const char *why)
{
	char msg[600];

	atomic_store(&r->disabled, 1);
	snprintf(msg, sizeof(msg), "plugin '%s' disabled: %s", r->plugin->name, why);
	hwt_host_note(h, "%s", msg);
	hwt_host_marker(h, r->plugin->name, why);
	h->ndisabled++;
}

/* A threaded plugin that failed or is stuck is disabled once. */
static void watch(struct hwt_host *h, struct running *r, uint64_t now)
{
	char why[600];
	int rc = atomic_load(&r->failed);
	uint64_t since = atomic_load(&r->poll_since);

	if (r->disabled)
		return;
	if (rc < 0) {
		snprintf(why, sizeof(why), "poll() failed: %s",
			 r->error[0] ? r->error : hwt_errstr(rc));
		disable(h, r, why);
	} else if (since && now > since && now - since > STUCK_NS) {
		snprintf(why, sizeof(why), "poll() has not returned after %.1f s",
			 (double)(now - since) / 1e9);
		disable(h, r, why);
	}
}

void hwt_plugins_poll(struct hwt_host *h)
{
	uint64_t now = hwt_host_now();

	for (int i = 0; i < h->nrun; i++) {
		struct running *r = &h->run[i];
		if (r->threaded) {
			watch(h, r, now);
		} else if (r->plugin->poll && !r->disabled && r->plugin->poll(r->st, now) < 0) {
			hwt_host_note(h, "plugin '%s' failed while recording: %s", r->plugin->name,
				      hwt_host_error(h));
		}
	}
}

int hwt_plugins_stop(struct hwt_host *h)
{
	int stuck = 0;
	uint64_t deadline = hwt_host_now() + STUCK_NS;

	for (int i = 0; i < h->nrun; i++) {
		struct running *r = &h->run[i];
		if (!r->threaded)
			continue;
		pthread_mutex_lock(&r->wake_lock);
		atomic_store(&r->stop, 1);
		pthread_cond_signal(&r->wake);
		pthread_mutex_unlock(&r->wake_lock);
	}
	/* The last polls run: wait for them, a second at most in all. */
	for (int i = 0; i < h->nrun; i++) {
		struct running *r = &h->run[i];
		if (!r->threaded)
			continue;
		while (!atomic_load(&r->done) && !r->disabled && hwt_host_now() < deadline)
			nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
		if (atomic_load(&r->done)) {
			pthread_join(r->thread, NULL);
			watch(h, r, hwt_host_now());
			continue;
		}
		/* Left running: its state stays, and so does the host it may still call. */
		if (!r->disabled)
			disable(h, r, "poll() did not return after the program ended");
		pthread_detach(r->thread);
		r->threaded = 0;
		r->stuck = 1;
		stuck = 1;
	}
	for (int i = 0; i < h->nrun; i++) {
		struct running *r = &h->run[i];
		if (r->stuck)
			continue;
		if (r->plugin->stop)
			r->plugin->stop(r->st);
		if (r->threaded) {
			pthread_cond_destroy(&r->wake);
			pthread_mutex_destroy(&r->wake_lock);
		}
	}
	h->nrun = 0;
	return stuck;
}

/* Test plugins that go wrong while recording, built as one .so per behaviour (-DBEHAVE=...):
 * FAIL: poll() fails on its 3rd call; HANG: poll() never returns from its 3rd call; ABI1: built
 * for plugin ABI 1. Each counts its polls on a counter track first, so that the trace shows it
 * ran before it went wrong. */
#include <stdlib.h>
#include <unistd.h>

#include <hwtrace/plugin.h>

#define FAIL 1
#define HANG 2
#define ABI1 3
#define NONE 4

struct bad {
	struct hwt_host *h;
	int track, polls;
};

static int bad_start(struct hwt_host *h, const struct hwt_target *t,
		     const struct hwt_option_value *opts, void **st)
{
	struct hwt_counter_desc desc = { .name = BEHAVE == FAIL ? "failing polls" : "hanging polls",
					 .unit = "count",
					 .scope = HWT_SCOPE_GLOBAL };
	struct bad *b = calloc(1, sizeof(*b));

	if (!b)
		return HWT_E_NOMEM;
	b->h = h;
	b->track = hwt_host_counter_track(h, &desc);
	*st = b;
	return b->track < 0 ? b->track : 0;
}

static int bad_poll(void *st, uint64_t now_ns)
{
	struct bad *b = st;

	hwt_host_counter(b->h, b->track, now_ns, ++b->polls);
	if (b->polls < 3)
		return 0;
	if (BEHAVE == FAIL) {
		hwt_host_set_error(b->h, "the test plugin fails on purpose");
		return HWT_E_IO;
	}
	for (;;)
		pause();
}

static const struct hwt_plugin bad_plugin = {
	.abi = BEHAVE == ABI1 ? 1 : HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = BEHAVE == FAIL	 ? "failing"
		: BEHAVE == HANG ? "hanging"
				 : "old",
	.summary = "a plugin that goes wrong, for tests",
	.start = bad_start,
	.poll = bad_poll,
};

#if BEHAVE != NONE
const struct hwt_plugin *hwt_plugin_entry(void)
{
	return &bad_plugin;
}
#else
const struct hwt_plugin *not_the_entry(void)
{
	return &bad_plugin;
}
#endif

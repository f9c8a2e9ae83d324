/* An external counter plugin, the example of README's "Write a counter plugin": the machine's
 * load average (/proc/loadavg) as a global counter track, sampled every `interval`.
 * Build: cc -shared -fPIC -I include plugins/examples/loadavg.c -o loadavg.so
 * Use:   hwtrace record -P ./loadavg.so:interval=5ms -- prog */
#include <stdio.h>
#include <stdlib.h>

#include <hwtrace/plugin.h>

static const struct hwt_option options[] = {
	{ .name = "interval",
	  .type = HWT_OPT_DURATION,
	  .min = 100000,
	  .max = 10000000000,
	  .def = "10ms",
	  .help = "how often to read /proc/loadavg" },
};

struct loadavg {
	struct hwt_host *h;
	int track;
};

static int la_start(struct hwt_host *h, const struct hwt_target *t,
		    const struct hwt_option_value *opts, void **st)
{
	struct hwt_counter_desc desc = { .name = "loadavg",
					 .unit = "tasks",
					 .scope = HWT_SCOPE_GLOBAL };
	struct loadavg *la = calloc(1, sizeof(*la));

	(void)t; /* the program does not matter: the load is the machine's */
	if (!la)
		return HWT_E_NOMEM;
	la->h = h;
	la->track = hwt_host_counter_track(h, &desc);
	if (la->track < 0 || hwt_host_poll_interval(h, (uint64_t)opts[0].i) < 0) {
		int err = la->track < 0 ? la->track : HWT_E_INVAL;
		free(la);
		return err;
	}
	*st = la;
	return 0;
}

static int la_poll(void *st, uint64_t now_ns)
{
	struct loadavg *la = st;
	double one;
	FILE *f = fopen("/proc/loadavg", "r");

	if (!f)
		return 0; /* no /proc here: nothing to show */
	int n = fscanf(f, "%lf", &one);
	fclose(f);
	return n == 1 ? hwt_host_counter(la->h, la->track, now_ns, one) : 0;
}

static void la_stop(void *st)
{
	free(st);
}

static const struct hwt_plugin loadavg_plugin = {
	.abi = HWT_PLUGIN_ABI,
	.size = sizeof(struct hwt_plugin),
	.kind = HWT_PLUGIN_COUNTER,
	.name = "loadavg",
	.summary = "the load average of the machine (/proc/loadavg) as a counter track",
	.options = options,
	.noptions = sizeof(options) / sizeof(options[0]),
	.start = la_start,
	.poll = la_poll,
	.stop = la_stop,
};

const struct hwt_plugin *hwt_plugin_entry(void)
{
	return &loadavg_plugin;
}

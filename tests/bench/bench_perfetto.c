/* The Perfetto exporter alone, without decoding: a stream of slice begins and ends made in
 * memory (one thread, a pseudo-random call tree of 64 functions up to 24 deep, 20-200 ns
 * between events) handed to the exporter, writing to a stream that counts bytes. Prints the
 * exporter's events/s (slice begins and ends, two per call; its CPU time) and bytes per event.
 *   bench_perfetto [MILLIONS_OF_EVENTS] (default 20) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/model.h"
#include "exporters/exporter.h"

#define BATCH (1u << 20)

/* A stream that only counts what is written to it. */
static ssize_t count_write(void *cookie, const char *buf, size_t len)
{
	*(uint64_t *)cookie += len;
	(void)buf;
	return (ssize_t)len;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: steadier on a busy machine */
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* BATCH events that end as deep as they began (nothing open at either end). */
static int make_batch(struct hwt_model *m, const uint32_t *frames, struct hwt_event *ev)
{
	uint32_t stack[32], depth = 0, cur = 0, i;
	uint64_t seed = 42, ts = 0;

	for (i = 0; i < BATCH; i++) {
		int begin = depth == 0 || (depth < 24 && BATCH - i > depth && rnd(&seed) % 2);
		int64_t node;

		if (BATCH - i <= depth)
			begin = 0;
		ts += 20 + rnd(&seed) % 180;
		ev[i] = (struct hwt_event){ .type = begin ? HWT_EV_SLICE_BEGIN : HWT_EV_SLICE_END,
					    .pid = 1000,
					    .tid = 1000,
					    .ts = ts };
		ev[i].slice.frame = begin ? frames[rnd(&seed) % 64] : stack[depth - 1];
		node = hwt_model_slice_node(m, &cur, ev[i].type, ev[i].slice.frame);
		if (node < 0)
			return -1;
		ev[i].slice.node = (uint32_t)node;
		if (begin)
			stack[depth++] = ev[i].slice.frame;
		else
			depth--;
	}
	return depth == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned millions = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
	const struct hwt_exporter_ops *ops = hwt_exporter_by_name("perfetto");
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_event *ev = malloc(BATCH * sizeof(*ev));
	struct hwt_export_config cfg;
	struct hwt_exporter *e;
	uint32_t frames[64], i, r, rounds = (millions * 1000000u + BATCH - 1) / BATCH;
	uint64_t spent = 0, span, t0, events = 0, size = 0;
	char why[256] = "", name[16];
	int err = 0, rc = 0;

	if (!ops || !m || !ev)
		return 1;
	for (i = 0; i < 64; i++) {
		struct hwt_frame f = { .kind = HWT_FRAME_USER, .addr = 0x1000 + 16 * i };
		int64_t id;

		snprintf(name, sizeof(name), "func%u", i);
		f.name = (uint32_t)hwt_model_intern_str(m, name);
		id = hwt_model_intern_frame(m, &f);
		if (id <= 0)
			return 1;
		frames[i] = (uint32_t)id;
	}
	if (make_batch(m, frames, ev))
		return 1;
	span = ev[BATCH - 1].ts + 100;
	hwt_export_config_init(&cfg);
	cfg.out = fopencookie(&size, "w", (cookie_io_functions_t){ .write = count_write });
	if (!cfg.out || !(e = ops->create(&cfg, m, &err, why, sizeof(why)))) {
		fprintf(stderr, "bench_perfetto: cannot create the exporter: %s\n", why);
		return 1;
	}
	for (r = 0; r < rounds && !rc; r++) {
		t0 = now_ns();
		for (i = 0; i < BATCH && !rc; i++)
			rc = ops->event(e, m, &ev[i]);
		spent += now_ns() - t0;
		events += BATCH;
		for (i = 0; i < BATCH; i++) /* the next round follows this one */
			ev[i].ts += span;
	}
	t0 = now_ns();
	if (!rc)
		rc = ops->finish(e, m);
	spent += now_ns() - t0;
	ops->destroy(e);
	fclose(cfg.out);
	hwt_model_free(m);
	free(ev);
	if (rc) {
		fprintf(stderr, "bench_perfetto: the exporter failed: %d\n", rc);
		return 1;
	}
	printf("perfetto exporter alone: %llu slice events (begins and ends) in %.3f s of CPU: "
	       "%.1f M "
	       "events/s, %.2f bytes per event\n",
	       (unsigned long long)events, spent / 1e9, events / (spent / 1e3),
	       (double)size / events);
	return 0;
}

/* What the fuzz targets that build a recording share: decoding every event of the recording
 * held by a descriptor (a memfd), with addresses left unsymbolized (fuzzed input names no real
 * files), on one thread and again with the reader thread (decoders/pipeline.c): both must give
 * the same events, or the target aborts. */
#ifndef HWT_TESTS_FUZZ_DECODE_FD_H
#define HWT_TESTS_FUZZ_DECODE_FD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "decoders/decode.h"

static uint64_t decode_fd_mix(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

/* A hash of what @ev says (what its pointers point at, not their addresses). */
static uint64_t decode_fd_hash(uint64_t h, const struct hwt_model *m, const struct hwt_event *ev)
{
	h = decode_fd_mix(h, &ev->type, sizeof(ev->type));
	h = decode_fd_mix(h, &ev->pid, sizeof(ev->pid));
	h = decode_fd_mix(h, &ev->tid, sizeof(ev->tid));
	h = decode_fd_mix(h, &ev->ts, sizeof(ev->ts));
	switch (ev->type) {
	case HWT_EV_SAMPLE:
		h = decode_fd_mix(h, &ev->sample.stack, sizeof(ev->sample.stack));
		return decode_fd_mix(h, ev->sample.weights,
				     hwt_model_nweights(m) * sizeof(*ev->sample.weights));
	case HWT_EV_INSTANT:
		h = decode_fd_mix(h, &ev->instant.name, sizeof(ev->instant.name));
		return decode_fd_mix(h, ev->instant.args, ev->instant.args_len);
	case HWT_EV_OBJECT:
		h = decode_fd_mix(h, &ev->object.track, sizeof(ev->object.track));
		return decode_fd_mix(h, ev->object.value, ev->object.len);
	case HWT_EV_SLICE_ARGS:
		return decode_fd_mix(h, ev->args.args, ev->args.len);
	default: /* no pointers: the decoder zeroes every event before filling it */
		return decode_fd_mix(h, &ev->lost, sizeof(*ev) - offsetof(struct hwt_event, lost));
	}
}

/* Decodes the recording at @path with @threads; hands each event to @on_event when not NULL.
 * Returns the hash of the events and the model's tables. */
static uint64_t decode_fd_run(const char *path, int threads,
			      void (*on_event)(const struct hwt_event *ev))
{
	char why[512];
	struct hwt_decoder_config cfg;
	const struct hwt_event *evs;
	uint64_t h = 1469598103934665603ull;
	int n;

	struct hwt_model *m = hwt_model_alloc();
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	cfg.threads = threads;
	struct hwt_decoder *d = m ? hwt_decoder_open(path, m, &cfg, &n, why, sizeof(why)) : NULL;
	while (d && (n = hwt_decoder_batch(d, &evs)) > 0)
		for (int i = 0; i < n; i++) {
			if (on_event)
				on_event(&evs[i]);
			h = decode_fd_hash(h, m, &evs[i]);
		}
	if (m) {
		uint32_t counts[] = { hwt_model_nstrs(m), hwt_model_nframes(m),
				      hwt_model_nstacks(m), hwt_model_ntracks(m) };
		h = decode_fd_mix(h, counts, sizeof(counts));
	}
	hwt_decoder_close(d);
	hwt_model_free(m);
	return h;
}

/* Decodes the recording in @fd to its end, handing each event to @on_event when not NULL. */
static void decode_fd(int fd, void (*on_event)(const struct hwt_event *ev))
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	uint64_t one = decode_fd_run(path, 1, on_event);
	if (decode_fd_run(path, 2, NULL) != one) {
		fprintf(stderr, "decode_fd: the reader thread gave other events than one thread\n");
		abort();
	}
}

#endif

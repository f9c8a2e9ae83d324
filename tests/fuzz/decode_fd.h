/* What the fuzz targets that build a recording share: decoding every event of the recording
 * held by a descriptor (a memfd), with addresses left unsymbolized (fuzzed input names no real
 * files). */
#ifndef HWT_TESTS_FUZZ_DECODE_FD_H
#define HWT_TESTS_FUZZ_DECODE_FD_H

#include <stdio.h>

#include "core/model.h"
#include "decoders/decode.h"

/* Decodes the recording in @fd to its end, handing each event to @on_event when not NULL. */
static void decode_fd(int fd, void (*on_event)(const struct hwt_event *ev))
{
	char path[64], why[512];
	struct hwt_decoder_config cfg;
	struct hwt_event ev;
	int err;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct hwt_model *m = hwt_model_alloc();
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	struct hwt_decoder *d = m ? hwt_decoder_open(path, m, &cfg, &err, why, sizeof(why)) : NULL;
	while (d && hwt_decoder_next(d, &ev) > 0)
		if (on_event)
			on_event(&ev);
	hwt_decoder_close(d);
	hwt_model_free(m);
}

#endif

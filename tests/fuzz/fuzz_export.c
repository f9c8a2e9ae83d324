/* libFuzzer target: every exporter fed a fuzzed event stream. The first byte chooses what the
 * rest is: perf records of one ring (processes, threads, samples with stacks, losses) or the
 * host's own stream (counters, objects, instants, spans, flows); the recording made of it is
 * decoded and each event handed to all exporters at once, as `export` would one by one. */
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/format/custom_format.h"
#include "core/format/records.h"
#include "core/model.h"
#include "core/store.h"
#include "decoders/decode.h"
#include "exporters/exporter.h"

static const struct hwt_event_desc desc = {
	.id = 1,
	.leader_id = 1,
	.type = PERF_TYPE_SOFTWARE,
	.sample_period = 4000,
	.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
		       PERF_SAMPLE_TIME | PERF_SAMPLE_PERIOD | PERF_SAMPLE_CALLCHAIN,
	.name = "cpu-clock",
	.plugin = "sample",
};

/* The recording: @data as ring records (@custom 0) or as the host's stream, in two items. */
static int wrap(int fd, int custom, const uint8_t *data, size_t size)
{
	static const uint8_t pad[8];
	int err;
	struct hwt_store_writer *w = hwt_store_writer_open(fd, NULL, &err);
	if (!w)
		return err;
	hwt_store_write(w, HWT_CHUNK_META,
			"pid\0"
			"1",
			6);
	hwt_store_write(w, HWT_CHUNK_EVENTS, &desc, sizeof(desc));
	struct hwt_source_desc sd = { .id = 1 };
	struct iovec src[2] = { { &sd, sizeof(sd) },
				{ (void *)HWT_CUSTOM_SOURCE, sizeof(HWT_CUSTOM_SOURCE) } };
	hwt_store_appendv(w, HWT_CHUNK_SOURCE, src, 2);
	size_t len = custom ? size : size & ~(size_t)7;
	struct hwt_stream_item it = { .ts = 1000,
				      .id = custom ? 1 : 0,
				      .kind = custom ? HWT_ITEM_SOURCE : HWT_ITEM_RING,
				      .len = (uint32_t)len };
	struct iovec item[3] = { { &it, sizeof(it) },
				 { (void *)data, len },
				 { (void *)pad, -len & 7 } };
	hwt_store_appendv(w, HWT_CHUNK_STREAM, item, 3);
	return hwt_store_writer_close(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[8][256];
	int fd = memfd_create("hwt-fuzz-export", 0), err;
	FILE *out = fopen("/dev/null", "w");

	if (fd < 0 || !out || !size || size > (1u << 20))
		goto out;
	int keep = dup(fd);
	if (keep < 0 || wrap(fd, data[0] & 1, data + 1, size - 1) < 0) {
		if (keep >= 0)
			close(keep);
		goto out;
	}
	fd = keep;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_decoder_config cfg;
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0;
	struct hwt_decoder *d = hwt_decoder_open(path, m, &cfg, &err, why[0], sizeof(why[0]));
	struct hwt_exporter *ex[8] = { 0 };
	int n = 0;
	struct hwt_export_config ec;
	hwt_export_config_init(&ec);
	ec.out = out;
	for (const struct hwt_exporter_ops *const *o = hwt_exporters; d && *o && n < 8; o++) {
		ex[n] = (*o)->create(&ec, m, &err, why[n], sizeof(why[n]));
		if (ex[n])
			n++;
	}
	struct hwt_event ev;
	while (d && hwt_decoder_next(d, &ev) > 0)
		for (int i = 0; i < n; i++)
			ex[i]->ops->event(ex[i], m, &ev);
	for (int i = 0; i < n; i++) {
		ex[i]->ops->finish(ex[i], m);
		ex[i]->ops->destroy(ex[i]);
	}
	hwt_decoder_close(d);
	hwt_model_free(m);
out:
	if (out)
		fclose(out);
	if (fd >= 0)
		close(fd);
	return 0;
}

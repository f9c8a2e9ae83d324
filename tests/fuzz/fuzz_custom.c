/* libFuzzer target: any bytes as the host's own stream ("hwt.custom": counter and object tracks,
 * instants, spans, flows, markers, lost records; core/format/custom_format.h), wrapped in a
 * recording and decoded to the end; every value tree the decoder hands out is walked whole, as
 * the exporters do. Run by make fuzz. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/format/custom_format.h"
#include "core/format/records.h"
#include "core/format/value.h"
#include "core/model.h"
#include "core/store.h"
#include "decode_fd.h"

/* A tree handed out must be well-formed: the decoder checks before it lets one go. */
static void walk(const uint8_t *tree, size_t len)
{
	struct hwt_value_reader r;
	struct hwt_value v;
	int rc;

	hwt_value_reader_init(&r, tree, len);
	while ((rc = hwt_value_next(&r, &v)) != 0)
		if (rc < -1)
			abort();
}

/* Writes @data as the one stream item of a recording into @fd. */
static int wrap(int fd, const uint8_t *data, size_t size)
{
	static const uint8_t pad[8];
	int err;
	struct hwt_store_writer *w = hwt_store_writer_open(fd, NULL, &err);
	struct hwt_source_desc sd = { .id = 1 };
	struct iovec src[2] = { { &sd, sizeof(sd) },
				{ (void *)HWT_CUSTOM_SOURCE, sizeof(HWT_CUSTOM_SOURCE) } };
	struct hwt_stream_item it = {
		.ts = 1000, .id = 1, .kind = HWT_ITEM_SOURCE, .len = (uint32_t)size
	};
	struct iovec item[3] = { { &it, sizeof(it) },
				 { (void *)data, size },
				 { (void *)pad, -size & 7 } };

	if (!w)
		return err;
	err = hwt_store_appendv(w, HWT_CHUNK_SOURCE, src, 2);
	if (err >= 0)
		err = hwt_store_appendv(w, HWT_CHUNK_STREAM, item, 3);
	int cerr = hwt_store_writer_close(w);
	return err < 0 ? err : cerr;
}

/* Reads the value trees events carry to their end. */
static void walk_event(const struct hwt_event *ev)
{
	if (ev->type == HWT_EV_INSTANT)
		walk(ev->instant.args, ev->instant.args_len);
	else if (ev->type == HWT_EV_OBJECT)
		walk(ev->object.value, ev->object.len);
	else if (ev->type == HWT_EV_SLICE_ARGS)
		walk(ev->args.args, ev->args.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("hwt-fuzz", 0);

	if (fd < 0 || size > (1u << 20))
		return fd < 0 ? 0 : (close(fd), 0);
	int keep = dup(fd);
	if (keep < 0 || wrap(fd, data, size) < 0) {
		if (keep >= 0)
			close(keep);
		return 0;
	}
	decode_fd(keep, walk_event);
	close(keep);
	return 0;
}

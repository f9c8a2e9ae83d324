/* What the fuzz targets of the two call-stream backends (uprobe, inproc) share: fuzzed bytes as
 * the calls-and-returns stream of a recording that declares a valid function table, decoded to
 * the end in two drain rounds. Both streams share the uprobe stream's encoding and table. */
#ifndef HWT_TESTS_FUZZ_CALL_STREAM_H
#define HWT_TESTS_FUZZ_CALL_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/format/records.h"
#include "core/format/uprobe_format.h"
#include "core/store.h"
#include "decode_fd.h"

/* One stream item of source 1 at @ts holding @len bytes of @p, flushed as a chunk (a round). */
static void call_stream_item(struct hwt_store_writer *w, uint64_t ts, const uint8_t *p, size_t len)
{
	static const uint8_t pad[8];
	struct hwt_stream_item it = {
		.ts = ts, .id = 1, .kind = HWT_ITEM_SOURCE, .len = (uint32_t)len
	};
	struct iovec iov[3] = { { &it, sizeof(it) },
				{ (void *)p, len },
				{ (void *)pad, -len & 7 } };
	hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 3);
	hwt_store_flush(w, 1);
}

/* Records @data (at most 1 MiB) as the stream of source @source ("uprobe" or "inproc"), with a
 * three-function table, and decodes the recording. */
static void call_stream_decode(const char *source, const uint8_t *data, size_t size)
{
	int err, fd = memfd_create("hwt-fuzz-calls", 0);

	if (fd < 0 || size > (1u << 20)) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct hwt_store_writer *w = hwt_store_writer_open(dup(fd), NULL, &err);
	if (!w) {
		close(fd);
		return;
	}
	hwt_store_write(w, HWT_CHUNK_META,
			"pid\0"
			"1000",
			9);
	uint32_t nl = (uint32_t)strlen(source);
	struct hwt_source_desc sd = { .id = 1 };
	struct iovec src[2] = { { &sd, sizeof(sd) }, { (void *)source, nl + 1 } };
	hwt_store_appendv(w, HWT_CHUNK_SOURCE, src, 2);
	struct hwt_uprobe_table t = { 0 };
	if (!hwt_uprobe_table_begin(&t, "/usr/bin/app") &&
	    !hwt_uprobe_table_add(&t, 1, 0x1100, 32, 0, "main") &&
	    !hwt_uprobe_table_add(&t, 2, 0x1200, 48, 1, "work") &&
	    !hwt_uprobe_table_add(&t, 3, 0x1300, 16, 2, "_ZN3hwt4testEv")) {
		struct iovec iov[3] = { { &nl, 4 }, { (void *)source, nl }, { t.data, t.len } };
		hwt_store_appendv(w, HWT_CHUNK_PLUGIN, iov, 3);
	}
	hwt_uprobe_table_fini(&t);
	size_t half = size / 2;
	call_stream_item(w, 100, data, half);
	call_stream_item(w, 200, data + half, size - half);
	hwt_store_writer_close(w);

	decode_fd(fd, NULL);
	close(fd);
}

#endif

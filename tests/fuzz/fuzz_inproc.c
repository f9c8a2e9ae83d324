/* libFuzzer target: the inproc backend's data: any bytes as the selection the runtime reads from
 * the area (core/format/inproc_format.c), and as the "inproc" stream of a recording that declares
 * a valid function table, decoded (decoders/inproc/) to the end in two drain rounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "core/format/records.h"
#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"
#include "core/model.h"
#include "core/store.h"
#include "decode_fd.h"

static int on_file(const char *path, size_t len, void *ctx)
{
	return 0;
}

static int on_func(const struct hwt_uprobe_func *f, void *ctx)
{
	return 0;
}

static void item(struct hwt_store_writer *w, uint64_t ts, const uint8_t *p, size_t len)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hwt_uprobe_table_reader rd = { .file = on_file, .func = on_func };
	int err, fd = memfd_create("hwt-fuzz-inproc", 0);

	hwt_uprobe_table_read(data, size, &rd, NULL);
	struct hwt_inproc_pattern p;
	size_t off = 0;
	while (!hwt_inproc_pattern_next(data, size, &off, &p))
		;
	if (fd < 0 || size > (1u << 20))
		return fd < 0 ? 0 : (close(fd), 0);
	struct hwt_store_writer *w = hwt_store_writer_open(dup(fd), NULL, &err);
	if (!w) {
		close(fd);
		return 0;
	}
	hwt_store_write(w, HWT_CHUNK_META,
			"pid\0"
			"1000",
			9);
	struct hwt_source_desc sd = { .id = 1 };
	struct iovec src[2] = { { &sd, sizeof(sd) }, { "inproc", 7 } };
	hwt_store_appendv(w, HWT_CHUNK_SOURCE, src, 2);
	struct hwt_uprobe_table t = { 0 };
	uint32_t nl = 6;
	if (!hwt_uprobe_table_begin(&t, "/usr/bin/app") &&
	    !hwt_uprobe_table_add(&t, 1, 0x1100, 32, 0, "main") &&
	    !hwt_uprobe_table_add(&t, 2, 0x1200, 48, 1, "work") &&
	    !hwt_uprobe_table_add(&t, 3, 0x1300, 16, 2, "_ZN3hwt4testEv")) {
		struct iovec iov[3] = { { &nl, 4 }, { "inproc", 6 }, { t.data, t.len } };
		hwt_store_appendv(w, HWT_CHUNK_PLUGIN, iov, 3);
	}
	hwt_uprobe_table_fini(&t);
	size_t half = size / 2;
	item(w, 100, data, half);
	item(w, 200, data + half, size - half);
	hwt_store_writer_close(w);

	decode_fd(fd, NULL);
	close(fd);
	return 0;
}

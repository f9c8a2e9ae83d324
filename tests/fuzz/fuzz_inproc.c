/* libFuzzer target: the inproc backend's data: any bytes as the selection the runtime reads from
 * the area (core/format/inproc_format.c), as a function table, and as the "inproc" stream of a
 * recording that declares a valid function table, decoded (decoders/inproc/) to the end in two
 * drain rounds. */
#include <stddef.h>
#include <stdint.h>

#include "call_stream.h"
#include "core/format/inproc_format.h"
#include "core/format/uprobe_format.h"

static int on_file(const char *path, size_t len, void *ctx)
{
	return 0;
}

static int on_func(const struct hwt_uprobe_func *f, void *ctx)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct hwt_uprobe_table_reader rd = { .file = on_file, .func = on_func };
	struct hwt_inproc_pattern p;
	size_t off = 0;

	hwt_uprobe_table_read(data, size, &rd, NULL);
	while (!hwt_inproc_pattern_next(data, size, &off, &p))
		;
	call_stream_decode("inproc", data, size);
	return 0;
}

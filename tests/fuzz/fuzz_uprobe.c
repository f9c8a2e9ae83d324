/* libFuzzer target: the uprobe backend's data (core/format/uprobe_format.c, decoders/uprobe/):
 * any bytes as the function table chunk's reader input, and as the stream of calls and returns
 * of a recording that declares a valid table, decoded to the end in two drain rounds. */
#include <stddef.h>
#include <stdint.h>

#include "call_stream.h"
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

	hwt_uprobe_table_read(data, size, &rd, NULL);
	call_stream_decode("uprobe", data, size);
	return 0;
}

/* libFuzzer target: the BTF reader (core/btf.c) on any bytes: a member offset or an error, no
 * read outside the blob (ASan), and an offset found lies within the blob's types' reach. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/btf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "pid", "tgid", "other", "flags", "" };
	/* A copy of its own size: ASan sees any read past the end. */
	uint8_t *b = malloc(size ? size : 1);
	uint32_t off;

	if (!b)
		return 0;
	memcpy(b, data, size);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int rc = hwt_btf_member_offset(b, size, "task_struct", names[i], &off);
		if (rc > 0)
			abort();
	}
	free(b);
	return 0;
}

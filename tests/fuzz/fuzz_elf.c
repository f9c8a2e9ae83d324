/* libFuzzer target: the ELF readers (core/elffuncs.c, core/symfile.c through the symbolizer, the
 * inlined-frame reader): any bytes as a file in a memfd, its functions listed and disassembled,
 * and addresses in it symbolized as if a process had it mapped. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/elffuncs.h"
#include "core/model.h"
#include "core/symbols.h"

static int count(const struct hwt_elf_func *f, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[256];
	size_t n = 0;
	int fd = memfd_create("hwt-fuzz-elf", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	hwt_elf_functions(path, HWT_ELF_RET_SITES, count, &n, why, sizeof(why));
	hwt_elf_uses_exceptions(path);

	struct hwt_model *m = hwt_model_alloc();
	struct hwt_symbolizer *s = m ? hwt_symbolizer_alloc(m) : NULL;
	struct hwt_map_info mi = { .start = 0x400000, .end = 0x800000, .pgoff = 0, .path = path };
	if (s && hwt_symbolizer_add_map(s, 1, &mi) >= 0) {
		/* Addresses spread over the mapping, and some the input chooses. */
		for (uint64_t a = mi.start; a < mi.end; a += 0x3ff01)
			hwt_symbolizer_frame(s, 1, a, 0);
		for (size_t i = 0; i + 4 <= size && i < 64; i += 4) {
			uint32_t off = (uint32_t)data[i] | (uint32_t)data[i + 1] << 8 |
				       (uint32_t)data[i + 2] << 16;
			uint32_t inl[8];
			hwt_symbolizer_frame(s, 1, mi.start + off, 0);
			hwt_symbolizer_inlined(s, 1, mi.start + off, inl, 8);
		}
	}
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	close(fd);
	return 0;
}

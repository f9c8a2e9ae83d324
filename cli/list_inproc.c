/* `hwtrace list PROG`: what -b inproc would do with the program's functions: how many the
 * patcher takes, and how many it refuses (traced with uprobes instead), by reason. The patcher
 * checks each function on a read-only mapping of the file. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/elffuncs.h"
#include "lib/inproc/patch.h"

#define NREASONS (HWT_PATCH_REFUSAL_COUNT_ + 1)

struct inproc_counts {
	const uint8_t *map;
	size_t size;
	struct hwt_patcher *p;
	unsigned long long n[NREASONS]; /* [0]: patched; the last: errors */
};

static void no_hook(void *ctx, uint32_t id)
{
}

static void no_leave(void *ctx, uint32_t id, unsigned flags)
{
}

static int check_func(const struct hwt_elf_func *f, void *ctx)
{
	struct inproc_counts *c = ctx;
	int r = HWT_PATCH_TOO_SHORT;

	if (f->size && f->offset < c->size && f->size <= c->size - f->offset)
		r = hwt_patcher_check(c->p, (uintptr_t)(c->map + f->offset), f->size);
	c->n[r >= 0 && r < NREASONS - 1 ? r : NREASONS - 1]++;
	return 0;
}

void list_inproc(const char *path)
{
	static const struct hwt_patch_hooks hooks = { .enter = no_hook, .leave = no_leave };
	struct inproc_counts c = { 0 };
	struct stat st;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || !st.st_size) {
		if (fd >= 0)
			close(fd);
		return;
	}
	c.size = (size_t)st.st_size;
	c.map = mmap(NULL, c.size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (c.map == MAP_FAILED)
		return;
	c.p = hwt_patcher_alloc(&hooks);
	if (c.p && hwt_elf_functions(path, 0, check_func, &c, why, sizeof(why)) > 0) {
		unsigned long long refused = 0;
		for (int i = 1; i < NREASONS; i++)
			refused += c.n[i];
		printf("\ninproc in %s:\n", path);
		printf("  %llu functions patched in the process (~0.1 us a call); %llu refused by "
		       "the patcher, traced with uprobes instead%s\n",
		       c.n[0], refused, refused ? ":" : "");
		for (int i = 1; i < NREASONS; i++)
			if (c.n[i])
				printf("    %llu %s\n", c.n[i],
				       i == NREASONS - 1 ? "could not be read"
							 : hwt_patch_refusal_str(i));
		printf("  (patching may refuse a few more: no trampoline room within 2 GiB, a "
		       "RIP-relative operand out of reach)\n");
	}
	hwt_patcher_free(c.p);
	munmap((void *)c.map, c.size);
}

/* `hwtrace list PROG`: what -b inproc would do with the program's functions: how many the
 * patcher takes, and how many it refuses (traced with uprobes instead), by reason. The patcher
 * checks each function on a read-only mapping of the file. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "core/elffuncs.h"
#include "core/util.h"
#include "hwtrace/error.h"
#include "lib/inproc/patch.h"

#define NREASONS (HWT_PATCH_REFUSAL_COUNT_ + 1)

struct inproc_counts {
	const uint8_t *map;
	size_t size;
	struct hwt_patch_req *reqs; /* the functions, judged in one batch as the runtime does */
	size_t nreqs, cap;
	unsigned long long n[NREASONS]; /* [0]: patched; the last: could not be read */
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

	if (!f->size || f->offset >= c->size || f->size > c->size - f->offset) {
		c->n[f->size ? NREASONS - 1 : HWT_PATCH_TOO_SHORT]++;
		return 0;
	}
	if (HWT_ARRAY_GROW(c->reqs, &c->cap, c->nreqs + 1))
		return HWT_E_NOMEM;
	c->reqs[c->nreqs++] = (struct hwt_patch_req){ .addr = (uintptr_t)(c->map + f->offset),
						      .size = f->size,
						      .id = (uint32_t)c->nreqs };
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
	struct hwt_patcher *p = hwt_patcher_alloc(&hooks);
	int *res = NULL;
	if (p && hwt_elf_functions(path, 0, check_func, &c, why, sizeof(why)) > 0 &&
	    (res = calloc(c.nreqs ? c.nreqs : 1, sizeof(*res))) &&
	    hwt_patcher_check_many(p, c.reqs, c.nreqs, res) >= 0) {
		for (size_t i = 0; i < c.nreqs; i++)
			c.n[res[i] >= 0 && res[i] < NREASONS - 1 ? res[i] : NREASONS - 1]++;
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
	free(res);
	free(c.reqs);
	hwt_patcher_free(p);
	munmap((void *)c.map, c.size);
}

/* Touches N MiB (argument, default 64) of fresh anonymous memory, one write per 4 KiB page:
 * at least N * 256 page faults. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	size_t len = mib << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return 1;
	madvise(p, len, MADV_NOHUGEPAGE); /* one fault per 4 KiB page, not per 2 MiB */
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	printf("touched %zu MiB\n", mib);
	return 0;
}

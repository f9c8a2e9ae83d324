/* Loads zlib with dlopen after main starts and calls its crc32 exactly 100 times through the
 * pointer dlsym gives (libz is not linked: nothing of it is mapped before the dlopen), unloads
 * it with dlclose, loads it again and calls crc32 50 more times: 150 calls. Prints the
 * checksum. */
#include <dlfcn.h>
#include <stdio.h>

typedef unsigned long (*crc_fn)(unsigned long, const unsigned char *, unsigned);

int main(void)
{
	void *h = dlopen("libz.so.1", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlcrc: %s\n", dlerror());
		return 1;
	}
	crc_fn crc = (crc_fn)dlsym(h, "crc32");
	unsigned long c = 0;
	for (int i = 0; i < 100; i++)
		c = crc(c, (const unsigned char *)"hello", 5);
	dlclose(h);
	h = dlopen("libz.so.1", RTLD_NOW);
	if (!h) {
		fprintf(stderr, "dlcrc: %s\n", dlerror());
		return 1;
	}
	crc = (crc_fn)dlsym(h, "crc32");
	for (int i = 0; i < 50; i++)
		c = crc(c, (const unsigned char *)"hello", 5);
	printf("%lx\n", c);
	return 0;
}

/* Calls free, cfree, strlen, memcpy and sqrt a known number of times each, through volatile
 * function pointers so that the compiler keeps every call and does not inline them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void (*volatile p_free)(void *) = free;
static void (*volatile p_cfree)(void *);
static size_t (*volatile p_strlen)(const char *) = strlen;
static void *(*volatile p_memcpy)(void *, const void *, size_t) = memcpy;
static double (*volatile p_sqrt)(double) = sqrt;

int main(void)
{
	char buf[64];
	double s = 0;
	size_t n = 0;

	/* glibc keeps cfree as a compatibility symbol only: programs cannot link it. */
	p_cfree = (void (*)(void *))dlvsym(RTLD_DEFAULT, "cfree", "GLIBC_2.2.5");
	if (!p_cfree)
		p_cfree = free;

	for (int i = 0; i < 7; i++)
		p_free(malloc(16));
	for (int i = 0; i < 3; i++)
		p_cfree(malloc(16));
	for (int i = 0; i < 11; i++)
		n += p_strlen("hello, world");
	for (int i = 0; i < 13; i++)
		p_memcpy(buf, "0123456789", 11);
	for (int i = 0; i < 5; i++)
		s += p_sqrt(i);
	/* No stdio: printf would call strlen and memcpy too. n = 11 * 12, s = sqrt 0..4 * 1000 */
	char out[32], *p = out + sizeof(out);
	unsigned long v = (unsigned long)n * 100000 + (unsigned long)(s * 1000);
	*--p = '\n';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	return write(1, p, (size_t)(out + sizeof(out) - p)) < 0;
}

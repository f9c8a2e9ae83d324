/* Compresses (zlib), parses (its own parse_* functions) and writes files (write_file), in rounds,
 * and prints the CPU time of each phase as it measured it: "compress NS", "parse NS", "io NS".
 * For tag rules (hwtrace export --by tag): the shares of the tags compress (library libz),
 * parse (^parse_) and io (^write_file$) must match those the program measured. Arguments: rounds
 * (default 20) and a directory to write into (default .). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#define TEXT (1u << 20)

static char text[TEXT];
static unsigned char packed[TEXT + TEXT / 100 + 64];
static volatile unsigned long sink;

static unsigned long long cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Lines of "key=number" with some repetition, so that zlib has work of both kinds. */
static void make_text(void)
{
	unsigned x = 12345;
	size_t at = 0;
	while (at + 32 < TEXT) {
		x = x * 1103515245u + 12345u;
		at += (size_t)snprintf(text + at, 32, "k%u=%u\n", x >> 28, (x >> 8) % 100000);
	}
	memset(text + at, '\n', TEXT - at);
}

__attribute__((noinline)) static void compress_phase(void)
{
	uLongf len = sizeof(packed);
	if (compress2(packed, &len, (const Bytef *)text, TEXT, 1) != Z_OK)
		exit(2);
	sink += len;
}

__attribute__((noinline)) unsigned long parse_number(const char **p)
{
	unsigned long v = 0;
	while (**p >= '0' && **p <= '9')
		v = v * 10 + (unsigned long)(*(*p)++ - '0');
	return v;
}

__attribute__((noinline)) unsigned long parse_line(const char **p)
{
	unsigned long v = 0;
	while (**p && **p != '=' && **p != '\n')
		(*p)++;
	if (**p == '=') {
		(*p)++;
		v = parse_number(p);
	}
	while (**p == '\n')
		(*p)++;
	return v;
}

__attribute__((noinline)) static void parse_phase(int passes)
{
	for (int k = 0; k < passes; k++) {
		const char *p = text, *end = text + TEXT - 64;
		while (p < end)
			sink += parse_line(&p);
	}
}

__attribute__((noinline)) void write_file(const char *dir, int n)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/tagged.%d.out", dir, n);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		exit(3);
	for (int i = 0; i < 8; i++)
		for (size_t at = 0; at < TEXT; at += 4096)
			if (write(fd, text + at, 4096) != 4096)
				exit(3);
	close(fd);
	unlink(path);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20;
	const char *dir = argc > 2 ? argv[2] : ".";
	unsigned long long t[3] = { 0 }, t0;

	make_text();
	for (int r = 0; r < rounds; r++) {
		t0 = cpu_ns();
		compress_phase();
		t[0] += cpu_ns() - t0;
		t0 = cpu_ns();
		parse_phase(3);
		t[1] += cpu_ns() - t0;
		t0 = cpu_ns();
		write_file(dir, r);
		t[2] += cpu_ns() - t0;
	}
	printf("compress %llu\nparse %llu\nio %llu\n", t[0], t[1], t[2]);
	return 0;
}

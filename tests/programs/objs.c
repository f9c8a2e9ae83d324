/* For the object plugins: opens the file argv[1], then dlopens zlib (a library it does not link),
 * then closes the file, resting 150 ms between steps so that a poll sees each state; prints what
 * it did. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

static void rest(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 150000000 }, NULL);
}

int main(int argc, char **argv)
{
	rest();
	int fd = open(argc > 1 ? argv[1] : "/dev/null", O_RDONLY);
	rest();
	void *z = dlopen("libz.so.1", RTLD_NOW);
	rest();
	close(fd);
	rest();
	printf("fd %d, zlib %s\n", fd, z ? "loaded" : "missing");
	return 0;
}

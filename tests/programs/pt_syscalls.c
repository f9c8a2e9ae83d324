/* A syscall-heavy loop for the Intel PT oracle: 40 rounds of getpid() and write() to
 * /dev/null, each syscall leaving user space (TIP.PGD) and coming back (TIP.PGE). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) int round_trip(int fd, int i)
{
	char c = (char)('a' + i % 26);

	return (int)write(fd, &c, 1) + (getpid() > 0);
}

int main(void)
{
	int fd = open("/dev/null", O_WRONLY), i, n = 0;

	if (fd < 0)
		return 1;
	for (i = 0; i < 40; i++)
		n += round_trip(fd, i);
	close(fd);
	printf("%d\n", n);
	return 0;
}

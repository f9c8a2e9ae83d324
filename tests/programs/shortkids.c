/* Forks N children (argv[1], default 20), one at a time; each opens the file argv[2] (default
 * /etc/hostname) in kid_work(), reads it, closes it and exits at once: processes that live well
 * under a millisecond, gone before a recorder's next 10 ms round. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void kid_work(const char *path)
{
	char buf[64];
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf)) < 0)
			_exit(2);
		close(fd);
	}
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 20;
	const char *path = argc > 2 ? argv[2] : "/etc/hostname";

	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			kid_work(path);
			_exit(0);
		}
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			return 1;
	}
	return 0;
}

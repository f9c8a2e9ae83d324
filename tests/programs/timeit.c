/* Runs a program and writes its own run time to a file, for benchmarks that must not count the
 * start and stop cost of a recorder around it: timeit OUT PROG [ARGS] writes
 * "WALL_NS USER_NS SYS_NS STATUS" (CLOCK_MONOTONIC from fork to exit; the child's rusage). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(struct timespec t)
{
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static long long tv_ns(struct timeval t)
{
	return t.tv_sec * 1000000000ll + t.tv_usec * 1000ll;
}

int main(int argc, char **argv)
{
	struct timespec a, b;
	struct rusage ru;
	int status;

	if (argc < 3) {
		fprintf(stderr, "usage: timeit OUT PROG [ARGS]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &b);
	FILE *f = fopen(argv[1], "w");
	if (!f)
		return 2;
	fprintf(f, "%lld %lld %lld %d\n", ns(b) - ns(a), tv_ns(ru.ru_utime), tv_ns(ru.ru_stime),
		status);
	fclose(f);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

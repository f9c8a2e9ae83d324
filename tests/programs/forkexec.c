/* Forks; the child execs this program again with "child", where it calls child_work() 100
 * times; the parent calls parent_work() 10 times and waits. Prints "child PID". */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long sink;

__attribute__((noinline)) void child_work(void)
{
	sink++;
}

__attribute__((noinline)) void parent_work(void)
{
	sink += 2;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child")) {
		for (int i = 0; i < 100; i++)
			child_work();
		return 0;
	}
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", argv[0], "child", (char *)NULL);
		_exit(127);
	}
	printf("child %d\n", (int)pid);
	fflush(stdout);
	for (int i = 0; i < 10; i++)
		parent_work();
	int status;
	waitpid(pid, &status, 0);
	return 0;
}

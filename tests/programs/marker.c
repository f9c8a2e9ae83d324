/* Creates the file named by its first argument, then exits 0: the tests of bad command lines give
 * it to hwtrace and check that the file never appears, i.e. that the program never ran. */
#include <stdio.h>

__attribute__((noinline)) int mark(const char *path)
{
	FILE *f = fopen(path, "w");

	return f && !fclose(f) ? 0 : 1;
}

int main(int argc, char **argv)
{
	return argc > 1 ? mark(argv[1]) : 2;
}

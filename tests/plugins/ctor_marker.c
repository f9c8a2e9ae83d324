/* A shared library that is no hwtrace plugin and whose constructor creates the file named by
 * $HWT_CTOR_MARKER: the plugin-path test checks that `-P` never runs it, whether it is named
 * bare (found through LD_LIBRARY_PATH) or by its path. */
#include <stdio.h>
#include <stdlib.h>

__attribute__((constructor)) static void ctor_marker(void)
{
	const char *path = getenv("HWT_CTOR_MARKER");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (f)
		fclose(f);
}

int ctor_marker_present(void)
{
	return 1;
}

/* Opening files a recording names (mappings, images, debug files) without blocking on them. */
#include "openfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int hwt_open_regular(const char *path)
{
	struct stat st;

	if (!path) {
		errno = EINVAL;
		return -1;
	}
	/* O_NONBLOCK: opening a FIFO or a device must not wait for a writer or a carrier; the
	 * check after open (not before: no race) then refuses all but regular files. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		close(fd);
		errno = e;
		return -1;
	}
	/* Reads of a regular file never block anyway; clear the flag for libraries that mind. */
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	return fd;
}

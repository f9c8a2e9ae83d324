/* Output files: created private (0600) under a temporary name and renamed when complete, or
 * written in place when they are devices or FIFOs, which must never be replaced by a file. */
#include "core/output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/util.h"

/* Checks that the directory of @path exists and is writable. */
static int check_dir(const char *path, char *why, size_t whylen)
{
	char *dir = strdup(path), *slash;
	struct stat st;
	int err = 0;

	if (!dir)
		return hwt_fail(why, whylen, HWT_E_NOMEM, "out of memory");
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0; /* "/x": the root */
	else if (slash)
		*slash = 0;
	const char *d = slash ? dir : ".";
	if (stat(d, &st) || !S_ISDIR(st.st_mode))
		err = hwt_fail(why, whylen, HWT_E_INVAL,
			       "cannot write '%s': directory '%s' does not exist: create it or "
			       "give another path",
			       path, d);
	else if (access(d, W_OK))
		err = hwt_fail(why, whylen, HWT_E_INVAL,
			       "cannot write '%s': directory '%s' is not writable (%s): give a "
			       "path in a directory you can write",
			       path, slash ? d : "the current directory", strerror(errno));
	free(dir);
	return err;
}

int hwt_output_kind(const char *path, char *why, size_t whylen)
{
	struct stat st;

	if (!path || !*path)
		return hwt_fail(why, whylen, HWT_E_INVAL, "empty output file name: give a file");
	if (stat(path, &st)) {
		if (errno != ENOENT)
			return hwt_fail(why, whylen, HWT_E_INVAL, "cannot write '%s': %s", path,
					strerror(errno));
		return check_dir(path, why, whylen) ? HWT_E_INVAL : HWT_OUTPUT_NEW;
	}
	if (S_ISDIR(st.st_mode))
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"output '%s' is a directory: give the path of a file to write",
				path);
	if (!S_ISREG(st.st_mode))
		return HWT_OUTPUT_DIRECT;
	return check_dir(path, why, whylen) ? HWT_E_INVAL : HWT_OUTPUT_REPLACE;
}

/* Opens @path in place (a device, a FIFO; or a regular file only reachable through a link
 * that names no path, such as /proc/PID/fd/N of a deleted file). */
static int open_direct(struct hwt_output *o, int flags, char *why, size_t whylen)
{
	int fd;

	do
		fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				o->path, strerror(errno));
	o->fd = fd;
	o->direct = 1;
	o->tmp[0] = 0;
	return fd;
}

int hwt_output_open(struct hwt_output *o, const char *path, char *why, size_t whylen)
{
	struct stat st, real;
	char resolved[PATH_MAX];

	o->fd = -1;
	o->direct = 0;
	o->tmp[0] = 0;
	int kind = hwt_output_kind(path, why, whylen);
	if (kind < 0)
		return kind;
	if (snprintf(o->path, sizeof(o->path), "%s", path) >= (int)sizeof(o->path))
		return hwt_fail(why, whylen, HWT_E_INVAL, "output path '%.64s...' is too long",
				path);
	if (kind == HWT_OUTPUT_DIRECT)
		return open_direct(o, 0, why, whylen);
	/* A link to a regular file: that file is replaced, the link (/dev/stdout too) stays. */
	if (kind == HWT_OUTPUT_REPLACE && !lstat(path, &st) && S_ISLNK(st.st_mode)) {
		if (!realpath(path, resolved) || stat(path, &st) || stat(resolved, &real) ||
		    st.st_dev != real.st_dev || st.st_ino != real.st_ino)
			return open_direct(o, O_TRUNC, why, whylen);
		if (check_dir(resolved, why, whylen))
			return HWT_E_INVAL;
		snprintf(o->path, sizeof(o->path), "%s", resolved);
	}
	snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", o->path, (int)getpid());
	int fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, HWT_OUTPUT_MODE);
	if (fd < 0) {
		int e = errno;
		o->tmp[0] = 0;
		return hwt_fail(why, whylen, hwt_error_from_errno(e), "cannot write '%s': %s", path,
				strerror(e));
	}
	/* The umask only takes bits away; one that took the owner's leaves them to put back. */
	if (fchmod(fd, HWT_OUTPUT_MODE)) {
		int e = errno;
		close(fd);
		unlink(o->tmp);
		o->tmp[0] = 0;
		return hwt_fail(why, whylen, hwt_error_from_errno(e), "cannot write '%s': %s", path,
				strerror(e));
	}
	o->fd = fd;
	return fd;
}

int hwt_output_commit(struct hwt_output *o, char *why, size_t whylen)
{
	if (o->direct || !o->tmp[0])
		return 0;
	if (rename(o->tmp, o->path)) {
		int e = errno;
		unlink(o->tmp);
		return hwt_fail(why, whylen, hwt_error_from_errno(e), "cannot write '%s': %s",
				o->path, strerror(e));
	}
	return 0;
}

void hwt_output_discard(struct hwt_output *o, int committed)
{
	if (o->direct)
		return;
	if (committed)
		unlink(o->path);
	else if (o->tmp[0])
		unlink(o->tmp);
}

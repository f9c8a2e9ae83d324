/* A recording's output file: made without a name, named once the recording is worth keeping. */
#include "record_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "util.h"

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

int hwt_rec_output_kind(const char *path, char *why, size_t whylen)
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

/* The folder of @out into @dir: where its unnamed file is made. */
static void folder_of(const char *out, char *dir, size_t len)
{
	const char *tmpdir = getenv("TMPDIR"), *slash = strrchr(out, '/');
	struct stat st;

	if (!strcmp(out, "-") || (!stat(out, &st) && !S_ISREG(st.st_mode)))
		snprintf(dir, len, "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
	else if (!slash)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", slash == out ? 1 : (int)(slash - out), out);
}

/* Opens @o->path in place (a device, a FIFO; or a regular file that a link names by no path,
 * as /proc/PID/fd/N does a deleted one): it is never named, replaced or removed. */
static int open_direct(struct hwt_rec_output *o, int flags, char *why, size_t whylen)
{
	int fd;

	do
		fd = open(o->path, O_WRONLY | O_CLOEXEC | O_NOCTTY | flags);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				o->path, strerror(errno));
	o->direct = 1;
	return o->fd = fd;
}

/* A link to a regular file: that file is replaced, the link (/dev/stdout too) stays. Points
 * @o->path at the file; returns 0, or the result of open_direct() for a file that has no path
 * to replace it at. */
static int resolve_link(struct hwt_rec_output *o, char *why, size_t whylen)
{
	struct stat st, real;

	if (lstat(o->path, &st) || !S_ISLNK(st.st_mode))
		return 0;
	if (!realpath(o->path, o->real) || stat(o->path, &st) || stat(o->real, &real) ||
	    st.st_dev != real.st_dev || st.st_ino != real.st_ino)
		return open_direct(o, O_TRUNC, why, whylen);
	if (check_dir(o->real, why, whylen))
		return HWT_E_INVAL;
	o->path = o->real;
	return 0;
}

/* @fd with the mode HWT_OUTPUT_MODE: the umask only takes bits away, and one that took the
 * owner's leaves them to put back. Returns @fd, or an error (@fd closed). */
static int private_mode(int fd, const char *out, char *why, size_t whylen)
{
	if (!fchmod(fd, HWT_OUTPUT_MODE))
		return fd;
	int e = errno;
	close(fd);
	return hwt_fail(why, whylen, hwt_error_from_errno(e), "cannot write '%s': %s", out,
			strerror(e));
}

int hwt_rec_output_adopt(struct hwt_rec_output *o, int fd, const char *path, char *why,
			 size_t whylen)
{
	o->path = path;
	o->tmp[0] = 0;
	o->direct = 1;
	o->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (o->fd < 0)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				path, strerror(errno));
	return o->fd;
}

/* Opens the output file without a name (O_TMPFILE in its folder), so that a recorder killed
 * before the recording is worth keeping leaves nothing; where the file system lacks O_TMPFILE, a
 * temporary name beside it (an anonymous recording's is removed at once, the file kept open).
 * Returns the descriptor, or an error with @why filled. */
int hwt_rec_output_open(struct hwt_rec_output *o, const char *out, int anonymous, char *why,
			size_t whylen)
{
	char dir[PATH_MAX];
	int fd;

	o->path = out;
	o->anonymous = anonymous;
	o->tmp[0] = 0;
	o->direct = 0;
	if (!anonymous && strcmp(out, "-")) {
		int kind = hwt_rec_output_kind(out, why, whylen);
		if (kind < 0)
			return kind;
		if (kind == HWT_OUTPUT_DIRECT)
			return open_direct(o, 0, why, whylen);
		if (kind == HWT_OUTPUT_REPLACE &&
		    ((fd = resolve_link(o, why, whylen)) != 0 || o->direct))
			return fd;
		out = o->path;
	}
	folder_of(out, dir, sizeof(dir));
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, HWT_OUTPUT_MODE);
	if (fd >= 0) {
		o->unnamed = 1;
		return o->fd = private_mode(fd, out, why, whylen);
	}
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		if (!strcmp(out, "-"))
			snprintf(o->tmp, sizeof(o->tmp), "%s/hwtrace-rec.%d.hwt", dir,
				 (int)getpid());
		else
			snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", out, (int)getpid());
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, HWT_OUTPUT_MODE);
		if (fd >= 0 && (fd = private_mode(fd, out, why, whylen)) < 0) {
			unlink(o->tmp);
			o->tmp[0] = 0;
			return fd;
		}
		if (fd >= 0 && o->anonymous) {
			unlink(o->tmp);
			o->tmp[0] = 0;
		}
	}
	if (fd < 0) {
		o->tmp[0] = 0;
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				out, strerror(errno));
	}
	return o->fd = fd;
}

/* Gives the output its name, replacing a file of that name: from here on the recording is worth
 * keeping, even if we are killed. An anonymous one keeps none. Returns 0 or an error. */
int hwt_rec_output_name(struct hwt_rec_output *o, char *why, size_t whylen)
{
	const char *out = o->path;
	char proc[64];
	int err = 0;

	if (o->anonymous || o->direct)
		return 0;
	if (o->unnamed) {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o->fd);
		/* linkat() will not replace: the old file goes first (it was to be overwritten). */
		for (int i = 0; i < 3; i++) {
			struct stat st;
			err = linkat(AT_FDCWD, proc, AT_FDCWD, out, AT_SYMLINK_FOLLOW);
			if (!err || errno != EEXIST)
				break;
			/* A regular file, or a link to one (replaced, as rename() would): never a
			 * device node, a FIFO, or a link to one (/dev/stdout). */
			if (!stat(out, &st) && !S_ISREG(st.st_mode))
				return hwt_fail(
					why, whylen, HWT_E_INVAL,
					"'%s' exists and is not a regular file: give another "
					"output name",
					out);
			if (unlink(out))
				break;
		}
	} else {
		err = rename(o->tmp, out);
	}
	if (err)
		return hwt_fail(why, whylen, hwt_error_from_errno(errno), "cannot write '%s': %s",
				out, strerror(errno));
	o->tmp[0] = 0;
	o->named = 1;
	return 0;
}

/* Removes the output of a recording that failed before it was worth keeping. */
void hwt_rec_output_drop(struct hwt_rec_output *o)
{
	if (o->direct)
		return;
	if (o->named)
		unlink(o->path);
	else if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
	o->named = 0;
}

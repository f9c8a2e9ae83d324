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

/* The folder of @out into @dir: where its unnamed file is made. */
static void folder_of(const char *out, char *dir, size_t len)
{
	const char *tmpdir = getenv("TMPDIR"), *slash = strrchr(out, '/');

	if (!strcmp(out, "-"))
		snprintf(dir, len, "%s", tmpdir && *tmpdir ? tmpdir : "/tmp");
	else if (!slash)
		snprintf(dir, len, ".");
	else
		snprintf(dir, len, "%.*s", slash == out ? 1 : (int)(slash - out), out);
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
	folder_of(out, dir, sizeof(dir));
	fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	if (fd >= 0) {
		o->unnamed = 1;
		return o->fd = fd;
	}
	if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		if (!strcmp(out, "-"))
			snprintf(o->tmp, sizeof(o->tmp), "%s/hwtrace-rec.%d.hwt", dir,
				 (int)getpid());
		else
			snprintf(o->tmp, sizeof(o->tmp), "%s.tmp.%d", out, (int)getpid());
		fd = open(o->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
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

	if (o->anonymous)
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
	if (o->named)
		unlink(o->path);
	else if (o->tmp[0])
		unlink(o->tmp);
	o->tmp[0] = 0;
	o->named = 0;
}

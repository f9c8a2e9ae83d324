/* A recording's or an export's output file (core/record_output.c): no name, so nothing left
 * behind by a recorder killed early, until it is worth keeping; private to its owner (0600)
 * whatever the umask; an existing device or FIFO written in place, never replaced or removed. */
#ifndef HWT_CORE_RECORD_OUTPUT_H
#define HWT_CORE_RECORD_OUTPUT_H

#include <limits.h>
#include <stddef.h>

/** The mode of every file hwtrace creates: recordings hold the command line, the hostname, the
 *  program's code structure and, with -g dwarf, copies of its stack. */
#define HWT_OUTPUT_MODE 0600

/** What writing to a path would do (hwt_rec_output_kind()). */
enum hwt_output_kind {
	HWT_OUTPUT_NEW = 0, /* a new file: made without a name, named at the end */
	HWT_OUTPUT_REPLACE, /* a regular file (or a link to one): replaced the same way */
	HWT_OUTPUT_DIRECT,  /* an existing device, FIFO or socket: written in place */
};

struct hwt_rec_output {
	const char *path;	 /* borrowed: the name it gets ("-" for standard output); or
				  * .real */
	int anonymous;		 /* never named: a scratch for an export */
	int fd;			 /* its descriptor, from hwt_rec_output_open() */
	int unnamed;		 /* an O_TMPFILE, linked by hwt_rec_output_name() */
	int named;		 /* it has its name */
	int direct;		 /* written in place (a device, a FIFO, standard output): never
				  * named, replaced or removed */
	int keep_fd;		 /* the caller's: -1 until set */
	char tmp[PATH_MAX + 32]; /* where there is no O_TMPFILE, its name until named; "" if none */
	char real[PATH_MAX];	 /* the file a link to a regular file names: replaced instead */
};

/**
 * What writing @path would do, checked without opening it: the kind, or HWT_E_INVAL with @why
 * (may be NULL) saying what is wrong and how to fix it: an empty name, a directory, a missing
 * or unwritable directory; HWT_E_NOMEM.
 */
int hwt_rec_output_kind(const char *path, char *why, size_t whylen);

/** Opens @o's file for @path without a name (O_TMPFILE in its folder; for "-", a device or a
 *  FIFO, in $TMPDIR or /tmp), mode HWT_OUTPUT_MODE whatever the umask; where the file system
 *  lacks O_TMPFILE, under a temporary name beside it, which an @anonymous one drops at once. An
 *  existing device or FIFO that is not @anonymous is opened in place (a FIFO's open waits for a
 *  reader); a link to a regular file gets that file replaced, the link kept. @path is borrowed
 *  for the life of @o. Returns the descriptor, or a negative error with @why filled ("cannot
 *  write 'x.hwt': Permission denied"). */
int hwt_rec_output_open(struct hwt_rec_output *o, const char *path, int anonymous, char *why,
			size_t whylen);

/** Makes @o write in place to a copy of the descriptor @fd (standard output set aside), named
 *  @path (borrowed) in messages. Returns the copy, or a negative error with @why filled. */
int hwt_rec_output_adopt(struct hwt_rec_output *o, int fd, const char *path, char *why,
			 size_t whylen);

/** Gives @o its name, replacing a file of that name (nothing for an anonymous or a direct one).
 *  Returns 0, or a negative error with @why filled. */
int hwt_rec_output_name(struct hwt_rec_output *o, char *why, size_t whylen);

/** Removes @o's file from the file system: a name given, or the temporary one; never a direct
 *  one. */
void hwt_rec_output_drop(struct hwt_rec_output *o);

#endif

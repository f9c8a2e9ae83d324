/* A recording's output file (core/record_output.c): no name, so nothing left behind by a recorder
 * killed early, until the recording is worth keeping. */
#ifndef HWT_CORE_RECORD_OUTPUT_H
#define HWT_CORE_RECORD_OUTPUT_H

#include <limits.h>
#include <stddef.h>

struct hwt_rec_output {
	const char *path;	 /* borrowed: the name it gets ("-" for standard output) */
	int anonymous;		 /* never named: a scratch for an export */
	int fd;			 /* its descriptor, from hwt_rec_output_open() */
	int unnamed;		 /* an O_TMPFILE, linked by hwt_rec_output_name() */
	int named;		 /* it has its name */
	int keep_fd;		 /* the caller's: -1 until set */
	char tmp[PATH_MAX + 32]; /* where there is no O_TMPFILE, its name until named; "" if none */
};

/** Opens @o's file for @path without a name (O_TMPFILE in its folder; for "-", in $TMPDIR or
 *  /tmp); where the file system lacks O_TMPFILE, under a temporary name beside it, which an
 *  @anonymous one drops at once. @path is borrowed for the life of @o. Returns the descriptor,
 *  or a negative error with @why filled ("cannot write 'x.hwt': Permission denied"). */
int hwt_rec_output_open(struct hwt_rec_output *o, const char *path, int anonymous, char *why,
			size_t whylen);

/** Gives @o its name, replacing a file of that name (nothing for an anonymous one). Returns 0, or
 *  a negative error with @why filled. */
int hwt_rec_output_name(struct hwt_rec_output *o, char *why, size_t whylen);

/** Removes @o's file from the file system: a name given, or the temporary one. */
void hwt_rec_output_drop(struct hwt_rec_output *o);

#endif

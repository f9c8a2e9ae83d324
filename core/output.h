/* Creating an output file (a recording, an export): private to its owner whatever the umask,
 * written under a temporary name and renamed when complete, or written in place when it is an
 * existing device or FIFO, which is never replaced or removed. */
#ifndef HWT_CORE_OUTPUT_H
#define HWT_CORE_OUTPUT_H

#include <limits.h>
#include <stddef.h>

/** The mode of every file hwtrace creates: recordings hold the command line, the hostname, the
 *  program's code structure and, with -g dwarf, copies of its stack. */
#define HWT_OUTPUT_MODE 0600

/** What writing to a path would do. */
enum hwt_output_kind {
	HWT_OUTPUT_NEW = 0, /* a new file: created under a temporary name, renamed at the end */
	HWT_OUTPUT_REPLACE, /* a regular file: replaced the same way */
	HWT_OUTPUT_DIRECT,  /* an existing device, FIFO or socket: written in place */
};

/**
 * What writing @path would do, checked without opening it: the kind, or HWT_E_INVAL with @why
 * saying what is wrong and how to fix it (an empty name, a directory, a missing or unwritable
 * directory), HWT_E_NOMEM.
 */
int hwt_output_kind(const char *path, char *why, size_t whylen);

/** An output file being written. */
struct hwt_output {
	int fd;			 /* where to write; -1 when closed */
	int direct;		 /* written in place: never renamed, never removed */
	char path[PATH_MAX];	 /* the file that gets the output when it is complete */
	char tmp[PATH_MAX + 32]; /* the temporary name it is written under ("" if direct) */
};

/**
 * Opens @path (copied) for writing into @o: an existing device or FIFO in place (a FIFO's open
 * waits for a reader), else a new file next to it named PATH.tmp.PID, mode HWT_OUTPUT_MODE
 * whatever the umask, that hwt_output_commit() renames to @path; a symbolic link to a regular
 * file gets the file it names replaced, the link kept. Returns the descriptor (o->fd, owned by
 * @o until hwt_output_commit() or hwt_output_discard()), or a negative error with @why in one
 * line naming @path and the errno text.
 */
int hwt_output_open(struct hwt_output *o, const char *path, char *why, size_t whylen);

/**
 * Gives the output its name: renames the temporary file to the path (nothing to do for a direct
 * one). Does not close o->fd. Returns 0, or HWT_E_IO-like errors with @why (the temporary file is
 * removed then).
 */
int hwt_output_commit(struct hwt_output *o, char *why, size_t whylen);

/** Removes what was written: the temporary file, or after hwt_output_commit() the output it
 *  became; never a direct output. Does not close o->fd. */
void hwt_output_discard(struct hwt_output *o, int committed);

#endif

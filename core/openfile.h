/* Opening files a recording names (mappings, images, debug files) without blocking on them. */
#ifndef HWT_CORE_OPENFILE_H
#define HWT_CORE_OPENFILE_H

/** Opens @path read-only for reading a file's bytes: never blocks (a FIFO without a writer, a
 *  device, a terminal) and accepts only regular files. Returns the descriptor (close-on-exec),
 *  or -1 with errno set: the open's, or EINVAL for a path that is not a regular file. */
int hwt_open_regular(const char *path);

#endif

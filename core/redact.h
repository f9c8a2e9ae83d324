/* Redaction of file system paths: how a path outside the project root is shown (a stable bucket,
 * "external/tmp"), and a path under it (relative to the root). Pure functions, no I/O. */
#ifndef HWT_CORE_REDACT_H
#define HWT_CORE_REDACT_H

#include <stddef.h>

/** How much of a path outside the project root is shown. */
enum hwt_redact_kind {
	HWT_REDACT_BARE = 0,	 /* the bucket alone: "external/tmp" (files a program opened,
				    source files, working directories, outputs) */
	HWT_REDACT_BASENAME = 1, /* the bucket and the file's own name: "external/usr/libc.so.6"
				    (ELF files mapped or run: views must tell them apart) */
};

/** The first components of absolute paths that get a bucket of their own ("external/NAME");
 *  any other is "external/other". NULL-terminated. */
extern const char *const hwt_redact_buckets[];

/** Writes into @out (@cap bytes, > 0, always NUL-terminated, truncated to fit) @path (@len
 *  bytes, borrowed) as shown with the project root @root (an absolute path; NULL or "": no root,
 *  every path is outside): relative to @root when under it ("." for @root itself), else
 *  "external/BUCKET", BUCKET the path's first component if hwt_redact_buckets has it, else
 *  "other", followed by "/NAME" (the last component) for HWT_REDACT_BASENAME. Paths are
 *  normalized by their text ("//", "." and ".." components, trailing slashes; symbolic links are
 *  not followed). A relative @path is taken from @cwd (NULL: from @root; neither: it is
 *  "external/other"). Names that are no path are kept as they are: "" and pseudo files of the
 *  kernel ("[vdso]", "[heap]", "//anon"). Returns the length written. */
size_t hwt_redact_path(const char *root, const char *cwd, const char *path, size_t len,
		       enum hwt_redact_kind kind, char *out, size_t cap);

/** What a recording's metadata value is, for redaction. */
enum hwt_redact_meta {
	HWT_META_PLAIN,	  /* not a path: shown as it is */
	HWT_META_PATH,	  /* a directory ("cwd", "project_root"): HWT_REDACT_BARE */
	HWT_META_PROGRAM, /* the program run ("exe"): HWT_REDACT_BASENAME */
	HWT_META_CMDLINE, /* a command line ("command", "hwtrace"): hwt_redact_cmdline() */
	HWT_META_HIDDEN,  /* the environment, the hostname: not shown redacted */
};

/** What the metadata of key @key is. */
enum hwt_redact_meta hwt_redact_meta_kind(const char *key);

/** Writes into @out (@cap bytes, > 0, NUL-terminated, truncated to fit) the command line @text
 *  (words separated by spaces, borrowed) with each word that holds a path shown by
 *  hwt_redact_path(): a word with a '/' (after "--opt=" or a one-letter option such as "-o",
 *  which stay); the first word and the one after a "--" word are programs
 *  (HWT_REDACT_BASENAME), the others HWT_REDACT_BARE. Returns the length written. */
size_t hwt_redact_cmdline(const char *root, const char *cwd, const char *text, char *out,
			  size_t cap);

#endif

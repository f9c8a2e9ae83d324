/* Redaction of file system paths: paths under the project root shown relative to it, others as
 * stable buckets ("external/tmp"), so outputs can be shared without the machine's names. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redact.h"

const char *const hwt_redact_buckets[] = { "bin",   "boot",  "dev",  "etc",  "home", "lib",
					   "lib64", "media", "mnt",  "nix",  "opt",  "proc",
					   "root",  "run",   "sbin", "snap", "srv",  "sys",
					   "tmp",   "usr",   "var",  NULL };

/* Appends @n bytes at @s to @out (@cap bytes, *@len used so far), truncating. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
	if (*len + 1 >= cap)
		return;
	if (n > cap - 1 - *len)
		n = cap - 1 - *len;
	memcpy(out + *len, s, n);
	*len += n;
	out[*len] = 0;
}

/* @n bytes at @s, a path, normalized by its text into @dst (room for @n + 2 bytes): "/" and
 * components without "", "." and "..". Returns its length. */
static size_t normalize(const char *s, size_t n, char *dst)
{
	size_t len = 0, i = 0;

	while (i < n) {
		size_t j = i;
		while (j < n && s[j] != '/')
			j++;
		size_t c = j - i;
		if (c == 2 && s[i] == '.' && s[i + 1] == '.') {
			while (len && dst[len - 1] != '/')
				len--;
			if (len)
				len--; /* the '/' before the dropped component */
		} else if (c && !(c == 1 && s[i] == '.')) {
			dst[len++] = '/';
			memcpy(dst + len, s + i, c);
			len += c;
		}
		i = j + 1;
	}
	if (!len)
		dst[len++] = '/';
	dst[len] = 0;
	return len;
}

/* @path (@len bytes) made absolute from @base (absolute, or NULL) and normalized: malloc()ed,
 * NULL when it is relative and no @base is known or out of memory. */
static char *absolute(const char *base, const char *path, size_t len)
{
	size_t blen = path[0] == '/' ? 0 : base && base[0] == '/' ? strlen(base) : SIZE_MAX;

	if (blen == SIZE_MAX)
		return NULL;
	char *joined = malloc(blen + len + 2), *norm = malloc(blen + len + 3);
	if (!joined || !norm) {
		free(joined);
		free(norm);
		return NULL;
	}
	memcpy(joined, base ? base : "", blen);
	joined[blen] = '/';
	memcpy(joined + blen + 1, path, len);
	normalize(joined, blen + 1 + len, norm);
	free(joined);
	return norm;
}

/* The bucket of @abs (normalized, absolute) into @out: "external/NAME" or "external/other". */
static void bucket(const char *abs, char *out, size_t cap, size_t *len)
{
	size_t n = strcspn(abs + 1, "/");

	put(out, cap, len, "external/", 9);
	for (const char *const *b = hwt_redact_buckets; n && *b; b++)
		if (strlen(*b) == n && !memcmp(*b, abs + 1, n)) {
			put(out, cap, len, abs + 1, n);
			return;
		}
	put(out, cap, len, "other", 5);
}

size_t hwt_redact_path(const char *root, const char *cwd, const char *path, size_t len,
		       enum hwt_redact_kind kind, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = 0;
	len = strnlen(path, len);
	/* Not a path: nothing, the kernel's pseudo files. */
	if (!len || path[0] == '[' || (len == 6 && !memcmp(path, "//anon", 6))) {
		put(out, cap, &n, path, len);
		return n;
	}
	if (root && !*root)
		root = NULL;
	char *abs = absolute(cwd ? cwd : root, path, len);
	char *r = root ? absolute(NULL, root, strlen(root)) : NULL;
	if (!abs) {
		put(out, cap, &n, "external/other", 14);
		free(r);
		return n;
	}
	size_t rl = r ? strlen(r) : 0;
	if (r && rl == 1) { /* the root is "/": everything is under it */
		put(out, cap, &n, abs[1] ? abs + 1 : ".", abs[1] ? strlen(abs + 1) : 1);
	} else if (r && !strcmp(abs, r)) {
		put(out, cap, &n, ".", 1);
	} else if (r && !strncmp(abs, r, rl) && abs[rl] == '/') {
		put(out, cap, &n, abs + rl + 1, strlen(abs + rl + 1));
	} else {
		bucket(abs, out, cap, &n);
		const char *base = strrchr(abs, '/') + 1;
		if (kind == HWT_REDACT_BASENAME && *base) {
			put(out, cap, &n, "/", 1);
			put(out, cap, &n, base, strlen(base));
		}
	}
	free(abs);
	free(r);
	return n;
}

enum hwt_redact_meta hwt_redact_meta_kind(const char *key)
{
	static const struct {
		const char *key;
		enum hwt_redact_meta kind;
	} keys[] = {
		{ "exe", HWT_META_PROGRAM },	   { "cwd", HWT_META_PATH },
		{ "project_root", HWT_META_PATH }, { "command", HWT_META_CMDLINE },
		{ "hwtrace", HWT_META_CMDLINE },   { "environment", HWT_META_HIDDEN },
		{ "hostname", HWT_META_HIDDEN },
	};

	for (size_t i = 0; key && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(key, keys[i].key))
			return keys[i].kind;
	return HWT_META_PLAIN;
}

size_t hwt_redact_cmdline(const char *root, const char *cwd, const char *text, char *out,
			  size_t cap)
{
	size_t n = 0;
	int program = 1;

	out[0] = 0;
	for (const char *w = text; *w;) {
		size_t wl = strcspn(w, " ");
		const char *slash = memchr(w, '/', wl), *eq = memchr(w, '=', wl);
		if (w != text)
			put(out, cap, &n, " ", 1);
		if (!slash) {
			put(out, cap, &n, w, wl);
		} else {
			/* What stays before the path: "--opt=", "KEY=", "-o". */
			size_t keep = eq && eq < slash ? (size_t)(eq - w) + 1
				      : w[0] == '-' && w[1] != '-' && slash == w + 2 ? 2
										     : 0;
			char *shown = malloc(cap);
			if (!shown)
				return n;
			put(out, cap, &n, w, keep);
			hwt_redact_path(root, cwd, w + keep, wl - keep,
					program ? HWT_REDACT_BASENAME : HWT_REDACT_BARE, shown,
					cap);
			put(out, cap, &n, shown, strlen(shown));
			free(shown);
		}
		program = wl == 2 && !memcmp(w, "--", 2);
		w += wl;
		w += strspn(w, " ");
	}
	return n;
}

/* libFuzzer target: path redaction (core/redact.c) and the model's use of it: any bytes as a
 * project root, a working directory and a path (NUL-separated), and as a command line. A
 * redacted path never starts with '/' (no real path leaks) unless it is a kernel pseudo-name,
 * and every output is terminated within its buffer. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/model.h"
#include "core/redact.h"

/* The @i-th NUL-separated part of @text (@len bytes, NUL-terminated), NULL if none. */
static const char *part(const char *text, size_t len, int i)
{
	const char *p = text;

	while (i-- > 0) {
		const char *z = memchr(p, 0, len - (size_t)(p - text));
		if (!z || (size_t)(z + 1 - text) >= len)
			return NULL;
		p = z + 1;
	}
	return p;
}

static void check_shown(const char *path, size_t len, const char *out, size_t cap)
{
	if (!memchr(out, 0, cap))
		abort();
	if (out[0] == '/' && !(len == 6 && !memcmp(path, "//anon", 6)))
		abort(); /* a real path shown */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), small[8], out[512];

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	const char *root = part(text, size + 1, 0), *cwd = part(text, size + 1, 1);
	const char *path = part(text, size + 1, 2);
	if (!path)
		path = root;
	size_t plen = strlen(path);
	for (int k = 0; k < 2; k++) {
		hwt_redact_path(root, cwd, path, plen, (enum hwt_redact_kind)k, out, sizeof(out));
		check_shown(path, plen, out, sizeof(out));
		hwt_redact_path(cwd, root, path, plen, (enum hwt_redact_kind)k, small,
				sizeof(small));
		check_shown(path, plen, small, sizeof(small));
	}
	hwt_redact_cmdline(root, cwd, path, out, sizeof(out));
	if (!memchr(out, 0, sizeof(out)))
		abort();
	struct hwt_model *m = hwt_model_alloc();
	if (m) {
		hwt_model_set_meta(m, "command", path);
		hwt_model_set_meta(m, "project_root", root);
		if (cwd)
			hwt_model_set_meta(m, "cwd", cwd);
		int64_t id = hwt_model_intern_mapped_path(m, path, plen);
		if (id > 0)
			check_shown(path, plen, hwt_model_str(m, (uint32_t)id), plen + 4096);
		hwt_model_free(m);
	}
	free(text);
	return 0;
}

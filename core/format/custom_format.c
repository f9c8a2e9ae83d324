/* The reader's half of the host's stream (custom_format.h); the writer is core/host_tracks.c. */
#include <string.h>

#include "hwtrace/error.h"
#include "custom_format.h"

long hwt_custom_next(const void *p, size_t len, struct hwt_custom_rec *rec, const uint8_t **body)
{
	if (!len)
		return 0;
	if (len < sizeof(*rec))
		return HWT_E_CORRUPT;
	memcpy(rec, p, sizeof(*rec));
	if (rec->len > len - sizeof(*rec))
		return HWT_E_CORRUPT;
	*body = (const uint8_t *)p + sizeof(*rec);
	size_t size = hwt_custom_size(rec->len);
	return (long)(size < len ? size : len);
}

long hwt_custom_str(const uint8_t *body, size_t len, size_t off, const char **s)
{
	const uint8_t *nul = off < len ? memchr(body + off, 0, len - off) : NULL;

	if (!nul)
		return HWT_E_CORRUPT;
	*s = (const char *)body + off;
	return (long)(nul - body) + 1;
}

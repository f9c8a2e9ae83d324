/* The inproc backend's area entries: the selection the recorder hands the preloaded runtime, and
 * the rule that picks functions from it (shared by both). */
#include <fnmatch.h>
#include <string.h>

#include "hwtrace/error.h"
#include "inproc_format.h"

_Static_assert(sizeof(struct hwt_inproc_rec) == 8, "call record layout");
_Static_assert(sizeof(struct hwt_inproc_config) == 32 + 8 * HWT_INPROC_COST_SAMPLES,
	       "config layout");

/* C runtime start-up and tear-down code: not the program's, and _start never returns. */
static const char *const crt_names[] = {
	"_start",
	"_init",
	"_fini",
	"frame_dummy",
	"register_tm_clones",
	"deregister_tm_clones",
	"__do_global_dtors_aux",
	"__libc_csu_init",
	"__libc_csu_fini",
	"_dl_relocate_static_pie",
};

size_t hwt_inproc_config_size(const struct hwt_inproc_pattern *p, size_t n)
{
	size_t size = sizeof(struct hwt_inproc_config);

	for (size_t i = 0; i < n; i++)
		size += 1 + (p[i].lib ? strlen(p[i].lib) : 0) + 1 + strlen(p[i].glob) + 1;
	return size;
}

void hwt_inproc_config_write(uint8_t *out, const struct hwt_inproc_config *head,
			     const struct hwt_inproc_pattern *p, size_t n)
{
	memcpy(out, head, sizeof(*head));
	out += sizeof(*head);
	for (size_t i = 0; i < n; i++) {
		const char *lib = p[i].lib ? p[i].lib : "";
		size_t ll = strlen(lib) + 1, gl = strlen(p[i].glob) + 1;
		*out++ = (uint8_t)(p[i].exclude != 0);
		memcpy(out, lib, ll);
		out += ll;
		memcpy(out, p[i].glob, gl);
		out += gl;
	}
}

int hwt_inproc_pattern_next(const uint8_t *body, size_t len, size_t *off,
			    struct hwt_inproc_pattern *p)
{
	size_t o = *off;
	const uint8_t *nul;

	if (o >= len)
		return HWT_E_CORRUPT;
	p->exclude = body[o++] != 0;
	if (o >= len || !(nul = memchr(body + o, 0, len - o)))
		return HWT_E_CORRUPT;
	p->lib = body[o] ? (const char *)body + o : NULL;
	o = (size_t)(nul - body) + 1;
	if (o >= len || !(nul = memchr(body + o, 0, len - o)))
		return HWT_E_CORRUPT;
	p->glob = (const char *)body + o;
	*off = (size_t)(nul - body) + 1;
	return 0;
}

static int name_matches(const char *glob, const char *name, const char *demangled)
{
	return !fnmatch(glob, name, 0) || (demangled && !fnmatch(glob, demangled, 0));
}

static int file_matches(const struct hwt_inproc_pattern *p, const char *path, int is_main)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !p->lib ? is_main : !fnmatch(p->lib, base, 0);
}

int hwt_inproc_chosen(const struct hwt_inproc_pattern *p, size_t n, int main_filtered,
		      const char *path, int is_main, const char *name, const char *demangled,
		      uint64_t *matched)
{
	int in = 0;

	for (size_t i = 0; i < n; i++)
		if (p[i].exclude && file_matches(&p[i], path, is_main) &&
		    name_matches(p[i].glob, name, demangled))
			return 0;
	for (size_t i = 0; i < n && !in; i++) {
		in = !p[i].exclude && file_matches(&p[i], path, is_main) &&
		     name_matches(p[i].glob, name, demangled);
		if (in && matched)
			matched[i]++;
	}
	if (in)
		return 1;
	if (!is_main || main_filtered)
		return 0;
	for (size_t i = 0; i < sizeof(crt_names) / sizeof(crt_names[0]); i++)
		if (!strcmp(name, crt_names[i]))
			return 0;
	/* libhwtrace's own functions: what they mark is on the timeline already. */
	return strncmp(name, "hwt_", 4) != 0;
}

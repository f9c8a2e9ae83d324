/* Small shared utilities: an integer map, array growth, a bit set, UTF-8 and signal names, and the
 * helper that reports a failure in a why-buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "util.h"

struct hwt_idmap_slot {
	uint64_t key;
	uint32_t value;
	uint32_t used;
};

void hwt_idmap_fini(struct hwt_idmap *map)
{
	free(map->slots);
	*map = (struct hwt_idmap){ 0 };
}

uint32_t *hwt_idmap_find(const struct hwt_idmap *map, uint64_t key)
{
	uint32_t j;

	if (!map->slots)
		return NULL;
	for (j = (uint32_t)hwt_mix64(key) & map->mask; map->slots[j].used; j = (j + 1) & map->mask)
		if (map->slots[j].key == key)
			return &map->slots[j].value;
	return NULL;
}

static int idmap_grow(struct hwt_idmap *map)
{
	uint32_t nsize = map->slots ? (map->mask + 1) * 2 : 64, i;
	struct hwt_idmap_slot *slots;

	if (nsize == 0)
		return HWT_E_NOMEM;
	slots = calloc(nsize, sizeof(*slots));
	if (!slots)
		return HWT_E_NOMEM;
	for (i = 0; map->slots && i <= map->mask; i++) {
		uint32_t j;

		if (!map->slots[i].used)
			continue;
		for (j = (uint32_t)hwt_mix64(map->slots[i].key) & (nsize - 1); slots[j].used;
		     j = (j + 1) & (nsize - 1))
			;
		slots[j] = map->slots[i];
	}
	free(map->slots);
	map->slots = slots;
	map->mask = nsize - 1;
	return 0;
}

uint32_t *hwt_idmap_put(struct hwt_idmap *map, uint64_t key, int *created)
{
	uint32_t j, *v;

	if (created)
		*created = 0;
	v = hwt_idmap_find(map, key);
	if (v)
		return v;
	if ((!map->slots || (uint64_t)(map->count + 1) * 2 > (uint64_t)map->mask + 1) &&
	    idmap_grow(map))
		return NULL;
	for (j = (uint32_t)hwt_mix64(key) & map->mask; map->slots[j].used; j = (j + 1) & map->mask)
		;
	map->slots[j] = (struct hwt_idmap_slot){ .key = key, .value = 0, .used = 1 };
	map->count++;
	if (created)
		*created = 1;
	return &map->slots[j].value;
}

void hwt_bitset_fini(struct hwt_bitset *set)
{
	free(set->words);
	*set = (struct hwt_bitset){ 0 };
}

int hwt_bitset_set(struct hwt_bitset *set, uint32_t id)
{
	if (id / 64 >= set->nwords) {
		uint32_t n = set->nwords ? set->nwords : 16;
		uint64_t *w;

		while (n <= id / 64)
			n *= 2;
		w = realloc(set->words, (size_t)n * sizeof(*w));
		if (!w)
			return HWT_E_NOMEM;
		memset(w + set->nwords, 0, (size_t)(n - set->nwords) * sizeof(*w));
		set->words = w;
		set->nwords = n;
	}
	set->words[id / 64] |= 1ull << (id % 64);
	return 0;
}

size_t hwt_utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (!n)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms and UTF-16 surrogates are not valid UTF-8. */
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

const char *hwt_signal_name(int sig)
{
	static const char *const names[] = {
		[1] = "SIGHUP",	  [2] = "SIGINT",     [3] = "SIGQUIT",	[4] = "SIGILL",
		[5] = "SIGTRAP",  [6] = "SIGABRT",    [7] = "SIGBUS",	[8] = "SIGFPE",
		[9] = "SIGKILL",  [10] = "SIGUSR1",   [11] = "SIGSEGV", [12] = "SIGUSR2",
		[13] = "SIGPIPE", [14] = "SIGALRM",   [15] = "SIGTERM", [16] = "SIGSTKFLT",
		[17] = "SIGCHLD", [18] = "SIGCONT",   [19] = "SIGSTOP", [20] = "SIGTSTP",
		[21] = "SIGTTIN", [22] = "SIGTTOU",   [23] = "SIGURG",	[24] = "SIGXCPU",
		[25] = "SIGXFSZ", [26] = "SIGVTALRM", [27] = "SIGPROF", [28] = "SIGWINCH",
		[29] = "SIGIO",	  [30] = "SIGPWR",    [31] = "SIGSYS",
	};

	return sig > 0 && sig < (int)(sizeof(names) / sizeof(names[0])) ? names[sig] : NULL;
}

int hwt_array_reserve(void **arr, size_t *cap, size_t need, size_t size, size_t capmax)
{
	size_t n;
	void *p;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap : 16;
	while (n < need) {
		if (n > capmax / 2)
			return HWT_E_NOMEM;
		n *= 2;
	}
	if (n > capmax || n > SIZE_MAX / size)
		return HWT_E_NOMEM; /* n * size bytes would not fit a size_t */
	p = realloc(*arr, n * size);
	if (!p)
		return HWT_E_NOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

int hwt_fail(char *why, size_t len, int err, const char *fmt, ...)
{
	int saved = errno; /* callers often pass strerror(errno) and keep errno for theirs */
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	errno = saved;
	return err;
}

/* Small shared utilities: an integer map, array growth, a bit set, UTF-8 and signal names, and the
 * helper that reports a failure in a why-buffer. */
#ifndef HWT_CORE_UTIL_H
#define HWT_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** Map from 64-bit keys to 32-bit values, open addressing. Zero-initialised is empty. */
struct hwt_idmap {
	struct hwt_idmap_slot *slots; /* owned */
	uint32_t mask, count;
};

/** Frees what @map holds; it is empty and reusable afterwards. */
void hwt_idmap_fini(struct hwt_idmap *map);
/** Pointer to the value of @key, NULL if absent. Valid until the next insertion. */
uint32_t *hwt_idmap_find(const struct hwt_idmap *map, uint64_t key);
/** Pointer to the value of @key, inserted as 0 (and *@created set) if absent; NULL when out of
 *  memory. Valid until the next insertion. */
uint32_t *hwt_idmap_put(struct hwt_idmap *map, uint64_t key, int *created);

/** Makes room for @need elements of @size bytes in *@arr (capacity *@cap, doubled as needed;
 *  *@arr may be NULL). Returns 0, or HWT_E_NOMEM with *@arr unchanged. */
int hwt_array_grow(void **arr, uint32_t *cap, uint32_t need, size_t size);

/** Growable set of 32-bit ids. Zero-initialised is empty. */
struct hwt_bitset {
	uint64_t *words; /* owned */
	uint32_t nwords;
};

/** Frees what @set holds. */
void hwt_bitset_fini(struct hwt_bitset *set);
/** Non-zero if @id is in @set. */
static inline int hwt_bitset_test(const struct hwt_bitset *set, uint32_t id)
{
	return id / 64 < set->nwords && (set->words[id / 64] >> (id % 64) & 1);
}
/** Adds @id; 0, or HWT_E_NOMEM. */
int hwt_bitset_set(struct hwt_bitset *set, uint32_t id);

/** Length of the valid UTF-8 sequence starting at @s (at most @n bytes), 0 if invalid. */
size_t hwt_utf8_len(const unsigned char *s, size_t n);
/** "SIGSEGV" for 11 and so on; NULL for a number without a name. */
const char *hwt_signal_name(int sig);

/** Writes the message @fmt into @why (@len bytes; nothing when @why is NULL or @len 0) and
 *  returns @err: the one way a function that fills a why-buffer reports a failure, as in
 *  `return hwt_fail(why, len, HWT_E_INVAL, "no file given");`. errno is left as it was. */
int hwt_fail(char *why, size_t len, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif

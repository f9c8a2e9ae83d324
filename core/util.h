/* Small shared utilities: an integer map, array growth, a bit set, UTF-8 and signal names, and the
 * helper that reports a failure in a why-buffer. */
#ifndef HWT_CORE_UTIL_H
#define HWT_CORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/** A 64-bit mix (the MurmurHash3 finalizer): hash of an integer key for open addressing. */
static inline uint64_t hwt_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

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

/** Makes room for @need elements of @size bytes in *@arr (capacity *@cap, doubled from 16 as
 *  needed, at most @capmax; *@arr may be NULL). Returns 0, or HWT_E_NOMEM with *@arr and *@cap
 *  unchanged. */
int hwt_array_reserve(void **arr, size_t *cap, size_t need, size_t size, size_t capmax);

/** hwt_array_reserve() for the array @arr (an lvalue of pointer type) whose capacity @cap
 *  points to any unsigned integer type; the common case, room enough, is checked inline.
 *  Evaluates to 0 or HWT_E_NOMEM. */
#define HWT_ARRAY_GROW(arr, cap, need)                                                         \
	__extension__({                                                                        \
		size_t cap_ = *(cap), need_ = (need);                                          \
		int rc_ = 0;                                                                   \
		if (__builtin_expect(need_ > cap_, 0)) {                                       \
			rc_ = hwt_array_reserve((void **)&(arr), &cap_, need_, sizeof(*(arr)), \
						(__typeof__(*(cap)))-1);                       \
			*(cap) = (__typeof__(*(cap)))cap_;                                     \
		}                                                                              \
		rc_;                                                                           \
	})

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

/* Unit tests for core/util.c: the id map, array growth, the bit set, UTF-8 lengths and signal
 * names. */
#include <check.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "core/util.h"

/* ---- hwt_idmap ------------------------------------------------------------------------- */

START_TEST(hwt_idmap_find_empty)
{
	struct hwt_idmap map = { 0 };

	ck_assert_ptr_null(hwt_idmap_find(&map, 0));
	ck_assert_ptr_null(hwt_idmap_find(&map, 1));
	ck_assert_ptr_null(hwt_idmap_find(&map, UINT64_MAX));
	ck_assert_uint_eq(map.count, 0);
	hwt_idmap_fini(&map); /* an empty map finishes too */
	ck_assert_ptr_null(map.slots);
}
END_TEST

/* Keys at the edges of the 64-bit range: each is stored apart from the others. */
static const uint64_t edge_keys[] = {
	0, 1, 2, 63, 64, 0xffffffffull, 0x100000000ull, 1ull << 63, UINT64_MAX - 1, UINT64_MAX,
};

START_TEST(hwt_idmap_put_edge_keys)
{
	struct hwt_idmap map = { 0 };
	const size_t n = sizeof(edge_keys) / sizeof(edge_keys[0]);
	int created = -1;
	uint32_t *v;

	/* Only edge_keys[_i] is in the map: the others are absent, it alone is found. */
	v = hwt_idmap_put(&map, edge_keys[_i], &created);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(*v, 0);
	*v = 1000 + (uint32_t)_i;
	for (size_t k = 0; k < n; k++) {
		uint32_t *f = hwt_idmap_find(&map, edge_keys[k]);

		if (k == (size_t)_i) {
			ck_assert_ptr_nonnull(f);
			ck_assert_uint_eq(*f, 1000 + (uint32_t)_i);
		} else {
			ck_assert_ptr_null(f);
		}
	}
	/* Then all of them, each with its own value. */
	for (size_t k = 0; k < n; k++) {
		v = hwt_idmap_put(&map, edge_keys[k], &created);
		ck_assert_ptr_nonnull(v);
		ck_assert_int_eq(created, k != (size_t)_i);
		*v = 1000 + (uint32_t)k;
	}
	ck_assert_uint_eq(map.count, n);
	for (size_t k = 0; k < n; k++)
		ck_assert_uint_eq(*hwt_idmap_find(&map, edge_keys[k]), 1000 + (uint32_t)k);
	hwt_idmap_fini(&map);
}
END_TEST

START_TEST(hwt_idmap_put_key_zero)
{
	struct hwt_idmap map = { 0 };
	int created = -1;
	uint32_t *v;

	/* Key 0 is an ordinary key, not an empty-slot marker. */
	ck_assert_ptr_null(hwt_idmap_find(&map, 0));
	v = hwt_idmap_put(&map, 0, &created);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(*v, 0);
	*v = 77;
	ck_assert_ptr_null(hwt_idmap_find(&map, 1));
	ck_assert_uint_eq(*hwt_idmap_find(&map, 0), 77);
	v = hwt_idmap_put(&map, 0, &created);
	ck_assert_int_eq(created, 0);
	ck_assert_uint_eq(*v, 77);
	ck_assert_uint_eq(map.count, 1);
	hwt_idmap_fini(&map);
}
END_TEST

START_TEST(hwt_idmap_put_created_flag)
{
	struct hwt_idmap map = { 0 };
	int created = -1;
	uint32_t *v = hwt_idmap_put(&map, 42, &created);

	ck_assert_int_eq(created, 1);
	*v = 5;
	/* An existing key: created is cleared, the value is the one stored, not reset to 0. */
	created = -1;
	v = hwt_idmap_put(&map, 42, &created);
	ck_assert_int_eq(created, 0);
	ck_assert_uint_eq(*v, 5);
	created = -1;
	v = hwt_idmap_put(&map, 43, &created);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(*v, 0);
	ck_assert_uint_eq(map.count, 2);
	hwt_idmap_fini(&map);
}
END_TEST

/* 200,000 keys (sequential, strided, and with only high bits set) through many growths. */
START_TEST(hwt_idmap_put_grows)
{
	enum { N = 200000 };
	struct hwt_idmap map = { 0 };
	uint32_t i;
	int created;

	for (i = 0; i < N; i++) {
		uint64_t key = i % 3 == 0   ? i
			       : i % 3 == 1 ? (uint64_t)i * 0x9e3779b97f4a7c15ull
					    : (uint64_t)i << 40;
		uint32_t *v = hwt_idmap_put(&map, key, &created);

		ck_assert_ptr_nonnull(v);
		ck_assert_msg(created == 1, "key %llu (i %u) already there",
			      (unsigned long long)key, i);
		*v = i;
		ck_assert_uint_eq(map.count, i + 1);
	}
	for (i = 0; i < N; i++) {
		uint64_t key = i % 3 == 0   ? i
			       : i % 3 == 1 ? (uint64_t)i * 0x9e3779b97f4a7c15ull
					    : (uint64_t)i << 40;
		uint32_t *v = hwt_idmap_find(&map, key);

		ck_assert_ptr_nonnull(v);
		ck_assert_uint_eq(*v, i);
	}
	/* Keys never inserted stay absent. */
	for (i = 0; i < 1000; i++)
		ck_assert_ptr_null(hwt_idmap_find(&map, ((uint64_t)i << 40) + 1));
	hwt_idmap_fini(&map);
}
END_TEST

START_TEST(hwt_idmap_fini_empties_and_reuses)
{
	struct hwt_idmap map = { 0 };
	int created;

	for (uint64_t k = 1; k <= 100; k++)
		*hwt_idmap_put(&map, k, &created) = (uint32_t)k;
	hwt_idmap_fini(&map);
	ck_assert_ptr_null(map.slots);
	ck_assert_uint_eq(map.count, 0);
	ck_assert_ptr_null(hwt_idmap_find(&map, 50));
	/* Reusable afterwards: the old values are gone. */
	ck_assert_uint_eq(*hwt_idmap_put(&map, 50, &created), 0);
	ck_assert_int_eq(created, 1);
	ck_assert_uint_eq(map.count, 1);
	hwt_idmap_fini(&map);
}
END_TEST

/* ---- hwt_array_reserve (UINT32_MAX: the bound HWT_ARRAY_GROW gives a uint32_t capacity)
 * ------------------------------------------------------------------ */

/* From nothing, nothing is allocated until something is needed; the first allocation holds 16;
 * with room enough nothing changes; any capacity, 16 or not, doubles until the need fits. */
static const struct {
	uint32_t cap, need, want_cap;
} grow_cases[] = {
	{ 0, 0, 0 },	{ 0, 1, 16 },  { 0, 16, 16 },  { 0, 17, 32 },	    { 0, 1000, 1024 },
	{ 16, 16, 16 }, { 16, 1, 16 }, { 16, 17, 32 }, { 16, 33, 64 },	    { 5, 6, 10 },
	{ 5, 21, 40 },	{ 3, 3, 3 },   { 1, 2, 2 },    { 0, 65536, 65536 }, { 0, 65537, 131072 },
};

START_TEST(hwt_array_reserve_cases)
{
	size_t cap = grow_cases[_i].cap;
	uint64_t *arr = cap ? calloc(cap, sizeof(*arr)) : NULL;
	uint64_t *before = arr;

	for (uint32_t k = 0; k < cap; k++)
		arr[k] = k + 1;
	ck_assert_int_eq(hwt_array_reserve((void **)&arr, &cap, grow_cases[_i].need, sizeof(*arr),
					   UINT32_MAX),
			 0);
	ck_assert_uint_eq(cap, grow_cases[_i].want_cap);
	if (grow_cases[_i].need <= grow_cases[_i].cap)
		ck_assert_ptr_eq(arr, before); /* room enough: untouched */
	if (cap)
		ck_assert_ptr_nonnull(arr);
	/* The old elements are kept and the whole capacity is usable (ASan checks the size). */
	for (uint32_t k = 0; k < grow_cases[_i].cap; k++)
		ck_assert_uint_eq(arr[k], k + 1);
	for (uint32_t k = 0; k < cap; k++)
		arr[k] = k;
	free(arr);
}
END_TEST

START_TEST(hwt_array_reserve_from_null)
{
	char *arr = NULL;
	size_t cap = 0;

	ck_assert_int_eq(hwt_array_reserve((void **)&arr, &cap, 3, 100, UINT32_MAX), 0);
	ck_assert_ptr_nonnull(arr);
	ck_assert_uint_eq(cap, 16);
	memset(arr, 'x', 16 * 100);
	free(arr);
}
END_TEST

/* Growing one element at a time: the capacity only ever doubles, so few reallocations. */
START_TEST(hwt_array_reserve_doubling)
{
	uint32_t *arr = NULL, changes = 0;
	size_t cap = 0, last = 0;

	for (uint32_t n = 1; n <= 100000; n++) {
		ck_assert_int_eq(
			hwt_array_reserve((void **)&arr, &cap, n, sizeof(*arr), UINT32_MAX), 0);
		ck_assert_uint_ge(cap, n);
		if (cap != last) {
			if (last)
				ck_assert_uint_eq(cap, last * 2);
			changes++;
			last = cap;
		}
		arr[n - 1] = n;
	}
	ck_assert_uint_eq(cap, 131072);
	ck_assert_uint_eq(changes, 14); /* 16, 32, ..., 131072 */
	for (uint32_t n = 1; n <= 100000; n++)
		ck_assert_uint_eq(arr[n - 1], n);
	free(arr);
}
END_TEST

/* A count no uint32_t capacity can double to: HWT_E_NOMEM, nothing changed, nothing allocated. */
START_TEST(hwt_array_reserve_too_many)
{
	uint8_t *arr = NULL, keep[4];
	size_t cap = 0;

	ck_assert_int_eq(hwt_array_reserve((void **)&arr, &cap, 0x80000001u, 1, UINT32_MAX),
			 HWT_E_NOMEM);
	ck_assert_ptr_null(arr);
	ck_assert_uint_eq(cap, 0);
	arr = keep;
	cap = 4;
	ck_assert_int_eq(hwt_array_reserve((void **)&arr, &cap, UINT32_MAX, 1, UINT32_MAX),
			 HWT_E_NOMEM);
	ck_assert_ptr_eq(arr, keep);
	ck_assert_uint_eq(cap, 4);
}
END_TEST

/* Elements so large that the bytes would not fit a size_t: HWT_E_NOMEM, nothing allocated. */
START_TEST(hwt_array_reserve_bytes_overflow)
{
	void *arr = NULL;
	size_t cap = 0;

	ck_assert_int_eq(hwt_array_reserve(&arr, &cap, 1, (size_t)1 << 61, UINT32_MAX),
			 HWT_E_NOMEM);
	ck_assert_ptr_null(arr);
	ck_assert_uint_eq(cap, 0);
}
END_TEST

/* HWT_ARRAY_GROW on capacities of several widths: room made, the capacity's type respected. */
START_TEST(HWT_ARRAY_GROW_widths)
{
	uint64_t *a = NULL;
	size_t zcap = 0;
	uint16_t scap = 0;
	uint8_t *b = NULL;

	ck_assert_int_eq(HWT_ARRAY_GROW(a, &zcap, 100), 0);
	ck_assert_uint_ge(zcap, 100);
	a[99] = 1;
	ck_assert_int_eq(HWT_ARRAY_GROW(a, &zcap, 50), 0); /* room already */
	ck_assert_int_eq(HWT_ARRAY_GROW(b, &scap, 30000), 0);
	ck_assert_uint_eq(scap, 32768);
	b[29999] = 1;
	/* Capacities double: 65536, the next, does not fit a uint16_t. */
	ck_assert_int_eq(HWT_ARRAY_GROW(b, &scap, 40000), HWT_E_NOMEM);
	ck_assert_uint_eq(scap, 32768);
	free(a);
	free(b);
}
END_TEST

/* ---- hwt_bitset ------------------------------------------------------------------------ */

static const uint32_t bit_ids[] = {
	0, 1, 63, 64, 65, 127, 128, 1023, 1024, 4096, 100000, 1u << 20
};

START_TEST(hwt_bitset_set_one)
{
	struct hwt_bitset set = { 0 };
	const size_t n = sizeof(bit_ids) / sizeof(bit_ids[0]);
	uint32_t id = bit_ids[_i];

	ck_assert_int_eq(hwt_bitset_test(&set, id), 0);
	ck_assert_int_eq(hwt_bitset_set(&set, id), 0);
	ck_assert_int_ne(hwt_bitset_test(&set, id), 0);
	ck_assert_uint_gt((uint64_t)set.nwords * 64, id);
	/* Only that bit: every other id of the table, and the neighbours, are clear. */
	for (size_t k = 0; k < n; k++)
		if (bit_ids[k] != id)
			ck_assert_int_eq(hwt_bitset_test(&set, bit_ids[k]), 0);
	if (id)
		ck_assert_int_eq(hwt_bitset_test(&set, id - 1), 0);
	ck_assert_int_eq(hwt_bitset_test(&set, id + 1), 0);
	/* Setting it again changes nothing. */
	ck_assert_int_eq(hwt_bitset_set(&set, id), 0);
	ck_assert_int_ne(hwt_bitset_test(&set, id), 0);
	hwt_bitset_fini(&set);
}
END_TEST

START_TEST(hwt_bitset_set_many)
{
	struct hwt_bitset set = { 0 };
	uint32_t nwords;

	/* Every third id below 70,000, set from the top down and then from the bottom up. */
	for (uint32_t id = 69999; id < 70000; id--)
		if (id % 3 == 0)
			ck_assert_int_eq(hwt_bitset_set(&set, id), 0);
	nwords = set.nwords;
	for (uint32_t id = 0; id < 70000; id += 3)
		ck_assert_int_eq(hwt_bitset_set(&set, id), 0);
	ck_assert_uint_eq(set.nwords, nwords); /* no growth for ids already covered */
	for (uint32_t id = 0; id < 70100; id++)
		ck_assert_msg(!!hwt_bitset_test(&set, id) == (id % 3 == 0 && id < 70000), "id %u",
			      id);
	/* Beyond the words allocated: clear, without reading past them. */
	ck_assert_int_eq(hwt_bitset_test(&set, set.nwords * 64), 0);
	ck_assert_int_eq(hwt_bitset_test(&set, UINT32_MAX), 0);
	hwt_bitset_fini(&set);
}
END_TEST

START_TEST(hwt_bitset_fini_empties)
{
	struct hwt_bitset set = { 0 };

	ck_assert_int_eq(hwt_bitset_test(&set, 0), 0);
	ck_assert_int_eq(hwt_bitset_set(&set, 5), 0);
	hwt_bitset_fini(&set);
	ck_assert_ptr_null(set.words);
	ck_assert_uint_eq(set.nwords, 0);
	ck_assert_int_eq(hwt_bitset_test(&set, 5), 0);
	/* Usable again. */
	ck_assert_int_eq(hwt_bitset_set(&set, 6), 0);
	ck_assert_int_eq(hwt_bitset_test(&set, 5), 0);
	ck_assert_int_ne(hwt_bitset_test(&set, 6), 0);
	hwt_bitset_fini(&set);
	hwt_bitset_fini(&set); /* twice is fine: it is empty */
}
END_TEST

/* ---- hwt_utf8_len ---------------------------------------------------------------------- */

static const struct {
	const char *bytes;
	size_t n;   /* bytes available */
	size_t len; /* expected length, 0 when invalid */
} utf8_cases[] = {
	/* Valid, 1 to 4 bytes, at each range's edges. */
	{ "A", 1, 1 },
	{ "\x00", 1, 1 },
	{ "\x7f", 1, 1 },
	{ "AB", 2, 1 }, /* the length of the first sequence only */
	{ "\xc2\x80", 2, 2 },
	{ "\xc3\xa9X", 3, 2 },
	{ "\xdf\xbf", 2, 2 },
	{ "\xe0\xa0\x80", 3, 3 },
	{ "\xe2\x82\xac", 3, 3 },
	{ "\xed\x9f\xbf", 3, 3 }, /* U+D7FF, just below the surrogates */
	{ "\xee\x80\x80", 3, 3 }, /* U+E000, just above */
	{ "\xef\xbf\xbf", 3, 3 },
	{ "\xf0\x90\x80\x80", 4, 4 },
	{ "\xf0\x9f\x98\x80", 4, 4 },
	{ "\xf4\x8f\xbf\xbf", 4, 4 }, /* U+10FFFF, the last code point */
	/* Overlong forms. */
	{ "\xc0\x80", 2, 0 },
	{ "\xc1\xbf", 2, 0 },
	{ "\xe0\x80\x80", 3, 0 },
	{ "\xe0\x9f\xbf", 3, 0 },
	{ "\xf0\x80\x80\x80", 4, 0 },
	{ "\xf0\x8f\xbf\xbf", 4, 0 },
	/* UTF-16 surrogates. */
	{ "\xed\xa0\x80", 3, 0 },
	{ "\xed\xbf\xbf", 3, 0 },
	/* Above U+10FFFF, and bytes that never start a sequence. */
	{ "\xf4\x90\x80\x80", 4, 0 },
	{ "\xf5\x80\x80\x80", 4, 0 },
	{ "\xf7\xbf\xbf\xbf", 4, 0 },
	{ "\xf8\x88\x80\x80\x80", 5, 0 },
	{ "\x80", 1, 0 },
	{ "\xbf", 1, 0 },
	{ "\xfe", 1, 0 },
	{ "\xff", 1, 0 },
	/* A lead byte without its continuation bytes. */
	{ "\xc2\x41", 2, 0 },
	{ "\xe2\x28\xa1", 3, 0 },
	{ "\xe2\x82\xc0", 3, 0 },
	{ "\xf0\x90\x28\xbc", 4, 0 },
	{ "\xf0\x90\x80\xc0", 4, 0 },
	/* Truncated: the sequence would go past the bytes available. */
	{ "", 0, 0 },
	{ "\xc2", 1, 0 },
	{ "\xe2\x82", 2, 0 },
	{ "\xe2", 1, 0 },
	{ "\xf0\x9f\x98", 3, 0 },
	{ "\xf0\x9f", 2, 0 },
};

START_TEST(hwt_utf8_len_cases)
{
	/* Exactly n bytes on the heap: a read past them is an ASan error. */
	unsigned char *s = malloc(utf8_cases[_i].n ? utf8_cases[_i].n : 1);

	ck_assert_ptr_nonnull(s);
	memcpy(s, utf8_cases[_i].bytes, utf8_cases[_i].n);
	ck_assert_msg(hwt_utf8_len(s, utf8_cases[_i].n) == utf8_cases[_i].len,
		      "case %d: got %zu, want %zu", _i, hwt_utf8_len(s, utf8_cases[_i].n),
		      utf8_cases[_i].len);
	free(s);
}
END_TEST

/* A complete sequence cut short by @n: the bytes are there, but beyond what may be read. */
START_TEST(hwt_utf8_len_limited_by_n)
{
	const unsigned char euro[] = { 0xe2, 0x82, 0xac }, smile[] = { 0xf0, 0x9f, 0x98, 0x80 };

	ck_assert_uint_eq(hwt_utf8_len(euro, 3), 3);
	ck_assert_uint_eq(hwt_utf8_len(euro, 2), 0);
	ck_assert_uint_eq(hwt_utf8_len(euro, 0), 0);
	ck_assert_uint_eq(hwt_utf8_len(smile, 4), 4);
	ck_assert_uint_eq(hwt_utf8_len(smile, 3), 0);
	ck_assert_uint_eq(hwt_utf8_len(smile, 1), 0);
}
END_TEST

/* Every 2- and 3-byte sequence against a plain decoder written from RFC 3629. */
START_TEST(hwt_utf8_len_exhaustive_2_3)
{
	unsigned char s[3];

	for (unsigned a = 0x80; a < 0x100; a++) {
		for (unsigned b = 0; b < 0x100; b++) {
			size_t want = 0;

			s[0] = (unsigned char)a;
			s[1] = (unsigned char)b;
			if (a >= 0xc2 && a <= 0xdf && (b & 0xc0) == 0x80)
				want = 2;
			ck_assert_msg(hwt_utf8_len(s, 2) == want, "%02x %02x", a, b);
			if (a < 0xe0 || a > 0xef)
				continue;
			for (unsigned c = 0x80; c < 0xc0; c++) {
				unsigned cp = (a & 0x0f) << 12 | (b & 0x3f) << 6 | (c & 0x3f);

				s[2] = (unsigned char)c;
				want = (b & 0xc0) == 0x80 && cp >= 0x800 &&
				       !(cp >= 0xd800 && cp <= 0xdfff);
				want *= 3;
				ck_assert_msg(hwt_utf8_len(s, 3) == want, "%02x %02x %02x", a, b,
					      c);
			}
		}
	}
}
END_TEST

/* ---- hwt_signal_name ------------------------------------------------------------------- */

static const struct {
	int sig;
	const char *name;
} signal_cases[] = {
	{ SIGHUP, "SIGHUP" },
	{ SIGINT, "SIGINT" },
	{ SIGABRT, "SIGABRT" },
	{ SIGKILL, "SIGKILL" },
	{ SIGSEGV, "SIGSEGV" },
	{ SIGPIPE, "SIGPIPE" },
	{ SIGTERM, "SIGTERM" },
	{ SIGCHLD, "SIGCHLD" },
	{ SIGSTOP, "SIGSTOP" },
	{ SIGPROF, "SIGPROF" },
	{ SIGWINCH, "SIGWINCH" },
	{ SIGSYS, "SIGSYS" },
	{ 0, NULL },
	{ -1, NULL },
	{ 32, NULL },
	{ 64, NULL },
	{ INT_MAX, NULL },
	{ INT_MIN, NULL },
};

START_TEST(hwt_signal_name_cases)
{
	const char *got = hwt_signal_name(signal_cases[_i].sig);

	if (signal_cases[_i].name)
		ck_assert_str_eq(got, signal_cases[_i].name);
	else
		ck_assert_ptr_null(got);
}
END_TEST

/* Every classic signal has the name glibc gives it (or its alias). */
START_TEST(hwt_signal_name_matches_libc)
{
	char want[32];

	for (int sig = 1; sig < 32; sig++) {
		const char *abbrev = sigabbrev_np(sig);

		ck_assert_ptr_nonnull(abbrev);
		/* glibc calls 29 SIGPOLL; SIGIO is the same signal's Linux name. */
		snprintf(want, sizeof(want), "SIG%s", sig == SIGIO ? "IO" : abbrev);
		ck_assert_ptr_nonnull(hwt_signal_name(sig));
		ck_assert_str_eq(hwt_signal_name(sig), want);
	}
	/* Real-time signals have no name here. */
	for (int sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
		ck_assert_ptr_null(hwt_signal_name(sig));
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, hwt_idmap_find_empty);
	tcase_add_loop_test(tc, hwt_idmap_put_edge_keys, 0,
			    (int)(sizeof(edge_keys) / sizeof(edge_keys[0])));
	tcase_add_test(tc, hwt_idmap_put_key_zero);
	tcase_add_test(tc, hwt_idmap_put_created_flag);
	tcase_add_test(tc, hwt_idmap_put_grows);
	tcase_add_test(tc, hwt_idmap_fini_empties_and_reuses);
	tcase_add_loop_test(tc, hwt_array_reserve_cases, 0,
			    (int)(sizeof(grow_cases) / sizeof(grow_cases[0])));
	tcase_add_test(tc, hwt_array_reserve_from_null);
	tcase_add_test(tc, hwt_array_reserve_doubling);
	tcase_add_test(tc, hwt_array_reserve_too_many);
	tcase_add_test(tc, hwt_array_reserve_bytes_overflow);
	tcase_add_test(tc, HWT_ARRAY_GROW_widths);
	tcase_add_loop_test(tc, hwt_bitset_set_one, 0, (int)(sizeof(bit_ids) / sizeof(bit_ids[0])));
	tcase_add_test(tc, hwt_bitset_set_many);
	tcase_add_test(tc, hwt_bitset_fini_empties);
	tcase_add_loop_test(tc, hwt_utf8_len_cases, 0,
			    (int)(sizeof(utf8_cases) / sizeof(utf8_cases[0])));
	tcase_add_test(tc, hwt_utf8_len_limited_by_n);
	tcase_add_test(tc, hwt_utf8_len_exhaustive_2_3);
	tcase_add_loop_test(tc, hwt_signal_name_cases, 0,
			    (int)(sizeof(signal_cases) / sizeof(signal_cases[0])));
	tcase_add_test(tc, hwt_signal_name_matches_libc);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

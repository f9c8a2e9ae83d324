/* Ordinary C for the Intel PT decoding benchmark (tests/bench/pt.sh records it with the oracle):
 * each round hashes and looks up words in a chained hash table (strcmp and strlen through the
 * PLT), sorts with a callback from libc's qsort, formats with snprintf, walks a recursion and
 * dispatches through a table of function pointers. ROUNDS (argv[1], default 20) sets the length.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 64
#define NWORDS	 48

struct entry {
	const char *key;
	int value;
	struct entry *next;
};

static struct entry pool[NWORDS];
static struct entry *buckets[NBUCKETS];
static const char *const words[] = { "alpha", "bravo",	  "charlie", "delta",  "echo",	 "foxtrot",
				     "golf",  "hotel",	  "india",   "juliet", "kilo",	 "lima",
				     "mike",  "november", "oscar",   "papa",   "quebec", "romeo" };

__attribute__((noinline)) unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

__attribute__((noinline)) struct entry *lookup(const char *key)
{
	struct entry *e = buckets[hash(key) % NBUCKETS];

	while (e && strcmp(e->key, key))
		e = e->next;
	return e;
}

__attribute__((noinline)) int insert(int i, const char *key, int value)
{
	struct entry *e = lookup(key);

	if (e) {
		e->value += value;
		return 0;
	}
	e = &pool[i % NWORDS];
	e->key = key;
	e->value = value;
	e->next = buckets[hash(key) % NBUCKETS];
	buckets[hash(key) % NBUCKETS] = e;
	return 1;
}

__attribute__((noinline)) int cmp_len(const void *a, const void *b)
{
	size_t x = strlen(*(const char *const *)a), y = strlen(*(const char *const *)b);

	return x != y ? (x > y) - (x < y)
		      : strcmp(*(const char *const *)a, *(const char *const *)b);
}

__attribute__((noinline)) int depth(int n)
{
	return n < 2 ? n : depth(n - 1) + depth(n - 2);
}

__attribute__((noinline)) int op_add(int a, int b)
{
	return a + b;
}

__attribute__((noinline)) int op_mul(int a, int b)
{
	return a * b % 1009;
}

__attribute__((noinline)) int op_max(int a, int b)
{
	return a > b ? a : b;
}

static int (*const ops[])(int, int) = { op_add, op_mul, op_max };

__attribute__((noinline)) int round_(int r)
{
	const char *sorted[sizeof(words) / sizeof(words[0])];
	size_t n = sizeof(words) / sizeof(words[0]);
	char buf[64];
	int acc = r;

	memset(buckets, 0, sizeof(buckets));
	for (size_t i = 0; i < n; i++)
		acc += insert((int)i, words[(i * 7 + (size_t)r) % n], (int)i);
	for (size_t i = 0; i < n; i++) {
		struct entry *e = lookup(words[i]);
		acc += e ? e->value : -1;
	}
	memcpy(sorted, words, sizeof(sorted));
	qsort(sorted, n, sizeof(sorted[0]), cmp_len);
	acc += snprintf(buf, sizeof(buf), "%s-%d-%s", sorted[0], acc, sorted[n - 1]);
	acc += depth(8);
	for (int i = 0; i < 30; i++)
		acc = ops[(i + r) % 3](acc, i);
	return acc;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20, acc = 0;

	for (int r = 0; r < rounds; r++)
		acc += round_(r);
	printf("%d\n", acc);
	return 0;
}

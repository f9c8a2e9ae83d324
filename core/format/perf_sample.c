/* PERF_RECORD_SAMPLE's layout: the fields a sample carries, found by its event's sample_type. */
#include "perf_sample.h"

#include <linux/perf_event.h>
#include <stddef.h>
#include <string.h>

#include "hwtrace/error.h"

/* Bits set in @v: __builtin_popcountll() is a call into libgcc where the build does not assume
 * the POPCNT instruction, once per sample with user registers. */
static inline int popcount64(uint64_t v)
{
	v -= (v >> 1) & 0x5555555555555555ull;
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (int)((v * 0x0101010101010101ull) >> 56);
}

/* Whether the @nwords words at @data are a sparse copy of @extent bytes: a bitmap with no slot
 * past the extent marked, then as many words as it marks. */
static int sparse_ok(const uint64_t *data, uint64_t nwords, uint64_t extent)
{
	uint64_t nmap = HWT_STACK_SPARSE_MAP_WORDS(extent), slots = (extent + 7) / 8, kept = 0;

	if (extent > HWT_STACK_SPARSE_MAX || nmap > nwords)
		return 0;
	for (uint64_t j = 0; j < nmap; j++) {
		uint64_t valid = slots > 64 * j ? slots - 64 * j : 0;
		if (valid < 64 && data[j] >> valid)
			return 0;
		kept += (uint64_t)popcount64(data[j]);
	}
	return kept == nwords - nmap;
}

/* The parse, inlined where it is used: what a caller does not read of @s is never stored (the
 * time alone costs the checks). Every field is set, none twice. */
static inline __attribute__((always_inline)) int parse(const struct hwt_event_desc *e,
						       const uint8_t *p, const uint8_t *end,
						       struct hwt_perf_sample *s, int map_checked)
{
	uint64_t st = e->sample_type;
	const uint64_t *q = (const uint64_t *)p;
#define NEED(n)                                       \
	do {                                          \
		if ((const uint8_t *)(q + (n)) > end) \
			return HWT_E_CORRUPT;         \
	} while (0)

	/* The fixed-size fields first: one bound check for all of them. */
	size_t fixed = !!(st & PERF_SAMPLE_IDENTIFIER) + !!(st & PERF_SAMPLE_IP) +
		       !!(st & PERF_SAMPLE_TID) + !!(st & PERF_SAMPLE_TIME) +
		       !!(st & PERF_SAMPLE_ADDR) + !!(st & PERF_SAMPLE_ID) +
		       !!(st & PERF_SAMPLE_STREAM_ID) + !!(st & PERF_SAMPLE_CPU) +
		       !!(st & PERF_SAMPLE_PERIOD);
	NEED(fixed);
	s->id = st & PERF_SAMPLE_IDENTIFIER ? *q++ : 0;
	s->ip = st & PERF_SAMPLE_IP ? *q++ : 0;
	s->pid = s->tid = 0;
	if (st & PERF_SAMPLE_TID) {
		s->pid = (uint32_t)*q;
		s->tid = (uint32_t)(*q++ >> 32);
	}
	s->time = st & PERF_SAMPLE_TIME ? *q++ : 0;
	q += !!(st & PERF_SAMPLE_ADDR) + !!(st & PERF_SAMPLE_ID) + !!(st & PERF_SAMPLE_STREAM_ID);
	s->cpu = st & PERF_SAMPLE_CPU ? (uint32_t)*q++ : 0;
	s->period = st & PERF_SAMPLE_PERIOD ? *q++ : 0;
	s->read = NULL;
	s->nread = 0;
	s->chain = NULL;
	s->nchain = 0;
	s->raw = NULL;
	s->raw_size = 0;
	s->regs = NULL;
	s->regs_abi = 0;
	s->stack = NULL;
	s->stack_map = NULL;
	s->stack_size = 0;
	if (st & PERF_SAMPLE_READ) {
		uint64_t rf = e->read_format;
		size_t per = 1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST);
		size_t hdr = !!(rf & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			     !!(rf & PERF_FORMAT_TOTAL_TIME_RUNNING);
		if (rf & PERF_FORMAT_GROUP) {
			NEED(1);
			uint64_t nr = *q;
			if (nr > HWT_PERF_GROUP_MAX)
				return HWT_E_CORRUPT;
			NEED(1 + hdr + nr * per);
			s->read = q;
			s->nread = 1 + hdr + nr * per;
		} else {
			NEED(per + hdr);
			s->read = q;
			s->nread = per + hdr;
		}
		q += s->nread;
	}
	if (st & PERF_SAMPLE_CALLCHAIN) {
		NEED(1);
		s->nchain = *q++;
		if (s->nchain > (uint64_t)(end - (const uint8_t *)q) / 8)
			return HWT_E_CORRUPT;
		s->chain = q;
		q += s->nchain;
	}
	if (st & PERF_SAMPLE_RAW) {
		NEED(1);
		uint32_t size = *(const uint32_t *)q;
		/* The kernel pads the size field and its data to 8 bytes: anything else would leave
		 * the fields after it unaligned. */
		if ((4 + (uint64_t)size) % 8 || size > (uint64_t)(end - (const uint8_t *)q) - 4)
			return HWT_E_CORRUPT;
		s->raw = (const uint8_t *)q + 4;
		s->raw_size = size;
		q = (const uint64_t *)((const uint8_t *)q + 4 + size);
	}
	if (st & PERF_SAMPLE_BRANCH_STACK) {
		NEED(1);
		uint64_t nr = *q++;
		if (nr > (uint64_t)(end - (const uint8_t *)q) / 24)
			return HWT_E_CORRUPT;
		q += nr * 3;
	}
	if (st & PERF_SAMPLE_REGS_USER) {
		NEED(1);
		s->regs_abi = *q++;
		if (s->regs_abi) {
			int n = popcount64(e->sample_regs_user);
			NEED(n);
			s->regs = q;
			q += n;
		}
	}
	if (st & PERF_SAMPLE_STACK_USER) {
		NEED(1);
		uint64_t size = *q++;
		if (size) {
			/* The copy, then its dynamic size: both inside the record, and a multiple
			 * of 8 as the kernel rounds it (the dynamic size's load stays aligned). */
			uint64_t room = (uint64_t)(end - (const uint8_t *)q);
			if (room < 8 || size > room - 8 || size % 8)
				return HWT_E_CORRUPT;
			const uint64_t *data = q;
			q += size / 8;
			uint64_t dyn = *q++;
			if ((e->flags & HWT_DESC_SPARSE_STACK) && (dyn & HWT_STACK_SPARSE)) {
				s->stack_size = dyn & ~HWT_STACK_SPARSE;
				if (!map_checked && !sparse_ok(data, size / 8, s->stack_size))
					return HWT_E_CORRUPT;
				s->stack_map = data;
			} else {
				s->stack = (const uint8_t *)data;
				s->stack_size = dyn < size ? dyn : size;
			}
		}
	}
#undef NEED
	return 0;
}

/* The word of slot @slot of the sparse copy @map (its bitmap, then its words): 0 if not kept. */
static uint64_t sparse_word(const uint64_t *map, uint64_t nmap, uint64_t slot)
{
	uint64_t j = slot / 64, bit = 1ull << (slot % 64), rank = 0;

	if (!(map[j] & bit))
		return 0;
	for (uint64_t k = 0; k < j; k++)
		rank += (uint64_t)popcount64(map[k]);
	rank += (uint64_t)popcount64(map[j] & (bit - 1));
	return map[nmap + rank];
}

int hwt_perf_stack_read(const struct hwt_perf_sample *s, uint64_t off, void *buf, size_t n)
{
	if (!s || (!s->stack && !s->stack_map) || off > s->stack_size || n > s->stack_size - off)
		return HWT_E_INVAL;
	if (s->stack) {
		memcpy(buf, s->stack + off, n);
		return 0;
	}
	uint64_t nmap = HWT_STACK_SPARSE_MAP_WORDS(s->stack_size);
	if (n == 8 && !(off % 8)) { /* a return address: one slot, what the leaf fix-up reads */
		uint64_t w = sparse_word(s->stack_map, nmap, off / 8);
		memcpy(buf, &w, 8);
		return 0;
	}
	uint8_t *out = buf;
	for (uint64_t at = off, end = off + n; at < end;) {
		uint64_t w = sparse_word(s->stack_map, nmap, at / 8), in = at % 8;
		size_t part = (size_t)(8 - in < end - at ? 8 - in : end - at);
		memcpy(out, (const uint8_t *)&w + in, part);
		out += part;
		at += part;
	}
	return 0;
}

size_t hwt_perf_stack_expand(const struct hwt_perf_sample *s, uint8_t *buf, size_t cap)
{
	size_t n = s->stack_size < cap ? (size_t)s->stack_size : cap;

	if (s->stack) {
		memcpy(buf, s->stack, n);
		return n;
	}
	if (!s->stack_map)
		return 0;
	uint64_t nmap = HWT_STACK_SPARSE_MAP_WORDS(s->stack_size);
	const uint64_t *w = s->stack_map + nmap;
	memset(buf, 0, n);
	for (uint64_t j = 0; j < nmap; j++)
		for (uint64_t m = s->stack_map[j]; m; m &= m - 1) {
			size_t at = (size_t)(64 * j + (uint64_t)__builtin_ctzll(m)) * 8;
			if (at < n)
				memcpy(buf + at, w, n - at < 8 ? n - at : 8);
			w++;
		}
	return n;
}

size_t hwt_perf_stack_pack(uint8_t *out, const uint8_t *copy, uint64_t extent, const uint64_t *map)
{
	uint64_t nmap = HWT_STACK_SPARSE_MAP_WORDS(extent);
	uint8_t *w = out + nmap * 8;

	memcpy(out, map, nmap * 8);
	for (uint64_t j = 0; j < nmap; j++)
		for (uint64_t m = map[j]; m; m &= m - 1) {
			memcpy(w, copy + (64 * j + (uint64_t)__builtin_ctzll(m)) * 8, 8);
			w += 8;
		}
	return (size_t)(w - out);
}

int hwt_perf_sample_parse(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			  struct hwt_perf_sample *s)
{
	return parse(e, p, end, s, 0);
}

int hwt_perf_sample_reparse(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			    struct hwt_perf_sample *s)
{
	return parse(e, p, end, s, 1);
}

int hwt_perf_sample_time(const struct hwt_event_desc *e, const uint8_t *p, const uint8_t *end,
			 uint64_t *time)
{
	struct hwt_perf_sample s;
	int err = parse(e, p, end, &s, 0);

	*time = err ? 0 : s.time;
	return err;
}

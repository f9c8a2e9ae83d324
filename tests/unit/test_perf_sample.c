/* Unit tests for the sample layout (core/format/perf_sample.c) and the record-time scrub of
 * copied stacks (core/scrub.c), on hand-made records in buffers of their exact size (ASan sees
 * any read past a record), and for hwt_open_regular() (core/openfile.c). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/perf_sample.h"
#include "core/openfile.h"
#include "core/scrub.h"

#define ST_DWARF                                                                        \
	(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME | \
	 PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER)
#define MASK_FP 0x1c0ull /* bp, sp, ip */

struct rec {
	uint64_t w[64];
	size_t n; /* words */
};

static void add(struct rec *r, uint64_t v)
{
	ck_assert_uint_lt(r->n, 64);
	r->w[r->n++] = v;
}

/* A sample body: id, ip, pid/tid, time, then regs (abi 2, @nregs values), then the stack field
 * (@size, @words of stack, the dynamic size) unless @size_last: then the size ends the body. */
static void body(struct rec *r, int nregs, uint64_t sp, uint64_t size, int words, int size_last)
{
	r->n = 0;
	add(r, 1);
	add(r, 0x401000);
	add(r, 42 | (uint64_t)42 << 32);
	add(r, 1000);
	add(r, 2);
	for (int i = 0; i < nregs; i++)
		add(r, i == 1 ? sp : 0x1000 + (uint64_t)i);
	add(r, size);
	if (size_last)
		return;
	for (int i = 0; i < words; i++)
		add(r, 0x4141414141414141ull);
	add(r, size);
}

/* @r's words in a heap buffer of their exact size; the caller frees it. */
static uint8_t *exact(const struct rec *r)
{
	uint8_t *p = malloc(r->n * 8);
	ck_assert_ptr_nonnull(p);
	memcpy(p, r->w, r->n * 8);
	return p;
}

static const struct hwt_event_desc dwarf_fp3 = {
	.id = 1, .sample_type = ST_DWARF, .sample_regs_user = MASK_FP, .sample_stack_user = 64
};

START_TEST(hwt_perf_sample_parse_fp_regs)
{
	struct rec r;
	struct hwt_perf_sample s;
	body(&r, 3, 0x7ff000, 32, 4, 0);
	uint8_t *p = exact(&r);
	ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, p, p + r.n * 8, &s), 0);
	ck_assert_uint_eq(s.pid, 42);
	ck_assert_uint_eq(s.regs[1], 0x7ff000); /* three registers, not seventeen */
	ck_assert_ptr_eq(s.stack, p + (5 + 3 + 1) * 8);
	ck_assert_uint_eq(s.stack_size, 32);
	free(p);
}
END_TEST

START_TEST(hwt_perf_sample_parse_stack_size_ends_record)
{
	struct rec r;
	struct hwt_perf_sample s;
	body(&r, 3, 0x7ff000, 4096, 0, 1);
	uint8_t *p = exact(&r);
	ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, p, p + r.n * 8, &s), HWT_E_CORRUPT);
	free(p);
}
END_TEST

/* Sizes the kernel never writes: not a multiple of 8, or one word more than the record has. */
static const uint64_t bad_stack_sizes[] = { 12, 36, 40 };

START_TEST(hwt_perf_sample_parse_bad_stack_size)
{
	struct rec r;
	struct hwt_perf_sample s;
	body(&r, 3, 0x7ff000, bad_stack_sizes[_i], 4, 0);
	uint8_t *p = exact(&r);
	ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, p, p + r.n * 8, &s), HWT_E_CORRUPT);
	free(p);
}
END_TEST

START_TEST(hwt_perf_sample_parse_raw_unaligned)
{
	const struct hwt_event_desc e = {
		.id = 1, .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_RAW | PERF_SAMPLE_TIME
	};
	/* TIME comes before RAW: word 1 is the time, word 2 the raw size and its data. */
	const uint64_t ok[3] = { 1, 7, 4 }, odd[3] = { 1, 7, 5 }, over[3] = { 1, 7, 12 };
	struct hwt_perf_sample s;
	ck_assert_int_eq(hwt_perf_sample_parse(&e, (const uint8_t *)ok,
					       (const uint8_t *)ok + sizeof(ok), &s),
			 0);
	ck_assert_uint_eq(s.time, 7);
	ck_assert_int_eq(hwt_perf_sample_parse(&e, (const uint8_t *)odd,
					       (const uint8_t *)odd + sizeof(odd), &s),
			 HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_perf_sample_parse(&e, (const uint8_t *)over,
					       (const uint8_t *)over + sizeof(over), &s),
			 HWT_E_CORRUPT);
}
END_TEST

/* Every fixed-size field, in the kernel's order: each where it belongs, the skipped ones
 * skipped; one word short of them, damage. */
START_TEST(hwt_perf_sample_parse_fixed_fields)
{
	const struct hwt_event_desc e = { .id = 1,
					  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP |
							 PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
							 PERF_SAMPLE_ADDR | PERF_SAMPLE_ID |
							 PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU |
							 PERF_SAMPLE_PERIOD };
	const uint64_t w[9] = { 1, 0x401000, 7 | 8ull << 32, 1000, 0xadd, 1, 2, 3, 250000 };
	const uint8_t *p = (const uint8_t *)w;
	struct hwt_perf_sample s;
	uint64_t t;

	ck_assert_int_eq(hwt_perf_sample_parse(&e, p, p + sizeof(w), &s), 0);
	ck_assert_uint_eq(s.id, 1);
	ck_assert_uint_eq(s.ip, 0x401000);
	ck_assert_uint_eq(s.pid, 7);
	ck_assert_uint_eq(s.tid, 8);
	ck_assert_uint_eq(s.time, 1000);
	ck_assert_uint_eq(s.cpu, 3);
	ck_assert_uint_eq(s.period, 250000);
	ck_assert_ptr_null(s.chain);
	ck_assert_ptr_null(s.regs);
	ck_assert_ptr_null(s.stack);
	ck_assert_int_eq(hwt_perf_sample_time(&e, p, p + sizeof(w), &t), 0);
	ck_assert_uint_eq(t, 1000);
	ck_assert_int_eq(hwt_perf_sample_parse(&e, p, p + sizeof(w) - 8, &s), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_perf_sample_time(&e, p, p + sizeof(w) - 8, &t), HWT_E_CORRUPT);
	ck_assert_uint_eq(t, 0);
}
END_TEST

/* The time alone: what the parse finds, and damage wherever the parse finds it (the records of
 * the cases above, good and bad). */
START_TEST(hwt_perf_sample_time_as_parse)
{
	static const struct {
		uint64_t size;
		int words, size_last;
	} cases[] = { { 32, 4, 0 }, { 4096, 0, 1 }, { 12, 4, 0 }, { 36, 4, 0 }, { 40, 4, 0 } };
	struct rec r;
	struct hwt_perf_sample s;
	uint64_t t = 1;

	body(&r, 3, 0x7ff000, cases[_i].size, cases[_i].words, cases[_i].size_last);
	uint8_t *p = exact(&r);
	int want = hwt_perf_sample_parse(&dwarf_fp3, p, p + r.n * 8, &s);
	ck_assert_int_eq(hwt_perf_sample_time(&dwarf_fp3, p, p + r.n * 8, &t), want);
	ck_assert_uint_eq(t, want ? 0 : s.time);
	ck_assert_uint_eq(t, want ? 0 : 1000);
	/* Too short for the fixed fields. */
	ck_assert_int_eq(hwt_perf_sample_time(&dwarf_fp3, p, p + 16, &t), HWT_E_CORRUPT);
	free(p);
}
END_TEST

static const struct hwt_event_desc *one_desc(void *ctx, uint64_t id)
{
	return id == 1 ? ctx : NULL;
}

/* A whole record: header, then body(). */
static uint8_t *sample_record(int nregs, uint64_t sp, size_t *len)
{
	struct rec r;
	body(&r, nregs, sp, 32, 4, 0);
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE,
				       .misc = PERF_RECORD_MISC_USER,
				       .size = (uint16_t)(8 + r.n * 8) };
	uint8_t *p = malloc(h.size);
	memcpy(p, &h, 8);
	memcpy(p + 8, r.w, r.n * 8);
	*len = h.size;
	return p;
}

/* Appends to @buf at *@len a dwarf_fp3 sample of a thread of this process whose stack copy is
 * @size bytes (words 0x5100 + i) of which the kernel filled @dyn, and after it one more field
 * (PERF_SAMPLE_WEIGHT's place: words after the stack must move with it). */
static void trim_rec(uint8_t *buf, size_t *len, uint64_t size, uint64_t dyn)
{
	struct rec r;

	body(&r, 3, 0x7ff000, size, (int)(size / 8), 0);
	r.w[2] = (uint32_t)getpid() | (uint64_t)42 << 32; /* ours, tid 42: far below argc */
	for (uint64_t i = 0; i < size / 8; i++)
		r.w[9 + i] = 0x5100 + i;
	r.w[r.n - 1] = dyn;
	add(&r, 0x77777777);
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE,
				       .misc = PERF_RECORD_MISC_USER,
				       .size = (uint16_t)(8 + r.n * 8) };
	memcpy(buf + *len, &h, 8);
	memcpy(buf + *len + 8, r.w, r.n * 8);
	*len += h.size;
}

/* A record that is not a sample: a COMM of 16 bytes after the header. */
static void comm_rec(uint8_t *buf, size_t *len)
{
	struct perf_event_header h = { .type = PERF_RECORD_COMM, .size = 32 };
	memcpy(buf + *len, &h, 8);
	memcpy(buf + *len + 8, "\x2a\0\0\0\x2a\0\0\0work-thread\0\0\0\0", 24);
	*len += h.size;
}

/* The scrub's trim: each sample as the parser sees it, the same before and after: only the
 * copy's tail (never filled) goes, at least 8 bytes stay, and the records after it follow. */
START_TEST(hwt_scrub_copy_keeps_what_parses)
{
	static const uint64_t cases[][2] = { { 128, 40 },  { 128, 37 }, { 128, 0 },
					     { 128, 128 }, { 8, 0 },	{ 128, 200 } };
	static const uint64_t kept[] = { 40, 40, 8, 128, 8, 128 };
	struct hwt_scrub s = { 0 };
	uint8_t before[4096], after[4096];
	size_t len = 0;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		trim_rec(before, &len, cases[k][0], cases[k][1]);
		comm_rec(before, &len);
	}
	size_t nlen = hwt_scrub_copy(&s, after, before, len, one_desc, (void *)&dwarf_fp3);
	ck_assert_uint_eq(s.zeroed, 0);
	size_t a = 0, b = 0, k = 0;
	for (; b < len; k++) {
		struct perf_event_header ha, hb;
		struct hwt_perf_sample sa, sb;
		memcpy(&ha, after + a, 8);
		memcpy(&hb, before + b, 8);
		ck_assert_uint_eq(ha.type, hb.type);
		if (hb.type == PERF_RECORD_SAMPLE) {
			ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, before + b + 8,
							       before + b + hb.size, &sb),
					 0);
			ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, after + a + 8,
							       after + a + ha.size, &sa),
					 0);
			ck_assert_uint_eq(ha.size, hb.size - (cases[k / 2][0] - kept[k / 2]));
			ck_assert_uint_eq(sa.time, sb.time);
			ck_assert_mem_eq(sa.regs, sb.regs, 3 * 8);
			ck_assert_uint_eq(sa.stack_size, sb.stack_size);
			ck_assert_ptr_nonnull(sa.stack);
			ck_assert_mem_eq(sa.stack, sb.stack, sb.stack_size);
			uint64_t last;
			memcpy(&last, after + a + ha.size - 8, 8);
			ck_assert_uint_eq(last, 0x77777777);
		} else {
			ck_assert_mem_eq(after + a, before + b, hb.size);
		}
		a += ha.size;
		b += hb.size;
	}
	ck_assert_uint_eq(a, nlen);
	ck_assert_uint_eq(k, 2 * sizeof(kept) / sizeof(kept[0]));
	hwt_scrub_fini(&s);
}
END_TEST

/* What it cannot read goes on as it was: an unknown event's sample, a damaged one, a broken
 * tail (a size past the end). */
START_TEST(hwt_scrub_copy_leaves_the_unknown)
{
	static const struct hwt_event_desc other = { .id = 2, .sample_type = ST_DWARF };
	struct hwt_scrub s = { 0 };
	uint8_t before[2048], after[2048];
	size_t len = 0;

	trim_rec(before, &len, 128, 16);
	const size_t rec = len; /* 224 bytes: header, 8 words, the copy's size, 16, 2 */
	trim_rec(before, &len, 128, 16);
	memcpy(before + rec + 8 + 64, "\xff\xff\xff\xff", 4); /* the second's copy size: too big */
	trim_rec(before, &len, 128, 16);
	before[2 * rec + 7] = 0x7f; /* the third's header size: past the end */
	ck_assert_uint_eq(hwt_scrub_copy(&s, after, before, len, one_desc, (void *)&other), len);
	ck_assert_mem_eq(after, before, len);
	size_t nlen = hwt_scrub_copy(&s, after, before, len, one_desc, (void *)&dwarf_fp3);
	ck_assert_uint_eq(rec, 224);
	ck_assert_uint_eq(nlen, len - 112);
	ck_assert_mem_eq(after + nlen - 2 * rec, before + rec, 2 * rec);
	hwt_scrub_fini(&s);
}
END_TEST

/* Field @n of this process's /proc/self/stat. */
static uint64_t stat_field(int n)
{
	FILE *f = fopen("/proc/self/stat", "r");
	char buf[1024];
	size_t len = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[len] = 0;
	char *p = strrchr(buf, ')') + 2;
	for (int i = 3; i < n; i++)
		p = strchr(p, ' ') + 1;
	return strtoull(p, NULL, 10);
}

/* hwt_scrub_copy() of the @len bytes of records at @rec into @out: how many bytes of the
 * copies it found to zero (at or above argc, none of which it copies). */
static uint64_t scrub_zeroed(struct hwt_scrub *s, const uint8_t *rec, size_t len, uint8_t *out,
			     const struct hwt_event_desc *desc)
{
	uint64_t before = s->zeroed;

	hwt_scrub_copy(s, out, rec, len, one_desc, (void *)desc);
	return s->zeroed - before;
}

/* A main thread's copy over argc and argv[0]: cut at argc when argv[0] points at arg_start,
 * zeroed whole when it does not (the copy is of another program: a sample taken during exec). */
START_TEST(hwt_scrub_copy_checks_argv0)
{
	struct hwt_scrub s = { 0 };
	size_t len;
	uint64_t startstack = stat_field(28), arg_start = stat_field(48);
	uint8_t *rec = sample_record(3, startstack - 8, &len);
	uint32_t pid = (uint32_t)getpid();
	memcpy(rec + 8 + 16, &pid, 4);
	memcpy(rec + 8 + 20, &pid, 4); /* tid: the main thread */
	uint8_t *stack = rec + 8 + (5 + 3 + 1) * 8;
	memcpy(stack + 16, &arg_start, 8); /* argv[0] at argc + 8 */
	uint8_t out[256];
	const uint8_t *kept = out + (stack - rec);
	ck_assert_uint_le(len, sizeof(out));
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, &dwarf_fp3), 24);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(kept[i], 0x41); /* below argc: kept */
	uint64_t other = arg_start + 4096;
	memcpy(stack + 16, &other, 8);
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, &dwarf_fp3), 32);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(kept[i], 0); /* the 8 bytes a copy keeps: zeros */
	free(rec);
	hwt_scrub_fini(&s);
}
END_TEST

/* How many descriptors this process has open. */
static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

START_TEST(hwt_scrub_copy_rereads_proc)
{
	struct hwt_scrub s = { 0 };
	int fds = open_fds();
	size_t len;
	/* A copy from 16 bytes below this process's argc (a thread's sample: tid 42). */
	uint64_t startstack = stat_field(28);
	ck_assert_uint_gt(startstack, 0);
	uint8_t *rec = sample_record(3, startstack - 16, &len);
	uint32_t pid = (uint32_t)getpid();
	memcpy(rec + 8 + 16, &pid, 4); /* the sample's pid: ours */
	uint8_t out[256];
	struct hwt_perf_sample smp;
	ck_assert_uint_le(len, sizeof(out));
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, &dwarf_fp3), 16);
	ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, out + 8, out + len - 16, &smp), 0);
	ck_assert_uint_eq(smp.stack_size, 16);
	ck_assert_uint_eq(smp.stack[15], 0x41); /* below argc: kept; above it, not copied */
	/* The next round reads /proc again (its descriptor kept open): the same cut. */
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, &dwarf_fp3), 16);
	ck_assert_int_eq(open_fds(), fds + 1);
	free(rec);
	hwt_scrub_fini(&s);
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

START_TEST(hwt_scrub_copy_unknown_process)
{
	struct hwt_scrub s = { 0 };
	size_t len;
	/* pid 42 of body(): no such process here, so nothing says where its strings are. */
	uint8_t *rec = sample_record(3, 0x7ff000, &len);
	if (!access("/proc/42", F_OK)) {
		free(rec);
		return;
	}
	uint8_t out[256];
	ck_assert_uint_le(len, sizeof(out));
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, &dwarf_fp3), 32);
	/* Unknown events are left alone. */
	ck_assert_uint_eq(scrub_zeroed(&s, rec, len, out, NULL), 0);
	ck_assert_mem_eq(out, rec, len);
	free(rec);
	hwt_scrub_fini(&s);
	hwt_scrub_fini(NULL);
}
END_TEST

/* One copy does the scrub and the trim: a copy from 16 bytes below argc keeps those 16 (what lay
 * above is not copied at all), one the kernel filled 8 bytes of keeps 8, other records follow
 * whole; in place (dst == src) the same. */
START_TEST(hwt_scrub_copy_cuts_at_argc_and_fill)
{
	struct hwt_scrub s = { 0 };
	uint8_t src[1024], dst[1024];
	size_t one, len = 0;
	uint64_t startstack = stat_field(28), eight = 8;
	uint32_t pid = (uint32_t)getpid();
	uint8_t *rec = sample_record(3, startstack - 16, &one);

	ck_assert_uint_gt(startstack, 0);
	memcpy(rec + 8 + 16, &pid, 4); /* ours; tid 42: a thread's sample */
	memcpy(src, rec, one);
	comm_rec(src + one, &len);
	memcpy(src + one + len, rec, one);
	memcpy(src + one + len + one - 8, &eight, 8); /* the kernel filled 8 bytes */
	len += 2 * one;
	size_t nlen = hwt_scrub_copy(&s, dst, src, len, one_desc, (void *)&dwarf_fp3);
	ck_assert_uint_eq(nlen, len - 16 - 24);
	size_t at = 0;
	const size_t keeps[2] = { 16, 8 };
	for (int k = 0; k < 2; k++) {
		struct perf_event_header h;
		struct hwt_perf_sample smp;
		memcpy(&h, dst + at, 8);
		ck_assert_uint_eq(h.size, one - 32 + keeps[k]);
		ck_assert_int_eq(
			hwt_perf_sample_parse(&dwarf_fp3, dst + at + 8, dst + at + h.size, &smp),
			0);
		ck_assert_uint_eq(smp.stack_size, keeps[k]);
		for (size_t i = 0; i < keeps[k]; i++)
			ck_assert_uint_eq(smp.stack[i], 0x41);
		at += h.size;
		if (!k) {
			ck_assert_mem_eq(dst + at, src + one, 32); /* the COMM, whole */
			at += 32;
		}
	}
	ck_assert_uint_eq(at, nlen);
	ck_assert_uint_eq(s.zeroed, 16 + 16);
	ck_assert_uint_eq(hwt_scrub_copy(&s, src, src, len, one_desc, (void *)&dwarf_fp3), nlen);
	ck_assert_mem_eq(src, dst, nlen);
	free(rec);
	hwt_scrub_fini(&s);
}
END_TEST

/* ---- sparse copies (HWT_DESC_SPARSE_STACK) ---- */

static const struct hwt_event_desc sparse_fp3 = { .id = 1,
						  .sample_type = ST_DWARF,
						  .sample_regs_user = MASK_FP,
						  .sample_stack_user = 512,
						  .flags = HWT_DESC_SPARSE_STACK };

/* A sample body of sparse_fp3 (bp, sp, ip) whose stack field is @n words @data and the dynamic
 * size @dyn, in a heap buffer of its exact size; *@len its bytes. */
static uint8_t *sparse_body(const uint64_t *data, int n, uint64_t dyn, size_t *len)
{
	struct rec r;

	body(&r, 3, 0x7ff000, (uint64_t)n * 8, n, 0);
	for (int i = 0; i < n; i++)
		r.w[9 + i] = data[i];
	r.w[r.n - 1] = dyn;
	*len = r.n * 8;
	return exact(&r);
}

/* A copy of 40 bytes (5 slots) keeping slots 1 and 3: the bitmap, then their words. */
START_TEST(hwt_perf_sample_parse_sparse)
{
	const uint64_t data[3] = { 0xa, 0x1111111111111111ull, 0x3333333333333333ull };
	struct hwt_perf_sample s;
	uint8_t back[48], bytes[12];
	uint64_t w = 1;
	size_t len;
	uint8_t *p = sparse_body(data, 3, 40 | HWT_STACK_SPARSE, &len);

	ck_assert_int_eq(hwt_perf_sample_parse(&sparse_fp3, p, p + len, &s), 0);
	ck_assert_ptr_null(s.stack);
	ck_assert_ptr_eq(s.stack_map, (const uint64_t *)(p + 9 * 8));
	ck_assert_uint_eq(s.stack_size, 40);
	ck_assert_int_eq(hwt_perf_stack_read(&s, 8, &w, 8), 0);
	ck_assert_uint_eq(w, 0x1111111111111111ull);
	ck_assert_int_eq(hwt_perf_stack_read(&s, 16, &w, 8), 0);
	ck_assert_uint_eq(w, 0);
	ck_assert_int_eq(hwt_perf_stack_read(&s, 24, &w, 8), 0);
	ck_assert_uint_eq(w, 0x3333333333333333ull);
	/* Across slots: the last 4 bytes of slot 1, 8 of slot 2 (zeros). */
	ck_assert_int_eq(hwt_perf_stack_read(&s, 12, bytes, 12), 0);
	ck_assert_mem_eq(bytes, "\x11\x11\x11\x11\0\0\0\0\0\0\0\0", 12);
	ck_assert_int_eq(hwt_perf_stack_read(&s, 36, &w, 8), HWT_E_INVAL); /* past the extent */
	ck_assert_int_eq(hwt_perf_stack_read(&s, 41, &w, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_perf_stack_read(NULL, 0, &w, 8), HWT_E_INVAL);
	memset(back, 0xee, sizeof(back));
	ck_assert_uint_eq(hwt_perf_stack_expand(&s, back, sizeof(back)), 40);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(back[i], i / 8 == 1 ? 0x11 : i / 8 == 3 ? 0x33 : 0);
	ck_assert_uint_eq(back[40], 0xee);
	ck_assert_uint_eq(hwt_perf_stack_expand(&s, back, 20), 20);
	/* Without HWT_DESC_SPARSE_STACK the same bytes are a whole copy of 24. */
	ck_assert_int_eq(hwt_perf_sample_parse(&dwarf_fp3, p, p + len, &s), 0);
	ck_assert_ptr_eq(s.stack, p + 9 * 8);
	ck_assert_ptr_null(s.stack_map);
	ck_assert_uint_eq(s.stack_size, 24);
	ck_assert_int_eq(hwt_perf_stack_read(&s, 8, &w, 8), 0);
	ck_assert_uint_eq(w, 0x1111111111111111ull);
	free(p);
}
END_TEST

/* Sparse copies no recorder writes: each is damage, never read past its record. */
static const struct {
	const char *what;
	uint64_t data[4];
	int n;
	uint64_t extent;
} bad_sparse[] = {
	{ "a marked slot without its word", { 0x7, 1, 2 }, 3, 64 },
	{ "a word no slot marks", { 0x1, 1, 2 }, 3, 64 },
	{ "a slot past the extent", { 0x4, 1 }, 2, 16 },
	{ "an empty copy marking a slot", { 0x1, 1 }, 2, 0 },
	{ "an extent past the most", { 0x0 }, 1, HWT_STACK_SPARSE_MAX + 8 },
	{ "fewer words than the bitmap needs", { 0x1, 1 }, 2, 1024 },
	{ "a huge extent", { 0x1, 1 }, 2, ~HWT_STACK_SPARSE },
};

START_TEST(hwt_perf_sample_parse_sparse_bad)
{
	struct hwt_perf_sample s;
	size_t len;
	uint8_t *p = sparse_body(bad_sparse[_i].data, bad_sparse[_i].n,
				 bad_sparse[_i].extent | HWT_STACK_SPARSE, &len);

	ck_assert_msg(hwt_perf_sample_parse(&sparse_fp3, p, p + len, &s) == HWT_E_CORRUPT,
		      "%s: not refused", bad_sparse[_i].what);
	free(p);
}
END_TEST

/* What parse accepted, reparse finds the same (the good cases of hwt_perf_sample_time_as_parse's
 * and a sparse copy); what it refused for bounds, reparse refuses too. */
START_TEST(hwt_perf_sample_reparse_as_parse)
{
	static const struct {
		uint64_t size;
		int words, size_last;
	} cases[] = { { 32, 4, 0 }, { 4096, 0, 1 }, { 12, 4, 0 }, { 36, 4, 0 }, { 40, 4, 0 } };
	const uint64_t data[3] = { 0xa, 0x1111111111111111ull, 0x3333333333333333ull };
	const struct hwt_event_desc *e = _i < 5 ? &dwarf_fp3 : &sparse_fp3;
	struct hwt_perf_sample a, b;
	struct rec r;
	size_t len;
	uint8_t *p;

	if (_i < 5) {
		body(&r, 3, 0x7ff000, cases[_i].size, cases[_i].words, cases[_i].size_last);
		p = exact(&r);
		len = r.n * 8;
	} else {
		p = sparse_body(data, 3, 40 | HWT_STACK_SPARSE, &len);
	}
	memset(&a, 0x5a, sizeof(a)); /* the padding too: compared whole below */
	memset(&b, 0x5a, sizeof(b));
	int want = hwt_perf_sample_parse(e, p, p + len, &a);
	ck_assert_int_eq(hwt_perf_sample_reparse(e, p, p + len, &b), want);
	if (!want)
		ck_assert_mem_eq(&a, &b, sizeof(a));
	ck_assert_int_eq(hwt_perf_sample_reparse(e, p, p + 16, &b), HWT_E_CORRUPT);
	free(p);
}
END_TEST

START_TEST(hwt_scrub_learn_range_merges)
{
	struct hwt_scrub s = { 0 };

	ck_assert_int_eq(hwt_scrub_is_code(&s, 10), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 10, 20), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 30, 40), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 50, 60), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 5, 5), 0); /* empty: nothing */
	ck_assert_uint_eq(s.ncode, 3);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 9), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 10), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 19), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 20), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 45), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 59), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 60), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 20, 30), 0); /* touches both: one range */
	ck_assert_uint_eq(s.ncode, 2);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 25), 1);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 1, 100), 0); /* covers all */
	ck_assert_uint_eq(s.ncode, 1);
	ck_assert_uint_eq(s.code[0].lo, 1);
	ck_assert_uint_eq(s.code[0].hi, 100);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 200, 300), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 150, 160), 0);
	ck_assert_uint_eq(s.ncode, 3);
	ck_assert_uint_eq(s.code[1].lo, 150);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 155), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 170), 0);
	/* Whole pages: verdicts are remembered per page, and forgotten when a range is learnt. */
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 0x10000, 0x11000), 0);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 0x20000, 0x21000), 0);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(hwt_scrub_is_code(&s, 0x10ff8), 1);
		ck_assert_int_eq(hwt_scrub_is_code(&s, 0x12008), 0);
	}
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 0x12000, 0x13000), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x12008), 1);
	ck_assert_int_eq(hwt_scrub_learn_range(&s, 0x12000, 0x12800), 0); /* known: no change */
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x12008), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x13008), 0);
	hwt_scrub_fini(&s);
}
END_TEST

/* A PERF_RECORD_MMAP2 of [@addr, @addr + @len) with @prot, or PERF_RECORD_MMAP with @misc. */
static size_t mmap_rec(uint8_t *buf, uint32_t type, uint16_t misc, uint64_t addr, uint64_t len,
		       uint32_t prot)
{
	uint64_t w[10] = { 42 | (uint64_t)42 << 32, addr, len, 0 };
	struct perf_event_header h = { .type = type, .misc = misc, .size = 8 + sizeof(w) };

	memcpy(&w[7], &prot, 4);
	memcpy(buf, &h, 8);
	memcpy(buf + 8, w, sizeof(w));
	return h.size;
}

START_TEST(hwt_scrub_learn_code_only)
{
	struct hwt_scrub s = { 0 };
	uint8_t rec[88];
	size_t n;

	n = mmap_rec(rec, PERF_RECORD_MMAP2, 0, 0x10000, 0x1000, PROT_READ | PROT_EXEC);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 1);
	n = mmap_rec(rec, PERF_RECORD_MMAP2, PERF_RECORD_MISC_MMAP_DATA, 0x20000, 0x1000,
		     PROT_READ | PROT_WRITE);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 0);
	n = mmap_rec(rec, PERF_RECORD_MMAP, 0, 0x30000, 0x1000, 0);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 1);
	n = mmap_rec(rec, PERF_RECORD_MMAP, PERF_RECORD_MISC_MMAP_DATA, 0x40000, 0x1000, 0);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 0);
	n = mmap_rec(rec, PERF_RECORD_COMM, 0, 0x50000, 0x1000, PROT_EXEC);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 0);
	n = mmap_rec(rec, PERF_RECORD_MMAP2, 0, 0x60000, 0x1000, PROT_EXEC);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, 40), 0); /* too short to say */
	n = mmap_rec(rec, PERF_RECORD_MMAP2, 0, ~0ull - 10, 0x1000, PROT_EXEC);
	ck_assert_int_eq(hwt_scrub_learn(&s, rec, n), 0); /* wraps */
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x10010), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x20010), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x30010), 1);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x40010), 0);
	ck_assert_int_eq(hwt_scrub_is_code(&s, 0x50010), 0);
	hwt_scrub_fini(&s);
}
END_TEST

#define FAKE_CODE 0x100000000000ull /* code at an address nothing maps here */

/* Appends a sparse_fp3 sample of ours (a thread's) with user IP @ip and a 512-byte copy from
 * @sp: @words (64), the kernel filled @dyn bytes. */
static void leaf_rec(uint8_t *buf, size_t *len, uint64_t ip, uint64_t sp, const uint64_t *words,
		     uint64_t dyn)
{
	uint32_t pid = (uint32_t)getpid();
	uint64_t w[] = { 1, ip, pid | (uint64_t)(pid + 1) << 32, 1000, 2, sp + 64, sp, ip, 512 };
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE,
				       .misc = PERF_RECORD_MISC_USER,
				       .size = 8 + sizeof(w) + 512 + 8 };

	memcpy(buf + *len, &h, 8);
	memcpy(buf + *len + 8, w, sizeof(w));
	memcpy(buf + *len + 8 + sizeof(w), words, 512);
	memcpy(buf + *len + 8 + sizeof(w) + 512, &dyn, 8);
	*len += h.size;
}

/* The recorder's rewrite: a copy from 256 bytes below argc keeps, as a sparse copy of 256 bytes,
 * the two code words below argc, not the data word nor the code word above argc; a sample whose IP
 * lies in no known mapping keeps its copy whole; in place the same. */
START_TEST(hwt_scrub_copy_sparse_keeps_code)
{
	struct hwt_scrub s = { 0 };
	uint64_t words[64], startstack = stat_field(28), w;
	uint8_t src[2048], dst[2048], mm[88];
	size_t len = 0, at = 0;
	struct hwt_perf_sample smp;
	struct perf_event_header h;

	ck_assert_uint_gt(startstack, 0);
	ck_assert_int_eq(hwt_scrub_learn(&s, mm,
					 mmap_rec(mm, PERF_RECORD_MMAP2, 0, FAKE_CODE, 0x10000,
						  PROT_READ | PROT_EXEC)),
			 1);
	for (int i = 0; i < 64; i++)
		words[i] = 0x4141414141414141ull;
	words[0] = FAKE_CODE + 0x100;
	words[3] = 0x7ff000;
	words[5] = FAKE_CODE + 0x200;
	words[40] = FAKE_CODE + 0x300; /* above argc: the program's arguments, never kept */
	leaf_rec(src, &len, FAKE_CODE + 0x10, startstack - 256, words, 512);
	leaf_rec(src, &len, 0x1000, startstack - 256, words, 512); /* IP in nothing known */
	size_t nlen = hwt_scrub_copy(&s, dst, src, len, one_desc, (void *)&sparse_fp3);
	ck_assert_uint_eq(s.sparse, 1);
	ck_assert_uint_eq(s.whole, 1);
	ck_assert_uint_eq(nlen, (len / 2 - 512 + 24) + (len / 2 - 256));

	memcpy(&h, dst, 8);
	ck_assert_uint_eq(h.size, len / 2 - 512 + 24);
	ck_assert_int_eq(hwt_perf_sample_parse(&sparse_fp3, dst + 8, dst + h.size, &smp), 0);
	ck_assert_ptr_nonnull(smp.stack_map);
	ck_assert_uint_eq(smp.stack_size, 256);
	ck_assert_uint_eq(smp.stack_map[0], 1u | 1u << 5);
	for (int i = 0; i < 32; i++) {
		ck_assert_int_eq(hwt_perf_stack_read(&smp, 8 * (uint64_t)i, &w, 8), 0);
		ck_assert_uint_eq(w, i == 0 || i == 5 ? words[i] : 0);
	}
	ck_assert_int_eq(hwt_perf_stack_read(&smp, 256, &w, 8), HWT_E_INVAL);
	at = h.size;
	memcpy(&h, dst + at, 8);
	ck_assert_int_eq(hwt_perf_sample_parse(&sparse_fp3, dst + at + 8, dst + at + h.size, &smp),
			 0);
	ck_assert_ptr_null(smp.stack_map);
	ck_assert_uint_eq(smp.stack_size, 256);
	ck_assert_mem_eq(smp.stack, words, 256);
	ck_assert_uint_eq(at + h.size, nlen);
	/* Our /proc/PID/maps was read once (first seen), and again for the unknown IP. */
	ck_assert_uint_eq(s.nprocs, 1);
	ck_assert_uint_eq(s.procs[0].maps_round, s.round);
	uint64_t first = s.round;
	ck_assert_uint_eq(hwt_scrub_copy(&s, dst, src, len / 2, one_desc, (void *)&sparse_fp3),
			  len / 2 - 512 + 24);
	ck_assert_uint_eq(s.procs[0].maps_round, first); /* the IP is known: not read again */
	hwt_scrub_lost(&s);				 /* MMAP records may be lost: read again */
	ck_assert_uint_eq(hwt_scrub_copy(&s, dst, src, len / 2, one_desc, (void *)&sparse_fp3),
			  len / 2 - 512 + 24);
	ck_assert_uint_eq(s.procs[0].maps_round, s.round);
	ck_assert_uint_gt(s.round, first);
	/* Again, in place: the same records. */
	ck_assert_uint_eq(hwt_scrub_copy(&s, dst, src, len, one_desc, (void *)&sparse_fp3), nlen);
	ck_assert_uint_eq(hwt_scrub_copy(&s, src, src, len, one_desc, (void *)&sparse_fp3), nlen);
	ck_assert_mem_eq(src, dst, nlen);
	hwt_scrub_fini(&s);
}
END_TEST

START_TEST(hwt_open_regular_refuses_others)
{
	char dir[64], fifo[80], file[80];
	snprintf(dir, sizeof(dir), "/tmp/hwt-test-open-%d", (int)getpid());
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	snprintf(file, sizeof(file), "%s/file", dir);
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	FILE *f = fopen(file, "w");
	fputs("x", f);
	fclose(f);

	int fd = hwt_open_regular(file);
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* A FIFO without a writer: refused at once, not waited on. */
	alarm(5);
	ck_assert_int_eq(hwt_open_regular(fifo), -1);
	ck_assert_int_eq(errno, EINVAL);
	alarm(0);
	ck_assert_int_eq(hwt_open_regular(dir), -1);
	ck_assert_int_eq(errno, EISDIR);
	ck_assert_int_eq(hwt_open_regular("/dev/null"), -1);
	ck_assert_int_eq(hwt_open_regular(NULL), -1);
	unlink(fifo);
	unlink(file);
	rmdir(dir);
}
END_TEST

static Suite *perf_sample_suite(void)
{
	Suite *s = suite_create("perf_sample");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, hwt_perf_sample_parse_fp_regs);
	tcase_add_test(tc, hwt_perf_sample_parse_stack_size_ends_record);
	tcase_add_loop_test(tc, hwt_perf_sample_parse_bad_stack_size, 0,
			    sizeof(bad_stack_sizes) / sizeof(bad_stack_sizes[0]));
	tcase_add_test(tc, hwt_perf_sample_parse_raw_unaligned);
	tcase_add_test(tc, hwt_perf_sample_parse_fixed_fields);
	tcase_add_loop_test(tc, hwt_perf_sample_time_as_parse, 0, 5);
	tcase_add_test(tc, hwt_scrub_copy_keeps_what_parses);
	tcase_add_test(tc, hwt_scrub_copy_leaves_the_unknown);
	tcase_add_test(tc, hwt_scrub_copy_rereads_proc);
	tcase_add_test(tc, hwt_scrub_copy_unknown_process);
	tcase_add_test(tc, hwt_scrub_copy_checks_argv0);
	tcase_add_test(tc, hwt_scrub_copy_cuts_at_argc_and_fill);
	tcase_add_test(tc, hwt_perf_sample_parse_sparse);
	tcase_add_loop_test(tc, hwt_perf_sample_parse_sparse_bad, 0,
			    sizeof(bad_sparse) / sizeof(bad_sparse[0]));
	tcase_add_loop_test(tc, hwt_perf_sample_reparse_as_parse, 0, 6);
	tcase_add_test(tc, hwt_scrub_learn_range_merges);
	tcase_add_test(tc, hwt_scrub_learn_code_only);
	tcase_add_test(tc, hwt_scrub_copy_sparse_keeps_code);
	tcase_add_test(tc, hwt_open_regular_refuses_others);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(perf_sample_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

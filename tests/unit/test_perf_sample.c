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

/* Appends to @buf at *@len a dwarf_fp3 sample whose stack copy is @size bytes (words 0x5100 +
 * i) of which the kernel filled @dyn, and after it one more field (PERF_SAMPLE_WEIGHT's place:
 * words after the stack must move with it). */
static void trim_rec(uint8_t *buf, size_t *len, uint64_t size, uint64_t dyn)
{
	struct rec r;

	body(&r, 3, 0x7ff000, size, (int)(size / 8), 0);
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

/* Each sample as the parser sees it, the same before and after: only the copy's tail (never
 * filled) goes, at least 8 bytes stay, and the records after it follow. */
START_TEST(hwt_perf_trim_stacks_keeps_what_parses)
{
	static const uint64_t cases[][2] = { { 128, 40 },  { 128, 37 }, { 128, 0 },
					     { 128, 128 }, { 8, 0 },	{ 128, 200 } };
	static const uint64_t kept[] = { 40, 40, 8, 128, 8, 128 };
	uint8_t before[4096], after[4096];
	size_t len = 0;

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		trim_rec(before, &len, cases[k][0], cases[k][1]);
		comm_rec(before, &len);
	}
	memcpy(after, before, len);
	size_t nlen = hwt_perf_trim_stacks(after, len, one_desc, (void *)&dwarf_fp3);
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
}
END_TEST

/* What it cannot read goes on as it was: an unknown event's sample, a damaged one, a broken
 * tail (a size past the end). */
START_TEST(hwt_perf_trim_stacks_leaves_the_unknown)
{
	static const struct hwt_event_desc other = { .id = 2, .sample_type = ST_DWARF };
	uint8_t before[2048], after[2048];
	size_t len = 0;

	trim_rec(before, &len, 128, 16);
	const size_t rec = len; /* 224 bytes: header, 8 words, the copy's size, 16, 2 */
	trim_rec(before, &len, 128, 16);
	memcpy(before + rec + 8 + 64, "\xff\xff\xff\xff", 4); /* the second's copy size: too big */
	trim_rec(before, &len, 128, 16);
	before[2 * rec + 7] = 0x7f; /* the third's header size: past the end */
	memcpy(after, before, len);
	ck_assert_uint_eq(hwt_perf_trim_stacks(after, len, one_desc, (void *)&other), len);
	ck_assert_mem_eq(after, before, len);
	size_t nlen = hwt_perf_trim_stacks(after, len, one_desc, (void *)&dwarf_fp3);
	ck_assert_uint_eq(rec, 224);
	ck_assert_uint_eq(nlen, len - 112);
	ck_assert_mem_eq(after + nlen - 2 * rec, before + rec, 2 * rec);
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

/* A main thread's copy over argc and argv[0]: cut at argc when argv[0] points at arg_start,
 * zeroed whole when it does not (the copy is of another program: a sample taken during exec). */
START_TEST(hwt_scrub_records_checks_argv0)
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
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, (void *)&dwarf_fp3), 24);
	ck_assert_uint_eq(stack[7], 0x41); /* below argc: kept */
	uint64_t other = arg_start + 4096;
	memcpy(stack + 16, &other, 8);
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, (void *)&dwarf_fp3), 32);
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

START_TEST(hwt_scrub_records_cuts_at_argc)
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
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, (void *)&dwarf_fp3), 16);
	const uint8_t *stack = rec + 8 + (5 + 3 + 1) * 8;
	ck_assert_uint_eq(stack[15], 0x41); /* below argc: kept */
	for (int i = 16; i < 32; i++)
		ck_assert_uint_eq(stack[i], 0);
	/* The next round reads /proc again (its descriptor kept open): the same cut. */
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, (void *)&dwarf_fp3), 16);
	ck_assert_int_eq(open_fds(), fds + 1);
	free(rec);
	hwt_scrub_fini(&s);
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

START_TEST(hwt_scrub_records_unknown_process)
{
	struct hwt_scrub s = { 0 };
	size_t len;
	/* pid 42 of body(): no such process here, so nothing says where its strings are. */
	uint8_t *rec = sample_record(3, 0x7ff000, &len);
	if (!access("/proc/42", F_OK)) {
		free(rec);
		return;
	}
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, (void *)&dwarf_fp3), 32);
	/* Unknown events are left alone. */
	ck_assert_uint_eq(hwt_scrub_records(&s, rec, len, one_desc, NULL), 0);
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
	tcase_add_test(tc, hwt_perf_trim_stacks_keeps_what_parses);
	tcase_add_test(tc, hwt_perf_trim_stacks_leaves_the_unknown);
	tcase_add_test(tc, hwt_scrub_records_cuts_at_argc);
	tcase_add_test(tc, hwt_scrub_records_unknown_process);
	tcase_add_test(tc, hwt_scrub_records_checks_argv0);
	tcase_add_test(tc, hwt_scrub_copy_cuts_at_argc_and_fill);
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

/* Unit tests for the .hwt store: round trips, flushing, damage detection, unknown chunks. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/store.h"

static char path[64];

static void setup(void)
{
	snprintf(path, sizeof(path), "/tmp/hwt-test-store-%d.hwt", (int)getpid());
	unlink(path);
}

static void teardown(void)
{
	unlink(path);
}

static struct hwt_store_writer *open_writer(const struct hwt_store_writer_config *cfg)
{
	int err = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	struct hwt_store_writer *w = hwt_store_writer_open(fd, cfg, &err);
	ck_assert_ptr_nonnull(w);
	ck_assert_int_eq(err, 0);
	return w;
}

/* Writes chunks of types 1..n with payload "chunk-i" repeated i*100 times, plus an END. */
static void write_sample_file(int n)
{
	struct hwt_store_writer *w = open_writer(NULL);
	for (int i = 1; i <= n; i++) {
		char buf[8192];
		size_t len = 0;
		for (int k = 0; k < i * 100 && len + 16 < sizeof(buf); k++)
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, "chunk-%d", i);
		ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_META, buf, len), 0);
	}
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, "x", 1), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
}

static int count_chunks(int *complete, int *error)
{
	int err = 0, n = 0;
	struct hwt_store_reader *r = hwt_store_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	uint32_t type;
	const void *data;
	size_t len;
	while (hwt_store_read(r, &type, &data, &len) > 0)
		n++;
	*complete = hwt_store_reader_status(r)->complete;
	*error = hwt_store_reader_status(r)->error;
	hwt_store_reader_close(r);
	return n;
}

static void corrupt_at(off_t off, int delta)
{
	int fd = open(path, O_RDWR);
	unsigned char c;
	ck_assert_int_eq(pread(fd, &c, 1, off), 1);
	c = (unsigned char)(c + delta);
	ck_assert_int_eq(pwrite(fd, &c, 1, off), 1);
	close(fd);
}

START_TEST(crc32c_known_value)
{
	/* The check value of CRC-32C over "123456789". */
	ck_assert_uint_eq(hwt_crc32c(0, "123456789", 9), 0xe3069283u);
	/* Incremental equals one shot. */
	ck_assert_uint_eq(hwt_crc32c(hwt_crc32c(0, "1234", 4), "56789", 5), 0xe3069283u);
}
END_TEST

/* CRC-32C one bit at a time, as its definition reads. */
static uint32_t crc32c_bitwise(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffffu;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
	}
	return ~c;
}

static void crc32c_check_lengths(void)
{
	uint8_t buf[300 + 8];

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= sizeof(buf); len += 1 + len / 16)
			ck_assert_uint_eq(hwt_crc32c(0, buf + off, len),
					  crc32c_bitwise(buf + off, len));
}

START_TEST(crc32c_any_length_and_alignment)
{
	/* Whichever way this host computes it (the SSE4.2 instruction where it has one). */
	crc32c_check_lengths();
}
END_TEST

START_TEST(crc32c_tables_match)
{
	/* The tables, where the first call of this (forked) test sees HWT_CRC32C_TABLES. */
	setenv("HWT_CRC32C_TABLES", "1", 1);
	crc32c_check_lengths();
	unsetenv("HWT_CRC32C_TABLES");
}
END_TEST

START_TEST(store_round_trip)
{
	write_sample_file(5);
	int err = 0;
	struct hwt_store_reader *r = hwt_store_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	uint32_t type;
	const void *data;
	size_t len;
	for (int i = 1; i <= 5; i++) {
		ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 1);
		ck_assert_uint_eq(type, HWT_CHUNK_META);
		char want[16];
		int wl = snprintf(want, sizeof(want), "chunk-%d", i);
		ck_assert_uint_eq(len % (size_t)wl, 0);
		ck_assert_int_eq(memcmp(data, want, (size_t)wl), 0);
	}
	ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 1);
	ck_assert_uint_eq(type, HWT_CHUNK_END);
	ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 0);
	ck_assert_int_eq(hwt_store_reader_status(r)->complete, 1);
	ck_assert_int_eq(hwt_store_reader_status(r)->error, 0);
	hwt_store_reader_close(r);
}
END_TEST

START_TEST(store_compresses)
{
	struct stat st;
	write_sample_file(5); /* 1,500 repetitions of a short string: compresses well */
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_lt(st.st_size, 2000);
}
END_TEST

START_TEST(store_append_gathers_and_cuts)
{
	struct hwt_store_writer_config cfg;
	hwt_store_writer_config_init(&cfg);
	cfg.chunk_bytes = 1000;
	struct hwt_store_writer *w = open_writer(&cfg);
	char rec[100];
	memset(rec, 'r', sizeof(rec));
	for (int i = 0; i < 25; i++) /* 2,500 bytes: cut at 1,000 and 2,000 */
		ck_assert_int_eq(hwt_store_append(w, HWT_CHUNK_STREAM, rec, sizeof(rec)), 0);
	/* Another type cuts the open chunk. */
	ck_assert_int_eq(hwt_store_append(w, HWT_CHUNK_META, "k\0v", 4), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
	int complete, error;
	ck_assert_int_eq(count_chunks(&complete, &error), 4);
	ck_assert_int_eq(complete, 0);
	ck_assert_int_eq(error, HWT_E_TRUNCATED); /* no END chunk */
}
END_TEST

START_TEST(store_appendv_keeps_pieces_together)
{
	struct hwt_store_writer_config cfg;
	hwt_store_writer_config_init(&cfg);
	cfg.chunk_bytes = 10;
	struct hwt_store_writer *w = open_writer(&cfg);
	struct iovec iov[2] = { { "header--", 8 }, { "payload-", 8 } };
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 2), 0);
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 2), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
	int err;
	struct hwt_store_reader *r = hwt_store_reader_open(path, &err);
	uint32_t type;
	const void *data;
	size_t len;
	for (int i = 0; i < 2; i++) {
		ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 1);
		ck_assert_uint_eq(len, 16);
		ck_assert_int_eq(memcmp(data, "header--payload-", 16), 0);
	}
	hwt_store_reader_close(r);
}
END_TEST

/* Written in place: a reserve of 64 bytes of which 12 are committed gathers with an append of
 * the same type into one chunk; a reserve of another type cuts it; too much is refused. */
START_TEST(hwt_store_reserve_commits_what_was_written)
{
	struct hwt_store_writer *w = open_writer(NULL);
	int err;
	uint8_t *p = hwt_store_reserve(w, HWT_CHUNK_STREAM, 64, &err);
	ck_assert_ptr_nonnull(p);
	memcpy(p, "in-the-chunk", 12);
	ck_assert_int_eq(hwt_store_commit(w, 12), 0);
	ck_assert_int_eq(hwt_store_append(w, HWT_CHUNK_STREAM, "+after", 6), 0);
	ck_assert_ptr_nonnull(p = hwt_store_reserve(w, HWT_CHUNK_META, 4, &err));
	memcpy(p, "k\0v", 4);
	ck_assert_int_eq(hwt_store_commit(w, 4), 0);
	ck_assert_ptr_null(hwt_store_reserve(w, HWT_CHUNK_META, HWT_CHUNK_MAX + 1ull, &err));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
	struct hwt_store_reader *r = hwt_store_reader_open(path, &err);
	uint32_t type;
	const void *data;
	size_t len;
	ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 1);
	ck_assert_uint_eq(type, HWT_CHUNK_STREAM);
	ck_assert_uint_eq(len, 18);
	ck_assert_int_eq(memcmp(data, "in-the-chunk+after", 18), 0);
	ck_assert_int_eq(hwt_store_read(r, &type, &data, &len), 1);
	ck_assert_uint_eq(type, HWT_CHUNK_META);
	ck_assert_uint_eq(len, 4);
	hwt_store_reader_close(r);
}
END_TEST

START_TEST(store_flush_by_age)
{
	struct hwt_store_writer_config cfg;
	hwt_store_writer_config_init(&cfg);
	cfg.flush_ms = 0; /* every flush cuts */
	struct hwt_store_writer *w = open_writer(&cfg);
	ck_assert_int_eq(hwt_store_append(w, HWT_CHUNK_STREAM, "abcdefgh", 8), 0);
	ck_assert_int_eq(hwt_store_flush(w, 0), 0);
	/* The writer thread writes it without close: a killed recorder keeps it. */
	struct stat st;
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(stat(path, &st), 0);
		if (st.st_size == HWT_STORE_HEADER_SIZE + HWT_CHUNK_HEADER_SIZE + 8)
			break;
		usleep(1000);
	}
	ck_assert_int_eq(st.st_size, HWT_STORE_HEADER_SIZE + HWT_CHUNK_HEADER_SIZE + 8);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
}
END_TEST

START_TEST(store_detects_flipped_byte)
{
	write_sample_file(3);
	struct stat st;
	stat(path, &st);
	corrupt_at(st.st_size / 2, 1); /* somewhere in a middle chunk */
	int complete, error;
	int n = count_chunks(&complete, &error);
	ck_assert_int_lt(n, 4);
	ck_assert_int_eq(complete, 0);
	ck_assert_int_eq(error, HWT_E_CORRUPT);
}
END_TEST

START_TEST(store_detects_cut)
{
	write_sample_file(3);
	struct stat st;
	stat(path, &st);
	ck_assert_int_eq(truncate(path, st.st_size - 3), 0);
	int err;
	struct hwt_store_reader *r = hwt_store_reader_open(path, &err);
	uint32_t type;
	const void *data;
	size_t len;
	int n = 0;
	while (hwt_store_read(r, &type, &data, &len) > 0)
		n++;
	ck_assert_int_eq(n, 3); /* the END chunk is the one cut */
	const struct hwt_store_status *s = hwt_store_reader_status(r);
	ck_assert_int_eq(s->error, HWT_E_TRUNCATED);
	ck_assert_int_eq(s->complete, 0);
	ck_assert_uint_gt(s->bad_offset, HWT_STORE_HEADER_SIZE);
	hwt_store_reader_close(r);
}
END_TEST

START_TEST(store_skips_unknown_types)
{
	struct hwt_store_writer *w = open_writer(NULL);
	ck_assert_int_eq(hwt_store_write(w, 9999, "future", 6), 0);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, "x", 1), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
	int complete, error;
	ck_assert_int_eq(count_chunks(&complete, &error), 2);
	ck_assert_int_eq(complete, 1);
	ck_assert_int_eq(error, 0);
}
END_TEST

static const struct {
	const char *content;
	size_t len;
	int err;
} bad_files[] = {
	{ "", 0, HWT_E_BADFILE },
	{ "HWTRACE", 7, HWT_E_BADFILE },
	{ "NOTHWT\0\0\1\0\0\0\0\0\0\0", 16, HWT_E_BADFILE },
	{ "HWTRACE\0\x63\0\0\0\0\0\0\0", 16, HWT_E_VERSION },
};

START_TEST(store_rejects_bad_header)
{
	FILE *f = fopen(path, "wb");
	fwrite(bad_files[_i].content, 1, bad_files[_i].len, f);
	fclose(f);
	int err = 0;
	ck_assert_ptr_null(hwt_store_reader_open(path, &err));
	ck_assert_int_eq(err, bad_files[_i].err);
}
END_TEST

START_TEST(store_null_arguments)
{
	int err = 0;
	ck_assert_ptr_null(hwt_store_reader_open(NULL, &err));
	ck_assert_int_eq(err, HWT_E_INVAL);
	ck_assert_ptr_null(hwt_store_reader_open("/nonexistent/x.hwt", &err));
	ck_assert_int_eq(err, HWT_E_NOENT);
	ck_assert_int_eq(hwt_store_write(NULL, 1, "x", 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_append(NULL, 1, "x", 1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_flush(NULL, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_read(NULL, NULL, NULL, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_writer_close(NULL), 0);
	hwt_store_reader_close(NULL);
	ck_assert_ptr_null(hwt_store_reader_status(NULL));
	/* A directory is not a recording. */
	ck_assert_ptr_null(hwt_store_reader_open("/", &err));
	ck_assert_int_lt(err, 0);
}
END_TEST

/* Incompressible bytes, so each chunk is stored as it is: 1000 of them plus the 24-byte header. */
static void random_bytes(uint8_t *p, size_t len, uint32_t seed)
{
	for (size_t i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

/* A file size limit makes the 4th chunk fail half-written: EFBIG is kept, salvage cuts the file
 * back to 3 whole chunks and an END still fits; the reader finds the recording complete. */
START_TEST(hwt_store_writer_salvage_after_efbig)
{
	struct rlimit lim = { 16 + 3 * 1024 + 512, 16 + 3 * 1024 + 512 };
	uint8_t buf[1000];

	signal(SIGXFSZ, SIG_IGN); /* the forked test's own: writes fail with EFBIG instead */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct hwt_store_writer *w = open_writer(NULL);
	ck_assert_int_eq(hwt_store_writer_errno(w), 0);
	for (int i = 0; i < 4; i++) {
		random_bytes(buf, sizeof(buf), (uint32_t)i + 1);
		hwt_store_write(w, HWT_CHUNK_META, buf, sizeof(buf));
	}
	/* The error comes back from a later call, once the writer thread has met it. */
	int err = 0;
	for (int i = 0; i < 200 && !err; i++) {
		err = hwt_store_flush(w, 1);
		usleep(5000);
	}
	ck_assert_int_lt(err, 0);
	ck_assert_int_eq(hwt_store_writer_errno(w), EFBIG);
	ck_assert_int_lt(hwt_store_writer_salvage(w), 0);
	ck_assert_int_eq(hwt_store_writer_errno(w), 0);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, "x", 1), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);

	int complete = 0, error = 0;
	ck_assert_int_eq(count_chunks(&complete, &error), 4);
	ck_assert_int_eq(complete, 1);
	ck_assert_int_eq(error, 0);
}
END_TEST

/* The END does not fit either: close fails with the errno set and the file is cut back to its
 * whole chunks, which the reader reads, all of them. */
START_TEST(hwt_store_writer_close_cuts_back)
{
	struct rlimit lim = { 16 + 2 * 1024 + 8, 16 + 2 * 1024 + 8 };
	uint8_t buf[1000];

	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	struct hwt_store_writer *w = open_writer(NULL);
	for (int i = 0; i < 3; i++) {
		random_bytes(buf, sizeof(buf), (uint32_t)i + 7);
		hwt_store_write(w, HWT_CHUNK_META, buf, sizeof(buf));
	}
	errno = 0;
	ck_assert_int_lt(hwt_store_writer_close(w), 0);
	ck_assert_int_eq(errno, EFBIG);
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_size, 16 + 2 * 1024);
	int complete = 1, error = 0;
	ck_assert_int_eq(count_chunks(&complete, &error), 2);
	ck_assert_int_eq(complete, 0); /* no END */
}
END_TEST

START_TEST(hwt_store_writer_salvage_null)
{
	ck_assert_int_eq(hwt_store_writer_salvage(NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_store_writer_errno(NULL), 0);
	/* Nothing failed: nothing to salvage, the writer goes on. */
	struct hwt_store_writer *w = open_writer(NULL);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_META, "a", 1), 0);
	ck_assert_int_eq(hwt_store_writer_salvage(w), 0);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, "x", 1), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
	int complete = 0, error = 0;
	ck_assert_int_eq(count_chunks(&complete, &error), 2);
	ck_assert_int_eq(complete, 1);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, crc32c_known_value);
	tcase_add_test(tc, crc32c_any_length_and_alignment);
	tcase_add_test(tc, crc32c_tables_match);
	tcase_add_test(tc, store_round_trip);
	tcase_add_test(tc, store_compresses);
	tcase_add_test(tc, store_append_gathers_and_cuts);
	tcase_add_test(tc, store_appendv_keeps_pieces_together);
	tcase_add_test(tc, hwt_store_reserve_commits_what_was_written);
	tcase_add_test(tc, store_flush_by_age);
	tcase_add_test(tc, store_detects_flipped_byte);
	tcase_add_test(tc, store_detects_cut);
	tcase_add_test(tc, store_skips_unknown_types);
	tcase_add_loop_test(tc, store_rejects_bad_header, 0,
			    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, store_null_arguments);
	tcase_add_test(tc, hwt_store_writer_salvage_after_efbig);
	tcase_add_test(tc, hwt_store_writer_close_cuts_back);
	tcase_add_test(tc, hwt_store_writer_salvage_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

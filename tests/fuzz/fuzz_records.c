/* libFuzzer target: any bytes as the perf records of one ring, wrapped in a valid recording (so
 * the checksums pass and the record parser, the ordering and the model see the bytes); and the
 * same bytes through the recorder's trim of stack copies and its scrub (core/scrub.c). */
#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/model.h"
#include "core/format/perf_sample.h"
#include "core/format/records.h"
#include "core/scrub.h"
#include "core/store.h"
#include "decode_fd.h"

/* The event of @id among the three of @ctx. */
static const struct hwt_event_desc *desc_in(void *ctx, uint64_t id)
{
	const struct hwt_event_desc *d = ctx;
	return id == d[0].id ? &d[0] : id == d[1].id ? &d[1] : id == d[2].id ? &d[2] : NULL;
}

/* Every sample of event @e among the records @p..@p+@len read back as the decoder reads a
 * sparse (or whole) stack copy: word by word, and expanded. */
static void read_copies(const struct hwt_event_desc *e, const uint8_t *p, size_t len)
{
	static uint8_t whole[HWT_STACK_SPARSE_MAX];

	for (size_t off = 0; off + sizeof(struct perf_event_header) <= len;) {
		struct perf_event_header h;
		struct hwt_perf_sample s;
		uint64_t id, w;

		memcpy(&h, p + off, sizeof(h));
		if (h.size < sizeof(h) || h.size > len - off || h.size % 8)
			break;
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 8 &&
		    (memcpy(&id, p + off + sizeof(h), 8), id == e->id) &&
		    !hwt_perf_sample_parse(e, p + off + sizeof(h), p + off + h.size, &s)) {
			for (uint64_t at = 0; at < s.stack_size + 8; at += 4)
				hwt_perf_stack_read(&s, at, &w, sizeof(w));
			if (hwt_perf_stack_expand(&s, whole, sizeof(whole)) > sizeof(whole))
				abort();
		}
		off += h.size;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("hwt-fuzz", 0), err;
	struct hwt_event_desc d[3] = {
		{ .id = 1,
		  .leader_id = 1,
		  .type = PERF_TYPE_SOFTWARE,
		  .sample_period = 4000,
		  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
				 PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
				 PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
				 PERF_SAMPLE_STACK_USER,
		  .sample_regs_user = 0xff01ff,
		  .read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST,
		  .name = "cpu-clock" },
		{ .id = 2,
		  .leader_id = 1,
		  .type = PERF_TYPE_SOFTWARE,
		  .config = 2,
		  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
		  .read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST,
		  .name = "page-faults" },
		/* -g fp with the leaf copy, sparse: callchain, bp/sp/ip, the copy. */
		{ .id = 3,
		  .leader_id = 3,
		  .type = PERF_TYPE_SOFTWARE,
		  .sample_period = 4000,
		  .sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP | PERF_SAMPLE_TID |
				 PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_PERIOD |
				 PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_REGS_USER |
				 PERF_SAMPLE_STACK_USER,
		  .sample_regs_user = HWT_SAMPLE_FP_REGS_MASK,
		  .sample_stack_user = 512,
		  .read_format = PERF_FORMAT_ID | PERF_FORMAT_LOST,
		  .flags = HWT_DESC_FREQ | HWT_DESC_SPARSE_STACK,
		  .name = "cpu-clock" },
	};

	if (fd < 0)
		return 0;
	struct hwt_store_writer *w = hwt_store_writer_open(dup(fd), NULL, &err);
	if (!w) {
		close(fd);
		return 0;
	}
	hwt_store_write(w, HWT_CHUNK_META,
			"pid\0"
			"1",
			6);
	hwt_store_write(w, HWT_CHUNK_EVENTS, d, sizeof(d));
	/* First half as ring data, second half as a group read: both parsers get bytes. */
	size_t half = size / 2 & ~(size_t)7;
	struct hwt_stream_item ring = { .ts = 1, .kind = HWT_ITEM_RING, .len = (uint32_t)half };
	struct hwt_stream_item rd = { .ts = 2,
				      .id = 1,
				      .kind = HWT_ITEM_READ,
				      .len = (uint32_t)((size - half) & ~(size_t)7) };
	struct iovec iov[4] = { { &ring, sizeof(ring) },
				{ (void *)data, half },
				{ &rd, sizeof(rd) },
				{ (void *)(data + half), rd.len } };
	hwt_store_appendv(w, HWT_CHUNK_STREAM, iov, 4);
	hwt_store_writer_close(w);

	decode_fd(fd, NULL);
	close(fd);
	read_copies(&d[2], data, half);

	/* The recorder's one copy that scrubs and trims stack copies (record_drain.c), over the
	 * same ring bytes, out of the ring and in place. */
	uint8_t *ring_copy = malloc(half ? half : 1);
	if (ring_copy) {
		struct hwt_scrub s = { 0 };
		/* Again in place: no longer (shorter only if a copy kept whole becomes sparse, its
		 * IP now found in /proc/PID/maps). */
		size_t n = hwt_scrub_copy(&s, ring_copy, data, half, desc_in, d);
		if (n > half || hwt_scrub_copy(&s, ring_copy, ring_copy, n, desc_in, d) > n)
			abort();
		/* What it made sparse reads back. */
		read_copies(&d[2], ring_copy, n);
		hwt_scrub_fini(&s);
		free(ring_copy);
	}
	return 0;
}

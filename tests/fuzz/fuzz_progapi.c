/* libFuzzer target: the recorder's drain of libhwtrace's shared area (core/progapi.c), which the
 * traced program writes and may write over: any bytes as one ring's records and as the
 * declaration log, with any head, drained into a sink that checks what comes out. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hwtrace/plugin.h"
#include "core/format/custom_format.h"
#include "core/progapi.h"

static int tracks;

static int counter_track(void *ctx, const struct hwt_counter_desc *d)
{
	return d->name[0] ? ++tracks : -1; /* a host refuses tracks without a name */
}

static int object_track(void *ctx, const char *name, uint32_t scope, int pid, int tid)
{
	return ++tracks;
}

/* Whatever leaves the drain is whole records of the library's kinds. */
static int append(void *ctx, const void *recs, size_t len)
{
	struct hwt_custom_rec rec;
	const uint8_t *body;
	long n;

	for (const uint8_t *p = recs; len; p += n, len -= (size_t)n) {
		n = hwt_custom_next(p, len, &rec, &body);
		if (n <= 0 || rec.type < HWT_CR_COUNTER || rec.type == HWT_CR_OBJECT_TRACK ||
		    (rec.type > HWT_CR_FLOW && rec.type != HWT_CR_LOST))
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hwt_progapi_config cfg = { .nrings = 2, .ring_bytes = 4096, .decl_bytes = 4096 };
	struct hwt_progapi_sink sink = { .counter_track = counter_track,
					 .object_track = object_track,
					 .append = append };
	struct hwt_progapi *pa;
	char why[256];
	int fd;
	unsigned long long bytes;
	uint64_t head;

	if (size < 8 || hwt_progapi_create(&pa, &cfg, why, sizeof(why)))
		return 0;
	/* The area as the program sees it: the fuzz input is what it wrote. */
	if (sscanf(getenv(HWT_API_ENV), "%d:%llu", &fd, &bytes) != 2)
		abort();
	uint8_t *a = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	hwt_progapi_started(pa);
	if (a == MAP_FAILED) {
		hwt_progapi_free(pa);
		return 0;
	}
	const struct hwt_api_area *area = (const void *)a;
	struct hwt_api_ring *ring = (struct hwt_api_ring *)(a + area->rings_off);
	memcpy(&head, data, 8);
	data += 8;
	size -= 8;
	/* The first half to the declaration log, the rest to ring 0. */
	size_t half = size / 2 < area->decl_bytes ? size / 2 : area->decl_bytes;
	memcpy(a + area->decl_off, data, half);
	size_t rest = size - half < area->ring_bytes ? size - half : area->ring_bytes;
	memcpy(a + area->data_off, data + half, rest);
	ring[0].state = HWT_API_USED;
	ring[0].pid = ring[0].tid = 1;
	ring[0].head = head;
	tracks = 0;
	for (int i = 0; i < 3; i++)
		if (hwt_progapi_drain_sink(pa, &sink, 1) < 0)
			break;
	munmap(a, bytes);
	hwt_progapi_free(pa);
	return 0;
}

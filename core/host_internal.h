/* What the two halves of the recording host share: the host's state, which host.c serves to
 * plugins (events, rings, chunks, notes), and which recording.c drives (target, loop, drains).
 * Private to core/. */
#ifndef HWT_CORE_HOST_INTERNAL_H
#define HWT_CORE_HOST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"

/* A CPU's perf ring buffer, owned by the first event opened on it, and its AUX area. */
struct ring {
	int fd;
	int cpu;
	struct perf_event_mmap_page *page;
	uint8_t *data;
	size_t size; /* data bytes, a power of two */
	void *aux;   /* the AUX area mapped by hwt_host_map_aux(), NULL if none */
	size_t aux_size;
};

/* An event opened through the host: closed when the host is freed. */
struct event {
	int fd;
	struct hwt_event_desc desc;
};

/* The host of one recording (or of a probe, with no store). */
struct hwt_host {
	struct hwt_store_writer *store;
	size_t ring_bytes;
	struct event *events;
	int nevents, cap_events;
	struct ring *rings;
	int nrings, cap_rings;
	char error[512];
	struct hwt_end_rec end;
	int quiet;
	uint8_t *scratch; /* one ring's worth, for reads that wrap */
	size_t scratch_cap;
	uint64_t round_ts; /* when the current drain started: the stamp of stream items */
	uint32_t nsources;
	struct running *run; /* plugins started so far, for the sideband hook */
	int nrun;
	struct hwt_progapi *api; /* the in-program API's area (core/progapi.h), NULL if none */
};

/* A plugin that started, and its state. */
struct running {
	const struct hwt_plugin *plugin;
	void *st;
};

#endif

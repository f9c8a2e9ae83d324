/* Decoding a .hwt recording into the event stream of the model, in timestamp order. */
#ifndef HWT_DECODERS_DECODE_H
#define HWT_DECODERS_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"
#include "core/format/records.h"
#include "core/store.h"

struct hwt_decoder;

/** Counts gathered while decoding, complete once hwt_decoder_next() returned 0. */
struct hwt_decode_stats {
	uint64_t records;      /* perf records read */
	uint64_t samples;      /* samples decoded */
	uint64_t lost_records; /* sum of PERF_RECORD_LOST counts */
	uint64_t throttled;    /* PERF_RECORD_THROTTLE records */
	uint64_t processes, threads;
	uint64_t counter_reads;
	uint64_t notes;
	uint64_t unwind_failures; /* DWARF unwinds that gave only the sampled IP */
	uint64_t chains_cut;   /* frame-pointer chains cut at what could not be a return address */
	uint64_t leaf_callers; /* callers put back under a function sampled without its frame */
	uint64_t damaged_records; /* samples whose fields overrun their record: skipped */
	/* With the reader thread (hwt_decoder_config.threads 2), once decoding ended: its CPU time,
	 * and how long each thread waited for the other (nanoseconds). */
	uint64_t reader_cpu_ns, reader_wait_ns, main_wait_ns;
	int have_end; /* an END chunk was read: @end is valid */
	struct hwt_end_rec end;
};

/** Decoder settings; hwt_decoder_config_init() gives the defaults. */
struct hwt_decoder_config {
	int symbolize; /* resolve addresses to names (default 1) */
	int sources;   /* also the source file of each function, from DWARF (default 0; tag rules
			  of kind file need it): hwt_model_frame_file() */
	/** Threads to decode with: 1 decodes on the caller's thread alone, 2 or more add the
	 *  reader thread (decoders/pipeline.c: reading, decompressing and splitting records while
	 *  the caller's thread puts them in order and makes the events), 0 (default) is 2 for
	 *  recordings of calls (inproc, uprobe streams) of 2 MiB or more ($HWT_DECODE_PARALLEL_MIN
	 *  bytes when that is set) when the process may run on two CPUs, else 1 (sample recordings
	 *  gain nothing: their work is the caller thread's). The environment's
	 *  HWT_DECODE_THREADS overrides 0; either way the events are the same, in the same order.
	 *  The two threads' halves are of a size: decoding the 10.9 M-call SQLite recording
	 *  (tests/bench/read.sh) took 0.35-0.39 s of CPU reading and 0.39-0.41 s ordering and
	 *  making events, in 0.42-0.45 s, against 0.70-0.74 s on one thread (hwt_decode_stats has
	 *  each thread's figures). */
	int threads;
	/** Called for each note chunk (plugin disabled, ...), may be NULL. */
	void (*on_note)(const char *msg, void *ctx);
	void *ctx;
};

void hwt_decoder_config_init(struct hwt_decoder_config *cfg);

/** Opens the recording at @path, decoding into @m (borrowed; must outlive the decoder). @cfg is
 *  copied, NULL for defaults. Returns NULL with *err set and @why filled. */
struct hwt_decoder *hwt_decoder_open(const char *path, struct hwt_model *m,
				     const struct hwt_decoder_config *cfg, int *err, char *why,
				     size_t whylen);

/** The next event into @ev (valid until the next call). Returns 1 for an event, 0 at the end of
 *  the readable data (see hwt_decoder_store_status() for how the file ended), or a negative
 *  error. */
int hwt_decoder_next(struct hwt_decoder *d, struct hwt_event *ev);
/** The next events in order, at least one: *@evs points at them until the next call of this or
 *  of hwt_decoder_next(). Returns how many, 0 at the end of the recording, or a negative enum
 *  hwt_error. No copies: for consumers of millions of events (Intel PT calls). */
int hwt_decoder_batch(struct hwt_decoder *d, const struct hwt_event **evs);

/** Statistics so far. */
const struct hwt_decode_stats *hwt_decoder_stats(const struct hwt_decoder *d);

/** How reading the file went. */
const struct hwt_store_status *hwt_decoder_store_status(const struct hwt_decoder *d);

/** How far decoding got: *@done bytes of the recording's *@size (0 when unknown: a FIFO). */
void hwt_decoder_progress(const struct hwt_decoder *d, uint64_t *done, uint64_t *size);

/** Closes @d; NULL accepted. */
void hwt_decoder_close(struct hwt_decoder *d);

#endif

/* The in-program API's shared memory area (what libhwtrace in lib/ writes and the recorder
 * drains) and the recorder's side of it: create the area before the target starts, drain it
 * every round into the host's stream "hwt.custom".
 *
 * The area is one memfd the recorder creates without close-on-exec; HWTRACE_API=FD:BYTES in the
 * target's environment names it, so a forked child and an exec'ed image find it again. Layout:
 * struct hwt_api_area, then nrings struct hwt_api_ring, then the declaration log (decl_bytes),
 * then the rings' data (ring_bytes each, a power of two). Everything is little-endian, shared
 * by processes of one machine.
 *
 * Each thread claims a ring (state FREE -> CLAIMING -> USED) at its first event, or takes back
 * the ring its thread id had in the program image before an exec, and writes whole records of
 * the host's stream (core/format/custom_format.h) into it, 8-aligned, one after the other. A
 * record never wraps: when the space left before the end cannot hold it, the writer skips that
 * space (with a PAD record, type 0, when it holds a header) and writes at the start. It
 * publishes with a release store of head; the recorder consumes with tail. A record that does
 * not fit is dropped and counted in the ring's lost. A thread that ends marks its ring DEAD; the
 * recorder drains it and frees it, and does the same, once in a while, with the rings of threads
 * that are gone without saying so (a process that exits).
 *
 * Time order: the decoder hands out a record once a round drained after the one that brought it
 * started, so no record may show up in a ring after a drain that began later than its time. A
 * writer that was held up between reading the clock and publishing (preempted) would break that:
 * it notes drain_gen before reading the clock and, if a drain began since, reads the clock again
 * just before publishing.
 *
 * Counter and object tracks are declared in the declaration log: entries of struct
 * hwt_api_decl followed by a COUNTER_TRACK or OBJECT_TRACK record whose track is an id of the
 * area (next_track, shared by every process of the recording), published by setting ready last.
 * COUNTER and OBJECT records in the rings name tracks by these ids; the recorder declares the
 * host's track at the first value and puts the host's id in the records it appends.
 */
#ifndef HWT_CORE_PROGAPI_H
#define HWT_CORE_PROGAPI_H

#include <stddef.h>
#include <stdint.h>

/* ---- the area (shared with lib/) ------------------------------------------------------- */

#define HWT_API_ENV	"HWTRACE_API"
#define HWT_API_MAGIC	0x3149504154574855ull /* "UHWTAPI1" */
#define HWT_API_VERSION 1
#define HWT_API_PAD	0 /* a record type: skip to the end of the ring */

enum hwt_api_ring_state {
	HWT_API_FREE = 0,
	HWT_API_CLAIMING = 1, /* a thread is taking it */
	HWT_API_USED = 2,
	HWT_API_DEAD = 3, /* its thread ended: drain, then free */
};

/** What a ring holds: libhwtrace's records, or the inproc runtime's calls
 *  (core/format/inproc_format.h), which the inproc plugin drains with hwt_progapi_calls(). */
enum hwt_api_ring_kind {
	HWT_API_RING_API = 0,
	HWT_API_RING_CALLS = 1,
};

/** The head of the area. */
struct hwt_api_area {
	uint64_t magic; /* HWT_API_MAGIC */
	uint32_t version, nrings;
	uint64_t size;				/* bytes of the whole area */
	uint64_t ring_bytes;			/* data bytes of each ring, a power of two */
	uint64_t rings_off, decl_off, data_off; /* where each part starts */
	uint64_t decl_bytes;			/* bytes of the declaration log */
	uint64_t next_link;			/* atomic: the next link (flow) id, from 1 */
	uint32_t next_track;			/* atomic: the next track id, from 1 */
	uint32_t reserved0;
	uint64_t decl_used;   /* atomic: bytes of the log handed out */
	uint64_t lost_noring; /* atomic: events of threads without a ring */
	uint64_t lost_nodecl; /* atomic: values of tracks the full log could not declare */
	uint64_t drain_gen;   /* the recorder's drains so far (see "Time order") */
	uint8_t reserved[16]; /* to 128 bytes */
};

/** One ring's state: the producer's and the consumer's words on cache lines of their own. */
struct hwt_api_ring {
	uint32_t state; /* enum hwt_api_ring_state */
	int32_t pid, tid;
	uint32_t kind;	/* enum hwt_api_ring_kind, set while CLAIMING */
	uint64_t lost;	/* written by the producer: records it dropped */
	uint64_t image; /* the program image that owns it (its AT_RANDOM bytes): after an exec,
			 * the thread takes its ring again, as a new image */
	uint8_t pad0[32];
	uint64_t head; /* written by the producer: bytes published */
	uint8_t pad1[56];
	uint64_t tail; /* written by the consumer: bytes consumed */
	uint8_t pad2[56];
};

/** An entry of the declaration log, followed by one record, padded to 8. */
struct hwt_api_decl {
	uint32_t ready; /* set to 1 last (release) */
	uint32_t size;	/* bytes of the entry, this header included, a multiple of 8 */
};

/* ---- the recorder's side --------------------------------------------------------------- */

struct hwt_host;
struct hwt_counter_desc;
struct hwt_progapi;
struct hwt_custom_rec;

/** Sizes of a new area: 0 takes the default. */
struct hwt_progapi_config {
	uint32_t nrings;     /* threads with a ring at once (default 128) */
	uint64_t ring_bytes; /* per ring, a power of two >= 4096 (default 4 MiB) */
	uint64_t decl_bytes; /* declaration log (default 1 MiB) */
};

/** Creates an area (a memfd without close-on-exec, mapped here) and sets HWTRACE_API in this
 *  process's environment so that a target started afterwards inherits it; *@out owns both.
 *  @cfg may be NULL. Returns 0, or a negative enum hwt_error with @why filled. */
int hwt_progapi_create(struct hwt_progapi **out, const struct hwt_progapi_config *cfg, char *why,
		       size_t whylen);

/** Removes HWTRACE_API from this process's environment and closes the memfd here: call it once
 *  the target was started. The mapping stays for draining. */
void hwt_progapi_started(struct hwt_progapi *pa);

/** Where drained records go: the host (hwt_progapi_drain()) or a test. */
struct hwt_progapi_sink {
	void *ctx;
	/** Declares a counter track, returns its id (> 0) or a negative error. */
	int (*counter_track)(void *ctx, const struct hwt_counter_desc *desc);
	/** Declares an object track, returns its id (> 0) or a negative error. */
	int (*object_track)(void *ctx, const char *name, uint32_t scope, int pid, int tid);
	/** Takes @len bytes of records (borrowed for the call), tracks translated. */
	int (*append)(void *ctx, const void *recs, size_t len);
	/** @n events were lost. */
	void (*lost)(void *ctx, uint64_t n);
};

/** Drains every ring into @sink, stamping loss markers with @now; frees the rings of threads
 *  that ended. Returns the records drained (>= 0) or the first negative error of the sink. */
long hwt_progapi_drain_sink(struct hwt_progapi *pa, const struct hwt_progapi_sink *sink,
			    uint64_t now);

/** hwt_progapi_drain_sink() into host @h: hwt_host_custom_append(), hwt_host_count_lost() and
 *  the host's tracks. NULL @pa: nothing to do. A failure (the program wrote over the area, the
 *  host refused) is a note, and @pa is drained no more. */
long hwt_progapi_drain(struct hwt_progapi *pa, struct hwt_host *h);

/** hwt_progapi_create() for the recording of host @h, into h->api; a failure is a note of the
 *  recording (the program runs, its libhwtrace events are not recorded). */
void hwt_progapi_open(struct hwt_host *h);

/** Events lost so far (ring overflows, threads without a ring, tracks without room). */
uint64_t hwt_progapi_lost(const struct hwt_progapi *pa);

/** The area of host @h's recording (NULL when there is none). Borrowed for the recording. */
struct hwt_progapi *hwt_host_progapi(struct hwt_host *h);

/** Appends an entry to the declaration log: a record of @type with @len bytes of body, written
 *  by @fill (may be NULL: zeros) into shared memory, then published. Returns the body's address
 *  in the area (for words the program and the recorder share), or NULL when the log is full. */
void *hwt_progapi_declare(struct hwt_progapi *pa, uint16_t type, size_t len);

/** Calls @fn for each entry of the log past *@cursor (start at 0) that is ready, with its
 *  record @rec and @body in the area (the program may write there: read it with care), and moves
 *  *@cursor past them. Returns 0, @fn's first error, or HWT_E_CORRUPT (the log written over). */
int hwt_progapi_decls(struct hwt_progapi *pa, uint64_t *cursor,
		      int (*fn)(const struct hwt_custom_rec *rec, uint8_t *body, void *ctx),
		      void *ctx);

/** Drains the call rings (HWT_API_RING_CALLS): @fn gets each ring's new bytes (@len, a multiple
 *  of 8, in one or two pieces when they wrap), its thread, and the records it dropped since the
 *  last drain; rings of threads gone are freed afterwards (@fn gets @gone set). Returns 0 or
 *  @fn's first error. */
int hwt_progapi_calls(struct hwt_progapi *pa,
		      int (*fn)(int32_t pid, int32_t tid, const uint8_t *a, size_t alen,
				const uint8_t *b, size_t blen, uint64_t lost, int gone, void *ctx),
		      void *ctx);

/** Unmaps and frees @pa; NULL is accepted. */
void hwt_progapi_free(struct hwt_progapi *pa);

#endif

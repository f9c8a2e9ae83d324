/* The Chrome JSON exporter's own declarations, shared by its files: the writer's state, the
 * per-thread state, the JSON writing helpers (chrome.c) and the sampled profile written as
 * "Profile"/"ProfileChunk" events (chrome_profile.c). */
#ifndef HWT_EXPORTERS_CHROME_INTERNAL_H
#define HWT_EXPORTERS_CHROME_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "core/model.h"
#include "core/util.h"
#include "exporter.h"
#include "outbuf.h"
#include "slice_track.h"

/* The samples of one thread as a CPU profile (the shape of V8's "Profile"/"ProfileChunk"
 * events): its id, the stack nodes already written, and the samples not yet written. */
struct ch_profile {
	uint32_t id;		   /* 0: no "Profile" event written yet */
	uint64_t last_us;	   /* time of the previous sample (or the start), microseconds */
	uint64_t last_ts;	   /* ns of the newest sample held */
	struct hwt_bitset written; /* stack nodes this profile has declared */
	uint32_t *nodes;	   /* owned: held samples' leaf nodes */
	int64_t *deltas;	   /* owned: their time since the previous sample, microseconds */
	size_t n, cap, capd;
};

/* What chrome keeps of a thread, beside its open slices: the innermost begin is held back, and
 * if its end comes next it becomes one "X" event. */
struct ch_thread {
	int pending;
	uint32_t nids; /* bytes of @ids; 0 until its first slice is written */
	char ids[40];  /* ,"pid":P,"tid":T as its slices have it */
	struct ch_profile prof;
};

/* A frame's name as a JSON string, quotes included, escaped once: @len bytes at @off of the
 * exporter's @names (@len 0: not yet). */
struct ch_name {
	size_t off;
	uint32_t len;
};

struct chrome {
	struct hwt_exporter base;
	FILE *out;
	struct hwt_outbuf ob; /* every byte goes through here */
	uint64_t nevents;
	uint32_t nprofiles; /* ids handed to thread profiles */
	struct hwt_slice_track *track;
	const struct hwt_model *m; /* of the event being written, for the track's hooks */
	struct hwt_bitset sampled; /* stack nodes samples refer to */
	struct hwt_bitset objects; /* object tracks whose "N" is written */
	uint32_t *scratch;	   /* owned: nodes a profile chunk declares */
	size_t nscratch, capscratch;
	struct ch_name *names; /* owned: by frame id */
	size_t capnames;
	struct hwt_outbuf names_text; /* in memory: the escaped names @names point into */
};

/* The output is only ever written from one thread, through the exporter's buffer. */
static inline void ch_put_str(struct chrome *c, const char *s)
{
	hwt_outbuf_str(&c->ob, s);
}

static inline void ch_put_u64(struct chrome *c, uint64_t v)
{
	hwt_outbuf_u64(&c->ob, v);
}

/** Writes the NUL-terminated @s as a JSON string, quotes included. */
void ch_put_json_str(struct chrome *c, const char *s);
/** Starts one event object: a comma unless it is the first, phase @ph, @name, @pid, @tid and
 *  category @cat (NULL: none, but the first event of the file always has one). */
void ch_event_begin(struct chrome *c, const char *ph, const char *name, uint32_t pid, uint32_t tid,
		    const char *cat);
/** Writes the "ts" field: @ts ns as microseconds with three decimals. */
void ch_event_ts(struct chrome *c, uint64_t ts);

/** Adds the sample @ev of thread @t to its profile (a "Profile" event first, a "ProfileChunk"
 *  when enough are held). 0, HWT_E_NOMEM, HWT_E_INVAL for a stack node the model lacks. */
int ch_profile_sample(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t,
		      const struct hwt_event *ev);
/** Writes the samples @t still holds as a "ProfileChunk" (nothing when none). */
int ch_profile_flush(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t);
/** Frees what the profile of @t owns. */
void ch_profile_fini(struct hwt_track_thread *t);

#endif

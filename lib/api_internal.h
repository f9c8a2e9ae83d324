/* What the files of libhwtrace share: the thread's ring, record reservation, track
 * declarations, the value trees of arguments. Private to lib/. */
#ifndef HWT_LIB_API_INTERNAL_H
#define HWT_LIB_API_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hwtrace.h"
#include "core/format/custom_format.h"
#include "core/format/value.h"
#include "core/progapi.h"

/* What the library exports; everything else is hidden (-fvisibility=hidden). */
#define HWT_EXPORT __attribute__((visibility("default")))

/** Incremented in the child of each fork(): tracks are declared again for the child. */
extern uint32_t hwt_lib_fork_gen;

/** CLOCK_MONOTONIC now, in nanoseconds. */
uint64_t hwt_lib_now(void);

/** A record being written: where its header is, the head to publish, the drains seen. */
struct hwt_lib_rec {
	struct hwt_custom_rec *hdr;
	uint8_t *body;
	uint64_t next;
	uint64_t gen; /* the area's drain_gen before the clock was read */
};

/** Reserves a record of type @type with @body bytes in the calling thread's ring and fills its
 *  header (the time now, the thread's pid and tid, changed by @scope: HWT__GLOBAL, HWT__PROCESS
 *  or HWT__THREAD). Returns 0, or -1 when the record was dropped (no area, no ring, the ring
 *  full, or an event of this thread is being written already: a signal handler), counted as
 *  lost. hwt_lib_commit() publishes it (with the time again if a drain began meanwhile) and
 *  ends the reservation. */
int hwt_lib_reserve(struct hwt_lib_rec *r, int type, int scope, size_t body);
void hwt_lib_commit(const struct hwt_lib_rec *r);

/** Declares a counter track (@type HWT_CR_COUNTER_TRACK, @name) or an object track
 *  (HWT_CR_OBJECT_TRACK) of this process in the area's log. Returns its id (> 0), or 0 when
 *  it could not (no area, the log full). */
uint32_t hwt_lib_declare(int type, const char *name);

/** Counts @n events as lost with no ring to count them in. */
void hwt_lib_lost(uint64_t n);

/** A new link id, 0 when there is no area. */
uint64_t hwt_lib_link_id(void);

/** Bytes of the value tree (a map) of @n arguments; 0 for none. */
size_t hwt_lib_args_size(const struct hwt_arg *a, size_t n);
/** Writes the map of @n > 0 arguments into @w. */
void hwt_lib_args_write(struct hwt_value_writer *w, const struct hwt_arg *a, size_t n);
/** Bytes of one argument's value (its tag and payload, no key). */
size_t hwt_lib_arg_value_size(const struct hwt_arg *a);
/** Writes one argument's value under @key into @w (the key is used inside a map only). */
void hwt_lib_arg_write(struct hwt_value_writer *w, const char *key, const struct hwt_arg *a);

/** Parses JSON @text into one value written into @w under @key (used inside a map only).
 *  Returns 0, or -1 when @text is not one JSON value (@w then holds a partial value). */
int hwt_lib_json(struct hwt_value_writer *w, const char *key, const char *text);

#endif

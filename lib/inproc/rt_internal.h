/* What the files of the inproc runtime (libhwtrace-inproc.so, preloaded into traced programs)
 * share: the area and this thread's call ring, declarations, the selection, module handling.
 * Private to lib/inproc/. */
#ifndef HWT_LIB_INPROC_RT_INTERNAL_H
#define HWT_LIB_INPROC_RT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/format/inproc_format.h"
#include "core/progapi.h"

/* What the runtime exports (interposed functions); everything else is hidden. */
#define RT_EXPORT __attribute__((visibility("default")))

/** The area, once mapped (NULL: the runtime does nothing). */
extern struct hwt_api_area *rt_area;
/** The recorder's selection in the area (NULL: none found, nothing is traced). */
extern struct hwt_inproc_config *rt_config;
extern const uint8_t *rt_config_body;
extern size_t rt_config_len;

/** Maps the area named by HWTRACE_API and finds the config. Returns 0, or -1 (not recorded). */
int rt_area_open(void);

/** CLOCK_MONOTONIC now, in ns. */
uint64_t rt_now(void);

/** Appends a declaration of @type with @len bytes of body to the area's log: the body's address
 *  (zeroed; the caller fills it, then rt_publish()), or NULL when the log is full. */
void *rt_declare_begin(uint16_t type, size_t len);
/** Publishes the entry whose body rt_declare_begin() gave. */
void rt_declare_end(void *body);

/** The patcher's hooks: write an entry, return or unwound record into this thread's ring. */
void rt_enter(void *ctx, uint32_t id);
void rt_leave(void *ctx, uint32_t id, unsigned flags);

/** Calibration: while set on this thread, the hooks do all their work but publish nothing. */
void rt_set_calibrating(int on);
/** Since calibration was last set on: the ns from each entry's clock read to its return's. */
uint64_t rt_calibrated_inside(void);

/** While set on this thread, the hooks record nothing: the runtime's own calls (scanning modules
 *  calls qsort, which may be patched by then). */
void rt_set_quiet(int on);
/* Gives the calling thread its call ring now, its pages all mapped (see rt_ring.c). */
void rt_ring_populate(void);
/* Times a few traced and untraced calls of the runtime's own function and adds what a traced call
 * cost to the config's samples (rt_main.c); called by the ring writer, calibrating. */
void rt_cost_sample(void);

/** Chooses, patches and declares the functions of the modules loaded and not seen yet (at start
 *  and after each dlopen). */
void rt_scan_modules(void);

#endif

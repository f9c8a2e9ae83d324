/* Two recordings compared by function and by stack: the numbers behind `hwtrace diff`. */
#ifndef HWT_EXPORTERS_FUNCDIFF_H
#define HWT_EXPORTERS_FUNCDIFF_H

#include <stdint.h>
#include <stdio.h>

#include "aggregate.h"
#include "core/model.h"

struct hwt_funcdiff;

/** One function of the comparison: [0] is recording A's, [1] B's. */
struct hwt_funcdiff_func {
	const char *name; /* borrowed from the comparison */
	uint64_t self[2], total[2];
	uint64_t calls[2]; /* traced calls (time and calls views); 0 otherwise */
};

/** New, empty comparison; NULL when out of memory. */
struct hwt_funcdiff *hwt_funcdiff_alloc(void);
/** Frees @d; NULL accepted. */
void hwt_funcdiff_free(struct hwt_funcdiff *d);

/** Adds recording @side's (0: A, 1: B) finished aggregation @a over @m: each entry's selected
 *  value to its leaf function's self and, once per stack, to the total of each function on it;
 *  traced calls (an aggregation of slices) to the leaf function; and the whole stack (thread
 *  name, then frames) for hwt_funcdiff_folded(). Functions and stacks are matched by name, so
 *  two recordings of different builds compare. Returns 0, HWT_E_INVAL (a bad @side) or
 *  HWT_E_NOMEM. */
int hwt_funcdiff_add(struct hwt_funcdiff *d, int side, struct hwt_agg *a,
		     const struct hwt_model *m);

/** hwt_funcdiff_add() of value @k of @a's entries (< hwt_agg_nvalues()) instead of the one its
 *  view selects (another weight of the samples, e.g. cpu-time). HWT_E_INVAL for a bad @k. */
int hwt_funcdiff_add_value(struct hwt_funcdiff *d, int side, struct hwt_agg *a,
			   const struct hwt_model *m, uint32_t k);

/** The functions, sorted by how much their self value changed (largest change first, gains and
 *  losses alike), then total change, then name; *@n gets how many. Borrowed from @d until the
 *  next call of this or of hwt_funcdiff_add(). NULL when out of memory (with *@n 0). */
const struct hwt_funcdiff_func *hwt_funcdiff_sorted(struct hwt_funcdiff *d, uint32_t *n);

/** Writes the table: per function self and total of A and B, the change of self, B/A ratios of
 *  self and of total, calls of each; @top rows at most (0: all); @unit of the values ("ns":
 *  durations). Returns 0, HWT_E_NOMEM or HWT_E_IO. */
int hwt_funcdiff_print(struct hwt_funcdiff *d, FILE *out, uint32_t top, const char *unit);

/** Number of distinct stacks. */
uint32_t hwt_funcdiff_nstacks(const struct hwt_funcdiff *d);
/** Stack @i as text (thread name, then frames outermost first, joined by ';'; borrowed from @d),
 *  its values of A and B into @v. NULL for an @i out of range. */
const char *hwt_funcdiff_stack(const struct hwt_funcdiff *d, uint32_t i, uint64_t v[2]);

/** A small id for the @len bytes at @s, the same for the same bytes (a name table of @d's own,
 *  for pictures built from the stacks' text); negative on HWT_E_NOMEM. */
int64_t hwt_funcdiff_label(struct hwt_funcdiff *d, const char *s, size_t len);
/** The text of label @id (borrowed from @d), NULL if there is none. */
const char *hwt_funcdiff_label_str(const struct hwt_funcdiff *d, uint32_t id);

/** Writes every stack as "STACK VALUE_A VALUE_B" (frames joined by ';', as the folded format
 *  with a second column: what differential flamegraph tools read). Returns 0 or HWT_E_IO. */
int hwt_funcdiff_folded(const struct hwt_funcdiff *d, FILE *out);

/** Writes the differential flame graph of @d as an interactive SVG (exporters/svg.c): the
 *  stacks' widths are B's @view values (@unit), each frame red where B grew over A and blue
 *  where it shrank, the deeper the more. Returns 0, HWT_E_NOMEM or HWT_E_IO. */
int hwt_svg_write_diff(FILE *out, struct hwt_funcdiff *d, const char *view, const char *unit);

#endif

/* What a traced call costs on this host, measured before recording, and the meter that turns it
 * into the progress line and the end note: how much of the program's time went to probes. */
#ifndef HWT_PLUGINS_UPROBE_COST_H
#define HWT_PLUGINS_UPROBE_COST_H

#include <stddef.h>
#include <stdint.h>

struct hwt_host;
struct hwt_bpf_uprobes;

/** Nanoseconds one call (entry and return probe) costs here. */
struct up_cost {
	double fast_ns; /* the kernel emulates the first instruction (push, nop, jmp) */
	double slow_ns; /* it single-steps it out of line */
	/* The parts of them between the probes' clock reads at entry and at return: what a call's
	 * own recorded duration holds of its probes (the median call's) */
	double fast_in_ns, slow_in_ns;
};

/** Measures @c: attaches entry and return probes to two functions of this process (one of
 *  each kind) through a BPF object of its own, calls each a few hundred times, and detaches in
 *  the background. Takes a few ms (a few tens where a trap is slow). Returns 0, or a negative
 *  enum hwt_error with @why filled. */
int up_cost_measure(struct up_cost *c, char *why, size_t len);

/** Counts what a recording's probes cost as records go by. */
struct up_meter {
	struct up_cost cost;
	int measured;	   /* cost is known */
	uint8_t *slow;	   /* by function id: its probes are single-stepped */
	size_t nslow_cap;  /* entries in slow */
	uint64_t calls;	   /* entry records seen */
	double probe_ns;   /* estimated time in probes so far */
	uint64_t start_ns; /* when recording started (CLOCK_MONOTONIC) */
	uint64_t shown_ns; /* when the progress line was last shown, 0 never */
	uint64_t shown_calls;
	double shown_probe_ns;
};

/** Marks function @id as single-stepped (@slow) or not. Returns 0 or HWT_E_NOMEM. */
int up_meter_mark(struct up_meter *m, uint32_t id, int slow);

/** Counts one record of function @id (@entry: an entry, else a return). */
static inline void up_meter_count(struct up_meter *m, uint32_t id, int entry)
{
	int slow = id < m->nslow_cap && m->slow[id];

	m->calls += entry != 0;
	m->probe_ns += (slow ? m->cost.slow_ns : m->cost.fast_ns) / 2;
}

/** Shows the progress line (calls, calls/s, share of time in probes, @lost records) through the
 *  host once a second, from the second second of recording on. */
void up_meter_progress(struct up_meter *m, struct hwt_host *h, uint64_t now_ns, uint64_t lost);

/** The end: clears the progress line, notes the probe time of the recording and sets its meta
 *  (uprobe.call_ns, uprobe.slow_call_ns, uprobe.call_in_ns, uprobe.slow_call_in_ns,
 *  uprobe.probe_ms). */
void up_meter_end(struct up_meter *m, struct hwt_host *h, uint64_t now_ns);

void up_meter_fini(struct up_meter *m);

#endif

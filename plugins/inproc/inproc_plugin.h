/* What the inproc tracer's files share: its state, the stream encoder, and the uprobe side of
 * the hybrid (functions the patcher refused, traced through plugins/uprobe's BPF programs). */
#ifndef HWT_PLUGINS_INPROC_H
#define HWT_PLUGINS_INPROC_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct hwt_host;
struct hwt_bpf_uprobes;

#define IP_MAX_PATTERNS 64
#define IP_REASONS	16

/** The runtime preloaded into the program: libhwtrace-inproc.so next to the hwtrace
 *  executable (lib/ beside it, or ../lib/hwtrace/), or $HWTRACE_INPROC_LIB. Returns 0 with
 *  @buf filled, or -1 with @buf saying where it was looked for. */
int hwt_inproc_runtime(char *buf, size_t len);

struct ip_thread {
	uint32_t tid, pid;
	uint64_t last; /* the time of the ring's last record */
	int synced;    /* a SYNC was seen: deltas mean something */
};

/** A function probed with uprobes: its file and address. */
struct ip_probed {
	uint64_t dev, ino, vaddr;
};

struct ip_state {
	struct hwt_host *h;
	int source;
	struct hwt_progapi *pa;
	uint64_t decl_cursor;

	/* The stream encoder (core/format/inproc_format.h). */
	struct hwt_idmap tids; /* tid -> index into threads */
	struct ip_thread *threads;
	uint32_t nthreads, cap_threads;
	uint64_t prev_ts;
	uint8_t *buf;
	size_t len, cap;

	/* The runtime's counts. */
	uint64_t nfuncs, patched, refused, images, call_ps, call_in_ps, start_ns_max, start_cpu_max,
		lost;
	char *reasons[IP_REASONS]; /* "reason" strings, counts in nreasons */
	uint64_t nreason[IP_REASONS];
	int nreasons_kinds;

	/* The hybrid: functions refused, traced with uprobes. */
	struct hwt_bpf_uprobes *bpf;
	uint64_t nuprobe, up_failed;
	struct ip_probed *probed;
	size_t nprobed, cap_probed;
	int static_prog;
	struct hwt_inproc_config *config; /* in the area: the runtime's in-run cost samples */
};

/** Encodes an entry, return or unwound record (@kind HWT_INPROC_*) of function @id on thread
 *  @tid of @pid at @ts. Returns 0 or HWT_E_NOMEM. */
int ip_encode(struct ip_state *s, uint32_t pid, uint32_t tid, uint32_t kind, uint32_t id,
	      uint64_t ts);
/** Encodes @n records lost on thread @tid. Returns 0 or HWT_E_NOMEM. */
int ip_encode_gap(struct ip_state *s, uint32_t pid, uint32_t tid, uint64_t n);

/** Attaches uprobes to the @n functions @ids (ELF addresses @vaddrs) of file @path. Returns
 *  how many were attached (>= 0), or a negative enum hwt_error with the host's error set. */
int ip_uprobes_attach(struct ip_state *s, const char *path, const uint32_t *ids,
		      const uint64_t *vaddrs, size_t n);
/** Encodes what the uprobes recorded since the last call. Returns 0 or an error. */
int ip_uprobes_poll(struct ip_state *s);
/** A static program (nothing can be preloaded): attaches uprobes to every function chosen by
 *  the selection in @path. Returns the number, or an error. */
int ip_uprobes_static(struct ip_state *s, const char *path, const void *pats, size_t npats,
		      int main_filtered);
/** Detaches (in the background) and frees the uprobes. */
void ip_uprobes_close(struct ip_state *s);

#endif

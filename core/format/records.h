/* Layouts of the records inside .hwt chunks that the recorder writes and the decoders read.
 * All fields little-endian, naturally aligned; sizes are part of the file format. */
#ifndef HWT_CORE_FORMAT_RECORDS_H
#define HWT_CORE_FORMAT_RECORDS_H

#include <stdint.h>

/** HWT_CHUNK_EVENTS: one per opened perf event. */
struct hwt_event_desc {
	uint64_t id;	    /* PERF_EVENT_IOC_ID: what PERF_SAMPLE_IDENTIFIER carries */
	uint64_t leader_id; /* id of the group leader (itself for a leader) */
	uint64_t config;
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t sample_regs_user;
	uint64_t sample_period; /* or frequency when freq is set */
	uint32_t type;
	int32_t cpu;
	uint32_t sample_stack_user;
	uint32_t flags; /* HWT_DESC_*: 1 freq; 2 read periodically; 4 sparse stack copies */
	char name[64];	/* what the user called it: "cpu-clock", "page-faults" */
	char plugin[32];
};

#define HWT_DESC_FREQ	  1u
#define HWT_DESC_PERIODIC 2u
/* Its samples' user-stack copies may be sparse: only the words the decoder can need, where the
 * copy's dynamic size has HWT_STACK_SPARSE set (core/format/perf_sample.h). Set for the copy
 * a frame-pointer sample takes to find a frameless leaf's caller. */
#define HWT_DESC_SPARSE_STACK 4u

/** Kinds of struct hwt_stream_item. */
enum hwt_item_kind {
	HWT_ITEM_RING = 1,   /* perf records drained from the ring of @cpu in one pass */
	HWT_ITEM_READ = 2,   /* one read() of group leader @id on @cpu, as the kernel returned it */
	HWT_ITEM_SOURCE = 3, /* bytes of plugin stream @id (declared by a HWT_CHUNK_SOURCE) */
};

/** HWT_CHUNK_SOURCE: a plugin stream, then its NUL-terminated name. */
struct hwt_source_desc {
	uint32_t id;
	uint32_t reserved;
};

/** HWT_CHUNK_STREAM holds a sequence of items: this header, then @len bytes padded to 8. */
struct hwt_stream_item {
	uint64_t ts; /* CLOCK_MONOTONIC when read: every record of a ring with an earlier
			timestamp is in this item or an earlier one of the same ring */
	uint64_t id; /* HWT_ITEM_READ: the leader's id; HWT_ITEM_SOURCE: the stream id */
	int32_t cpu;
	uint16_t kind; /* enum hwt_item_kind */
	uint16_t reserved;
	uint32_t len;
	uint32_t reserved2;
};

/** HWT_CHUNK_END: the recording ended cleanly. */
struct hwt_end_rec {
	uint64_t ts;	       /* CLOCK_MONOTONIC at the end */
	int32_t pid;	       /* the target */
	int32_t exit_status;   /* -1 if killed by a signal */
	int32_t signal;	       /* signal that ended the target, 0 if none */
	uint32_t stopped_by;   /* signal that stopped the recording early (SIGINT...), 0 if none */
	uint64_t samples;      /* PERF_RECORD_SAMPLE records written */
	uint64_t lost;	       /* records lost, exact (PERF_FORMAT_LOST summed over events) */
	uint64_t lost_records; /* what PERF_RECORD_LOST reported, for comparison */
	uint64_t throttled;    /* PERF_RECORD_THROTTLE count */
	uint64_t bytes;	       /* raw ring bytes recorded */
};

/* The user registers hwtrace samples (PERF_SAMPLE_REGS_USER mask, x86-64 perf_regs order):
 * AX BX CX DX SI DI BP SP IP, then R8..R15. Samples carry them in ascending bit order. */
#define HWT_SAMPLE_REGS_MASK 0xff01ffull
#define HWT_SAMPLE_NREGS     17
/* The registers of a frame-pointer sample, for its leaf's return address: bp, sp, ip. */
#define HWT_SAMPLE_FP_REGS_MASK 0x1c0ull
/* Bytes of user stack copied per sample. */
#define HWT_SAMPLE_STACK_SIZE 8192

#endif

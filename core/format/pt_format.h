/* Intel PT in the recording, as the intel_pt plugin and `hwtrace import` write it and the PT
 * decoder reads it. */
#ifndef HWT_CORE_FORMAT_PT_H
#define HWT_CORE_FORMAT_PT_H

#include <stddef.h>
#include <stdint.h>

/*
 * - A plugin chunk named "intel_pt" (hwt_host_write_chunk), before any trace data: a struct
 *   hwt_pt_sideband (below), with what libipt's pt_config needs to decode on another machine,
 *   the time base, and how the trace was taken.
 * - A plugin stream named "intel_pt" (hwt_host_add_source / hwt_host_stream): items of
 *   struct hwt_pt_item followed by @len bytes of raw PT packets, in order per CPU.
 * - Mappings: MMAP2 side-band records of the traced processes, or (import) a PROC_MAPS chunk
 *   in /proc/PID/maps text for the pid the trace belongs to.
 * - Threads: PERF_RECORD_ITRACE_START, PERF_RECORD_SWITCH(_CPU_WIDE) side-band say which
 *   thread runs on a CPU from when; PERF_RECORD_AUX flags truncation, overwrite, collision.
 */

/** Flags of struct hwt_pt_item. */
enum hwt_pt_item_flags {
	HWT_PT_TRUNCATED = 1, /* data was lost before this piece (AUX truncated / collision) */
	HWT_PT_SNAPSHOT = 2,  /* a snapshot: not contiguous with the previous piece of the CPU */
};

/** Header of a piece of PT data in the "intel_pt" stream. */
struct hwt_pt_item {
	uint32_t cpu;	 /* the CPU the trace was taken on (0 for an import) */
	uint32_t flags;	 /* enum hwt_pt_item_flags */
	uint64_t offset; /* of the first byte in the CPU's AUX stream */
	uint32_t len;	 /* bytes of PT packets that follow */
	uint32_t tid;	 /* for per-thread traces (and imports): the thread, else 0 */
	uint32_t pid;	 /* its process, else 0 */
	uint32_t reserved;
};

#define HWT_PT_SIDEBAND_VERSION 1

/**
 * The "intel_pt" plugin chunk, written as this struct: fixed layout, little-endian, no padding,
 * @version and @size first. A reader takes a version it knows, and of a longer struct (a newer
 * writer's) the fields it knows.
 *
 * Time: a decoder converts TSC to CLOCK_MONOTONIC ns with time_* when @have_conv (ns = time_zero
 * + ((tsc * time_mult) >> time_shift), split as the kernel does), else with @tsc_hz, else takes
 * TSC as ns; then adds @mono_offset (when @have_offset).
 */
struct hwt_pt_sideband {
	uint32_t version; /* HWT_PT_SIDEBAND_VERSION */
	uint32_t size;	  /* sizeof(struct hwt_pt_sideband) of the writer */
	/* The CPU, as libipt's pt_config wants it. */
	uint32_t cpuid_15_eax; /* CPUID 0x15: TSC / crystal clock ratio, 0 if unknown */
	uint32_t cpuid_15_ebx;
	uint32_t cpuid_15_ecx; /* crystal clock Hz, 0 if not enumerated */
	uint32_t pmu_type;     /* perf_event_attr.type of the intel_pt event (0: import) */
	uint16_t cpu_family;   /* with the extended family folded in */
	uint8_t intel;	       /* 1: an Intel CPU; else libipt knows no errata */
	uint8_t cpu_model, cpu_stepping;
	uint8_t nom_freq;  /* base frequency / 100 MHz (MSR_PLATFORM_INFO[15:8]) */
	uint8_t mtc_freq;  /* IA32_RTIT_CTL.MTCFreq, 0 without MTC */
	uint8_t noretcomp; /* return compression disabled */
	/* How the trace was taken: for the record. */
	uint8_t tsc, mtc, cyc, branch;
	int8_t cyc_thresh, psb_period; /* -1: not set */
	uint8_t snapshot;	       /* kept only the last aux_size bytes per CPU */
	uint8_t per_thread;
	uint64_t config;   /* perf_event_attr.config of the intel_pt event */
	uint64_t aux_size; /* bytes of the AUX area (or snapshot) per CPU */
	/* The time base. */
	uint64_t tsc_hz; /* TSC ticks per second, 0 if unknown */
	uint64_t time_zero;
	uint32_t time_mult;
	uint16_t time_shift;
	uint8_t have_conv, have_offset;
	int64_t mono_offset;	    /* CLOCK_MONOTONIC ns - perf-clock ns */
	uint64_t tsc_ref, mono_ref; /* a TSC and CLOCK_MONOTONIC read together, 0 if none */
	uint64_t total_bytes;	    /* import: all the bytes of the stream, 0 if not said */
	char trigger[128];	    /* the --trigger function (cut to fit), "" if none */
};

/** Sets @sb as a writer starts: its version and size, -1 for cyc_thresh and psb_period, the
 *  rest 0. */
void hwt_pt_sideband_init(struct hwt_pt_sideband *sb);
/** Reads the chunk @data (@len bytes) into @sb. Returns 0, or HWT_E_CORRUPT (shorter than the
 *  first version's struct, or a version this reader does not know); fields past a shorter
 *  writer's struct are 0. */
int hwt_pt_sideband_read(const void *data, size_t len, struct hwt_pt_sideband *sb);

#endif

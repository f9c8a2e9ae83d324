/* Intel PT in the recording, as the intel_pt plugin and `hwtrace import` write it and the PT
 * decoder reads it. */
#ifndef HWT_CORE_FORMAT_PT_H
#define HWT_CORE_FORMAT_PT_H

#include <stdint.h>

/*
 * - A plugin chunk named "intel_pt" (hwt_host_write_chunk) of text lines "KEY VALUE", before any
 *   trace data: what libipt's pt_config needs to decode on another machine, and the time base.
 *     cpu_vendor      intel
 *     cpu_family      6        cpu_model  85        cpu_stepping  4
 *     cpuid_15_eax    2        cpuid_15_ebx  176     (TSC/core crystal clock ratio, 0 if unknown)
 *     nom_freq        36       mtc_freq   3          (as pt_config wants them)
 *     noretcomp       0|1      (return compression disabled in the trace)
 *     config          0x...    (perf_event_attr.config of the intel_pt event, for the record)
 *     tsc_hz          N        (TSC ticks per second, when known: import --tsc-hz)
 *     time_mult/time_shift/time_zero   (perf_event_mmap_page TSC conversion, when recorded:
 *                      ns = time_zero + ((tsc * mult) >> shift), split as the kernel does)
 *     mono_offset     N        (add to perf-clock ns to get CLOCK_MONOTONIC ns; 0 if equal)
 *   A decoder converts TSC to CLOCK_MONOTONIC ns with time_* when present, else with tsc_hz,
 *   else takes TSC as ns.
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

#endif

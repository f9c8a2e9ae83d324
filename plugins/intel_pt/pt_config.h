/* The parts of Intel PT recording that need no PT hardware: options, the intel_pt event's config
 * from the PMU's sysfs files, AUX area arithmetic, TSC time references and the chunk text. */
#ifndef HWT_PLUGINS_PT_CONFIG_H
#define HWT_PLUGINS_PT_CONFIG_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include "core/format/pt_format.h"

#include <hwtrace/plugin.h>

/* Where the kernel describes the intel_pt PMU: type, format/<field>, caps/<cap>. */
#define HWT_PT_SYSFS	   "/sys/bus/event_source/devices/intel_pt"
#define HWT_PT_DEFAULT_AUX (4u << 20) /* AUX area per CPU, full trace and snapshot */
#define HWT_PT_MAX_AUX	   (1u << 30)
#define HWT_PT_UNSET	   (-1)

/** The pt plugin's options: hwt_pt_options[] is indexed by these. */
enum hwt_pt_option {
	HWT_PT_OPT_SNAPSHOT,   /* --snapshot SIZE: overwritten AUX areas of SIZE */
	HWT_PT_OPT_TRIGGER,    /* --trigger FUNCTION: a snapshot when it runs */
	HWT_PT_OPT_AUX,	       /* -m SIZE: the AUX area per CPU in full-trace mode */
	HWT_PT_OPT_PER_THREAD, /* per_thread=0|1 and the rest as pt:KEY=VALUE */
	HWT_PT_OPT_TSC,
	HWT_PT_OPT_MTC,
	HWT_PT_OPT_MTC_PERIOD,
	HWT_PT_OPT_CYC,
	HWT_PT_OPT_CYC_THRESH,
	HWT_PT_OPT_NORETCOMP,
	HWT_PT_OPT_PSB_PERIOD,
	HWT_PT_NOPTIONS
};

/** The pt plugin's option table (what `hwtrace record --help` shows under pt), in pt_record.c. */
extern const struct hwt_option hwt_pt_options[HWT_PT_NOPTIONS];

/** What the user asked for; hwt_pt_config_init() gives the defaults, hwt_pt_config_set() the
 *  values of the options. */
struct hwt_pt_config {
	size_t aux_bytes;      /* AUX area per CPU in full-trace mode, a power of two */
	size_t snapshot_bytes; /* 0: full trace; else an overwritten AUX area of this size */
	const char *trigger;   /* function whose first instruction takes a snapshot; NULL none;
				* borrowed from the option values */
	int per_thread;	       /* one event on the target (cpu -1, no inherit) instead of per CPU */
	int tsc;	       /* TSC packets (1) */
	int mtc;	       /* MTC packets where the CPU has them (1) */
	int mtc_period;	       /* MTC every 2^(N+1) crystal ticks; HWT_PT_UNSET: 3 or nearest */
	int cyc;	       /* CYC packets (0) */
	int cyc_thresh;	       /* HWT_PT_UNSET: the hardware's default */
	int noretcomp;	       /* disable return compression (0) */
	int psb_period;	       /* PSB every 2^(N+11) bytes; HWT_PT_UNSET: the hardware's default */
};

/** Sets @cfg to the defaults: full trace with 4 MiB per CPU, per CPU with inherit, TSC and MTC. */
void hwt_pt_config_init(struct hwt_pt_config *cfg);

/**
 * Sets @cfg from @v, the values of hwt_pt_options[] (checked against it: core/options.h);
 * strings are borrowed from @v. A trigger without a snapshot size takes a snapshot of
 * HWT_PT_DEFAULT_AUX. Returns 0, or HWT_E_INVAL for NULL arguments or options that do not go
 * together (cyc_thresh without cyc=1), with @why ("intel_pt: ...") saying which and the fix.
 */
int hwt_pt_config_set(struct hwt_pt_config *cfg, const struct hwt_option_value *v, char *why,
		      size_t whylen);

/** The intel_pt event to open, as hwt_pt_attr_build() worked it out. */
struct hwt_pt_attr {
	uint32_t type;	   /* perf_event_attr.type: the PMU's dynamic type */
	uint64_t config;   /* perf_event_attr.config */
	int tsc, cyc;	   /* what was set */
	int noretcomp;	   /* return compression disabled */
	int branch;	   /* "pt" and "branch" set explicitly (else the kernel sets BranchEn) */
	int mtc_period;	   /* the MTC period set, HWT_PT_UNSET if MTC is off */
	int cyc_thresh;	   /* HWT_PT_UNSET if not set */
	int psb_period;	   /* HWT_PT_UNSET if not set */
	unsigned nom_freq; /* max_nonturbo_ratio from sysfs, 0 if the kernel does not say */
};

/** Is there an intel_pt PMU under @root (HWT_PT_SYSFS outside tests)? Returns 1 if yes, 0 with
 *  @why ("no Intel PT: ... does not exist (...)", or what is missing) if not. */
int hwt_pt_available(const char *root, char *why, size_t whylen);

/**
 * Builds the intel_pt event for @cfg from the PMU under @root: bit positions from
 * format/<field> ("config:10", "config:14-17", "config:0-1,8"), what the CPU allows from
 * caps/<cap> (hexadecimal: mtc, mtc_periods, psb_cyc, cyc_thresholds, psb_periods). Asked-for
 * settings the CPU lacks are errors; defaults it lacks are left out. Returns 0, or HWT_E_NOENT
 * (no PMU), HWT_E_NOTSUP (asked for what this CPU lacks), HWT_E_INVAL (a value out of range or
 * a file that does not parse), with @why saying which file or option.
 */
int hwt_pt_attr_build(const struct hwt_pt_config *cfg, const char *root, struct hwt_pt_attr *out,
		      char *why, size_t whylen);

/** Puts @value into field @name of @config as @root/format/@name places it (other bits kept).
 *  Returns 0, HWT_E_NOENT if the PMU has no such field, HWT_E_INVAL if the file does not parse,
 *  is not on "config", or @value does not fit, with @why filled. */
int hwt_pt_field_set(const char *root, const char *name, uint64_t value, uint64_t *config,
		     char *why, size_t whylen);

/** Reads @root/caps/@name (hexadecimal, as the kernel prints it) into @value. Returns 0,
 *  HWT_E_NOENT if absent, HWT_E_INVAL if it does not parse, with @why filled. */
int hwt_pt_cap_read(const char *root, const char *name, uint64_t *value, char *why, size_t whylen);

/* ---- the AUX area ---------------------------------------------------------------------- */

/** One contiguous piece to copy out of an AUX area. */
struct hwt_pt_span {
	size_t pos;	 /* where it starts in the mapped area */
	size_t len;	 /* bytes */
	uint64_t offset; /* the offset of its first byte in the CPU's AUX stream */
};

/** Checks that @bytes can be an AUX area: a power of two, at least one @page, at most
 *  HWT_PT_MAX_AUX. Returns 0 or HWT_E_INVAL with @why filled. */
int hwt_pt_aux_size_check(size_t bytes, size_t page, char *why, size_t whylen);

/** The mmap offset of the AUX area behind a ring of @data_bytes (user page first): what goes
 *  into perf_event_mmap_page.aux_offset. */
uint64_t hwt_pt_aux_offset(size_t page, size_t data_bytes);

/** Full trace: the pieces of [@tail, @head) in an AUX area of @size bytes (a power of two), at
 *  most two (the second after the wrap). More than @size unread bytes cannot be: the oldest are
 *  gone, and *@skipped says how many (0 otherwise). Returns the number of spans, or HWT_E_INVAL
 *  if @head is behind @tail or @size is not a power of two. */
int hwt_pt_aux_spans(uint64_t tail, uint64_t head, size_t size, struct hwt_pt_span span[2],
		     uint64_t *skipped);

/** Snapshot (overwrite) mode: the pieces of the area, oldest first, for a write position @head
 *  (taken modulo @size) and whether the hardware has @wrapped around; offsets count from
 *  @stream_offset. Returns the number of spans (0 if nothing was written) or HWT_E_INVAL. */
int hwt_pt_snapshot_spans(uint64_t head, size_t size, int wrapped, uint64_t stream_offset,
			  struct hwt_pt_span span[2]);

/** Has the hardware written past the end of an overwritten area of @size at least once, i.e. is
 *  anything but zeros (the kernel hands out zeroed pages) in [@pos, @size)? PT pads with zero
 *  bytes, so a wrap that wrote only padding there reads as no wrap. */
int hwt_pt_aux_wrapped(const uint8_t *aux, size_t size, size_t pos);

/* ---- time ------------------------------------------------------------------------------ */

/** The kernel's TSC to perf-clock conversion (perf_event_mmap_page): zero + (tsc * mult) >> shift
 *  with the product taken exactly (the kernel's quotient/remainder split gives the same). */
uint64_t hwt_pt_tsc_to_ns(uint64_t tsc, uint32_t mult, uint16_t shift, uint64_t zero);

/** What a decoder needs to put TSC values on CLOCK_MONOTONIC. */
struct hwt_pt_time {
	int have_conv; /* cap_user_time_zero: time_* below are valid */
	uint32_t time_mult;
	uint16_t time_shift;
	uint64_t time_zero;
	int have_offset;     /* mono_offset is valid */
	int64_t mono_offset; /* CLOCK_MONOTONIC ns - perf-clock ns (time_*, or else tsc_hz) */
	uint64_t tsc_ref;    /* a TSC value ... */
	uint64_t mono_ref;   /* ... and CLOCK_MONOTONIC ns read with it (0, 0 off x86) */
	uint64_t tsc_hz;     /* from CPUID 0x15 or time_mult/time_shift, 0 if unknown */
};

/** Fills @t from the mmap page @pg of a ring (NULL: none) and a TSC/CLOCK_MONOTONIC pair read
 *  back to back (the closest of a few tries); @crystal_hz and @ratio_* (CPUID 0x15 ECX, EBX, EAX)
 *  give tsc_hz when all are non-zero. mono_offset maps what a decoder computes from TSC (with
 *  time_* when the page offers them, else tsc * 1e9 / tsc_hz) to CLOCK_MONOTONIC. Returns 0, or
 *  HWT_E_INVAL for NULL @t. */
int hwt_pt_time_read(const struct perf_event_mmap_page *pg, uint32_t crystal_hz, uint32_t ratio_num,
		     uint32_t ratio_den, struct hwt_pt_time *t);

/* ---- the CPU and the chunk ------------------------------------------------------------- */

/** The CPU as libipt's pt_config wants it. */
struct hwt_pt_cpu {
	char vendor[8];		/* "intel" or "other" */
	unsigned family, model; /* with the extended family and model folded in (SDM) */
	unsigned stepping;
	uint32_t cpuid_15_eax; /* CPUID 0x15: TSC / crystal clock ratio denominator */
	uint32_t cpuid_15_ebx; /* numerator */
	uint32_t cpuid_15_ecx; /* crystal clock Hz (0 if not enumerated) */
	unsigned nom_freq;     /* base frequency / 100 MHz from CPUID 0x16 or the model name */
};

/** Reads @c from CPUID on this CPU (and /proc/cpuinfo's model name for nom_freq when CPUID 0x16
 *  is absent); off x86 everything is 0 and the vendor "other". */
void hwt_pt_cpu_read(struct hwt_pt_cpu *c);

/** nom_freq from a /proc/cpuinfo model name ("... CPU @ 2.40GHz" gives 24), 0 if it has none. */
unsigned hwt_pt_nom_freq_from_name(const char *model_name);

/**
 * Fills the "intel_pt" plugin chunk @sb (core/format/pt_format.h) for @cpu, @attr, @time and
 * @cfg; @nom_freq is the one to record. Returns 0, or HWT_E_INVAL for a NULL argument.
 */
int hwt_pt_sideband_fill(const struct hwt_pt_cpu *cpu, const struct hwt_pt_attr *attr,
			 const struct hwt_pt_time *time, const struct hwt_pt_config *cfg,
			 unsigned nom_freq, struct hwt_pt_sideband *sb);

/** Finds where file offset @file_off of @path is mapped in @maps (the text of /proc/PID/maps) in
 *  an executable mapping. Returns 0 with *@addr set, HWT_E_NOENT if not mapped, HWT_E_INVAL for
 *  NULL arguments. */
int hwt_pt_maps_addr(const char *maps, const char *path, uint64_t file_off, uint64_t *addr);

#endif

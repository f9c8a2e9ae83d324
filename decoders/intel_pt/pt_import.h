/* Importing raw Intel PT data (perf's AUX bytes, a simulator's output) with the ELF images it ran
 * into a .hwt recording that the intel_pt stream decoder reads. */
#ifndef HWT_DECODERS_PT_IMPORT_H
#define HWT_DECODERS_PT_IMPORT_H

#include <stddef.h>
#include <stdint.h>

/** An ELF file the traced code ran from, loaded at @bias (added to its p_vaddr; 0 for ET_EXEC). */
struct hwt_pt_image {
	const char *path; /* borrowed for the call */
	uint64_t bias;
};

/** What to import; hwt_pt_import_config_init() gives the defaults. */
struct hwt_pt_import_config {
	const char *raw_path; /* the raw trace file, or NULL to take @data */
	const uint8_t *data;  /* the trace bytes when @raw_path is NULL (borrowed) */
	size_t len;
	const struct hwt_pt_image *images; /* borrowed for the call */
	size_t nimages;
	int have_cpu; /* @family/@model/@stepping given: errata apply */
	uint32_t family, model, stepping;
	uint64_t tsc_hz; /* TSC ticks per second; 0: TSC values are nanoseconds */
	uint32_t mtc_freq, nom_freq;
	uint32_t cpuid15_eax, cpuid15_ebx;
	int noretcomp;	     /* the trace was taken with return compression off */
	uint32_t pid, tid;   /* default 1 */
	const char *command; /* META "command", default "import RAW" */
};

/** Fills @cfg with the defaults. */
void hwt_pt_import_config_init(struct hwt_pt_import_config *cfg);

/** Writes the recording @out from @cfg: the trace, a PROC_MAPS chunk mapping each image's
 *  PT_LOAD segments for @cfg->pid, the "intel_pt" parameters, and metadata naming the thread
 *  after the first image. Written to a temporary name and renamed: on error nothing is left.
 *  Returns 0, or a negative enum hwt_error with @why (@whylen bytes) saying what and how to fix
 *  it: HWT_E_INVAL (bad configuration), HWT_E_NOENT / HWT_E_PERM / HWT_E_IO (a file),
 *  HWT_E_ELF (an image is not an ELF file), HWT_E_NOMEM. */
int hwt_pt_import(const struct hwt_pt_import_config *cfg, const char *out, char *why,
		  size_t whylen);

#endif

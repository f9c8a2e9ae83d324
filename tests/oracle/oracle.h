/* The Intel PT test oracle's parts: the packet encoder that models what the hardware emits, the
 * process maps and images of the traced program, and the libipt self-check of the stream. */
#ifndef HWT_TESTS_ORACLE_H
#define HWT_TESTS_ORACLE_H

#include <stddef.h>
#include <stdint.h>

/* ---- growable byte and array buffers ---- */

/** Bytes written so far; grows on demand. */
struct orc_buf {
	uint8_t *data;
	size_t len, cap;
};

/** Appends @len bytes at @p (copied). Returns 0, or -1 when out of memory. */
int orc_buf_put(struct orc_buf *b, const void *p, size_t len);
/** Frees the bytes of @b and empties it. */
void orc_buf_fini(struct orc_buf *b);

/* ---- encoder ---- */

/** What the modelled hardware and its configuration (IA32_RTIT_CTL, CPUID) are. */
struct orc_config {
	int retcomp;	      /* return compression on (DisRETC = 0) */
	uint64_t psb_bytes;   /* a PSB+ once this many bytes were written since the last */
	unsigned mtc_freq;    /* IA32_RTIT_CTL.MTCFreq: an MTC every 2^mtc_freq CTC ticks */
	int cyc;	      /* CYC packets (cycle-accurate mode, threshold 0) */
	int tnt64;	      /* pack up to 47 TNT bits into TNT-64 packets, else TNT-8 only */
	uint32_t cpuid15_eax; /* CPUID.15H: TSC ticks / CTC ticks = ebx / eax */
	uint32_t cpuid15_ebx;
	uint8_t nom_freq;      /* MSR_PLATFORM_INFO[15:8]; CBR packets carry the same ratio */
	uint64_t overflow_at;  /* simulate an internal buffer overflow at this instruction... */
	uint64_t overflow_len; /* ...losing the packets of this many (0: none) */
};

/** Default configuration: return compression, PSB every 4 KiB, MTC every 8 CTC ticks of
 *  32 TSC ticks (cpuid 0x15 = 2/64), nominal ratio 10 (1 GHz, one cycle = one TSC tick). */
void orc_config_init(struct orc_config *c);

/** The time (in TSC ticks) a decoder can know at one point of the trace: what is written to
 *  the truth for each call and return. */
struct orc_mark {
	uint64_t item; /* trace items (TNT bits, IP packets) before the point */
	uint64_t need; /* the first item after the point (item, or item + 1 past its own) */
	uint64_t lo;   /* time of the timing packets before the last packet a decoder must have
			  read to reach the point: the earliest time it can show */
	uint64_t hi;   /* true time at which the first packet about a later point was written:
			  the latest time it can show */
	int has_hi;
};

/** A PSB+ written: where, and how far the truth had got. */
struct orc_psb {
	uint64_t offset, end; /* bytes [offset, end) of the trace: PSB .. PSBEND */
	uint64_t time;	      /* TSC of the PSB+ */
	size_t nmarks;	      /* marks made before it */
	/* The IP packet after it, compressed against the PSB+'s FUP (or the zero a PSB leaves),
	 * gives another IP against the last IP before the PSB: a decoder cannot do without this
	 * PSB+. */
	int needed;
};

/** The encoder: one traced thread, user-only tracing, BranchEn, TSCEn, MTCEn. */
struct orc_enc {
	struct orc_config cfg;
	struct pt_encoder *enc;
	uint8_t scratch[64];
	struct orc_buf out;

	uint64_t last_ip;     /* the last IP packets compress against (0 after PSB) */
	int ip_uncompressed;  /* the next IP packet carries the whole IP */
	int enabled;	      /* PacketEn: in user space and tracing */
	int started;	      /* the first TIP.PGE was written */
	uint64_t psb_at;      /* out.len at the last PSB */
	int psb_ip_open;      /* no IP packet since the last PSB+ yet */
	uint64_t psb_prev_ip; /* the last IP before that PSB */
	int lost;	      /* inside a simulated overflow: nothing is written */

	uint64_t tnt_bits; /* pending TNT bits, oldest in the highest position */
	unsigned tnt_n;
	uint64_t tnt_time; /* time of the newest pending bit */

	uint64_t ret[64]; /* return-compression stack: calls seen since the last PSB */
	unsigned ret_top, ret_n;

	uint64_t ctc_tsc;	/* TSC ticks per CTC tick */
	uint64_t mtc_period;	/* TSC ticks between MTCs */
	uint64_t next_mtc;	/* time of the next MTC */
	uint64_t timing;	/* time of the newest TSC/MTC written */
	uint64_t timing_at_pkt; /* @timing when the newest non-timing packet was written */
	uint64_t cyc_at;	/* time of the newest CYC (or of the start) */

	uint64_t items; /* trace items written or pending */
	struct orc_mark *marks;
	size_t nmarks, capmarks, marks_open; /* marks before marks_open have their hi */

	struct orc_psb *psbs;
	size_t npsbs, cappsbs;
	uint64_t ninsn; /* instructions seen (orc_enc_insn calls) */
	int ovf_done;	/* the simulated overflow ended: OVF written at ovf_offset */
	uint64_t ovf_offset, ovf_time;
	size_t ovf_nmarks;

	uint64_t npackets, nmtc, npsb, ntnt, ntip;
};

/** Starts encoding with @c (copied). Returns 0, or -1 with a message on stderr. */
int orc_enc_init(struct orc_enc *e, const struct orc_config *c);
/** Frees what @e holds, the output included. */
void orc_enc_fini(struct orc_enc *e);

/** The instruction at @ip (user space) is about to execute at time @now: timing packets for
 *  the time that passed, TIP.PGE after a stay in the kernel, PSB+ when due. */
int orc_enc_insn(struct orc_enc *e, uint64_t ip, uint64_t now);
/** Time passed to @now without user instructions (in the kernel): MTCs. */
int orc_enc_advance(struct orc_enc *e, uint64_t now);
/** A conditional branch at time @now was taken or not. */
int orc_enc_cond(struct orc_enc *e, int taken, uint64_t now);
/** An indirect jump or call at @now went to @target. */
int orc_enc_indirect(struct orc_enc *e, uint64_t target, uint64_t now);
/** A near call that pushed @retaddr (direct calls to the next instruction excepted). */
void orc_enc_push(struct orc_enc *e, uint64_t retaddr);
/** A near return to @target at @now: a taken TNT bit when compressed, else a TIP. Returns 1
 *  if compressed, 0 if not, -1 on error. */
int orc_enc_ret(struct orc_enc *e, uint64_t target, uint64_t now);
/** User space left at @now through a syscall: TIP.PGD with the IP suppressed. */
int orc_enc_disable(struct orc_enc *e, uint64_t now);
/** Writes the pending TNT bits (end of trace). */
int orc_enc_flush(struct orc_enc *e);

/** Records the point before the next item; @own says the point writes an item itself (a TIP or
 *  TNT bit for the call or return). Returns the mark's index, or -1 when out of memory. */
long orc_enc_mark(struct orc_enc *e, int own);
/** Ends the trace at @now: marks still waiting get hi = @now. */
void orc_enc_finish(struct orc_enc *e, uint64_t now);

/* ---- process maps and images ---- */

/** One mapping of /proc/PID/maps. */
struct orc_map {
	uint64_t start, end, pgoff;
	char perms[5];
	char *path; /* owned; "" for anonymous */
	int used;   /* an instruction executed in it */
};

struct orc_maps {
	struct orc_map *v;
	size_t n, cap;
};

/** Adds the mappings of /proc/@pid/maps to @m (replacing what they overlap). Returns 0 or -1. */
int orc_maps_read(struct orc_maps *m, int pid);
/** The executable mapping containing @addr, or NULL. */
struct orc_map *orc_maps_find(struct orc_maps *m, uint64_t addr);
void orc_maps_fini(struct orc_maps *m);

/** One ELF image for `hwtrace import --image PATH@BIAS`. */
struct orc_image {
	char *path;    /* owned */
	uint64_t bias; /* added to the ELF's p_vaddr */
};

/** The load bias of the ELF file @path mapped with @map (its offset and start). Returns 0, or -1
 *  when @path is no ELF file or no PT_LOAD holds the offset. */
int orc_elf_bias(const char *path, const struct orc_map *map, uint64_t *bias);

/** Calls @fn for each executable PT_LOAD of the ELF file @path: file offset, size, vaddr.
 *  Returns 0 or -1. */
int orc_elf_exec_segments(const char *path,
			  int (*fn)(uint64_t off, uint64_t size, uint64_t vaddr, void *ctx),
			  void *ctx);

/* ---- self-check ---- */

/** The truth a self-check compares the decoded trace with. */
struct orc_check_in {
	const uint8_t *trace;
	size_t len;
	const struct orc_config *cfg;
	const struct orc_image *images;
	size_t nimages;
	const uint64_t *path; /* every executed instruction's IP, in order */
	size_t npath;
	const uint64_t *event_step; /* for each mark: the index in @path of its instruction */
	const struct orc_mark *marks;
	size_t nmarks;
	uint64_t nsyscalls; /* times user space was left and re-entered */
	size_t resume_at;   /* after a simulated overflow: the index in @path tracing resumes at */
};

/** Decodes the trace with libipt's instruction and block decoders and compares: the path
 *  exactly, and the time at each mark within [lo, hi] (with CYC only reported). Prints a summary on
 * stdout; returns the number of mismatches (0: the encoding is right). */
long orc_selfcheck(const struct orc_check_in *in);

#endif

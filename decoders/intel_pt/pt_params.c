/* The parameters of an Intel PT trace (from the "intel_pt" plugin chunk: CPU, clock, packet
 * configuration) and the conversion of its TSC to CLOCK_MONOTONIC nanoseconds. */
#include "pt_decode.h"

#include <string.h>

void hwt_pt_params_set(struct pt_params *p, const struct hwt_pt_sideband *sb)
{
	memset(p, 0, sizeof(*p));
	pt_config_init(&p->cfg);
	p->cfg.flags.variant.block.end_on_call = 1;
	p->cfg.flags.variant.block.end_on_jump = 1;
	if (!sb)
		return;
	p->cfg.cpu.vendor = sb->intel ? pcv_intel : pcv_unknown;
	p->cfg.cpu.family = sb->cpu_family;
	p->cfg.cpu.model = sb->cpu_model;
	p->cfg.cpu.stepping = sb->cpu_stepping;
	p->cfg.cpuid_0x15_eax = sb->cpuid_15_eax;
	p->cfg.cpuid_0x15_ebx = sb->cpuid_15_ebx;
	p->cfg.nom_freq = sb->nom_freq;
	p->cfg.mtc_freq = sb->mtc_freq;
	p->noretcomp = sb->noretcomp;
	p->clock.hz = sb->tsc_hz;
	if (sb->have_conv && sb->time_mult) {
		p->clock.have_perf = 1;
		p->clock.mult = sb->time_mult;
		p->clock.shift = sb->time_shift < 63 ? sb->time_shift : 63;
		p->clock.zero = sb->time_zero;
	}
	if (sb->have_offset)
		p->clock.mono_offset = sb->mono_offset;
	p->total_bytes = sb->total_bytes;
	if (p->cfg.cpu.vendor == pcv_intel)
		pt_cpu_errata(&p->cfg.errata, &p->cfg.cpu);
}

uint64_t hwt_pt_clock_ns(const struct pt_clock *c, uint64_t tsc)
{
	uint64_t ns;

	if (c->have_perf) {
		/* Split as the kernel does, so that large TSC values do not overflow. */
		uint64_t quot = tsc >> c->shift, rem = tsc & ((1ull << c->shift) - 1);
		ns = c->zero + quot * c->mult + ((rem * c->mult) >> c->shift);
	} else if (c->hz) {
		ns = (uint64_t)((unsigned __int128)tsc * 1000000000u / c->hz);
	} else {
		ns = tsc;
	}
	return ns + (uint64_t)c->mono_offset;
}

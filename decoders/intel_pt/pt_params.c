/* The parameters of an Intel PT trace (the "intel_pt" plugin chunk: CPU, clock, packet
 * configuration) and the conversion of its TSC to CLOCK_MONOTONIC nanoseconds. */
#include "pt_decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int hwt_pt_params_parse(struct pt_params *p, const char *text, size_t len)
{
	memset(p, 0, sizeof(*p));
	pt_config_init(&p->cfg);
	p->cfg.flags.variant.block.end_on_call = 1;
	p->cfg.flags.variant.block.end_on_jump = 1;
	const char *end = text ? text + len : NULL;
	for (const char *line = text; line && line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t n = nl ? (size_t)(nl - line) : (size_t)(end - line);
		char buf[128], key[64], val[64];
		if (n < sizeof(buf)) {
			memcpy(buf, line, n);
			buf[n] = 0;
			if (sscanf(buf, "%63s %63s", key, val) == 2) {
				unsigned long long u = strtoull(val, NULL, 0);
				if (!strcmp(key, "cpu_vendor")) /* "intel", "GenuineIntel" */
					p->cfg.cpu.vendor =
						strcasestr(val, "intel") ? pcv_intel : pcv_unknown;
				else if (!strcmp(key, "cpu_family"))
					p->cfg.cpu.family = (uint16_t)u;
				else if (!strcmp(key, "cpu_model"))
					p->cfg.cpu.model = (uint8_t)u;
				else if (!strcmp(key, "cpu_stepping"))
					p->cfg.cpu.stepping = (uint8_t)u;
				else if (!strcmp(key, "cpuid_15_eax"))
					p->cfg.cpuid_0x15_eax = (uint32_t)u;
				else if (!strcmp(key, "cpuid_15_ebx"))
					p->cfg.cpuid_0x15_ebx = (uint32_t)u;
				else if (!strcmp(key, "nom_freq"))
					p->cfg.nom_freq = (uint8_t)u;
				else if (!strcmp(key, "mtc_freq"))
					p->cfg.mtc_freq = (uint8_t)u;
				else if (!strcmp(key, "noretcomp"))
					p->noretcomp = !!u;
				else if (!strcmp(key, "tsc_hz"))
					p->clock.hz = u;
				else if (!strcmp(key, "time_mult"))
					p->clock.mult = (uint32_t)u;
				else if (!strcmp(key, "time_shift"))
					p->clock.shift = (uint16_t)(u < 63 ? u : 63);
				else if (!strcmp(key, "time_zero"))
					p->clock.zero = u;
				else if (!strcmp(key, "mono_offset"))
					p->clock.mono_offset = strtoll(val, NULL, 0);
				else if (!strcmp(key, "total_bytes"))
					p->total_bytes = u;
			}
		}
		line = nl ? nl + 1 : end;
	}
	p->clock.have_perf = p->clock.mult != 0;
	if (p->cfg.cpu.vendor == pcv_intel)
		pt_cpu_errata(&p->cfg.errata, &p->cfg.cpu);
	return 0;
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

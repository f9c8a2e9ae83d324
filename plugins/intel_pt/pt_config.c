/* Intel PT recording without PT hardware: the configuration from option values, event config from
 * sysfs, AUX arithmetic, time references and the "intel_pt" chunk text. */
#include "pt_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <x86intrin.h>
#define HWT_PT_X86 1
#endif

#include "core/util.h"
#include "hwtrace/error.h"

/* ---- options --------------------------------------------------------------------------- */

void hwt_pt_config_init(struct hwt_pt_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->aux_bytes = HWT_PT_DEFAULT_AUX;
	cfg->tsc = 1;
	cfg->mtc = 1;
	cfg->mtc_period = HWT_PT_UNSET;
	cfg->cyc_thresh = HWT_PT_UNSET;
	cfg->psb_period = HWT_PT_UNSET;
}

/* An INT option without a default: HWT_PT_UNSET unless given. */
static int int_or_unset(const struct hwt_option_value *v)
{
	return v->set ? (int)v->i : HWT_PT_UNSET;
}

int hwt_pt_config_set(struct hwt_pt_config *cfg, const struct hwt_option_value *v, char *why,
		      size_t whylen)
{
	if (!cfg || !v)
		return hwt_fail(why, whylen, HWT_E_INVAL, "intel_pt: no configuration to fill");
	hwt_pt_config_init(cfg);
	cfg->snapshot_bytes = (size_t)v[HWT_PT_OPT_SNAPSHOT].i;
	cfg->trigger = v[HWT_PT_OPT_TRIGGER].s;
	cfg->aux_bytes = (size_t)v[HWT_PT_OPT_AUX].i;
	cfg->per_thread = (int)v[HWT_PT_OPT_PER_THREAD].i;
	cfg->tsc = (int)v[HWT_PT_OPT_TSC].i;
	cfg->mtc = (int)v[HWT_PT_OPT_MTC].i;
	cfg->mtc_period = int_or_unset(&v[HWT_PT_OPT_MTC_PERIOD]);
	cfg->cyc = (int)v[HWT_PT_OPT_CYC].i;
	cfg->cyc_thresh = int_or_unset(&v[HWT_PT_OPT_CYC_THRESH]);
	cfg->noretcomp = (int)v[HWT_PT_OPT_NORETCOMP].i;
	cfg->psb_period = int_or_unset(&v[HWT_PT_OPT_PSB_PERIOD]);
	if (cfg->trigger && !cfg->snapshot_bytes)
		cfg->snapshot_bytes = HWT_PT_DEFAULT_AUX;
	if (cfg->cyc_thresh != HWT_PT_UNSET && !cfg->cyc)
		return hwt_fail(
			why, whylen, HWT_E_INVAL,
			"intel_pt: cyc_thresh=%d needs cyc=1 (it sets how often CYC packets come)",
			cfg->cyc_thresh);
	return 0;
}

/* ---- sysfs ----------------------------------------------------------------------------- */

/* Reads the first line of @root/@rel into @buf without its newline. 0, or -errno. */
static int read_line(const char *root, const char *rel, char *buf, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = 0;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int have_path(const char *root, const char *rel)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return !stat(path, &st);
}

int hwt_pt_available(const char *root, char *why, size_t whylen)
{
	struct stat st;
	char line[64];

	if (!root || stat(root, &st) || !S_ISDIR(st.st_mode)) {
		hwt_fail(why, whylen, 0,
			 "no Intel PT: %s does not exist (not an Intel CPU, or a VM without PT "
			 "passthrough)",
			 root ? root : "(null)");
		return 0;
	}
	int e = read_line(root, "type", line, sizeof(line));
	if (e || !line[0]) {
		hwt_fail(why, whylen, 0, "no Intel PT: %s/type cannot be read (%s)", root,
			 e ? strerror(-e) : "empty");
		return 0;
	}
	if (!have_path(root, "format/tsc")) {
		hwt_fail(why, whylen, 0,
			 "Intel PT without timestamps: %s/format/tsc does not exist (a kernel too "
			 "old "
			 "for hwtrace's PT recorder)",
			 root);
		return 0;
	}
	return 1;
}

int hwt_pt_cap_read(const char *root, const char *name, uint64_t *value, char *why, size_t whylen)
{
	char rel[256], line[64], *end;

	if (!root || !name || !value)
		return hwt_fail(why, whylen, HWT_E_INVAL, "intel_pt: bad arguments to read a cap");
	snprintf(rel, sizeof(rel), "caps/%s", name);
	int e = read_line(root, rel, line, sizeof(line));
	if (e)
		return hwt_fail(why, whylen, e == -ENOENT ? HWT_E_NOENT : HWT_E_IO,
				"intel_pt: cannot read %s/%s: %s", root, rel, strerror(-e));
	errno = 0;
	unsigned long long v = strtoull(line, &end, 16);
	if (errno || end == line || *end)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: %s/%s holds '%s', not a hexadecimal number", root, rel,
				line);
	*value = v;
	return 0;
}

int hwt_pt_field_set(const char *root, const char *name, uint64_t value, uint64_t *config,
		     char *why, size_t whylen)
{
	char rel[256], line[256];

	if (!root || !name || !config)
		return hwt_fail(why, whylen, HWT_E_INVAL, "intel_pt: bad arguments to set a field");
	snprintf(rel, sizeof(rel), "format/%s", name);
	int e = read_line(root, rel, line, sizeof(line));
	if (e)
		return hwt_fail(why, whylen, e == -ENOENT ? HWT_E_NOENT : HWT_E_IO,
				"intel_pt: the PMU has no field '%s' (%s/%s: %s)", name, root, rel,
				strerror(-e));
	char *colon = strchr(line, ':');
	if (!colon)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: %s/%s holds '%s', not 'config:BITS'", root, rel, line);
	*colon = 0;
	if (strcmp(line, "config"))
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: field '%s' is in %s; hwtrace sets only config", name,
				line);

	/* "LO-HI,BIT,...": value bits go into the ranges in order, lowest first. */
	uint64_t mask = 0, placed = 0;
	unsigned nbits = 0;
	const char *p = colon + 1;
	for (;;) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;
		if (end == p || lo > 63)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || hi > 63 || hi < lo)
				goto bad;
		}
		for (unsigned long b = lo; b <= hi; b++, nbits++) {
			if (mask & (1ull << b))
				goto bad;
			mask |= 1ull << b;
			if (nbits < 64 && (value >> nbits) & 1)
				placed |= 1ull << b;
		}
		if (!*end)
			break;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
	if (nbits < 64 && value >> nbits)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: %s=%llu does not fit the field's %u bits (%s/%s)", name,
				(unsigned long long)value, nbits, root, rel);
	*config = (*config & ~mask) | placed;
	return 0;
bad:
	return hwt_fail(why, whylen, HWT_E_INVAL,
			"intel_pt: %s/%s holds 'config:%s': cannot parse it", root, rel, colon + 1);
}

/* A cap that may be missing (older kernels): 0 then. */
static int cap_or_zero(const char *root, const char *name, uint64_t *v, char *why, size_t len)
{
	int err = hwt_pt_cap_read(root, name, v, why, len);
	if (err == HWT_E_NOENT) {
		*v = 0;
		return 0;
	}
	return err;
}

static void list_bits(uint64_t bits, char *out, size_t len)
{
	size_t off = 0;

	out[0] = 0;
	for (int b = 0; b < 16 && off < len; b++)
		if (bits & (1u << b))
			off += (size_t)snprintf(out + off, len - off, "%s%d", off ? " " : "", b);
	if (!out[0])
		snprintf(out, len, "none");
}

/* The MTC period to use by default: 3 (perf's too) or the nearest the CPU allows. */
static int default_mtc_period(uint64_t periods)
{
	for (int d = 0; d < 16; d++) {
		if (3 - d >= 0 && (periods >> (3 - d)) & 1)
			return 3 - d;
		if (3 + d < 16 && (periods >> (3 + d)) & 1)
			return 3 + d;
	}
	return HWT_PT_UNSET;
}

/* MTC timing packets, at cfg->mtc_period or the period this CPU suggests; none where it has
 * no MTC. */
static int attr_mtc(const struct hwt_pt_config *cfg, const char *root, struct hwt_pt_attr *out,
		    char *why, size_t whylen)
{
	uint64_t cap, periods = 0;
	char allowed[64];
	int err = cap_or_zero(root, "mtc", &cap, why, whylen);
	int period = cfg->mtc_period;

	if (!err && cap)
		err = cap_or_zero(root, "mtc_periods", &periods, why, whylen);
	if (err)
		return err;
	if (cfg->mtc_period != HWT_PT_UNSET && !(cap && (periods >> period) & 1)) {
		list_bits(cap ? periods : 0, allowed, sizeof(allowed));
		return hwt_fail(why, whylen, HWT_E_NOTSUP,
				"intel_pt: mtc_period=%d is not one this CPU allows (%s/caps/"
				"mtc_periods: %s)",
				period, root, allowed);
	}
	if (period == HWT_PT_UNSET && cap)
		period = default_mtc_period(periods);
	if (cap && period != HWT_PT_UNSET && have_path(root, "format/mtc") &&
	    have_path(root, "format/mtc_period")) {
		err = hwt_pt_field_set(root, "mtc", 1, &out->config, why, whylen);
		if (!err)
			err = hwt_pt_field_set(root, "mtc_period", (uint64_t)period, &out->config,
					       why, whylen);
		if (err)
			return err;
		out->mtc_period = period;
	}
	return 0;
}

/* Cycle-accurate mode (CYC packets), with cfg->cyc_thresh if given. */
static int attr_cyc(const struct hwt_pt_config *cfg, const char *root, struct hwt_pt_attr *out,
		    char *why, size_t whylen)
{
	char allowed[64];
	uint64_t cap;
	int err = cap_or_zero(root, "psb_cyc", &cap, why, whylen);

	if (err)
		return err;
	if (!cap)
		return hwt_fail(why, whylen, HWT_E_NOTSUP,
				"intel_pt: cyc=1 but this CPU has no cycle-accurate mode (%s/caps/"
				"psb_cyc is 0 or missing): leave cyc out",
				root);
	err = hwt_pt_field_set(root, "cyc", 1, &out->config, why, whylen);
	if (err)
		return err;
	out->cyc = 1;
	if (cfg->cyc_thresh == HWT_PT_UNSET)
		return 0;
	err = cap_or_zero(root, "cyc_thresholds", &cap, why, whylen);
	if (err)
		return err;
	if (!((cap >> cfg->cyc_thresh) & 1)) {
		list_bits(cap, allowed, sizeof(allowed));
		return hwt_fail(why, whylen, HWT_E_NOTSUP,
				"intel_pt: cyc_thresh=%d is not one this CPU allows "
				"(%s/caps/cyc_thresholds: %s)",
				cfg->cyc_thresh, root, allowed);
	}
	err = hwt_pt_field_set(root, "cyc_thresh", (uint64_t)cfg->cyc_thresh, &out->config, why,
			       whylen);
	if (err)
		return err;
	out->cyc_thresh = cfg->cyc_thresh;
	return 0;
}

/* A PSB every 2^(cfg->psb_period + 11) bytes. */
static int attr_psb(const struct hwt_pt_config *cfg, const char *root, struct hwt_pt_attr *out,
		    char *why, size_t whylen)
{
	uint64_t cyc = 0, cap = 0;
	char allowed[64];
	int err = cap_or_zero(root, "psb_cyc", &cyc, why, whylen);

	if (!err)
		err = cap_or_zero(root, "psb_periods", &cap, why, whylen);
	if (err)
		return err;
	if (!cyc || !((cap >> cfg->psb_period) & 1)) {
		list_bits(cyc ? cap : 0, allowed, sizeof(allowed));
		return hwt_fail(why, whylen, HWT_E_NOTSUP,
				"intel_pt: psb_period=%d is not one this CPU allows (%s/caps/"
				"psb_periods: %s)",
				cfg->psb_period, root, allowed);
	}
	err = hwt_pt_field_set(root, "psb_period", (uint64_t)cfg->psb_period, &out->config, why,
			       whylen);
	if (err)
		return err == HWT_E_NOENT ? HWT_E_NOTSUP : err;
	out->psb_period = cfg->psb_period;
	return 0;
}

int hwt_pt_attr_build(const struct hwt_pt_config *cfg, const char *root, struct hwt_pt_attr *out,
		      char *why, size_t whylen)
{
	char line[64], *end;
	int err;

	if (!cfg || !root || !out)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: bad arguments to build the event");
	memset(out, 0, sizeof(*out));
	out->mtc_period = out->cyc_thresh = out->psb_period = HWT_PT_UNSET;
	if (!hwt_pt_available(root, why, whylen))
		return HWT_E_NOENT;
	read_line(root, "type", line, sizeof(line));
	errno = 0;
	unsigned long type = strtoul(line, &end, 10);
	if (errno || end == line || *end || type > UINT32_MAX)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"intel_pt: %s/type holds '%s', not a number", root, line);
	out->type = (uint32_t)type;
	if (!read_line(root, "max_nonturbo_ratio", line, sizeof(line)))
		out->nom_freq = (unsigned)strtoul(line, NULL, 10);

	/* Branch tracing: where the kernel has "pt" (pass-through) and "branch", set both, as it
	 * wants BranchEn given explicitly then; without them it sets BranchEn itself. */
	if (have_path(root, "format/pt") && have_path(root, "format/branch")) {
		err = hwt_pt_field_set(root, "pt", 1, &out->config, why, whylen);
		if (!err)
			err = hwt_pt_field_set(root, "branch", 1, &out->config, why, whylen);
		if (err)
			return err;
		out->branch = 1;
	}
	if (cfg->tsc) {
		err = hwt_pt_field_set(root, "tsc", 1, &out->config, why, whylen);
		if (err)
			return err;
		out->tsc = 1;
	}
	if (cfg->mtc && (err = attr_mtc(cfg, root, out, why, whylen)))
		return err;
	if (cfg->cyc && (err = attr_cyc(cfg, root, out, why, whylen)))
		return err;
	if (cfg->noretcomp) {
		err = hwt_pt_field_set(root, "noretcomp", 1, &out->config, why, whylen);
		if (err)
			return err == HWT_E_NOENT ? HWT_E_NOTSUP : err;
		out->noretcomp = 1;
	}
	if (cfg->psb_period != HWT_PT_UNSET && (err = attr_psb(cfg, root, out, why, whylen)))
		return err;
	return 0;
}

/* ---- the AUX area ---------------------------------------------------------------------- */

int hwt_pt_aux_size_check(size_t bytes, size_t page, char *why, size_t whylen)
{
	if (!page || bytes < page || (bytes & (bytes - 1)) || bytes > HWT_PT_MAX_AUX)
		return hwt_fail(why, whylen, HWT_E_INVAL,
				"an AUX area of %zu bytes: give a power of two from %zuK to %uM",
				bytes, page >> 10, HWT_PT_MAX_AUX >> 20);
	return 0;
}

uint64_t hwt_pt_aux_offset(size_t page, size_t data_bytes)
{
	return (uint64_t)page + data_bytes;
}

int hwt_pt_aux_spans(uint64_t tail, uint64_t head, size_t size, struct hwt_pt_span span[2],
		     uint64_t *skipped)
{
	if (!span || !size || (size & (size - 1)) || head < tail)
		return HWT_E_INVAL;
	uint64_t avail = head - tail, lost = 0;
	if (avail > size) {
		lost = avail - size;
		tail = head - size;
		avail = size;
	}
	if (skipped)
		*skipped = lost;
	if (!avail)
		return 0;
	size_t pos = (size_t)(tail & (size - 1));
	size_t first = size - pos < avail ? size - pos : (size_t)avail;
	span[0] = (struct hwt_pt_span){ .pos = pos, .len = first, .offset = tail };
	if (first == avail)
		return 1;
	span[1] = (struct hwt_pt_span){ .pos = 0,
					.len = (size_t)avail - first,
					.offset = tail + first };
	return 2;
}

int hwt_pt_snapshot_spans(uint64_t head, size_t size, int wrapped, uint64_t stream_offset,
			  struct hwt_pt_span span[2])
{
	if (!span || !size || (size & (size - 1)))
		return HWT_E_INVAL;
	size_t pos = (size_t)(head & (size - 1));
	if (!wrapped) {
		if (!pos)
			return 0;
		span[0] = (struct hwt_pt_span){ .pos = 0, .len = pos, .offset = stream_offset };
		return 1;
	}
	span[0] = (struct hwt_pt_span){ .pos = pos, .len = size - pos, .offset = stream_offset };
	if (!pos)
		return 1;
	span[1] = (struct hwt_pt_span){ .pos = 0,
					.len = pos,
					.offset = stream_offset + (size - pos) };
	return 2;
}

int hwt_pt_aux_wrapped(const uint8_t *aux, size_t size, size_t pos)
{
	if (!aux)
		return 0;
	for (size_t i = pos; i < size; i++)
		if (aux[i])
			return 1;
	return 0;
}

/* ---- time ------------------------------------------------------------------------------ */

uint64_t hwt_pt_tsc_to_ns(uint64_t tsc, uint32_t mult, uint16_t shift, uint64_t zero)
{
	/* The kernel splits tsc into quotient and remainder of 2^shift to stay in 64 bits; the
	 * 128-bit product gives the same result and holds for any shift. */
	if (shift >= 128)
		return zero;
	return zero + (uint64_t)(((unsigned __int128)tsc * mult) >> shift);
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int hwt_pt_time_read(const struct perf_event_mmap_page *pg, uint32_t crystal_hz, uint32_t ratio_num,
		     uint32_t ratio_den, struct hwt_pt_time *t)
{
	if (!t)
		return HWT_E_INVAL;
	memset(t, 0, sizeof(*t));
	if (pg) {
		/* The kernel updates the page under a sequence count: read until it held. */
		const volatile struct perf_event_mmap_page *v = pg;
		for (int tries = 0; tries < 1000; tries++) {
			uint32_t seq = __atomic_load_n(&pg->lock, __ATOMIC_ACQUIRE);
			t->have_conv = v->cap_user_time_zero;
			t->time_mult = v->time_mult;
			t->time_shift = v->time_shift;
			t->time_zero = v->time_zero;
			__atomic_thread_fence(__ATOMIC_ACQUIRE);
			if (__atomic_load_n(&pg->lock, __ATOMIC_RELAXED) == seq && !(seq & 1))
				break;
		}
		if (!t->time_mult)
			t->have_conv = 0;
		if (!t->have_conv)
			t->time_mult = t->time_shift = 0, t->time_zero = 0;
	}
#ifdef HWT_PT_X86
	/* The pair read closest together of a few: an interrupt between the reads skews one. */
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 8; i++) {
		uint64_t t0 = __rdtsc();
		uint64_t ns = mono_now();
		uint64_t t1 = __rdtsc();
		if (t1 >= t0 && t1 - t0 < best) {
			best = t1 - t0;
			t->tsc_ref = t0 + (t1 - t0) / 2;
			t->mono_ref = ns;
		}
	}
#else
	(void)mono_now;
#endif
	if (crystal_hz && ratio_num && ratio_den)
		t->tsc_hz = (uint64_t)crystal_hz * ratio_num / ratio_den;
	else if (t->have_conv)
		t->tsc_hz = (uint64_t)(((unsigned __int128)1000000000u << t->time_shift) /
				       t->time_mult);
	if (t->tsc_ref && t->have_conv) {
		t->have_offset = 1;
		t->mono_offset =
			(int64_t)(t->mono_ref - hwt_pt_tsc_to_ns(t->tsc_ref, t->time_mult,
								 t->time_shift, t->time_zero));
	} else if (t->tsc_ref && t->tsc_hz) {
		t->have_offset = 1;
		t->mono_offset = (int64_t)(t->mono_ref - (uint64_t)((unsigned __int128)t->tsc_ref *
								    1000000000u / t->tsc_hz));
	}
	return 0;
}

/* ---- the CPU and the chunk ------------------------------------------------------------- */

unsigned hwt_pt_nom_freq_from_name(const char *name)
{
	const char *at = name ? strrchr(name, '@') : NULL;
	char *end;

	if (!at)
		return 0;
	double v = strtod(at + 1, &end);
	if (end == at + 1 || v <= 0)
		return 0;
	while (*end == ' ')
		end++;
	if (!strncmp(end, "GHz", 3))
		return (unsigned)(v * 10 + 0.5);
	if (!strncmp(end, "MHz", 3))
		return (unsigned)(v / 100 + 0.5);
	return 0;
}

static unsigned nom_freq_from_cpuinfo(void)
{
	char line[512];
	unsigned f = 0;
	FILE *in = fopen("/proc/cpuinfo", "r");

	if (!in)
		return 0;
	while (!f && fgets(line, sizeof(line), in))
		if (!strncmp(line, "model name", 10))
			f = hwt_pt_nom_freq_from_name(line);
	fclose(in);
	return f;
}

void hwt_pt_cpu_read(struct hwt_pt_cpu *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->vendor, sizeof(c->vendor), "other");
#ifdef HWT_PT_X86
	unsigned a, b, cx, d;
	unsigned max = __get_cpuid_max(0, NULL);
	if (!max)
		return;
	__cpuid(0, a, b, cx, d);
	if (b == 0x756e6547 && d == 0x49656e69 && cx == 0x6c65746e) /* "GenuineIntel" */
		snprintf(c->vendor, sizeof(c->vendor), "intel");
	__cpuid(1, a, b, cx, d);
	/* SDM vol. 2A, CPUID leaf 1: display family and model. */
	unsigned family = (a >> 8) & 0xf, model = (a >> 4) & 0xf;
	if (family == 0xf)
		family += (a >> 20) & 0xff;
	if (family == 0x6 || family >= 0xf)
		model += ((a >> 16) & 0xf) << 4;
	c->family = family;
	c->model = model;
	c->stepping = a & 0xf;
	if (max >= 0x15) {
		__cpuid_count(0x15, 0, a, b, cx, d);
		c->cpuid_15_eax = a;
		c->cpuid_15_ebx = b;
		c->cpuid_15_ecx = cx;
	}
	if (max >= 0x16) {
		__cpuid_count(0x16, 0, a, b, cx, d);
		c->nom_freq = ((a & 0xffff) + 50) / 100;
	}
#endif
	if (!c->nom_freq)
		c->nom_freq = nom_freq_from_cpuinfo();
}

int hwt_pt_sideband_fill(const struct hwt_pt_cpu *cpu, const struct hwt_pt_attr *attr,
			 const struct hwt_pt_time *time, const struct hwt_pt_config *cfg,
			 unsigned nom_freq, struct hwt_pt_sideband *sb)
{
	if (!cpu || !attr || !time || !cfg || !sb)
		return HWT_E_INVAL;
	hwt_pt_sideband_init(sb);
	sb->intel = !strcmp(cpu->vendor, "intel");
	sb->cpu_family = (uint16_t)cpu->family;
	sb->cpu_model = (uint8_t)cpu->model;
	sb->cpu_stepping = (uint8_t)cpu->stepping;
	sb->cpuid_15_eax = cpu->cpuid_15_eax;
	sb->cpuid_15_ebx = cpu->cpuid_15_ebx;
	sb->cpuid_15_ecx = cpu->cpuid_15_ecx;
	sb->nom_freq = (uint8_t)nom_freq;
	sb->mtc_freq = (uint8_t)(attr->mtc_period == HWT_PT_UNSET ? 0 : attr->mtc_period);
	sb->noretcomp = !!attr->noretcomp;
	sb->config = attr->config;
	sb->pmu_type = attr->type;
	sb->tsc = !!attr->tsc;
	sb->mtc = attr->mtc_period != HWT_PT_UNSET;
	sb->cyc = !!attr->cyc;
	sb->branch = !!attr->branch;
	sb->cyc_thresh = (int8_t)attr->cyc_thresh;
	sb->psb_period = (int8_t)attr->psb_period;
	sb->tsc_hz = time->tsc_hz;
	sb->have_conv = !!time->have_conv;
	if (time->have_conv) {
		sb->time_mult = time->time_mult;
		sb->time_shift = time->time_shift;
		sb->time_zero = time->time_zero;
	}
	sb->have_offset = !!time->have_offset;
	if (time->have_offset)
		sb->mono_offset = time->mono_offset;
	sb->tsc_ref = time->tsc_ref;
	sb->mono_ref = time->mono_ref;
	sb->snapshot = cfg->snapshot_bytes != 0;
	sb->aux_size = cfg->snapshot_bytes ? cfg->snapshot_bytes : cfg->aux_bytes;
	sb->per_thread = !!cfg->per_thread;
	if (cfg->trigger)
		snprintf(sb->trigger, sizeof(sb->trigger), "%s", cfg->trigger);
	return 0;
}

int hwt_pt_maps_addr(const char *maps, const char *path, uint64_t file_off, uint64_t *addr)
{
	if (!maps || !path || !addr)
		return HWT_E_INVAL;
	size_t plen = strlen(path);
	for (const char *line = maps; *line;) {
		const char *nl = strchr(line, '\n');
		size_t llen = nl ? (size_t)(nl - line) : strlen(line);
		unsigned long long start, end, off;
		char perms[8];
		int name_at = 0;
		char tmp[512];

		if (llen < sizeof(tmp)) {
			memcpy(tmp, line, llen);
			tmp[llen] = 0;
			if (sscanf(tmp, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off,
				   &name_at) == 4 &&
			    name_at > 0 && strlen(perms) >= 3 && perms[2] == 'x' &&
			    !strncmp(tmp + name_at, path, plen) &&
			    (!tmp[name_at + plen] || !strcmp(tmp + name_at + plen, " (deleted)")) &&
			    file_off >= off && file_off - off < end - start) {
				*addr = start + (file_off - off);
				return 0;
			}
		}
		line += llen + (nl != NULL);
	}
	return HWT_E_NOENT;
}

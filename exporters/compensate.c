/* Probe-cost compensation: the per-call costs a recording's metadata gives, by probe kind. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compensate.h"
#include "hwtrace/error.h"
#include "slices.h"

/* The metadata of one probe kind. */
struct cost_keys {
	const char *call, *in, *what;
};

static const struct cost_keys cost_keys[3] = {
	{ "uprobe.call_ns", "uprobe.call_in_ns", "uprobe" },
	{ "uprobe.slow_call_ns", "uprobe.slow_call_in_ns", "uprobe, single-stepped" },
	{ "inproc.call_ns", "inproc.call_in_ns", "inproc" },
};

/* Metadata @key of @m as ns into *@v: 0 if set, 1 if not, HWT_E_INVAL if not a number. */
static int meta_ns(const struct hwt_model *m, const char *key, uint64_t *v)
{
	const char *s = hwt_model_meta(m, key);
	char *end;

	if (!s)
		return 1;
	errno = 0;
	double d = strtod(s, &end);
	if (end == s || *end || errno || !(d >= 0) || d > 1e12)
		return HWT_E_INVAL;
	*v = (uint64_t)(d + 0.5);
	return 0;
}

/* Appends @fmt to @desc (@len bytes) at *@at. */
static void put(char *desc, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void put(char *desc, size_t len, size_t *at, const char *fmt, ...)
{
	va_list ap;

	if (*at >= len)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(desc + *at, len - *at, fmt, ap);
	va_end(ap);
	if (n > 0)
		*at += (size_t)n;
}

int hwt_probe_costs_from_model(const struct hwt_model *m, struct hwt_probe_costs *c, char *desc,
			       size_t len)
{
	struct hwt_probe_cost *out[3];
	size_t at = 0;
	int found = 0;

	if (!m || !c || !desc || !len)
		return HWT_E_INVAL;
	*c = (struct hwt_probe_costs){ 0 };
	out[0] = &c->uprobe;
	out[1] = &c->uprobe_slow;
	out[2] = &c->inproc;
	desc[0] = 0;
	for (int k = 0; k < 3; k++) {
		const struct cost_keys *ck = &cost_keys[k];
		uint64_t call = 0, in = 0;
		char a[HWT_DURATION_LEN], b[HWT_DURATION_LEN];
		int rc = meta_ns(m, ck->call, &call);

		if (rc > 0)
			continue;
		int rin = rc ? rc : meta_ns(m, ck->in, &in);
		if (rc < 0 || rin < 0) {
			snprintf(desc, len, "metadata %s is '%s', not a number of ns",
				 rc < 0 ? ck->call : ck->in,
				 hwt_model_meta(m, rc < 0 ? ck->call : ck->in));
			return HWT_E_INVAL;
		}
		if (rin > 0)
			in = call / 2; /* not measured: half of each trap on either side */
		if (in > call)
			in = call;
		*out[k] = (struct hwt_probe_cost){ call, in };
		put(desc, len, &at, "%s%s a call (%s, %s of it inside the call%s)",
		    found ? ", " : "", hwt_value_fmt(a, sizeof(a), call, "ns"), ck->what,
		    hwt_value_fmt(b, sizeof(b), in, "ns"), rin > 0 ? ": half, not measured" : "");
		found++;
	}
	if (!found) {
		snprintf(desc, len,
			 "the recording has no measured probe cost (uprobe.call_ns or "
			 "inproc.call_ns): record it again with -b uprobe or -b inproc");
		return HWT_E_NOENT;
	}
	return found;
}

const struct hwt_probe_cost *hwt_probe_cost_of(const struct hwt_probe_costs *c, uint32_t flags)
{
	if (flags & HWT_SLICE_PROBE_UPROBE_SLOW)
		return &c->uprobe_slow;
	if (flags & HWT_SLICE_PROBE_UPROBE)
		return &c->uprobe;
	if (flags & HWT_SLICE_PROBE_INPROC)
		return &c->inproc;
	return &c->none;
}

/* Per-track statistics of counter and object tracks and their tables. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "trackstats.h"

struct hwt_trackstats {
	struct hwt_track_stat *t; /* by track id */
	uint32_t n, cap;
	struct hwt_track_stat none;
};

struct hwt_trackstats *hwt_trackstats_alloc(void)
{
	return calloc(1, sizeof(struct hwt_trackstats));
}

void hwt_trackstats_free(struct hwt_trackstats *s)
{
	if (!s)
		return;
	free(s->t);
	free(s);
}

int hwt_trackstats_event(struct hwt_trackstats *s, const struct hwt_event *ev)
{
	struct hwt_track_stat *t;
	uint32_t id;

	if (!s || !ev)
		return HWT_E_INVAL;
	if (ev->type != HWT_EV_COUNTER && ev->type != HWT_EV_OBJECT)
		return 0;
	id = ev->type == HWT_EV_COUNTER ? ev->counter.track : ev->object.track;
	if (id >= s->n) {
		if (id == UINT32_MAX || HWT_ARRAY_GROW(s->t, &s->cap, id + 1))
			return HWT_E_NOMEM;
		memset(s->t + s->n, 0, (id + 1 - s->n) * sizeof(*s->t));
		s->n = id + 1;
	}
	t = &s->t[id];
	if (ev->type == HWT_EV_COUNTER) {
		double v = ev->counter.value;

		if (!t->n || v < t->min)
			t->min = v;
		if (!t->n || v > t->max)
			t->max = v;
		t->last = v;
	}
	t->n++;
	return 0;
}

const struct hwt_track_stat *hwt_trackstats_get(const struct hwt_trackstats *s, uint32_t track)
{
	if (!s)
		return NULL;
	return track < s->n ? &s->t[track] : &s->none;
}

static void scope(char *buf, size_t len, const struct hwt_track *t)
{
	if (!t->pid)
		snprintf(buf, len, "global");
	else if (!t->tid)
		snprintf(buf, len, "process %u", t->pid);
	else
		snprintf(buf, len, "thread %u/%u", t->pid, t->tid);
}

/* The widest name of the tracks of @kind, at least @least. */
static int name_width(const struct hwt_model *m, uint32_t kind, int least, uint32_t *count)
{
	int w = least;

	*count = 0;
	for (uint32_t i = 1; i < hwt_model_ntracks(m); i++) {
		const struct hwt_track *t = hwt_model_track(m, i);
		int n;

		if (!t || t->kind != kind)
			continue;
		++*count;
		n = (int)strlen(hwt_model_str(m, t->name));
		if (n > w)
			w = n;
	}
	return w;
}

int hwt_trackstats_print(const struct hwt_trackstats *s, const struct hwt_model *m, FILE *out)
{
	uint32_t ncounters, nobjects, i;
	int wc, wo;
	char sc[48];

	if (!s || !m || !out)
		return HWT_E_INVAL;
	wc = name_width(m, HWT_TRACK_COUNTER, 14, &ncounters);
	wo = name_width(m, HWT_TRACK_OBJECT, 14, &nobjects);
	if (ncounters)
		fprintf(out, "# %-*s %-10s %-20s %10s %14s %14s %14s\n", wc, "counter track",
			"unit", "scope", "values", "min", "max", "last");
	for (i = 1; i < hwt_model_ntracks(m); i++) {
		const struct hwt_track *t = hwt_model_track(m, i);
		const struct hwt_track_stat *st = hwt_trackstats_get(s, i);

		if (!t || t->kind != HWT_TRACK_COUNTER)
			continue;
		scope(sc, sizeof(sc), t);
		fprintf(out, "  %-*s %-10s %-20s %10llu", wc, hwt_model_str(m, t->name),
			*hwt_model_str(m, t->unit) ? hwt_model_str(m, t->unit) : "-", sc,
			(unsigned long long)st->n);
		if (st->n)
			fprintf(out, " %14.10g %14.10g %14.10g\n", st->min, st->max, st->last);
		else
			fprintf(out, " %14s %14s %14s\n", "-", "-", "-");
	}
	if (nobjects)
		fprintf(out, "# %-*s %-20s %10s\n", wo, "object track", "scope", "snapshots");
	for (i = 1; i < hwt_model_ntracks(m); i++) {
		const struct hwt_track *t = hwt_model_track(m, i);

		if (!t || t->kind != HWT_TRACK_OBJECT)
			continue;
		scope(sc, sizeof(sc), t);
		fprintf(out, "  %-*s %-20s %10llu\n", wo, hwt_model_str(m, t->name), sc,
			(unsigned long long)hwt_trackstats_get(s, i)->n);
	}
	return (int)(ncounters + nobjects);
}

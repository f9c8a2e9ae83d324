/* Chrome exporter, sampled stacks as a CPU profile: per thread a "Profile" event and then
 * "ProfileChunk" events holding the stack nodes not declared yet (callers first), the samples'
 * leaf nodes and the time between samples in microseconds, the shape of V8's CPU profile that
 * speedscope, Perfetto's JSON importer and Chrome DevTools read. */
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "chrome_internal.h"

/* Samples held per thread before they go out as one chunk: bounds the memory per thread and
 * keeps each event small enough for the importers' tokenizers. */
#define CHUNK_SAMPLES 1000

static struct ch_profile *profile_of(struct hwt_track_thread *t)
{
	return &((struct ch_thread *)hwt_track_thread_data(t))->prof;
}

static void profile_head(struct chrome *c, struct hwt_track_thread *t, const char *name,
			 uint64_t ts, uint32_t id)
{
	ch_event_begin(c, "P", name, t->pid, t->tid, "hwtrace.profile");
	ch_event_ts(c, ts);
	/* Perfetto keys a profile by its id (hex text or a number) and pid; speedscope by id. */
	hwt_outbuf_printf(&c->ob, ",\"id\":\"0x%x\",\"args\":{\"data\":{", id);
}

/* One node of the call tree: its frame's name, its file (the mapping), its caller. */
static void put_node(struct chrome *c, const struct hwt_model *m, uint32_t id, int first)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, id);
	const struct hwt_frame *fr = hwt_model_frame(m, s->frame);
	const struct hwt_mapping *map = fr ? hwt_model_mapping(m, fr->mapping) : NULL;

	ch_put_str(c, first ? "{\"id\":" : ",\n{\"id\":");
	ch_put_u64(c, id);
	ch_put_str(c, ",\"callFrame\":{\"functionName\":");
	ch_put_json_str(c, hwt_model_frame_name(m, s->frame));
	if (map && map->path) {
		ch_put_str(c, ",\"url\":");
		ch_put_json_str(c, hwt_model_str(m, map->path));
	}
	ch_put_str(c, "}");
	if (s->parent) {
		ch_put_str(c, ",\"parent\":");
		ch_put_u64(c, s->parent);
	}
	ch_put_str(c, "}");
}

/* The nodes the held samples need that @p has not declared, each after its caller. */
static int put_new_nodes(struct chrome *c, const struct hwt_model *m, struct ch_profile *p)
{
	size_t i, nout = 0;

	for (i = 0; i < p->n; i++) {
		size_t from = c->nscratch, a, b;
		uint32_t node = p->nodes[i];

		while (node && !hwt_bitset_test(&p->written, node)) {
			const struct hwt_stack_node *s = hwt_model_stack(m, node);

			if (!s)
				return HWT_E_INVAL;
			if (hwt_bitset_set(&p->written, node) ||
			    HWT_ARRAY_GROW(c->scratch, &c->capscratch, c->nscratch + 1))
				return HWT_E_NOMEM;
			c->scratch[c->nscratch++] = node;
			node = s->parent;
		}
		/* Found leaf first: callers go out before their callees. */
		for (a = from, b = c->nscratch; a + 1 < b; a++, b--) {
			uint32_t tmp = c->scratch[a];

			c->scratch[a] = c->scratch[b - 1];
			c->scratch[b - 1] = tmp;
		}
	}
	for (i = 0; i < c->nscratch; i++)
		put_node(c, m, c->scratch[i], !nout++);
	c->nscratch = 0;
	return 0;
}

int ch_profile_flush(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t)
{
	struct ch_profile *p = profile_of(t);
	size_t i;
	int rc;

	if (!p->n)
		return 0;
	/* At the time of its last sample: importers that sort events by time keep it after the
	 * "Profile" event. */
	profile_head(c, t, "ProfileChunk", p->last_ts, p->id);
	ch_put_str(c, "\"cpuProfile\":{\"nodes\":[");
	if ((rc = put_new_nodes(c, m, p)))
		return rc;
	ch_put_str(c, "],\"samples\":[");
	for (i = 0; i < p->n; i++) {
		if (i)
			hwt_outbuf_char(&c->ob, ',');
		ch_put_u64(c, p->nodes[i]);
	}
	ch_put_str(c, "]},\"timeDeltas\":[");
	for (i = 0; i < p->n; i++) {
		if (i)
			hwt_outbuf_char(&c->ob, ',');
		hwt_outbuf_i64(&c->ob, p->deltas[i]);
	}
	ch_put_str(c, "]}}}");
	p->n = 0;
	return 0;
}

int ch_profile_sample(struct chrome *c, const struct hwt_model *m, struct hwt_track_thread *t,
		      const struct hwt_event *ev)
{
	struct ch_profile *p = profile_of(t);
	uint64_t us = ev->ts / 1000;

	if (!p->id) {
		/* startTime in whole microseconds: Perfetto reads it as an integer. */
		p->id = ++c->nprofiles;
		p->last_us = us;
		profile_head(c, t, "Profile", ev->ts, p->id);
		ch_put_str(c, "\"startTime\":");
		ch_put_u64(c, us);
		ch_put_str(c, "}}}");
	}
	if (HWT_ARRAY_GROW(p->nodes, &p->cap, p->n + 1) ||
	    HWT_ARRAY_GROW(p->deltas, &p->capd, p->n + 1))
		return HWT_E_NOMEM;
	p->nodes[p->n] = ev->sample.stack;
	/* Deltas from the rounded times, so that their sum never drifts from the samples' times;
	 * a sample older than the last one (never, in a thread's order) counts as no time. */
	p->deltas[p->n++] = us > p->last_us ? (int64_t)(us - p->last_us) : 0;
	if (us > p->last_us)
		p->last_us = us;
	p->last_ts = ev->ts;
	return p->n >= CHUNK_SAMPLES ? ch_profile_flush(c, m, t) : 0;
}

void ch_profile_fini(struct hwt_track_thread *t)
{
	struct ch_profile *p = profile_of(t);

	hwt_bitset_fini(&p->written);
	free(p->nodes);
	free(p->deltas);
	memset(p, 0, sizeof(*p));
}

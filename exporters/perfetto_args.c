/* The Perfetto exporter's events that carry value trees or links: instants with their
 * arguments, object snapshots on tracks of their own, flows, and the arguments of slices, all
 * written as (nested) debug annotations. */
#include <stdlib.h>

#include "hwtrace/error.h"
#include "perfetto_internal.h"
#include "value_walk.h"

/* A value as a DebugAnnotation: at the top one of the track event's annotations, below it a
 * dict entry (in a map) or an array value (in a list). A container stays open for its items.
 * Perfetto has no null: a null keeps its name and no value. */
static int da_value(void *ctx, const struct hwt_value *v, uint32_t depth, uint32_t index)
{
	struct hwt_pbuf *b = &((struct perfetto *)ctx)->pkt;

	hwt_pbuf_begin(b, !depth   ? TE_DEBUG_ANNOTATIONS
			  : v->key ? DA_DICT_ENTRIES
				   : DA_ARRAY_VALUES);
	if (v->key) /* names are interned on the sequence */
		hwt_pf_annotation_name(ctx, v->key, v->keylen);
	switch (v->tag) {
	case HWT_VAL_FALSE:
	case HWT_VAL_TRUE:
		hwt_pbuf_varint(b, DA_BOOL_VALUE, (uint64_t)v->i);
		break;
	case HWT_VAL_INT:
		hwt_pbuf_varint(b, DA_INT_VALUE, (uint64_t)v->i);
		break;
	case HWT_VAL_DOUBLE:
		hwt_pbuf_double(b, DA_DOUBLE_VALUE, v->d);
		break;
	case HWT_VAL_STRING:
		hwt_pbuf_bytes(b, DA_STRING_VALUE, v->s, v->n);
		break;
	case HWT_VAL_LIST:
	case HWT_VAL_MAP:
		return 0; /* closed by da_end() */
	default:
		break;
	}
	hwt_pbuf_end(b);
	return 0;
}

static int da_end(void *ctx, uint8_t tag, uint32_t depth)
{
	hwt_pbuf_end(&((struct perfetto *)ctx)->pkt);
	return 0;
}

static const struct hwt_value_walk_ops da_ops = {
	.value = da_value,
	.end = da_end,
};

int hwt_pf_annotations(struct perfetto *p, const uint8_t *args, size_t len)
{
	uint32_t index = 0;

	return hwt_value_walk_args(args, len, &da_ops, p, &index);
}

int hwt_pf_slice_annotations(struct perfetto *p, struct hwt_track_thread *t,
			     struct hwt_open_slice *s)
{
	uint32_t index = 0;

	return hwt_slice_args_walk(t, s, &da_ops, p, &index);
}

/* Starts an instant on @uuid of @seq named after string @name (interned; "" gives @dflt). */
static int instant_begin(struct perfetto *p, const struct hwt_model *m, struct pf_seq *seq,
			 uint64_t ts, uint64_t uuid, uint32_t name, const char *dflt)
{
	hwt_pf_packet_begin(p, seq, ts);
	hwt_pf_track_event_begin(p, TYPE_INSTANT, uuid);
	if (name)
		hwt_pbuf_varint(&p->pkt, TE_NAME_IID, hwt_pf_name_iid(p, m, name));
	else
		hwt_pbuf_string(&p->pkt, TE_NAME, dflt);
	return 0;
}

int hwt_pf_instant(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct pf_seq *seq;
	uint64_t uuid;
	int rc;

	if ((rc = hwt_pf_track_of(p, m, ev->pid, ev->tid, ev->ts, &uuid, &seq)) ||
	    (rc = instant_begin(p, m, seq, ev->ts, uuid, ev->instant.name, "instant")) ||
	    (rc = hwt_pf_annotations(p, ev->instant.args, ev->instant.args_len)))
		return rc;
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

int hwt_pf_object(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr = hwt_model_track(m, ev->object.track);
	uint64_t uuid = UUID_OBJECT(ev->object.track);
	int rc;

	if (!tr || tr->kind != HWT_TRACK_OBJECT)
		return HWT_E_INVAL;
	if (!hwt_bitset_test(&p->tracks, ev->object.track)) {
		if ((rc = hwt_pf_track_begin(p, m, tr, uuid, ev->ts)))
			return rc;
		hwt_pbuf_end(&p->pkt);
		if ((rc = hwt_pf_packet_flush(p)) ||
		    (rc = hwt_bitset_set(&p->tracks, ev->object.track)))
			return rc;
	}
	if ((rc = instant_begin(p, m, &p->main, ev->ts, uuid, tr->name, "object")) ||
	    (rc = hwt_pf_annotations(p, ev->object.value, ev->object.len)))
		return rc;
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

int hwt_pf_flow(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct pf_seq *seq;
	uint64_t uuid;
	int rc;

	if (ev->flow.phase < HWT_FLOW_OUT || ev->flow.phase > HWT_FLOW_IN)
		return HWT_E_INVAL;
	if ((rc = hwt_pf_track_of(p, m, ev->pid, ev->tid, ev->ts, &uuid, &seq)) ||
	    (rc = instant_begin(p, m, seq, ev->ts, uuid, ev->flow.name, "flow")))
		return rc;
	/* Flow ids are global in a trace: out and step continue the flow, in ends it. */
	hwt_pbuf_fixed64(&p->pkt,
			 ev->flow.phase == HWT_FLOW_IN ? TE_TERMINATING_FLOW_IDS : TE_FLOW_IDS,
			 ev->flow.id);
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

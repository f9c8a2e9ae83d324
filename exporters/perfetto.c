/* Perfetto exporter: the event stream as a native Perfetto protobuf trace, written packet by
 * packet, each thread's events on a packet sequence of its own (incremental timestamps, interned
 * names, its track by default) and the rest on a main one. This file: process, thread, counter
 * and global tracks, slices, and the exporter's hooks. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "perfetto_internal.h"
#include "builtin.h"

/* The clock declaration, then the packet that opens the main sequence. Times are
 * CLOCK_MONOTONIC: the snapshot makes it the trace's clock, so nothing is converted. */
static int write_header(struct perfetto *p, uint64_t ts)
{
	int rc;

	p->started = 1;
	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_reset(&p->intern);
	p->needs = 0;
	hwt_pbuf_begin(&p->pkt, PKT_CLOCK_SNAPSHOT);
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_MONOTONIC_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_end(&p->pkt);
	/* The offset to BOOTTIME (time suspended) is not recorded: take it as zero. */
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_BOOTTIME_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_varint(&p->pkt, SNAP_PRIMARY_CLOCK, CLOCK_MONOTONIC_ID);
	hwt_pbuf_end(&p->pkt);
	if ((rc = hwt_pf_packet_flush(p)))
		return rc;
	/* The main sequence opens here, so that even an empty trace has it. */
	hwt_pf_packet_begin(p, &p->main, ts);
	return p->err;
}

static int describe_process(struct perfetto *p, const struct hwt_model *m, uint32_t pid,
			    uint32_t name, uint64_t ts)
{
	uint32_t *slot = hwt_idmap_put(&p->procs, pid, NULL);

	if (!slot)
		return HWT_E_NOMEM;
	*slot = 1;
	hwt_pf_packet_begin(p, &p->main, ts);
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
	hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_PROCESS(pid));
	hwt_pbuf_begin(&p->pkt, TD_PROCESS);
	hwt_pbuf_varint(&p->pkt, PD_PID, pid);
	if (name)
		hwt_pbuf_string(&p->pkt, PD_NAME, hwt_model_str(m, name));
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

static int need_process(struct perfetto *p, const struct hwt_model *m, uint32_t pid, uint64_t ts)
{
	if (hwt_idmap_find(&p->procs, pid))
		return 0;
	return describe_process(p, m, pid, HWT_NONE, ts);
}

static int describe_thread(struct perfetto *p, const struct hwt_model *m, uint32_t pid,
			   uint32_t tid, uint32_t name, uint64_t ts)
{
	int rc = need_process(p, m, pid, ts);

	if (rc)
		return rc;
	hwt_pf_packet_begin(p, &p->main, ts);
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
	hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_THREAD(pid, tid));
	hwt_pbuf_varint(&p->pkt, TD_PARENT_UUID, UUID_PROCESS(pid));
	hwt_pbuf_begin(&p->pkt, TD_THREAD);
	hwt_pbuf_varint(&p->pkt, THD_PID, pid);
	hwt_pbuf_varint(&p->pkt, THD_TID, tid);
	if (name)
		hwt_pbuf_string(&p->pkt, THD_NAME, hwt_model_str(m, name));
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

/* The thread (pid, tid), described on first sight; NULL when out of memory or on a write
 * error (*@rc set). */
static struct hwt_track_thread *thread_get(struct perfetto *p, const struct hwt_model *m,
					   uint32_t pid, uint32_t tid, uint32_t name, uint64_t ts,
					   int *rc)
{
	struct hwt_track_thread *t = p->last;
	struct pf_thread *pt;

	/* Runs of events of one thread are the rule: look it up only when it changes. */
	if (!t || t->pid != pid || t->tid != tid)
		t = hwt_slice_track_thread(p->track, pid, tid, 1);
	*rc = HWT_E_NOMEM;
	if (!t)
		return NULL;
	p->last = t;
	pt = hwt_track_thread_data(t);
	if (!pt->described) {
		pt->described = 1;
		pt->name = name;
		hwt_pf_seq_init(p, &pt->seq, UUID_TRACK(pid, tid));
		*rc = tid ? describe_thread(p, m, pid, tid, name, ts) : need_process(p, m, pid, ts);
		if (*rc)
			return NULL;
	}
	*rc = 0;
	return t;
}

int hwt_pf_track_of(struct perfetto *p, const struct hwt_model *m, uint32_t pid, uint32_t tid,
		    uint64_t ts, uint64_t *uuid, struct pf_seq **seq)
{
	struct hwt_track_thread *t;
	int rc = 0;

	*seq = &p->main;
	if (!pid) {
		/* Global: a track of no process, described once. */
		*uuid = UUID_GLOBAL;
		if (p->global)
			return 0;
		hwt_pf_packet_begin(p, &p->main, ts);
		hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
		hwt_pbuf_varint(&p->pkt, TD_UUID, UUID_GLOBAL);
		hwt_pbuf_string(&p->pkt, TD_NAME, "global");
		hwt_pbuf_end(&p->pkt);
		p->global = 1;
		return hwt_pf_packet_flush(p);
	}
	*uuid = UUID_TRACK(pid, tid);
	if (!tid)
		return need_process(p, m, pid, ts);
	if (!(t = thread_get(p, m, pid, tid, HWT_NONE, ts, &rc)))
		return rc;
	*seq = &((struct pf_thread *)hwt_track_thread_data(t))->seq;
	return 0;
}

void hwt_pf_track_event_begin(struct perfetto *p, unsigned type, uint64_t uuid)
{
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_EVENT);
	hwt_pbuf_varint(&p->pkt, TE_TYPE, type);
	if (uuid != p->seq->track)
		hwt_pbuf_varint(&p->pkt, TE_TRACK_UUID, uuid);
}

static int slice_begin(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s)
{
	struct perfetto *p = ctx;
	struct pf_seq *seq = &((struct pf_thread *)hwt_track_thread_data(t))->seq;
	const struct hwt_frame *f = hwt_model_frame(p->m, s->frame);
	uint32_t name = f ? f->name : HWT_NONE, iid;

	/* The common case, a name already interned here, no time going back: by hand. */
	if (name && name < p->capiids && (iid = p->iids[name]) &&
	    hwt_bitset_test(&seq->named, iid) && seq->open && s->begin >= seq->last_ts)
		return hwt_pf_fast_slice(p, seq, s->begin, iid);
	hwt_pf_packet_begin(p, seq, s->begin);
	hwt_pf_track_event_begin(p, TYPE_SLICE_BEGIN, UUID_TRACK(t->pid, t->tid));
	if (name)
		hwt_pbuf_varint(&p->pkt, TE_NAME_IID, hwt_pf_name_iid(p, p->m, name));
	else
		hwt_pbuf_string(&p->pkt, TE_NAME, "[unknown]");
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

static int slice_end(void *ctx, struct hwt_track_thread *t, struct hwt_open_slice *s, uint64_t ts,
		     uint32_t flags)
{
	struct perfetto *p = ctx;
	struct pf_seq *seq = &((struct pf_thread *)hwt_track_thread_data(t))->seq;
	int rc;

	if (!(flags & HWT_SLICE_UNFINISHED) && seq->open && ts >= seq->last_ts &&
	    !hwt_slice_args_any(t, s))
		return hwt_pf_fast_slice(p, seq, ts, 0);
	hwt_pf_packet_begin(p, seq, ts);
	hwt_pf_track_event_begin(p, TYPE_SLICE_END, UUID_TRACK(t->pid, t->tid));
	/* The slice's arguments: trace processor merges those of its end into it. */
	if ((rc = hwt_pf_slice_annotations(p, t, s)))
		return rc;
	if (flags & HWT_SLICE_UNFINISHED) { /* its return was never seen, as inspect says */
		hwt_pbuf_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
		hwt_pf_annotation_name(p, "unfinished", strlen("unfinished"));
		hwt_pbuf_varint(&p->pkt, DA_BOOL_VALUE, 1);
		hwt_pbuf_end(&p->pkt);
	}
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

static const struct hwt_slice_track_ops pf_track_ops = {
	.begin = slice_begin,
	.end = slice_end,
	.keep_args = 1,
};

/* An instant named @text (not interned) on @uuid of @seq, with the argument @key = @value if
 * @key. */
static int instant_text(struct perfetto *p, struct pf_seq *seq, uint64_t ts, uint64_t uuid,
			const char *text, const char *key, int64_t value)
{
	hwt_pf_packet_begin(p, seq, ts);
	hwt_pf_track_event_begin(p, TYPE_INSTANT, uuid);
	hwt_pbuf_string(&p->pkt, TE_NAME, text);
	if (key) {
		hwt_pbuf_begin(&p->pkt, TE_DEBUG_ANNOTATIONS);
		hwt_pf_annotation_name(p, key, strlen(key));
		hwt_pbuf_varint(&p->pkt, DA_INT_VALUE, (uint64_t)value);
		hwt_pbuf_end(&p->pkt);
	}
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

static int process_exit(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	char text[64];
	const char *sig = hwt_signal_name(ev->exit.signal);
	uint64_t uuid = UUID_PROCESS(ev->pid);
	struct pf_seq *seq = &p->main;
	struct hwt_track_thread *t;
	int rc;

	if ((rc = need_process(p, m, ev->pid, ev->ts)))
		return rc;
	/* The process is gone: so are its threads' open calls. */
	if ((rc = hwt_slice_track_event(p->track, ev)))
		return rc;
	if (ev->tid && (t = hwt_slice_track_thread(p->track, ev->pid, ev->tid, 0)) &&
	    ((struct pf_thread *)hwt_track_thread_data(t))->described) {
		uuid = UUID_THREAD(ev->pid, ev->tid);
		seq = &((struct pf_thread *)hwt_track_thread_data(t))->seq;
	}
	if (ev->exit.signal) {
		if (sig)
			snprintf(text, sizeof(text), "crash: %s", sig);
		else
			snprintf(text, sizeof(text), "crash: signal %d", ev->exit.signal);
		return instant_text(p, seq, ev->ts, uuid, text, "signal", ev->exit.signal);
	}
	snprintf(text, sizeof(text), "exit %d", ev->exit.status);
	return instant_text(p, seq, ev->ts, uuid, text, "status", ev->exit.status);
}

int hwt_pf_track_begin(struct perfetto *p, const struct hwt_model *m, const struct hwt_track *tr,
		       uint64_t uuid, uint64_t ts)
{
	uint64_t parent = 0;
	struct pf_seq *seq;
	int rc;

	/* Its thread or process first, in packets of their own: the packet is started again. */
	if (tr->pid && (rc = hwt_pf_track_of(p, m, tr->pid, tr->tid, ts, &parent, &seq)))
		return rc;
	hwt_pf_packet_begin(p, &p->main, ts);
	hwt_pbuf_begin(&p->pkt, PKT_TRACK_DESCRIPTOR);
	hwt_pbuf_varint(&p->pkt, TD_UUID, uuid);
	if (parent)
		hwt_pbuf_varint(&p->pkt, TD_PARENT_UUID, parent);
	hwt_pbuf_string(&p->pkt, TD_NAME, hwt_model_str(m, tr->name));
	return 0;
}

static unsigned counter_unit(const char *unit)
{
	if (!strcmp(unit, "nanoseconds") || !strcmp(unit, "ns"))
		return UNIT_TIME_NS;
	if (!strcmp(unit, "count"))
		return UNIT_COUNT;
	if (!strcmp(unit, "bytes"))
		return UNIT_SIZE_BYTES;
	return 0;
}

static int counter(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_track *tr = hwt_model_track(m, ev->counter.track);
	double v = ev->counter.value;
	int rc;

	if (!tr || tr->kind != HWT_TRACK_COUNTER)
		return HWT_E_INVAL;
	if (!hwt_bitset_test(&p->tracks, ev->counter.track)) {
		const char *unit = hwt_model_str(m, tr->unit);
		unsigned u = counter_unit(unit);

		if ((rc = hwt_pf_track_begin(p, m, tr, UUID_COUNTER(ev->counter.track), ev->ts)))
			return rc;
		hwt_pbuf_begin(&p->pkt, TD_COUNTER);
		if (u)
			hwt_pbuf_varint(&p->pkt, CD_UNIT, u);
		else if (*unit)
			hwt_pbuf_string(&p->pkt, CD_UNIT_NAME, unit);
		hwt_pbuf_end(&p->pkt);
		hwt_pbuf_end(&p->pkt);
		if ((rc = hwt_pf_packet_flush(p)) ||
		    (rc = hwt_bitset_set(&p->tracks, ev->counter.track)))
			return rc;
	}
	hwt_pf_packet_begin(p, &p->main, ev->ts);
	hwt_pf_track_event_begin(p, TYPE_COUNTER, UUID_COUNTER(ev->counter.track));
	if (v > -9.2e18 && v < 9.2e18 && v == (double)(int64_t)v) /* range first: see chrome.c */
		hwt_pbuf_varint(&p->pkt, TE_COUNTER_VALUE, (uint64_t)(int64_t)v);
	else
		hwt_pbuf_double(&p->pkt, TE_DOUBLE_COUNTER_VALUE, v);
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

static struct hwt_exporter *pf_create(const struct hwt_export_config *cfg,
				      const struct hwt_model *m, int *err, char *why, size_t whylen)
{
	struct perfetto *p =
		hwt_exporter_alloc(sizeof(*p), &hwt_perfetto_exporter, cfg, m, err, why, whylen);

	if (!p)
		return NULL;
	p->track = hwt_slice_track_alloc(&pf_track_ops, p, sizeof(struct pf_thread));
	if (!p->track) {
		free(p);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	p->out = cfg->out;
	hwt_pbuf_init(&p->pkt);
	hwt_pbuf_init(&p->intern);
	hwt_pf_seq_init(p, &p->main, 0);
	p->seq = &p->main;
	*err = 0;
	return &p->base;
}

static int pf_event(struct hwt_exporter *e, const struct hwt_model *m, const struct hwt_event *ev)
{
	struct perfetto *p;
	struct hwt_track_thread *t;
	struct pf_thread *pt;
	struct pf_seq *seq;
	char text[48];
	uint64_t uuid;
	int rc;

	if (!e || !m || !ev)
		return HWT_E_INVAL;
	p = container_of(e, struct perfetto, base);
	p->m = m;
	if (!p->started && (rc = write_header(p, ev->ts)))
		return rc;
	switch (ev->type) {
	case HWT_EV_PROCESS:
		return describe_process(p, m, ev->pid, ev->proc.name, ev->ts);
	case HWT_EV_THREAD:
		if (!(t = thread_get(p, m, ev->pid, ev->tid, ev->thread.name, ev->ts, &rc)))
			return rc;
		pt = hwt_track_thread_data(t);
		if (pt->name == ev->thread.name || !ev->tid)
			return 0;
		/* Seen before under another name: describing it again renames it. */
		pt->name = ev->thread.name;
		return describe_thread(p, m, ev->pid, ev->tid, ev->thread.name, ev->ts);
	case HWT_EV_THREAD_EXIT:
	case HWT_EV_SLICE_BEGIN:
	case HWT_EV_SLICE_END:
		/* A slice's thread is described before it. */
		if (!thread_get(p, m, ev->pid, ev->tid, HWT_NONE, ev->ts, &rc))
			return rc;
		return hwt_slice_track_event(p->track, ev);
	case HWT_EV_PROCESS_EXIT:
		return process_exit(p, m, ev);
	case HWT_EV_SLICE_ARGS:
		/* Kept with the slice until its end, where they are written. */
		return hwt_slice_track_event(p->track, ev);
	case HWT_EV_SAMPLE:
		return hwt_pf_sample(p, m, ev);
	case HWT_EV_COUNTER:
		return counter(p, m, ev);
	case HWT_EV_INSTANT:
		return hwt_pf_instant(p, m, ev);
	case HWT_EV_OBJECT:
		return hwt_pf_object(p, m, ev);
	case HWT_EV_FLOW:
		return hwt_pf_flow(p, m, ev);
	case HWT_EV_LOST:
		if ((rc = hwt_pf_track_of(p, m, ev->pid, ev->tid, ev->ts, &uuid, &seq)))
			return rc;
		if (ev->lost.count)
			snprintf(text, sizeof(text), "lost %" PRIu64 " records", ev->lost.count);
		else
			snprintf(text, sizeof(text), "lost records");
		return instant_text(p, seq, ev->ts, uuid, text, "count", (int64_t)ev->lost.count);
	}
	return 0;
}

static int pf_finish(struct hwt_exporter *e, const struct hwt_model *m)
{
	struct perfetto *p;
	int rc;

	if (!e || !m)
		return HWT_E_INVAL;
	p = container_of(e, struct perfetto, base);
	/* An empty stream still makes a valid trace. */
	if (!p->started && (rc = write_header(p, 0)))
		return rc;
	if (hwt_pf_out_flush(p))
		return p->err;
	if (fflush(p->out) || ferror(p->out))
		return HWT_E_IO;
	return 0;
}

static void pf_destroy(struct hwt_exporter *e)
{
	struct perfetto *p;
	uint32_t i;

	if (!e)
		return;
	p = container_of(e, struct perfetto, base);
	hwt_pbuf_fini(&p->pkt);
	hwt_pbuf_fini(&p->intern);
	free(p->obuf);
	free(p->iids);
	hwt_pf_seq_fini(&p->main);
	for (i = 0; i < hwt_slice_track_nthreads(p->track); i++) {
		struct pf_thread *pt = hwt_track_thread_data(hwt_slice_track_at(p->track, i));

		hwt_pf_seq_fini(&pt->seq);
	}
	hwt_slice_track_free(p->track);
	hwt_idmap_fini(&p->procs);
	hwt_bitset_fini(&p->fnames);
	hwt_bitset_fini(&p->frames);
	hwt_bitset_fini(&p->stacks);
	hwt_bitset_fini(&p->maps);
	hwt_bitset_fini(&p->build_ids);
	hwt_bitset_fini(&p->paths);
	hwt_bitset_fini(&p->tracks);
	free(p->path);
	free(p);
}

const struct hwt_exporter_ops hwt_perfetto_exporter = {
	.abi = HWT_EXPORTER_ABI,
	.size = sizeof(struct hwt_exporter_ops),
	.name = "perfetto",
	.exts = ".pftrace .perfetto-trace",
	.summary = "Perfetto trace: timeline, counters and CPU profile (ui.perfetto.dev)",
	.create = pf_create,
	.event = pf_event,
	.finish = pf_finish,
	.destroy = pf_destroy,
};

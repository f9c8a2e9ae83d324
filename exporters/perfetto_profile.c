/* The Perfetto exporter's samples: perf samples with their callstacks, frames and mappings
 * interned on the sequence, each once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "perfetto_internal.h"

/* Build ids are lower-case hex in the model; Perfetto wants the raw bytes. */
static void put_build_id(struct hwt_pbuf *b, const char *hex)
{
	uint8_t raw[64];
	size_t len = strlen(hex), i;

	if (len % 2 || len / 2 > sizeof(raw)) {
		hwt_pbuf_string(b, INTERNED_STR, hex);
		return;
	}
	for (i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
			hwt_pbuf_string(b, INTERNED_STR, hex);
			return;
		}
		raw[i] = (uint8_t)v;
	}
	hwt_pbuf_bytes(b, INTERNED_STR, raw, len / 2);
}

/* Interns mapping @id (with its path and build id) in the open InternedData. */
static int intern_mapping(struct perfetto *p, const struct hwt_model *m, uint32_t id)
{
	const struct hwt_mapping *map = hwt_model_mapping(m, id);
	const char *path;
	int rc;

	if (!map)
		return HWT_E_INVAL;
	if (map->build_id && !hwt_bitset_test(&p->build_ids, map->build_id)) {
		hwt_pbuf_begin(&p->intern, ID_BUILD_IDS);
		hwt_pbuf_varint(&p->intern, IID, map->build_id);
		put_build_id(&p->intern, hwt_model_str(m, map->build_id));
		hwt_pbuf_end(&p->intern);
		if ((rc = hwt_bitset_set(&p->build_ids, map->build_id)))
			return rc;
	}
	/* Perfetto joins path components with '/' in front of each: one component holding the
	 * path without its leading slash gives the path back. */
	if (map->path && !hwt_bitset_test(&p->paths, map->path)) {
		path = hwt_model_str(m, map->path);
		hwt_pbuf_begin(&p->intern, ID_MAPPING_PATHS);
		hwt_pbuf_varint(&p->intern, IID, map->path);
		hwt_pbuf_string(&p->intern, INTERNED_STR, path + (*path == '/'));
		hwt_pbuf_end(&p->intern);
		if ((rc = hwt_bitset_set(&p->paths, map->path)))
			return rc;
	}
	hwt_pbuf_begin(&p->intern, ID_MAPPINGS);
	hwt_pbuf_varint(&p->intern, IID, id);
	if (map->build_id)
		hwt_pbuf_varint(&p->intern, MAP_BUILD_ID, map->build_id);
	hwt_pbuf_varint(&p->intern, MAP_EXACT_OFFSET, map->pgoff);
	hwt_pbuf_varint(&p->intern, MAP_START_OFFSET, map->pgoff);
	hwt_pbuf_varint(&p->intern, MAP_START, map->start);
	hwt_pbuf_varint(&p->intern, MAP_END, map->end);
	if (map->path)
		hwt_pbuf_varint(&p->intern, MAP_PATH_IDS, map->path);
	hwt_pbuf_end(&p->intern);
	return hwt_bitset_set(&p->maps, id);
}

/* A stand-in mapping for kernel or unknown frames, which the model leaves unmapped. */
static void intern_pseudo_mapping(struct perfetto *p, uint64_t iid, const char *name)
{
	hwt_pbuf_begin(&p->intern, ID_MAPPING_PATHS);
	hwt_pbuf_varint(&p->intern, IID, iid);
	hwt_pbuf_string(&p->intern, INTERNED_STR, name);
	hwt_pbuf_end(&p->intern);
	hwt_pbuf_begin(&p->intern, ID_MAPPINGS);
	hwt_pbuf_varint(&p->intern, IID, iid);
	hwt_pbuf_varint(&p->intern, MAP_PATH_IDS, iid);
	hwt_pbuf_end(&p->intern);
}

static int intern_frame(struct perfetto *p, const struct hwt_model *m, uint32_t id)
{
	const struct hwt_frame *f = hwt_model_frame(m, id);
	uint64_t map_iid;
	int rc;

	if (!f)
		return HWT_E_INVAL;
	if (f->name && !hwt_bitset_test(&p->fnames, f->name)) {
		hwt_pbuf_begin(&p->intern, ID_FUNCTION_NAMES);
		hwt_pbuf_varint(&p->intern, IID, f->name);
		hwt_pbuf_string(&p->intern, INTERNED_STR, hwt_model_str(m, f->name));
		hwt_pbuf_end(&p->intern);
		if ((rc = hwt_bitset_set(&p->fnames, f->name)))
			return rc;
	}
	if (f->mapping) {
		map_iid = f->mapping;
		if (!hwt_bitset_test(&p->maps, f->mapping) &&
		    (rc = intern_mapping(p, m, f->mapping)))
			return rc;
	} else {
		int kernel = f->kind == HWT_FRAME_KERNEL;

		map_iid = kernel ? PSEUDO_MAP_KERNEL : PSEUDO_MAP_UNKNOWN;
		if (!(p->pseudo_maps & (kernel ? 1 : 2))) {
			intern_pseudo_mapping(p, map_iid,
					      kernel ? "[kernel.kallsyms]" : "[unknown]");
			p->pseudo_maps |= kernel ? 1 : 2;
		}
	}
	hwt_pbuf_begin(&p->intern, ID_FRAMES);
	hwt_pbuf_varint(&p->intern, IID, id);
	if (f->name)
		hwt_pbuf_varint(&p->intern, FRAME_FUNCTION_NAME, f->name);
	hwt_pbuf_varint(&p->intern, FRAME_MAPPING, map_iid);
	hwt_pbuf_varint(&p->intern, FRAME_REL_PC, f->addr);
	hwt_pbuf_varint(&p->intern, FRAME_KIND,
			f->kind == HWT_FRAME_KERNEL ? FRAME_KIND_KERNEL : FRAME_KIND_NATIVE);
	hwt_pbuf_end(&p->intern);
	return hwt_bitset_set(&p->frames, id);
}

/* Interns the callstack of node @leaf and whatever it needs, in the open packet. */
static int intern_callstack(struct perfetto *p, const struct hwt_model *m, uint32_t leaf)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, leaf);
	uint32_t depth = s ? s->depth : 0, n, node, i;
	int rc;

	if (!s)
		return HWT_E_INVAL;
	if (depth > p->cappath) {
		uint32_t *np = realloc(p->path, depth * sizeof(*np));

		if (!np)
			return HWT_E_NOMEM;
		p->path = np;
		p->cappath = depth;
	}
	for (n = depth, node = leaf; n && (s = hwt_model_stack(m, node)); node = s->parent)
		p->path[--n] = s->frame;
	for (i = n; i < depth; i++)
		if (!hwt_bitset_test(&p->frames, p->path[i]) &&
		    (rc = intern_frame(p, m, p->path[i])))
			return rc;
	hwt_pbuf_begin(&p->intern, ID_CALLSTACKS);
	hwt_pbuf_varint(&p->intern, IID, leaf);
	/* Outermost frame first. */
	for (i = n; i < depth; i++)
		hwt_pbuf_varint(&p->intern, CALLSTACK_FRAMES, p->path[i]);
	hwt_pbuf_end(&p->intern);
	return hwt_bitset_set(&p->stacks, leaf);
}

int hwt_pf_sample(struct perfetto *p, const struct hwt_model *m, const struct hwt_event *ev)
{
	const struct hwt_stack_node *s = hwt_model_stack(m, ev->sample.stack);
	const struct hwt_frame *leaf = s ? hwt_model_frame(m, s->frame) : NULL;
	struct pf_seq *seq;
	uint64_t uuid;
	int rc;

	if ((rc = hwt_pf_track_of(p, m, ev->pid, ev->tid, ev->ts, &uuid, &seq)))
		return rc;
	if (!s)
		return 0; /* an empty stack says nothing a profile can show */
	/* On the main sequence, where the callstacks are interned. */
	hwt_pf_packet_begin(p, &p->main, ev->ts);
	p->needs = 1;
	if (!hwt_bitset_test(&p->stacks, ev->sample.stack) &&
	    (rc = intern_callstack(p, m, ev->sample.stack)))
		return rc;
	hwt_pbuf_begin(&p->pkt, PKT_PERF_SAMPLE);
	hwt_pbuf_varint(&p->pkt, PS_PID, ev->pid);
	hwt_pbuf_varint(&p->pkt, PS_TID, ev->tid);
	hwt_pbuf_varint(&p->pkt, PS_CALLSTACK, ev->sample.stack);
	hwt_pbuf_varint(&p->pkt, PS_CPU_MODE,
			leaf && leaf->kind == HWT_FRAME_KERNEL ? MODE_KERNEL : MODE_USER);
	hwt_pbuf_end(&p->pkt);
	return hwt_pf_packet_flush(p);
}

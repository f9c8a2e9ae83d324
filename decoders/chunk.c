/* Reading the chunks of a recording: the plugin streams they declare, the records of the rings
 * and streams split and queued for their turn, and what the other chunks tell the model. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"

struct source *hwt_dec_source(struct hwt_decoder *d, uint64_t id)
{
	for (uint32_t i = 0; i < d->nsources; i++)
		if (d->sources[i].id == id)
			return &d->sources[i];
	return NULL;
}

static struct source *source_by_name(struct hwt_decoder *d, const char *name, size_t len)
{
	for (uint32_t i = 0; i < d->nsources; i++)
		if (strlen(d->sources[i].ops->name) == len &&
		    !memcmp(d->sources[i].ops->name, name, len))
			return &d->sources[i];
	return NULL;
}

/* A HWT_CHUNK_SOURCE: the stream gets the decoder of its name; streams nobody here decodes
 * are skipped, like unknown chunks. */
static int add_source(struct hwt_decoder *d, const void *data, size_t len)
{
	struct hwt_source_desc sd;

	if (len < sizeof(sd) + 1 || ((const char *)data)[len - 1])
		return 0;
	memcpy(&sd, data, sizeof(sd));
	const char *name = (const char *)data + sizeof(sd);
	for (const struct hwt_source_ops *const *o = hwt_source_decoders; *o; o++) {
		if (strcmp((*o)->name, name) || hwt_dec_source(d, sd.id))
			continue;
		struct source *ns = realloc(d->sources, (d->nsources + 1) * sizeof(*ns));
		if (!ns)
			return HWT_E_NOMEM;
		d->sources = ns;
		void *st = (*o)->create(d, sd.id);
		if (!st)
			return HWT_E_NOMEM;
		d->sources[d->nsources++] = (struct source){ .id = sd.id, .ops = *o, .st = st };
	}
	return 0;
}

int hwt_dec_read_stream(struct hwt_decoder *d, const uint8_t *p, size_t len)
{
	/* Runs never span chunks: nothing is taken from a run while records are added to it, and
	 * one that ends is recycled whole, never moved up. Within the chunk a run goes on from
	 * item to item while the records keep their order (one thread's drains follow each
	 * other). */
	d->cur = NULL;
	while (len >= sizeof(struct hwt_stream_item)) {
		struct hwt_stream_item hd;
		memcpy(&hd, p, sizeof(hd));
		p += sizeof(hd);
		len -= sizeof(hd);
		if (hd.len > len)
			return 0; /* damaged: the CRC passed, so this is a writer bug; stop here */
		if (hd.ts > d->q_round_cur) {
			d->q_round_prev = d->q_round_cur;
			d->q_round_cur = hd.ts;
		}
		int err = 0;
		if (hd.kind == HWT_ITEM_READ && hd.len >= 8) {
			err = hwt_dec_queue(d, hd.ts, hd.cpu, HWT_ITEM_READ, hd.id, p, hd.len);
		} else if (hd.kind == HWT_ITEM_SOURCE) {
			struct source *src = hwt_dec_source(d, hd.id);
			if (src)
				err = src->ops->split(src->st, hd.ts, p, hd.len);
		} else if (hd.kind == HWT_ITEM_RING) {
			for (uint32_t off = 0;
			     off + sizeof(struct perf_event_header) <= hd.len && !err;) {
				const struct perf_event_header *h = (const void *)(p + off);
				if (h->size < sizeof(*h) || h->size % 8 || off + h->size > hd.len)
					break;
				uint64_t hint;
				uint64_t ts =
					hwt_perf_record_time(d, p + off, h->size, hd.ts, &hint);
				/* A sample's event and checks go with it: its parse at its turn
				 * does neither again. */
				void *to = hwt_dec_queue_next(d, ts, hd.cpu, HWT_ITEM_RING, hint,
							      h->size);
				if (to)
					memcpy(to, p + off, h->size);
				else
					err = HWT_E_NOMEM;
				off += h->size;
			}
		}
		if (err)
			return err;
		size_t adv = (hd.len + 7) & ~(size_t)7;
		if (adv > len)
			adv = len;
		p += adv;
		len -= adv;
	}
	return 0;
}

int hwt_dec_apply_chunk(struct hwt_decoder *d, uint32_t type, const void *data, size_t len)
{
	switch (type) {
	case HWT_CHUNK_META: {
		const char *k = data, *v = memchr(data, 0, len);
		if (v && memchr(v + 1, 0, len - (size_t)(v + 1 - k)))
			hwt_model_set_meta(d->m, k, v + 1);
		if (v && !strcmp(k, "pid"))
			d->target_pid = (uint32_t)strtoul(v + 1, NULL, 10);
		return 0;
	}
	case HWT_CHUNK_EVENTS: {
		size_t n = len / sizeof(struct hwt_event_desc);
		struct hwt_event_desc *nd = realloc(d->descs, (d->ndescs + n + 1) * sizeof(*nd));
		if (!nd)
			return HWT_E_NOMEM;
		memcpy(nd + d->ndescs, data, n * sizeof(*nd));
		for (size_t i = d->ndescs; i < d->ndescs + n; i++) {
			nd[i].name[sizeof(nd[i].name) - 1] = 0;
			nd[i].plugin[sizeof(nd[i].plugin) - 1] = 0;
		}
		d->descs = nd;
		d->ndescs += n;
		if (!d->weights_ready) {
			d->weights_ready = 1;
			return hwt_perf_declare_weights(d);
		}
		return 0;
	}
	case HWT_CHUNK_STREAM:
		return hwt_dec_read_stream(d, data, len);
	case HWT_CHUNK_PROC_MAPS: {
		if (len < 8)
			return 0;
		uint32_t pid = *(const uint32_t *)data;
		char *text = strndup((const char *)data + 8, len - 8), *save = NULL;
		if (!text)
			return HWT_E_NOMEM;
		for (char *line = strtok_r(text, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			unsigned long long s, e, off;
			char perms[8];
			int pos = 0;
			if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off,
				   &pos) < 4 ||
			    !pos || !strchr(perms, 'x'))
				continue;
			struct hwt_map_info mi = {
				.start = s, .end = e, .pgoff = off, .path = line + pos
			};
			if (*mi.path)
				hwt_symbolizer_add_map(d->sym, pid, &mi);
		}
		free(text);
		return 0;
	}
	case HWT_CHUNK_SOURCE:
		return add_source(d, data, len);
	case HWT_CHUNK_PLUGIN: {
		uint32_t nl;
		if (len < 4)
			return 0;
		memcpy(&nl, data, 4);
		if (nl > len - 4)
			return 0;
		struct source *src = source_by_name(d, (const char *)data + 4, nl);
		return src ? src->ops->chunk(src->st, (const char *)data + 4 + nl, len - 4 - nl)
			   : 0;
	}
	case HWT_CHUNK_NOTE: {
		char msg[512];
		snprintf(msg, sizeof(msg), "%.*s", (int)len, (const char *)data);
		d->stats.notes++;
		if (d->cfg.on_note)
			d->cfg.on_note(msg, d->cfg.ctx);
		return 0;
	}
	case HWT_CHUNK_END:
		if (len < sizeof(struct hwt_end_rec))
			return 0;
		memcpy(&d->stats.end, data, sizeof(d->stats.end));
		d->stats.have_end = 1;
		return hwt_dec_queue(d, UINT64_MAX, -1, 0, 0, data, len);
	default:
		return 0; /* unknown chunk types are skipped: newer writers, older readers */
	}
}

int hwt_dec_read_chunk(struct hwt_decoder *d)
{
	uint32_t type;
	const void *data;
	size_t len;

	if (d->pipe)
		return hwt_pipe_next(d);
	int n = hwt_store_read(d->r, &type, &data, &len);
	if (n <= 0) {
		d->input_done = 1;
		return n;
	}
	n = hwt_dec_apply_chunk(d, type, data, len);
	d->round_cur = d->q_round_cur;
	d->round_prev = d->q_round_prev;
	return n;
}

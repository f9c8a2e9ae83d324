/* The Perfetto exporter's packets and packet sequences: the output buffer, each sequence's
 * first packet (incremental state cleared, defaults, its incremental clock), timestamps as
 * deltas on that clock, interned event and debug annotation names, and the hand-laid packet of
 * a slice begin or end, the bulk of a trace. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "perfetto_internal.h"

/* Output is written in pieces of about this size. */
#define OUT_CHUNK (1u << 20)

int hwt_pf_out_flush(struct perfetto *p)
{
	if (p->olen && !p->err && fwrite(p->obuf, 1, p->olen, p->out) != p->olen)
		p->err = HWT_E_IO;
	p->olen = 0;
	return p->err;
}

uint8_t *hwt_pf_out(struct perfetto *p, size_t n)
{
	if (p->ocap - p->olen < n) {
		if (hwt_pf_out_flush(p))
			return NULL;
		if (p->ocap < n) {
			size_t cap = n > OUT_CHUNK ? n : OUT_CHUNK;
			uint8_t *b = realloc(p->obuf, cap);

			if (!b) {
				p->err = HWT_E_NOMEM;
				return NULL;
			}
			p->obuf = b;
			p->ocap = cap;
		}
	}
	return p->obuf + p->olen;
}

void hwt_pf_seq_init(struct perfetto *p, struct pf_seq *s, uint64_t track)
{
	*s = (struct pf_seq){ .id = ++p->nseqs, .track = track };
}

void hwt_pf_seq_fini(struct pf_seq *s)
{
	hwt_bitset_fini(&s->named);
	hwt_idmap_fini(&s->keys.map);
	free(s->keys.ent);
	free(s->keys.chars);
}

/* The first packet of @s: its incremental state starts here, its packets' timestamps are on
 * its own incremental clock (@ts at this snapshot, as on CLOCK_MONOTONIC, so deltas add up to
 * CLOCK_MONOTONIC times), its track events on its track unless they say otherwise. */
static void seq_open(struct perfetto *p, struct pf_seq *s, uint64_t ts)
{
	int rc;

	s->open = 1;
	s->last_ts = ts;
	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_reset(&p->intern);
	p->needs = 0;
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_ID, s->id);
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_FLAGS, SEQ_INCREMENTAL_STATE_CLEARED);
	hwt_pbuf_varint(&p->pkt, PKT_FIRST_ON_SEQUENCE, 1);
	hwt_pbuf_begin(&p->pkt, PKT_DEFAULTS);
	hwt_pbuf_varint(&p->pkt, DEFAULTS_CLOCK_ID, CLOCK_SEQ_DELTA_ID);
	if (s->track) {
		hwt_pbuf_begin(&p->pkt, DEFAULTS_TRACK_EVENT);
		hwt_pbuf_varint(&p->pkt, TED_TRACK_UUID, s->track);
		hwt_pbuf_end(&p->pkt);
	}
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_begin(&p->pkt, PKT_CLOCK_SNAPSHOT);
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_SEQ_DELTA_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_varint(&p->pkt, CLOCK_IS_INCREMENTAL, 1);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_begin(&p->pkt, SNAP_CLOCKS);
	hwt_pbuf_varint(&p->pkt, CLOCK_ID, CLOCK_MONOTONIC_ID);
	hwt_pbuf_varint(&p->pkt, CLOCK_TIMESTAMP, ts);
	hwt_pbuf_end(&p->pkt);
	hwt_pbuf_end(&p->pkt);
	if ((rc = hwt_pf_packet_flush(p)) && !p->err)
		p->err = rc;
}

void hwt_pf_packet_begin(struct perfetto *p, struct pf_seq *s, uint64_t ts)
{
	assert(s->id); /* set up by hwt_pf_seq_init() */
	if (!s->open)
		seq_open(p, s, ts);
	hwt_pbuf_reset(&p->pkt);
	hwt_pbuf_reset(&p->intern);
	p->needs = 0;
	p->seq = s;
	if (ts >= s->last_ts) {
		hwt_pbuf_varint(&p->pkt, PKT_TIMESTAMP, ts - s->last_ts);
		s->last_ts = ts;
	} else {
		/* Before the sequence's latest packet: an absolute time, which leaves the
		 * incremental clock where it was. */
		hwt_pbuf_varint(&p->pkt, PKT_TIMESTAMP, ts);
		hwt_pbuf_varint(&p->pkt, PKT_TIMESTAMP_CLOCK_ID, CLOCK_MONOTONIC_ID);
	}
	hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_ID, s->id);
}

int hwt_pf_packet_flush(struct perfetto *p)
{
	uint8_t *o;
	size_t len;
	int rc;

	/* One InternedData per packet: a second would replace the first. */
	if (p->intern.len) {
		hwt_pbuf_bytes(&p->pkt, PKT_INTERNED_DATA, p->intern.data, p->intern.len);
		p->needs = 1;
	}
	if (p->needs)
		hwt_pbuf_varint(&p->pkt, PKT_SEQUENCE_FLAGS, SEQ_NEEDS_INCREMENTAL_STATE);
	if (p->err)
		return p->err;
	if ((rc = hwt_pbuf_error(&p->intern)) || (rc = hwt_pbuf_error(&p->pkt)))
		return rc;
	len = p->pkt.len;
	if (!(o = hwt_pf_out(p, len + 11)))
		return p->err;
	*o = TRACE_PACKET << 3 | 2;
	o = hwt_pbuf_put_varint(o + 1, len);
	memcpy(o, p->pkt.data, len);
	p->olen = (size_t)(o + len - p->obuf);
	return 0;
}

uint64_t hwt_pf_name_iid(struct perfetto *p, const struct hwt_model *m, uint32_t name)
{
	struct pf_seq *s = p->seq;
	uint32_t old = p->capiids, iid;

	if (name >= old) {
		if (HWT_ARRAY_GROW(p->iids, &p->capiids, (size_t)name + 1)) {
			p->err = p->err ? p->err : HWT_E_NOMEM;
			return 0;
		}
		memset(p->iids + old, 0, (p->capiids - old) * sizeof(*p->iids));
	}
	if (!(iid = p->iids[name]))
		iid = p->iids[name] = ++p->niids;
	p->needs = 1;
	if (hwt_bitset_test(&s->named, iid))
		return iid;
	/* New on this sequence: defined in this packet. */
	if (hwt_bitset_set(&s->named, iid)) {
		p->err = p->err ? p->err : HWT_E_NOMEM;
		return 0;
	}
	hwt_pbuf_begin(&p->intern, ID_EVENT_NAMES);
	hwt_pbuf_varint(&p->intern, IID, iid);
	hwt_pbuf_string(&p->intern, INTERNED_STR, hwt_model_str(m, name));
	hwt_pbuf_end(&p->intern);
	return iid;
}

/* FNV-1a of @len bytes at @b. */
static uint64_t hash_bytes(const char *b, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (len--)
		h = (h ^ (uint8_t)*b++) * 0x100000001b3ull;
	return h;
}

/* The iid of annotation name @key (@len bytes) on @s, added if new (*@added set); 0 when it
 * cannot be interned: out of memory, too long, or its hash taken by another name. */
static uint32_t key_iid(struct pf_seq *s, const char *key, size_t len, int *added)
{
	struct pf_keys *k = &s->keys;
	int created;
	uint32_t *v;

	*added = 0;
	if (len > UINT32_MAX / 2 || !(v = hwt_idmap_put(&k->map, hash_bytes(key, len), &created)))
		return 0;
	if (!created) {
		const struct pf_key *e = *v ? &k->ent[*v - 1] : NULL;

		return e && e->len == len && !memcmp(k->chars + e->off, key, len) ? *v : 0;
	}
	if (HWT_ARRAY_GROW(k->ent, &k->cap, k->n + 1) ||
	    HWT_ARRAY_GROW(k->chars, &k->capchars, k->nchars + len) || k->nchars + len > UINT32_MAX)
		return 0; /* the slot stays 0: never interned */
	memcpy(k->chars + k->nchars, key, len);
	k->ent[k->n] = (struct pf_key){ .off = (uint32_t)k->nchars, .len = (uint32_t)len };
	k->nchars += len;
	*v = ++k->n;
	*added = 1;
	return *v;
}

void hwt_pf_annotation_name(struct perfetto *p, const char *key, size_t len)
{
	int added;
	uint32_t iid = key_iid(p->seq, key, len, &added);

	if (!iid) {
		hwt_pbuf_bytes(&p->pkt, DA_NAME, key, len);
		return;
	}
	p->needs = 1;
	if (added) {
		hwt_pbuf_begin(&p->intern, ID_DEBUG_ANNOTATION_NAMES);
		hwt_pbuf_varint(&p->intern, IID, iid);
		hwt_pbuf_bytes(&p->intern, INTERNED_STR, key, len);
		hwt_pbuf_end(&p->intern);
	}
	hwt_pbuf_varint(&p->pkt, DA_NAME_IID, iid);
}

int hwt_pf_fast_slice(struct perfetto *p, struct pf_seq *s, uint64_t ts, uint64_t iid)
{
	uint8_t *o = hwt_pf_out(p, 64), *b, *te;

	assert(s->id && s->open);
	if (!o)
		return p->err;
	/* TracePacket: timestamp (a delta), sequence, [flags], TrackEvent { type, [name_iid] };
	 * every part under 128 bytes, so each length is one byte. */
	b = o + 2;
	*b++ = PKT_TIMESTAMP << 3;
	b = hwt_pbuf_put_varint(b, ts - s->last_ts);
	*b++ = PKT_SEQUENCE_ID << 3;
	b = hwt_pbuf_put_varint(b, s->id);
	if (iid) {
		*b++ = PKT_SEQUENCE_FLAGS << 3;
		*b++ = SEQ_NEEDS_INCREMENTAL_STATE;
	}
	*b++ = PKT_TRACK_EVENT << 3 | 2;
	te = b++;
	*b++ = TE_TYPE << 3;
	*b++ = iid ? TYPE_SLICE_BEGIN : TYPE_SLICE_END;
	if (iid) {
		*b++ = TE_NAME_IID << 3;
		b = hwt_pbuf_put_varint(b, iid);
	}
	*te = (uint8_t)(b - te - 1);
	o[0] = TRACE_PACKET << 3 | 2;
	o[1] = (uint8_t)(b - o - 2);
	p->olen += (size_t)(b - o);
	s->last_ts = ts;
	return 0;
}

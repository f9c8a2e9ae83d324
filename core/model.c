/* The event model's tables: strings in stable chunks, frames, mappings and stack-tree nodes in
 * growable arrays, each interned through an open-addressing hash table. */
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"
#include "model.h"
#include "redact.h"
#include "util.h"

/* Strings are copied into chunks that never move, so hwt_model_str() pointers stay valid. */
#define STR_CHUNK_SIZE (64u * 1024u)
/* Ids are uint32_t and returned in an int64_t; keep one value spare for "count". */
#define ID_MAX (UINT32_MAX - 1u)

struct str_chunk {
	struct str_chunk *next;
	size_t used, size;
	char data[];
};

struct str_entry {
	const char *s;
	uint32_t len;
	uint32_t hash;
};

/* A slot of the string table: id 0 marks an empty slot (HWT_NONE is never stored). */
struct str_slot {
	uint32_t id;
	uint32_t hash;
};

/* A slot of the stack table keeps the key inline: a lookup touches one cache line. */
struct stack_slot {
	uint32_t parent;
	uint32_t frame;
	uint32_t id;
};

struct meta_entry {
	uint32_t key;
	uint32_t value; /* as shown */
	char *raw;	/* owned: a path value as recorded (hwt_redact_meta_kind()), else NULL */
};

struct hwt_model {
	struct str_chunk *chunks;
	struct str_entry *strs;
	uint32_t nstrs, strs_cap;
	struct str_slot *str_tab;
	uint32_t str_mask;

	struct hwt_frame *frames;
	uint32_t nframes, frames_cap;
	uint32_t *frame_tab;
	uint32_t frame_mask;

	struct hwt_mapping *maps;
	uint32_t nmaps, maps_cap;
	uint32_t *map_tab;
	uint32_t map_mask;

	struct hwt_stack_node *stacks;
	uint32_t nstacks, stacks_cap;
	struct stack_slot *stack_tab;
	uint32_t stack_mask, stack_shift; /* 2^(64 - stack_shift) == stack_mask + 1 */

	struct hwt_track *tracks;
	uint32_t ntracks, tracks_cap;

	struct hwt_weight_desc *weights;
	uint32_t nweights, weights_cap;
	uint32_t default_weight;

	struct meta_entry *meta;
	uint32_t nmeta, meta_cap;

	/* Redaction (hwt_model_set_redaction()): on unless turned off; the root given, else the
	 * recording's (its "project_root" metadata); relative paths from its "cwd". Owned. */
	int no_redact;
	char *root, *rec_root, *rec_cwd;
	struct hwt_idmap frame_files; /* frame id -> string id of its function's source file */
};

static uint32_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 0x9e3779b97f4a7c15ull ^ len;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, s + i, 8);
		h = hwt_mix64(h ^ w) + 0x9e3779b97f4a7c15ull;
	}
	if (i < len) {
		uint64_t w = 0;

		memcpy(&w, s + i, len - i);
		h = hwt_mix64(h ^ w);
	}
	return (uint32_t)hwt_mix64(h);
}

static inline uint32_t hash_u64(uint64_t x)
{
	return (uint32_t)hwt_mix64(x);
}

/* Grows the array at *@arr (elements of @size bytes) so that index @n fits. */
static int grow(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	if (n >= ID_MAX)
		return HWT_E_NOMEM;
	ncap = *cap ? *cap : 16;
	while (ncap <= n)
		ncap = ncap > UINT32_MAX / 2 ? UINT32_MAX : ncap * 2;
	p = realloc(*arr, (size_t)ncap * size);
	if (!p)
		return HWT_E_NOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define GROW(arr, cap, n) grow((void **)&(arr), &(cap), (n), sizeof(*(arr)))

/* True when a table of @mask + 1 slots holding @n entries needs to double (load > 1/2). */
static inline int tab_full(uint32_t mask, uint32_t n)
{
	return mask == 0 || (uint64_t)n * 2 >= (uint64_t)mask + 1;
}

static uint32_t frame_hash(const struct hwt_frame *f)
{
	return hash_u64(f->addr ^ ((uint64_t)f->name << 32 | f->mapping) * 0x9e3779b97f4a7c15ull ^
			f->kind ^ (uint64_t)f->flags << 8);
}

static int frame_eq(const struct hwt_frame *a, const struct hwt_frame *b)
{
	return a->name == b->name && a->mapping == b->mapping && a->addr == b->addr &&
	       a->kind == b->kind && a->flags == b->flags;
}

static uint32_t map_hash(const struct hwt_mapping *m)
{
	return hash_u64(m->start * 0x9e3779b97f4a7c15ull ^ m->pgoff ^
			((uint64_t)m->path << 32 | m->build_id));
}

static int map_eq(const struct hwt_mapping *a, const struct hwt_mapping *b)
{
	return a->path == b->path && a->build_id == b->build_id && a->start == b->start &&
	       a->pgoff == b->pgoff;
}

/* The home slot of (@parent, @frame) in a stack table of 2^(64 - @shift) slots: the top bits of
 * one multiplication (Fibonacci hashing), the cheapest hash that spreads the keys (node and
 * frame ids, both small and dense) well; a slice begin's interning is this and a probe or two. */
static inline uint32_t stack_home(uint32_t parent, uint32_t frame, uint32_t shift)
{
	return (uint32_t)((((uint64_t)parent << 32 | frame) * 0x9e3779b97f4a7c15ull) >> shift);
}

struct hwt_model *hwt_model_alloc(void)
{
	struct hwt_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	/* Slot 0 of every interned table is HWT_NONE. */
	if (GROW(m->strs, m->strs_cap, 0) || GROW(m->frames, m->frames_cap, 0) ||
	    GROW(m->maps, m->maps_cap, 0) || GROW(m->stacks, m->stacks_cap, 0) ||
	    GROW(m->tracks, m->tracks_cap, 0)) {
		hwt_model_free(m);
		return NULL;
	}
	m->strs[0] = (struct str_entry){ .s = "", .len = 0 };
	m->frames[0] = (struct hwt_frame){ 0 };
	m->maps[0] = (struct hwt_mapping){ 0 };
	m->stacks[0] = (struct hwt_stack_node){ 0 };
	m->tracks[0] = (struct hwt_track){ 0 };
	m->nstrs = m->nframes = m->nmaps = m->nstacks = m->ntracks = 1;
	return m;
}

void hwt_model_free(struct hwt_model *m)
{
	struct str_chunk *c, *next;

	if (!m)
		return;
	for (c = m->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(m->strs);
	free(m->str_tab);
	free(m->frames);
	free(m->frame_tab);
	free(m->maps);
	free(m->map_tab);
	free(m->stacks);
	free(m->stack_tab);
	free(m->tracks);
	free(m->weights);
	for (uint32_t i = 0; i < m->nmeta; i++)
		free(m->meta[i].raw);
	free(m->meta);
	free(m->root);
	free(m->rec_root);
	free(m->rec_cwd);
	hwt_idmap_fini(&m->frame_files);
	free(m);
}

/* Copies @len bytes plus a NUL into stable storage; NULL on allocation failure. */
static const char *str_store(struct hwt_model *m, const char *s, size_t len)
{
	struct str_chunk *c = m->chunks;
	char *p;

	if (!c || c->size - c->used < len + 1) {
		size_t size = len + 1 > STR_CHUNK_SIZE / 4 ? len + 1 : STR_CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (!c)
			return NULL;
		c->used = 0;
		c->size = size;
		/* A one-off big string goes behind the current chunk, which keeps filling. */
		if (size != STR_CHUNK_SIZE && m->chunks) {
			c->next = m->chunks->next;
			m->chunks->next = c;
		} else {
			c->next = m->chunks;
			m->chunks = c;
		}
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = '\0';
	c->used += len + 1;
	return p;
}

static int str_rehash(struct hwt_model *m)
{
	uint32_t nsize = m->str_mask ? (m->str_mask + 1) * 2 : 1024;
	struct str_slot *tab = calloc(nsize, sizeof(*tab));
	uint32_t i;

	if (!tab)
		return HWT_E_NOMEM;
	for (i = 1; i < m->nstrs; i++) {
		uint32_t h = m->strs[i].hash, j = h & (nsize - 1);

		while (tab[j].id)
			j = (j + 1) & (nsize - 1);
		tab[j] = (struct str_slot){ .id = i, .hash = h };
	}
	free(m->str_tab);
	m->str_tab = tab;
	m->str_mask = nsize - 1;
	return 0;
}

int64_t hwt_model_intern_strn(struct hwt_model *m, const char *s, size_t len)
{
	uint32_t h, j, id;
	const char *copy;

	if (!m || (!s && len))
		return HWT_E_INVAL;
	if (len == 0)
		return HWT_NONE;
	if (len >= UINT32_MAX)
		return HWT_E_NOMEM;
	if (tab_full(m->str_mask, m->nstrs) && str_rehash(m))
		return HWT_E_NOMEM;
	h = hash_bytes(s, len);
	for (j = h & m->str_mask; m->str_tab[j].id; j = (j + 1) & m->str_mask) {
		const struct str_entry *e = &m->strs[m->str_tab[j].id];

		if (m->str_tab[j].hash == h && e->len == len && !memcmp(e->s, s, len))
			return m->str_tab[j].id;
	}
	if (GROW(m->strs, m->strs_cap, m->nstrs))
		return HWT_E_NOMEM;
	copy = str_store(m, s, len);
	if (!copy)
		return HWT_E_NOMEM;
	id = m->nstrs++;
	m->strs[id] = (struct str_entry){ .s = copy, .len = (uint32_t)len, .hash = h };
	m->str_tab[j] = (struct str_slot){ .id = id, .hash = h };
	return id;
}

int64_t hwt_model_intern_str(struct hwt_model *m, const char *s)
{
	if (!s)
		return HWT_E_INVAL;
	return hwt_model_intern_strn(m, s, strlen(s));
}

/* Rebuilds an id table (frames or mappings) at twice the size, hashing with @hash. */
static int ids_rehash(uint32_t **tabp, uint32_t *maskp, uint32_t n, const void *arr, size_t size,
		      uint32_t (*hash)(const void *))
{
	uint32_t nsize = *maskp ? (*maskp + 1) * 2 : 1024;
	uint32_t *tab = calloc(nsize, sizeof(*tab));
	uint32_t i;

	if (!tab)
		return HWT_E_NOMEM;
	for (i = 1; i < n; i++) {
		uint32_t j = hash((const char *)arr + (size_t)i * size) & (nsize - 1);

		while (tab[j])
			j = (j + 1) & (nsize - 1);
		tab[j] = i;
	}
	free(*tabp);
	*tabp = tab;
	*maskp = nsize - 1;
	return 0;
}

static uint32_t frame_hash_v(const void *p)
{
	return frame_hash(p);
}

static uint32_t map_hash_v(const void *p)
{
	return map_hash(p);
}

int64_t hwt_model_intern_frame(struct hwt_model *m, const struct hwt_frame *f)
{
	uint32_t j, id;

	if (!m || !f || f->name >= m->nstrs || f->mapping >= m->nmaps)
		return HWT_E_INVAL;
	if (tab_full(m->frame_mask, m->nframes) &&
	    ids_rehash(&m->frame_tab, &m->frame_mask, m->nframes, m->frames, sizeof(*m->frames),
		       frame_hash_v))
		return HWT_E_NOMEM;
	for (j = frame_hash(f) & m->frame_mask; m->frame_tab[j]; j = (j + 1) & m->frame_mask)
		if (frame_eq(&m->frames[m->frame_tab[j]], f))
			return m->frame_tab[j];
	if (GROW(m->frames, m->frames_cap, m->nframes))
		return HWT_E_NOMEM;
	id = m->nframes++;
	m->frames[id] = *f;
	m->frame_tab[j] = id;
	return id;
}

int64_t hwt_model_intern_mapping(struct hwt_model *m, const struct hwt_mapping *map)
{
	uint32_t j, id;

	if (!m || !map || map->path >= m->nstrs || map->build_id >= m->nstrs)
		return HWT_E_INVAL;
	if (tab_full(m->map_mask, m->nmaps) &&
	    ids_rehash(&m->map_tab, &m->map_mask, m->nmaps, m->maps, sizeof(*m->maps), map_hash_v))
		return HWT_E_NOMEM;
	for (j = map_hash(map) & m->map_mask; m->map_tab[j]; j = (j + 1) & m->map_mask)
		if (map_eq(&m->maps[m->map_tab[j]], map))
			return m->map_tab[j];
	if (GROW(m->maps, m->maps_cap, m->nmaps))
		return HWT_E_NOMEM;
	id = m->nmaps++;
	m->maps[id] = *map;
	m->map_tab[j] = id;
	return id;
}

static int stack_rehash(struct hwt_model *m)
{
	uint32_t nsize = m->stack_mask ? (m->stack_mask + 1) * 2 : 4096, shift = 64, i;
	struct stack_slot *tab = calloc(nsize, sizeof(*tab));

	if (!tab)
		return HWT_E_NOMEM;
	while ((1ull << (64 - shift)) < nsize)
		shift--;
	for (i = 1; i < m->nstacks; i++) {
		const struct hwt_stack_node *n = &m->stacks[i];
		uint32_t j = stack_home(n->parent, n->frame, shift);

		while (tab[j].id)
			j = (j + 1) & (nsize - 1);
		tab[j] = (struct stack_slot){ .parent = n->parent, .frame = n->frame, .id = i };
	}
	free(m->stack_tab);
	m->stack_tab = tab;
	m->stack_mask = nsize - 1;
	m->stack_shift = shift;
	return 0;
}

int64_t hwt_model_intern_stack(struct hwt_model *m, uint32_t parent, uint32_t frame)
{
	uint32_t j, id;

	if (!m || parent >= m->nstacks || frame == HWT_NONE || frame >= m->nframes)
		return HWT_E_INVAL;
	if (tab_full(m->stack_mask, m->nstacks) && stack_rehash(m))
		return HWT_E_NOMEM;
	for (j = stack_home(parent, frame, m->stack_shift); m->stack_tab[j].id;
	     j = (j + 1) & m->stack_mask) {
		const struct stack_slot *s = &m->stack_tab[j];

		if (s->parent == parent && s->frame == frame)
			return s->id;
	}
	if (GROW(m->stacks, m->stacks_cap, m->nstacks))
		return HWT_E_NOMEM;
	id = m->nstacks++;
	m->stacks[id] = (struct hwt_stack_node){
		.parent = parent,
		.frame = frame,
		.depth = m->stacks[parent].depth + 1,
	};
	m->stack_tab[j] = (struct stack_slot){ .parent = parent, .frame = frame, .id = id };
	return id;
}

int64_t hwt_model_slice_node(struct hwt_model *m, uint32_t *cur, enum hwt_event_type type,
			     uint32_t frame)
{
	uint32_t node = *cur;

	if (type == HWT_EV_SLICE_BEGIN) {
		int64_t id = hwt_model_intern_stack(m, node, frame);
		if (id > 0)
			*cur = (uint32_t)id;
		return id;
	}
	*cur = node && node < m->nstacks ? m->stacks[node].parent : HWT_NONE;
	return node;
}

int64_t hwt_model_add_track(struct hwt_model *m, const struct hwt_track *t)
{
	uint32_t id;

	if (!m || !t || t->name >= m->nstrs || t->unit >= m->nstrs)
		return HWT_E_INVAL;
	if (GROW(m->tracks, m->tracks_cap, m->ntracks))
		return HWT_E_NOMEM;
	id = m->ntracks++;
	m->tracks[id] = *t;
	return id;
}

int hwt_model_add_weight(struct hwt_model *m, const char *name, const char *unit)
{
	int64_t n, u;

	if (!m || !name || !*name || !unit)
		return HWT_E_INVAL;
	if (hwt_model_find_weight(m, name) >= 0)
		return HWT_E_INVAL;
	if (m->nweights >= INT32_MAX || GROW(m->weights, m->weights_cap, m->nweights))
		return HWT_E_NOMEM;
	n = hwt_model_intern_str(m, name);
	if (n < 0)
		return (int)n;
	u = hwt_model_intern_str(m, unit);
	if (u < 0)
		return (int)u;
	m->weights[m->nweights] =
		(struct hwt_weight_desc){ .name = (uint32_t)n, .unit = (uint32_t)u };
	return (int)m->nweights++;
}

/* ---- redaction (core/redact.h) ---- */

static const char *redact_root(const struct hwt_model *m)
{
	return m->root ? m->root : m->rec_root;
}

/* @raw, a value of metadata of kind @kind, as shown: interned, its id or a negative error. */
static int64_t meta_shown(struct hwt_model *m, enum hwt_redact_meta kind, const char *raw)
{
	/* Room for each word made relative to the root from the working directory. */
	size_t n = strlen(raw), cap = n + (n / 2 + 1) * (strlen(m->rec_cwd ? m->rec_cwd : "") + 32);
	char *buf;
	int64_t id;

	if (m->no_redact || kind == HWT_META_PLAIN)
		return hwt_model_intern_str(m, raw);
	if (kind == HWT_META_HIDDEN)
		return hwt_model_intern_str(m, "(recorded; shown with --no-redact)");
	if (!(buf = malloc(cap)))
		return HWT_E_NOMEM;
	if (kind == HWT_META_CMDLINE)
		hwt_redact_cmdline(redact_root(m), m->rec_cwd, raw, buf, cap);
	else
		hwt_redact_path(redact_root(m), m->rec_cwd, raw, strlen(raw),
				kind == HWT_META_PROGRAM ? HWT_REDACT_BASENAME : HWT_REDACT_BARE,
				buf, cap);
	id = hwt_model_intern_str(m, buf);
	free(buf);
	return id;
}

/* The path metadata shown again, after the root changed. */
static int meta_reshow(struct hwt_model *m)
{
	for (uint32_t i = 0; i < m->nmeta; i++) {
		struct meta_entry *e = &m->meta[i];
		if (!e->raw)
			continue;
		int64_t v = meta_shown(m, hwt_redact_meta_kind(m->strs[e->key].s), e->raw);
		if (v < 0)
			return (int)v;
		e->value = (uint32_t)v;
	}
	return 0;
}

int hwt_model_set_redaction(struct hwt_model *m, int redact, const char *root)
{
	char *copy = root ? strdup(root) : NULL;

	if (!m || (root && root[0] != '/')) {
		free(copy);
		return HWT_E_INVAL;
	}
	if (root && !copy)
		return HWT_E_NOMEM;
	free(m->root);
	m->root = copy;
	m->no_redact = !redact;
	return meta_reshow(m);
}

int hwt_model_redacting(const struct hwt_model *m)
{
	return m && !m->no_redact;
}

static int64_t intern_path_as(struct hwt_model *m, const char *path, size_t len,
			      enum hwt_redact_kind kind)
{
	if (!m || (!path && len))
		return HWT_E_INVAL;
	if (m->no_redact || !len)
		return hwt_model_intern_strn(m, path, len);
	size_t cap = len + strlen(m->rec_cwd ? m->rec_cwd : "") + 64;
	char *buf = malloc(cap);
	if (!buf)
		return HWT_E_NOMEM;
	hwt_redact_path(redact_root(m), m->rec_cwd, path, len, kind, buf, cap);
	int64_t id = hwt_model_intern_str(m, buf);
	free(buf);
	return id;
}

int64_t hwt_model_intern_path(struct hwt_model *m, const char *path, size_t len)
{
	return intern_path_as(m, path, len, HWT_REDACT_BARE);
}

int64_t hwt_model_intern_mapped_path(struct hwt_model *m, const char *path, size_t len)
{
	return intern_path_as(m, path, len, HWT_REDACT_BASENAME);
}

int hwt_model_set_frame_file(struct hwt_model *m, uint32_t frame, uint32_t file)
{
	if (!m || !frame || frame >= m->nframes || file >= m->nstrs)
		return HWT_E_INVAL;
	uint32_t *v = hwt_idmap_put(&m->frame_files, frame, NULL);
	if (!v)
		return HWT_E_NOMEM;
	*v = file;
	return 0;
}

uint32_t hwt_model_frame_file(const struct hwt_model *m, uint32_t frame)
{
	const uint32_t *v = m ? hwt_idmap_find(&m->frame_files, frame) : NULL;

	return v ? *v : HWT_NONE;
}

/* The recording's root and working directory, kept from its metadata. */
static int meta_note_dirs(struct hwt_model *m, const char *key, const char *value)
{
	char **slot = !strcmp(key, "project_root") ? &m->rec_root
		      : !strcmp(key, "cwd")	   ? &m->rec_cwd
						   : NULL;

	if (!slot || value[0] != '/')
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return HWT_E_NOMEM;
	free(*slot);
	*slot = copy;
	return 1;
}

int hwt_model_set_meta(struct hwt_model *m, const char *key, const char *value)
{
	int64_t k, v;
	uint32_t i;
	enum hwt_redact_meta kind;
	char *raw = NULL;
	int dirs;

	if (!m || !key || !*key || !value)
		return HWT_E_INVAL;
	kind = hwt_redact_meta_kind(key);
	if (kind != HWT_META_PLAIN && !(raw = strdup(value)))
		return HWT_E_NOMEM;
	if ((dirs = meta_note_dirs(m, key, value)) < 0) {
		free(raw);
		return dirs;
	}
	/* Old values stay in the string table, so earlier hwt_model_meta() pointers stay valid. */
	k = hwt_model_intern_str(m, key);
	v = k < 0 ? k : meta_shown(m, kind, value);
	if (v < 0) {
		free(raw);
		return (int)v;
	}
	for (i = 0; i < m->nmeta; i++) {
		if (m->meta[i].key == k) {
			m->meta[i].value = (uint32_t)v;
			free(m->meta[i].raw);
			m->meta[i].raw = raw;
			return dirs ? meta_reshow(m) : 0;
		}
	}
	if (GROW(m->meta, m->meta_cap, m->nmeta)) {
		free(raw);
		return HWT_E_NOMEM;
	}
	m->meta[m->nmeta++] =
		(struct meta_entry){ .key = (uint32_t)k, .value = (uint32_t)v, .raw = raw };
	return dirs ? meta_reshow(m) : 0;
}

const char *hwt_model_str(const struct hwt_model *m, uint32_t id)
{
	if (!m || id >= m->nstrs)
		return "";
	return m->strs[id].s;
}

const struct hwt_frame *hwt_model_frame(const struct hwt_model *m, uint32_t id)
{
	if (!m || id == HWT_NONE || id >= m->nframes)
		return NULL;
	return &m->frames[id];
}

const char *hwt_model_frame_name(const struct hwt_model *m, uint32_t id)
{
	const struct hwt_frame *f = hwt_model_frame(m, id);

	return f && f->name ? hwt_model_str(m, f->name) : "[unknown]";
}

const struct hwt_mapping *hwt_model_mapping(const struct hwt_model *m, uint32_t id)
{
	if (!m || id == HWT_NONE || id >= m->nmaps)
		return NULL;
	return &m->maps[id];
}

const struct hwt_stack_node *hwt_model_stack(const struct hwt_model *m, uint32_t id)
{
	if (!m || id == HWT_NONE || id >= m->nstacks)
		return NULL;
	return &m->stacks[id];
}

const struct hwt_track *hwt_model_track(const struct hwt_model *m, uint32_t id)
{
	if (!m || id == HWT_NONE || id >= m->ntracks)
		return NULL;
	return &m->tracks[id];
}

const struct hwt_weight_desc *hwt_model_weight(const struct hwt_model *m, uint32_t index)
{
	if (!m || index >= m->nweights)
		return NULL;
	return &m->weights[index];
}

uint32_t hwt_model_nweights(const struct hwt_model *m)
{
	return m ? m->nweights : 0;
}

int hwt_model_set_default_weight(struct hwt_model *m, uint32_t index)
{
	if (!m || index >= m->nweights)
		return HWT_E_INVAL;
	m->default_weight = index;
	return 0;
}

uint32_t hwt_model_default_weight(const struct hwt_model *m)
{
	return m ? m->default_weight : 0;
}

int hwt_model_find_weight(const struct hwt_model *m, const char *name)
{
	uint32_t i;

	if (!m || !name)
		return -1;
	for (i = 0; i < m->nweights; i++)
		if (!strcmp(m->strs[m->weights[i].name].s, name))
			return (int)i;
	return -1;
}

const char *hwt_model_meta(const struct hwt_model *m, const char *key)
{
	uint32_t i;

	if (!m || !key)
		return NULL;
	for (i = 0; i < m->nmeta; i++)
		if (!strcmp(m->strs[m->meta[i].key].s, key))
			return m->strs[m->meta[i].value].s;
	return NULL;
}

void hwt_model_meta_foreach(const struct hwt_model *m,
			    void (*fn)(const char *key, const char *value, void *ctx), void *ctx)
{
	uint32_t i;

	if (!m || !fn)
		return;
	for (i = 0; i < m->nmeta; i++)
		fn(m->strs[m->meta[i].key].s, m->strs[m->meta[i].value].s, ctx);
}

uint32_t hwt_model_nstrs(const struct hwt_model *m)
{
	return m ? m->nstrs : 0;
}

uint32_t hwt_model_nframes(const struct hwt_model *m)
{
	return m ? m->nframes : 0;
}

uint32_t hwt_model_nmappings(const struct hwt_model *m)
{
	return m ? m->nmaps : 0;
}

uint32_t hwt_model_nstacks(const struct hwt_model *m)
{
	return m ? m->nstacks : 0;
}

uint32_t hwt_model_ntracks(const struct hwt_model *m)
{
	return m ? m->ntracks : 0;
}

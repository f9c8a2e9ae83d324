/* Tag rules and the tagger: each stack node's chain of tags computed once (cached by node and
 * thread tag) and interned in the model as frames named by the tags. */
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "hwtrace/error.h"
#include "tags.h"

struct rule {
	enum hwt_tag_kind kind;
	char *tag;
	regex_t re;
};

struct hwt_tag_rules {
	struct rule *rule;
	size_t n, cap;
};

struct hwt_tag_rules *hwt_tag_rules_alloc(void)
{
	return calloc(1, sizeof(struct hwt_tag_rules));
}

void hwt_tag_rules_free(struct hwt_tag_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rule[i].tag);
		regfree(&r->rule[i].re);
	}
	free(r->rule);
	free(r);
}

size_t hwt_tag_rules_count(const struct hwt_tag_rules *r)
{
	return r ? r->n : 0;
}

static const struct {
	const char *name;
	enum hwt_tag_kind kind;
} kinds[] = {
	{ "function", HWT_TAG_FUNCTION },
	{ "library", HWT_TAG_LIBRARY },
	{ "thread", HWT_TAG_THREAD },
	{ "file", HWT_TAG_FILE },
};

int hwt_tag_rules_need_sources(const struct hwt_tag_rules *r)
{
	for (size_t i = 0; r && i < r->n; i++)
		if (r->rule[i].kind == HWT_TAG_FILE)
			return 1;
	return 0;
}

int hwt_tag_rules_add(struct hwt_tag_rules *r, const char *text, char *why, size_t whylen)
{
	const char *eq = text ? strchr(text, '=') : NULL, *colon, *tag = text;
	enum hwt_tag_kind kind = HWT_TAG_FUNCTION;

	if (!r || !eq || eq == text || !eq[1]) {
		snprintf(why, whylen,
			 "tag rule '%s': give [KIND:]TAG=REGEX, e.g. io=^(read|write)$",
			 text ? text : "");
		return HWT_E_INVAL;
	}
	colon = memchr(text, ':', (size_t)(eq - text));
	if (colon) {
		size_t i, n = (size_t)(colon - text);
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strlen(kinds[i].name) == n && !strncmp(text, kinds[i].name, n))
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0])) {
			snprintf(why, whylen,
				 "tag rule '%s': the kinds are function, library, file and thread",
				 text);
			return HWT_E_INVAL;
		}
		kind = kinds[i].kind;
		tag = colon + 1;
	}
	if (tag == eq) {
		snprintf(why, whylen, "tag rule '%s': the tag before '=' is empty", text);
		return HWT_E_INVAL;
	}
	if (HWT_ARRAY_GROW(r->rule, &r->cap, r->n + 1))
		return HWT_E_NOMEM;
	struct rule *x = &r->rule[r->n];
	int rc = regcomp(&x->re, eq + 1, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[128];
		regerror(rc, &x->re, msg, sizeof(msg));
		snprintf(why, whylen, "tag rule '%s': %s", text, msg);
		return HWT_E_INVAL;
	}
	x->kind = kind;
	x->tag = strndup(tag, (size_t)(eq - tag));
	if (!x->tag) {
		regfree(&x->re);
		return HWT_E_NOMEM;
	}
	r->n++;
	return 0;
}

int hwt_tag_rules_load(struct hwt_tag_rules *r, const char *path, char *why, size_t whylen)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, sub[512];
	size_t cap = 0;
	int added = 0, no = 0, rc = 0;
	ssize_t len;

	if (!f) {
		snprintf(why, whylen, "cannot read tag rules '%s': %s", path, strerror(errno));
		return HWT_E_IO;
	}
	while (rc >= 0 && (len = getline(&line, &cap, f)) >= 0) {
		no++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
			       line[len - 1] == ' ' || line[len - 1] == '\t'))
			line[--len] = 0;
		char *s = line + strspn(line, " \t");
		if (!*s || *s == '#')
			continue;
		rc = hwt_tag_rules_add(r, s, sub, sizeof(sub));
		if (rc == HWT_E_INVAL)
			snprintf(why, whylen, "%s:%d: %s", path, no, sub);
		added += rc >= 0;
	}
	if (rc >= 0 && ferror(f)) {
		snprintf(why, whylen, "cannot read tag rules '%s': %s", path, strerror(errno));
		rc = HWT_E_IO;
	}
	free(line);
	fclose(f);
	return rc < 0 ? rc : added;
}

struct hwt_tagger {
	const struct hwt_tag_rules *r;
	struct hwt_model *m;
	struct hwt_idmap chains;     /* (thread tag + 1) << 32 | node -> tagged node + 1 */
	struct hwt_idmap tag_of;     /* frame id -> rule index + 1, or UINT32_MAX: none */
	struct hwt_idmap comms;	     /* pid << 32 | tid -> thread name string id */
	struct hwt_idmap thread_tag; /* thread name string id -> rule index + 1 (0: none) */
	uint32_t *frames;	     /* rule index -> its tag's frame id (0: not interned yet) */
	uint32_t unmatched;	     /* the frame of HWT_TAG_UNMATCHED (0: not interned yet) */
	uint32_t *path;		     /* one node's frames, outermost first */
	size_t path_cap;
};

struct hwt_tagger *hwt_tagger_alloc(const struct hwt_tag_rules *r, struct hwt_model *m)
{
	struct hwt_tagger *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->r = r;
	t->m = m;
	t->frames = calloc(r->n ? r->n : 1, sizeof(*t->frames));
	if (!t->frames) {
		free(t);
		return NULL;
	}
	return t;
}

void hwt_tagger_free(struct hwt_tagger *t)
{
	if (!t)
		return;
	hwt_idmap_fini(&t->chains);
	hwt_idmap_fini(&t->tag_of);
	hwt_idmap_fini(&t->comms);
	hwt_idmap_fini(&t->thread_tag);
	free(t->frames);
	free(t->path);
	free(t);
}

/* The first rule of a kind in @want that matches @s: its index + 1, 0 for none. */
static uint32_t match(const struct hwt_tag_rules *r, unsigned want, const char *s)
{
	for (size_t i = 0; s && i < r->n; i++)
		if ((want & 1u << r->rule[i].kind) && !regexec(&r->rule[i].re, s, 0, NULL, 0))
			return (uint32_t)i + 1;
	return 0;
}

/* Frame @frame's rule: index + 1, 0 for none (cached); negative on HWT_E_NOMEM. */
static int64_t frame_rule(struct hwt_tagger *t, uint32_t frame)
{
	uint32_t *v = hwt_idmap_find(&t->tag_of, frame);

	if (v)
		return *v == UINT32_MAX ? 0 : *v;
	const struct hwt_frame *f = hwt_model_frame(t->m, frame);
	const struct hwt_mapping *mp =
		f && f->mapping != HWT_NONE ? hwt_model_mapping(t->m, f->mapping) : NULL;
	const char *lib = mp ? hwt_model_str(t->m, mp->path) : NULL;
	uint32_t rule = 0;
	/* In the order given: a library rule before a function rule wins for its frames. */
	for (size_t i = 0; f && i < t->r->n && !rule; i++) {
		const struct rule *x = &t->r->rule[i];
		uint32_t file = x->kind == HWT_TAG_FILE ? hwt_model_frame_file(t->m, frame) : 0;
		const char *s = x->kind == HWT_TAG_FUNCTION  ? hwt_model_str(t->m, f->name)
				: x->kind == HWT_TAG_LIBRARY ? lib
				: file			     ? hwt_model_str(t->m, file)
							     : NULL;
		if (s && !regexec(&x->re, s, 0, NULL, 0))
			rule = (uint32_t)i + 1;
	}
	v = hwt_idmap_put(&t->tag_of, frame, NULL);
	if (!v)
		return HWT_E_NOMEM;
	*v = rule ? rule : UINT32_MAX;
	return rule;
}

/* The frame of tag @name (interned once into *@slot). */
static int64_t tag_frame(struct hwt_tagger *t, uint32_t *slot, const char *name)
{
	if (*slot)
		return *slot;
	int64_t s = hwt_model_intern_str(t->m, name);
	if (s < 0)
		return s;
	struct hwt_frame f = { .name = (uint32_t)s, .mapping = HWT_NONE };
	int64_t id = hwt_model_intern_frame(t->m, &f);
	if (id >= 0)
		*slot = (uint32_t)id;
	return id;
}

/* The tagged node of @node on a thread whose tag is @ttag (rule index + 1, 0: none). */
static int64_t chain(struct hwt_tagger *t, uint32_t ttag, uint32_t node)
{
	uint64_t key = (uint64_t)ttag << 32 | node;
	uint32_t *v = hwt_idmap_find(&t->chains, key);

	if (v)
		return *v - 1;
	size_t depth = 0;
	for (uint32_t n = node; n != HWT_NONE && n;) {
		const struct hwt_stack_node *sn = hwt_model_stack(t->m, n);
		if (!sn)
			break;
		if (HWT_ARRAY_GROW(t->path, &t->path_cap, depth + 1))
			return HWT_E_NOMEM;
		t->path[depth++] = sn->frame;
		n = sn->parent;
	}
	uint32_t out = HWT_NONE, last = 0;
	int64_t id;
	if (ttag) {
		if ((id = tag_frame(t, &t->frames[ttag - 1], t->r->rule[ttag - 1].tag)) < 0 ||
		    (id = hwt_model_intern_stack(t->m, out, (uint32_t)id)) < 0)
			return id;
		out = (uint32_t)id;
		last = ttag;
	}
	for (size_t i = depth; i-- > 0;) { /* path holds the innermost frame first */
		int64_t rule = frame_rule(t, t->path[i]);
		if (rule < 0)
			return rule;
		if (!rule || (uint32_t)rule == last ||
		    (last && !strcmp(t->r->rule[rule - 1].tag, t->r->rule[last - 1].tag)))
			continue;
		if ((id = tag_frame(t, &t->frames[rule - 1], t->r->rule[rule - 1].tag)) < 0 ||
		    (id = hwt_model_intern_stack(t->m, out, (uint32_t)id)) < 0)
			return id;
		out = (uint32_t)id;
		last = (uint32_t)rule;
	}
	if (out == HWT_NONE) {
		if ((id = tag_frame(t, &t->unmatched, HWT_TAG_UNMATCHED)) < 0 ||
		    (id = hwt_model_intern_stack(t->m, HWT_NONE, (uint32_t)id)) < 0)
			return id;
		out = (uint32_t)id;
	}
	v = hwt_idmap_put(&t->chains, key, NULL);
	if (!v)
		return HWT_E_NOMEM;
	*v = out + 1;
	return out;
}

/* The thread rule of thread name @comm: index + 1, 0 for none (cached). */
static int64_t thread_rule(struct hwt_tagger *t, uint32_t comm)
{
	if (comm == HWT_NONE || !comm)
		return 0;
	int created;
	uint32_t *v = hwt_idmap_put(&t->thread_tag, comm, &created);
	if (!v)
		return HWT_E_NOMEM;
	if (created)
		*v = match(t->r, 1u << HWT_TAG_THREAD, hwt_model_str(t->m, comm));
	return *v;
}

int hwt_tagger_event(struct hwt_tagger *t, const struct hwt_event *in, struct hwt_event *out)
{
	uint64_t key = (uint64_t)in->pid << 32 | in->tid;
	uint32_t *comm;
	int64_t ttag, node;

	*out = *in;
	switch (in->type) {
	case HWT_EV_THREAD:
	case HWT_EV_PROCESS:
		if (in->type == HWT_EV_PROCESS)
			key = (uint64_t)in->pid << 32 | in->pid;
		comm = hwt_idmap_put(&t->comms, key, NULL);
		if (!comm)
			return HWT_E_NOMEM;
		*comm = in->type == HWT_EV_THREAD ? in->thread.name : in->proc.name;
		return 0;
	case HWT_EV_SAMPLE:
	case HWT_EV_SLICE_BEGIN:
	case HWT_EV_SLICE_END:
		break;
	default:
		return 0;
	}
	comm = hwt_idmap_find(&t->comms, key);
	if (!comm) /* a thread never named: its process's name */
		comm = hwt_idmap_find(&t->comms, (uint64_t)in->pid << 32 | in->pid);
	if ((ttag = thread_rule(t, comm ? *comm : HWT_NONE)) < 0)
		return (int)ttag;
	if (in->type == HWT_EV_SAMPLE) {
		if ((node = chain(t, (uint32_t)ttag, in->sample.stack)) < 0)
			return (int)node;
		out->sample.stack = (uint32_t)node;
		return 0;
	}
	if ((node = chain(t, (uint32_t)ttag, in->slice.node)) < 0)
		return (int)node;
	out->slice.node = (uint32_t)node;
	out->slice.frame = hwt_model_stack(t->m, (uint32_t)node)->frame;
	return 0;
}

int hwt_tagger_unmatched(struct hwt_tagger *t, uint32_t comm, uint32_t node, uint32_t *leaf)
{
	const struct hwt_stack_node *sn = node != HWT_NONE ? hwt_model_stack(t->m, node) : NULL;
	int64_t ttag = thread_rule(t, comm), c;

	*leaf = sn ? sn->frame : HWT_NONE;
	if (ttag < 0)
		return (int)ttag;
	if ((c = chain(t, (uint32_t)ttag, node)) < 0)
		return (int)c;
	return hwt_model_stack(t->m, (uint32_t)c)->frame == t->unmatched;
}

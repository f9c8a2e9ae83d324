/* libhwtrace's counters and objects: named attributes logged on change or on demand, counters as
 * one counter track per attribute, objects as snapshots on an object track. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* One attribute. */
struct attr {
	char *key;    /* owned */
	int set;      /* has a value */
	int filter;   /* 1 included, -1 excluded, 0 neither */
	double v;     /* counters: the value */
	uint8_t *val; /* objects: the value's tree (a value, no key), owned */
	size_t len;
	uint32_t track, gen; /* counters: its track, declared in fork generation gen */
};

/* What counters and objects share. */
struct attrs {
	char *name; /* owned */
	pthread_mutex_t mu;
	int trigger;   /* log on every change */
	int nincluded; /* attributes included: only they are logged */
	struct attr *a;
	size_t n, cap;
};

struct hwt_counter {
	struct attrs s;
};

struct hwt_object {
	struct attrs s;
	uint32_t track, gen; /* its track, declared in fork generation gen */
};

static int hwt_lib_attrs_init(struct attrs *s, const char *name)
{
	s->name = strdup(name ? name : "");
	s->trigger = 1;
	return s->name && !pthread_mutex_init(&s->mu, NULL) ? 0 : -1;
}

static void hwt_lib_attrs_fini(struct attrs *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->a[i].key);
		free(s->a[i].val);
	}
	free(s->a);
	free(s->name);
	pthread_mutex_destroy(&s->mu);
}

/* Attribute @key, added when absent; NULL when out of memory. */
static struct attr *hwt_lib_attr_get(struct attrs *s, const char *key)
{
	key = key ? key : "";
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->a[i].key, key))
			return &s->a[i];
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct attr *a = realloc(s->a, cap * sizeof(*a));
		if (!a)
			return NULL;
		s->a = a;
		s->cap = cap;
	}
	struct attr *a = &s->a[s->n];
	*a = (struct attr){ .key = strdup(key) };
	if (!a->key)
		return NULL;
	s->n++;
	return a;
}

static int hwt_lib_logged(const struct attrs *s, const struct attr *a)
{
	return a->set && a->filter >= 0 && (!s->nincluded || a->filter > 0);
}

static void hwt_lib_attrs_config(struct attrs *s, int what, const char *key)
{
	pthread_mutex_lock(&s->mu);
	if (what == HWT__TRIGGER_ON || what == HWT__TRIGGER_OFF) {
		s->trigger = what == HWT__TRIGGER_ON;
	} else if (what == HWT__INCLUDE || what == HWT__EXCLUDE) {
		struct attr *a = hwt_lib_attr_get(s, key);
		int filter = what == HWT__INCLUDE ? 1 : -1;
		if (a && a->filter != filter) {
			s->nincluded += (filter > 0) - (a->filter > 0);
			a->filter = filter;
		}
	}
	pthread_mutex_unlock(&s->mu);
}

/* ---- counters -------------------------------------------------------------------------- */

HWT_EXPORT struct hwt_counter *hwt__counter_new(const char *name)
{
	struct hwt_counter *c = calloc(1, sizeof(*c));

	if (c && hwt_lib_attrs_init(&c->s, name)) {
		hwt_lib_attrs_fini(&c->s);
		free(c);
		return NULL;
	}
	return c;
}

HWT_EXPORT void hwt__counter_free(struct hwt_counter *c)
{
	if (!c)
		return;
	hwt_lib_attrs_fini(&c->s);
	free(c);
}

/* Logs every logged attribute, each on its track "NAME.ATTR" (declared on first use in this
 * process). Called with the lock held. */
static void hwt_lib_counter_log(struct hwt_counter *c)
{
	for (size_t i = 0; i < c->s.n; i++) {
		struct attr *a = &c->s.a[i];
		if (!hwt_lib_logged(&c->s, a))
			continue;
		if (!a->track || a->gen != hwt_lib_fork_gen) {
			size_t len = strlen(c->s.name) + strlen(a->key) + 2;
			char *name = malloc(len);
			if (!name)
				continue;
			snprintf(name, len, "%s.%s", c->s.name, a->key);
			a->track = hwt_lib_declare(HWT_CR_COUNTER_TRACK, name);
			a->gen = hwt_lib_fork_gen;
			free(name);
		}
		struct hwt_lib_rec r;
		if (!a->track) {
			hwt_lib_lost(1);
			continue;
		}
		if (hwt_lib_reserve(&r, HWT_CR_COUNTER, HWT__THREAD, 16))
			continue;
		uint32_t head[2] = { a->track, 0 };
		memcpy(r.body, head, 8);
		memcpy(r.body + 8, &a->v, 8);
		hwt_lib_commit(&r);
	}
}

HWT_EXPORT void hwt__counter_set(struct hwt_counter *c, const char *attr, double value)
{
	pthread_mutex_lock(&c->s.mu);
	struct attr *a = hwt_lib_attr_get(&c->s, attr);
	if (a) {
		a->v = value;
		a->set = 1;
		if (c->s.trigger && hwt_lib_logged(&c->s, a))
			hwt_lib_counter_log(c);
	}
	pthread_mutex_unlock(&c->s.mu);
}

HWT_EXPORT void hwt__counter_log(struct hwt_counter *c)
{
	pthread_mutex_lock(&c->s.mu);
	hwt_lib_counter_log(c);
	pthread_mutex_unlock(&c->s.mu);
}

HWT_EXPORT void hwt__counter_config(struct hwt_counter *c, int what, const char *attr)
{
	hwt_lib_attrs_config(&c->s, what, attr);
}

/* ---- objects --------------------------------------------------------------------------- */

HWT_EXPORT struct hwt_object *hwt__object_new(const char *name)
{
	struct hwt_object *o = calloc(1, sizeof(*o));

	if (o && hwt_lib_attrs_init(&o->s, name)) {
		hwt_lib_attrs_fini(&o->s);
		free(o);
		return NULL;
	}
	return o;
}

HWT_EXPORT void hwt__object_free(struct hwt_object *o)
{
	if (!o)
		return;
	hwt_lib_attrs_fini(&o->s);
	free(o);
}

/* Logs a snapshot: a map of the logged attributes. Called with the lock held. */
static void hwt_lib_object_log(struct hwt_object *o)
{
	if (!o->track || o->gen != hwt_lib_fork_gen) {
		o->track = hwt_lib_declare(HWT_CR_OBJECT_TRACK, o->s.name);
		o->gen = hwt_lib_fork_gen;
	}
	if (!o->track) {
		hwt_lib_lost(1);
		return;
	}
	size_t tree = 1 + 4, n = 0;
	for (size_t i = 0; i < o->s.n; i++)
		if (hwt_lib_logged(&o->s, &o->s.a[i])) {
			tree += 4 + strlen(o->s.a[i].key) + o->s.a[i].len;
			n++;
		}
	struct hwt_lib_rec r;
	if (hwt_lib_reserve(&r, HWT_CR_OBJECT, HWT__THREAD, 8 + tree))
		return;
	uint32_t head[2] = { o->track, 0 };
	memcpy(r.body, head, 8);
	uint8_t *p = r.body + 8;
	uint32_t u = (uint32_t)n;
	*p++ = HWT_VAL_MAP;
	memcpy(p, &u, 4);
	p += 4;
	for (size_t i = 0; i < o->s.n; i++) {
		struct attr *a = &o->s.a[i];
		if (!hwt_lib_logged(&o->s, a))
			continue;
		u = (uint32_t)strlen(a->key);
		memcpy(p, &u, 4);
		memcpy(p + 4, a->key, u);
		memcpy(p + 4 + u, a->val, a->len);
		p += 4 + u + a->len;
	}
	hwt_lib_commit(&r);
}

/* Gives attribute @key the value tree @val (@len bytes, taken over) and logs on change. */
static void hwt_lib_object_put(struct hwt_object *o, const char *key, uint8_t *val, size_t len)
{
	pthread_mutex_lock(&o->s.mu);
	struct attr *a = hwt_lib_attr_get(&o->s, key);
	if (a) {
		free(a->val);
		a->val = val;
		a->len = len;
		a->set = 1;
		if (o->s.trigger && hwt_lib_logged(&o->s, a))
			hwt_lib_object_log(o);
	} else {
		free(val);
	}
	pthread_mutex_unlock(&o->s.mu);
}

HWT_EXPORT void hwt__object_set(struct hwt_object *o, const struct hwt_arg *arg)
{
	size_t len = hwt_lib_arg_value_size(arg);
	struct hwt_value_writer w = { .buf = malloc(len), .cap = len };

	if (!w.buf)
		return;
	hwt_lib_arg_write(&w, NULL, arg);
	hwt_lib_object_put(o, arg->key, w.buf, w.len);
}

HWT_EXPORT void hwt__object_json(struct hwt_object *o, const char *attr, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* A tree takes at most 9 bytes per byte of JSON ("[1,1,..." : 2 bytes, 9 bytes each). */
	size_t cap = 9 * (size_t)n + 16;
	struct hwt_value_writer w = { .buf = malloc(cap), .cap = cap };
	if (w.buf && hwt_lib_json(&w, NULL, text)) {
		/* Not JSON: the text as a string. */
		w = (struct hwt_value_writer){ .buf = w.buf, .cap = cap };
		hwt_vw_str(&w, NULL, text);
	}
	free(text);
	if (w.buf && !w.bad)
		hwt_lib_object_put(o, attr, w.buf, w.len);
	else
		free(w.buf);
}

HWT_EXPORT void hwt__object_log(struct hwt_object *o)
{
	pthread_mutex_lock(&o->s.mu);
	hwt_lib_object_log(o);
	pthread_mutex_unlock(&o->s.mu);
}

HWT_EXPORT void hwt__object_config(struct hwt_object *o, int what, const char *attr)
{
	hwt_lib_attrs_config(&o->s, what, attr);
}

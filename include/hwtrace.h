/* libhwtrace, the in-program API: instants, counters, objects, spans and links a program puts on
 * its own timeline when `hwtrace record` runs it. Usable from C and C++, needs only libc.
 *
 * Not under hwtrace, every call costs one predictable branch (an inline test of a global) and
 * does nothing else: arguments are not even evaluated, nothing is allocated or written. Under
 * hwtrace the recorder hands the program a shared memory area (HWTRACE_API in the environment);
 * the library maps it at the first event, gives each thread a ring of its own, stamps events with
 * CLOCK_MONOTONIC (the recording's clock) and the recorder drains the rings every 10 ms. A ring
 * that is full drops the event, counted as lost. A child of fork() gets rings of its own; an
 * exec()'ed image finds the area again (when its environment keeps HWTRACE_API).
 *
 *   hwt_instant("cache miss", HWT_ARG("key", k), HWT_ARG("size", 4096));
 *   struct hwt_counter *q = hwt_counter_new("queue");   // NULL when not recorded: fine
 *   hwt_counter_set(q, "depth", 3);                      // logs every attribute of q
 *   hwt_span_begin("parse", HWT_ARG("file", path));
 *   struct hwt_link l = hwt_link_out("produces");        // an arrow leaves this span...
 *   hwt_span_end();
 *   ...                                                  // ...another thread, another span:
 *   hwt_link_in(l);                                      // ...and arrives here
 *   { HWT_SCOPE("step"); work(); }                       // one slice for the block
 *
 * Names, keys and strings are copied when the call is made. Instants, spans and links may be
 * made from a signal handler: one that interrupts an event of the same thread is dropped (counted
 * as lost). Counters and objects take a lock: not from a signal handler. Counters, objects and
 * links may be shared by threads.
 */
#ifndef HWTRACE_H
#define HWTRACE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- internals the inline functions use (not API) -------------------------------------- */

struct hwt_arg;
struct hwt_counter;
struct hwt_object;

/** Non-zero while the program runs under `hwtrace record`; set before main() runs. */
extern int hwt__active;

#define HWT__ON() __builtin_expect(hwt__active, 0)

void hwt__init(void);
void hwt__event(int type, int scope, const char *name, const struct hwt_arg *args, size_t n);
uint64_t hwt__link_out(const char *type);
void hwt__link_in(uint64_t id, const char *type);
struct hwt_counter *hwt__counter_new(const char *name);
void hwt__counter_free(struct hwt_counter *c);
void hwt__counter_set(struct hwt_counter *c, const char *attr, double value);
void hwt__counter_log(struct hwt_counter *c);
void hwt__counter_config(struct hwt_counter *c, int what, const char *attr);
struct hwt_object *hwt__object_new(const char *name);
void hwt__object_free(struct hwt_object *o);
void hwt__object_set(struct hwt_object *o, const struct hwt_arg *a);
void hwt__object_json(struct hwt_object *o, const char *attr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hwt__event_json(int type, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void hwt__object_log(struct hwt_object *o);
void hwt__object_config(struct hwt_object *o, int what, const char *attr);
int hwt__scope_begin(const char *name);
void hwt__scope_end(int *began);

/* Kinds of hwt__event(), as in the recording's stream (core/format/custom_format.h). */
#define HWT__INSTANT	5
#define HWT__SPAN_BEGIN 6
#define HWT__SPAN_ARGS	7
#define HWT__SPAN_END	8
/* Scopes of an instant. */
#define HWT__GLOBAL  0
#define HWT__PROCESS 1
#define HWT__THREAD  2
/* What hwt__counter_config() and hwt__object_config() change. */
#define HWT__TRIGGER_OFF 0
#define HWT__TRIGGER_ON	 1
#define HWT__INCLUDE	 2
#define HWT__EXCLUDE	 3

/* ---- arguments ------------------------------------------------------------------------- */

/** What an argument holds. */
enum hwt_arg_type {
	HWT_ARG_INT = 1,
	HWT_ARG_DOUBLE = 2,
	HWT_ARG_STR = 3,
	HWT_ARG_BOOL = 4,
	HWT_ARG_NULL = 5,
};

/** One key/value argument of an instant or a span, or an attribute of an object. The key and
 *  a string value are borrowed for the call they are passed to. */
struct hwt_arg {
	const char *key;
	int type; /* enum hwt_arg_type */
	union {
		int64_t i; /* INT; BOOL: 0 or 1 */
		double d;
		const char *s; /* STR; NULL is written as "" */
	} v;
};

static inline struct hwt_arg hwt_arg_int(const char *key, int64_t v)
{
	struct hwt_arg a;
	a.key = key;
	a.type = HWT_ARG_INT;
	a.v.i = v;
	return a;
}

static inline struct hwt_arg hwt_arg_double(const char *key, double v)
{
	struct hwt_arg a;
	a.key = key;
	a.type = HWT_ARG_DOUBLE;
	a.v.d = v;
	return a;
}

static inline struct hwt_arg hwt_arg_str(const char *key, const char *v)
{
	struct hwt_arg a;
	a.key = key;
	a.type = HWT_ARG_STR;
	a.v.s = v;
	return a;
}

static inline struct hwt_arg hwt_arg_bool(const char *key, int v)
{
	struct hwt_arg a;
	a.key = key;
	a.type = HWT_ARG_BOOL;
	a.v.i = !!v;
	return a;
}

static inline struct hwt_arg hwt_arg_null(const char *key)
{
	struct hwt_arg a;
	a.key = key;
	a.type = HWT_ARG_NULL;
	a.v.i = 0;
	return a;
}

#ifdef __cplusplus
} /* extern "C" */

/* HWT_ARG(key, value): the argument of the value's type. */
static inline struct hwt_arg hwt_arg(const char *k, const char *v)
{
	return hwt_arg_str(k, v);
}
static inline struct hwt_arg hwt_arg(const char *k, char *v)
{
	return hwt_arg_str(k, v);
}
static inline struct hwt_arg hwt_arg(const char *k, double v)
{
	return hwt_arg_double(k, v);
}
static inline struct hwt_arg hwt_arg(const char *k, float v)
{
	return hwt_arg_double(k, v);
}
static inline struct hwt_arg hwt_arg(const char *k, bool v)
{
	return hwt_arg_bool(k, v);
}
static inline struct hwt_arg hwt_arg(const char *k, decltype(nullptr))
{
	return hwt_arg_null(k);
}
template <typename T> static inline struct hwt_arg hwt_arg(const char *k, T v)
{
	return hwt_arg_int(k, (int64_t)v);
}
#define HWT_ARG(key, value) hwt_arg((key), (value))

extern "C" {
#else
/** HWT_ARG(key, value): the argument of the value's type: a string (char *), a double or float,
 *  a _Bool, else an integer. In C a comparison (a == b) is an int: cast it to _Bool, or use
 *  hwt_arg_bool(), for a boolean. */
#if __STDC_VERSION__ >= 201112L /* C99 has no _Generic: hwt_arg_int() and the others there */
/* clang-format off */
#define HWT_ARG(key, value)                                   \
	_Generic((value),                                     \
		char *: hwt_arg_str,                          \
		const char *: hwt_arg_str,                    \
		double: hwt_arg_double,                       \
		float: hwt_arg_double,                        \
		_Bool: hwt_arg_bool,                          \
		default: hwt_arg_int)((key), (value))
/* clang-format on */
#endif
#endif

/* The empty argument that leads every argument list (so that it may be empty). */
/* clang-format off */
#define HWT__ARGS0 { 0, 0, { 0 } }
/* clang-format on */

/* Standard C99 and C++11, no GNU extension: HWT__FIRST(a, ...) is a, HWT__REST(a, ...) the rest
 * (nothing when a is alone), for up to 32 arguments. */
#define HWT__FIRST(...)	    HWT__FIRST_(__VA_ARGS__, 0)
#define HWT__FIRST_(a, ...) a
#define HWT__REST(...)	    HWT__CAT(HWT__REST_, HWT__MORE(__VA_ARGS__))(__VA_ARGS__)
#define HWT__REST_0(a)
#define HWT__REST_1(a, ...) __VA_ARGS__
/* clang-format off */
#define HWT__MORE(...)                                                                         \
	HWT__MORE_(__VA_ARGS__, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,  \
		   1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0)
#define HWT__MORE_(_1, _2, _3, _4, _5, _6, _7, _8, _9, _10, _11, _12, _13, _14, _15, _16, _17, \
		   _18, _19, _20, _21, _22, _23, _24, _25, _26, _27, _28, _29, _30, _31, _32, n, \
		   ...) n
/* clang-format on */
#define HWT__CAT2(a, b) a##b
#define HWT__CAT(a, b)	HWT__CAT2(a, b)

/* HWT__EVENT(type, scope, name, args...) calls hwt__event() when recorded. */
#define HWT__EVENT(type, scope, ...)                                                            \
	do {                                                                                    \
		if (HWT__ON()) {                                                                \
			const struct hwt_arg hwt__a[] = { HWT__ARGS0, HWT__REST(__VA_ARGS__) }; \
			hwt__event((type), (scope), HWT__FIRST(__VA_ARGS__), hwt__a + 1,        \
				   sizeof(hwt__a) / sizeof(hwt__a[0]) - 1);                     \
		}                                                                               \
	} while (0)

/** Non-zero when the program runs under `hwtrace record` (its events are recorded). */
static inline int hwt_active(void)
{
	return HWT__ON();
}

/* ---- instants -------------------------------------------------------------------------- */

/** hwt_instant(name, HWT_ARG(key, value)...): an instant on the calling thread, with up to 31
 *  arguments. hwt_instant_process() puts it on the process, hwt_instant_global() on
 *  the whole recording. */
#define hwt_instant(...)	 HWT__EVENT(HWT__INSTANT, HWT__THREAD, __VA_ARGS__)
#define hwt_instant_process(...) HWT__EVENT(HWT__INSTANT, HWT__PROCESS, __VA_ARGS__)
#define hwt_instant_global(...)	 HWT__EVENT(HWT__INSTANT, HWT__GLOBAL, __VA_ARGS__)

/** hwt_instant_json(name, fmt, ...): an instant on the calling thread whose arguments are the
 *  JSON object printf(@fmt, ...) writes, nested values and all. Text that is not a JSON object
 *  becomes one argument "text" holding it. */
#define hwt_instant_json(name, ...)                                         \
	do {                                                                \
		if (HWT__ON())                                              \
			hwt__event_json(HWT__INSTANT, (name), __VA_ARGS__); \
	} while (0)

/* ---- spans ----------------------------------------------------------------------------- */

/** hwt_span_begin(name, HWT_ARG(key, value)...): opens a span (a slice) on the calling thread,
 *  inside the spans it has open. hwt_span_annotate(args...) adds arguments to the innermost
 *  open span of the thread; hwt_span_end(args...) closes it, adding the arguments given. */
#define hwt_span_begin(...)    HWT__EVENT(HWT__SPAN_BEGIN, HWT__THREAD, __VA_ARGS__)
#define hwt_span_annotate(...) HWT__EVENT(HWT__SPAN_ARGS, HWT__THREAD, "", __VA_ARGS__)
#define hwt_span_end(...)      HWT__EVENT(HWT__SPAN_END, HWT__THREAD, "", __VA_ARGS__)

/** hwt_span_annotate_json(fmt, ...): adds the JSON object printf(@fmt, ...) writes to the
 *  arguments of the innermost open span of the thread (see hwt_instant_json()). */
#define hwt_span_annotate_json(...)                                       \
	do {                                                              \
		if (HWT__ON())                                            \
			hwt__event_json(HWT__SPAN_ARGS, "", __VA_ARGS__); \
	} while (0)

/** HWT_SCOPE(name): a span from here to the end of the enclosing block (a sparse mark: one slice
 *  for a function or a block, whatever else is traced). HWT_FUNC() is HWT_SCOPE(__func__). Uses
 *  the cleanup attribute (GCC, Clang), so it also closes on return and on break. */
#define HWT_SCOPE(name)                                                                        \
	int HWT__CAT(hwt__scope_, __LINE__) __attribute__((cleanup(hwt__scope_end), unused)) = \
		HWT__ON() ? hwt__scope_begin(name) : 0
#define HWT_FUNC() HWT_SCOPE(__func__)

/* ---- links: typed arrows between spans ------------------------------------------------- */

/** A link leaving a span; pass it (by value, to any thread or a forked child) to the span it
 *  reaches. @type is borrowed until hwt_link_in(). id 0: not recorded. */
struct hwt_link {
	uint64_t id;
	const char *type;
};

/** Starts a link of @type ("produces", "caused", ...) at the innermost open span of this thread:
 *  the arrow's OUT end. Call it while the span it leaves is open; hwt_link_in() in the span it
 *  reaches, later (on any thread, in any process of the recording). */
static inline struct hwt_link hwt_link_out(const char *type)
{
	struct hwt_link l;
	l.id = HWT__ON() ? hwt__link_out(type) : 0;
	l.type = type;
	return l;
}

/** Ends link @l at the innermost open span of this thread: the arrow's IN end. */
static inline void hwt_link_in(struct hwt_link l)
{
	if (HWT__ON() && l.id)
		hwt__link_in(l.id, l.type);
}

/* ---- counters -------------------------------------------------------------------------- */

/** A counter: named numeric attributes, each a counter track "NAME.ATTR" of the process. By
 *  default it logs on change: every hwt_counter_set() logs the current value of every logged
 *  attribute (all set so far, or those included, less those excluded). Returns NULL when not
 *  recorded or out of memory; every counter function accepts NULL. Free with
 *  hwt_counter_free(). @name is copied. */
static inline struct hwt_counter *hwt_counter_new(const char *name)
{
	return HWT__ON() ? hwt__counter_new(name) : NULL;
}

static inline void hwt_counter_free(struct hwt_counter *c)
{
	if (c) /* NULL when not recorded; freed even if recording stopped since */
		hwt__counter_free(c);
}

/** Sets attribute @attr (copied) to @value; logs when the counter triggers on change. */
static inline void hwt_counter_set(struct hwt_counter *c, const char *attr, double value)
{
	if (HWT__ON() && c)
		hwt__counter_set(c, attr, value);
}

/** Logs the current values now (the explicit log, for counters that do not trigger). */
static inline void hwt_counter_log(struct hwt_counter *c)
{
	if (HWT__ON() && c)
		hwt__counter_log(c);
}

/** Turns logging on every change on (the default) or off. */
static inline void hwt_counter_trigger(struct hwt_counter *c, int on)
{
	if (HWT__ON() && c)
		hwt__counter_config(c, on ? HWT__TRIGGER_ON : HWT__TRIGGER_OFF, NULL);
}

/** Logs only the included attributes (once one is included), never the excluded ones; setting
 *  an attribute that is not logged does not trigger a log. */
static inline void hwt_counter_include(struct hwt_counter *c, const char *attr)
{
	if (HWT__ON() && c)
		hwt__counter_config(c, HWT__INCLUDE, attr);
}

static inline void hwt_counter_exclude(struct hwt_counter *c, const char *attr)
{
	if (HWT__ON() && c)
		hwt__counter_config(c, HWT__EXCLUDE, attr);
}

/* ---- objects --------------------------------------------------------------------------- */

/** An object: named attributes with JSON-like values, logged as snapshots (a map of its logged
 *  attributes) on an object track NAME of the process. Logs on change, includes and excludes
 *  attributes like a counter. NULL when not recorded; every object function accepts NULL. */
static inline struct hwt_object *hwt_object_new(const char *name)
{
	return HWT__ON() ? hwt__object_new(name) : NULL;
}

static inline void hwt_object_free(struct hwt_object *o)
{
	if (o) /* NULL when not recorded; freed even if recording stopped since */
		hwt__object_free(o);
}

/** hwt_object_set(o, key, value): sets an attribute to a scalar (as HWT_ARG). */
#define hwt_object_set(o, key, value)                                      \
	do {                                                               \
		if (HWT__ON() && (o)) {                                    \
			const struct hwt_arg hwt__a = HWT_ARG(key, value); \
			hwt__object_set((o), &hwt__a);                     \
		}                                                          \
	} while (0)

/** hwt_object_json(o, key, fmt, ...): sets an attribute to the JSON value printf(@fmt, ...)
 *  writes: nested maps and lists, strings, numbers, true, false, null. Text that is not JSON
 *  sets the attribute to the text as a string. */
#define hwt_object_json(o, key, ...)                               \
	do {                                                       \
		if (HWT__ON() && (o))                              \
			hwt__object_json((o), (key), __VA_ARGS__); \
	} while (0)

/** Logs a snapshot now. */
static inline void hwt_object_log(struct hwt_object *o)
{
	if (HWT__ON() && o)
		hwt__object_log(o);
}

static inline void hwt_object_trigger(struct hwt_object *o, int on)
{
	if (HWT__ON() && o)
		hwt__object_config(o, on ? HWT__TRIGGER_ON : HWT__TRIGGER_OFF, NULL);
}

static inline void hwt_object_include(struct hwt_object *o, const char *attr)
{
	if (HWT__ON() && o)
		hwt__object_config(o, HWT__INCLUDE, attr);
}

static inline void hwt_object_exclude(struct hwt_object *o, const char *attr)
{
	if (HWT__ON() && o)
		hwt__object_config(o, HWT__EXCLUDE, attr);
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif

/* Plugin options: tables checked once, values parsed and validated from flags or KEY=VALUE text,
 * help and one-line errors written from the tables. */
#include "core/options.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hwtrace/error.h"

#define HELP_COLUMN 24 /* where help text starts */
#define HELP_WIDTH  92 /* where it wraps */

static int fail(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
		/* What the user typed is quoted: a newline or escape in it must not break the
		 * one-line message (found by fuzz_options). */
		for (char *c = why; *c; c++)
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
	}
	return HWT_E_INVAL;
}

/* ---- one value ------------------------------------------------------------------------- */

static int type_ok(uint32_t type)
{
	return type >= HWT_OPT_BOOL && type <= HWT_OPT_ENUM;
}

static int is_text(const struct hwt_option *opt)
{
	return opt->type == HWT_OPT_STRING || opt->type == HWT_OPT_LIST;
}

static int is_number(const struct hwt_option *opt)
{
	return opt->type == HWT_OPT_INT || opt->type == HWT_OPT_SIZE ||
	       opt->type == HWT_OPT_DURATION;
}

const char *hwt_option_arg(const struct hwt_option *opt, char *buf, size_t len)
{
	static const char *const words[] = {
		[HWT_OPT_BOOL] = "0|1",	     [HWT_OPT_INT] = "N",	[HWT_OPT_SIZE] = "SIZE",
		[HWT_OPT_DURATION] = "TIME", [HWT_OPT_STRING] = "TEXT", [HWT_OPT_LIST] = "TEXT",
		[HWT_OPT_ENUM] = "VALUE",
	};
	size_t off = 0;

	if (!buf || !len)
		return buf;
	buf[0] = 0;
	if (opt->arg)
		snprintf(buf, len, "%s", opt->arg);
	else if (opt->type == HWT_OPT_ENUM && opt->choices && opt->choices[0])
		for (const char *const *c = opt->choices; *c && off < len; c++)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? "|" : "", *c);
	else
		snprintf(buf, len, "%s", type_ok(opt->type) ? words[opt->type] : "VALUE");
	return buf;
}

/* What the value is, as a word of a sentence: "pattern" for PATTERN, "plugin" for PLUGIN[:ARGS]. */
static const char *noun(const struct hwt_option *opt, char *buf, size_t len)
{
	size_t i = 0;

	for (const char *a = opt->arg ? opt->arg : ""; *a && i + 1 < len; a++, i++) {
		if (!(*a >= 'A' && *a <= 'Z') && !(*a >= 'a' && *a <= 'z') && *a != '_' &&
		    *a != '-')
			break;
		buf[i] = (char)(*a >= 'A' && *a <= 'Z' ? *a - 'A' + 'a' : *a);
	}
	buf[i] = 0;
	if (!i)
		snprintf(buf, len, "value");
	return buf;
}

static int parse_bool(const char *s, int64_t *out)
{
	static const char *const yes[] = { "1", "yes", "true", "on" };
	static const char *const no[] = { "0", "no", "false", "off" };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 1;
		}
	}
	return 0;
}

static int parse_int(const char *s, int64_t *out)
{
	char *end;

	if (!((*s >= '0' && *s <= '9') || ((*s == '-' || *s == '+') && s[1] >= '0' && s[1] <= '9')))
		return 0;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return 0;
	*out = v;
	return 1;
}

/* Bytes: digits, then K, M or G (2^10, 2^20, 2^30), then B or iB if a unit was given, or B. */
static int parse_size(const char *s, int64_t *out)
{
	char *end;
	int shift = 0;

	if (*s < '0' || *s > '9')
		return 0;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return 0;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	}
	end += shift != 0;
	if (*end && strcmp(end, "B") && (!shift || strcmp(end, "iB")))
		return 0;
	if (v > (unsigned long long)INT64_MAX >> shift)
		return 0;
	*out = (int64_t)(v << shift);
	return 1;
}

static int parse_duration(const char *s, int64_t *ns)
{
	static const struct {
		const char *unit;
		double ns;
	} units[] = { { "ns", 1 }, { "us", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "", 1 } };
	char *end;

	if (!((*s >= '0' && *s <= '9') || *s == '.'))
		return 0;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !isfinite(v))
		return 0;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		double t = v * units[i].ns;
		if (t >= 9.2e18)
			return 0;
		*ns = (int64_t)t;
		return 1;
	}
	return 0;
}

static int parse_enum(const struct hwt_option *opt, const char *s, struct hwt_option_value *v)
{
	for (size_t i = 0; opt->choices && opt->choices[i]; i++) {
		if (!strcmp(s, opt->choices[i])) {
			v->i = (int64_t)i;
			v->s = opt->choices[i];
			return 1;
		}
	}
	return 0;
}

static void human_size(int64_t v, char *buf, size_t len)
{
	static const struct {
		char unit;
		int shift;
	} units[] = { { 'G', 30 }, { 'M', 20 }, { 'K', 10 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v && v % (1ll << units[i].shift) == 0) {
			snprintf(buf, len, "%lld%c", (long long)(v >> units[i].shift),
				 units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lld", (long long)v);
}

static void human_duration(int64_t v, char *buf, size_t len)
{
	static const struct {
		const char *unit;
		int64_t ns;
	} units[] = { { "s", 1000000000 }, { "ms", 1000000 }, { "us", 1000 } };

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (v && v % units[i].ns == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / units[i].ns), units[i].unit);
			return;
		}
	}
	snprintf(buf, len, "%lldns", (long long)v);
}

/* The range of a number as text: " from 4K to 1G", or "" when any value goes. */
static void range_text(const struct hwt_option *opt, char *buf, size_t len)
{
	char lo[32], hi[32];

	buf[0] = 0;
	if (opt->max <= opt->min)
		return;
	if (opt->type == HWT_OPT_SIZE) {
		human_size(opt->min, lo, sizeof(lo));
		human_size(opt->max, hi, sizeof(hi));
	} else if (opt->type == HWT_OPT_DURATION) {
		human_duration(opt->min, lo, sizeof(lo));
		human_duration(opt->max, hi, sizeof(hi));
	} else {
		snprintf(lo, sizeof(lo), "%lld", (long long)opt->min);
		snprintf(hi, sizeof(hi), "%lld", (long long)opt->max);
	}
	snprintf(buf, len, " from %s to %s", lo, hi);
}

/* What to give instead of a refused value, as the end of a sentence. */
static int want(const struct hwt_option *opt, char *why, size_t len)
{
	char range[96], eg[48] = "", word[48], list[256] = "";
	size_t off = 0;

	range_text(opt, range, sizeof(range));
	if (opt->def && opt->type == HWT_OPT_SIZE)
		snprintf(eg, sizeof(eg), ", e.g. %s", opt->def);
	switch (opt->type) {
	case HWT_OPT_BOOL:
		return fail(why, len, "give 1 or 0 (yes/no, true/false, on/off)");
	case HWT_OPT_INT:
		return fail(why, len, "give a whole number%s", range);
	case HWT_OPT_SIZE:
		return fail(why, len, "give %s%s%s",
			    opt->flags & HWT_OPT_POW2 ? "a power of two" : "a size", range, eg);
	case HWT_OPT_DURATION:
		return fail(why, len, "give a time%s%s like 500ns, 10us, 1ms or 2s", range,
			    range[0] ? ", written" : "");
	case HWT_OPT_ENUM:
		for (size_t i = 0; opt->choices && opt->choices[i] && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						!i		      ? ""
						: opt->choices[i + 1] ? ", "
								      : " or ",
						opt->choices[i]);
		return fail(why, len, "use %s", list);
	default:
		noun(opt, word, sizeof(word));
		if (opt->flags & HWT_OPT_COMMAS)
			return fail(why, len, "give a non-empty %s", word);
		return fail(why, len, "give one %s, not empty and without commas", word);
	}
}

int hwt_option_parse_value(const struct hwt_option *opt, const char *text,
			   struct hwt_option_value *v, char *why, size_t whylen)
{
	int ok = 0;

	if (!opt || !text || !v)
		return fail(why, whylen, "no option or value to parse");
	memset(v, 0, sizeof(*v));
	switch (opt->type) {
	case HWT_OPT_BOOL:
		ok = parse_bool(text, &v->i);
		break;
	case HWT_OPT_INT:
		ok = parse_int(text, &v->i);
		break;
	case HWT_OPT_SIZE:
		ok = parse_size(text, &v->i) &&
		     (!(opt->flags & HWT_OPT_POW2) || (v->i && !(v->i & (v->i - 1))));
		break;
	case HWT_OPT_DURATION:
		ok = parse_duration(text, &v->i);
		break;
	case HWT_OPT_ENUM:
		ok = parse_enum(opt, text, v);
		break;
	case HWT_OPT_STRING:
	case HWT_OPT_LIST:
		ok = *text && ((opt->flags & HWT_OPT_COMMAS) || !strchr(text, ','));
		v->s = text;
		break;
	default:
		return fail(why, whylen, "option '%s' has an unknown type %u", opt->name,
			    opt->type);
	}
	if (ok && is_number(opt) && opt->max > opt->min && (v->i < opt->min || v->i > opt->max))
		ok = 0;
	if (!ok) {
		memset(v, 0, sizeof(*v));
		return want(opt, why, whylen);
	}
	return 0;
}

/* ---- a plugin's values ----------------------------------------------------------------- */

static int name_ok(const char *s, int dashes)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') &&
		    *s != (dashes ? '-' : '_'))
			return 0;
	return 1;
}

/* The option's own faults, not counting its default. */
static const char *option_fault(const struct hwt_option *opt)
{
	if (!name_ok(opt->name, 0))
		return "its name is not made of a-z, 0-9 and _";
	if (!type_ok(opt->type))
		return "its type is not an enum hwt_option_type";
	if (opt->flags & ~(uint32_t)(HWT_OPT_POW2 | HWT_OPT_COMMAS) ||
	    (opt->flags & HWT_OPT_POW2 && opt->type != HWT_OPT_SIZE) ||
	    (opt->flags & HWT_OPT_COMMAS && !is_text(opt)))
		return "it has flags its type does not take";
	if (opt->type == HWT_OPT_ENUM && (!opt->choices || !opt->choices[0]))
		return "it is an ENUM without choices";
	if (opt->type == HWT_OPT_LIST && (opt->def || opt->max < 0))
		return "it is a LIST with a default or a negative count (lists start empty)";
	if (opt->short_flag && !((opt->short_flag >= 'a' && opt->short_flag <= 'z') ||
				 (opt->short_flag >= 'A' && opt->short_flag <= 'Z')))
		return "its short flag is not a letter";
	if (opt->long_flag && !name_ok(opt->long_flag, 1))
		return "its long flag is not made of a-z, 0-9 and -";
	return NULL;
}

static int check_table(const char *owner, const struct hwt_option *table, size_t n, char *why,
		       size_t len)
{
	struct hwt_option_value v;
	char fix[256];

	for (size_t i = 0; i < n; i++) {
		const struct hwt_option *opt = &table[i];
		const char *fault = option_fault(opt);
		if (fault)
			return fail(why, len, "%s: option %zu ('%s') is declared wrong: %s", owner,
				    i, opt->name ? opt->name : "(null)", fault);
		for (size_t j = 0; j < i; j++) {
			if (!strcmp(table[j].name, opt->name) ||
			    (opt->short_flag && table[j].short_flag == opt->short_flag) ||
			    (opt->long_flag && table[j].long_flag &&
			     !strcmp(table[j].long_flag, opt->long_flag)))
				return fail(why, len,
					    "%s: options '%s' and '%s' have the same name or flag",
					    owner, table[j].name, opt->name);
		}
		if (opt->def && hwt_option_parse_value(opt, opt->def, &v, fix, sizeof(fix)))
			return fail(why, len,
				    "%s: option '%s' has the default '%s', which it refuses: %s",
				    owner, opt->name, opt->def, fix);
	}
	return 0;
}

int hwt_options_init(struct hwt_options *o, const char *owner, const struct hwt_option *table,
		     size_t n, char *why, size_t whylen)
{
	if (!o)
		return fail(why, whylen, "no options to fill");
	memset(o, 0, sizeof(*o));
	owner = owner ? owner : "plugin";
	if (n && !table)
		return fail(why, whylen, "%s: %zu options but no table", owner, n);
	int err = check_table(owner, table, n, why, whylen);
	if (err)
		return err;
	o->values = calloc(n ? n : 1, sizeof(*o->values));
	o->lists = calloc(n ? n : 1, sizeof(*o->lists));
	if (!o->values || !o->lists) {
		hwt_options_fini(o);
		fail(why, whylen, "out of memory");
		return HWT_E_NOMEM;
	}
	o->owner = owner;
	o->table = table;
	o->n = n;
	for (size_t i = 0; i < n; i++)
		if (table[i].def)
			hwt_option_parse_value(&table[i], table[i].def, &o->values[i], NULL, 0);
	return 0;
}

void hwt_options_fini(struct hwt_options *o)
{
	if (!o)
		return;
	for (size_t i = 0; o->lists && i < o->n; i++)
		free(o->lists[i]);
	for (size_t i = 0; i < o->ntexts; i++)
		free(o->texts[i]);
	free(o->lists);
	free(o->values);
	free(o->texts);
	memset(o, 0, sizeof(*o));
}

/* The error for @text refused by @opt, given with @flag (NULL: KEY=VALUE text), @fix saying what
 * to give. */
static int refuse(const struct hwt_options *o, const struct hwt_option *opt, const char *text,
		  const char *flag, const char *fix, char *why, size_t len)
{
	const char *pre = flag ? "" : o->owner, *sep = flag ? "" : ": ";
	char word[48], name[96];

	if (is_text(opt)) {
		snprintf(name, sizeof(name), "%s%s", flag ? flag : opt->name, flag ? "" : "=");
		return fail(why, len, "%s%sbad %s '%s' for %s: %s%s%s%s", pre, sep,
			    noun(opt, word, sizeof(word)), text, flag ? flag : opt->name, fix,
			    opt->type == HWT_OPT_LIST ? " (repeat " : "",
			    opt->type == HWT_OPT_LIST ? name : "",
			    opt->type == HWT_OPT_LIST ? " for more)" : "");
	}
	if (!flag)
		return fail(why, len, "%s: %s=%s: %s", o->owner, opt->name, text, fix);
	/* A short flag names its long form too: the one the help and older messages use. */
	if (flag[0] == '-' && flag[1] != '-' && opt->long_flag)
		return fail(why, len, "%s %s (--%s %s): %s", flag, text, opt->long_flag, text, fix);
	return fail(why, len, "%s %s: %s", flag, text, fix);
}

static int list_add(struct hwt_options *o, size_t i, const char *text, const char *flag, char *why,
		    size_t len)
{
	const struct hwt_option *opt = &o->table[i];
	struct hwt_option_value *v = &o->values[i];
	char word[48];

	if (opt->max > 0 && v->n >= (size_t)opt->max && flag)
		return fail(why, len, "too many %s %ss: at most %lld", flag,
			    noun(opt, word, sizeof(word)), (long long)opt->max);
	if (opt->max > 0 && v->n >= (size_t)opt->max)
		return fail(why, len, "%s: too many values of %s: at most %lld", o->owner,
			    opt->name, (long long)opt->max);
	const char **l = realloc(o->lists[i], (v->n + 1) * sizeof(*l));
	if (!l) {
		fail(why, len, "out of memory");
		return HWT_E_NOMEM;
	}
	l[v->n] = text;
	o->lists[i] = l;
	v->list = l;
	v->n++;
	v->set = 1;
	return 0;
}

int hwt_options_set(struct hwt_options *o, size_t i, const char *text, const char *flag, char *why,
		    size_t whylen)
{
	struct hwt_option_value v;
	char fix[256];

	if (!o || !o->values || i >= o->n || !text)
		return fail(why, whylen, "no option to set");
	const struct hwt_option *opt = &o->table[i];
	if (hwt_option_parse_value(opt, text, &v, fix, sizeof(fix)))
		return refuse(o, opt, text, flag, fix, why, whylen);
	if (opt->type == HWT_OPT_LIST)
		return list_add(o, i, text, flag, why, whylen);
	v.set = 1;
	o->values[i] = v;
	return 0;
}

static int unknown(const struct hwt_options *o, const char *key, char *why, size_t len)
{
	char names[512] = "";
	size_t off = 0;

	if (!o->n)
		return fail(why, len, "%s: unknown option '%s': it takes no options", o->owner,
			    key);
	for (size_t i = 0; i < o->n && off < sizeof(names); i++)
		off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
					!i	       ? ""
					: i + 1 < o->n ? ", "
						       : " or ",
					o->table[i].name);
	return fail(why, len, "%s: unknown option '%s': use %s", o->owner, key, names);
}

int hwt_options_parse(struct hwt_options *o, const char *args, char *why, size_t whylen)
{
	char arg[96], *save = NULL;

	if (!o || !o->values)
		return fail(why, whylen, "no options to fill");
	if (!args || !*args)
		return 0;
	char **texts = realloc(o->texts, (o->ntexts + 1) * sizeof(*texts));
	char *copy = texts ? strdup(args) : NULL;
	if (texts)
		o->texts = texts;
	if (!copy) {
		fail(why, whylen, "out of memory");
		return HWT_E_NOMEM;
	}
	o->texts[o->ntexts++] = copy; /* the values borrow from it */
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *v = strchr(kv, '=');
		if (v)
			*v++ = 0;
		int i = hwt_option_find(o->table, o->n, kv);
		if (i < 0)
			return unknown(o, kv, why, whylen);
		if (!v && o->table[i].type != HWT_OPT_BOOL)
			return fail(why, whylen, "%s: option '%s' needs a value (%s=%s)", o->owner,
				    kv, kv, hwt_option_arg(&o->table[i], arg, sizeof(arg)));
		int err = hwt_options_set(o, (size_t)i, v ? v : "1", NULL, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

int hwt_option_find(const struct hwt_option *table, size_t n, const char *name)
{
	for (size_t i = 0; table && name && i < n; i++)
		if (table[i].name && !strcmp(table[i].name, name))
			return (int)i;
	return -1;
}

int hwt_option_find_flag(const struct hwt_option *table, size_t n, char c, const char *name)
{
	for (size_t i = 0; table && i < n; i++)
		if ((c && table[i].short_flag == c) ||
		    (name && table[i].long_flag && !strcmp(table[i].long_flag, name)))
			return (int)i;
	return -1;
}

/* ---- help ------------------------------------------------------------------------------ */

struct text {
	char *buf;
	size_t len, off;
	int overflow;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *t, const char *fmt, ...)
{
	va_list ap;

	if (t->overflow)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->off, t->len - t->off, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= t->len - t->off)
		t->overflow = 1;
	else
		t->off += (size_t)n;
}

/* "  -m, --ring SIZE", "      --freq HZ", "  -q, --quiet", "      tsc=0|1". */
static void help_left(const struct hwt_option *opt, struct text *t)
{
	char arg[96];

	hwt_option_arg(opt, arg, sizeof(arg));
	if (!opt->short_flag && !opt->long_flag) {
		put(t, "      %s=%s", opt->name, arg);
		return;
	}
	if (opt->short_flag)
		put(t, "  -%c%s", opt->short_flag, opt->long_flag ? "," : "");
	else
		put(t, "     ");
	if (opt->long_flag)
		put(t, " --%s", opt->long_flag);
	if (opt->type != HWT_OPT_BOOL)
		put(t, " %s", arg);
}

/* The help text and what the table says besides: "HELP (from 1 to 100000; default 4000)". */
static void help_words(const struct hwt_option *opt, char *buf, size_t len)
{
	struct text t = { buf, len, 0, 0 };
	const char *sep = " (";
	char range[96];

	range_text(opt, range, sizeof(range));
	put(&t, "%s", opt->help ? opt->help : "");
	if (opt->flags & HWT_OPT_POW2) {
		put(&t, "%sa power of two%s", sep, range);
		sep = "; ";
	} else if (is_number(opt) && range[0]) {
		put(&t, "%s%s", sep, range + 1);
		sep = "; ";
	}
	if (opt->type == HWT_OPT_LIST) {
		put(&t, "%srepeatable", sep);
		if (opt->max > 0)
			put(&t, ", at most %lld", (long long)opt->max);
		sep = "; ";
	}
	if (opt->def) {
		put(&t, "%sdefault %s", sep, opt->def);
		sep = "; ";
	}
	if (sep[0] == ';')
		put(&t, ")");
}

int hwt_option_help(const struct hwt_option *opt, char *buf, size_t len)
{
	struct text t = { buf, len, 0, 0 };
	char words[1024];

	if (!opt || !buf || !len)
		return HWT_E_INVAL;
	help_left(opt, &t);
	size_t col = t.off;
	if (col + 2 > HELP_COLUMN) {
		put(&t, "\n");
		col = 0;
	}
	help_words(opt, words, sizeof(words));
	char *save = NULL;
	int first = 1;
	for (char *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t wl = strlen(w);
		if (!first && col + 1 + wl > HELP_WIDTH) {
			put(&t, "\n");
			col = 0;
			first = 1;
		}
		if (first) {
			put(&t, "%*s", (int)(HELP_COLUMN - col), "");
			col = HELP_COLUMN;
		} else {
			put(&t, " ");
			col++;
		}
		put(&t, "%s", w);
		col += wl;
		first = 0;
	}
	put(&t, "\n");
	if (t.overflow) {
		buf[0] = 0;
		return HWT_E_NOMEM;
	}
	return (int)t.off;
}

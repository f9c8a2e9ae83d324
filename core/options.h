/* Plugin options: checks a plugin's table (struct hwt_option), parses and validates values from
 * command-line flags and NAME:KEY=VALUE,... text once, and writes help and one-line errors. */
#ifndef HWT_CORE_OPTIONS_H
#define HWT_CORE_OPTIONS_H

#include <stddef.h>

#include <hwtrace/plugin.h>

/**
 * The values of one plugin's options while they are given; hwt_options_init() sets the
 * defaults. Plugins get .values (indexed like .table) in start().
 */
struct hwt_options {
	const char *owner;		 /* borrowed: names the plugin in messages ("-P x.so") */
	const struct hwt_option *table;	 /* borrowed */
	size_t n;			 /* options in .table */
	struct hwt_option_value *values; /* owned: n of them */
	const char ***lists;		 /* owned: the storage of each LIST value, n of them */
	char **texts;			 /* owned: copies of the texts hwt_options_parse() split */
	size_t ntexts;
};

/**
 * Checks @table (@n options; NULL for none) and sets @o to its defaults. @owner and @table are
 * borrowed for the life of @o. Returns 0; HWT_E_INVAL with @why ("OWNER: option 'x': ...") if
 * the table is wrong (a name repeated or not [a-z0-9_]+, an unknown type, an ENUM without
 * choices, a default that its own option refuses...); HWT_E_NOMEM. On error @o needs no
 * hwt_options_fini() but accepts it.
 */
int hwt_options_init(struct hwt_options *o, const char *owner, const struct hwt_option *table,
		     size_t n, char *why, size_t whylen);

/** Frees what @o holds (not @o itself); NULL and a zeroed @o are fine. */
void hwt_options_fini(struct hwt_options *o);

/**
 * Gives option @i of @o the value @text (borrowed: it must outlive @o), as the user spelled
 * it with @flag ("-m", "--ring"; NULL when it came as KEY=VALUE text). A LIST gains a value,
 * any other option takes the last one given. Returns 0, or HWT_E_INVAL with @why in one line
 * that names the option as given, what is wrong and what to give ("-D 0 (--depth 0): give a
 * whole number from 1 to 1000000"; text options start with "OWNER: KEY=VALUE: "); HWT_E_NOMEM.
 */
int hwt_options_set(struct hwt_options *o, size_t i, const char *text, const char *flag, char *why,
		    size_t whylen);

/**
 * Applies @args, "KEY=VALUE,KEY=VALUE,..." (copied; NULL or "" for none; a BOOL may be given
 * as KEY alone), to @o. Returns 0, or HWT_E_INVAL with @why ("OWNER: unknown option 'x': use
 * a, b or c", "OWNER: option 'x' needs a value (x=VALUE)", or what hwt_options_set() says);
 * HWT_E_NOMEM.
 */
int hwt_options_parse(struct hwt_options *o, const char *args, char *why, size_t whylen);

/** The index of the option called @name in @table (@n options), or -1. */
int hwt_option_find(const struct hwt_option *table, size_t n, const char *name);

/** The index of the option of @table with short flag @c (if not 0) or long flag @name (if not
 *  NULL), or -1. */
int hwt_option_find_flag(const struct hwt_option *table, size_t n, char c, const char *name);

/**
 * Parses @text as a value of @opt into @v (all of it; .set is left 0; strings are borrowed
 * from @text or @opt). A LIST takes one value here (.s). Returns 0, or HWT_E_INVAL with @why
 * saying what to give ("give a power of two from 4K to 1G, e.g. 4M"), without the option's
 * name.
 */
int hwt_option_parse_value(const struct hwt_option *opt, const char *text,
			   struct hwt_option_value *v, char *why, size_t whylen);

/**
 * Writes the help of @opt into @buf: "  -m, --ring SIZE      HELP (default 4M)", or
 * "      KEY=ARG ..." for an option without flags, wrapped at 92 columns, each line ending in
 * '\n'. Returns the length, or HWT_E_NOMEM if @len is too small (@buf then holds "").
 */
int hwt_option_help(const struct hwt_option *opt, char *buf, size_t len);

/** What @opt's value is called in help: .arg, or "fp|dwarf|none" for an ENUM, or one word
 *  for its type. Written into @buf (truncated to @len); returns @buf. */
const char *hwt_option_arg(const struct hwt_option *opt, char *buf, size_t len);

#endif

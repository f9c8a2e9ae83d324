/* libFuzzer target: plugin arguments (core/options.c): any bytes as the NAME:KEY=VALUE,... text
 * of a plugin whose table has an option of every type, and as one value of each option given by
 * flag. Whatever is refused says why in one line. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/options.h"

static const char *const modes[] = { "fp", "dwarf", "lbr", NULL };
static const struct hwt_option table[] = {
	{ .name = "on", .type = HWT_OPT_BOOL, .help = "a switch", .short_flag = 'o' },
	{ .name = "depth", .type = HWT_OPT_INT, .min = 1, .max = 1000, .def = "8", .help = "d" },
	{ .name = "any", .type = HWT_OPT_INT, .help = "any whole number" },
	{ .name = "ring",
	  .type = HWT_OPT_SIZE,
	  .flags = HWT_OPT_POW2,
	  .min = 4096,
	  .max = 1 << 30,
	  .def = "64K",
	  .help = "r",
	  .long_flag = "ring" },
	{ .name = "period",
	  .type = HWT_OPT_DURATION,
	  .min = 1000,
	  .max = 10000000000,
	  .def = "10ms",
	  .help = "p" },
	{ .name = "name", .type = HWT_OPT_STRING, .help = "n" },
	{ .name = "text", .type = HWT_OPT_STRING, .flags = HWT_OPT_COMMAS, .help = "t" },
	{ .name = "func", .type = HWT_OPT_LIST, .max = 4, .help = "f" },
	{ .name = "mode", .type = HWT_OPT_ENUM, .choices = modes, .def = "fp", .help = "m" },
};
#define NOPTS (sizeof(table) / sizeof(table[0]))

static void one_line(const char *why)
{
	if (strchr(why, '\n'))
		abort(); /* errors are one line */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hwt_options o;
	char why[512] = "", *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	if (hwt_options_init(&o, "fuzz", table, NOPTS, why, sizeof(why)))
		abort(); /* the table is right */
	if (hwt_options_parse(&o, text, why, sizeof(why)) < 0)
		one_line(why);
	for (size_t i = 0; i < NOPTS; i++) {
		char buf[128];
		struct hwt_option_value v;
		hwt_option_help(&table[i], buf, sizeof(buf));
		if (hwt_option_parse_value(&table[i], text, &v, why, sizeof(why)) < 0)
			one_line(why);
		if (hwt_options_set(&o, i, text, "-x", why, sizeof(why)) < 0)
			one_line(why);
	}
	hwt_options_fini(&o);
	free(text);
	return 0;
}

/* Unit tests for exporters/tags.c: rule parsing and files, and the chains of tags the tagger makes
 * of stacks built here. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model.h"
#include "exporters/tags.h"
#include "hwtrace/error.h"

static struct hwt_model *m;
static struct hwt_tag_rules *r;
static uint32_t f_main, f_parse, f_lex, f_inflate, f_write, f_other, lib_z;

static uint32_t str(const char *s)
{
	int64_t id = hwt_model_intern_str(m, s);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

static uint32_t frame(const char *name, uint32_t mapping)
{
	struct hwt_frame f = { .name = str(name),
			       .mapping = mapping,
			       .addr = 0x1000 + strlen(name) };
	int64_t id = hwt_model_intern_frame(m, &f);

	ck_assert_int_gt(id, 0);
	return (uint32_t)id;
}

/* The stack node of @n frames, outermost first. */
static uint32_t stack(int n, const uint32_t *frames)
{
	uint32_t node = HWT_NONE;

	for (int i = 0; i < n; i++) {
		int64_t id = hwt_model_intern_stack(m, node, frames[i]);
		ck_assert_int_gt(id, 0);
		node = (uint32_t)id;
	}
	return node;
}
#define STACK(...) stack(sizeof((uint32_t[]){ __VA_ARGS__ }) / 4, (uint32_t[]){ __VA_ARGS__ })

/* The tag chain of node @node as "a;b;c". */
static const char *chain_text(uint32_t node)
{
	static char buf[256];
	const char *names[16];
	int n = 0;

	while (node != HWT_NONE && n < 16) {
		const struct hwt_stack_node *sn = hwt_model_stack(m, node);
		names[n++] = hwt_model_frame_name(m, sn->frame);
		node = sn->parent;
	}
	buf[0] = 0;
	while (n-- > 0) {
		strcat(buf, names[n]);
		if (n)
			strcat(buf, ";");
	}
	return buf;
}

static void add(const char *text)
{
	char why[256];
	ck_assert_msg(hwt_tag_rules_add(r, text, why, sizeof(why)) == 0, "%s: %s", text, why);
}

static void setup(void)
{
	m = hwt_model_alloc();
	r = hwt_tag_rules_alloc();
	ck_assert_ptr_nonnull(m);
	ck_assert_ptr_nonnull(r);
	struct hwt_mapping mp = { .start = 0x7f0000000000,
				  .end = 0x7f0000100000,
				  .path = str("/usr/lib/x86_64-linux-gnu/libz.so.1.2.13") };
	int64_t id = hwt_model_intern_mapping(m, &mp);
	ck_assert_int_gt(id, 0);
	lib_z = (uint32_t)id;
	f_main = frame("main", HWT_NONE);
	f_parse = frame("parse_json", HWT_NONE);
	f_lex = frame("lex_token", HWT_NONE);
	f_inflate = frame("inflate_fast", lib_z);
	f_write = frame("write", HWT_NONE);
	f_other = frame("helper", HWT_NONE);
}

static void teardown(void)
{
	hwt_tag_rules_free(r);
	hwt_model_free(m);
}

/* A sample of thread @tid (named @comm) at @node through a new tagger: its chain. */
static const char *tag_sample(struct hwt_tagger *t, uint32_t tid, uint32_t node)
{
	struct hwt_event in = { .type = HWT_EV_SAMPLE, .pid = 10, .tid = tid, .ts = 5 }, out;
	in.sample.stack = node;
	ck_assert_int_eq(hwt_tagger_event(t, &in, &out), 0);
	return chain_text(out.sample.stack);
}

START_TEST(hwt_tagger_event_chains)
{
	add("parse=^(parse|lex)_");
	add("library:compress=libz\\.so");
	add("io=^(read|write)$");
	add("thread:worker=^wrk");
	struct hwt_tagger *t = hwt_tagger_alloc(r, m);
	struct hwt_event in = { .type = HWT_EV_THREAD, .pid = 10, .tid = 11 }, out;
	in.thread.name = str("wrk-1");
	ck_assert_int_eq(hwt_tagger_event(t, &in, &out), 0);

	/* Untagged frames are left out, a tag next to itself once. */
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_parse, f_lex)), "parse");
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_parse, f_other, f_inflate, f_write)),
			 "parse;compress;io");
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_other)), HWT_TAG_UNMATCHED);
	ck_assert_str_eq(tag_sample(t, 10, HWT_NONE), HWT_TAG_UNMATCHED);
	/* A thread rule tags the root of every stack of its threads. */
	ck_assert_str_eq(tag_sample(t, 11, STACK(f_main, f_inflate)), "worker;compress");
	ck_assert_str_eq(tag_sample(t, 11, STACK(f_main, f_other)), "worker");

	/* A slice gets the chain's node and its leaf tag as frame. */
	struct hwt_event b = { .type = HWT_EV_SLICE_BEGIN, .pid = 10, .tid = 10, .ts = 6 };
	b.slice.node = STACK(f_main, f_parse, f_write);
	b.slice.frame = f_write;
	ck_assert_int_eq(hwt_tagger_event(t, &b, &out), 0);
	ck_assert_str_eq(chain_text(out.slice.node), "parse;io");
	ck_assert_str_eq(hwt_model_frame_name(m, out.slice.frame), "io");

	uint32_t leaf;
	ck_assert_int_eq(hwt_tagger_unmatched(t, str("app"), STACK(f_main, f_other), &leaf), 1);
	ck_assert_uint_eq(leaf, f_other);
	ck_assert_int_eq(hwt_tagger_unmatched(t, str("app"), STACK(f_main, f_parse), &leaf), 0);
	ck_assert_int_eq(hwt_tagger_unmatched(t, str("wrk-2"), STACK(f_main, f_other), &leaf), 0);
	hwt_tagger_free(t);
}
END_TEST

/* The first rule that matches a frame gives its tag. */
START_TEST(hwt_tagger_event_first_match_wins)
{
	add("lexing=^lex_");
	add("parse=^(parse|lex)_");
	struct hwt_tagger *t = hwt_tagger_alloc(r, m);
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_parse, f_lex)), "parse;lexing");
	hwt_tagger_free(t);
}
END_TEST

/* file: the source file of the frame's function, as the model shows it (relative to the root);
 * frames whose file is unknown match no file rule. */
START_TEST(hwt_tagger_event_file_rule)
{
	ck_assert_int_eq(hwt_tag_rules_need_sources(r), 0);
	add("file:parser=^src/parse/");
	add("file:outside=^external/");
	ck_assert_int_eq(hwt_tag_rules_need_sources(r), 1);
	ck_assert_int_eq(hwt_model_set_meta(m, "project_root", "/home/u/app"), 0);
	int64_t in_root = hwt_model_intern_path(m, "/home/u/app/src/parse/json.c", 28);
	int64_t outside = hwt_model_intern_path(m, "/home/u/zlib/inflate.c", 22);
	ck_assert_str_eq(hwt_model_str(m, (uint32_t)in_root), "src/parse/json.c");
	ck_assert_int_eq(hwt_model_set_frame_file(m, f_parse, (uint32_t)in_root), 0);
	ck_assert_int_eq(hwt_model_set_frame_file(m, f_inflate, (uint32_t)outside), 0);
	ck_assert_uint_eq(hwt_model_frame_file(m, f_parse), (uint32_t)in_root);
	ck_assert_uint_eq(hwt_model_frame_file(m, f_lex), HWT_NONE);
	ck_assert_int_eq(hwt_model_set_frame_file(m, 9999, (uint32_t)in_root), HWT_E_INVAL);
	ck_assert_int_eq(hwt_model_set_frame_file(NULL, f_parse, (uint32_t)in_root), HWT_E_INVAL);
	struct hwt_tagger *t = hwt_tagger_alloc(r, m);
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_parse, f_lex, f_inflate)),
			 "parser;outside");
	ck_assert_str_eq(tag_sample(t, 10, STACK(f_main, f_lex)), HWT_TAG_UNMATCHED);
	hwt_tagger_free(t);
}
END_TEST

START_TEST(hwt_tag_rules_add_bad)
{
	static const char *const bad[] = {
		"", "=x", "io=", "noequals", "disk:io=x", ":io=x", "io=("
	};
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = 0;
		ck_assert_int_eq(hwt_tag_rules_add(r, bad[i], why, sizeof(why)), HWT_E_INVAL);
		ck_assert_msg(why[0], "no reason for '%s'", bad[i]);
	}
	ck_assert_int_eq(hwt_tag_rules_add(NULL, "a=b", why, sizeof(why)), HWT_E_INVAL);
	ck_assert_int_eq(hwt_tag_rules_add(r, NULL, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_tag_rules_count(r), 0);
	add("function:a=b=c"); /* the first '=' ends the tag */
	ck_assert_uint_eq(hwt_tag_rules_count(r), 1);
}
END_TEST

START_TEST(hwt_tag_rules_load_file)
{
	char path[] = "/tmp/test_tags.XXXXXX", why[256];
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("# rules\n\nparse=^parse_  \n  library:compress=libz\n", f);
	fclose(f);
	ck_assert_int_eq(hwt_tag_rules_load(r, path, why, sizeof(why)), 2);
	f = fopen(path, "a");
	fputs("io=(\n", f);
	fclose(f);
	ck_assert_int_eq(hwt_tag_rules_load(r, path, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, ":5: "));
	unlink(path);
	ck_assert_int_eq(hwt_tag_rules_load(r, path, why, sizeof(why)), HWT_E_IO);
	ck_assert_ptr_nonnull(strstr(why, path));
}
END_TEST

START_TEST(hwt_tag_rules_free_null)
{
	hwt_tag_rules_free(NULL);
	hwt_tagger_free(NULL);
	ck_assert_uint_eq(hwt_tag_rules_count(NULL), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("tags");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, hwt_tagger_event_chains);
	tcase_add_test(tc, hwt_tagger_event_first_match_wins);
	tcase_add_test(tc, hwt_tagger_event_file_rule);
	tcase_add_test(tc, hwt_tag_rules_add_bad);
	tcase_add_test(tc, hwt_tag_rules_load_file);
	tcase_add_test(tc, hwt_tag_rules_free_null);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Tag rules: frames mapped to semantic tags ("io", "parse", "compress") by regular expressions
 * on their function, library or thread names, and stacks collapsed to chains of tags, so that
 * every view built on stacks (folded, pprof, svg, report) can be shown by tag (--by tag). */
#ifndef HWT_EXPORTERS_TAGS_H
#define HWT_EXPORTERS_TAGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/** What a rule's expression is matched against. */
enum hwt_tag_kind {
	HWT_TAG_FUNCTION, /* the frame's function name (the default) */
	HWT_TAG_LIBRARY,  /* the path of the file the frame's code is in */
	HWT_TAG_THREAD,	  /* the thread's name: the tag at the root of every stack of it */
	HWT_TAG_FILE,	  /* the source file of the frame's function (hwt_model_frame_file(): the
			     decoder must look them up, hwt_tag_rules_need_sources()) */
};

/** The tag of stacks no rule matched. */
#define HWT_TAG_UNMATCHED "[untagged]"

struct hwt_tag_rules;

/** New, empty rule list; NULL when out of memory. */
struct hwt_tag_rules *hwt_tag_rules_alloc(void);
/** Frees @r; NULL accepted. */
void hwt_tag_rules_free(struct hwt_tag_rules *r);

/** Appends the rule @text, "[KIND:]TAG=REGEX" (KIND function, library, file or thread; REGEX a
 * POSIX extended expression found anywhere in the name, anchor it with ^ and $). Rules are tried in
 *  the order added; the first that matches a frame gives its tag. Returns 0, HWT_E_INVAL with
 *  @why saying what is wrong, or HWT_E_NOMEM. */
int hwt_tag_rules_add(struct hwt_tag_rules *r, const char *text, char *why, size_t whylen);

/** Appends the rules of the file @path: one rule a line as hwt_tag_rules_add() takes, blank
 *  lines and lines starting with # skipped. Returns the number of rules added, or HWT_E_IO /
 *  HWT_E_INVAL with @why naming the file and line, HWT_E_NOMEM. */
int hwt_tag_rules_load(struct hwt_tag_rules *r, const char *path, char *why, size_t whylen);

/** Whether a rule of @r matches source files: the decoder must look them up
 *  (hwt_decoder_config.sources). */
int hwt_tag_rules_need_sources(const struct hwt_tag_rules *r);

/** Number of rules. */
size_t hwt_tag_rules_count(const struct hwt_tag_rules *r);

struct hwt_tagger;

/** New tagger applying @r (borrowed: must outlive it) to events over model @m (borrowed; the
 *  tags are interned in it as frames and their chains as stack nodes). NULL when out of memory.
 */
struct hwt_tagger *hwt_tagger_alloc(const struct hwt_tag_rules *r, struct hwt_model *m);
/** Frees @t; NULL accepted. */
void hwt_tagger_free(struct hwt_tagger *t);

/** Copies @in to @out with its stack replaced by its chain of tags: a sample's leaf node, a
 *  slice's node and frame. The chain: the thread's tag if a thread rule matches its name, then,
 *  from the outermost frame in, the tag of each frame a rule matches, a tag repeated next to
 *  itself once; HWT_TAG_UNMATCHED alone when nothing matched. Other events are copied as they
 *  are (process and thread names are noted for thread rules). Returns 0 or HWT_E_NOMEM. */
int hwt_tagger_event(struct hwt_tagger *t, const struct hwt_event *in, struct hwt_event *out);

/** Whether a stack of thread name @comm (string id, HWT_NONE if unknown) at original node @node
 *  has no frame any rule matches, nor a thread rule its name: what chains to
 *  HWT_TAG_UNMATCHED. *@leaf gets the node's innermost frame id. For the report's top unmatched
 *  frames, over an aggregation of the original events. Negative on HWT_E_NOMEM. */
int hwt_tagger_unmatched(struct hwt_tagger *t, uint32_t comm, uint32_t node, uint32_t *leaf);

#endif

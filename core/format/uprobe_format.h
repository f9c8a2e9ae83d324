/* The uprobe backend's data in a recording, one writer and one reader of each: the stream of
 * calls and returns the plugin writes and its decoder reads, and the function tables ("uprobe"
 * chunks) that name the functions the stream's ids refer to. */
#ifndef HWT_CORE_FORMAT_UPROBE_H
#define HWT_CORE_FORMAT_UPROBE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The stream: varint-encoded records, deltas against the previous record (time) and the
 * thread's previous record (stack pointer), so a call costs a few bytes before compression.
 * Every record starts with varint(code), code = id << UP_KIND_BITS | kind:
 *   UP_KIND_THREAD  (id 0)  varint(tid) varint(pid): a thread seen for the first time; it gets
 *                           the next thread index (0, 1, ...)
 *   UP_KIND_GAP     (id 0)  varint(thread index) varint(records lost just before the next
 *                           record of that thread)
 *   UP_KIND_GAP     (id UP_GAP_TAIL)  varint(thread index) varint(0): the next entry of that
 *                           thread is a tail call: it came at the stack pointer of a traced
 *                           call still open (whose return address the kernel had replaced), and
 *                           nests in it; both end at the returns that follow
 *   UP_KIND_ENTRY   (id = function id)  varint(thread index) varint(zigzag(ts - previous ts))
 *                           varint(zigzag(sp - the thread's previous sp))
 *   UP_KIND_RETURN  same as an entry; sp is the entry's sp + 8
 * "previous ts" is the previous entry or return of any thread, starting at 0; the first sp of a
 * thread is a delta from 0.
 *
 * A function table chunk: the functions of one file:
 *   u8 UP_TABLE_VERSION, varint(length) path, then per function
 *   varint(id) varint(vaddr) varint(size) varint(flags) varint(length) name
 * (flags: enum hwt_elf_func_flags, and HWT_UPROBE_FUNC_RET_STEPPED).
 */
#define UP_KIND_BITS   2
#define UP_KIND_ENTRY  0
#define UP_KIND_RETURN 1
#define UP_KIND_GAP    2
#define UP_KIND_THREAD 3

/** The id of a UP_KIND_GAP record that marks the next entry of its thread as a tail call. */
#define UP_GAP_TAIL 1

#define UP_TABLE_VERSION 1

/** The most bytes one stream record takes. */
#define UP_RECORD_MAX 40

/** One record of the stream, as hwt_uprobe_record_put() takes it and _get() gives it back. */
struct hwt_uprobe_record {
	uint32_t kind; /* UP_KIND_* */
	uint32_t id;   /* function id (entry, return) */
	uint64_t a;    /* THREAD: tid; else the thread index */
	uint64_t b;    /* THREAD: pid; GAP: records lost; ENTRY/RETURN: time delta */
	int64_t c;     /* ENTRY/RETURN: stack pointer delta (time delta in @b is zigzagged too) */
};

/** Writes @r at @p (room for UP_RECORD_MAX bytes); returns the bytes written. */
size_t hwt_uprobe_record_put(uint8_t *p, const struct hwt_uprobe_record *r);
/** Reads the record at *@p (before @end) into @r and moves *@p past it. Returns 0, or -1 when
 *  the bytes end inside the record. ENTRY/RETURN carry their time delta as (int64_t)@b. */
int hwt_uprobe_record_get(const uint8_t **p, const uint8_t *end, struct hwt_uprobe_record *r);

/* One varint of hwt_uprobe_record_next(), with room for 10 bytes at *@p; -1 where
 * hwt_uprobe_record_get() fails (10 bytes, none ending it). */
static inline int hwt_uprobe_varint_room(const uint8_t **p, uint64_t *v)
{
	const uint8_t *q = *p;
	uint64_t x = *q++;

	if (x & 0x80) {
		x &= 0x7f;
		for (int shift = 7;; shift += 7) {
			if (shift > 63)
				return -1;
			uint8_t b = *q++;
			x |= (uint64_t)(b & 0x7f) << shift;
			if (!(b & 0x80))
				break;
		}
	}
	*v = x;
	*p = q;
	return 0;
}

/** hwt_uprobe_record_get() inline, for the decoders' loops: where a record of UP_RECORD_MAX
 *  bytes would fit before @end, its bytes are read without a check each. The same result and
 *  record as hwt_uprobe_record_get() for any bytes; after a failure (-1), *@p is unspecified. */
static inline int hwt_uprobe_record_next(const uint8_t **p, const uint8_t *end,
					 struct hwt_uprobe_record *r)
{
	const uint8_t *q = *p;
	uint64_t code, c;

	if (end - q < UP_RECORD_MAX)
		return hwt_uprobe_record_get(p, end, r);
	if (hwt_uprobe_varint_room(&q, &code) || hwt_uprobe_varint_room(&q, &r->a) ||
	    hwt_uprobe_varint_room(&q, &r->b))
		return -1;
	r->kind = (uint32_t)(code & ((1u << UP_KIND_BITS) - 1));
	r->id = (uint32_t)(code >> UP_KIND_BITS);
	r->c = 0;
	if (r->kind != UP_KIND_THREAD && r->kind != UP_KIND_GAP) {
		if (hwt_uprobe_varint_room(&q, &c))
			return -1;
		r->b = (r->b >> 1) ^ -(r->b & 1);
		r->c = (int64_t)((c >> 1) ^ -(c & 1));
	}
	*p = q;
	return 0;
}

/** A growing function table chunk; zero-initialised is empty. */
struct hwt_uprobe_table {
	uint8_t *data; /* owned */
	size_t len, cap;
};

/** A function table's flag beside enum hwt_elf_func_flags: the function's returns are caught by
 *  uprobes on its ret instructions (single-stepped), not by a uretprobe. */
#define HWT_UPROBE_FUNC_RET_STEPPED (1u << 16)

/** Starts the table of the functions of file @path. Returns 0 or HWT_E_NOMEM. */
int hwt_uprobe_table_begin(struct hwt_uprobe_table *t, const char *path);
/** Adds a function. Returns 0 or HWT_E_NOMEM. */
int hwt_uprobe_table_add(struct hwt_uprobe_table *t, uint32_t id, uint64_t vaddr, uint64_t size,
			 uint32_t flags, const char *name);
/** Frees what @t holds; it is empty afterwards. */
void hwt_uprobe_table_fini(struct hwt_uprobe_table *t);

/** A function of a table, as the reader gives it: @name (not NUL-terminated) borrowed from the
 *  chunk for the call. */
struct hwt_uprobe_func {
	uint32_t id, flags;
	uint64_t vaddr, size;
	const char *name;
	size_t name_len;
};

/** How hwt_uprobe_table_read() hands out a table; each hook's error stops the reading. */
struct hwt_uprobe_table_reader {
	/** The file: @len bytes at @path (not NUL-terminated), borrowed for the call. */
	int (*file)(const char *path, size_t len, void *ctx);
	/** Each function, after the file. */
	int (*func)(const struct hwt_uprobe_func *f, void *ctx);
};

/** Reads the table chunk @data with @rd and @ctx. Returns 0, a hook's error, or HWT_E_CORRUPT
 *  when the chunk is no table of this version or ends inside a function (what came before was
 *  handed out). */
int hwt_uprobe_table_read(const void *data, size_t len, const struct hwt_uprobe_table_reader *rd,
			  void *ctx);

#endif

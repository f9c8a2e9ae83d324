/* The uprobe stream as the uprobe plugin writes it into the recording and its decoder reads it:
 * a sequence of varint-encoded records, deltas against the previous record (time) and the
 * thread's previous record (stack pointer), so a call costs a few bytes before compression. */
#ifndef HWT_CORE_FORMAT_UPROBE_H
#define HWT_CORE_FORMAT_UPROBE_H

/*
 * Every record starts with varint(code), code = id << UP_KIND_BITS | kind:
 *   UP_KIND_THREAD  (id 0)  varint(tid) varint(pid): a thread seen for the first time; it gets
 *                           the next thread index (0, 1, ...)
 *   UP_KIND_GAP     (id 0)  varint(thread index) varint(records lost just before the next
 *                           record of that thread)
 *   UP_KIND_ENTRY   (id = function id)  varint(thread index) varint(zigzag(ts - previous ts))
 *                           varint(zigzag(sp - the thread's previous sp))
 *   UP_KIND_RETURN  same as an entry; sp is the entry's sp + 8
 * "previous ts" is the previous entry or return of any thread, starting at 0; the first sp of a
 * thread is a delta from 0. Function ids come from the plugin's "uprobe" chunks: lines of
 * "file PATH" followed by "ID VADDR SIZE FLAGS NAME" (hex vaddr, enum hwt_elf_func_flags).
 */
#define UP_KIND_BITS   2
#define UP_KIND_ENTRY  0
#define UP_KIND_RETURN 1
#define UP_KIND_GAP    2
#define UP_KIND_THREAD 3

#endif

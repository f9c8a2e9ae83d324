/* Effects: the records of the `syscalls` plugin (core/format/sysc_format.h), one per system
 * call or io_uring request, read against a table of each process's open files and sockets, as
 * the effects a program had: opens, reads, writes, mappings, connects, sends and receives, each
 * with the file or address it touched, its bytes and its result. */
#ifndef HWT_DECODERS_EFFECTS_EFFECTS_H
#define HWT_DECODERS_EFFECTS_EFFECTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/** Most effects one record makes: a copy between descriptors (sendfile, splice,
 *  copy_file_range) is a read of one and a write of the other. */
#define HWT_EFFECTS_MAX 2

/** What hwt_effects_record() found complete: one effect. Pointers are borrowed until the next
 *  call. */
struct hwt_effect {
	const char *name;    /* "open", "read", "write", "close", "map", "connect", "bind",
				"accept", "send", "recv" (static) */
	uint32_t leaf;	     /* string id of the leaf frame the views show: "file:PATH",
				"net:HOST:PORT", or for a descriptor opened before the recording
				"file:fd:N" / "net:fd:N" */
	const uint8_t *args; /* a value tree (core/format/value.h), a map: path or address, fd,
				bytes (reads, writes), flags (opens), via (the call of a copy),
				length, offset and perms (a map), result */
	uint32_t args_len;
	uint64_t ts;	/* when the call returned (the record's time) */
	uint32_t stack; /* the stack node to show it under: an io_uring request's completion
			   names its submission's, kept by hwt_effects_keep_stack(); 0: the
			   stack of the record's own thread */
	uint32_t tid;	/* the thread it shows on: an io_uring request's submitter (the kernel
			   may complete it on a worker thread of its own); 0: the record's */
};

struct hwt_effects;

/** A new, empty state; NULL when out of memory. Free with hwt_effects_free(). */
struct hwt_effects *hwt_effects_alloc(void);

/** Frees @fx (NULL accepted). */
void hwt_effects_free(struct hwt_effects *fx);

/** Takes one record (@raw, @len bytes, borrowed for the call) of thread @tid of process @pid at
 *  @ts. Strings shown are interned in @m; paths through hwt_model_intern_path(). Returns how
 *  many effects it filled in @out[0..] (HWT_EFFECTS_MAX room): 0 when the call was none (it
 *  only updates the descriptor table: socket, dup, fcntl's F_DUPFD, getsockname, close_range),
 *  1, or 2 for a copy (the read, then the write); HWT_E_CORRUPT for a record too short or of
 *  an unknown kind, HWT_E_NOMEM, HWT_E_INVAL for NULL arguments. */
int hwt_effects_record(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid, uint32_t tid,
		       uint64_t ts, const void *raw, size_t len,
		       struct hwt_effect out[HWT_EFFECTS_MAX]);

/** Whether the record hwt_effects_record() took last was an io_uring submission, whose stack
 *  (where the program submitted it) its completion's effect will show: then the caller hands
 *  it over with hwt_effects_keep_stack(). */
int hwt_effects_wants_stack(const struct hwt_effects *fx);

/** The stack node of the submission hwt_effects_wants_stack() asked for. */
void hwt_effects_keep_stack(struct hwt_effects *fx, uint32_t stack);

#endif

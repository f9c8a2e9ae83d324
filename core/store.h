/* The .hwt recording: an append-only sequence of self-delimiting, checksummed, compressed chunks,
 * written from a thread of its own and read back chunk by chunk. */
#ifndef HWT_CORE_STORE_H
#define HWT_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/*
 * File layout (little-endian):
 *   file header   "HWTRACE\0" u32 version u32 reserved                        (16 bytes)
 *   chunk*        u32 type  u32 flags  u32 stored_len  u32 raw_len  u32 crc32c  u32 reserved
 *                 then stored_len bytes of payload (zstd frame when HWT_CHUNK_ZSTD is set)
 * The CRC32C covers the first 16 header bytes and the stored payload. A reader skips chunk
 * types it does not know and stops at the first chunk that is cut short or fails its CRC.
 */
#define HWT_STORE_MAGIC	      "HWTRACE"
#define HWT_STORE_VERSION     1
#define HWT_STORE_HEADER_SIZE 16
#define HWT_CHUNK_HEADER_SIZE 24
#define HWT_CHUNK_MAX	      (64u << 20) /* raw or stored payload, larger means corruption */

/** Chunk types. Numbers are part of the file format: never reuse one. */
enum hwt_chunk_type {
	HWT_CHUNK_META = 1,	 /* key\0value\0 pairs: command line, kernel, cpu, host, clock */
	HWT_CHUNK_EVENTS = 2,	 /* the perf events opened: struct hwt_event_desc records */
	HWT_CHUNK_STREAM = 3,	 /* ring data and counter reads: struct hwt_stream_item + bytes */
	HWT_CHUNK_PROC_MAPS = 5, /* u32 pid, u32 pad, then /proc/PID/maps text */
	HWT_CHUNK_END = 6,	 /* struct hwt_end_rec: the recording finished cleanly */
	HWT_CHUNK_PLUGIN = 7,	 /* u32 name_len, name, then plugin-defined data */
	HWT_CHUNK_NOTE = 8,	 /* a message for the user: plugin disabled, throttled, ... */
	HWT_CHUNK_SOURCE = 9,	 /* a plugin stream: struct hwt_source_desc + name */
};

#define HWT_CHUNK_ZSTD 1u /* flag: payload is one zstd frame */

struct hwt_store_writer;

/** Writer settings; hwt_store_writer_config_init() gives the defaults. */
struct hwt_store_writer_config {
	int zstd_level;	    /* default 1: recording must stay cheap */
	unsigned flush_ms;  /* default 250: longest time data waits in memory */
	size_t chunk_bytes; /* default 1 MiB: raw bytes gathered before a chunk is cut */
};

/** Fills @cfg with the defaults. */
void hwt_store_writer_config_init(struct hwt_store_writer_config *cfg);

/** Starts writing a recording to @fd (ownership transferred: closed by hwt_store_writer_close)
 *  with a writer thread; @cfg is copied, NULL means defaults. Returns NULL with *err set. */
struct hwt_store_writer *hwt_store_writer_open(int fd, const struct hwt_store_writer_config *cfg,
					       int *err);

/** Queues one whole chunk of @len bytes at @data (copied). Returns >= 0 or HWT_E_NOMEM; an
 *  earlier write error is returned here too. */
int hwt_store_write(struct hwt_store_writer *w, uint32_t type, const void *data, size_t len);

/** Appends @len bytes to the open chunk of @type (started if none): consecutive appends to the
 *  same type are gathered into one chunk, cut after cfg.chunk_bytes or cfg.flush_ms. Appending a
 *  different type cuts the open chunk first. Returns >= 0 or a negative error. */
int hwt_store_append(struct hwt_store_writer *w, uint32_t type, const void *data, size_t len);

/** Like hwt_store_append() for @n pieces that must stay in one chunk. */
int hwt_store_appendv(struct hwt_store_writer *w, uint32_t type, const struct iovec *iov, int n);

/** Room for up to @max bytes at the end of the open chunk of @type, as hwt_store_appendv() makes
 *  (a chunk of another type, or one too full, is cut first): the caller writes there, then
 *  hands what it wrote (at most @max bytes) to hwt_store_commit() before any other call on @w.
 *  Returns the place, or NULL with *@err set (HWT_E_INVAL, HWT_E_NOMEM, a write error). */
uint8_t *hwt_store_reserve(struct hwt_store_writer *w, uint32_t type, size_t max, int *err);

/** Adds the @len bytes written at hwt_store_reserve()'s place to the open chunk. Returns >= 0
 *  or a negative error. */
int hwt_store_commit(struct hwt_store_writer *w, size_t len);

/** Cuts the open chunk if it is older than cfg.flush_ms (or @force), handing it to the writer
 *  thread. Call it from the recording loop at least every flush_ms. */
int hwt_store_flush(struct hwt_store_writer *w, int force);

/** Flushes everything, waits for the writer thread, closes the file; frees @w (NULL accepted).
 *  Returns the first write error seen (errno then set to its errno where a system call failed;
 *  the file cut back to its last whole chunk), or >= 0. */
int hwt_store_writer_close(struct hwt_store_writer *w);

/** Bytes written to the file so far (header and chunks, after compression). */
uint64_t hwt_store_writer_bytes(const struct hwt_store_writer *w);

/** The errno of the first write error (ENOSPC, EFBIG, EPIPE, EIO...), 0 if none or if it was not
 *  a failed system call (out of memory, compression). NULL accepted (0). */
int hwt_store_writer_errno(struct hwt_store_writer *w);

/** After a write error: drops what waits to be written (the open chunk too), cuts the file back
 *  to its last whole chunk and clears the error, so that a last small chunk (the END) may still be
 *  written into the room freed. Returns the error that was cleared (< 0), 0 if there was none, or
 *  HWT_E_INVAL for NULL. hwt_store_writer_close() also cuts the file back after an error. */
int hwt_store_writer_salvage(struct hwt_store_writer *w);

struct hwt_store_reader;

/** Where and why reading stopped. */
struct hwt_store_status {
	int complete;	     /* an END chunk was read and nothing bad followed */
	int error;	     /* 0, or HWT_E_CORRUPT / HWT_E_TRUNCATED at the first bad chunk */
	uint64_t bad_offset; /* file offset of the first bad chunk */
	char why[128];	     /* "CRC mismatch", "chunk cut short", ... */
	uint64_t chunks;     /* good chunks read */
};

/** Opens @path for reading and checks its header. Returns NULL with *err set: HWT_E_NOENT,
 *  HWT_E_PERM, HWT_E_IO, HWT_E_BADFILE (empty or not a recording), HWT_E_VERSION. */
struct hwt_store_reader *hwt_store_reader_open(const char *path, int *err);

/** Reads the next chunk: sets *type, *data (borrowed until the next call) and *len. Returns 1 for
 *  a chunk, 0 at the end of the good chunks (hwt_store_reader_status() says why), < 0 on
 *  allocation failure. Chunks of unknown type are returned too; callers skip them. */
int hwt_store_read(struct hwt_store_reader *r, uint32_t *type, const void **data, size_t *len);

/** How reading went so far. */
const struct hwt_store_status *hwt_store_reader_status(const struct hwt_store_reader *r);

/** How far reading got: *@done bytes of the file's *@size (its size when opened, 0 if not a
 *  regular file). The one call that may come from another thread than the reading one. */
void hwt_store_reader_position(const struct hwt_store_reader *r, uint64_t *done, uint64_t *size);

/** Closes and frees @r; NULL accepted. */
void hwt_store_reader_close(struct hwt_store_reader *r);

/** CRC32C (Castagnoli) of @len bytes, continuing from @crc (0 to start). */
uint32_t hwt_crc32c(uint32_t crc, const void *data, size_t len);

#endif

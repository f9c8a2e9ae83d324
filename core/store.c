/* The .hwt store: chunk writer (a thread that compresses and appends) and chunk reader. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "hwtrace/error.h"

/* The recording loop blocks once this much waits for the writer thread: memory stays bounded
 * and the kernel's rings absorb (and count) what cannot be kept. */
#define HWT_STORE_MAX_PENDING (64u << 20)

static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_once = PTHREAD_ONCE_INIT;

static void crc32c_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
		crc32c_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc32c_table[t][i] = (crc32c_table[t - 1][i] >> 8) ^
					     crc32c_table[0][crc32c_table[t - 1][i] & 0xff];
}

/* The same CRC by the SSE4.2 crc32 instruction (Castagnoli's polynomial, as the table's): about
 * eight times the tables' rate, which read a large recording's chunks at half zstd's time. */
#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p,
							       size_t len)
{
	uint64_t c = ~crc & 0xffffffffu;

	while (len >= 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	uint32_t c32 = (uint32_t)c;
	while (len--)
		c32 = __builtin_ia32_crc32qi(c32, *p++);
	return ~c32;
}
#endif

static uint32_t crc32c_tables(uint32_t crc, const uint8_t *p, size_t len)
{
	pthread_once(&crc32c_once, crc32c_init);
	crc = ~crc;
	while (len >= 8) { /* slicing by 8 */
		uint64_t v;
		memcpy(&v, p, 8);
		v ^= crc;
		crc = crc32c_table[7][v & 0xff] ^ crc32c_table[6][(v >> 8) & 0xff] ^
		      crc32c_table[5][(v >> 16) & 0xff] ^ crc32c_table[4][(v >> 24) & 0xff] ^
		      crc32c_table[3][(v >> 32) & 0xff] ^ crc32c_table[2][(v >> 40) & 0xff] ^
		      crc32c_table[1][(v >> 48) & 0xff] ^ crc32c_table[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
	return ~crc;
}

uint32_t hwt_crc32c(uint32_t crc, const void *data, size_t len)
{
#if defined(__x86_64__)
	/* 1: the instruction, -1: the tables (HWT_CRC32C_TABLES set, or no SSE4.2). */
	static int use_hw;
	int hw = __atomic_load_n(&use_hw, __ATOMIC_RELAXED);

	if (!hw) {
		hw = __builtin_cpu_supports("sse4.2") && !getenv("HWT_CRC32C_TABLES") ? 1 : -1;
		__atomic_store_n(&use_hw, hw, __ATOMIC_RELAXED);
	}
	if (hw > 0)
		return crc32c_sse42(crc, data, len);
#endif
	return crc32c_tables(crc, data, len);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4); /* the format is little-endian, and so is every host we build for */
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return v;
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- writer ---------------------------------------------------------------------------- */

/* A chunk's payload: filled by the producer while open, then handed to the writer thread as it
 * is (no copy), and back to the producer's spares once written. */
struct pending {
	struct pending *next;
	uint32_t type;
	size_t len, cap;
	uint8_t data[];
};

/* Written payloads kept for reuse, so a recording does not allocate a chunk buffer per chunk. */
#define SPARES_MAX 4

struct hwt_store_writer {
	struct hwt_store_writer_config cfg;
	int fd;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;	/* writer thread: work queued or closing */
	pthread_cond_t drained; /* producer: pending bytes went down */
	struct pending *head, *tail;
	struct pending *spares; /* under @lock */
	int nspares;
	size_t pending_bytes;
	int closing;
	int error;	/* first write error, sticky */
	int sys_errno;	/* the errno of that error when a system call failed, else 0 */
	uint64_t bytes; /* written: the header and every whole chunk, where the next one starts */

	/* The open chunk, owned by the producer; NULL when none is open. */
	struct pending *open;
	uint64_t open_since_ms;
};

void hwt_store_writer_config_init(struct hwt_store_writer_config *cfg)
{
	cfg->zstd_level = 1;
	cfg->flush_ms = 250;
	cfg->chunk_bytes = 1u << 20;
}

/* Writes all @len bytes; on failure returns the error and sets *@sys_errno (ENOSPC, EFBIG, EPIPE,
 * EIO...; ENOSPC for a write that made no progress). */
static int write_all(int fd, const void *data, size_t len, int *sys_errno)
{
	const uint8_t *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*sys_errno = n < 0 ? errno : ENOSPC;
			return hwt_error_from_errno(*sys_errno);
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int write_chunk(struct hwt_store_writer *w, ZSTD_CCtx *cctx, void **zbuf, size_t *zcap,
		       const struct pending *c)
{
	uint8_t hdr[HWT_CHUNK_HEADER_SIZE] = { 0 };
	const void *payload = c->data;
	size_t stored = c->len;
	uint32_t flags = 0;

	if (c->len >= 64) {
		size_t need = ZSTD_compressBound(c->len);
		if (need > *zcap) {
			void *nb = realloc(*zbuf, need);
			if (!nb)
				return HWT_E_NOMEM;
			*zbuf = nb;
			*zcap = need;
		}
		size_t z =
			ZSTD_compressCCtx(cctx, *zbuf, *zcap, c->data, c->len, w->cfg.zstd_level);
		if (ZSTD_isError(z))
			return HWT_E_ZSTD;
		if (z < c->len) {
			payload = *zbuf;
			stored = z;
			flags |= HWT_CHUNK_ZSTD;
		}
	}
	put32(hdr, c->type);
	put32(hdr + 4, flags);
	put32(hdr + 8, (uint32_t)stored);
	put32(hdr + 12, (uint32_t)c->len);
	uint32_t crc = hwt_crc32c(hwt_crc32c(0, hdr, 16), payload, stored);
	put32(hdr + 16, crc);

	/* One writev for header and payload: a recorder killed between two writes would leave a
	 * lone header, which the reader would report as a cut chunk anyway, but rarely is better.
	 */
	struct iovec iov[2] = { { hdr, sizeof(hdr) }, { (void *)payload, stored } };
	ssize_t n;
	do
		n = writev(w->fd, iov, 2);
	while (n < 0 && errno == EINTR);
	int err = 0;
	if (n < 0) {
		w->sys_errno = errno;
		err = hwt_error_from_errno(errno);
	}
	if (!err && (size_t)n < sizeof(hdr) + stored) {
		size_t done = (size_t)n;
		if (done < sizeof(hdr))
			err = write_all(w->fd, hdr + done, sizeof(hdr) - done, &w->sys_errno);
		size_t pdone = done > sizeof(hdr) ? done - sizeof(hdr) : 0;
		if (!err)
			err = write_all(w->fd, (const uint8_t *)payload + pdone, stored - pdone,
					&w->sys_errno);
	}
	if (!err)
		w->bytes += sizeof(hdr) + stored;
	return err;
}

static void *writer_main(void *arg)
{
	struct hwt_store_writer *w = arg;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	void *zbuf = NULL;
	size_t zcap = 0;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->head && !w->closing)
			pthread_cond_wait(&w->wake, &w->lock);
		struct pending *c = w->head;
		if (!c)
			break; /* closing and drained */
		w->head = c->next;
		if (!w->head)
			w->tail = NULL;
		pthread_mutex_unlock(&w->lock);

		int err =
			w->error ? 0 : (cctx ? write_chunk(w, cctx, &zbuf, &zcap, c) : HWT_E_NOMEM);

		pthread_mutex_lock(&w->lock);
		if (err && !w->error)
			w->error = err;
		w->pending_bytes -= c->len;
		pthread_cond_broadcast(&w->drained);
		if (w->nspares < SPARES_MAX && c->cap <= 2 * w->cfg.chunk_bytes) {
			c->next = w->spares;
			w->spares = c;
			w->nspares++;
		} else {
			free(c);
		}
	}
	pthread_mutex_unlock(&w->lock);
	free(zbuf);
	ZSTD_freeCCtx(cctx);
	return NULL;
}

struct hwt_store_writer *hwt_store_writer_open(int fd, const struct hwt_store_writer_config *cfg,
					       int *err)
{
	struct hwt_store_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[HWT_STORE_HEADER_SIZE] = { 0 };

	if (!w) {
		*err = HWT_E_NOMEM;
		close(fd);
		return NULL;
	}
	if (cfg)
		w->cfg = *cfg;
	else
		hwt_store_writer_config_init(&w->cfg);
	w->fd = fd;
	memcpy(hdr, HWT_STORE_MAGIC, 8);
	put32(hdr + 8, HWT_STORE_VERSION);
	*err = write_all(fd, hdr, sizeof(hdr), &w->sys_errno);
	if (*err) {
		errno = w->sys_errno;
		close(fd);
		free(w);
		return NULL;
	}
	w->bytes = sizeof(hdr);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	pthread_cond_init(&w->drained, NULL);
	if (pthread_create(&w->thread, NULL, writer_main, w)) {
		*err = HWT_E_NOMEM;
		close(fd);
		free(w);
		return NULL;
	}
	return w;
}

/* A payload buffer with room for @need bytes: a spare the writer thread is done with, or new. */
static struct pending *pending_get(struct hwt_store_writer *w, size_t need)
{
	struct pending *c, **pp;
	size_t cap = need > 64 * 1024 ? need : 64 * 1024;

	pthread_mutex_lock(&w->lock);
	for (pp = &w->spares; *pp && (*pp)->cap < need; pp = &(*pp)->next)
		;
	c = *pp;
	if (c) {
		*pp = c->next;
		w->nspares--;
	}
	pthread_mutex_unlock(&w->lock);
	if (!c) {
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
	}
	c->next = NULL;
	c->len = 0;
	return c;
}

/* Hands @c to the writer thread (it owns it from here), waiting while too much is pending. */
static int enqueue(struct hwt_store_writer *w, struct pending *c)
{
	int err;

	pthread_mutex_lock(&w->lock);
	while (w->pending_bytes > HWT_STORE_MAX_PENDING && !w->error)
		pthread_cond_wait(&w->drained, &w->lock);
	if (w->tail)
		w->tail->next = c;
	else
		w->head = c;
	w->tail = c;
	w->pending_bytes += c->len;
	err = w->error;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	return err;
}

static int cut(struct hwt_store_writer *w)
{
	struct pending *c = w->open;

	if (!c || !c->len)
		return 0;
	w->open = NULL;
	return enqueue(w, c);
}

int hwt_store_write(struct hwt_store_writer *w, uint32_t type, const void *data, size_t len)
{
	struct pending *c;

	if (!w || (!data && len) || len > HWT_CHUNK_MAX)
		return HWT_E_INVAL;
	int err = cut(w);
	if (err)
		return err;
	c = pending_get(w, len);
	if (!c)
		return HWT_E_NOMEM;
	c->type = type;
	c->len = len;
	memcpy(c->data, data, len);
	return enqueue(w, c);
}

uint8_t *hwt_store_reserve(struct hwt_store_writer *w, uint32_t type, size_t max, int *err)
{
	*err = 0;
	if (!w || max > HWT_CHUNK_MAX) {
		*err = HWT_E_INVAL;
		return NULL;
	}
	struct pending *c = w->open;
	if (c && c->len && (c->type != type || c->len + max > HWT_CHUNK_MAX)) {
		if ((*err = cut(w)))
			return NULL;
		c = NULL;
	}
	if (!c) {
		c = w->open = pending_get(w, max);
		if (!c) {
			*err = HWT_E_NOMEM;
			return NULL;
		}
	}
	if (c->len + max > c->cap) {
		size_t cap = c->cap;
		while (cap < c->len + max)
			cap *= 2;
		struct pending *nc = realloc(c, sizeof(*c) + cap);
		if (!nc) {
			*err = HWT_E_NOMEM;
			return NULL;
		}
		c = w->open = nc;
		c->cap = cap;
	}
	if (!c->len) {
		c->type = type;
		w->open_since_ms = now_ms();
	}
	return c->data + c->len;
}

int hwt_store_commit(struct hwt_store_writer *w, size_t len)
{
	struct pending *c = w ? w->open : NULL;

	if (!c || len > c->cap - c->len)
		return HWT_E_INVAL;
	c->len += len;
	return c->len >= w->cfg.chunk_bytes ? cut(w) : 0;
}

int hwt_store_appendv(struct hwt_store_writer *w, uint32_t type, const struct iovec *iov, int n)
{
	size_t len = 0;
	int err;

	if (!w || !iov || n < 0)
		return HWT_E_INVAL;
	for (int i = 0; i < n; i++)
		len += iov[i].iov_len;
	uint8_t *p = hwt_store_reserve(w, type, len, &err);
	if (!p)
		return err;
	/* The one copy of the data: from the caller (a ring) into the chunk the writer will write.
	 */
	for (int i = 0; i < n; i++) {
		memcpy(p, iov[i].iov_base, iov[i].iov_len);
		p += iov[i].iov_len;
	}
	return hwt_store_commit(w, len);
}

int hwt_store_append(struct hwt_store_writer *w, uint32_t type, const void *data, size_t len)
{
	struct iovec iov = { (void *)data, len };

	if (!data && len)
		return HWT_E_INVAL;
	return hwt_store_appendv(w, type, &iov, 1);
}

int hwt_store_flush(struct hwt_store_writer *w, int force)
{
	if (!w)
		return HWT_E_INVAL;
	if (w->open && w->open->len && (force || now_ms() - w->open_since_ms >= w->cfg.flush_ms))
		return cut(w);
	pthread_mutex_lock(&w->lock);
	int err = w->error;
	pthread_mutex_unlock(&w->lock);
	return err;
}

uint64_t hwt_store_writer_bytes(const struct hwt_store_writer *w)
{
	return w ? w->bytes : 0;
}

int hwt_store_writer_errno(struct hwt_store_writer *w)
{
	if (!w)
		return 0;
	pthread_mutex_lock(&w->lock);
	int e = w->error ? w->sys_errno : 0;
	pthread_mutex_unlock(&w->lock);
	return e;
}

/* Cuts the file back to its last whole chunk, where the next write goes. */
static void cut_file(struct hwt_store_writer *w)
{
	if (ftruncate(w->fd, (off_t)w->bytes) == 0)
		lseek(w->fd, (off_t)w->bytes, SEEK_SET);
}

int hwt_store_writer_salvage(struct hwt_store_writer *w)
{
	if (!w)
		return HWT_E_INVAL;
	if (w->open)
		w->open->len = 0; /* never written: it would not fit either */
	pthread_mutex_lock(&w->lock);
	/* The writer thread drops what was queued after the error; wait until it has. */
	while (w->head || w->pending_bytes)
		pthread_cond_wait(&w->drained, &w->lock);
	int err = w->error;
	if (err) {
		cut_file(w);
		w->error = 0;
	}
	pthread_mutex_unlock(&w->lock);
	return err;
}

int hwt_store_writer_close(struct hwt_store_writer *w)
{
	if (!w)
		return 0;
	int err = cut(w);
	pthread_mutex_lock(&w->lock);
	w->closing = 1;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	if (!err)
		err = w->error;
	if (w->error)
		cut_file(w); /* no chunk cut short at the end: the reader stops cleanly there */
	int sys_errno = w->error ? w->sys_errno : 0;
	if (close(w->fd) && !err) {
		sys_errno = errno;
		err = hwt_error_from_errno(errno);
	}
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->drained);
	free(w->open);
	for (struct pending *c = w->spares, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(w);
	if (err < 0 && sys_errno)
		errno = sys_errno;
	return err;
}

/* ---- reader ---------------------------------------------------------------------------- */

struct hwt_store_reader {
	FILE *f;
	uint64_t offset, size;
	struct hwt_store_status st;
	uint8_t *stored, *raw;
	size_t stored_cap, raw_cap;
	ZSTD_DCtx *dctx;
	int done;
};

struct hwt_store_reader *hwt_store_reader_open(const char *path, int *err)
{
	uint8_t hdr[HWT_STORE_HEADER_SIZE];
	struct hwt_store_reader *r;
	FILE *f;

	if (!path) {
		*err = HWT_E_INVAL;
		return NULL;
	}
	f = fopen(path, "rb");
	if (!f) {
		*err = hwt_error_from_errno(errno);
		return NULL;
	}
	size_t n = fread(hdr, 1, sizeof(hdr), f);
	if (n != sizeof(hdr) || memcmp(hdr, HWT_STORE_MAGIC, 8)) {
		/* A directory reads as an error, not as a short file. */
		*err = ferror(f) ? HWT_E_IO : HWT_E_BADFILE;
		fclose(f);
		return NULL;
	}
	if (get32(hdr + 8) > HWT_STORE_VERSION) {
		*err = HWT_E_VERSION;
		fclose(f);
		return NULL;
	}
	r = calloc(1, sizeof(*r));
	if (!r || !(r->dctx = ZSTD_createDCtx())) {
		free(r);
		fclose(f);
		*err = HWT_E_NOMEM;
		return NULL;
	}
	r->f = f;
	r->offset = sizeof(hdr);
	struct stat sb;
	r->size = fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : 0;
	return r;
}

static int grow(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	uint8_t *nb = realloc(*buf, need);
	if (!nb)
		return HWT_E_NOMEM;
	*buf = nb;
	*cap = need;
	return 0;
}

static int stop_bad(struct hwt_store_reader *r, int error, const char *why)
{
	r->done = 1;
	r->st.complete = 0;
	r->st.error = error;
	r->st.bad_offset = r->offset;
	snprintf(r->st.why, sizeof(r->st.why), "%s", why);
	return 0;
}

int hwt_store_read(struct hwt_store_reader *r, uint32_t *type, const void **data, size_t *len)
{
	uint8_t hdr[HWT_CHUNK_HEADER_SIZE];

	if (!r || !type || !data || !len)
		return HWT_E_INVAL;
	if (r->done)
		return 0;
	size_t n = fread(hdr, 1, sizeof(hdr), r->f);
	if (n == 0 && feof(r->f)) {
		r->done = 1;
		if (!r->st.complete && !r->st.error) {
			r->st.error = HWT_E_TRUNCATED;
			r->st.bad_offset = r->offset;
			snprintf(r->st.why, sizeof(r->st.why),
				 "the recording ends without its end chunk (recorder killed?)");
		}
		return 0;
	}
	if (n != sizeof(hdr))
		return stop_bad(r, HWT_E_TRUNCATED, "chunk header cut short");

	uint32_t ctype = get32(hdr), flags = get32(hdr + 4), stored = get32(hdr + 8);
	uint32_t raw = get32(hdr + 12), crc = get32(hdr + 16);
	if (stored > HWT_CHUNK_MAX || raw > HWT_CHUNK_MAX ||
	    (!(flags & HWT_CHUNK_ZSTD) && raw != stored))
		return stop_bad(r, HWT_E_CORRUPT, "chunk header is corrupt");
	if (grow(&r->stored, &r->stored_cap, stored ? stored : 1))
		return HWT_E_NOMEM;
	if (fread(r->stored, 1, stored, r->f) != stored)
		return stop_bad(r, HWT_E_TRUNCATED, "chunk cut short");
	if (hwt_crc32c(hwt_crc32c(0, hdr, 16), r->stored, stored) != crc)
		return stop_bad(r, HWT_E_CORRUPT, "chunk fails its CRC");

	const void *payload = r->stored;
	if (flags & HWT_CHUNK_ZSTD) {
		if (grow(&r->raw, &r->raw_cap, raw ? raw : 1))
			return HWT_E_NOMEM;
		size_t got = ZSTD_decompressDCtx(r->dctx, r->raw, raw, r->stored, stored);
		if (ZSTD_isError(got) || got != raw)
			return stop_bad(r, HWT_E_CORRUPT, "chunk does not decompress");
		payload = r->raw;
	}
	/* Atomic: hwt_store_reader_position() may ask from another thread. */
	__atomic_store_n(&r->offset, r->offset + sizeof(hdr) + stored, __ATOMIC_RELAXED);
	r->st.chunks++;
	if (ctype == HWT_CHUNK_END)
		r->st.complete = 1;
	*type = ctype;
	*data = payload;
	*len = raw;
	return 1;
}

const struct hwt_store_status *hwt_store_reader_status(const struct hwt_store_reader *r)
{
	return r ? &r->st : NULL;
}

void hwt_store_reader_position(const struct hwt_store_reader *r, uint64_t *done, uint64_t *size)
{
	*done = r ? __atomic_load_n(&r->offset, __ATOMIC_RELAXED) : 0;
	*size = r ? r->size : 0;
}

void hwt_store_reader_close(struct hwt_store_reader *r)
{
	if (!r)
		return;
	fclose(r->f);
	ZSTD_freeDCtx(r->dctx);
	free(r->stored);
	free(r->raw);
	free(r);
}

/* Function entry/return probes through BPF: one hand-assembled program on uprobe_multi links,
 * writing one record per hit to a BPF ring buffer that is read through mmap, all by raw bpf(2). */
#ifndef HWT_PLUGINS_UPROBE_BPF_H
#define HWT_PLUGINS_UPROBE_BPF_H

#include <stddef.h>
#include <stdint.h>

/** hwt_uprobe_rec.flags: the record is a function return (else an entry). */
#define HWT_UPROBE_RETURN 1u
/** hwt_uprobe_rec.flags, with HWT_UPROBE_RETURN: the return was caught by a plain uprobe on a
 *  ret instruction, not by a uretprobe, so sp still points at the return address (it equals the
 *  entry's sp, not entry sp + 8). */
#define HWT_UPROBE_RET_SITE 2u
/** hwt_uprobe_rec.flags, with HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE: the site is a jump to a
 *  traced function (a tail call): the call goes on in the callee and ends with it. */
#define HWT_UPROBE_TAIL_SITE 4u

/** One record per probe hit, as the BPF program writes it to the ring buffer (40 bytes, the
 *  layout is what the program stores: never reorder). */
struct hwt_uprobe_rec {
	uint64_t ts;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	uint32_t pid;	 /* thread group id */
	uint32_t tid;	 /* thread id */
	uint64_t sp;	 /* user stack pointer at the hit: at an entry it points at the return
			    address; at a return it is the entry's sp + 8 (the entry's sp with
			    HWT_UPROBE_RET_SITE) */
	uint32_t cookie; /* function id given at attach */
	uint32_t seq;	 /* per-thread number, +1 per hit of that thread (entry or return), from 1;
			    a gap means lost records; 0 when the thread had no counter slot */
	uint32_t flags;	 /* HWT_UPROBE_RETURN, HWT_UPROBE_RET_SITE: the cookie's high half */
	uint32_t ret_lo; /* the low half of the 8 bytes at sp (0 if unreadable): at an entry, of
			    the return address; the kernel's uretprobe trampoline there means a
			    traced function entered at this sp jumped here (a tail call) */
};

/** The 64-bit attach cookie of a probe on function @id whose records carry @flags: the program
 *  writes its low half to hwt_uprobe_rec.cookie and its high half to hwt_uprobe_rec.flags. */
static inline uint64_t hwt_uprobe_cookie(uint32_t id, uint32_t flags)
{
	return (uint64_t)flags << 32 | id;
}

struct hwt_bpf_uprobes;

/** The file that maps @addr in this process and the file offset of @addr in it, from
 *  /proc/self/maps: where a probe on this process' own code goes. Returns 0, or -1 when @addr is
 *  not in a file mapping. */
int hwt_bpf_self_file_offset(const void *addr, char *path, size_t plen, uint64_t *off);

/** Can this machine run it? Returns 1 if yes, 0 with @why (one line) if not: kernel too old for
 *  uprobe_multi links (Linux 6.6+), no CAP_BPF/CAP_PERFMON, BPF disabled. Loads the program and
 *  attaches it to one function of this process' own executable for a moment, then frees
 *  everything (a few ms). */
int hwt_bpf_uprobes_probe(char *why, size_t len);

/** Loads the program and creates its maps; @ring_bytes (a power of two, at least a page) sizes
 *  the BPF ring buffer. Returns NULL with *@err (HWT_E_INVAL for a bad size, HWT_E_PERM,
 *  HWT_E_NOTSUP, HWT_E_NOMEM) and @why filled on failure. Free with hwt_bpf_uprobes_close(). */
struct hwt_bpf_uprobes *hwt_bpf_uprobes_open(size_t ring_bytes, int *err, char *why, size_t len);

/** hwt_bpf_uprobes_open() whose program leaves the hits of process @ignore_tgid alone: the
 *  recorder's own calls of the library functions it traces (probes on a library are in every
 *  process that maps it) would cost it a trap each and fill the ring. */
struct hwt_bpf_uprobes *hwt_bpf_uprobes_open_except(size_t ring_bytes, uint32_t ignore_tgid,
						    int *err, char *why, size_t len);

/** Attaches entry probes at @entry_off[i] and return probes at @ret_off[i] (file offsets into
 *  @path, normally both the function's first instruction, past an endbr64) for @n functions whose
 *  ids are @ids[i]: one uprobe_multi link for the entries and one for the returns, for every
 *  process that maps @path (the reader filters by pid). Either array may be NULL to attach only
 *  the other kind. All arrays and @path are borrowed for the call. May be called again for other
 *  files (dlopen'ed libraries, exec'ed programs). Returns the number of probes attached, or
 *  HWT_E_INVAL (bad argument, offset past the end of @path), HWT_E_NOENT (no such file),
 *  HWT_E_PERM, HWT_E_NOTSUP, HWT_E_NOMEM, with @why filled. Nothing stays attached on error. */
int hwt_bpf_uprobes_attach(struct hwt_bpf_uprobes *u, const char *path, const uint64_t *entry_off,
			   const uint64_t *ret_off, const uint32_t *ids, size_t n, char *why,
			   size_t len);

/** Probes of one link being gathered: file offsets and the cookies the BPF program gets back,
 *  for hwt_bpf_uprobes_attach_probes(). Zero-initialize; hwt_bpf_probes_fini() frees. */
struct hwt_bpf_probes {
	uint64_t *off, *cookie;
	size_t n, cap;
};

/** Appends a probe at file offset @off with @cookie. Returns 0, or HWT_E_NOMEM. */
int hwt_bpf_probes_add(struct hwt_bpf_probes *p, uint64_t off, uint64_t cookie);
void hwt_bpf_probes_fini(struct hwt_bpf_probes *p);

/** The step below hwt_bpf_uprobes_attach(): one uprobe_multi link on @path for @n probes at file
 *  offsets @off[i], whose records carry @cookies[i] (see hwt_uprobe_cookie()); @ret non-zero
 *  makes them return probes (uretprobes: flag HWT_UPROBE_RETURN in the cookies), zero plain
 *  probes (entries, or ret instructions flagged HWT_UPROBE_RETURN | HWT_UPROBE_RET_SITE). Arrays
 *  and @path are borrowed for the call. Returns @n, or the errors of hwt_bpf_uprobes_attach()
 *  with @why filled; nothing stays attached on error. */
int hwt_bpf_uprobes_attach_probes(struct hwt_bpf_uprobes *u, const char *path, const uint64_t *off,
				  const uint64_t *cookies, size_t n, int ret, char *why,
				  size_t len);

/** Calls @fn for each record waiting, in ring order, and releases them; @r is borrowed for the
 *  call. @fn returns 0 to go on or a negative code to stop (that record is released and the code
 *  returned). Returns the number of records passed to @fn, or HWT_E_INVAL. Never blocks. */
int hwt_bpf_uprobes_consume(struct hwt_bpf_uprobes *u,
			    int (*fn)(const struct hwt_uprobe_rec *r, void *ctx), void *ctx);

/** Records the program could not write because the ring was full (exact: summed over CPUs);
 *  0 for NULL. */
uint64_t hwt_bpf_uprobes_lost(const struct hwt_bpf_uprobes *u);

/** The ring buffer map fd, borrowed: poll() says readable when records wait. The program writes
 *  without wakeups (each would cost an IPI), so poll with a timeout (e.g. 10 ms). -1 for NULL. */
int hwt_bpf_uprobes_fd(const struct hwt_bpf_uprobes *u);

/** The sequence number of the last hit of thread @tid, recorded or lost, into *@seq: what the
 *  reader compares with the last record it got to count records lost at the very end. Returns
 *  0, HWT_E_NOENT if the thread has no counter (never hit, or evicted), or another error of
 *  bpf(2) (hwt_error_from_errno()). */
int hwt_bpf_uprobes_thread_seq(const struct hwt_bpf_uprobes *u, uint32_t tid, uint32_t *seq);

/** Detaches every probe without waiting: a child process drops the links (the kernel's
 *  synchronization takes tens of milliseconds a link here, and once took seconds) while the
 *  caller goes on. Returns 1 if it went to the background, 0 if it detached in place (fork
 *  failed), or HWT_E_INVAL for NULL. The child is not waited for. */
int hwt_bpf_uprobes_detach_background(struct hwt_bpf_uprobes *u);

/** Forgets the sequence counter of thread @tid (call it when the thread has exited, so a new
 *  thread that reuses the id starts at 1 again). Returns 0, HWT_E_NOENT if it had none, or
 *  another error of bpf(2) (hwt_error_from_errno()). */
int hwt_bpf_uprobes_forget_thread(struct hwt_bpf_uprobes *u, uint32_t tid);

/** Detaches every probe; records already written stay readable with hwt_bpf_uprobes_consume().
 *  Returns the nanoseconds the detach took (>= 0), or HWT_E_INVAL for NULL. */
int64_t hwt_bpf_uprobes_detach(struct hwt_bpf_uprobes *u);

/** Detaches everything and frees @u (NULL accepted). */
void hwt_bpf_uprobes_close(struct hwt_bpf_uprobes *u);

#endif

/* Effects from the `syscalls` plugin's records: entries paired with their exits per thread, and
 * each process's descriptors followed through open (openat below a directory it opened),
 * socket, connect, bind, accept, dup, fcntl, close and close_range, so that a read, a send or a
 * copy names the file or address it touched. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/close_range.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "hwtrace/error.h"
#include "core/format/sysc_format.h"
#include "core/format/value.h"
#include "core/util.h"
#include "effects.h"

/* What a descriptor is: the leaf frame's string and what args show of it. */
struct fdent {
	uint64_t key;	/* pid << 32 | fd */
	uint32_t leaf;	/* "file:PATH" / "net:HOST:PORT" */
	uint32_t shown; /* the path (as hwt_model_intern_path() shows it) or "HOST:PORT" */
	uint32_t path;	/* where in hwt_effects.paths its path as opened lies, + 1; 0: none */
	int sock;
};

/* An io_uring request submitted, its completion not yet seen. */
struct uring_req {
	uint32_t pid, tid;
	uint8_t opcode; /* IORING_OP_* */
	uint8_t fixed;	/* @fd is the index of a registered file */
	int32_t fd;	/* an open's: the directory its path is relative to */
	uint32_t path;	/* an open's: where in hwt_effects.paths its path lies, + 1; 0: none */
	uint32_t stack; /* where it was submitted; 0: not known */
};

struct hwt_effects {
	struct hwt_idmap reqs; /* a request's address -> index + 1 in @urs, 0: none pending */
	struct uring_req *urs;
	size_t nurs, cap_urs;
	uint32_t *free_urs; /* indices in @urs free again */
	size_t nfree, cap_free;
	size_t keep; /* the submission just taken (index + 1), for hwt_effects_keep_stack() */
	struct hwt_idmap fds; /* pid << 32 | fd -> index + 1 in @ents, 0: closed */
	struct fdent *ents;
	size_t nents, cap_ents;
	char *paths; /* the paths files were opened by (NUL-terminated), for openat's directories */
	size_t npaths, cap_paths;
	struct hwt_sysc_rec rec;	/* the record being read, aligned */
	struct hwt_sysc_rec uring_open; /* an io_uring open, as the open call it stands for */
	uint8_t args[HWT_EFFECTS_MAX][HWT_SYSC_DATA + 512];
	char text[HWT_SYSC_DATA + 64];
	char joined[PATH_MAX]; /* a directory's path, '/', a path below it */
};

struct hwt_effects *hwt_effects_alloc(void)
{
	return calloc(1, sizeof(struct hwt_effects));
}

void hwt_effects_free(struct hwt_effects *fx)
{
	if (!fx)
		return;
	hwt_idmap_fini(&fx->fds);
	hwt_idmap_fini(&fx->reqs);
	free(fx->urs);
	free(fx->free_urs);
	free(fx->ents);
	free(fx->paths);
	free(fx);
}

static const struct fdent *fd_get(const struct hwt_effects *fx, uint32_t pid, uint64_t fd)
{
	const uint32_t *slot = hwt_idmap_find(&fx->fds, (uint64_t)pid << 32 | (uint32_t)fd);

	return slot && *slot ? &fx->ents[*slot - 1] : NULL;
}

static int fd_put(struct hwt_effects *fx, uint32_t pid, int64_t fd, const struct fdent *e)
{
	if (fd < 0 || fd > INT32_MAX)
		return 0;
	uint32_t *slot = hwt_idmap_put(&fx->fds, (uint64_t)pid << 32 | (uint32_t)fd, NULL);
	if (!slot)
		return HWT_E_NOMEM;
	if (!e) {
		*slot = 0;
		return 0;
	}
	if (HWT_ARRAY_GROW(fx->ents, &fx->cap_ents, fx->nents + 1))
		return HWT_E_NOMEM;
	fx->ents[fx->nents] = *e;
	fx->ents[fx->nents].key = (uint64_t)pid << 32 | (uint32_t)fd;
	*slot = (uint32_t)++fx->nents;
	return 0;
}

/* Process @child (forked by @pid) starts with @pid's descriptors. */
static int fds_inherit(struct hwt_effects *fx, uint32_t pid, uint32_t child)
{
	size_t n = fx->nents;

	for (size_t i = 0; i < n; i++) {
		const uint32_t *slot = hwt_idmap_find(&fx->fds, fx->ents[i].key);
		if (fx->ents[i].key >> 32 != pid || !slot || *slot != i + 1)
			continue; /* another process's, or closed or replaced since */
		struct fdent e = fx->ents[i];
		int rc = fd_put(fx, child, (int64_t)(uint32_t)e.key, &e);
		if (rc)
			return rc;
	}
	return 0;
}

/* close_range(): @pid's descriptors @first to @last are closed. */
static int fds_close_range(struct hwt_effects *fx, uint32_t pid, uint64_t first, uint64_t last)
{
	for (size_t i = 0; i < fx->nents; i++) {
		uint64_t key = fx->ents[i].key, fd = (uint32_t)key;
		const uint32_t *slot = hwt_idmap_find(&fx->fds, key);
		if (key >> 32 != pid || fd < first || fd > last || !slot || *slot != i + 1)
			continue;
		int rc = fd_put(fx, pid, (int64_t)fd, NULL);
		if (rc)
			return rc;
	}
	return 0;
}

/* Interns "PREFIX" + @s as a leaf and sets e->leaf; 0 or HWT_E_NOMEM. */
static int leaf_of(struct hwt_effects *fx, struct hwt_model *m, const char *prefix, const char *s,
		   struct fdent *e)
{
	snprintf(fx->text, sizeof(fx->text), "%s%s", prefix, s);
	int64_t id = hwt_model_intern_str(m, fx->text);
	if (id < 0)
		return (int)id;
	e->leaf = (uint32_t)id;
	return 0;
}

/* "HOST:PORT" of the sockaddr of @len bytes at @sa ("[ADDR]:PORT" for IPv6, the path of a Unix
 * socket), into @buf. */
static void sockaddr_text(const uint8_t *sa, size_t len, char *buf, size_t cap)
{
	uint16_t family = 0;
	char host[INET6_ADDRSTRLEN];

	if (len >= 2)
		memcpy(&family, sa, 2);
	if (family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		struct sockaddr_in in;
		memcpy(&in, sa, sizeof(in));
		inet_ntop(AF_INET, &in.sin_addr, host, sizeof(host));
		snprintf(buf, cap, "%s:%u", host, ntohs(in.sin_port));
	} else if (family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		struct sockaddr_in6 in6;
		memcpy(&in6, sa, sizeof(in6));
		inet_ntop(AF_INET6, &in6.sin6_addr, host, sizeof(host));
		snprintf(buf, cap, "[%s]:%u", host, ntohs(in6.sin6_port));
	} else if (family == AF_UNIX && len > 2) {
		size_t n = strnlen((const char *)sa + 2, len - 2);
		/* an abstract socket starts with a NUL: show it as '@' */
		if (n == 0 && len > 3)
			snprintf(buf, cap, "unix:@%.*s",
				 (int)strnlen((const char *)sa + 3, len - 3), (const char *)sa + 3);
		else
			snprintf(buf, cap, "unix:%.*s", (int)n, (const char *)sa + 2);
	} else {
		snprintf(buf, cap, "family-%u", family);
	}
}

/* A descriptor the table cannot name, shown as "@what:@n" ("fd:N", "fixed:N"): a socket when
 * @sock. */
static int unnamed_ent(struct hwt_effects *fx, struct hwt_model *m, const char *what, int n,
		       int sock, struct fdent *out)
{
	char name[32];

	snprintf(name, sizeof(name), "%s:%d", what, n);
	int64_t id = hwt_model_intern_str(m, name);
	if (id < 0)
		return (int)id;
	out->shown = (uint32_t)id;
	out->sock = sock;
	return leaf_of(fx, m, sock ? "net:" : "file:", name, out);
}

/* The descriptor @fd of @pid, or one made up ("fd:N") when it was opened before the recording:
 * a socket when @sock. */
static int fd_lookup(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid, uint64_t fd,
		     int sock, struct fdent *out)
{
	const struct fdent *e = fd_get(fx, pid, fd);

	if (e) {
		*out = *e;
		return 0;
	}
	return unnamed_ent(fx, m, "fd", (int)fd, sock, out);
}

static int is_read(int64_t nr)
{
	return nr == HWT_NR_READ || nr == HWT_NR_PREAD64 || nr == HWT_NR_READV ||
	       nr == HWT_NR_PREADV || nr == HWT_NR_PREADV2 || nr == HWT_NR_RECVFROM ||
	       nr == HWT_NR_RECVMSG;
}

static int is_write(int64_t nr)
{
	return nr == HWT_NR_WRITE || nr == HWT_NR_PWRITE64 || nr == HWT_NR_WRITEV ||
	       nr == HWT_NR_PWRITEV || nr == HWT_NR_PWRITEV2 || nr == HWT_NR_SENDTO ||
	       nr == HWT_NR_SENDMSG;
}

/* The args of effect @out (slot @k of the record's) on descriptor @e, @fd; @xkey (NULL: none)
 * with the string @xval: what a copy went "via", an accepted socket's "peer". */
static void put_args(struct hwt_effects *fx, struct hwt_model *m, const struct hwt_sysc_rec *in,
		     int64_t ret, const struct fdent *e, int64_t fd, int64_t bytes,
		     const char *xkey, const char *xval, int k, struct hwt_effect *out)
{
	struct hwt_value_writer w = { .buf = fx->args[k], .cap = sizeof(fx->args[k]) };
	int64_t nr = (int64_t)in->regs[HWT_SYSC_ORIG_AX];

	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, e->sock ? "address" : "path", hwt_model_str(m, e->shown));
	hwt_vw_int(&w, "fd", fd);
	if (bytes >= 0)
		hwt_vw_int(&w, "bytes", bytes);
	if (nr == HWT_NR_OPEN || nr == HWT_NR_OPENAT)
		hwt_vw_int(&w, "flags",
			   (int64_t)in->regs[nr == HWT_NR_OPEN ? HWT_SYSC_SI : HWT_SYSC_DX]);
	if (xkey)
		hwt_vw_str(&w, xkey, xval);
	hwt_vw_int(&w, "result", ret);
	hwt_vw_end(&w);
	out->leaf = e->leaf;
	out->args = w.bad ? NULL : fx->args[k];
	out->args_len = w.bad ? 0 : (uint32_t)w.len;
}

/* Keeps @path (@n bytes) for e->path: 0, or HWT_E_NOMEM. */
static int keep_path(struct hwt_effects *fx, const char *path, size_t n, struct fdent *e)
{
	if (fx->npaths + n + 1 > UINT32_MAX - 1)
		return 0; /* a path too many: openat below it shows its name as given */
	if (HWT_ARRAY_GROW(fx->paths, &fx->cap_paths, fx->npaths + n + 1))
		return HWT_E_NOMEM;
	memcpy(fx->paths + fx->npaths, path, n);
	fx->paths[fx->npaths + n] = 0;
	e->path = (uint32_t)fx->npaths + 1;
	fx->npaths += n + 1;
	return 0;
}

/* An open's path: relative to the directory openat names when the table knows its path, and
 * shown as hwt_model_intern_path() decides. */
static int open_ent(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid,
		    const struct hwt_sysc_rec *in, struct fdent *e)
{
	int64_t nr = (int64_t)in->regs[HWT_SYSC_ORIG_AX];
	const char *path = (const char *)in->data;
	size_t n = in->dlen ? strnlen(path, in->dlen) : 0;
	const struct fdent *dir = NULL;
	int32_t dirfd = (int32_t)in->regs[HWT_SYSC_DI];

	if ((nr == HWT_NR_OPENAT || nr == HWT_NR_OPENAT2) && dirfd != AT_FDCWD && n &&
	    path[0] != '/')
		dir = fd_get(fx, pid, (uint32_t)dirfd);
	if (dir && dir->path && !dir->sock) {
		const char *base = fx->paths + dir->path - 1;
		int k = snprintf(fx->joined, sizeof(fx->joined), "%s/%.*s", base, (int)n, path);
		if (k > 0 && (size_t)k < sizeof(fx->joined)) {
			path = fx->joined;
			n = (size_t)k;
		}
	}
	int64_t id = n ? hwt_model_intern_path(m, path, n)
		       : hwt_model_intern_str(m, "[unreadable path]");
	if (id < 0)
		return (int)id;
	e->shown = (uint32_t)id;
	e->sock = 0;
	int rc = n ? keep_path(fx, path, n, e) : 0;
	return rc ? rc : leaf_of(fx, m, "file:", hwt_model_str(m, e->shown), e);
}

static int sock_ent(struct hwt_effects *fx, struct hwt_model *m, const struct hwt_sysc_rec *in,
		    struct fdent *e)
{
	char addr[160];

	uint16_t family = 0;
	int64_t id;

	memcpy(&family, in->data, sizeof(family));
	if (family == AF_UNIX && in->dlen > 2 && in->data[2]) {
		/* a Unix socket's file: a path, shown as paths are */
		const char *path = (const char *)in->data + 2;
		id = hwt_model_intern_path(m, path, strnlen(path, in->dlen - 2));
		if (id < 0)
			return (int)id;
		snprintf(addr, sizeof(addr), "unix:%s", hwt_model_str(m, (uint32_t)id));
	} else {
		sockaddr_text(in->data, in->dlen < HWT_SYSC_DATA ? in->dlen : HWT_SYSC_DATA, addr,
			      sizeof(addr));
	}
	id = hwt_model_intern_str(m, addr);
	if (id < 0)
		return (int)id;
	e->shown = (uint32_t)id;
	e->sock = 1;
	return leaf_of(fx, m, "net:", addr, e);
}

/* A copy between two descriptors (sendfile, splice, copy_file_range): a read of the one it
 * copies from and a write of the other, each of the bytes it copied. */
static int copy(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid,
		const struct hwt_sysc_rec *in, int64_t ret, struct hwt_effect out[2])
{
	int64_t nr = (int64_t)in->regs[HWT_SYSC_ORIG_AX];
	const char *via = nr == HWT_NR_SENDFILE ? "sendfile"
			  : nr == HWT_NR_SPLICE ? "splice"
						: "copy_file_range";
	/* sendfile(out, in, ...); splice and copy_file_range(in, off, out, ...) */
	uint64_t from = in->regs[nr == HWT_NR_SENDFILE ? HWT_SYSC_SI : HWT_SYSC_DI];
	uint64_t to = in->regs[nr == HWT_NR_SENDFILE ? HWT_SYSC_DI : HWT_SYSC_DX];
	int64_t bytes = ret > 0 ? ret : 0;
	struct fdent e[2] = { { 0 } };
	int rc;

	if ((rc = fd_lookup(fx, m, pid, from, 0, &e[0])) ||
	    (rc = fd_lookup(fx, m, pid, to, 0, &e[1])))
		return rc;
	out[0].name = e[0].sock ? "recv" : "read";
	put_args(fx, m, in, ret, &e[0], (int32_t)from, bytes, "via", via, 0, &out[0]);
	out[1].name = e[1].sock ? "send" : "write";
	put_args(fx, m, in, ret, &e[1], (int32_t)to, bytes, "via", via, 1, &out[1]);
	out[1].ts = out[0].ts;
	return 2;
}

/* mmap() of a file (or a socket's buffer): an effect naming it, the length and offset mapped
 * and its permissions as /proc/PID/maps shows them ("r--p"). What the program reads and writes
 * through the mapping is page faults, not calls: not seen. Memory mapped (MAP_ANONYMOUS) and
 * failed calls are none; the BPF program writes no record for them, older recorders did. */
static int map(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid,
	       const struct hwt_sysc_rec *in, int64_t ret, struct hwt_effect *out)
{
	uint64_t prot = in->regs[HWT_SYSC_DX], flags = in->regs[HWT_SYSC_R10];
	int64_t fd = (int32_t)in->regs[HWT_SYSC_R8];
	struct fdent e = { 0 };
	int rc;

	if ((flags & MAP_ANONYMOUS) || fd < 0 || (ret < 0 && ret > -4096))
		return 0;
	if ((rc = fd_lookup(fx, m, pid, (uint64_t)fd, 0, &e)))
		return rc;
	char perms[5] = { prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
			  prot & PROT_EXEC ? 'x' : '-', flags & MAP_SHARED ? 's' : 'p', 0 };
	struct hwt_value_writer w = { .buf = fx->args[0], .cap = sizeof(fx->args[0]) };
	hwt_vw_begin(&w, NULL, HWT_VAL_MAP);
	hwt_vw_str(&w, e.sock ? "address" : "path", hwt_model_str(m, e.shown));
	hwt_vw_int(&w, "fd", fd);
	hwt_vw_int(&w, "length", (int64_t)in->regs[HWT_SYSC_SI]);
	hwt_vw_int(&w, "offset", (int64_t)in->regs[HWT_SYSC_R9]);
	hwt_vw_str(&w, "perms", perms);
	hwt_vw_int(&w, "result", ret);
	hwt_vw_end(&w);
	out->name = "map";
	out->leaf = e.leaf;
	out->args = w.bad ? NULL : fx->args[0];
	out->args_len = w.bad ? 0 : (uint32_t)w.len;
	return 1;
}

/* Call @in of @pid, which returned @ret: the effect, if it is one. */
static int complete(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid,
		    const struct hwt_sysc_rec *in, int64_t ret, struct hwt_effect *out)
{
	int64_t nr = (int64_t)in->regs[HWT_SYSC_ORIG_AX];
	uint64_t fd = in->regs[HWT_SYSC_DI];
	struct fdent e = { 0 };
	int rc;

	switch (hwt_sysc_class_of(nr)) {
	case HWT_SYSC_C_PATH_DI:
	case HWT_SYSC_C_PATH_SI:
		if ((rc = open_ent(fx, m, pid, in, &e)) ||
		    (ret >= 0 && (rc = fd_put(fx, pid, ret, &e))))
			return rc;
		out->name = "open";
		put_args(fx, m, in, ret, &e, ret, -1, NULL, NULL, 0, out);
		return 1;
	case HWT_SYSC_C_SOCK_SI:
		if ((rc = sock_ent(fx, m, in, &e)) || (rc = fd_put(fx, pid, (int64_t)fd, &e)))
			return rc;
		out->name = nr == HWT_NR_CONNECT ? "connect" : "bind";
		put_args(fx, m, in, ret, &e, (int32_t)fd, -1, NULL, NULL, 0, out);
		return 1;
	case HWT_SYSC_C_MAP:
		return map(fx, m, pid, in, ret, out);
	case HWT_SYSC_C_CLONE:
		/* A new thread (clone's CLONE_THREAD) shares its process's table; clone3's flags
		 * are not recorded: a thread then gets a copy no one looks up. */
		if (ret <= 0 || ret > INT32_MAX || (uint32_t)ret == pid ||
		    (nr == HWT_NR_CLONE && (in->regs[HWT_SYSC_DI] & CLONE_THREAD)))
			return 0;
		return fds_inherit(fx, pid, (uint32_t)ret);
	default:
		break;
	}
	if (nr == HWT_NR_GETSOCKNAME) {
		/* A socket bound to port 0 (or not bound) learns its address: accepted sockets
		 * then show it. */
		const struct fdent *cur = fd_get(fx, pid, fd);
		const char *shown = cur ? hwt_model_str(m, cur->shown) : NULL;
		size_t n = shown ? strlen(shown) : 0;
		if (ret || in->dlen < sizeof(uint16_t) || !cur || !cur->sock ||
		    (strcmp(shown, "unconnected") && (n < 2 || strcmp(shown + n - 2, ":0"))))
			return 0;
		if ((rc = sock_ent(fx, m, in, &e)))
			return rc;
		return fd_put(fx, pid, (int64_t)fd, &e);
	}
	if (nr == HWT_NR_CLOSE) {
		if ((rc = fd_lookup(fx, m, pid, fd, 0, &e)))
			return rc;
		if (ret == 0 && (rc = fd_put(fx, pid, (int64_t)fd, NULL)))
			return rc;
		out->name = "close";
		put_args(fx, m, in, ret, &e, (int32_t)fd, -1, NULL, NULL, 0, out);
		return 1;
	}
	if (nr == HWT_NR_CLOSE_RANGE) {
		if (ret || (in->regs[HWT_SYSC_DX] & CLOSE_RANGE_CLOEXEC))
			return 0; /* failed, or only marked close-on-exec */
		return fds_close_range(fx, pid, fd, in->regs[HWT_SYSC_SI]);
	}
	if (nr == HWT_NR_FCNTL && in->regs[HWT_SYSC_SI] != F_DUPFD &&
	    in->regs[HWT_SYSC_SI] != F_DUPFD_CLOEXEC)
		return 0;
	if (nr == HWT_NR_DUP || nr == HWT_NR_DUP2 || nr == HWT_NR_DUP3 || nr == HWT_NR_FCNTL) {
		const struct fdent *old = fd_get(fx, pid, fd);
		if (ret >= 0 && old) {
			e = *old;
			return fd_put(fx, pid, ret, &e);
		}
		return ret >= 0 ? fd_put(fx, pid, ret, NULL) : 0;
	}
	if (nr == HWT_NR_SOCKET) {
		if (ret < 0)
			return 0;
		int64_t id = hwt_model_intern_str(m, "unconnected");
		if (id < 0)
			return (int)id;
		e = (struct fdent){ .shown = (uint32_t)id, .sock = 1 };
		if ((rc = leaf_of(fx, m, "net:", "unconnected", &e)))
			return rc;
		return fd_put(fx, pid, ret, &e);
	}
	if (nr == HWT_NR_ACCEPT || nr == HWT_NR_ACCEPT4) {
		/* The accepted socket shows the listening socket's (bound) address: one leaf
		 * for a server's port, whoever called; the peer goes in the args. */
		if ((rc = fd_lookup(fx, m, pid, fd, 1, &e)))
			return rc;
		if (ret >= 0 && (rc = fd_put(fx, pid, ret, &e)))
			return rc;
		/* The peer's address, written by the call (a Unix socket's peer has no name) */
		char peer[64];
		uint16_t family = 0;
		if (in->dlen >= 2)
			memcpy(&family, in->data, 2);
		if (family == AF_INET || family == AF_INET6)
			sockaddr_text(in->data, in->dlen, peer, sizeof(peer));
		out->name = "accept";
		put_args(fx, m, in, ret, &e, ret, -1,
			 family == AF_INET || family == AF_INET6 ? "peer" : NULL, peer, 0, out);
		return 1;
	}
	if (nr == HWT_NR_SENDFILE || nr == HWT_NR_SPLICE || nr == HWT_NR_COPY_FILE_RANGE)
		return copy(fx, m, pid, in, ret, out);
	if (is_read(nr) || is_write(nr)) {
		int sock_call = nr >= HWT_NR_SENDTO && nr <= HWT_NR_RECVMSG;
		if ((rc = fd_lookup(fx, m, pid, fd, sock_call, &e)))
			return rc;
		out->name = is_read(nr) ? (e.sock ? "recv" : "read") : (e.sock ? "send" : "write");
		put_args(fx, m, in, ret, &e, (int32_t)fd, ret > 0 ? ret : 0, NULL, NULL, 0, out);
		return 1;
	}
	return 0;
}

/* An io_uring request submitted: kept until its completion, which says what it did. */
static int uring_submit(struct hwt_effects *fx, uint32_t pid, uint32_t tid,
			const struct hwt_sysc_rec *in)
{
	uint32_t *slot = hwt_idmap_put(&fx->reqs, in->regs[HWT_SYSC_U_REQ], NULL);
	size_t i;

	if (!slot)
		return HWT_E_NOMEM;
	if (*slot) { /* a request whose completion was not seen (lost): taken over */
		i = *slot - 1;
	} else if (fx->nfree) {
		i = fx->free_urs[--fx->nfree];
	} else {
		if (HWT_ARRAY_GROW(fx->urs, &fx->cap_urs, fx->nurs + 1))
			return HWT_E_NOMEM;
		i = fx->nurs++;
	}
	struct uring_req q = {
		.pid = pid,
		.tid = tid,
		.opcode = (uint8_t)in->regs[HWT_SYSC_U_OPCODE],
		.fixed = (uint8_t)(in->regs[HWT_SYSC_U_FLAGS] & 1),
		.fd = (int32_t)in->regs[HWT_SYSC_U_FD],
	};
	if (q.opcode == IORING_OP_OPENAT || q.opcode == IORING_OP_OPENAT2) {
		struct fdent kept = { 0 };
		size_t n = in->dlen ? strnlen((const char *)in->data, in->dlen) : 0;
		int rc = n ? keep_path(fx, (const char *)in->data, n, &kept) : 0;
		if (rc)
			return rc;
		q.fd = (int32_t)in->regs[HWT_SYSC_U_DFD];
		q.path = kept.path;
	}
	fx->urs[i] = q;
	*slot = (uint32_t)i + 1;
	fx->keep = i + 1;
	return 0;
}

/* An open through io_uring that completed with @res: an open of the path it named (relative to
 * the directory it named, as openat), which a non-negative @res now is in the table. */
static int uring_open(struct hwt_effects *fx, struct hwt_model *m, const struct uring_req *q,
		      int64_t res, struct hwt_effect *out)
{
	struct hwt_sysc_rec *o = &fx->uring_open;
	struct fdent e = { 0 };
	int rc;

	memset(o, 0, sizeof(*o));
	o->regs[HWT_SYSC_ORIG_AX] = HWT_NR_OPENAT2; /* no flags recorded */
	o->regs[HWT_SYSC_DI] = (uint64_t)(int64_t)q->fd;
	if (q->path) {
		const char *path = fx->paths + q->path - 1;
		size_t n = strnlen(path, HWT_SYSC_DATA - 1);
		memcpy(o->data, path, n);
		o->dlen = (uint32_t)n + 1;
	}
	if ((rc = open_ent(fx, m, q->pid, o, &e)) ||
	    (res >= 0 && (rc = fd_put(fx, q->pid, res, &e))))
		return rc;
	out->name = "open";
	put_args(fx, m, o, res, &e, res, -1, "via", "io_uring", 0, out);
	out->stack = q->stack;
	out->tid = q->tid;
	return 1;
}

/* An io_uring request completed with @res: a read, write, send, receive or close of the
 * descriptor it was submitted on, on the thread and under the stack that submitted it (the
 * kernel completes some on a worker thread of its own, iou-wrk-N, others inline: where would
 * tell the reader nothing). A completion whose submission was not seen (submitted before the
 * recording, or its record lost) is none. */
static int uring_done(struct hwt_effects *fx, struct hwt_model *m, const struct hwt_sysc_rec *in,
		      struct hwt_effect *out)
{
	uint32_t *slot = hwt_idmap_find(&fx->reqs, in->regs[HWT_SYSC_U_REQ]);
	int64_t res = (int32_t)in->regs[HWT_SYSC_U_FD];
	int rc;

	if (!slot || !*slot)
		return 0;
	struct uring_req q = fx->urs[*slot - 1];
	if (!(in->regs[HWT_SYSC_U_FLAGS] & IORING_CQE_F_MORE)) { /* its last completion */
		if (HWT_ARRAY_GROW(fx->free_urs, &fx->cap_free, fx->nfree + 1))
			return HWT_E_NOMEM;
		fx->free_urs[fx->nfree++] = *slot - 1;
		*slot = 0;
	}
	if (q.opcode == IORING_OP_OPENAT || q.opcode == IORING_OP_OPENAT2)
		return uring_open(fx, m, &q, res, out);
	int reads = 0, sock_op = 0, closes = q.opcode == IORING_OP_CLOSE;
	switch (q.opcode) {
	case IORING_OP_RECV:
	case IORING_OP_RECVMSG:
		sock_op = 1;
		/* fall through */
	case IORING_OP_READ:
	case IORING_OP_READV:
	case IORING_OP_READ_FIXED:
		reads = 1;
		break;
	case IORING_OP_SEND:
	case IORING_OP_SENDMSG:
		sock_op = 1;
		break;
	case IORING_OP_WRITE:
	case IORING_OP_WRITEV:
	case IORING_OP_WRITE_FIXED:
	case IORING_OP_CLOSE:
		break;
	default:
		return 0; /* no I/O of a file or socket this table follows */
	}
	struct fdent e = { 0 };
	/* A registered file (IOSQE_FIXED_FILE) is named by its index: "file:fixed:N". */
	if ((rc = q.fixed ? unnamed_ent(fx, m, "fixed", q.fd, 0, &e)
			  : fd_lookup(fx, m, q.pid, (uint32_t)q.fd, sock_op, &e)))
		return rc;
	if (closes && !q.fixed && res == 0 && (rc = fd_put(fx, q.pid, q.fd, NULL)))
		return rc;
	out->name = closes  ? "close"
		    : reads ? (e.sock ? "recv" : "read")
			    : (e.sock ? "send" : "write");
	int64_t bytes = closes ? -1 : res > 0 ? res : 0;
	put_args(fx, m, in, res, &e, q.fd, bytes, "via", "io_uring", 0, out);
	out->stack = q.stack;
	out->tid = q.tid;
	return 1;
}

int hwt_effects_wants_stack(const struct hwt_effects *fx)
{
	return fx && fx->keep;
}

void hwt_effects_keep_stack(struct hwt_effects *fx, uint32_t stack)
{
	if (fx && fx->keep && fx->keep <= fx->nurs)
		fx->urs[fx->keep - 1].stack = stack;
	if (fx)
		fx->keep = 0;
}

int hwt_effects_record(struct hwt_effects *fx, struct hwt_model *m, uint32_t pid, uint32_t tid,
		       uint64_t ts, const void *raw, size_t len,
		       struct hwt_effect out[HWT_EFFECTS_MAX])
{
	if (!fx || !m || !raw || !out)
		return HWT_E_INVAL;
	struct hwt_sysc_rec *r = &fx->rec;
	if (len < HWT_SYSC_HEAD)
		return HWT_E_CORRUPT;
	memcpy(r, raw, HWT_SYSC_HEAD);
	fx->keep = 0;
	if (r->kind < HWT_SYSC_EXIT || r->kind > HWT_SYSC_URING_DONE || r->dlen > HWT_SYSC_DATA ||
	    (r->dlen && len < HWT_SYSC_HEAD + r->dlen))
		return HWT_E_CORRUPT;
	memset(r->data, 0, sizeof(r->data));
	memcpy(r->data, (const uint8_t *)raw + HWT_SYSC_HEAD, r->dlen);
	memset(out, 0, HWT_EFFECTS_MAX * sizeof(*out));
	out[0].ts = out[1].ts = ts;
	if (r->kind == HWT_SYSC_URING_SUBMIT)
		return uring_submit(fx, pid, tid, r);
	if (r->kind == HWT_SYSC_URING_DONE)
		return uring_done(fx, m, r, out);
	return complete(fx, m, pid, r, r->val, out);
}

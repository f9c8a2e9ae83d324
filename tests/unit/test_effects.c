/* Unit tests for decoders/effects: records of the syscalls plugin, the descriptor table (open,
 * socket, connect, bind, getsockname, accept, dup, fcntl, close, close_range, descriptors from
 * before the recording), copies between descriptors, the args of each effect, and records that are
 * damaged. */
#include <arpa/inet.h>
#include <check.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "hwtrace/error.h"
#include "core/format/sysc_format.h"
#include "core/format/value.h"
#include "core/model.h"
#include "decoders/effects/effects.h"

struct fixture {
	struct hwt_model *m;
	struct hwt_effects *fx;
	struct hwt_effect out[HWT_EFFECTS_MAX];
	uint64_t ts;
};

static void setup(struct fixture *f)
{
	memset(f, 0, sizeof(*f));
	f->m = hwt_model_alloc();
	f->fx = hwt_effects_alloc();
	ck_assert_ptr_nonnull(f->m);
	ck_assert_ptr_nonnull(f->fx);
	/* Paths as the program named them: t_effects checks them redacted. */
	ck_assert_int_eq(hwt_model_set_redaction(f->m, 0, NULL), 0);
}

static void teardown(struct fixture *f)
{
	hwt_effects_free(f->fx);
	hwt_model_free(f->m);
}

/* System call @nr with arguments @di, @si, @dx that returned @ret, with @dlen bytes of @data. */
static int call(struct fixture *f, uint32_t tid, int64_t nr, uint64_t di, uint64_t si, uint64_t dx,
		int64_t ret, const void *data, uint32_t dlen)
{
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .dlen = dlen, .val = ret };

	r.regs[HWT_SYSC_DI] = di;
	r.regs[HWT_SYSC_SI] = si;
	r.regs[HWT_SYSC_DX] = dx;
	r.regs[HWT_SYSC_ORIG_AX] = (uint64_t)nr;
	if (data)
		memcpy(r.data, data, dlen);
	return hwt_effects_record(f->fx, f->m, 100, tid, ++f->ts, &r,
				  data ? sizeof(r) : HWT_SYSC_HEAD, f->out);
}

/* The integer (or string, into @s) under @key in the args of the last record's effect @k; -1 if
 * none. */
static int64_t argk(const struct fixture *f, int k, const char *key, const char **s)
{
	struct hwt_value_reader r;
	struct hwt_value v;

	hwt_value_reader_init(&r, f->out[k].args, f->out[k].args_len);
	while (hwt_value_next(&r, &v) != 0)
		if (v.key && v.keylen == strlen(key) && !memcmp(v.key, key, v.keylen)) {
			if (s && v.tag == HWT_VAL_STRING) {
				static char buf[300];
				memcpy(buf, v.s, v.n);
				buf[v.n] = 0;
				*s = buf;
			}
			return v.i;
		}
	return -1;
}

static int64_t arg(const struct fixture *f, const char *key, const char **s)
{
	return argk(f, 0, key, s);
}

static const char *leafk(const struct fixture *f, int k)
{
	return hwt_model_str(f->m, f->out[k].leaf);
}

static const char *leaf(const struct fixture *f)
{
	return leafk(f, 0);
}

START_TEST(hwt_effects_record_file)
{
	struct fixture f;
	const char *path = "data/in.txt", *s = NULL;

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, (uint64_t)-100, 0x1000, 0, 5, path, 12), 1);
	ck_assert_str_eq(f.out[0].name, "open");
	ck_assert_str_eq(leaf(&f), "file:data/in.txt");
	ck_assert_int_eq(arg(&f, "fd", NULL), 5);
	arg(&f, "path", &s);
	ck_assert_str_eq(s, "data/in.txt");
	ck_assert_uint_eq(f.out[0].ts, 1);

	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 5, 0, 4096, 1234, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "read");
	ck_assert_str_eq(leaf(&f), "file:data/in.txt");
	ck_assert_int_eq(arg(&f, "bytes", NULL), 1234);

	/* dup: the copy names the same file; close forgets only the original */
	ck_assert_int_eq(call(&f, 7, HWT_NR_DUP, 5, 0, 0, 9, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLOSE, 5, 0, 0, 0, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "close");
	ck_assert_int_eq(call(&f, 7, HWT_NR_WRITE, 9, 0, 10, 10, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "write");
	ck_assert_str_eq(leaf(&f), "file:data/in.txt");
	ck_assert_int_eq(call(&f, 7, HWT_NR_WRITE, 5, 0, 10, -9, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:5"); /* closed: no longer the file */
	ck_assert_int_eq(arg(&f, "bytes", NULL), 0);
	ck_assert_int_eq(arg(&f, "result", NULL), -9);
	/* a failed open names the path and opens nothing */
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, -2, "nope", 5), 1);
	ck_assert_str_eq(leaf(&f), "file:nope");
	ck_assert_int_eq(arg(&f, "result", NULL), -2);
	teardown(&f);
}
END_TEST

/* mmap(NULL, @len, @prot, @flags, @fd, @off) that returned @ret. */
static int map_call(struct fixture *f, uint64_t len, uint64_t prot, uint64_t flags, int64_t fd,
		    uint64_t off, int64_t ret)
{
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .val = ret };

	r.regs[HWT_SYSC_SI] = len;
	r.regs[HWT_SYSC_DX] = prot;
	r.regs[HWT_SYSC_R10] = flags;
	r.regs[HWT_SYSC_R8] = (uint64_t)fd;
	r.regs[HWT_SYSC_R9] = off;
	r.regs[HWT_SYSC_ORIG_AX] = HWT_NR_MMAP;
	return hwt_effects_record(f->fx, f->m, 100, 7, ++f->ts, &r, HWT_SYSC_HEAD, f->out);
}

/* A file mapped is a "map" effect with its length, offset and perms, and no bytes (what is read
 * through it is not seen); memory mapped and failed calls are none. */
START_TEST(hwt_effects_record_map)
{
	struct fixture f;
	const char *s = NULL;

	setup(&f);
	ck_assert_uint_eq(hwt_sysc_class_of(HWT_NR_MMAP), HWT_SYSC_C_MAP);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, 5, "lib.so", 7), 1);
	ck_assert_int_eq(
		map_call(&f, 8192, PROT_READ | PROT_EXEC, MAP_PRIVATE, 5, 4096, 0x7f0000001000), 1);
	ck_assert_str_eq(f.out[0].name, "map");
	ck_assert_str_eq(leaf(&f), "file:lib.so");
	ck_assert_int_eq(arg(&f, "length", NULL), 8192);
	ck_assert_int_eq(arg(&f, "offset", NULL), 4096);
	ck_assert_int_eq(arg(&f, "fd", NULL), 5);
	ck_assert_int_eq(arg(&f, "bytes", NULL), -1);
	ck_assert_int_eq(arg(&f, "result", NULL), 0x7f0000001000);
	arg(&f, "perms", &s);
	ck_assert_str_eq(s, "r-xp");
	/* shared and writable, of a descriptor from before the recording */
	ck_assert_int_eq(map_call(&f, 64, PROT_READ | PROT_WRITE, MAP_SHARED, 9, 0, 0x7f0000000000),
			 1);
	ck_assert_str_eq(leaf(&f), "file:fd:9");
	arg(&f, "perms", &s);
	ck_assert_str_eq(s, "rw-s");
	/* memory, and failures: none */
	ck_assert_int_eq(map_call(&f, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0,
				  0x7f0000100000),
			 0);
	ck_assert_int_eq(
		map_call(&f, 1 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 5, 0, 0x7f0000100000),
		0);
	ck_assert_int_eq(map_call(&f, 4096, PROT_READ, MAP_PRIVATE, 5, 0, -13), 0);
	ck_assert_int_eq(map_call(&f, 4096, PROT_READ, MAP_PRIVATE, -1, 0, 0x7f0000200000), 0);
	teardown(&f);
}
END_TEST

/* An io_uring record of request @req on thread @tid: a submission (@done 0: @opcode on @fd,
 * @flags the request's) or a completion (@done 1: result @fd, @flags the CQE's). */
static int uring_call(struct fixture *f, uint32_t tid, int done, uint64_t req, uint8_t opcode,
		      int64_t fd, uint64_t flags)
{
	struct hwt_sysc_rec r = { .kind = done ? HWT_SYSC_URING_DONE : HWT_SYSC_URING_SUBMIT };

	r.regs[HWT_SYSC_U_REQ] = req;
	r.regs[HWT_SYSC_U_OPCODE] = opcode;
	r.regs[HWT_SYSC_U_FD] = (uint32_t)fd;
	r.regs[HWT_SYSC_U_FLAGS] = flags;
	return hwt_effects_record(f->fx, f->m, 100, tid, ++f->ts, &r, HWT_SYSC_HEAD, f->out);
}

/* io_uring: a completion is the read, write, send, receive or close its submission asked for, on
 * the submitter's thread and stack; a multishot request completes more than once; a registered
 * file is named by its index; a completion whose submission was not seen, or of an operation on
 * no descriptor, is none. */
START_TEST(hwt_effects_record_uring)
{
	struct fixture f;
	const char *s = NULL;

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, 5, "log.txt", 8), 1);
	ck_assert_int_eq(hwt_effects_wants_stack(f.fx), 0);
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xa000, IORING_OP_WRITE, 5, 0), 0);
	ck_assert_int_eq(hwt_effects_wants_stack(f.fx), 1);
	hwt_effects_keep_stack(f.fx, 42);
	ck_assert_int_eq(hwt_effects_wants_stack(f.fx), 0);
	/* completed on a worker thread (8): shown on the submitter's (7), under its stack */
	ck_assert_int_eq(uring_call(&f, 8, 1, 0xa000, IORING_OP_WRITE, 300, 0), 1);
	ck_assert_str_eq(f.out[0].name, "write");
	ck_assert_str_eq(leaf(&f), "file:log.txt");
	ck_assert_int_eq(arg(&f, "bytes", NULL), 300);
	ck_assert_int_eq(arg(&f, "result", NULL), 300);
	arg(&f, "via", &s);
	ck_assert_str_eq(s, "io_uring");
	ck_assert_uint_eq(f.out[0].stack, 42);
	ck_assert_uint_eq(f.out[0].tid, 7);
	/* the request is done: the same address completing again is not it */
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xa000, IORING_OP_WRITE, 300, 0), 0);
	/* a failed read: no bytes, its result */
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xa000, IORING_OP_READ, 5, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xa000, 0, -11, 0), 1);
	ck_assert_str_eq(f.out[0].name, "read");
	ck_assert_int_eq(arg(&f, "bytes", NULL), 0);
	ck_assert_int_eq(arg(&f, "result", NULL), -11);
	ck_assert_uint_eq(f.out[0].stack, 0); /* no stack was handed over */
	/* multishot receive on a socket: each completion until one without F_MORE */
	ck_assert_int_eq(call(&f, 7, HWT_NR_SOCKET, AF_INET, SOCK_STREAM, 0, 6, NULL, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xb000, IORING_OP_RECV, 6, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xb000, 0, 10, IORING_CQE_F_MORE), 1);
	ck_assert_str_eq(f.out[0].name, "recv");
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xb000, 0, 20, IORING_CQE_F_MORE), 1);
	ck_assert_int_eq(arg(&f, "bytes", NULL), 20);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xb000, 0, 0, 0), 1);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xb000, 0, 5, 0), 0);
	/* a registered file */
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xc000, IORING_OP_READ, 3, 1), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xc000, 0, 64, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:fixed:3");
	/* not seen submitted; no descriptor's I/O (a timeout) */
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xd000, 0, 64, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xd000, IORING_OP_TIMEOUT, -1, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xd000, 0, -62, 0), 0);
	/* an open through the ring, relative to a directory opened before: named, then in the
	 * table */
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, 8, "/srv/data", 10), 1);
	struct hwt_sysc_rec o = { .kind = HWT_SYSC_URING_SUBMIT, .dlen = 6 };
	o.regs[HWT_SYSC_U_REQ] = 0xf000;
	o.regs[HWT_SYSC_U_OPCODE] = IORING_OP_OPENAT;
	o.regs[HWT_SYSC_U_DFD] = 8;
	memcpy(o.data, "a.log", 6);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 100, 7, ++f.ts, &o, sizeof(o), f.out), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xf000, 0, 9, 0), 1);
	ck_assert_str_eq(f.out[0].name, "open");
	ck_assert_str_eq(leaf(&f), "file:/srv/data/a.log");
	ck_assert_int_eq(arg(&f, "fd", NULL), 9);
	ck_assert_int_eq(arg(&f, "flags", NULL), -1); /* not recorded */
	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 9, 0, 10, 10, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:/srv/data/a.log");
	/* a close through the ring forgets the descriptor */
	ck_assert_int_eq(uring_call(&f, 7, 0, 0xe000, IORING_OP_CLOSE, 5, 0), 0);
	ck_assert_int_eq(uring_call(&f, 7, 1, 0xe000, 0, 0, 0), 1);
	ck_assert_str_eq(f.out[0].name, "close");
	ck_assert_str_eq(leaf(&f), "file:log.txt");
	ck_assert_int_eq(arg(&f, "bytes", NULL), -1);
	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 5, 0, 10, 10, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:5");
	teardown(&f);
}
END_TEST

/* A forked child starts with its parent's descriptors; a new thread's id gets none. */
START_TEST(hwt_effects_record_fork)
{
	struct fixture f;
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .val = 64 };

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, 5, "log.txt", 8), 1);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLONE, SIGCHLD, 0, 0, 200, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLONE, CLONE_VM | CLONE_THREAD, 0, 0, 300, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLOSE, 5, 0, 0, 0, NULL, 0), 1); /* the parent's */
	r.regs[HWT_SYSC_ORIG_AX] = HWT_NR_WRITE;
	r.regs[HWT_SYSC_DI] = 5;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 200, 200, 9, &r, HWT_SYSC_HEAD, f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:log.txt");
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 300, 300, 9, &r, HWT_SYSC_HEAD, f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:5");
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 100, 7, 9, &r, HWT_SYSC_HEAD, f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:5");
	teardown(&f);
}
END_TEST

START_TEST(hwt_effects_record_net)
{
	struct fixture f;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(8080) };

	setup(&f);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(call(&f, 7, HWT_NR_SOCKET, AF_INET, SOCK_STREAM, 0, 3, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CONNECT, 3, 0x1000, sizeof(a), 0, &a, sizeof(a)), 1);
	ck_assert_str_eq(f.out[0].name, "connect");
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:8080");
	/* another thread sends on it: a write on a socket is a send */
	ck_assert_int_eq(call(&f, 8, HWT_NR_WRITE, 3, 0, 100, 100, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "send");
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:8080");

	/* a server bound to port 0 learns its port from getsockname; accepted sockets show it */
	a.sin_port = 0;
	ck_assert_int_eq(call(&f, 7, HWT_NR_SOCKET, AF_INET, SOCK_STREAM, 0, 4, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_BIND, 4, 0x1000, sizeof(a), 0, &a, sizeof(a)), 1);
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:0");
	uint8_t out[HWT_SYSC_SOCKADDR_MAX] = { 0 };
	a.sin_port = htons(4242);
	memcpy(out, &a, sizeof(a));
	ck_assert_int_eq(call(&f, 7, HWT_NR_GETSOCKNAME, 4, 0x1000, 0x2000, 0, out, sizeof(out)),
			 0);
	ck_assert_int_eq(call(&f, 8, HWT_NR_ACCEPT4, 4, 0, 0, 6, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "accept");
	ck_assert_int_eq(arg(&f, "peer", NULL), -1); /* accept(fd, NULL, NULL): none */
	/* accept with an address: the peer in the args, the leaf still the server's port */
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(50123) };
	inet_pton(AF_INET, "10.1.2.3", &peer.sin_addr);
	ck_assert_int_eq(call(&f, 8, HWT_NR_ACCEPT, 4, 0x1000, 0x2000, 7, &peer, sizeof(peer)), 1);
	const char *s = NULL;
	arg(&f, "peer", &s);
	ck_assert_str_eq(s, "10.1.2.3:50123");
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:4242");
	ck_assert_int_eq(call(&f, 8, HWT_NR_RECVFROM, 6, 0, 50, 50, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "recv");
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:4242");
	ck_assert_int_eq(arg(&f, "bytes", NULL), 50);
	/* a Unix socket names a file */
	uint8_t un[2 + 12] = { AF_UNIX, 0 };
	memcpy(un + 2, "/run/x.sock", 12);
	ck_assert_int_eq(call(&f, 7, HWT_NR_SOCKET, AF_UNIX, SOCK_STREAM, 0, 10, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CONNECT, 10, 0x1000, sizeof(un), 0, un, sizeof(un)), 1);
	ck_assert_str_eq(leaf(&f), "net:unix:/run/x.sock");
	/* a descriptor from before the recording, used by a socket call */
	ck_assert_int_eq(call(&f, 8, HWT_NR_SENDTO, 0, 0, 10, 10, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "net:fd:0");
	teardown(&f);
}
END_TEST

/* Copies between descriptors are a read and a write; fcntl's F_DUPFD is a dup; close_range
 * forgets a range; preadv and pwritev2 are a read and a write. */
START_TEST(hwt_effects_record_copy)
{
	struct fixture f;
	const char *s = NULL;

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, (uint64_t)-100, 0x1000, 0, 3, "src", 4), 1);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, (uint64_t)-100, 0x1000, 0, 4, "dst", 4), 1);
	/* copy_file_range(in 3, off, out 4, ...) of 100 bytes */
	ck_assert_int_eq(call(&f, 7, HWT_NR_COPY_FILE_RANGE, 3, 0, 4, 100, NULL, 0), 2);
	ck_assert_str_eq(f.out[0].name, "read");
	ck_assert_str_eq(leafk(&f, 0), "file:src");
	ck_assert_int_eq(argk(&f, 0, "bytes", NULL), 100);
	ck_assert_int_eq(argk(&f, 0, "fd", NULL), 3);
	argk(&f, 0, "via", &s);
	ck_assert_str_eq(s, "copy_file_range");
	ck_assert_str_eq(f.out[1].name, "write");
	ck_assert_str_eq(leafk(&f, 1), "file:dst");
	ck_assert_int_eq(argk(&f, 1, "bytes", NULL), 100);
	ck_assert_int_eq(argk(&f, 1, "fd", NULL), 4);
	ck_assert_uint_eq(f.out[1].ts, f.out[0].ts);
	/* sendfile(out 4, in 3, ...): the other way round; a failed one moves no bytes */
	ck_assert_int_eq(call(&f, 7, HWT_NR_SENDFILE, 4, 3, 0, -22, NULL, 0), 2);
	ck_assert_str_eq(leafk(&f, 0), "file:src");
	ck_assert_str_eq(leafk(&f, 1), "file:dst");
	ck_assert_int_eq(argk(&f, 1, "bytes", NULL), 0);
	ck_assert_int_eq(argk(&f, 1, "result", NULL), -22);
	argk(&f, 1, "via", &s);
	ck_assert_str_eq(s, "sendfile");
	/* splice(in 3, off, out 9 (not seen opened), ...) */
	ck_assert_int_eq(call(&f, 7, HWT_NR_SPLICE, 3, 0, 9, 7, NULL, 0), 2);
	ck_assert_str_eq(leafk(&f, 1), "file:fd:9");
	/* fcntl(3, F_DUPFD_CLOEXEC) = 10 names src; fcntl(3, F_GETFL) changes nothing */
	ck_assert_int_eq(call(&f, 7, HWT_NR_FCNTL, 3, 1030, 0, 10, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_FCNTL, 4, 3, 0, 11, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_PREADV, 10, 0, 1, 5, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "read");
	ck_assert_str_eq(leaf(&f), "file:src");
	ck_assert_int_eq(call(&f, 7, HWT_NR_PWRITEV2, 11, 0, 1, 5, NULL, 0), 1);
	ck_assert_str_eq(f.out[0].name, "write");
	ck_assert_str_eq(leaf(&f), "file:fd:11");
	/* close_range(4, ~0, CLOSE_RANGE_CLOEXEC) closes nothing; (4, ~0, 0) closes 4 and 10 */
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLOSE_RANGE, 4, ~0u, 4, 0, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_WRITE, 4, 0, 1, 1, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:dst");
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLOSE_RANGE, 4, ~0u, 0, 0, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_WRITE, 4, 0, 1, 1, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:4");
	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 10, 0, 1, 1, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:10");
	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 3, 0, 1, 1, NULL, 0), 1);
	ck_assert_str_eq(leaf(&f), "file:src"); /* below the range: still open */
	teardown(&f);
}
END_TEST

/* openat below a directory the process opened names the path below it, down a chain; an unknown
 * directory, AT_FDCWD and absolute paths leave the path as given; a child inherits the paths. */
START_TEST(hwt_effects_record_dirfd)
{
	struct fixture f;

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPEN, 0x1000, 0, 0, 3, "/srv/data", 10), 1);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, 3, 0x1000, 0, 4, "sub", 4), 1);
	ck_assert_str_eq(leaf(&f), "file:/srv/data/sub");
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT2, 4, 0x1000, 0, 5, "f.txt", 6), 1);
	ck_assert_str_eq(leaf(&f), "file:/srv/data/sub/f.txt");
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, 4, 0x1000, 0, 6, "/etc/passwd", 12), 1);
	ck_assert_str_eq(leaf(&f), "file:/etc/passwd");
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, (uint64_t)-100, 0x1000, 0, 7, "rel", 4), 1);
	ck_assert_str_eq(leaf(&f), "file:rel");
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, 42, 0x1000, 0, 8, "what", 5), 1);
	ck_assert_str_eq(leaf(&f), "file:what"); /* a directory opened before the recording */
	/* fork: the child (pid 300) opens below its inherited descriptor 4 */
	ck_assert_int_eq(call(&f, 7, HWT_NR_FORK, 0, 0, 0, 300, NULL, 0), 0);
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .dlen = 3, .val = 9 };
	r.regs[HWT_SYSC_DI] = 4;
	r.regs[HWT_SYSC_ORIG_AX] = HWT_NR_OPENAT;
	memcpy(r.data, "kid", 3);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 300, 300, 99, &r, sizeof(r), f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:/srv/data/sub/kid");
	teardown(&f);
}
END_TEST

START_TEST(hwt_effects_record_bad)
{
	struct fixture f;
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .val = 3 };

	setup(&f);
	r.regs[HWT_SYSC_ORIG_AX] = HWT_NR_OPEN;
	ck_assert_int_eq(hwt_effects_record(NULL, f.m, 1, 1, 1, &r, sizeof(r), f.out), HWT_E_INVAL);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, NULL, 0, f.out), HWT_E_INVAL);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD - 1, f.out),
			 HWT_E_CORRUPT);
	r.kind = 0;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), f.out),
			 HWT_E_CORRUPT);
	r.kind = HWT_SYSC_EXIT;
	r.dlen = 10; /* says 10 bytes follow, none do */
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, f.out),
			 HWT_E_CORRUPT);
	r.dlen = HWT_SYSC_DATA + 1;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), f.out),
			 HWT_E_CORRUPT);
	/* a path without its NUL is cut at dlen; none at all is said to be unreadable */
	memset(r.data, 'a', sizeof(r.data));
	r.dlen = HWT_SYSC_DATA;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), f.out), 1);
	ck_assert_uint_eq(strlen(leaf(&f)), strlen("file:") + HWT_SYSC_DATA);
	r.dlen = 0;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:[unreadable path]");
	/* a call it does not follow */
	r.regs[HWT_SYSC_ORIG_AX] = 9999;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, f.out), 0);
	hwt_effects_free(NULL);
	teardown(&f);
}
END_TEST

static Suite *effects_suite(void)
{
	Suite *s = suite_create("effects");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, hwt_effects_record_file);
	tcase_add_test(tc, hwt_effects_record_fork);
	tcase_add_test(tc, hwt_effects_record_map);
	tcase_add_test(tc, hwt_effects_record_uring);
	tcase_add_test(tc, hwt_effects_record_net);
	tcase_add_test(tc, hwt_effects_record_copy);
	tcase_add_test(tc, hwt_effects_record_dirfd);
	tcase_add_test(tc, hwt_effects_record_bad);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(effects_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

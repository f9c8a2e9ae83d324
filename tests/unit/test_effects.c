/* Unit tests for decoders/effects: records of the syscalls plugin, the descriptor table (open,
 * socket, connect, bind, getsockname, accept, dup, close, descriptors from before the
 * recording), the args of each effect, and records that are damaged. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "hwtrace/error.h"
#include "core/format/sysc_format.h"
#include "core/format/value.h"
#include "core/model.h"
#include "decoders/effects/effects.h"

struct fixture {
	struct hwt_model *m;
	struct hwt_effects *fx;
	struct hwt_effect out;
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
				  data ? sizeof(r) : HWT_SYSC_HEAD, &f->out);
}

/* The integer (or string, into @s) under @key in the last effect's args; -1 if none. */
static int64_t arg(const struct fixture *f, const char *key, const char **s)
{
	struct hwt_value_reader r;
	struct hwt_value v;

	hwt_value_reader_init(&r, f->out.args, f->out.args_len);
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

static const char *leaf(const struct fixture *f)
{
	return hwt_model_str(f->m, f->out.leaf);
}

START_TEST(hwt_effects_record_file)
{
	struct fixture f;
	const char *path = "data/in.txt", *s = NULL;

	setup(&f);
	ck_assert_int_eq(call(&f, 7, HWT_NR_OPENAT, (uint64_t)-100, 0x1000, 0, 5, path, 12), 1);
	ck_assert_str_eq(f.out.name, "open");
	ck_assert_str_eq(leaf(&f), "file:data/in.txt");
	ck_assert_int_eq(arg(&f, "fd", NULL), 5);
	arg(&f, "path", &s);
	ck_assert_str_eq(s, "data/in.txt");
	ck_assert_uint_eq(f.out.ts, 1);

	ck_assert_int_eq(call(&f, 7, HWT_NR_READ, 5, 0, 4096, 1234, NULL, 0), 1);
	ck_assert_str_eq(f.out.name, "read");
	ck_assert_str_eq(leaf(&f), "file:data/in.txt");
	ck_assert_int_eq(arg(&f, "bytes", NULL), 1234);

	/* dup: the copy names the same file; close forgets only the original */
	ck_assert_int_eq(call(&f, 7, HWT_NR_DUP, 5, 0, 0, 9, NULL, 0), 0);
	ck_assert_int_eq(call(&f, 7, HWT_NR_CLOSE, 5, 0, 0, 0, NULL, 0), 1);
	ck_assert_str_eq(f.out.name, "close");
	ck_assert_int_eq(call(&f, 7, HWT_NR_WRITE, 9, 0, 10, 10, NULL, 0), 1);
	ck_assert_str_eq(f.out.name, "write");
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
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 200, 200, 9, &r, HWT_SYSC_HEAD, &f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:log.txt");
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 300, 300, 9, &r, HWT_SYSC_HEAD, &f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:fd:5");
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 100, 7, 9, &r, HWT_SYSC_HEAD, &f.out), 1);
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
	ck_assert_str_eq(f.out.name, "connect");
	ck_assert_str_eq(leaf(&f), "net:127.0.0.1:8080");
	/* another thread sends on it: a write on a socket is a send */
	ck_assert_int_eq(call(&f, 8, HWT_NR_WRITE, 3, 0, 100, 100, NULL, 0), 1);
	ck_assert_str_eq(f.out.name, "send");
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
	ck_assert_str_eq(f.out.name, "accept");
	ck_assert_int_eq(call(&f, 8, HWT_NR_RECVFROM, 6, 0, 50, 50, NULL, 0), 1);
	ck_assert_str_eq(f.out.name, "recv");
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

START_TEST(hwt_effects_record_bad)
{
	struct fixture f;
	struct hwt_sysc_rec r = { .kind = HWT_SYSC_EXIT, .val = 3 };

	setup(&f);
	r.regs[HWT_SYSC_ORIG_AX] = HWT_NR_OPEN;
	ck_assert_int_eq(hwt_effects_record(NULL, f.m, 1, 1, 1, &r, sizeof(r), &f.out),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, NULL, 0, &f.out), HWT_E_INVAL);
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD - 1, &f.out),
			 HWT_E_CORRUPT);
	r.kind = 0;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), &f.out),
			 HWT_E_CORRUPT);
	r.kind = HWT_SYSC_EXIT;
	r.dlen = 10; /* says 10 bytes follow, none do */
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, &f.out),
			 HWT_E_CORRUPT);
	r.dlen = HWT_SYSC_DATA + 1;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), &f.out),
			 HWT_E_CORRUPT);
	/* a path without its NUL is cut at dlen; none at all is said to be unreadable */
	memset(r.data, 'a', sizeof(r.data));
	r.dlen = HWT_SYSC_DATA;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, sizeof(r), &f.out), 1);
	ck_assert_uint_eq(strlen(leaf(&f)), strlen("file:") + HWT_SYSC_DATA);
	r.dlen = 0;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, &f.out), 1);
	ck_assert_str_eq(leaf(&f), "file:[unreadable path]");
	/* a call it does not follow */
	r.regs[HWT_SYSC_ORIG_AX] = 9999;
	ck_assert_int_eq(hwt_effects_record(f.fx, f.m, 1, 1, 1, &r, HWT_SYSC_HEAD, &f.out), 0);
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
	tcase_add_test(tc, hwt_effects_record_net);
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

/* Unit tests for the Intel PT decoder and `hwtrace import`: streams encoded with libipt's encoder
 * for paths through a tiny ELF written here, imported, decoded, and the slices compared with the
 * calls and returns of the path: with and without return compression, returns past the top,
 * longjmp, tail calls, PLT stubs, overflow, damaged and random bytes, parallel decoding. */
#include <check.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/format/records.h"
#include "core/store.h"
#include "decoders/decode.h"
#include "decoders/intel_pt/pt_decode.h"
#include "decoders/intel_pt/pt_import.h"
#include "pt_synth.h"
#include "quiet_check.h"
#include "slice_nodes.h"

#define T(off) (SYNTH_BASE + SYNTH_TEXT + (off))
#define MAIN   T(0x00)
#define FN_A   T(0x40)
#define FN_B   T(0x50)
#define FN_T   T(0x60)
#define FN_D   T(0x80)
#define START  T(0x90)
#define MAIN2  T(0xd0)
#define LOOP   T(0x100)
#define STUB   (SYNTH_BASE + SYNTH_PLT)

/* main calls a, b (which calls a), t (which jumps to c), the PLT stub (which jumps to d), then
 * a again unless eax is 0; start calls main and a, then makes a system call. main2 calls u,
 * whose callee v jumps back into main2 (a longjmp); loop calls a and b until eax is 0. */
static const uint8_t text[] = {
	[0x00] = 0xe8,	0x3b, 0x00, 0x00, 0x00, /* call a */
	0xe8,		0x46, 0x00, 0x00, 0x00, /* call b */
	0xe8,		0x51, 0x00, 0x00, 0x00, /* call t */
	0xe8,		0xec, 0x07, 0x00, 0x00, /* call stub */
	0x85,		0xc0,			/* test eax, eax */
	0x74,		0x05,			/* jz 1f */
	0xe8,		0x23, 0x00, 0x00, 0x00, /* call a */
	0xc3,					/* 1: ret */
	[0x40] = 0xc3,				/* a: ret */
	[0x50] = 0xe8,	0xeb, 0xff, 0xff, 0xff, /* b: call a */
	0xc3,					/* ret */
	[0x60] = 0x90,				/* t: nop */
	0xe9,		0x0a, 0x00, 0x00, 0x00, /* jmp c */
	[0x70] = 0xc3,				/* c: ret */
	[0x80] = 0xc3,				/* d: ret */
	[0x90] = 0xe8,	0x6b, 0xff, 0xff, 0xff, /* start: call main */
	0xe8,		0xa6, 0xff, 0xff, 0xff, /* call a */
	0x0f,		0x05,			/* syscall */
	0xc3,					/* ret */
	[0xb0] = 0xe8,	0x0b, 0x00, 0x00, 0x00, /* u: call v */
	0xc3,					/* ret */
	[0xc0] = 0xff,	0xe0,			/* v: jmp *%rax */
	[0xd0] = 0xe8,	0xdb, 0xff, 0xff, 0xff, /* main2: call u */
	0x90,					/* nop: where v jumps to */
	0xe8,		0x65, 0xff, 0xff, 0xff, /* call a */
	0x0f,		0x05,			/* syscall */
	0xc3,					/* ret */
	[0x100] = 0xe8, 0x3b, 0xff, 0xff, 0xff, /* loop: call a */
	0xe8,		0x46, 0xff, 0xff, 0xff, /* call b */
	0x85,		0xc0,			/* test eax, eax */
	0x75,		0xf2,			/* jnz loop */
	0xc3,					/* ret */
};
static const uint8_t plt[] = { 0xff, 0x25, 0xfa, 0x0f, 0x00, 0x00 }; /* jmp *GOT(%rip) */
static const struct synth_sym syms[] = {
	{ "main", MAIN, 0x1e },	 { "a", FN_A, 1 },	{ "b", FN_B, 6 },
	{ "t", FN_T, 6 },	 { "c", T(0x70), 1 },	{ "d", FN_D, 1 },
	{ "start", START, 0xd }, { "u", T(0xb0), 6 },	{ "v", T(0xc0), 2 },
	{ "main2", MAIN2, 0xe }, { "loop", LOOP, 0xf },
};

static char elf_path[64], hwt_path[64], stub_name[96];

static void setup(void)
{
	snprintf(elf_path, sizeof(elf_path), "/tmp/hwt_pt_elf_XXXXXX");
	int fd = mkstemp(elf_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(synth_elf(fd, text, sizeof(text), plt, sizeof(plt), syms,
				   sizeof(syms) / sizeof(syms[0])),
			 0);
	close(fd);
	snprintf(hwt_path, sizeof(hwt_path), "/tmp/hwt_pt_test_%d.hwt", (int)getpid());
	/* A file left by an earlier run's test of this pid (a failed test skips its teardown):
	 * pt_import_bad_arguments checks that nothing is written there. */
	unlink(hwt_path);
	/* Without a symbol the PLT stub is named by its file offset. */
	snprintf(stub_name, sizeof(stub_name), "%s+0x%x", strrchr(elf_path, '/') + 1, SYNTH_PLT);
	unsetenv("HWT_PT_TAILCALLS");
	unsetenv("HWT_PT_THREADS");
}

static void teardown(void)
{
	unlink(elf_path);
	unlink(hwt_path);
}

/* ---- decoding into a readable line ---- */

struct dec {
	char line[16384]; /* "B main|B a|E a|..." with "!" after an unfinished end */
	size_t len;
	int nlost, nslices;
	uint64_t first_ts, last_ts;
	int backwards; /* a thread's time went back */
	uint32_t tid;
	uint32_t only_tid; /* set before decode_file(): that thread's events only */
};

static void put(struct dec *r, const char *s)
{
	size_t n = strlen(s);
	if (r->len + n + 2 < sizeof(r->line)) {
		if (r->len)
			r->line[r->len++] = '|';
		memcpy(r->line + r->len, s, n + 1);
		r->len += n;
	}
}

/* Decodes the recording at hwt_path; returns what hwt_decoder_next() last returned. */
static int decode_file(struct dec *r)
{
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_event ev;
	struct slice_cursors nest = { 0 };
	char why[256], buf[200];
	int err, n;

	uint32_t only = r->only_tid;
	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(m);
	struct hwt_decoder *d = hwt_decoder_open(hwt_path, m, NULL, &err, why, sizeof(why));
	ck_assert_msg(d, "open: %s", why);
	while ((n = hwt_decoder_next(d, &ev)) > 0) {
		slice_node_check(m, &nest, &ev);
		const struct hwt_frame *f = hwt_model_frame(m, ev.slice.frame);
		const char *name = f ? hwt_model_str(m, f->name) : "?";
		if (!strcmp(name, stub_name))
			name = "STUB";
		if (only && ev.tid != only)
			continue;
		switch (ev.type) {
		case HWT_EV_SLICE_BEGIN:
		case HWT_EV_SLICE_END:
			snprintf(buf, sizeof(buf), "%c %s%s",
				 ev.type == HWT_EV_SLICE_BEGIN ? 'B' : 'E', name,
				 ev.slice.flags & HWT_SLICE_UNFINISHED ? "!" : "");
			put(r, buf);
			r->nslices++;
			break;
		case HWT_EV_LOST:
			put(r, "LOST");
			r->nlost++;
			break;
		default:
			continue;
		}
		if (!r->first_ts)
			r->first_ts = ev.ts;
		if (ev.ts < r->last_ts)
			r->backwards = 1;
		r->last_ts = ev.ts;
		r->tid = ev.tid;
	}
	hwt_decoder_close(d);
	hwt_model_free(m);
	return n;
}

static int import(const uint8_t *data, size_t len, int noretcomp)
{
	struct hwt_pt_import_config cfg;
	struct hwt_pt_image img = { .path = elf_path };
	char why[256];

	hwt_pt_import_config_init(&cfg);
	cfg.data = data;
	cfg.len = len;
	cfg.images = &img;
	cfg.nimages = 1;
	cfg.tsc_hz = 1000000000;
	cfg.noretcomp = noretcomp;
	cfg.pid = cfg.tid = 4242;
	int err = hwt_pt_import(&cfg, hwt_path, why, sizeof(why));
	ck_assert_msg(err == 0, "import: %s", why);
	return err;
}

static void decode(const struct synth *s, int noretcomp, struct dec *r)
{
	import(s->buf, s->len, noretcomp);
	ck_assert_int_eq(decode_file(r), 0);
}

/* ---- paths ---- */

/* start -> main -> ... -> syscall, each return compressed or as a TIP. */
static void path_start(struct synth *s, int retcomp)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(synth_psb(s, START, 1000), 0);
#define RET(to) (retcomp ? synth_tnt(s, 1) : synth_ip(s, ppt_tip, (to)))
	ck_assert_int_eq(RET(MAIN + 0x05), 0); /* a returns to main */
	ck_assert_int_eq(RET(FN_B + 0x05), 0); /* a returns to b */
	ck_assert_int_eq(synth_tsc(s, 2000), 0);
	ck_assert_int_eq(RET(MAIN + 0x0a), 0);		 /* b returns */
	ck_assert_int_eq(RET(MAIN + 0x0f), 0);		 /* c returns for t */
	ck_assert_int_eq(synth_ip(s, ppt_tip, FN_D), 0); /* the stub's jmp */
	ck_assert_int_eq(RET(MAIN + 0x14), 0);		 /* d returns for the stub */
	ck_assert_int_eq(synth_tnt(s, 1), 0);		 /* jz taken */
	ck_assert_int_eq(RET(START + 0x05), 0);		 /* main returns */
	ck_assert_int_eq(synth_tsc(s, 3000), 0);
	ck_assert_int_eq(RET(START + 0x0a), 0);		  /* a returns */
	ck_assert_int_eq(synth_ip(s, ppt_tip_pgd, 0), 0); /* syscall */
#undef RET
}

static const char *const want_start = "B main|B a|E a|B b|B a|E a|E b|B t|E t|B STUB|E STUB|E main|"
				      "B a|E a";

START_TEST(pt_decode_calls)
{
	struct synth s;
	struct dec r = { 0 };
	int retcomp = _i == 0;

	path_start(&s, retcomp);
	decode(&s, !retcomp, &r);
	ck_assert_str_eq(r.line, want_start);
	ck_assert_int_eq(r.nlost, 0);
	ck_assert_int_eq(r.tid, 4242);
	ck_assert_uint_eq(r.first_ts, 1000);
	ck_assert_uint_le(r.last_ts, 3000);
	ck_assert_uint_ge(r.last_ts, 2000);
	ck_assert(!r.backwards);
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_tailcalls_folded)
{
	struct synth s;
	struct dec r = { 0 };

	setenv("HWT_PT_TAILCALLS", "1", 1);
	path_start(&s, 1);
	decode(&s, 0, &r);
	/* The jump from t to c ends t and begins c; the stub shows as what it jumps to. */
	ck_assert_str_eq(r.line, "B main|B a|E a|B b|B a|E a|E b|B t|E t|B c|E c|B d|E d|E main|"
				 "B a|E a");
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_past_top)
{
	struct synth s = { 0 };
	struct dec r = { 0 };

	/* The trace begins in main after its calls: main's return goes past the top. */
	ck_assert_int_eq(synth_psb(&s, MAIN + 0x14, 1000), 0);
	ck_assert_int_eq(synth_tnt(&s, 0), 0); /* jz not taken */
	ck_assert_int_eq(synth_tnt(&s, 1), 0); /* a returns */
	ck_assert_int_eq(synth_tsc(&s, 2000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip, START + 0x05), 0); /* main returns */
	ck_assert_int_eq(synth_tsc(&s, 3000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip, START + 0x0a), 0); /* a returns */
	ck_assert_int_eq(synth_ip(&s, ppt_tip_pgd, 0), 0);
	decode(&s, 0, &r);
	ck_assert_str_eq(r.line, "B [unknown]|B a|E a|E [unknown]|B a|E a");
	ck_assert_uint_eq(r.first_ts, 1000);
	ck_assert(!r.backwards);
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_longjmp)
{
	struct synth s = { 0 };
	struct dec r = { 0 };

	/* v jumps back into main2 past u: both are left without returning. */
	ck_assert_int_eq(synth_psb(&s, MAIN2, 1000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip, MAIN2 + 0x06), 0);
	ck_assert_int_eq(synth_tnt(&s, 1), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip_pgd, 0), 0);
	decode(&s, 0, &r);
	ck_assert_str_eq(r.line, "B u|B v|E v!|E u!|B a|E a");
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_overflow)
{
	struct synth s = { 0 };
	struct dec r = { 0 };

	/* Packets are lost after the stub's jump: OVF, then FUP where tracing goes on (d's
	 * return). libipt drops TNT bits it read ahead of an OVF: a TIP comes right before it.
	 * What follows returns past the top of what is known after the overflow, twice. */
	ck_assert_int_eq(synth_psb(&s, START, 1000), 0);
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(synth_tnt(&s, 1), 0);	  /* a, a, b, c return */
	ck_assert_int_eq(synth_ip(&s, ppt_tip, FN_D), 0); /* the stub jumps */
	ck_assert_int_eq(synth_tsc(&s, 2000), 0);
	ck_assert_int_eq(synth_simple(&s, ppt_ovf), 0);
	ck_assert_int_eq(synth_tsc(&s, 5000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_fup, FN_D), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip, MAIN + 0x14), 0);  /* d returns */
	ck_assert_int_eq(synth_tnt(&s, 0), 0);			  /* jz not taken */
	ck_assert_int_eq(synth_tnt(&s, 1), 0);			  /* a returns */
	ck_assert_int_eq(synth_ip(&s, ppt_tip, START + 0x05), 0); /* main returns */
	ck_assert_int_eq(synth_tsc(&s, 6000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip, START + 0x0a), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip_pgd, 0), 0);
	decode(&s, 0, &r);
	ck_assert_str_eq(r.line, "B main|B a|E a|B b|B a|E a|E b|B t|E t|B STUB|E STUB!|E main!|"
				 "LOST|B [unknown]|B [unknown]|E [unknown]|B a|E a|E [unknown]|"
				 "B a|E a");
	ck_assert_int_eq(r.nlost, 1);
	ck_assert(!r.backwards);
	synth_fini(&s);
}
END_TEST

/* A stream of @n iterations of loop, a PSB+ every @psb bytes, a TSC every iteration. */
static void path_loop(struct synth *s, int n, size_t psb)
{
	memset(s, 0, sizeof(*s));
	ck_assert_int_eq(synth_psb(s, LOOP, 1000), 0);
	for (int i = 0; i < n; i++) {
		if (i && s->len - s->last_psb >= psb)
			CK_QUIET_EQ(synth_psb(s, LOOP, 1000 + 10 * (uint64_t)i), 0);
		else if (i % 4 == 0)
			CK_QUIET_EQ(synth_tsc(s, 1000 + 10 * (uint64_t)i), 0);
		synth_tnt(s, 1);	 /* a returns */
		synth_tnt(s, 1);	 /* a returns to b */
		synth_tnt(s, 1);	 /* b returns */
		synth_tnt(s, i + 1 < n); /* jnz */
	}
	ck_assert_int_eq(synth_ip(s, ppt_tip_pgd, 0), 0);
}

START_TEST(pt_decode_resyncs_after_garbage)
{
	struct synth s;
	struct dec r = { 0 };

	path_loop(&s, 400, 256);
	/* An undefined opcode right after the second PSB+: the rest of that stretch is lost,
	 * decoding goes on at the next PSB. */
	size_t second = 0;
	for (size_t i = 16; i + 16 <= s.len && !second; i++)
		if (!memcmp(s.buf + i, "\x02\x82\x02\x82\x02\x82\x02\x82", 8))
			second = i;
	ck_assert_uint_gt(second, 0);
	s.buf[second + 30] = 0x02;
	s.buf[second + 31] = 0x00;
	decode(&s, 0, &r);
	ck_assert_int_ge(r.nlost, 1);
	ck_assert(!r.backwards);
	ck_assert_ptr_nonnull(strstr(r.line, "LOST|"));
	/* The end is decoded: the last iteration's calls close normally. */
	ck_assert_str_eq(r.line + r.len - 23, "B a|E a|B b|B a|E a|E b");
	synth_fini(&s);
}
END_TEST

/* Starts hwt_path by hand: metadata, events, the image mapped for 4242, the intel_pt stream. */
static struct hwt_store_writer *start_file(const struct hwt_event_desc *desc)
{
	char maps[512];
	int fd = open(hwt_path, O_WRONLY | O_CREAT | O_TRUNC, 0644), err;
	ck_assert_int_ge(fd, 0);
	struct hwt_store_writer *w = hwt_store_writer_open(fd, NULL, &err);
	ck_assert_ptr_nonnull(w);
	static const char pid[] = "pid\0"
				  "4242";
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_META, pid, sizeof(pid)), 0);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_EVENTS, desc ? (const void *)desc : "",
					 desc ? sizeof(*desc) : 0),
			 0);
	int n = snprintf(maps + 8, sizeof(maps) - 8, "%llx-%llx r-xp 00000000 00:00 0 %s\n",
			 (unsigned long long)SYNTH_BASE, (unsigned long long)SYNTH_BASE + SYNTH_END,
			 elf_path);
	uint32_t hd[2] = { 4242, 0 };
	memcpy(maps, hd, 8);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_PROC_MAPS, maps, 8 + (size_t)n), 0);
	uint8_t src[sizeof(struct hwt_source_desc) + 9] = { 1 };
	memcpy(src + sizeof(struct hwt_source_desc), "intel_pt", 9);
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_SOURCE, src, sizeof(src)), 0);
	static const char chunk[] = "\x08\0\0\0intel_pt"
				    "tsc_hz 1000000000\n";
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_PLUGIN, chunk, sizeof(chunk) - 1), 0);
	return w;
}

static void pt_item(struct hwt_store_writer *w, uint64_t ts, const uint8_t *data, size_t off,
		    size_t len, uint32_t tid, uint32_t flags)
{
	static const uint8_t pad[8];
	struct hwt_pt_item pi = {
		.flags = flags, .offset = off, .len = (uint32_t)len, .tid = tid, .pid = tid
	};
	struct hwt_stream_item it = {
		.ts = ts, .id = 1, .kind = HWT_ITEM_SOURCE, .len = (uint32_t)(sizeof(pi) + len)
	};
	struct iovec iv[4] = { { &it, sizeof(it) },
			       { &pi, sizeof(pi) },
			       { (void *)(data + off), len },
			       { (void *)pad, -(sizeof(pi) + len) & 7 } };
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iv, 4), 0);
}

static void end_file(struct hwt_store_writer *w)
{
	struct hwt_end_rec end = { .ts = 100000000, .pid = 4242 };
	ck_assert_int_eq(hwt_store_write(w, HWT_CHUNK_END, &end, sizeof(end)), 0);
	ck_assert_int_eq(hwt_store_writer_close(w), 0);
}

/* Writes hwt_path by hand: @data of thread 4242 in @n pieces drained at growing times, piece
 * @flagged with @flags. */
static void write_items(const uint8_t *data, size_t len, int n, int flagged, uint32_t flags)
{
	struct hwt_store_writer *w = start_file(NULL);
	for (int k = 0; k < n; k++) {
		size_t off = len * (size_t)k / (size_t)n, end = len * (size_t)(k + 1) / (size_t)n;
		pt_item(w, 10 * (uint64_t)(k + 1), data, off, end - off, 4242,
			k == flagged ? flags : 0);
	}
	end_file(w);
}

START_TEST(pt_decode_gap_marked)
{
	struct synth s;
	struct dec r = { 0 }, whole = { 0 };

	path_loop(&s, 400, 256);
	/* The same bytes in pieces decode as one stream, each piece's tail decoded as far as it
	 * goes and again once the next piece came... */
	write_items(s.buf, s.len, _i ? 13 : 2, -1, 0);
	ck_assert_int_eq(decode_file(&whole), 0);
	ck_assert_int_eq(whole.nlost, 0);
	ck_assert_int_eq(whole.nslices, 400 * 6);
	ck_assert(!whole.backwards);
	/* ...but a piece the recorder says follows lost data starts with a gap. */
	write_items(s.buf, s.len, _i ? 13 : 2, 1, HWT_PT_TRUNCATED);
	ck_assert_int_eq(decode_file(&r), 0);
	ck_assert_int_ge(r.nlost, 1);
	ck_assert_int_lt(r.nslices, whole.nslices);
	ck_assert(!r.backwards);
	synth_fini(&s);
}
END_TEST

/* A side-band record with a TID, TIME, IDENTIFIER trailer. */
static size_t sideband(uint8_t *p, uint32_t type, uint16_t misc, uint32_t a, uint32_t b,
		       uint32_t pid, uint32_t tid, uint64_t time)
{
	struct perf_event_header h = { .type = type, .misc = misc, .size = 40 };
	uint64_t q[4] = { a | (uint64_t)b << 32, pid | (uint64_t)tid << 32, time, 77 };
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), q, sizeof(q));
	return 40;
}

START_TEST(pt_decode_per_cpu_threads)
{
	struct hwt_event_desc desc = {
		.id = 77,
		.leader_id = 77,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_IDENTIFIER,
		.type = 8,
	};
	struct synth s;
	struct dec r = { 0 };
	uint8_t ring[128];
	size_t n = 0;

	/* CPU 0 runs 4242 (start -> ... -> syscall), then 4243 (three rounds of loop). */
	path_start(&s, 1);
	ck_assert_int_eq(synth_tsc(&s, 3000), 0);
	ck_assert_int_eq(synth_ip(&s, ppt_tip_pge, LOOP), 0);
	for (int i = 0; i < 3; i++) {
		for (int k = 0; k < 3; k++)
			synth_tnt(&s, 1);
		synth_tnt(&s, i < 2);
	}
	ck_assert_int_eq(synth_ip(&s, ppt_tip_pgd, 0), 0);
	n += sideband(ring + n, PERF_RECORD_ITRACE_START, 0, 4242, 4242, 4242, 4242, 900);
	n += sideband(ring + n, PERF_RECORD_SWITCH_CPU_WIDE, PERF_RECORD_MISC_SWITCH_OUT, 4242,
		      4243, 4242, 4242, 2500);
	struct hwt_store_writer *w = start_file(&desc);
	struct hwt_stream_item it = { .ts = 10000, .kind = HWT_ITEM_RING, .len = (uint32_t)n };
	struct iovec iv[2] = { { &it, sizeof(it) }, { ring, n } };
	ck_assert_int_eq(hwt_store_appendv(w, HWT_CHUNK_STREAM, iv, 2), 0);
	pt_item(w, 10000, s.buf, 0, s.len, 0, 0);
	end_file(w);
	r.only_tid = 4242;
	ck_assert_int_eq(decode_file(&r), 0);
	ck_assert_str_eq(r.line, want_start);
	r.only_tid = 4243;
	ck_assert_int_eq(decode_file(&r), 0);
	ck_assert_str_eq(r.line, "B a|E a|B b|B a|E a|E b|B a|E a|B b|B a|E a|E b|B a|E a|B b|B a|"
				 "E a|E b");
	ck_assert_uint_ge(r.first_ts, 3000);
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_parallel_same)
{
	struct synth s;
	struct dec one = { 0 }, two = { 0 };

	/* Long enough for several jobs of 256 KiB: every thread count gives the same slices. */
	path_loop(&s, 600000, 4096);
	import(s.buf, s.len, 0);
	setenv("HWT_PT_THREADS", "1", 1);
	ck_assert_int_eq(decode_file(&one), 0);
	setenv("HWT_PT_THREADS", "3", 1);
	ck_assert_int_eq(decode_file(&two), 0);
	ck_assert_int_eq(one.nslices, 600000 * 6);
	ck_assert_int_eq(two.nslices, one.nslices);
	ck_assert_str_eq(one.line, two.line);
	ck_assert_uint_eq(one.last_ts, two.last_ts);
	ck_assert_int_eq(one.nlost + two.nlost, 0);
	ck_assert(!one.backwards && !two.backwards);
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_parallel_damaged)
{
	struct synth s;
	struct dec one = { 0 }, two = { 0 };

	/* Every PSB+ in a stretch of the stream ends in an undefined opcode: wherever the jobs
	 * of the threads begin, the calls there are lost, the gap is marked, and the decoding on
	 * 3 threads is the decoding on 1. */
	path_loop(&s, 600000, 4096);
	size_t n = 0;
	for (size_t i = s.len * 2 / 5; i + 40 < s.len * 3 / 5; i++)
		if (!memcmp(s.buf + i, "\x02\x82\x02\x82\x02\x82\x02\x82\x02\x82\x02\x82\x02\x82",
			    14)) {
			for (size_t k = i + 16; k < i + 40; k++)
				if (s.buf[k] == 0x02 && s.buf[k + 1] == 0x23) {
					s.buf[k + 1] = 0x00;
					n++;
					break;
				}
			i += 16;
		}
	ck_assert_uint_gt(n, 10);
	import(s.buf, s.len, 0);
	setenv("HWT_PT_THREADS", "1", 1);
	ck_assert_int_eq(decode_file(&one), 0);
	setenv("HWT_PT_THREADS", "3", 1);
	ck_assert_int_eq(decode_file(&two), 0);
	ck_assert_int_ge(one.nlost, 1);
	ck_assert_int_lt(one.nslices, 600000 * 6);
	ck_assert_int_gt(one.nslices, 600000 * 6 * 3 / 4);
	ck_assert_int_eq(two.nlost, one.nlost);
	ck_assert_int_eq(two.nslices, one.nslices);
	ck_assert_str_eq(one.line, two.line);
	ck_assert(!one.backwards && !two.backwards);
	synth_fini(&s);
}
END_TEST

/* Damage of every kind at every place: decoding never crashes, time never goes back, and the
 * gap is marked whenever calls are missing. */
enum { DMG_FLIP, DMG_CUT, DMG_DROP_PSB, DMG_ZERO, DMG_KINDS };

START_TEST(pt_decode_damaged)
{
	struct synth s;
	struct dec r = { 0 };

	path_loop(&s, 60, 64);
	uint8_t *b = malloc(s.len);
	ck_assert_ptr_nonnull(b);
	for (size_t pos = 0; pos < s.len; pos += 1 + pos % 3) {
		size_t n = s.len;
		memcpy(b, s.buf, s.len);
		switch (_i) {
		case DMG_FLIP:
			b[pos] ^= 0xff;
			break;
		case DMG_CUT:
			n = pos;
			break;
		case DMG_DROP_PSB:
			if (pos + 16 > n || memcmp(b + pos, "\x02\x82\x02\x82", 4))
				continue;
			memmove(b + pos, b + pos + 16, n - pos - 16);
			n -= 16;
			break;
		default:
			memset(b + pos, 0, n - pos > 5 ? 5 : n - pos);
			break;
		}
		import(b, n, 0);
		ck_assert_int_eq(decode_file(&r), 0);
		ck_assert_msg(!r.backwards, "time goes back with damage at %zu", pos);
		ck_assert_int_le(r.nslices, 60 * 6 + 40);
	}
	free(b);
	synth_fini(&s);
}
END_TEST

START_TEST(pt_decode_random_bytes)
{
	uint8_t buf[4096];
	uint64_t x = 88172645463325252ull + (uint64_t)_i;
	struct dec r = { 0 };

	for (int round = 0; round < 20; round++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		/* Now and then a PSB+ so the decoder gets somewhere. */
		struct synth s = { 0 };
		synth_psb(&s, (round & 1) ? MAIN : LOOP, 1000);
		memcpy(buf + (x % 2048), s.buf, s.len);
		synth_fini(&s);
		import(buf, sizeof(buf), 0);
		ck_assert_int_eq(decode_file(&r), 0);
		ck_assert(!r.backwards);
	}
}
END_TEST

START_TEST(hwt_pt_params_set_fields)
{
	struct hwt_pt_sideband sb, back;
	struct pt_params p;

	hwt_pt_sideband_init(&sb);
	sb.intel = 1;
	sb.cpu_family = 6;
	sb.cpu_model = 85;
	sb.cpu_stepping = 4;
	sb.cpuid_15_eax = 2;
	sb.cpuid_15_ebx = 176;
	sb.nom_freq = 36;
	sb.mtc_freq = 3;
	sb.noretcomp = 1;
	sb.tsc_hz = 1000000000;
	sb.total_bytes = 77;
	/* Through the chunk's bytes, as a recording carries it. */
	ck_assert_int_eq(hwt_pt_sideband_read(&sb, sizeof(sb), &back), 0);
	hwt_pt_params_set(&p, &back);
	ck_assert_int_eq(p.cfg.cpu.vendor, pcv_intel);
	ck_assert_uint_eq(p.cfg.cpu.family, 6);
	ck_assert_uint_eq(p.cfg.cpu.model, 85);
	ck_assert_uint_eq(p.cfg.cpu.stepping, 4);
	ck_assert_uint_eq(p.cfg.cpuid_0x15_eax, 2);
	ck_assert_uint_eq(p.cfg.cpuid_0x15_ebx, 176);
	ck_assert_uint_eq(p.cfg.nom_freq, 36);
	ck_assert_uint_eq(p.cfg.mtc_freq, 3);
	ck_assert_int_eq(p.noretcomp, 1);
	ck_assert_uint_eq(p.clock.hz, 1000000000);
	ck_assert_uint_eq(p.total_bytes, 77);
	ck_assert(p.cfg.flags.variant.block.end_on_call && p.cfg.flags.variant.block.end_on_jump);
	ck_assert_uint_eq(hwt_pt_clock_ns(&p.clock, 3000000000ull), 3000000000ull);
	/* Nothing given: defaults, TSC taken as ns. */
	hwt_pt_params_set(&p, NULL);
	ck_assert_uint_eq(hwt_pt_clock_ns(&p.clock, 12345), 12345);
}
END_TEST

/* Chunks the reader cannot take: too short, another version, a size past the bytes. Each leaves
 * the defaults in @sb. */
START_TEST(hwt_pt_sideband_read_bad)
{
	struct hwt_pt_sideband sb, out;
	uint8_t big[sizeof(sb) + 8] = { 0 };

	hwt_pt_sideband_init(&sb);
	sb.tsc_hz = 5;
	ck_assert_int_eq(hwt_pt_sideband_read(&sb, sizeof(sb) - 1, &out), HWT_E_CORRUPT);
	ck_assert_uint_eq(out.tsc_hz, 0);
	ck_assert_int_eq(hwt_pt_sideband_read(NULL, 0, &out), HWT_E_CORRUPT);
	ck_assert_int_eq(hwt_pt_sideband_read("cpu_vendor intel\n", 17, &out), HWT_E_CORRUPT);
	sb.version = 2;
	ck_assert_int_eq(hwt_pt_sideband_read(&sb, sizeof(sb), &out), HWT_E_CORRUPT);
	sb.version = HWT_PT_SIDEBAND_VERSION;
	sb.size = sizeof(sb) + 8; /* says more than there is */
	ck_assert_int_eq(hwt_pt_sideband_read(&sb, sizeof(sb), &out), HWT_E_CORRUPT);
	/* A newer writer's longer struct: the fields this reader knows. */
	memcpy(big, &sb, sizeof(sb));
	ck_assert_int_eq(hwt_pt_sideband_read(big, sizeof(big), &out), 0);
	ck_assert_uint_eq(out.tsc_hz, 5);
	ck_assert_uint_eq(out.size, sizeof(out));
	ck_assert_int_eq(out.cyc_thresh, -1);
}
END_TEST

START_TEST(pt_clock_ns_perf_conversion)
{
	struct pt_params p;
	struct hwt_pt_sideband sb;

	/* 2 GHz TSC: mult/2^shift = 0.5 ns per tick, from time_zero 100, plus an offset. */
	hwt_pt_sideband_init(&sb);
	sb.have_conv = 1;
	sb.time_mult = 1073741824;
	sb.time_shift = 31;
	sb.time_zero = 100;
	sb.have_offset = 1;
	sb.mono_offset = -50;
	hwt_pt_params_set(&p, &sb);
	ck_assert(p.clock.have_perf);
	ck_assert_uint_eq(hwt_pt_clock_ns(&p.clock, 0), 50);
	ck_assert_uint_eq(hwt_pt_clock_ns(&p.clock, 2000), 1050);
	/* Large values do not overflow: split as the kernel does. */
	ck_assert_uint_eq(hwt_pt_clock_ns(&p.clock, 1ull << 62), (1ull << 61) + 50);
}
END_TEST

START_TEST(pt_import_bad_arguments)
{
	struct hwt_pt_import_config cfg;
	struct hwt_pt_image img = { .path = elf_path }, bad = { .path = "/nonexistent/elf" };
	struct stat st;
	char why[256];
	uint8_t b[16] = { 0 };

	hwt_pt_import_config_init(&cfg);
	ck_assert_int_eq(hwt_pt_import(NULL, hwt_path, why, sizeof(why)), HWT_E_INVAL);
	cfg.data = b;
	cfg.len = sizeof(b);
	/* No image. */
	ck_assert_int_eq(hwt_pt_import(&cfg, hwt_path, why, sizeof(why)), HWT_E_INVAL);
	ck_assert_ptr_nonnull(strstr(why, "--image"));
	/* A missing image, a file that is not ELF, a missing trace, no output name. */
	cfg.images = &bad;
	cfg.nimages = 1;
	ck_assert_int_eq(hwt_pt_import(&cfg, hwt_path, why, sizeof(why)), HWT_E_NOENT);
	bad.path = "/proc/self/status";
	ck_assert_int_eq(hwt_pt_import(&cfg, hwt_path, why, sizeof(why)), HWT_E_ELF);
	cfg.images = &img;
	cfg.raw_path = "/nonexistent/trace.pt";
	ck_assert_int_eq(hwt_pt_import(&cfg, hwt_path, why, sizeof(why)), HWT_E_NOENT);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/trace.pt"));
	cfg.raw_path = NULL;
	ck_assert_int_eq(hwt_pt_import(&cfg, "", why, sizeof(why)), HWT_E_INVAL);
	cfg.pid = 0;
	ck_assert_int_eq(hwt_pt_import(&cfg, hwt_path, why, sizeof(why)), HWT_E_INVAL);
	/* Nothing was left behind; a directory that does not exist fails cleanly. */
	ck_assert_int_ne(stat(hwt_path, &st), 0);
	cfg.pid = 1;
	ck_assert_int_eq(hwt_pt_import(&cfg, "/nonexistent/dir/x.hwt", why, sizeof(why)),
			 HWT_E_NOENT);
}
END_TEST

START_TEST(pt_import_names_thread)
{
	struct synth s;
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_event ev;
	char why[256];
	int err, named = 0;

	path_start(&s, 1);
	import(s.buf, s.len, 0);
	struct hwt_decoder *d = hwt_decoder_open(hwt_path, m, NULL, &err, why, sizeof(why));
	ck_assert_ptr_nonnull(d);
	ck_assert_str_eq(hwt_model_meta(m, "clock"), "CLOCK_MONOTONIC");
	ck_assert_str_eq(hwt_model_meta(m, "pid"), "4242");
	while (hwt_decoder_next(d, &ev) > 0) {
		if (ev.type == HWT_EV_THREAD) {
			ck_assert_uint_eq(ev.tid, 4242);
			ck_assert_str_eq(hwt_model_str(m, ev.thread.name),
					 strrchr(elf_path, '/') + 1);
			named = 1;
		}
		if (ev.type == HWT_EV_PROCESS_EXIT)
			ck_assert_uint_ge(ev.ts, 3000);
	}
	ck_assert(named);
	ck_assert(hwt_decoder_stats(d)->have_end);
	hwt_decoder_close(d);
	hwt_model_free(m);
	synth_fini(&s);
}
END_TEST

static Suite *pt_suite(void)
{
	Suite *s = suite_create("pt");
	TCase *tc = tcase_create("decode");

	tcase_set_timeout(tc, 120);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, pt_decode_calls, 0, 2);
	tcase_add_test(tc, pt_decode_tailcalls_folded);
	tcase_add_test(tc, pt_decode_past_top);
	tcase_add_test(tc, pt_decode_longjmp);
	tcase_add_test(tc, pt_decode_overflow);
	tcase_add_test(tc, pt_decode_resyncs_after_garbage);
	tcase_add_loop_test(tc, pt_decode_gap_marked, 0, 2);
	tcase_add_test(tc, pt_decode_per_cpu_threads);
	tcase_add_test(tc, pt_decode_parallel_same);
	tcase_add_test(tc, pt_decode_parallel_damaged);
	tcase_add_loop_test(tc, pt_decode_damaged, 0, DMG_KINDS);
	tcase_add_loop_test(tc, pt_decode_random_bytes, 0, 4);
	tcase_add_test(tc, hwt_pt_params_set_fields);
	tcase_add_test(tc, hwt_pt_sideband_read_bad);
	tcase_add_test(tc, pt_clock_ns_perf_conversion);
	tcase_add_test(tc, pt_import_bad_arguments);
	tcase_add_test(tc, pt_import_names_thread);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

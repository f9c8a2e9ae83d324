/* Unit tests for the watch plugin's parts (plugins/counters/watch.h): values by type, variables
 * of this test program found in its ELF file and in its own address space, /proc/PID/maps
 * lines, and the value of x86-64 stores decoded from their bytes and registers. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/perf_regs.h>

#include "hwtrace/error.h"
#include "plugins/counters/watch.h"
#include "plugins/counters/watch_hold.h"

volatile int64_t hwt_t_watch_data = 0x1122334455667788;
volatile int64_t hwt_t_watch_bss;

/* ---- values by type ---------------------------------------------------------------------- */

static const struct {
	int type;
	uint8_t b[8];
	double want;
} type_cases[] = {
	{ HWT_WATCH_U8, { 0xff }, 255 },
	{ HWT_WATCH_I8, { 0xff }, -1 },
	{ HWT_WATCH_U16, { 0xff, 0xff }, 65535 },
	{ HWT_WATCH_I16, { 0xfe, 0xff }, -2 },
	{ HWT_WATCH_U32, { 0, 0, 0, 0x80 }, 2147483648.0 },
	{ HWT_WATCH_I32, { 0xfd, 0xff, 0xff, 0xff }, -3 },
	{ HWT_WATCH_U64, { 0, 0, 0, 0, 0, 1 }, 1099511627776.0 },
	{ HWT_WATCH_I64, { 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, -5 },
	{ HWT_WATCH_F32, { 0, 0, 0xc0, 0x3f }, 1.5 },
	{ HWT_WATCH_F64, { 0, 0, 0, 0, 0, 0, 0x02, 0xc0 }, -2.25 },
};

START_TEST(hwt_watch_type_value_cases)
{
	ck_assert_double_eq(hwt_watch_type_value(type_cases[_i].type, type_cases[_i].b),
			    type_cases[_i].want);
	ck_assert_uint_gt(hwt_watch_type_size(type_cases[_i].type), 0);
}
END_TEST

START_TEST(hwt_watch_type_size_bad)
{
	ck_assert_uint_eq(hwt_watch_type_size(-1), 0);
	ck_assert_uint_eq(hwt_watch_type_size(HWT_WATCH_NTYPES), 0);
	ck_assert_uint_eq(hwt_watch_type_size(HWT_WATCH_I64), 8);
	ck_assert_str_eq(hwt_watch_type_names[HWT_WATCH_F32], "f32");
	ck_assert_ptr_null(hwt_watch_type_names[HWT_WATCH_NTYPES]);
}
END_TEST

/* ---- this program's variables ------------------------------------------------------------ */

/* Where @s lies in this process, from /proc/self/maps: 0 if no mapping gives it. */
static uint64_t self_addr(const struct hwt_watch_sym *s)
{
	struct stat st;
	struct hwt_watch_map m;
	char line[4352];
	uint64_t addr = 0;

	ck_assert_int_eq(stat("/proc/self/exe", &st), 0);
	FILE *f = fopen("/proc/self/maps", "r");
	ck_assert_ptr_nonnull(f);
	while (!addr && fgets(line, sizeof(line), f))
		if (!hwt_watch_map_parse(line, &m) && m.ino == st.st_ino &&
		    makedev(m.major, m.minor) == st.st_dev)
			addr = hwt_watch_sym_addr(s, &m);
	fclose(f);
	return addr;
}

START_TEST(hwt_watch_sym_find_data)
{
	struct hwt_watch_sym s;
	char why[256];
	int64_t init;

	ck_assert_int_eq(
		hwt_watch_sym_find("/proc/self/exe", "hwt_t_watch_data", &s, why, sizeof(why)), 0);
	ck_assert_uint_eq(s.size, 8);
	ck_assert_int_eq(s.nobits, 0);
	memcpy(&init, s.init, 8);
	ck_assert_int_eq(init, 0x1122334455667788);
	ck_assert_uint_eq(self_addr(&s), (uint64_t)(uintptr_t)&hwt_t_watch_data);
}
END_TEST

START_TEST(hwt_watch_sym_find_bss)
{
	struct hwt_watch_sym s;
	static const uint8_t zeros[8];
	char why[256];

	ck_assert_int_eq(
		hwt_watch_sym_find("/proc/self/exe", "hwt_t_watch_bss", &s, why, sizeof(why)), 0);
	ck_assert_int_eq(s.nobits, 1);
	ck_assert_mem_eq(s.init, zeros, 8);
	ck_assert_uint_eq(self_addr(&s), (uint64_t)(uintptr_t)&hwt_t_watch_bss);
}
END_TEST

START_TEST(hwt_watch_sym_find_unknown)
{
	struct hwt_watch_sym s;
	char why[256];

	/* A function is not a variable. */
	ck_assert_int_eq(hwt_watch_sym_find("/proc/self/exe", "main", &s, why, sizeof(why)),
			 HWT_E_NOENT);
	ck_assert_int_eq(
		hwt_watch_sym_find("/proc/self/exe", "hwt_t_no_such", &s, why, sizeof(why)),
		HWT_E_NOENT);
	ck_assert_ptr_nonnull(strstr(why, "no variable 'hwt_t_no_such'"));
	ck_assert_ptr_nonnull(strstr(why, ".symtab and .dynsym"));
}
END_TEST

START_TEST(hwt_watch_sym_find_bad_file)
{
	struct hwt_watch_sym s;
	char why[256], path[] = "/tmp/hwt_watch_XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "not an ELF file at all\n", 23), 23);
	close(fd);
	ck_assert_int_eq(hwt_watch_sym_find(path, "x", &s, why, sizeof(why)), HWT_E_ELF);
	ck_assert_ptr_nonnull(strstr(why, "not an x86-64 executable"));
	unlink(path);
	ck_assert_int_eq(hwt_watch_sym_find(path, "x", &s, why, sizeof(why)), HWT_E_NOENT);
	ck_assert_ptr_nonnull(strstr(why, "cannot open"));
}
END_TEST

START_TEST(hwt_watch_file_segments_self)
{
	struct hwt_watch_sym s;
	struct stat st;
	struct hwt_watch_map m;
	char why[256], line[4352];
	uint64_t want = (uint64_t)(uintptr_t)&hwt_t_watch_data, vaddr = 0;
	struct hwt_watch_seg segs[16];
	int found = 0;

	ck_assert_int_eq(
		hwt_watch_sym_find("/proc/self/exe", "hwt_t_watch_data", &s, why, sizeof(why)), 0);
	ck_assert_int_eq(stat("/proc/self/exe", &st), 0);
	int n = hwt_watch_file_segments("/proc/self/exe", segs, 16);
	ck_assert_int_ge(n, 2);
	FILE *f = fopen("/proc/self/maps", "r");
	while (!found && fgets(line, sizeof(line), f))
		if (!hwt_watch_map_parse(line, &m) && m.ino == st.st_ino && want >= m.start &&
		    want < m.end)
			found = !hwt_watch_seg_vaddr(segs, (size_t)n, want - m.start + m.pgoff,
						     &vaddr);
	fclose(f);
	ck_assert_int_eq(found, 1);
	ck_assert_uint_eq(vaddr, s.vaddr);
	ck_assert_int_eq(hwt_watch_seg_vaddr(segs, (size_t)n, 1ull << 40, &vaddr), HWT_E_NOENT);
	ck_assert_int_eq(hwt_watch_file_segments("/no/such/file", segs, 16), HWT_E_NOENT);
}
END_TEST

/* ---- maps lines, library names ------------------------------------------------------------ */

START_TEST(hwt_watch_map_parse_lines)
{
	struct hwt_watch_map m;
	char file[] = "7f12a000-7f12c000 r-xp 00001000 fd:01 1234     /usr/lib/libz.so.1\n";
	char anon[] = "7ffd0000-7ffd2000 rw-p 00000000 00:00 0 \n";
	char bad[] = "not a maps line\n";

	ck_assert_int_eq(hwt_watch_map_parse(file, &m), 0);
	ck_assert_uint_eq(m.start, 0x7f12a000);
	ck_assert_uint_eq(m.end, 0x7f12c000);
	ck_assert_uint_eq(m.pgoff, 0x1000);
	ck_assert_uint_eq(m.major, 0xfd);
	ck_assert_uint_eq(m.minor, 1);
	ck_assert_uint_eq(m.ino, 1234);
	ck_assert_str_eq(m.path, "/usr/lib/libz.so.1");
	ck_assert_int_eq(hwt_watch_map_parse(anon, &m), 0);
	ck_assert_uint_eq(m.ino, 0);
	ck_assert_str_eq(m.path, "");
	ck_assert_int_eq(hwt_watch_map_parse(bad, &m), HWT_E_INVAL);
}
END_TEST

static const struct {
	const char *path, *lib;
	int want;
} lib_cases[] = {
	{ "/usr/lib/libz.so.1.2.13", "libz.so", 1 },
	{ "/usr/lib/libz.so.1", "libz", 1 },
	{ "/usr/lib/libzstd.so.1", "libz", 0 },
	{ "/usr/lib/libzstd.so.1", "libz.so", 0 },
	{ "/lib/libc-2.36.so", "libc", 1 },
	{ "/lib/libc.so.6", "/lib/libc.so.6", 1 },
	{ "/lib/libc.so.6", "/usr/lib/libc.so.6", 0 },
	{ "/opt/libsteps.so", "libsteps.so", 1 },
};

START_TEST(hwt_watch_lib_match_cases)
{
	ck_assert_int_eq(hwt_watch_lib_match(lib_cases[_i].path, lib_cases[_i].lib),
			 lib_cases[_i].want);
}
END_TEST

START_TEST(hwt_watch_sym_addr_not_base)
{
	struct hwt_watch_sym s = { .vaddr = 0x4010, .pie = 1, .base_offset = 0 };
	struct hwt_watch_map base = { .start = 0x555500000000, .pgoff = 0 };
	struct hwt_watch_map text = { .start = 0x555500001000, .pgoff = 0x1000 };

	ck_assert_uint_eq(hwt_watch_sym_addr(&s, &base), 0x555500004010);
	ck_assert_uint_eq(hwt_watch_sym_addr(&s, &text), 0);
	s.pie = 0;
	ck_assert_uint_eq(hwt_watch_sym_addr(&s, &base), 0x4010);
}
END_TEST

/* ---- stores ------------------------------------------------------------------------------- */

#define IP    0x401020ull /* the sample's IP: right after the instruction */
#define DISP  0x100ull	  /* every rip-relative case writes IP + DISP */
#define FLAGS PERF_REG_X86_FLAGS

/* One store: its bytes (alone), the variable, the registers after it, the value before (when
 * known) and what must come out. */
static const struct {
	const char *what;
	uint8_t code[15];
	size_t n;
	int64_t var_off; /* the variable's address - (IP + DISP) */
	size_t len;
	struct {
		int reg;
		uint64_t v;
	} regs[3];
	int old_known;
	uint64_t old;
	int find_err, op, value_err;
	uint64_t want;
} store_cases[] = {
	{ "mov rax",
	  { 0x48, 0x89, 0x05, 0, 1, 0, 0 },
	  7,
	  0,
	  8,
	  { { PERF_REG_X86_AX, 0x1122334455667788 } },
	  0,
	  0,
	  0,
	  HWT_WOP_MOV,
	  0,
	  0x1122334455667788 },
	{ "mov imm32",
	  { 0xc7, 0x05, 0, 1, 0, 0, 0x44, 0x33, 0x22, 0x11 },
	  10,
	  0,
	  4,
	  { { 0 } },
	  0,
	  0,
	  0,
	  HWT_WOP_MOV,
	  0,
	  0x11223344 },
	{ "lock add, old known",
	  { 0xf0, 0x83, 0x05, 0, 1, 0, 0, 1 },
	  8,
	  0,
	  4,
	  { { 0 } },
	  1,
	  41,
	  0,
	  HWT_WOP_ADD,
	  0,
	  42 },
	{ "lock add, old unknown",
	  { 0xf0, 0x83, 0x05, 0, 1, 0, 0, 1 },
	  8,
	  0,
	  4,
	  { { 0 } },
	  0,
	  0,
	  0,
	  HWT_WOP_ADD,
	  HWT_E_NOENT,
	  0 },
	{ "movsd from xmm0",
	  { 0xf2, 0x0f, 0x11, 0x05, 0, 1, 0, 0 },
	  8,
	  0,
	  8,
	  { { 0 } },
	  1,
	  0,
	  0,
	  HWT_WOP_UNKNOWN,
	  HWT_E_NOENT,
	  0 },
	{ "mov ah",
	  { 0x88, 0x25, 0, 1, 0, 0 },
	  6,
	  0,
	  1,
	  { { PERF_REG_X86_AX, 0xabcd } },
	  0,
	  0,
	  0,
	  HWT_WOP_MOV,
	  0,
	  0xab },
	{ "mov ax into bytes 2-3, old known",
	  { 0x66, 0x89, 0x05, 0, 1, 0, 0 },
	  7,
	  -2,
	  8,
	  { { PERF_REG_X86_AX, 0x3344 } },
	  1,
	  0x1111111111111111,
	  0,
	  HWT_WOP_MOV,
	  0,
	  0x1111111133441111 },
	{ "mov ax into bytes 2-3, old unknown",
	  { 0x66, 0x89, 0x05, 0, 1, 0, 0 },
	  7,
	  -2,
	  8,
	  { { PERF_REG_X86_AX, 0x3344 } },
	  0,
	  0,
	  0,
	  HWT_WOP_MOV,
	  HWT_E_NOENT,
	  0 },
	{ "cmpxchg, ZF set",
	  { 0xf0, 0x48, 0x0f, 0xb1, 0x0d, 0, 1, 0, 0 },
	  9,
	  0,
	  8,
	  { { PERF_REG_X86_CX, 5 }, { PERF_REG_X86_AX, 9 }, { FLAGS, 0x246 } },
	  0,
	  0,
	  0,
	  HWT_WOP_CMPXCHG,
	  0,
	  5 },
	{ "cmpxchg, ZF clear",
	  { 0xf0, 0x48, 0x0f, 0xb1, 0x0d, 0, 1, 0, 0 },
	  9,
	  0,
	  8,
	  { { PERF_REG_X86_CX, 5 }, { PERF_REG_X86_AX, 9 }, { FLAGS, 0x202 } },
	  0,
	  0,
	  0,
	  HWT_WOP_CMPXCHG,
	  0,
	  9 },
	{ "movbe eax",
	  { 0x0f, 0x38, 0xf1, 0x05, 0, 1, 0, 0 },
	  8,
	  0,
	  4,
	  { { PERF_REG_X86_AX, 0x11223344 } },
	  0,
	  0,
	  0,
	  HWT_WOP_MOVBE,
	  0,
	  0x44332211 },
	{ "shl 3",
	  { 0x48, 0xc1, 0x25, 0, 1, 0, 0, 3 },
	  8,
	  0,
	  8,
	  { { 0 } },
	  1,
	  5,
	  0,
	  HWT_WOP_SHL,
	  0,
	  40 },
	{ "a store elsewhere",
	  { 0x48, 0x89, 0x05, 0, 1, 0, 0 },
	  7,
	  8,
	  8,
	  { { 0 } },
	  0,
	  0,
	  HWT_E_NOENT,
	  0,
	  0,
	  0 },
};

static void regs_of(int i, uint64_t *regs)
{
	memset(regs, 0, HWT_WATCH_NREGS * sizeof(*regs));
	for (int k = 0; k < 3; k++)
		if (store_cases[i].regs[k].reg || store_cases[i].regs[k].v)
			regs[store_cases[i].regs[k].reg] = store_cases[i].regs[k].v;
}

START_TEST(hwt_watch_store_cases)
{
	uint64_t regs[HWT_WATCH_NREGS], addr = IP + DISP + (uint64_t)store_cases[_i].var_off;
	struct hwt_watch_store s;
	uint8_t old[8], val[8];
	uint64_t got = 0;

	regs_of(_i, regs);
	memcpy(old, &store_cases[_i].old, 8);
	int err = hwt_watch_store_find(store_cases[_i].code, store_cases[_i].n, 1, IP, regs, addr,
				       store_cases[_i].len, &s, 1);
	ck_assert_msg(err == (store_cases[_i].find_err ? store_cases[_i].find_err : 1),
		      "%s: find %d", store_cases[_i].what, err);
	if (err < 0)
		return;
	ck_assert_msg(s.op == store_cases[_i].op, "%s: op %d", store_cases[_i].what, s.op);
	ck_assert_uint_eq(s.len, store_cases[_i].n);
	err = hwt_watch_store_value(&s, 1, regs, addr, store_cases[_i].len,
				    store_cases[_i].old_known ? old : NULL, val);
	ck_assert_msg(err == store_cases[_i].value_err, "%s: value %d", store_cases[_i].what, err);
	memcpy(&got, val, store_cases[_i].len);
	if (!err)
		ck_assert_msg(got == store_cases[_i].want, "%s: value 0x%llx", store_cases[_i].what,
			      (unsigned long long)got);
}
END_TEST

/* mov [rbx + rcx*8], rax: the address comes from the registers. */
START_TEST(hwt_watch_store_find_indexed)
{
	static const uint8_t code[] = { 0x48, 0x89, 0x04, 0xcb };
	uint64_t regs[HWT_WATCH_NREGS] = { 0 };
	struct hwt_watch_store s;
	uint8_t val[8];
	uint64_t got;

	regs[PERF_REG_X86_BX] = 0x600000;
	regs[PERF_REG_X86_CX] = 3;
	regs[PERF_REG_X86_AX] = 7;
	ck_assert_int_eq(hwt_watch_store_find(code, 4, 1, IP, regs, 0x600018, 8, &s, 1), 1);
	ck_assert_int_eq(hwt_watch_store_value(&s, 1, regs, 0x600018, 8, NULL, val), 0);
	memcpy(&got, val, 8);
	ck_assert_uint_eq(got, 7);
	ck_assert_int_eq(hwt_watch_store_find(code, 4, 1, IP, regs, 0x600020, 8, &s, 1),
			 HWT_E_NOENT);
}
END_TEST

/* Decoding backwards, `48 89 05 d32` (mov rax) also reads as `89 05 d32` (mov eax) after an
 * instruction ending in 0x48: two readings, whose values agree when rax's upper half and the
 * old value's agree, and differ otherwise. From the function's start there is one. */
START_TEST(hwt_watch_store_find_rex_readings)
{
	static const uint8_t code[] = { 0x55, 0x48, 0x89, 0xe5, 0x48, 0x89, 0x05, 0, 1, 0, 0 };
	uint64_t regs[HWT_WATCH_NREGS] = { 0 }, got, old = 0;
	struct hwt_watch_store s[HWT_WATCH_MAX_READINGS];
	uint8_t val[8];

	regs[PERF_REG_X86_AX] = 7;
	ck_assert_int_eq(hwt_watch_store_find(code, sizeof(code), 0, IP, regs, IP + DISP, 8, s,
					      HWT_WATCH_MAX_READINGS),
			 2);
	ck_assert_int_eq(hwt_watch_store_find(code, sizeof(code), 0, IP, regs, IP + DISP, 8, s, 1),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_watch_store_value(s, 2, regs, IP + DISP, 8, (uint8_t *)&old, val), 0);
	memcpy(&got, val, 8);
	ck_assert_uint_eq(got, 7);
	ck_assert_int_eq(hwt_watch_store_value(s, 2, regs, IP + DISP, 8, NULL, val), HWT_E_NOENT);
	regs[PERF_REG_X86_AX] = 0x100000007;
	ck_assert_int_eq(hwt_watch_store_value(s, 2, regs, IP + DISP, 8, (uint8_t *)&old, val),
			 HWT_E_INVAL);
	ck_assert_int_eq(hwt_watch_store_find(code, sizeof(code), 1, IP, regs, IP + DISP, 8, s, 1),
			 1);
	ck_assert_uint_eq(s[0].len, 7);
	ck_assert_uint_eq(s[0].size, 8);
	/* A store no other reading fits: one reading backwards too. */
	ck_assert_int_eq(hwt_watch_store_find(store_cases[1].code, store_cases[1].n, 0, IP, regs,
					      IP + DISP, 4, s, HWT_WATCH_MAX_READINGS),
			 1);
	ck_assert_uint_eq(s[0].len, 10);
}
END_TEST

START_TEST(hwt_watch_regs_mask_gprs)
{
	uint64_t m = hwt_watch_regs_mask();

	ck_assert_uint_eq(__builtin_popcountll(m), 20);
	ck_assert(m & (1ull << PERF_REG_X86_R15));
	ck_assert(!(m & (1ull << PERF_REG_X86_FS)));
}
END_TEST

/* ---- holding a program at exec, its loader ------------------------------------------------ */

/* What ready() saw: the program the child runs when it is held. */
struct held_at {
	int pid, calls;
	char exe[4096];
};

static int at_exec(void *arg)
{
	struct held_at *h = arg;
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/exe", h->pid);
	ssize_t n = readlink(path, h->exe, sizeof(h->exe) - 1);
	h->exe[n > 0 ? n : 0] = 0;
	h->calls++;
	return HWT_WATCH_HOLD_DONE;
}

/* A child that waits for a byte, then execs /bin/true: held at the exec, it runs on and exits
 * 0 once let go. */
START_TEST(hwt_watch_hold_until_exec)
{
	int go[2], status, stop = 0;

	ck_assert_int_eq(pipe(go), 0);
	pid_t pid = fork();
	if (!pid) {
		char c;
		close(go[1]);
		if (read(go[0], &c, 1) == 1)
			execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	ck_assert_int_eq(hwt_watch_hold(pid), 0);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	struct held_at h = { .pid = pid };
	ck_assert_int_eq(hwt_watch_hold_until(pid, at_exec, &h, &stop), HWT_WATCH_HOLD_DONE);
	ck_assert_int_eq(h.calls, 1);
	ck_assert_ptr_nonnull(strstr(h.exe, "true"));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

START_TEST(hwt_watch_hold_no_process)
{
	int stop = 0;
	struct held_at h = { 0 };
	pid_t pid = fork();

	if (!pid)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	ck_assert_int_lt(hwt_watch_hold(pid), 0); /* gone: ESRCH */
	ck_assert_int_eq(hwt_watch_hold_until(pid, at_exec, &h, &stop), 0);
	ck_assert_int_eq(h.calls, 0);
}
END_TEST

START_TEST(hwt_watch_loader_idle_self)
{
	struct hwt_watch_loader ld = { 0 };

	/* This test program is dynamically linked and its loader is done. */
	ck_assert_int_eq(hwt_watch_loader_idle(getpid(), "/proc/self/exe", &ld), 1);
	ck_assert_int_eq(ld.state, 1);
	ck_assert_uint_ne(ld.addr, 0);
	/* A file that is not a program has no loader to wait for. */
	struct hwt_watch_loader none = { 0 };
	ck_assert_int_eq(hwt_watch_loader_idle(getpid(), "/no/such/program", &none), 1);
	ck_assert_int_eq(none.state, -1);
}
END_TEST

static Suite *watch_suite(void)
{
	Suite *s = suite_create("watch");
	TCase *tc = tcase_create("watch");

	tcase_set_timeout(tc, 30);
	tcase_add_loop_test(tc, hwt_watch_type_value_cases, 0,
			    (int)(sizeof(type_cases) / sizeof(type_cases[0])));
	tcase_add_test(tc, hwt_watch_type_size_bad);
	tcase_add_test(tc, hwt_watch_sym_find_data);
	tcase_add_test(tc, hwt_watch_sym_find_bss);
	tcase_add_test(tc, hwt_watch_sym_find_unknown);
	tcase_add_test(tc, hwt_watch_sym_find_bad_file);
	tcase_add_test(tc, hwt_watch_file_segments_self);
	tcase_add_test(tc, hwt_watch_map_parse_lines);
	tcase_add_loop_test(tc, hwt_watch_lib_match_cases, 0,
			    (int)(sizeof(lib_cases) / sizeof(lib_cases[0])));
	tcase_add_test(tc, hwt_watch_sym_addr_not_base);
	tcase_add_loop_test(tc, hwt_watch_store_cases, 0,
			    (int)(sizeof(store_cases) / sizeof(store_cases[0])));
	tcase_add_test(tc, hwt_watch_store_find_indexed);
	tcase_add_test(tc, hwt_watch_store_find_rex_readings);
	tcase_add_test(tc, hwt_watch_regs_mask_gprs);
	tcase_add_test(tc, hwt_watch_hold_until_exec);
	tcase_add_test(tc, hwt_watch_hold_no_process);
	tcase_add_test(tc, hwt_watch_loader_idle_self);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(watch_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* Unit tests for core/elffuncs.c on real ELF files: this test program's own functions (C ones,
 * and assembly ones whose bytes and sizes are known exactly), a system library, and files that
 * are not ELF. */
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/elffuncs.h"

/*
 * Functions written byte by byte, so their size, first instruction and returns are known:
 *   hwt_t_push        push %rbp; mov %rsp,%rbp; pop %rbp; ret                (6 bytes)
 *   hwt_t_endbr       endbr64; push %rbp; pop %rbp; ret                      (7 bytes)
 *   hwt_t_slow        mov %rdi,%rax; ret                                     (4 bytes)
 *   hwt_t_endbr_slow  endbr64; mov %rdi,%rax; ret                            (8 bytes)
 *   hwt_t_tail        push %rbp; jmp .+2 (inside); pop %rbp; jmp hwt_t_push  (9 bytes)
 *   hwt_t_two_rets    test %edi,%edi; je 1f; ret; 1: xor %eax,%eax; ret      (8 bytes)
 *   hwt_t_aliased     nop; ret, also named by a weak and a local symbol      (2 bytes)
 *   _ZN3hwt4testEv    nop; ret: hwt::test() in C++                           (2 bytes)
 *   hwt_t_parent      push %rbp; jmp hwt_t_parent.cold                       (6 bytes)
 *   hwt_t_parent.cold pop %rbp; test %edi,%edi; je 1f; ret; 1: jmp hwt_t_push (11 bytes):
 *                     a piece of hwt_t_parent, whose only ret it holds
 */
__asm__(".text\n"
	".globl hwt_t_push\n"
	".type hwt_t_push,@function\n"
	"hwt_t_push:\n"
	".byte 0x55, 0x48, 0x89, 0xe5, 0x5d, 0xc3\n"
	".size hwt_t_push, .-hwt_t_push\n"

	".globl hwt_t_endbr\n"
	".type hwt_t_endbr,@function\n"
	"hwt_t_endbr:\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x5d, 0xc3\n"
	".size hwt_t_endbr, .-hwt_t_endbr\n"

	".globl hwt_t_slow\n"
	".type hwt_t_slow,@function\n"
	"hwt_t_slow:\n"
	".byte 0x48, 0x89, 0xf8, 0xc3\n"
	".size hwt_t_slow, .-hwt_t_slow\n"

	".globl hwt_t_endbr_slow\n"
	".type hwt_t_endbr_slow,@function\n"
	"hwt_t_endbr_slow:\n"
	".byte 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x89, 0xf8, 0xc3\n"
	".size hwt_t_endbr_slow, .-hwt_t_endbr_slow\n"

	".globl hwt_t_tail\n"
	".type hwt_t_tail,@function\n"
	"hwt_t_tail:\n"
	".byte 0x55, 0xeb, 0x00, 0x5d, 0xe9\n"
	".long hwt_t_push - . - 4\n"
	".size hwt_t_tail, .-hwt_t_tail\n"

	".globl hwt_t_two_rets\n"
	".type hwt_t_two_rets,@function\n"
	"hwt_t_two_rets:\n"
	".byte 0x85, 0xff, 0x74, 0x01, 0xc3, 0x31, 0xc0, 0xc3\n"
	".size hwt_t_two_rets, .-hwt_t_two_rets\n"

	".type hwt_t_local_alias,@function\n"
	"hwt_t_local_alias:\n"
	".weak hwt_t_weak_alias\n"
	".type hwt_t_weak_alias,@function\n"
	"hwt_t_weak_alias:\n"
	".globl hwt_t_aliased\n"
	".type hwt_t_aliased,@function\n"
	"hwt_t_aliased:\n"
	".byte 0x90, 0xc3\n"
	".size hwt_t_aliased, .-hwt_t_aliased\n"
	".size hwt_t_weak_alias, .-hwt_t_weak_alias\n"
	".size hwt_t_local_alias, .-hwt_t_local_alias\n"

	".globl _ZN3hwt4testEv\n"
	".type _ZN3hwt4testEv,@function\n"
	"_ZN3hwt4testEv:\n"
	".byte 0x90, 0xc3\n"
	".size _ZN3hwt4testEv, .-_ZN3hwt4testEv\n"

	".globl hwt_t_parent\n"
	".type hwt_t_parent,@function\n"
	"hwt_t_parent:\n"
	".byte 0x55, 0xe9\n"
	".long hwt_t_parent.cold - . - 4\n"
	".size hwt_t_parent, .-hwt_t_parent\n"
	".type hwt_t_parent.cold,@function\n"
	"hwt_t_parent.cold:\n"
	".byte 0x5d, 0x85, 0xff, 0x74, 0x01, 0xc3, 0xe9\n"
	".long hwt_t_push - . - 4\n"
	".size hwt_t_parent.cold, .-hwt_t_parent.cold\n");

void hwt_t_push(void), hwt_t_endbr(void), hwt_t_slow(void), hwt_t_endbr_slow(void),
	hwt_t_tail(void), hwt_t_two_rets(void), hwt_t_aliased(void), hwt_t_parent(void);

/* C functions the compiler laid out: only their placement is known, from their addresses. */
__attribute__((noinline, noclone, used)) int hwt_t_c_add(int a, int b)
{
	return a + b;
}

__attribute__((noinline, noclone, used)) unsigned hwt_t_c_loop(unsigned n)
{
	unsigned s = 0;

	for (unsigned i = 0; i < n; i++)
		s = s * 31 + i;
	return s;
}

/* Everything one hwt_elf_functions() run gave, copied out of the callbacks. */
#define MAX_FUNCS 8192
struct func {
	char name[96], demangled[96];
	uint64_t vaddr, size, offset, entry_offset;
	uint32_t flags;
	uint64_t ret_sites[8], ret_targets[8];
	size_t nret_sites;
	char names[256]; /* every name, separated by spaces */
	size_t nnames;
};

static struct func funcs[MAX_FUNCS];
static int nfuncs;
static char tmp[64];

static int collect(const struct hwt_elf_func *f, void *ctx)
{
	struct func *c = &funcs[nfuncs++];

	ck_assert_int_lt(nfuncs, MAX_FUNCS);
	ck_assert_ptr_nonnull(f->name);
	ck_assert_ptr_nonnull(f->demangled);
	snprintf(c->name, sizeof(c->name), "%s", f->name);
	snprintf(c->demangled, sizeof(c->demangled), "%s", f->demangled);
	c->vaddr = f->vaddr;
	c->size = f->size;
	c->offset = f->offset;
	c->entry_offset = f->entry_offset;
	c->flags = f->flags;
	c->nret_sites = f->nret_sites;
	for (size_t i = 0; i < f->nret_sites && i < 8; i++) {
		c->ret_sites[i] = f->ret_sites[i];
		c->ret_targets[i] = f->ret_targets[i];
	}
	if (f->nret_sites)
		ck_assert_ptr_nonnull(f->ret_sites);
	ck_assert_uint_ge(f->nnames, 1);
	ck_assert_str_eq(f->names[0], f->name);
	c->nnames = f->nnames;
	c->names[0] = 0;
	for (size_t i = 0; i < f->nnames; i++)
		snprintf(c->names + strlen(c->names), sizeof(c->names) - strlen(c->names), "%s%s",
			 i ? " " : "", f->names[i]);
	return 0;
}

static int run(const char *path, unsigned options)
{
	char why[256] = "";
	int n;

	nfuncs = 0;
	n = hwt_elf_functions(path, options, collect, NULL, why, sizeof(why));
	ck_assert_msg(n >= 0, "%s: %s", path, why);
	ck_assert_int_eq(n, nfuncs);
	return n;
}

static const struct func *find(const char *name)
{
	const struct func *found = NULL;

	for (int i = 0; i < nfuncs; i++) {
		if (strcmp(funcs[i].name, name))
			continue;
		ck_assert_msg(found == NULL, "%s listed twice", name);
		found = &funcs[i];
	}
	return found;
}

static int first_object(struct dl_phdr_info *info, size_t size, void *ctx)
{
	*(uint64_t *)ctx = info->dlpi_addr;
	return 1; /* the first object is the program itself */
}

/* What the file's virtual addresses are shifted by in this process. */
static uint64_t load_bias(void)
{
	uint64_t bias = 0;

	dl_iterate_phdr(first_object, &bias);
	return bias;
}

/* The @len bytes at file offset @off of this program equal what is mapped at @mem. */
static void check_file_bytes(uint64_t off, const void *mem, size_t len)
{
	uint8_t buf[4096];
	int fd = open("/proc/self/exe", O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_uint_le(len, sizeof(buf));
	ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	ck_assert_int_eq(memcmp(buf, mem, len), 0);
	close(fd);
}

static void teardown(void)
{
	if (tmp[0])
		unlink(tmp);
	tmp[0] = 0;
}

/* ---- hwt_elf_functions on this program ------------------------------------------------- */

static const struct {
	const char *name;
	void (*fn)(void);
	uint64_t size;
	uint32_t flags;
	uint64_t entry_delta;	/* entry probe offset - function offset */
	size_t nrets;		/* ret instructions and jumps out */
	uint64_t ret_deltas[2]; /* their offsets - function offset */
} asm_funcs[] = {
	{ "hwt_t_push", hwt_t_push, 6, 0, 0, 1, { 5 } },
	{ "hwt_t_endbr", hwt_t_endbr, 7, HWT_FUNC_ENDBR, 4, 1, { 6 } },
	{ "hwt_t_slow", hwt_t_slow, 4, HWT_FUNC_SLOW, 0, 1, { 3 } },
	{ "hwt_t_endbr_slow", hwt_t_endbr_slow, 8, HWT_FUNC_ENDBR | HWT_FUNC_SLOW, 4, 1, { 7 } },
	{ "hwt_t_tail", hwt_t_tail, 9, 0, 0, 1, { 4 } },
	{ "hwt_t_two_rets", hwt_t_two_rets, 8, HWT_FUNC_SLOW, 0, 2, { 4, 7 } },
	{ "hwt_t_aliased", hwt_t_aliased, 2, 0, 0, 1, { 1 } },
	/* The .cold piece's ret and tail jump (it follows the parent's 6 bytes); not the jump
	 * into the piece. */
	{ "hwt_t_parent", hwt_t_parent, 6, 0, 0, 2, { 6 + 5, 6 + 6 } },
};

START_TEST(hwt_elf_functions_asm_exact)
{
	uint64_t bias = load_bias();
	const struct func *f;

	run("/proc/self/exe", HWT_ELF_RET_SITES);
	f = find(asm_funcs[_i].name);
	ck_assert_msg(f != NULL, "%s not listed", asm_funcs[_i].name);
	ck_assert_uint_eq(f->vaddr, (uint64_t)(uintptr_t)asm_funcs[_i].fn - bias);
	ck_assert_uint_eq(f->size, asm_funcs[_i].size);
	ck_assert_uint_eq(f->flags, asm_funcs[_i].flags);
	ck_assert_uint_eq(f->entry_offset - f->offset, asm_funcs[_i].entry_delta);
	ck_assert_str_eq(f->demangled, f->name);
	check_file_bytes(f->offset, (const void *)asm_funcs[_i].fn, f->size);
	ck_assert_uint_eq(f->nret_sites, asm_funcs[_i].nrets);
	for (size_t k = 0; k < asm_funcs[_i].nrets; k++)
		ck_assert_uint_eq(f->ret_sites[k] - f->offset, asm_funcs[_i].ret_deltas[k]);
}
END_TEST

/* A tail jump's site says where it goes; a ret's says 0. */
START_TEST(hwt_elf_functions_tail_targets)
{
	const struct func *f, *push;

	run("/proc/self/exe", HWT_ELF_RET_SITES);
	push = find("hwt_t_push");
	ck_assert_ptr_nonnull(push);
	f = find("hwt_t_tail");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->ret_targets[0], push->vaddr);
	f = find("hwt_t_parent"); /* the .cold piece's ret, then its jmp hwt_t_push */
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->ret_targets[0], 0);
	ck_assert_uint_eq(f->ret_targets[1], push->vaddr);
	f = find("hwt_t_two_rets");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->ret_targets[0], 0);
	ck_assert_uint_eq(f->ret_targets[1], 0);
}
END_TEST

/* Without HWT_ELF_RET_SITES nothing is disassembled; the rest is the same. */
START_TEST(hwt_elf_functions_no_ret_sites)
{
	const struct func *f;

	run("/proc/self/exe", 0);
	for (size_t i = 0; i < sizeof(asm_funcs) / sizeof(asm_funcs[0]); i++) {
		f = find(asm_funcs[i].name);
		ck_assert_ptr_nonnull(f);
		ck_assert_uint_eq(f->nret_sites, 0);
		ck_assert_uint_eq(f->size, asm_funcs[i].size);
		ck_assert_uint_eq(f->flags, asm_funcs[i].flags);
	}
}
END_TEST

START_TEST(hwt_elf_functions_c_functions)
{
	static const struct {
		const char *name;
		const void *fn;
	} cfuncs[] = {
		{ "hwt_t_c_add", (const void *)hwt_t_c_add },
		{ "hwt_t_c_loop", (const void *)hwt_t_c_loop },
		{ "main", NULL },
	};
	uint64_t bias = load_bias();

	/* Call them, so they are what the compiler made of real code. */
	ck_assert_int_eq(hwt_t_c_add(2, 3), 5);
	ck_assert_uint_eq(hwt_t_c_loop(3), 33);
	run("/proc/self/exe", HWT_ELF_RET_SITES);
	for (size_t i = 0; i < sizeof(cfuncs) / sizeof(cfuncs[0]); i++) {
		const struct func *f = find(cfuncs[i].name);

		ck_assert_msg(f != NULL, "%s not listed", cfuncs[i].name);
		ck_assert_uint_gt(f->size, 0);
		ck_assert_str_eq(f->demangled, f->name);
		if (!cfuncs[i].fn)
			continue;
		ck_assert_uint_eq(f->vaddr, (uint64_t)(uintptr_t)cfuncs[i].fn - bias);
		ck_assert_uint_lt(f->size, 4096);
		/* The file offset holds the function's bytes as mapped. */
		check_file_bytes(f->offset, cfuncs[i].fn, f->size);
		/* Where it returns lies inside it, past the entry probe. */
		ck_assert_uint_ge(f->nret_sites, 1);
		for (size_t k = 0; k < f->nret_sites && k < 8; k++) {
			ck_assert_uint_ge(f->ret_sites[k], f->entry_offset);
			ck_assert_uint_lt(f->ret_sites[k], f->offset + f->size);
		}
		ck_assert_uint_ge(f->entry_offset, f->offset);
		ck_assert_uint_le(f->entry_offset, f->offset + 4);
	}
}
END_TEST

/* One entry per address, under the global name; no two functions overlap. */
START_TEST(hwt_elf_functions_aliases_collapse)
{
	run("/proc/self/exe", 0);
	ck_assert_ptr_nonnull(find("hwt_t_aliased"));
	ck_assert_ptr_null(find("hwt_t_weak_alias"));
	ck_assert_ptr_null(find("hwt_t_local_alias"));
	for (int i = 0; i < nfuncs; i++)
		for (int k = i + 1; k < nfuncs; k++)
			ck_assert_msg(funcs[i].vaddr != funcs[k].vaddr, "%s and %s at %#llx",
				      funcs[i].name, funcs[k].name,
				      (unsigned long long)funcs[i].vaddr);
}
END_TEST

/* ... and every name of the address comes with it, the chosen one first. */
START_TEST(hwt_elf_functions_every_name)
{
	const struct func *f;

	run("/proc/self/exe", 0);
	f = find("hwt_t_aliased");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(f->nnames, 3);
	ck_assert_str_eq(f->names, "hwt_t_aliased hwt_t_weak_alias hwt_t_local_alias");
	f = find("hwt_t_push");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->names, "hwt_t_push");
}
END_TEST

/* A .cold piece is no function of its own, with or without return sites. */
START_TEST(hwt_elf_functions_cold_not_listed)
{
	run("/proc/self/exe", (unsigned)_i);
	ck_assert_ptr_nonnull(find("hwt_t_parent"));
	ck_assert_ptr_null(find("hwt_t_parent.cold"));
	for (int i = 0; i < nfuncs; i++)
		ck_assert_msg(!strstr(funcs[i].names, ".cold"), "%s listed", funcs[i].names);
}
END_TEST

/* glibc's names: free is __libc_free and cfree too (under the name without underscores);
 * strlen is an IFUNC. */
START_TEST(hwt_elf_functions_libc_names)
{
	void *lib = dlopen("libc.so.6", RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm = NULL;
	const struct func *f;

	ck_assert_ptr_nonnull(lib);
	ck_assert_int_eq(dlinfo(lib, RTLD_DI_LINKMAP, &lm), 0);
	run(lm->l_name, 0);
	f = find("free");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(strstr(f->names, "__libc_free"));
	ck_assert_ptr_null(find("__libc_free"));
	ck_assert_uint_eq(f->flags & HWT_FUNC_IFUNC, 0);
	f = find("strlen");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_ne(f->flags & HWT_FUNC_IFUNC, 0);
	dlclose(lib);
}
END_TEST

START_TEST(hwt_elf_functions_demangles)
{
	const struct func *f;

	run("/proc/self/exe", 0);
	f = find("_ZN3hwt4testEv");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->demangled, "hwt::test()");
	ck_assert_uint_eq(f->size, 2);
}
END_TEST

static int stop_after(const struct hwt_elf_func *f, void *ctx)
{
	int *state = ctx; /* [0]: value to return, [1]: calls */

	state[1]++;
	return state[0];
}

static const int stop_values[] = { 1, 7, -1, HWT_E_NOMEM, 1 << 20 };

/* A callback's non-zero return stops the walk and is what the walk returns. */
START_TEST(hwt_elf_functions_callback_stops)
{
	int state[2] = { stop_values[_i], 0 };
	char why[64] = "";

	ck_assert_int_eq(
		hwt_elf_functions("/proc/self/exe", 0, stop_after, state, why, sizeof(why)),
		stop_values[_i]);
	ck_assert_int_eq(state[1], 1);
}
END_TEST

/* A shared library: its exported functions, found through the dynamic loader's own path. */
START_TEST(hwt_elf_functions_shared_library)
{
	void *lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm = NULL;
	Dl_info info;
	const struct func *f;
	void *sym;

	ck_assert_ptr_nonnull(lib);
	ck_assert_int_eq(dlinfo(lib, RTLD_DI_LINKMAP, &lm), 0);
	ck_assert_int_gt(run(lm->l_name, 0), 50);
	f = find("crc32");
	ck_assert_ptr_nonnull(f);
	sym = dlsym(lib, "crc32");
	ck_assert_ptr_nonnull(sym);
	ck_assert_int_ne(dladdr(sym, &info), 0);
	ck_assert_uint_eq(f->vaddr, (uint64_t)(uintptr_t)sym - lm->l_addr);
	ck_assert_uint_gt(f->size, 0);
	dlclose(lib);
}
END_TEST

/* ---- files that give no functions ------------------------------------------------------ */

/* Writes @len bytes to a temporary file; returns its path. */
static const char *temp_file(const void *data, size_t len)
{
	int fd;

	snprintf(tmp, sizeof(tmp), "/tmp/hwt-test-elffuncs-%d", (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	return tmp;
}

/* An ELF header and nothing else: no sections, so no symbol table. 64-bit, little-endian,
 * version 1, ET_EXEC, x86-64, EV_CURRENT, e_ehsize 64. */
static const unsigned char bare_elf[64] = {
	[0] = 0x7f, 'E', 'L', 'F', 2, 1, 1, [16] = 2, 0, 0x3e, 0, 1, 0, 0, 0, [52] = 64, 0,
};

static const struct {
	const char *what;
	const void *data;
	size_t len;
	int err;
	const char *why; /* a part of the reason */
} bad_files[] = {
	{ "empty", "", 0, HWT_E_ELF, "is not an ELF file" },
	{ "text", "#!/bin/sh\necho hello\n", 21, HWT_E_ELF, "is not an ELF file" },
	{ "ar archive", "!<arch>\n", 8, HWT_E_ELF, "is not an ELF file" },
	{ "bare ELF header", bare_elf, sizeof(bare_elf), HWT_E_ELF, "no symbol table" },
};

START_TEST(hwt_elf_functions_bad_file)
{
	const char *path = temp_file(bad_files[_i].data, bad_files[_i].len);
	char why[256] = "";

	nfuncs = 0;
	ck_assert_int_eq(
		hwt_elf_functions(path, HWT_ELF_RET_SITES, collect, NULL, why, sizeof(why)),
		bad_files[_i].err);
	ck_assert_int_eq(nfuncs, 0);
	ck_assert_msg(strstr(why, bad_files[_i].why) != NULL, "%s: %s", bad_files[_i].what, why);
	ck_assert_ptr_nonnull(strstr(why, path));
}
END_TEST

START_TEST(hwt_elf_functions_missing_file)
{
	char why[256] = "";

	nfuncs = 0;
	ck_assert_int_eq(
		hwt_elf_functions("/nonexistent/hwt-test", 0, collect, NULL, why, sizeof(why)),
		HWT_E_NOENT);
	ck_assert_int_eq(nfuncs, 0);
	ck_assert_ptr_nonnull(strstr(why, "/nonexistent/hwt-test"));
}
END_TEST

START_TEST(hwt_elf_functions_directory)
{
	char why[256] = "";

	nfuncs = 0;
	ck_assert_int_lt(hwt_elf_functions("/", 0, collect, NULL, why, sizeof(why)), 0);
	ck_assert_int_eq(nfuncs, 0);
	ck_assert_str_ne(why, "");
}
END_TEST

/* ---- hwt_elf_uses_exceptions ----------------------------------------------------------- */

START_TEST(hwt_elf_uses_exceptions_files)
{
	void *lib = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);
	struct link_map *lm = NULL;

	/* The C++ runtime defines __cxa_throw. */
	ck_assert_ptr_nonnull(lib);
	ck_assert_int_eq(dlinfo(lib, RTLD_DI_LINKMAP, &lm), 0);
	ck_assert_int_ne(hwt_elf_uses_exceptions(lm->l_name), 0);
	dlclose(lib);
	/* zlib is C: nothing of the kind. */
	lib = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
	ck_assert_ptr_nonnull(lib);
	ck_assert_int_eq(dlinfo(lib, RTLD_DI_LINKMAP, &lm), 0);
	ck_assert_int_eq(hwt_elf_uses_exceptions(lm->l_name), 0);
	dlclose(lib);
	/* Files that are not ELF, or not there: no. */
	ck_assert_int_eq(hwt_elf_uses_exceptions("/nonexistent/hwt-test"), 0);
	ck_assert_int_eq(hwt_elf_uses_exceptions(temp_file("__cxa_throw\n", 12)), 0);
	ck_assert_int_eq(hwt_elf_uses_exceptions(temp_file(bare_elf, sizeof(bare_elf))), 0);
}
END_TEST

/* ---- hwt_uprobe_emulated --------------------------------------------------------------- */

static const struct {
	const char *bytes;
	size_t len;
	int emulated;
} insn_cases[] = {
	{ "\x55", 1, 1 },		      /* push %rbp */
	{ "\x50", 1, 1 },		      /* push %rax */
	{ "\x57", 1, 1 },		      /* push %rdi */
	{ "\x41\x54", 2, 1 },		      /* push %r12 */
	{ "\x41\x57", 2, 1 },		      /* push %r15 */
	{ "\x90", 1, 1 },		      /* nop */
	{ "\x66\x90", 2, 1 },		      /* xchg %ax,%ax */
	{ "\x0f\x1f\x44\x00\x00", 5, 1 },     /* nopl 0(%rax,%rax,1) */
	{ "\xe8\x00\x00\x00\x00", 5, 1 },     /* call rel32 */
	{ "\xe9\x00\x00\x00\x00", 5, 1 },     /* jmp rel32 */
	{ "\xeb\x00", 2, 1 },		      /* jmp rel8 */
	{ "\x74\x05", 2, 1 },		      /* je rel8 */
	{ "\x0f\x85\x00\x00\x00\x00", 6, 1 }, /* jne rel32 */
	{ "\x48\x89\xe5", 3, 0 },	      /* mov %rsp,%rbp */
	{ "\x48\x83\xec\x08", 4, 0 },	      /* sub $8,%rsp */
	{ "\xf3\x0f\x1e\xfa", 4, 0 },	      /* endbr64 */
	{ "\x31\xc0", 2, 0 },		      /* xor %eax,%eax */
	{ "\x41", 1, 0 },		      /* a REX prefix cut short */
	{ "\x41\x89\xf8", 3, 0 },	      /* mov %edi,%r8d */
	{ "\x0f\x1f\x40\x00", 4, 0 },	      /* nopl 0(%rax): not the 5-byte form */
	{ "\x0f\x1f\x44\x00", 4, 0 },	      /* the 5-byte form cut short */
	{ "\x0f", 1, 0 },		      /* an opcode escape cut short */
	{ "\x66", 1, 0 },		      /* a prefix cut short */
	{ "", 0, 0 },			      /* nothing */
};

START_TEST(hwt_uprobe_emulated_cases)
{
	/* Exactly len bytes on the heap: a read past them is an ASan error. */
	uint8_t *code = malloc(insn_cases[_i].len ? insn_cases[_i].len : 1);

	ck_assert_ptr_nonnull(code);
	memcpy(code, insn_cases[_i].bytes, insn_cases[_i].len);
	ck_assert_msg(!!hwt_uprobe_emulated(code, insn_cases[_i].len) == insn_cases[_i].emulated,
		      "case %d", _i);
	free(code);
}
END_TEST

static Suite *elffuncs_suite(void)
{
	Suite *s = suite_create("elffuncs");
	TCase *tc = tcase_create("elffuncs");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, hwt_elf_functions_asm_exact, 0,
			    (int)(sizeof(asm_funcs) / sizeof(asm_funcs[0])));
	tcase_add_test(tc, hwt_elf_functions_tail_targets);
	tcase_add_test(tc, hwt_elf_functions_no_ret_sites);
	tcase_add_test(tc, hwt_elf_functions_c_functions);
	tcase_add_test(tc, hwt_elf_functions_aliases_collapse);
	tcase_add_test(tc, hwt_elf_functions_every_name);
	tcase_add_loop_test(tc, hwt_elf_functions_cold_not_listed, 0, 2);
	tcase_add_test(tc, hwt_elf_functions_libc_names);
	tcase_add_test(tc, hwt_elf_functions_demangles);
	tcase_add_loop_test(tc, hwt_elf_functions_callback_stops, 0,
			    (int)(sizeof(stop_values) / sizeof(stop_values[0])));
	tcase_add_test(tc, hwt_elf_functions_shared_library);
	tcase_add_loop_test(tc, hwt_elf_functions_bad_file, 0,
			    (int)(sizeof(bad_files) / sizeof(bad_files[0])));
	tcase_add_test(tc, hwt_elf_functions_missing_file);
	tcase_add_test(tc, hwt_elf_functions_directory);
	tcase_add_test(tc, hwt_elf_uses_exceptions_files);
	tcase_add_loop_test(tc, hwt_uprobe_emulated_cases, 0,
			    (int)(sizeof(insn_cases) / sizeof(insn_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(elffuncs_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

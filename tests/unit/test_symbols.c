/* Unit tests for symbolization (core/symbols.c) and DWARF unwinding (decoders/unwind.c), run on
 * this test program's own address space, stack and libc. */
#include <check.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/model.h"
#include "core/symbols.h"
#include "decoders/unwind.h"
#include "tests/self_capture.h"

#define SELF	   1u
#define MAX_FRAMES 64

static struct hwt_model *m;
static struct hwt_symbolizer *s;
static uint64_t vdso_start, vdso_end;

/* Loads /proc/self/maps into @pid of @sy the way MMAP2 records would describe it, the file @from
 * shown as @to where they are given. */
static void load_self_maps_as(struct hwt_symbolizer *sy, uint32_t pid, const char *from,
			      const char *to)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[4096];

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff;
		struct hwt_map_info mi = { 0 };
		char perms[8];
		int pos = 0;
		char *path;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &pgoff,
			   &pos) < 4 ||
		    !pos)
			continue;
		path = line + pos;
		path[strcspn(path, "\n")] = 0;
		mi.start = start;
		mi.end = end;
		mi.pgoff = pgoff;
		mi.path = *path ? path : "//anon";
		if (from && !strcmp(mi.path, from))
			mi.path = to;
		if (!strcmp(mi.path, "[vdso]")) {
			vdso_start = start;
			vdso_end = end;
		}
		ck_assert_int_ge(hwt_symbolizer_add_map(sy, pid, &mi), 0);
	}
	fclose(f);
}

static void load_self_maps(struct hwt_symbolizer *sy, uint32_t pid)
{
	load_self_maps_as(sy, pid, NULL, NULL);
}

static void setup(void)
{
	m = hwt_model_alloc();
	ck_assert_ptr_nonnull(m);
	/* Mapping paths as the files' own: redaction has tests of its own (test_redact). */
	ck_assert_int_eq(hwt_model_set_redaction(m, 0, NULL), 0);
	s = hwt_symbolizer_alloc(m);
	ck_assert_ptr_nonnull(s);
	load_self_maps(s, SELF);
}

static void teardown(void)
{
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	s = NULL;
	m = NULL;
}

static const struct hwt_frame *frame_of(int64_t id)
{
	const struct hwt_frame *f;

	ck_assert_int_gt(id, 0);
	f = hwt_model_frame(m, (uint32_t)id);
	ck_assert_ptr_nonnull(f);
	return f;
}

static const char *name_of(int64_t id)
{
	return hwt_model_str(m, frame_of(id)->name);
}

static const struct hwt_mapping *mapping_of(int64_t id)
{
	const struct hwt_mapping *mp = hwt_model_mapping(m, frame_of(id)->mapping);

	ck_assert_ptr_nonnull(mp);
	return mp;
}

static const char *mapping_path_of(int64_t id)
{
	const struct hwt_mapping *mp = hwt_model_mapping(m, frame_of(id)->mapping);

	return mp ? hwt_model_str(m, mp->path) : "";
}

static uint64_t addr_of(void (*fn)(void))
{
	return (uint64_t)(uintptr_t)fn;
}

/* ---- functions to find ---- */

__attribute__((noinline, noclone)) int sym_target_a(int x)
{
	__asm__ volatile("" ::: "memory");
	return x * 3 + 1;
}

/* A C++ symbol defined from C: int ns::func(int). */
__attribute__((noinline, noclone)) int ns_func(int x) __asm__("_ZN2ns4funcEi");
int ns_func(int x)
{
	__asm__ volatile("" ::: "memory");
	return x + 7;
}

/* A function inlined once into sym_inl_outer(); the global label marks an address of its code. */
static inline __attribute__((always_inline)) int sym_inl_inner(int x)
{
	__asm__ volatile(".globl sym_inline_mark\nsym_inline_mark:\n\tnop" ::: "memory");
	return x * 5;
}

__attribute__((noinline, noclone)) int sym_inl_outer(int x)
{
	return sym_inl_inner(x) + 1;
}
extern const char sym_inline_mark[];

/* ---- symbolization ---- */

START_TEST(frame_self_function)
{
	uint64_t a = addr_of((void (*)(void))sym_target_a);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int64_t id = hwt_symbolizer_frame(s, SELF, a, 0);
	const struct hwt_frame *f = frame_of(id);

	ck_assert_str_eq(name_of(id), "sym_target_a");
	ck_assert_uint_eq(f->kind, HWT_FRAME_USER);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_str_eq(mapping_path_of(id), exe);
	/* An address inside the function is the same frame. */
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, a + 2, 0), id);
	ck_assert_int_eq(sym_target_a(1), 4);
}
END_TEST

START_TEST(frame_libc_function)
{
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *q;
	int64_t id;

	ck_assert_ptr_nonnull(h);
	q = dlsym(h, "qsort");
	ck_assert_ptr_nonnull(q);
	id = hwt_symbolizer_frame(s, SELF, (uint64_t)(uintptr_t)q, 0);
	ck_assert_str_eq(name_of(id), "qsort");
	ck_assert_ptr_nonnull(strstr(mapping_path_of(id), "libc.so"));
	q = dlsym(h, "getpid");
	ck_assert_ptr_nonnull(q);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, SELF, (uint64_t)(uintptr_t)q + 1, 0)),
			 "getpid");
	dlclose(h);
}
END_TEST

START_TEST(frame_unknown_address)
{
	int64_t id = hwt_symbolizer_frame(s, SELF, 0, 0);
	const struct hwt_frame *f = frame_of(id);

	ck_assert_str_eq(name_of(id), "[unknown]");
	ck_assert_uint_eq(f->kind, HWT_FRAME_UNKNOWN);
	ck_assert_uint_eq(f->mapping, HWT_NONE);
	/* A process never seen, and another unmapped address: the same frame. */
	ck_assert_int_eq(hwt_symbolizer_frame(s, 4242, 0x401000, 0), id);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, 8, 0), id);
}
END_TEST

START_TEST(frame_kernel_address)
{
	int64_t id = hwt_symbolizer_frame(s, SELF, 0xffffffff81000000ull, 1);
	const struct hwt_frame *f = frame_of(id);

	ck_assert_str_eq(name_of(id), "[kernel]");
	ck_assert_uint_eq(f->kind, HWT_FRAME_KERNEL);
	ck_assert_uint_eq(f->mapping, HWT_NONE);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, 0xffffffff81234567ull, 1), id);
	/* The upper half is the kernel's even without the flag; a user address with it too. */
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, 0xffffffff81234567ull, 0), id);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, addr_of((void (*)(void))sym_target_a), 1),
			 id);
}
END_TEST

START_TEST(frame_deleted_file)
{
	char path[] = "/tmp/hwt-test-symbols-XXXXXX";
	struct hwt_map_info mi = { .start = 0x10000000, .end = 0x10004000, .pgoff = 0x2000 };
	int fd = mkstemp(path);
	const char *base = strrchr(path, '/') + 1;
	char want[128];
	int64_t id;

	/* An ELF file that disappears between the mapping and the first lookup. */
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "\177ELF", 4), 4);
	close(fd);
	mi.path = path;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_int_eq(unlink(path), 0);
	id = hwt_symbolizer_frame(s, 7, 0x10000010, 0);
	snprintf(want, sizeof(want), "%s+0x2010", base);
	ck_assert_str_eq(name_of(id), want);
	ck_assert_uint_eq(frame_of(id)->addr, 0x2010);
	ck_assert_str_eq(mapping_path_of(id), path);

	/* As the kernel names it once gone: the suffix is not part of the module name. */
	mi.path = "/nonexistent/libgone.so (deleted)";
	mi.start = 0x20000000;
	mi.end = 0x20001000;
	mi.pgoff = 0;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 7, 0x20000abc, 0)), "libgone.so+0xabc");

	/* Not ELF at all, and not a file: no crash, same naming. */
	mi.path = "/proc/self/status";
	mi.start = 0x30000000;
	mi.end = 0x30001000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 7, 0x30000010, 0)), "status+0x10");
	mi.path = "/dev/zero";
	mi.start = 0x40000000;
	mi.end = 0x40001000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 7, 0x40000010, 0)), "zero+0x10");
	mi.path = "//anon";
	mi.start = 0x50000000;
	mi.end = 0x50001000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 7, 0x50000010, 0)), "[anon]+0x10");
	mi.path = "";
	mi.start = 0x60000000;
	mi.end = 0x60001000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 7, 0x60000010, 0)), "[anon]+0x10");
}
END_TEST

START_TEST(frame_build_id_mismatch)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	static const uint8_t wrong[20] = { 1, 2, 3 };
	struct hwt_map_info mi, out;
	uint64_t a = addr_of((void (*)(void))sym_target_a);
	const char *hex;
	int64_t id;

	/* The same mapping as ours, but recorded with another build id: not our file. */
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_int_eq(hwt_symbolizer_find_map(s, SELF, a, &out), 1);
	mi = out;
	mi.path = exe;
	mi.build_id = wrong;
	mi.build_id_len = sizeof(wrong);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 9, &mi), 0);
	id = hwt_symbolizer_frame(s, 9, a, 0);
	ck_assert_ptr_nonnull(strstr(name_of(id), "+0x"));
	ck_assert_str_eq(hwt_model_str(m, mapping_of(id)->build_id),
			 "0102030000000000000000000000000000000000");
	ck_assert_int_eq(hwt_symbolizer_find_map(s, 9, a, &out), 1);
	ck_assert_uint_eq(out.build_id_len, sizeof(wrong));
	ck_assert_mem_eq(out.build_id, wrong, sizeof(wrong));

	/* Recorded without one, a mapping takes the build id of the file it resolved from. */
	hex = hwt_model_str(m, mapping_of(hwt_symbolizer_frame(s, SELF, a, 0))->build_id);
	ck_assert_uint_eq(strlen(hex), 40);
	ck_assert_uint_eq(strspn(hex, "0123456789abcdef"), 40);
}
END_TEST

START_TEST(frame_cxx_demangled)
{
	int64_t id = hwt_symbolizer_frame(s, SELF, addr_of((void (*)(void))ns_func), 0);

	ck_assert_str_eq(name_of(id), "ns::func(int)");
	ck_assert_int_eq(ns_func(1), 8);
	/* Resolved again, from the cache and from the symbol's cached name. */
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, addr_of((void (*)(void))ns_func), 0), id);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, addr_of((void (*)(void))ns_func) + 1, 0),
			 id);
}
END_TEST

/* The vdso's own dynamic symbol named @want, as an address in this process. */
static uint64_t vdso_symbol(const char *want)
{
	size_t len = vdso_end - vdso_start;
	char *img = malloc(len);
	uint64_t addr = 0;
	Elf_Scn *scn = NULL;
	Elf *elf;

	ck_assert_ptr_nonnull(img);
	memcpy(img, (const void *)(uintptr_t)vdso_start, len);
	elf_version(EV_CURRENT);
	elf = elf_memory(img, len);
	ck_assert_ptr_nonnull(elf);
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		size_t i;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		d = elf_getdata(scn, NULL);
		for (i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym st;
			const char *name;

			if (!gelf_getsym(d, (int)i, &st))
				break;
			name = elf_strptr(elf, sh.sh_link, st.st_name);
			/* The vdso is linked at 0 with file offset == vaddr. */
			if (name && !strcmp(name, want))
				addr = vdso_start + st.st_value;
		}
	}
	elf_end(elf);
	free(img);
	return addr;
}

START_TEST(frame_vdso)
{
	struct hwt_map_info mi = { .path = "[vdso]", .start = 0x7000000, .end = 0x7001000 };
	uint64_t a;
	int64_t id;
	const char *name;

	if (!getauxval(AT_SYSINFO_EHDR) || !vdso_start)
		return;
	a = vdso_symbol("__vdso_clock_gettime");
	ck_assert_uint_ne(a, 0);
	id = hwt_symbolizer_frame(s, SELF, a + 1, 0);
	name = name_of(id);
	ck_assert_uint_ge(strlen(name), strlen("clock_gettime"));
	ck_assert_str_eq(name + strlen(name) - strlen("clock_gettime"), "clock_gettime");
	ck_assert_str_eq(mapping_path_of(id), "[vdso]");

	/* A vdso of another size is someone else's: offset only. */
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 11, &mi), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 11, 0x7000123, 0)), "[vdso]+0x123");
}
END_TEST

START_TEST(frame_cache_consistent)
{
	struct hwt_symbolizer *s2 = hwt_symbolizer_alloc(m);
	struct hwt_map_info text;
	uint64_t a = addr_of((void (*)(void))sym_target_a), span, x = 88172645463325252ull;
	enum { N = 150000 };
	static int64_t ids[N];
	static uint64_t addrs[N];
	int i, round;

	/* N random text addresses thrash the 2^16-entry cache; a second symbolizer on the same
	 * model, resolving each address once, must agree with every answer of the first. */
	ck_assert_ptr_nonnull(s2);
	load_self_maps(s2, SELF);
	ck_assert_int_eq(hwt_symbolizer_find_map(s, SELF, a, &text), 1);
	span = text.end - text.start;
	for (i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		addrs[i] = text.start + x % span;
	}
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			int64_t id = hwt_symbolizer_frame(s, SELF, addrs[i], 0);

			ck_assert_int_gt(id, 0);
			if (round)
				ck_assert_int_eq(id, ids[i]);
			ids[i] = id;
		}
	}
	for (i = 0; i < N; i += 5)
		ck_assert_int_eq(hwt_symbolizer_frame(s2, SELF, addrs[i], 0), ids[i]);
	hwt_symbolizer_free(s2);
}
END_TEST

START_TEST(frame_cache_invalidated)
{
	uint64_t a = addr_of((void (*)(void))sym_target_a);
	struct hwt_map_info mi = { .path = "/nonexistent/other.so", .pgoff = 0x5000 };
	int64_t before = hwt_symbolizer_frame(s, SELF, a, 0);
	uint64_t gen = hwt_symbolizer_generation(s, SELF);
	int i;

	/* Mapping something else over the address must not answer from the cache. */
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, a, 0), before);
	mi.start = a & ~0xfffull;
	mi.end = mi.start + 0x1000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, SELF, &mi), 0);
	ck_assert_uint_ne(hwt_symbolizer_generation(s, SELF), gen);
	ck_assert_int_ne(hwt_symbolizer_frame(s, SELF, a, 0), before);
	ck_assert_str_eq(mapping_path_of(hwt_symbolizer_frame(s, SELF, a, 0)),
			 "/nonexistent/other.so");

	/* Many changes over one address: once its entries fill the cache, a slot hit of an
	 * earlier address space must still not count. */
	for (i = 0; i < 20000; i++) {
		mi.path = i % 2 ? "/nonexistent/odd.so" : "/nonexistent/even.so";
		ck_assert_int_eq(hwt_symbolizer_add_map(s, SELF, &mi), 0);
		ck_assert_str_eq(mapping_path_of(hwt_symbolizer_frame(s, SELF, a, 0)), mi.path);
	}
}
END_TEST

START_TEST(fork_exec_address_spaces)
{
	uint64_t a = addr_of((void (*)(void))sym_target_a);
	int64_t id = hwt_symbolizer_frame(s, SELF, a, 0);
	uint64_t g1 = hwt_symbolizer_generation(s, SELF), g2;
	struct hwt_map_info mi;

	ck_assert_uint_ne(g1, 0);
	ck_assert_uint_eq(hwt_symbolizer_generation(s, 2), 0);
	ck_assert_int_eq(hwt_symbolizer_fork(s, SELF, 2), 0);
	g2 = hwt_symbolizer_generation(s, 2);
	ck_assert_uint_ne(g2, 0);
	ck_assert_uint_ne(g2, g1);
	ck_assert_int_eq(hwt_symbolizer_frame(s, 2, a, 0), id);

	/* The child's later mappings are its own. */
	mi = (struct hwt_map_info){ .path = "/x/child.so", .start = 0x1000, .end = 0x2000 };
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 2, &mi), 0);
	ck_assert_int_eq(hwt_symbolizer_find_map(s, 2, 0x1800, &mi), 1);
	ck_assert_int_eq(hwt_symbolizer_find_map(s, SELF, 0x1800, &mi), 0);
	ck_assert_uint_eq(hwt_symbolizer_generation(s, SELF), g1);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 2, 0x1800), 1);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 2, a), 1);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, SELF, 0x1800), 0);

	/* After an exec, the old image's addresses lie in no mapping until the new image's come
	 * (a sample taken while the kernel loads it carries the old user IP). */
	hwt_symbolizer_exec(s, 2);
	ck_assert_uint_ne(hwt_symbolizer_generation(s, 2), g2);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 2, a, 0)), "[unknown]");
	ck_assert_int_eq(hwt_symbolizer_find_map(s, 2, 0x1800, &mi), 0);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 2, 0x1800), HWT_E_NOENT); /* none known */
	mi = (struct hwt_map_info){ .path = "/x/new", .start = 0x400000, .end = 0x401000 };
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 2, &mi), 0);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 2, 0x400800), 1);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 2, a), 0);
	ck_assert_int_eq(hwt_symbolizer_mapped(s, 77, a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_symbolizer_mapped(NULL, 2, a), HWT_E_NOENT);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, a, 0), id);

	/* Fork of an unknown parent: an empty child; a fork onto itself changes nothing. */
	ck_assert_int_eq(hwt_symbolizer_fork(s, 555, 2), 0);
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 2, a, 0)), "[unknown]");
	ck_assert_int_eq(hwt_symbolizer_fork(s, SELF, SELF), 0);
	ck_assert_int_eq(hwt_symbolizer_frame(s, SELF, a, 0), id);
	/* Fork over an existing child replaces its address space. */
	ck_assert_int_eq(hwt_symbolizer_fork(s, SELF, 2), 0);
	ck_assert_int_eq(hwt_symbolizer_frame(s, 2, a, 0), id);
}
END_TEST

/* ---- mapping overlaps, table-driven: a new map over A = [0x1000, 0x5000) at pgoff 0x10000 ---- */

struct want_map {
	uint64_t start, end, pgoff;
	const char *path;
};

static const struct overlap_case {
	uint64_t start, end;
	struct want_map want[4];
} overlap_cases[] = {
	/* inside: A is split, the tail's offset advances */
	{ 0x2000,
	  0x3000,
	  { { 0x1000, 0x2000, 0x10000, "/a" },
	    { 0x2000, 0x3000, 0x0, "/b" },
	    { 0x3000, 0x5000, 0x12000, "/a" } } },
	/* over A's start */
	{ 0x0, 0x2000, { { 0x0, 0x2000, 0x0, "/b" }, { 0x2000, 0x5000, 0x11000, "/a" } } },
	/* over A's end */
	{ 0x4000, 0x6000, { { 0x1000, 0x4000, 0x10000, "/a" }, { 0x4000, 0x6000, 0x0, "/b" } } },
	/* exactly A */
	{ 0x1000, 0x5000, { { 0x1000, 0x5000, 0x0, "/b" } } },
	/* all of A and more */
	{ 0x0, 0x9000, { { 0x0, 0x9000, 0x0, "/b" } } },
	/* disjoint, before and after; adjacent */
	{ 0x0, 0x1000, { { 0x0, 0x1000, 0x0, "/b" }, { 0x1000, 0x5000, 0x10000, "/a" } } },
	{ 0x5000, 0x6000, { { 0x1000, 0x5000, 0x10000, "/a" }, { 0x5000, 0x6000, 0x0, "/b" } } },
	{ 0x8000, 0x9000, { { 0x1000, 0x5000, 0x10000, "/a" }, { 0x8000, 0x9000, 0x0, "/b" } } },
};

struct collect {
	struct want_map got[8];
	int n;
};

static int collect_map(const struct hwt_map_info *mi, void *ctx)
{
	struct collect *c = ctx;

	ck_assert_int_lt(c->n, 8);
	c->got[c->n++] = (struct want_map){ mi->start, mi->end, mi->pgoff, mi->path };
	return 0;
}

START_TEST(add_map_overlap)
{
	const struct overlap_case *tc = &overlap_cases[_i];
	struct hwt_map_info a = { .path = "/a", .start = 0x1000, .end = 0x5000, .pgoff = 0x10000 };
	struct hwt_map_info b = { .path = "/b", .start = tc->start, .end = tc->end };
	struct collect c = { .n = 0 };
	int i, n = 0;

	ck_assert_int_eq(hwt_symbolizer_add_map(s, 3, &a), 0);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 3, &b), 0);
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, 3, collect_map, &c), 0);
	while (n < 4 && tc->want[n].path)
		n++;
	ck_assert_int_eq(c.n, n);
	for (i = 0; i < n; i++) {
		struct hwt_map_info out;

		ck_assert_uint_eq(c.got[i].start, tc->want[i].start);
		ck_assert_uint_eq(c.got[i].end, tc->want[i].end);
		ck_assert_uint_eq(c.got[i].pgoff, tc->want[i].pgoff);
		ck_assert_str_eq(c.got[i].path, tc->want[i].path);
		ck_assert_int_eq(hwt_symbolizer_find_map(s, 3, tc->want[i].end - 1, &out), 1);
		ck_assert_uint_eq(out.start, tc->want[i].start);
		ck_assert_str_eq(out.path, tc->want[i].path);
	}
}
END_TEST

static int stop_at_second(const struct hwt_map_info *mi, void *ctx)
{
	return ++*(int *)ctx == 2 ? 77 : 0;
}

START_TEST(foreach_map_files_only)
{
	struct hwt_map_info mi = { .start = 0x1000, .end = 0x2000 };
	struct collect c = { .n = 0 };
	int calls = 0;

	mi.path = "//anon";
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 5, &mi), 0);
	mi.path = "[heap]";
	mi.start = 0x2000;
	mi.end = 0x3000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 5, &mi), 0);
	mi.path = "/lib/z.so";
	mi.start = 0x9000;
	mi.end = 0xa000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 5, &mi), 0);
	mi.path = "/lib/y.so";
	mi.start = 0x5000;
	mi.end = 0x6000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 5, &mi), 0);
	mi.path = "[vdso]";
	mi.start = 0x7000;
	mi.end = 0x8000;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 5, &mi), 0);
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, 5, collect_map, &c), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.got[0].path, "/lib/y.so");
	ck_assert_str_eq(c.got[1].path, "[vdso]");
	ck_assert_str_eq(c.got[2].path, "/lib/z.so");
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, 5, stop_at_second, &calls), 77);
	ck_assert_int_eq(calls, 2);
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, 999, collect_map, &c), 0);
	/* Heap is a mapping even if not a file one. */
	ck_assert_int_eq(hwt_symbolizer_find_map(s, 5, 0x2800, &mi), 1);
	ck_assert_str_eq(mi.path, "[heap]");
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, 5, 0x2810, 0)), "[heap]+0x810");
}
END_TEST

START_TEST(symbolizer_code_self)
{
	uint64_t a = addr_of((void (*)(void))sym_target_a);
	uint8_t buf[16];
	struct hwt_map_info mi = { .start = 0x20000000, .end = 0x20010000, .path = "/gone/x.so" };

	ck_assert_int_eq(hwt_symbolizer_code(s, SELF, a, sizeof(buf), buf), 1);
	ck_assert_mem_eq(buf, (const void *)(uintptr_t)a, sizeof(buf));
	/* Not mapped, unknown process, a file that is gone, bad arguments. */
	ck_assert_int_eq(hwt_symbolizer_code(s, SELF, 8, 1, buf), HWT_E_NOENT);
	ck_assert_int_eq(hwt_symbolizer_code(s, 4242, a, 1, buf), HWT_E_NOENT);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 7, &mi), 0);
	ck_assert_int_eq(hwt_symbolizer_code(s, 7, 0x20000100, 4, buf), 0);
	ck_assert_int_eq(hwt_symbolizer_code(NULL, SELF, a, 1, buf), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_code(s, SELF, a, 1, NULL), HWT_E_INVAL);
}
END_TEST

START_TEST(symbolizer_inlined_chain)
{
	uint32_t out[HWT_INLINE_MAX], again[HWT_INLINE_MAX];
	uint64_t mark = (uint64_t)(uintptr_t)sym_inline_mark;
	const struct hwt_frame *f;
	int n;

	ck_assert_int_eq(sym_inl_outer(2), 11);
	n = hwt_symbolizer_inlined(s, SELF, mark, out, HWT_INLINE_MAX);
	ck_assert_int_eq(n, 1);
	f = frame_of(out[0]);
	ck_assert_str_eq(hwt_model_str(m, f->name), "sym_inl_inner (inlined)");
	ck_assert_uint_eq(f->flags, HWT_FRAME_INLINED);
	ck_assert_uint_eq(f->kind, HWT_FRAME_USER);
	ck_assert_str_eq(mapping_path_of(out[0]),
			 mapping_path_of(hwt_symbolizer_frame(s, SELF, mark, 0)));
	/* The function it was inlined into is the address's own frame. */
	ck_assert_str_eq(name_of(hwt_symbolizer_frame(s, SELF, mark, 0)), "sym_inl_outer");
	/* Cached, and the same frame every time. */
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, mark, again, HWT_INLINE_MAX), 1);
	ck_assert_uint_eq(again[0], out[0]);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, mark, again, 0), 0);
	/* Nothing inlined there; no process; kernel; bad arguments. */
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, addr_of((void (*)(void))sym_target_a) + 1,
						out, HWT_INLINE_MAX),
			 0);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, 4242, mark, out, HWT_INLINE_MAX), 0);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, 0xffffffff81000000ull, out, 4), 0);
	ck_assert_int_eq(hwt_symbolizer_inlined(NULL, SELF, mark, out, 4), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, mark, NULL, 4), HWT_E_INVAL);
}
END_TEST

/* An inlined lookup opens the file's DWARF without its line tables; a source lookup after it
 * opens it again with them. Both answer, and the first's frames keep their names. */
START_TEST(symbolizer_inlined_then_sources)
{
	uint32_t out[HWT_INLINE_MAX];
	uint64_t mark = (uint64_t)(uintptr_t)sym_inline_mark;
	int64_t id;
	uint32_t file;

	ck_assert_int_eq(sym_inl_outer(2), 11);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, SELF, mark, out, HWT_INLINE_MAX), 1);
	hwt_symbolizer_sources(s, 1);
	id = hwt_symbolizer_frame(s, SELF, mark, 0);
	ck_assert_int_gt(id, 0);
	ck_assert_str_eq(name_of(id), "sym_inl_outer");
	file = hwt_model_frame_file(m, (uint32_t)id);
	ck_assert_uint_ne(file, HWT_NONE);
	const char *path = hwt_model_str(m, file);
	ck_assert_ptr_nonnull(strstr(path, "test_symbols.c"));
	ck_assert_str_eq(hwt_model_str(m, frame_of(out[0])->name), "sym_inl_inner (inlined)");
	/* Another function of the file: from the DWARF with line tables, opened once. */
	ck_assert_str_eq(
		name_of(hwt_symbolizer_frame(s, SELF, addr_of((void (*)(void))sym_target_a), 0)),
		"sym_target_a");
	file = hwt_model_frame_file(m, (uint32_t)hwt_symbolizer_frame(
					       s, SELF, addr_of((void (*)(void))sym_target_a), 0));
	ck_assert_uint_ne(file, HWT_NONE);
}
END_TEST

/* Whether section @name of the ELF file @path is compressed (SHF_COMPRESSED). */
static int section_compressed(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY), found = 0;
	Elf *e;
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	size_t shstrndx;

	ck_assert_int_ge(fd, 0);
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	ck_assert_int_eq(elf_getshdrstrndx(e, &shstrndx), 0);
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && !strcmp(elf_strptr(e, shstrndx, sh.sh_name), name))
			found = !!(sh.sh_flags & SHF_COMPRESSED);
	elf_end(e);
	close(fd);
	return found;
}

/* This program with its debug sections compressed, as Debian's debug files are: the DWARF of
 * inlined lookups is inflated without the line table, a source lookup after it opens the file
 * again with it, and both give what the file as built gives. */
START_TEST(symbolizer_inlined_compressed)
{
	/* Inflated by libdeflate where the system has it (_i 0), by zlib (_i 1). */
	if (_i)
		setenv("HWT_NO_LIBDEFLATE", "1", 1);
	char exe[4096], copy[] = "/tmp/hwt-symz.XXXXXX", cmd[8400];
	uint64_t mark = (uint64_t)(uintptr_t)sym_inline_mark;
	uint32_t out[HWT_INLINE_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fd = mkstemp(copy);

	ck_assert_int_gt(len, 0);
	exe[len] = 0;
	ck_assert_int_ge(fd, 0);
	close(fd);
	snprintf(cmd, sizeof(cmd), "objcopy --compress-debug-sections=zlib '%s' '%s'", exe, copy);
	ck_assert_msg(!system(cmd), "objcopy (binutils) failed: %s", cmd);
	ck_assert(section_compressed(copy, ".debug_info"));
	ck_assert(section_compressed(copy, ".debug_line"));
	load_self_maps_as(s, 2, exe, copy);
	ck_assert_int_eq(sym_inl_outer(2), 11);
	ck_assert_int_eq(hwt_symbolizer_inlined(s, 2, mark, out, HWT_INLINE_MAX), 1);
	ck_assert_str_eq(hwt_model_str(m, frame_of(out[0])->name), "sym_inl_inner (inlined)");
	ck_assert_str_eq(mapping_path_of(out[0]), copy);
	hwt_symbolizer_sources(s, 1);
	int64_t id = hwt_symbolizer_frame(s, 2, mark, 0);
	ck_assert_str_eq(name_of(id), "sym_inl_outer");
	uint32_t file = hwt_model_frame_file(m, (uint32_t)id);
	ck_assert_uint_ne(file, HWT_NONE);
	ck_assert_ptr_nonnull(strstr(hwt_model_str(m, file), "test_symbols.c"));
	/* What it found before the second open lives on. */
	ck_assert_str_eq(hwt_model_str(m, frame_of(out[0])->name), "sym_inl_inner (inlined)");
	unlink(copy);
}
END_TEST

START_TEST(symbolizer_bad_args)
{
	struct hwt_map_info mi = { .path = "/a", .start = 0x2000, .end = 0x1000 };

	ck_assert_ptr_null(hwt_symbolizer_alloc(NULL));
	hwt_symbolizer_free(NULL);
	ck_assert_int_eq(hwt_symbolizer_add_map(NULL, 1, &mi), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 1, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 1, &mi), HWT_E_INVAL); /* start > end */
	mi.end = mi.start;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 1, &mi), HWT_E_INVAL); /* empty */
	mi.end = 0x3000;
	mi.path = NULL;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 1, &mi), HWT_E_INVAL);
	mi.path = "/a";
	mi.build_id_len = 20; /* length without bytes */
	ck_assert_int_eq(hwt_symbolizer_add_map(s, 1, &mi), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_fork(NULL, 1, 2), HWT_E_INVAL);
	hwt_symbolizer_exec(NULL, 1);
	hwt_symbolizer_exec(s, 12345);
	ck_assert_int_eq(hwt_symbolizer_frame(NULL, 1, 0x1000, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_find_map(NULL, 1, 0x1000, &mi), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_find_map(s, 1, 0x1000, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_foreach_map(NULL, 1, collect_map, NULL), HWT_E_INVAL);
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, 1, NULL, NULL), HWT_E_INVAL);
	ck_assert_uint_eq(hwt_symbolizer_generation(NULL, 1), 0);
	ck_assert_uint_eq(hwt_symbolizer_generation(s, 12345), 0);
}
END_TEST

/* ---- unwinding ---- */

static struct capture chain_cap;

__attribute__((noinline, noclone)) int uw_f3(int x)
{
	CAPTURE_REGS(chain_cap.regs);
	copy_stack(&chain_cap);
	__asm__ volatile("" ::: "memory");
	return x + 3;
}

__attribute__((noinline, noclone)) int uw_f2(int x)
{
	int r = uw_f3(x + 1);

	__asm__ volatile("" ::: "memory");
	return r * 2;
}

__attribute__((noinline, noclone)) int uw_f1(int x)
{
	int r = uw_f2(x + 1);

	__asm__ volatile("" ::: "memory");
	return r * 5;
}

/* Symbolizes unwound pcs (return addresses minus 1) into names; returns how many. */
static int unwind_names(const struct capture *c, const char **names, int64_t *ids, int max)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	uint64_t pcs[MAX_FRAMES];
	int i, n;

	ck_assert_ptr_nonnull(u);
	n = hwt_unwind(u, SELF, (uint32_t)gettid(), c->regs, c->stack, c->size, pcs, max);
	ck_assert_int_ge(n, 1);
	ck_assert_int_le(n, max);
	ck_assert_uint_eq(pcs[0], c->regs[8]);
	for (i = 0; i < n; i++) {
		ids[i] = hwt_symbolizer_frame(s, SELF, pcs[i] - (i > 0), 0);
		names[i] = name_of(ids[i]);
	}
	hwt_unwinder_free(u);
	return n;
}

static int find_name(const char **names, int n, int from, const char *prefix)
{
	int i;

	for (i = from; i < n; i++)
		if (!strncmp(names[i], prefix, strlen(prefix)))
			return i;
	return -1;
}

START_TEST(unwind_chain)
{
	const char *names[MAX_FRAMES];
	int64_t ids[MAX_FRAMES];
	int n, i3, i2, i1, it;

	ck_assert_int_eq(uw_f1(1), ((1 + 2) + 3) * 2 * 5);
	ck_assert_uint_gt(chain_cap.size, 64);
	n = unwind_names(&chain_cap, names, ids, MAX_FRAMES);
	i3 = find_name(names, n, 0, "uw_f3");
	i2 = find_name(names, n, 0, "uw_f2");
	i1 = find_name(names, n, 0, "uw_f1");
	it = find_name(names, n, 0, "unwind_chain_fn");
	ck_assert_msg(i3 == 0 && i2 == 1 && i1 == 2 && it == 3, "got %d frames: %s %s %s %s", n,
		      names[0], n > 1 ? names[1] : "-", n > 2 ? names[2] : "-",
		      n > 3 ? names[3] : "-");
	/* A smaller budget stops early, innermost frames first. */
	ck_assert_int_eq(unwind_names(&chain_cap, names, ids, 2), 2);
	ck_assert_str_eq(names[1], "uw_f2");
	ck_assert_int_eq(unwind_names(&chain_cap, names, ids, 1), 1);
	ck_assert_str_eq(names[0], "uw_f3");
}
END_TEST

static struct capture qsort_cap;
static int qsort_captured;

__attribute__((noinline, noclone)) static int cmp_capture(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	if (!qsort_captured) {
		CAPTURE_REGS(qsort_cap.regs);
		copy_stack(&qsort_cap);
		qsort_captured = 1;
	}
	return (x > y) - (x < y);
}

START_TEST(unwind_through_libc)
{
	int v[32], i, n, ic, il, it;
	const char *names[MAX_FRAMES];
	int64_t ids[MAX_FRAMES];
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void (*libc_qsort)(void *, size_t, size_t, int (*)(const void *, const void *));

	/* libc's own qsort (not a sanitizer's interceptor): Debian builds it without frame
	 * pointers, so getting from the comparator back here takes its CFI. */
	ck_assert_ptr_nonnull(h);
	*(void **)&libc_qsort = dlsym(h, "qsort");
	ck_assert_ptr_nonnull(libc_qsort);
	for (i = 0; i < 32; i++)
		v[i] = (i * 7919) % 32;
	libc_qsort(v, 32, sizeof(v[0]), cmp_capture);
	ck_assert(qsort_captured);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(v[i], i);
	n = unwind_names(&qsort_cap, names, ids, MAX_FRAMES);
	ic = find_name(names, n, 0, "cmp_capture");
	ck_assert_int_eq(ic, 0);
	for (il = 1; il < n; il++)
		if (strstr(mapping_path_of(ids[il]), "/libc.so"))
			break;
	it = find_name(names, n, 1, "unwind_through_libc_fn");
	ck_assert_msg(il < n && it > il, "got %d frames, libc at %d, test at %d (%s %s %s)", n, il,
		      it, names[0], n > 1 ? names[1] : "-", n > 2 ? names[2] : "-");
	dlclose(h);
}
END_TEST

/* Function entries where a sample may land: only CFI knows the return address is at [rsp]. */
static uint64_t entry_of(int which)
{
	void *h;
	uint64_t a = 0;

	switch (which) {
	case 0:
		return addr_of((void (*)(void))sym_target_a);
	case 1:
		/* libc's text is mapped at a non-zero file offset: checks the module's load bias.
		 */
		h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
		ck_assert_ptr_nonnull(h);
		a = (uint64_t)(uintptr_t)dlsym(h, "getpid");
		dlclose(h);
		return a;
	default:
		/* The vdso: no file to open, libdw gets it from our copy of the image. */
		return vdso_start ? vdso_symbol("__vdso_clock_gettime") : 0;
	}
}

START_TEST(unwind_function_entry)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 }, pcs[8];
	uint64_t ret = addr_of((void (*)(void))uw_f2) + 9;
	static uint8_t stack[256];
	int n;

	ck_assert_ptr_nonnull(u);
	regs[8] = entry_of(_i);
	if (!regs[8]) {
		hwt_unwinder_free(u);
		return;
	}
	/* No frame pointer to fall back on: the caller comes from CFI or not at all. */
	regs[6] = 0;
	regs[7] = 0x7ffd12345000ull;
	memcpy(stack, &ret, sizeof(ret));
	n = hwt_unwind(u, SELF, 1, regs, stack, sizeof(stack), pcs, 8);
	ck_assert_int_ge(n, 2);
	ck_assert_uint_eq(pcs[0], regs[8]);
	ck_assert_uint_eq(pcs[1], ret);
	hwt_unwinder_free(u);
}
END_TEST

START_TEST(unwind_garbage)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	static uint8_t stack[HWT_SAMPLE_STACK_SIZE];
	uint64_t regs[HWT_SAMPLE_NREGS], pcs[MAX_FRAMES], x = 0x2545f4914f6cdd1dull;
	uint64_t code = addr_of((void (*)(void))uw_f2);
	int iter, i, n;

	/* Random registers and stacks, some with a real IP and SP, some fully random, some with a
	 * stack full of code addresses: must return, never crash. */
	ck_assert_ptr_nonnull(u);
	for (iter = 0; iter < 3000; iter++) {
		for (i = 0; i < HWT_SAMPLE_NREGS; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			regs[i] = x;
		}
		for (i = 0; i < (int)sizeof(stack); i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			if (iter % 3 == 2)
				x = (x & 0xff) + code;
			memcpy(stack + i, &x, 8);
		}
		if (iter % 2)
			regs[8] = code + (x & 0x3f);
		if (iter % 4 == 1)
			regs[7] = 0x7ffc00000000ull + (x & 0xfff0);
		n = hwt_unwind(u, SELF, 1, regs, stack, iter % 5 ? sizeof(stack) : (size_t)(x % 64),
			       pcs, MAX_FRAMES);
		ck_assert_int_ge(n, regs[8] ? 1 : 0);
		ck_assert_int_le(n, MAX_FRAMES);
		if (n)
			ck_assert_uint_eq(pcs[0], regs[8]);
		for (i = 0; i < n; i++)
			ck_assert_int_gt(hwt_symbolizer_frame(s, SELF, pcs[i], 0), 0);
	}
	/* No stack at all, an unknown process, an IP of 0. */
	ck_assert_int_ge(hwt_unwind(u, SELF, 1, regs, NULL, 0, pcs, MAX_FRAMES), 1);
	ck_assert_int_ge(hwt_unwind(u, 31337, 31337, regs, stack, sizeof(stack), pcs, MAX_FRAMES),
			 1);
	regs[8] = 0;
	ck_assert_int_eq(hwt_unwind(u, SELF, 1, regs, stack, sizeof(stack), pcs, MAX_FRAMES), 0);
	hwt_unwinder_free(u);
}
END_TEST

START_TEST(unwind_maps_change)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	struct hwt_map_info mi = { .path = "/nonexistent/late.so",
				   .start = 0x10000,
				   .end = 0x11000 };
	uint64_t pcs[MAX_FRAMES];
	int n1, n2, n3;

	/* The same unwinder across address-space changes: modules are re-reported, kept ones
	 * keep working, an exec'ed process unwinds by frame pointers alone. */
	ck_assert_int_eq(uw_f1(2), ((2 + 2) + 3) * 2 * 5);
	ck_assert_ptr_nonnull(u);
	n1 = hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs,
			MAX_FRAMES);
	ck_assert_int_ge(n1, 4);
	ck_assert_int_eq(hwt_symbolizer_add_map(s, SELF, &mi), 0);
	n2 = hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs,
			MAX_FRAMES);
	ck_assert_int_eq(n2, n1);
	ck_assert_int_eq(hwt_symbolizer_fork(s, SELF, 2), 0);
	ck_assert_int_eq(hwt_unwind(u, 2, 2, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs,
				    MAX_FRAMES),
			 n1);
	hwt_symbolizer_exec(s, SELF);
	n3 = hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs,
			MAX_FRAMES);
	ck_assert_int_ge(n3, 1);
	load_self_maps(s, SELF);
	ck_assert_int_eq(hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size,
				    pcs, MAX_FRAMES),
			 n1);
	hwt_unwinder_free(u);
}
END_TEST

/* Mappings of libc read as a file, laid right below its load, as libelf (ELF_C_READ_MMAP), a linker
 * or a debugger in the traced process leave them in /proc/PID/maps. */
static const struct read_map_case {
	uint64_t pgoff, len; /* len 0: to the end of the file */
} read_map_cases[] = {
	{ 0, 0 },      /* the whole file */
	{ 0x1000, 0 }, /* all but the first page */
	{ 0, 0x1000 }, /* the ELF header alone, a page like the loader's first one */
};

struct lowest_map {
	const char *path;
	uint64_t start;
};

static int lowest_at_offset_0(const struct hwt_map_info *mi, void *ctx)
{
	struct lowest_map *lm = ctx;

	if (strcmp(mi->path, lm->path) || mi->pgoff)
		return 0;
	lm->start = mi->start;
	return 1;
}

START_TEST(unwind_read_mapping)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	void *h = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	uint64_t pcs[MAX_FRAMES], pcs1[MAX_FRAMES], len;
	const struct read_map_case *c = &read_map_cases[_i];
	struct hwt_map_info libc, mi = { .pgoff = c->pgoff };
	struct lowest_map lm = { 0 };
	struct stat st;
	int i, n1, in_libc = 0;

	/* Not a load of libc: its module must not move there and hide the real one. */
	ck_assert_ptr_nonnull(u);
	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(
		hwt_symbolizer_find_map(s, SELF, (uint64_t)(uintptr_t)dlsym(h, "qsort"), &libc), 1);
	lm.path = libc.path;
	ck_assert_int_eq(hwt_symbolizer_foreach_map(s, SELF, lowest_at_offset_0, &lm), 1);
	ck_assert_int_eq(stat(libc.path, &st), 0);
	ck_assert_int_eq(uw_f1(4), ((4 + 2) + 3) * 2 * 5);
	n1 = hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs1,
			MAX_FRAMES);
	for (i = 1; i < n1; i++)
		in_libc |= pcs1[i] > libc.start && pcs1[i] <= libc.end;
	ck_assert_msg(in_libc, "%d frames, none in %s", n1, libc.path);

	len = c->len ? c->len : (((uint64_t)st.st_size + 0xfff) & ~0xfffull) - c->pgoff;
	mi.path = libc.path;
	mi.start = lm.start - len;
	mi.end = lm.start;
	ck_assert_int_eq(hwt_symbolizer_add_map(s, SELF, &mi), 0);
	/* With libc's module kept from before, and with a new unwinder that never saw it. */
	for (i = 0; i < 2; i++) {
		if (i) {
			hwt_unwinder_free(u);
			u = hwt_unwinder_alloc(s);
			ck_assert_ptr_nonnull(u);
		}
		ck_assert_int_eq(hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack,
					    chain_cap.size, pcs, MAX_FRAMES),
				 n1);
		ck_assert_mem_eq(pcs, pcs1, (size_t)n1 * sizeof(pcs[0]));
	}
	dlclose(h);
	hwt_unwinder_free(u);
}
END_TEST

static int open_fds(void)
{
	char path[64];
	int fd, n = 0;

	for (fd = 0; fd < 65536; fd++) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		if (!access(path, F_OK))
			n++;
	}
	return n;
}

START_TEST(unwind_many_processes)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	uint64_t pcs[MAX_FRAMES];
	int n1, fds0 = open_fds(), fds1;
	uint32_t pid;

	/* More processes than the unwinder keeps libdw sessions (and their open files) for: the
	 * oldest are ended and come back when sampled again, with the same result. */
	ck_assert_int_eq(uw_f1(3), ((3 + 2) + 3) * 2 * 5);
	ck_assert_ptr_nonnull(u);
	n1 = hwt_unwind(u, SELF, 1, chain_cap.regs, chain_cap.stack, chain_cap.size, pcs,
			MAX_FRAMES);
	ck_assert_int_ge(n1, 4);
	fds1 = open_fds() - fds0;
	ck_assert_int_gt(fds1, 0);
	for (pid = 100; pid < 300; pid++) {
		ck_assert_int_eq(hwt_symbolizer_fork(s, SELF, pid), 0);
		ck_assert_int_eq(hwt_unwind(u, pid, pid, chain_cap.regs, chain_cap.stack,
					    chain_cap.size, pcs, MAX_FRAMES),
				 n1);
	}
	for (pid = 100; pid < 300; pid += 37)
		ck_assert_int_eq(hwt_unwind(u, pid, pid, chain_cap.regs, chain_cap.stack,
					    chain_cap.size, pcs, MAX_FRAMES),
				 n1);
	/* 201 processes, far fewer sessions' worth of files open. */
	ck_assert_int_le(open_fds() - fds0, 100 * fds1);
	hwt_unwinder_free(u);
	ck_assert_int_eq(open_fds(), fds0);
}
END_TEST

START_TEST(unwind_bad_args)
{
	struct hwt_unwinder *u = hwt_unwinder_alloc(s);
	uint64_t regs[HWT_SAMPLE_NREGS] = { 0 }, pcs[4];
	uint8_t stack[64] = { 0 };

	ck_assert_ptr_nonnull(u);
	regs[8] = 0x1234;
	ck_assert_ptr_null(hwt_unwinder_alloc(NULL));
	hwt_unwinder_free(NULL);
	ck_assert_int_eq(hwt_unwind(NULL, 1, 1, regs, stack, sizeof(stack), pcs, 4), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, NULL, stack, sizeof(stack), pcs, 4), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, regs, NULL, sizeof(stack), pcs, 4), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, regs, stack, sizeof(stack), NULL, 4), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, regs, stack, sizeof(stack), pcs, 0), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, regs, stack, sizeof(stack), pcs, -1), HWT_E_INVAL);
	ck_assert_int_eq(hwt_unwind(u, 1, 1, regs, stack, sizeof(stack), pcs, 1), 1);
	ck_assert_uint_eq(pcs[0], 0x1234);
	hwt_unwinder_free(u);
}
END_TEST

static Suite *symbols_suite(void)
{
	Suite *su = suite_create("symbols");
	TCase *tc = tcase_create("symbolizer");
	TCase *tu = tcase_create("unwind");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, frame_self_function);
	tcase_add_test(tc, frame_libc_function);
	tcase_add_test(tc, frame_unknown_address);
	tcase_add_test(tc, frame_kernel_address);
	tcase_add_test(tc, frame_deleted_file);
	tcase_add_test(tc, frame_build_id_mismatch);
	tcase_add_test(tc, frame_cxx_demangled);
	tcase_add_test(tc, frame_vdso);
	tcase_add_test(tc, frame_cache_consistent);
	tcase_add_test(tc, frame_cache_invalidated);
	tcase_add_test(tc, fork_exec_address_spaces);
	tcase_add_loop_test(tc, add_map_overlap, 0,
			    (int)(sizeof(overlap_cases) / sizeof(overlap_cases[0])));
	tcase_add_test(tc, foreach_map_files_only);
	tcase_add_test(tc, symbolizer_code_self);
	tcase_add_test(tc, symbolizer_inlined_chain);
	tcase_add_test(tc, symbolizer_inlined_then_sources);
	tcase_add_loop_test(tc, symbolizer_inlined_compressed, 0, 2);
	tcase_add_test(tc, symbolizer_bad_args);
	suite_add_tcase(su, tc);

	tcase_add_checked_fixture(tu, setup, teardown);
	tcase_set_timeout(tu, 60);
	tcase_add_test(tu, unwind_chain);
	tcase_add_test(tu, unwind_through_libc);
	tcase_add_loop_test(tu, unwind_function_entry, 0, 3);
	tcase_add_test(tu, unwind_garbage);
	tcase_add_test(tu, unwind_maps_change);
	tcase_add_loop_test(tu, unwind_read_mapping, 0,
			    (int)(sizeof(read_map_cases) / sizeof(read_map_cases[0])));
	tcase_add_test(tu, unwind_many_processes);
	tcase_add_test(tu, unwind_bad_args);
	suite_add_tcase(su, tu);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(symbols_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

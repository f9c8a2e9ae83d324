# hwtrace: one GNU Makefile, wildcard sources per folder, out-of-tree build.
#   make            build build/hwtrace
#   make SAN=1      ASan+UBSan build in build-san/
#   make test       unit tests (Check), end-to-end tests, the fuzz corpora replayed
#   make fuzz       libFuzzer on every reader, FUZZ_SECONDS (600) per target (clang)
#   make demo       install what is missing, build, record the bundled example
#   make bench      overhead and throughput against perf (long; not part of test)

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
else
BUILD ?= build
SANFLAGS :=
endif

CC ?= cc
PKGS := libdw libelf libzstd zlib capstone
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS := $(shell pkg-config --libs check 2>/dev/null)

CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wstrict-prototypes -Wno-unused-parameter -Werror
override CFLAGS += -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -Iinclude -MMD -MP $(PKG_CFLAGS) $(SANFLAGS)
override LDFLAGS += $(SANFLAGS)
LIBS := $(PKG_LIBS) -lpfm -lipt -lstdc++ -lpthread -ldl

LIB_SRCS := $(filter-out plugins/examples/%,$(wildcard core/*.c core/*/*.c plugins/*.c \
	plugins/*/*.c decoders/*.c decoders/*/*.c exporters/*.c))
CLI_SRCS := $(wildcard cli/*.c)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
PROG_SRCS := $(wildcard tests/programs/*.c)
PROG_CXX_SRCS := $(wildcard tests/programs/*.cc)

LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
# lib/inproc's entry patcher, as the preloaded runtime links it (PIC, hidden symbols).
INPROC_PATCH_OBJS := $(patsubst %,$(BUILD)/inproc/lib/inproc/%.o,patch reloc shadow insn_len tramp)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
PROG_BINS := $(PROG_SRCS:tests/programs/%.c=$(BUILD)/programs/%) \
	     $(PROG_CXX_SRCS:tests/programs/%.cc=$(BUILD)/programs/%)
# External plugins: the example of the README, and the misbehaving ones the tests load.
PLUGIN_SOS := $(BUILD)/plugins/examples/loadavg.so \
	      $(foreach b,FAIL HANG ABI1 NONE,$(BUILD)/tests/plugins/misbehave_$(b).so)

HWTRACE := $(BUILD)/hwtrace

.PHONY: all test test-bins unit e2e demo bench bench-patch bench-export fuzz fuzz-replay clean deps \
	programs format api inproc sqlite
all: $(HWTRACE) $(PLUGIN_SOS) api inproc

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libhwtrace.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# -rdynamic: external plugins (-P x.so) call the host's functions (hwt_host_*) in this binary.
# The entry patcher too: `hwtrace list PROG` asks it which functions it would take.
$(HWTRACE): $(CLI_OBJS) $(BUILD)/libhwtrace.a $(INPROC_PATCH_OBJS)
	$(CC) $(LDFLAGS) -rdynamic -o $@ $(CLI_OBJS) $(INPROC_PATCH_OBJS) $(BUILD)/libhwtrace.a $(LIBS)

# test_progapi runs libhwtrace and the recorder's drain in one process.
$(BUILD)/tests/test_progapi: tests/unit/test_progapi.c $(BUILD)/libhwtrace.a $(BUILD)/lib/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/lib/libhwtrace.a \
		$(BUILD)/libhwtrace.a $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libhwtrace.a $(LDFLAGS) \
		$(CHECK_LIBS) $(LIBS)

# Test programs: known call counts and frame pointers in every function (GCC 12 drops them in
# leaf functions at -O1 even with -mno-omit-leaf-frame-pointer), so the truth is in the source.
PROG_CFLAGS := -O0 -g -fno-omit-frame-pointer -pthread
$(BUILD)/programs/%: tests/programs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $< -lm
$(BUILD)/programs/%: tests/programs/%.cc
	@mkdir -p $(dir $@)
	$(CXX) $(PROG_CFLAGS) -o $@ $<

# Optimized programs: frameless leaves (GCC 12 drops a leaf's frame pointer at -O1 and above
# even with -fno-omit-frame-pointer) and inlined library code, as distro programs have them.
OPT_CFLAGS := -g -fno-omit-frame-pointer
PROG_BINS += $(BUILD)/programs/leaf_o1 $(BUILD)/programs/leaf_o2 $(BUILD)/programs/stl_o2 \
	     $(BUILD)/programs/tailcall_o2 $(BUILD)/programs/cold_o2 $(BUILD)/programs/clones_o2 \
	     $(BUILD)/programs/tailcall_cxx_o2 $(BUILD)/programs/effects_o2
$(BUILD)/programs/leaf_o%: tests/programs/opt/leaf.c
	@mkdir -p $(dir $@)
	$(CC) -O$* $(OPT_CFLAGS) -o $@ $<
# Tail jumps (direct and indirect), a function whose return is in its .cold part, .isra/.constprop/
# .part clones: -O2 makes them.
$(BUILD)/programs/%_o2: tests/programs/opt/%.c
	@mkdir -p $(dir $@)
	$(CC) -O2 $(OPT_CFLAGS) -o $@ $<
$(BUILD)/programs/effects_o2: tests/programs/effects.c
$(BUILD)/programs/tailcall_cxx_o2: tests/programs/opt/tailcall.c
	@mkdir -p $(dir $@)
	$(CXX) -x c++ -O2 $(OPT_CFLAGS) -o $@ $<
$(BUILD)/programs/stl_o2: tests/programs/opt/stl.cc
	@mkdir -p $(dir $@)
	$(CXX) -O2 $(OPT_CFLAGS) -o $@ $<

# hot3 whose tiny() is probed single-stepped (~10 us a call here), as on hosts where any trap
# costs that much (t_compensate).
PROG_BINS += $(BUILD)/programs/hot3_stepped
$(BUILD)/programs/hot3_stepped: tests/programs/hot3.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -DHOT3_STEPPED -o $@ $<

# Compresses with zlib, parses and writes files (tag rules, t_tags).
$(BUILD)/programs/tagged: tests/programs/tagged.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -o $@ $< -lz

# A static program: nothing can be preloaded into it (-b inproc traces it with uprobes).
PROG_BINS += $(BUILD)/programs/fib_static
$(BUILD)/programs/fib_static: tests/programs/fib.c
	@mkdir -p $(dir $@)
	$(CC) $(PROG_CFLAGS) -static -o $@ $<

programs: $(PROG_BINS)

$(BUILD)/plugins/examples/%.so: plugins/examples/%.c include/hwtrace/plugin.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -shared -fPIC -Iinclude -o $@ $<
$(BUILD)/tests/plugins/misbehave_%.so: tests/plugins/misbehave.c include/hwtrace/plugin.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -shared -fPIC -Iinclude \
		-DBEHAVE=$* -o $@ $<

# libhwtrace, the in-program API (include/hwtrace.h): needs nothing beyond libc, exports only
# its hwt__* entry points. build/libhwtrace.a is the core's archive; this one lives in lib/.
API_SRCS := $(wildcard lib/*.c)
API_OBJS := $(API_SRCS:%.c=$(BUILD)/api/%.o)
API_CFLAGS := -O2 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -Iinclude -MMD -MP -fPIC \
	-fvisibility=hidden $(SANFLAGS)
API_LIBS := $(BUILD)/lib/libhwtrace.so $(BUILD)/lib/libhwtrace.a
$(BUILD)/api/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(API_CFLAGS) -c $< -o $@
$(BUILD)/lib/libhwtrace.a: $(API_OBJS)
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^
$(BUILD)/lib/libhwtrace.so: $(API_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libhwtrace.so -Wl,-z,defs $(LDFLAGS) -o $@ $^ -pthread
-include $(API_OBJS:.o=.d)
api: $(API_LIBS)

# The inproc runtime (lib/inproc/), preloaded into programs that -b inproc traces: libc, libelf and
# capstone only, everything hidden but what it interposes; never sanitized (a preloaded ASan
# library needs the program built with ASan too).
INPROC_SRCS := $(wildcard lib/inproc/*.c) core/elffuncs.c core/funcsel.c core/ifunc.c \
	core/util.c core/openfile.c core/error.c core/format/inproc_format.c \
	core/format/uprobe_format.c
INPROC_ASM := $(wildcard lib/inproc/*.S)
INPROC_OBJS := $(INPROC_SRCS:%.c=$(BUILD)/inproc/%.o) $(INPROC_ASM:%.S=$(BUILD)/inproc/%.o)
INPROC_SO := $(BUILD)/lib/libhwtrace-inproc.so
INPROC_CFLAGS := -O2 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -I. -Iinclude -MMD -MP -fPIC \
	-fvisibility=hidden -fno-omit-frame-pointer $(PKG_CFLAGS)
$(BUILD)/inproc/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(INPROC_CFLAGS) -c $< -o $@
$(BUILD)/inproc/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) $(INPROC_CFLAGS) -c $< -o $@
$(INPROC_SO): $(INPROC_OBJS)
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,libhwtrace-inproc.so -Wl,-z,defs -o $@ $^ -lelf -lcapstone \
		-ldl -pthread
-include $(INPROC_OBJS:.o=.d)
# Built once the patcher (lib/inproc/patch.c) is in the tree.
inproc: $(if $(wildcard lib/inproc/patch.c),$(INPROC_SO))

# Programs that use libhwtrace: the C ones link the archive, the C++ ones the shared library;
# built as strict ISO C11 and C++11, so that include/hwtrace.h stays clean there.
API_PROG_CFLAGS := $(PROG_CFLAGS) -Iinclude -Wall -Wextra -pedantic -Werror $(SANFLAGS)
$(BUILD)/programs/api_%: tests/programs/api_%.c $(BUILD)/lib/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(API_PROG_CFLAGS) -o $@ $< $(BUILD)/lib/libhwtrace.a
$(BUILD)/programs/api_%: tests/programs/api_%.cc $(BUILD)/lib/libhwtrace.so
	@mkdir -p $(dir $@)
	$(CXX) -std=c++11 $(API_PROG_CFLAGS) -o $@ $< -L$(BUILD)/lib -lhwtrace \
		-Wl,-rpath,'$$ORIGIN/../lib'

# lib/inproc's entry patcher, built as the preloaded runtime links it (PIC, hidden symbols,
# capstone; core/util.c and core/error.c for hwt_idmap, HWT_ARRAY_GROW, hwt_error_from_errno).
# (INPROC_PATCH_OBJS and the rules of $(BUILD)/inproc/ are the runtime's, above.)

# Its unit test patches functions of its own, built each way the prologues differ: -O0/-O2,
# with and without frame pointers, with and without endbr64; -rdynamic: it reads their sizes.
PT_VARIANTS := O0_fp O0_cet O2_fp O2_nofp O2_cet
PT_FLAGS_O0_fp := -O0 -fno-omit-frame-pointer -fcf-protection=none
PT_FLAGS_O0_cet := -O0 -fno-omit-frame-pointer -fcf-protection=full
PT_FLAGS_O2_fp := -O2 -fno-omit-frame-pointer -fcf-protection=none
PT_FLAGS_O2_nofp := -O2 -fomit-frame-pointer -fcf-protection=none
PT_FLAGS_O2_cet := -O2 -fomit-frame-pointer -fcf-protection=full
PT_OBJS := $(PT_VARIANTS:%=$(BUILD)/tests/patch/targets_%.o) $(BUILD)/tests/patch/asm.o \
	   $(BUILD)/tests/patch/cxx.o
$(BUILD)/tests/patch/targets_%.o: tests/unit/patch_targets.c tests/unit/patch_targets.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -g -Wall -Werror -I. $(PT_FLAGS_$*) -DVARIANT=$* -c $< -o $@
$(BUILD)/tests/patch/asm.o: tests/unit/patch_asm.S
	@mkdir -p $(dir $@)
	$(CC) -g -c $< -o $@
$(BUILD)/tests/patch/cxx.o: tests/unit/patch_cxx.cc tests/unit/patch_targets.h
	@mkdir -p $(dir $@)
	$(CXX) -O2 -g -Wall -Werror -I. -c $< -o $@
$(BUILD)/tests/test_patch: tests/unit/test_patch.c $(PT_OBJS) $(INPROC_PATCH_OBJS) \
			   $(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit -rdynamic -o $@ $< $(PT_OBJS) \
		$(INPROC_PATCH_OBJS) $(BUILD)/libhwtrace.a $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

# The same test on the patcher built without capstone (-DHWT_PATCH_NO_CAPSTONE: our decoder
# alone), as a runtime that must not load libcapstone into the traced program would be.
INPROC_NOCS_OBJS := $(patsubst %,$(BUILD)/inproc-nocs/lib/inproc/%.o,patch reloc shadow insn_len \
	tramp)
$(BUILD)/inproc-nocs/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(API_CFLAGS) -DHWT_PATCH_NO_CAPSTONE -c $< -o $@
$(BUILD)/inproc-nocs/%.o: %.S
	@mkdir -p $(dir $@)
	$(CC) -g -MMD -MP -c $< -o $@
-include $(INPROC_NOCS_OBJS:.o=.d)
UNIT_BINS += $(BUILD)/tests/test_patch_nocs
$(BUILD)/tests/test_patch_nocs: tests/unit/test_patch.c $(PT_OBJS) $(INPROC_NOCS_OBJS) \
				$(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -Itests/unit -rdynamic -o $@ $< $(PT_OBJS) \
		$(INPROC_NOCS_OBJS) $(BUILD)/libhwtrace.a $(LDFLAGS) $(CHECK_LIBS) $(LIBS)

# The patcher's figures: ns per patched call, ms to patch 10,000 generated functions.
#   make bench-patch
$(BUILD)/bench/bench_patch_many.c:
	@mkdir -p $(dir $@)
	awk 'BEGIN { for (i = 0; i < 10000; i++) printf "int bpm_%d(int x) { return x * %d + 1; }\n", i, i; \
		printf "int (*const bpm_fns[10000])(int) = {"; \
		for (i = 0; i < 10000; i++) printf "bpm_%d,", i; print "};" }' >$@
$(BUILD)/bench/bench_patch: tests/bench/bench_patch.c $(BUILD)/bench/bench_patch_many.c \
			    $(INPROC_PATCH_OBJS) $(BUILD)/libhwtrace.a
	$(CC) -O0 -fno-omit-frame-pointer -c $(BUILD)/bench/bench_patch_many.c -o $(BUILD)/bench/bench_patch_many.o
	$(CC) $(CFLAGS) -rdynamic -o $@ $< $(BUILD)/bench/bench_patch_many.o $(INPROC_PATCH_OBJS) \
		$(BUILD)/libhwtrace.a $(LDFLAGS) $(LIBS)
bench-patch: $(BUILD)/bench/bench_patch
	$(BUILD)/bench/bench_patch

# The exporters' own cost, decoding left out: each format over a recording held in memory.
#   make bench-export BENCH_TRACE=big.hwt
$(BUILD)/bench/bench_export: tests/bench/bench_export.c $(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libhwtrace.a $(LDFLAGS) $(LIBS)
bench-export: $(BUILD)/bench/bench_export
	$(BUILD)/bench/bench_export $(BENCH_TRACE)

# The Intel PT test oracle: single-steps a program and writes what ran as PT packets and truth.
ORACLE_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(wildcard tests/oracle/*.c))
$(BUILD)/oracle/pt_oracle: $(ORACLE_OBJS) $(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(ORACLE_OBJS) $(BUILD)/libhwtrace.a $(LIBS)
-include $(ORACLE_OBJS:.o=.d)

# The suites one per CPU (UNIT_JOBS=1: one at a time), each one's output whole.
unit: $(UNIT_BINS)
	@bash tests/unit/run.sh $(UNIT_BINS)

e2e: $(HWTRACE) $(PROG_BINS) $(BUILD)/oracle/pt_oracle $(PLUGIN_SOS) inproc sqlite
	@HWTRACE=$(abspath $(HWTRACE)) PROGS=$(abspath $(BUILD)/programs) SQLITE_DIR=$(SQLITE_DIR) \
		bash tests/e2e/run.sh

# The SQLite programs (ci/sqlite.sh: fetched once with npm into .cache/, minutes to compile the
# first time), built before the tests and the bench so that no test waits for a compiler. Where
# npm cannot fetch it, this says why and the tests that need it skip. They are plain programs,
# whatever the build (SAN=1 too): one folder beside the source in .cache/ serves every build. The
# tests need two flavours; the bench builds the other two (-O2 and -pg) when it runs.
SQLITE_DIR := $(abspath .cache)/sqlite/bin
sqlite:
	@bash ci/sqlite.sh $(SQLITE_DIR) noinline count || [ $$? -eq 2 ]

test: unit e2e fuzz-replay

deps:
	@bash ci/deps.sh

demo: deps
	@$(MAKE) --no-print-directory $(HWTRACE) $(BUILD)/programs/demo $(BUILD)/programs/fib
	@bash ci/demo.sh $(HWTRACE) $(BUILD)/programs/demo

bench: $(HWTRACE) $(PROG_BINS) $(BUILD)/oracle/pt_oracle inproc sqlite
	@bash ci/deps.sh --bench
	@HWTRACE=$(abspath $(HWTRACE)) PROGS=$(abspath $(BUILD)/programs) SQLITE_DIR=$(SQLITE_DIR) \
		bash tests/bench/run.sh

# Fuzzing: clang's libFuzzer over every reader of outside data, FUZZ_SECONDS per target in one
# uninterrupted run each, FUZZ_JOBS targets at a time (tests/fuzz/run.sh prints executions per
# target). New inputs go to build-fuzz/corpus/TARGET, the committed seeds and regression inputs
# are tests/fuzz/corpus/TARGET; a crash is written to build-fuzz/crash-TARGET-*.
FUZZ_SECONDS ?= 600
FUZZ_JOBS ?= 1
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_NAMES := $(FUZZ_SRCS:tests/fuzz/%.c=%)
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang \
		CFLAGS="-O1 -g -fsanitize=fuzzer-no-link,address,undefined" \
		build-fuzz/libhwtrace.a
	@for n in $(FUZZ_NAMES); do \
		clang -O1 -g -D_GNU_SOURCE -I. -Iinclude $(PKG_CFLAGS) \
			-fsanitize=fuzzer,address,undefined tests/fuzz/$$n.c \
			build-fuzz/libhwtrace.a -o build-fuzz/$$n $(LIBS) || exit 1; \
	done
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) bash tests/fuzz/run.sh $(FUZZ_NAMES)

# The corpora replayed on this build (ASan and UBSan with SAN=1): each target's input handed to
# it once by tests/fuzz/replay.c, no libFuzzer or clang needed. Part of make test.
FUZZ_REPLAYS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)
$(BUILD)/fuzz/%: $(BUILD)/tests/fuzz/%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libhwtrace.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/tests/fuzz/replay.o $(BUILD)/libhwtrace.a $(LIBS)
fuzz-replay: $(FUZZ_REPLAYS)
	@fail=0; for n in $(FUZZ_NAMES); do \
		printf '%s: ' $$n; \
		$(BUILD)/fuzz/$$n tests/fuzz/corpus/$$n || { echo "FAIL $$n"; fail=1; }; \
	done; [ $$fail -eq 0 ]
-include $(FUZZ_NAMES:%=$(BUILD)/tests/fuzz/%.d) $(BUILD)/tests/fuzz/replay.d

# Everything `make test` runs, built (make -j2 test-bins, then make test: the tests one at a time).
test-bins: $(UNIT_BINS) $(HWTRACE) $(PROG_BINS) $(BUILD)/oracle/pt_oracle $(PLUGIN_SOS) inproc sqlite \
	$(FUZZ_REPLAYS)

format:
	clang-format -i $(LIB_SRCS) $(API_SRCS) $(CLI_SRCS) $(UNIT_SRCS) $(wildcard */*.h */*/*.h)

clean:
	rm -rf build build-san build-fuzz

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d) $(UNIT_BINS:=.d)

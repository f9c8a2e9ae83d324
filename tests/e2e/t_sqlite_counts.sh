# SQLite-sized real program: ci/sqlite.sh builds the amalgamation better-sqlite3 ships with a
# fixed workload (tests/programs/sqlite/work.c) twice from the same source and flags: once
# plain (sqlite-noinline: -O2 with inlining and cloning off, so every call in the source is a
# call in the binary) and once with -finstrument-functions and a counting hook (sqlite-count),
# which writes the exact number of calls of every function. Recorded with the backend
# $HWT_BACKEND (default uprobe; the in-process backend runs the same test), the traced program
# must give exactly those counts for every function of its symbol table, as `go tool pprof`
# reads them from the calls view, and print what it prints untraced. A function the hooks count
# but the traced binary has no symbol for was inlined there (here one: allocateSpace, which
# SQLite marks always_inline; its inlined copies still call the hooks): it is listed, not
# compared.
#
# ROWS is sized for uprobe hits of up to 12 us: ~50 k calls in all. ci/sqlite.sh fetches the
# package once with npm into a cache; without npm or a registry the test says so and passes
# (SKIP), as there is nothing to test.
need go python3 nm

BACKEND=${HWT_BACKEND:-uprobe}
ROWS=150
root=$(cd "$(dirname "$E2E_LIB")/../.." && pwd)
dir=${SQLITE_DIR:-$(dirname "$PROGS")/sqlite}

bash "$root/ci/sqlite.sh" "$dir" noinline count >build.log 2>&1
rc=$?
if [ $rc -eq 2 ]; then
	echo "# SKIP: $(tail -n 1 build.log)"
	finish
fi
[ $rc -eq 0 ] || fail "ci/sqlite.sh failed: $(tail -n 5 build.log)"

note "the truth: -finstrument-functions counts"
HWT_CALL_COUNTS=$PWD/counts.txt "$dir/sqlite-count" $ROWS >count.out ||
	fail "sqlite-count failed"
"$dir/sqlite-noinline" $ROWS >plain.out || fail "sqlite-noinline failed"
cmp -s count.out plain.out || err "sqlite-count and sqlite-noinline print different results"
nm --defined-only "$dir/sqlite-count" >count.nm || fail "nm cannot read sqlite-count"
nm --defined-only "$dir/sqlite-noinline" >plain.nm || fail "nm cannot read sqlite-noinline"

note "recorded with -b $BACKEND"
hw_ok record -q -b "$BACKEND" -o sq.hwt -- "$dir/sqlite-noinline" $ROWS
cmp -s hw.out plain.out || err "the traced program printed '$(head -c 200 hw.out)', want '$(head -c 200 plain.out)'"
lost=$(info_field sq.hwt lost)
[ "${lost%% *}" = 0 ] || err "info says lost '$lost'"
hw_ok export --view calls -o sq.pb.gz sq.hwt
go tool pprof -symbolize=none -sample_index=calls -nodecount=100000 -nodefraction=0 \
	-edgefraction=0 -top sq.pb.gz >sq.top \
	2>pprof.err || fail "go tool pprof -top cannot read sq.pb.gz: $(head -c 300 pprof.err)"

py '
import sys
counts_path, count_nm, plain_nm, top = sys.argv[1:5]

def text_symbols(path):
    """address -> name, and the set of names, of the functions nm lists (t/T/W)."""
    by_addr, names = {}, set()
    for line in open(path):
        f = line.split()
        if len(f) == 3 and f[1] in "tTwW":
            by_addr.setdefault(int(f[0], 16), f[2])
            names.add(f[2])
    return by_addr, names

count_syms, _ = text_symbols(count_nm)
_, plain_names = text_symbols(plain_nm)
truth = {}
for line in open(counts_path):
    off, n = line.split()
    name = count_syms.get(int(off, 16), off)
    truth[name] = truth.get(name, 0) + int(n)

traced = {}
for line in open(top):
    f = line.split()
    # flat flat% sum% cum cum% name
    if len(f) == 6 and f[1].endswith("%") and f[4].endswith("%"):
        traced[f[5]] = int(f[0])

ours = plain_names & (set(truth) | set(traced))
inlined = sorted(set(truth) - plain_names)
print("# %d calls of %d functions counted by -finstrument-functions; %d calls of %d traced"
      % (sum(truth.values()), len(truth), sum(traced.values()), len(traced)))
print("# compared: %d functions of the traced binary; counted but absent from it (inlined): %d %s"
      % (len(ours), len(inlined), inlined[:10]))
bad = sorted(f for f in ours if truth.get(f, 0) != traced.get(f, 0))
for f in bad[:40]:
    print("# %-40s counted %8d  traced %8d" % (f, truth.get(f, 0), traced.get(f, 0)))
check(not bad, "%d functions whose traced count differs from -finstrument-functions" % len(bad))
check(sum(truth.values()) > 20000, "only %d calls: the workload is too small to mean much"
      % sum(truth.values()))
done()
' counts.txt count.nm plain.nm sq.top || err "call counts (see above)"
finish

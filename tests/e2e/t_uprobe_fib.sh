# fib.c computes fib(25) by plain recursion: fib is called exactly 2*fib(26)-1 = 242,785 times,
# nested at most 25 deep, under one main. Recorded with -b uprobe (every call and return), each
# output must hold exactly that: go tool pprof's calls view (fib's flat count), the Perfetto
# trace decoded by protoc against tests/perfetto/trace_subset.proto and read by pftrace.py
# (SLICE_BEGIN events whose interned name is fib, and the nesting per track), the Chrome JSON
# read by python3 (B/E/X per thread, exactly nested) and `hwtrace report`.
BACKEND=${BACKEND:-uprobe} # t_inproc_fib.sh runs this file with -b inproc
need protoc go python3


CALLS=242785
DEPTH=25

hw_ok record -q -b "$BACKEND" -o fib.hwt -- "$PROGS/fib" 25
[ "$(cat hw.out)" = 75025 ] || err "fib 25 printed '$(head -c 100 hw.out)', want 75025"
[ "$(info_field fib.hwt status)" = complete ] || err "info status is not complete"
# fib starts no process: the recorder's own clean-up child (uprobe detach) is not its tree.
hw_ok info fib.hwt
grep -q 'processes it started' hw.out && err "info says fib started processes: $(grep -m1 started hw.out)"
lost=$(info_field fib.hwt lost)
[ "${lost%% *}" = 0 ] || err "info says lost '$lost': fib 25 fits the default ring"
[ "$(info_field fib.hwt slices)" = $((CALLS + 1)) ] ||
	err "info says slices '$(info_field fib.hwt slices)', want $((CALLS + 1)) (fib and main)"

note "pprof (calls view)"
hw_ok export --view calls -o fib.pb.gz fib.hwt
go tool pprof -symbolize=none -sample_index=calls -nodecount=100000 -top fib.pb.gz >fib.top \
	2>pprof.err || fail "go tool pprof -top cannot read fib.pb.gz: $(head -c 300 pprof.err)"
py '
import sys
calls = int(sys.argv[2])
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    # flat flat% sum% cum cum% name
    if len(f) == 6 and f[1].endswith("%") and f[4].endswith("%"):
        rows[f[5]] = (f[0], f[3])
print("# pprof -top -sample_index=calls: %s" % rows)
check(rows.get("fib", ("",))[0] == str(calls),
      "pprof: fib has flat %s calls, want %d" % (rows.get("fib", ("none",))[0], calls))
check(rows.get("main", ("",))[0] == "1", "pprof: main has flat %s calls, want 1"
      % rows.get("main", ("none",))[0])
done()
' fib.top "$CALLS" || err "pprof calls view (see above)"

note "perfetto"
hw_ok export -o fib.pftrace fib.hwt
pf_decode fib.pftrace fib.txt
py '
import sys, collections, pftrace
path, calls, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# Read as Perfetto does (names interned per sequence, incremental times, default tracks) and
# checked against its rules (every SLICE_END closes a begin on its track) by pftrace.
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
begins = collections.Counter(s[0] for sl in t.slices.values() for s in sl)
maxfib = 0
for sl in t.slices.values():
    for name, start, end, d, args in sl:
        if name == "fib":
            maxfib = max(maxfib, d - 1)            # under main
print("# perfetto: SLICE_BEGIN per name %s, fib nested %d deep" % (dict(begins), maxfib))
check(begins["fib"] == calls, "perfetto: %d SLICE_BEGIN named fib, want %d" % (begins["fib"], calls))
check(begins["main"] == 1, "perfetto: %d SLICE_BEGIN named main, want 1" % begins["main"])
check(set(begins) == {"fib", "main"}, "perfetto: slices named %s" % sorted(begins))
check(maxfib == depth, "perfetto: fib nested %d deep, want %d" % (maxfib, depth))
check(all(s[0] == "main" for sl in t.slices.values() for s in sl if s[3] == 1),
      "perfetto: an outermost slice is not main")
check(not t.open, "perfetto: slices left open: %s" % t.summary()["open_slices"])
done()
' fib.txt "$CALLS" "$DEPTH" || err "perfetto slices (see above)"

note "chrome"
hw_ok export -o fib.json fib.hwt
py "$CHROME_SLICES"'
import sys
path, calls, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
slices, _, left_open = chrome_slices(path)
check(not left_open, "chrome: slices left open: %s" % left_open)
check(len(slices) == 1, "chrome: slices on %d threads, want 1" % len(slices))
for k, sl in slices.items():
    fibs = [s for s in sl if s["name"] == "fib"]
    mains = [s for s in sl if s["name"] == "main"]
    deepest = max(s["depth"] for s in fibs) if fibs else 0
    print("# chrome: thread %s: %d fib, %d main, fib nested %d deep under main" %
          (k, len(fibs), len(mains), deepest - 1))
    check(len(fibs) == calls, "chrome: %d fib slices, want %d" % (len(fibs), calls))
    check(len(mains) == 1 and mains[0]["depth"] == 1, "chrome: main is not the one outermost slice")
    check(deepest - 1 == depth, "chrome: fib nested %d deep, want %d" % (deepest - 1, depth))
    check(all(s["stack"][0] == "main" and set(s["stack"][1:]) <= {"fib"} for s in fibs),
          "chrome: a fib slice is not under main;fib;...")
    check(len(sl) == calls + 1, "chrome: %d slices, want %d" % (len(sl), calls + 1))
done()
' fib.json "$CALLS" "$DEPTH" || err "chrome slices (see above)"

note "report"
hw_ok report fib.hwt
sed 's/^/  /' hw.out
awk '$NF == "fib" { print $(NF - 1) }' hw.out >fib.calls
[ "$(cat fib.calls)" = "$CALLS" ] || err "report says '$(cat fib.calls)' calls of fib, want $CALLS"
grep -q "^# $((CALLS + 1)) calls of 2 functions in 1 thread" hw.out ||
	err "report's header does not say $((CALLS + 1)) calls of 2 functions in 1 thread"
finish

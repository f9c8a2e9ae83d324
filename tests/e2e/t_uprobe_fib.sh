# fib.c computes fib(25) by plain recursion: fib is called exactly 2*fib(26)-1 = 242,785 times,
# nested at most 25 deep, under one main. Recorded with -b uprobe (every call and return), each
# output must hold exactly that: go tool pprof's calls view (fib's flat count), the Perfetto
# trace read by protoc --decode_raw (SLICE_BEGIN events whose interned name is fib, and the
# nesting per track), the Chrome JSON read by python3 (B/E/X per thread, exactly nested) and
# `hwtrace report`.
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
decode_raw fib.pftrace fib.txt
# The generic parser of lib.sh builds the whole tree (10 s for this trace); this one streams.
py '
import sys, collections
path, calls, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def track_events(path):
    """(type, track_uuid, name) of every TrackEvent (TracePacket 11: 9 type, 11 track_uuid,
    23 name or 10 name_iid), names resolved through the interned EventNames (TracePacket 12:
    2 {1 iid, 2 name}) of the packet sequence (TracePacket 10), which are dropped when a
    packet says SEQ_INCREMENTAL_STATE_CLEARED (TracePacket 13, bit 1)."""
    names = collections.defaultdict(dict)
    at, pkt = [], None
    with open(path, encoding="latin-1") as f:
        for line in f:
            s = line.strip()
            if s.endswith("{"):
                at.append(s[:-2])
                if len(at) == 1:
                    pkt = dict(seq=0, flags=0, te=None, names=[])
                elif len(at) == 2 and at[1] == "11":
                    pkt["te"] = {}
                elif len(at) == 3 and at[1:] == ["12", "2"]:
                    pkt["names"].append({})
                continue
            if s == "}":
                if len(at) == 1:
                    seq = pkt["seq"]
                    if pkt["flags"] & 1:
                        names[seq] = {}
                    for n in pkt["names"]:
                        names[seq][n.get("1")] = _value(n.get("2", "\"\""))
                    te = pkt["te"]
                    if te is not None:
                        name = _value(te["23"]) if "23" in te else names[seq].get(te.get("10"))
                        yield int(te.get("9", 0)), te.get("11"), name
                at.pop()
                continue
            num, _, val = s.partition(": ")
            if len(at) == 1 and num in ("10", "13"):
                pkt["seq" if num == "10" else "flags"] = int(val)
            elif len(at) == 2 and at[1] == "11":
                pkt["te"][num] = val
            elif len(at) == 3 and at[1:] == ["12", "2"]:
                pkt["names"][-1][num] = val

begins = collections.Counter()
stacks = collections.defaultdict(list)
nfib = collections.Counter()                       # fib slices open per track
maxfib = 0
for typ, track, name in track_events(path):
    st = stacks[track]
    if typ == 1:                                   # TYPE_SLICE_BEGIN
        begins[name] += 1
        st.append(name)
        if name == b"fib":
            nfib[track] += 1
            maxfib = max(maxfib, nfib[track])
    elif typ == 2:                                 # TYPE_SLICE_END
        if check(st, "perfetto: SLICE_END with no slice open on track %s" % track):
            nfib[track] -= st.pop() == b"fib"
print("# perfetto: SLICE_BEGIN per name %s, fib nested %d deep" % (dict(begins), maxfib))
check(begins[b"fib"] == calls, "perfetto: %d SLICE_BEGIN named fib, want %d" % (begins[b"fib"], calls))
check(begins[b"main"] == 1, "perfetto: %d SLICE_BEGIN named main, want 1" % begins[b"main"])
check(set(begins) == {b"fib", b"main"}, "perfetto: slices named %s" % sorted(begins))
check(maxfib == depth, "perfetto: fib nested %d deep, want %d" % (maxfib, depth))
for t, st in stacks.items():
    check(not st, "perfetto: track %s ends with %d slices open" % (t, len(st)))
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

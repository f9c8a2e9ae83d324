# The Perfetto export against Perfetto's own schema and rules, on programs whose calls are known:
# fib 20 (fib called exactly 2*fib(21)-1 = 21,891 times, nested 20 deep under one main) and work8
# (8 threads, each calling work() 1,000 times inside its worker(); a "thread" flow from main to
# each), recorded with -b inproc and fib also with -b uprobe. Each trace must decode with protoc
# --decode=perfetto.protos.Trace against tests/perfetto/trace_subset.proto (every field named by
# the schema) and pass tests/perfetto/pftrace.py's rules (interning per sequence since its state
# was cleared, incremental timestamps, described tracks, every begin ended on its track).
# Rebuilt, its slices must be exactly those of the Chrome JSON export (python3 json): per thread,
# the same names, begin and end times to the nanosecond. Under -b inproc (calls a few hundred ns
# apart on any host) the file holds at most 14 bytes per slice begin or end, counted from the
# decoded trace.
need protoc python3

FIB_CALLS=21891
FIB_DEPTH=20

# COMPARE: python for py snippets. compare(pftrace_text, chrome_json, pid) checks the rules and
# that both exports hold the same slices; returns (trace, slices per (pid, tid)).
COMPARE='
import collections, os, pftrace
from decimal import Decimal

def chrome_threads(path):
    with open(path) as f:
        d = json.load(f, parse_float=Decimal)
    per, open_ = collections.defaultdict(list), collections.defaultdict(list)
    for e in (d["traceEvents"] if isinstance(d, dict) else d):
        ph, k = e.get("ph"), (e.get("pid"), e.get("tid"))
        if e.get("cat") == "flow":
            continue  # an anchor Chrome needs for a flow, not a slice of the program
        if ph == "B":
            s = [e["name"], int(Decimal(e["ts"]) * 1000), None]
            open_[k].append(s)
            per[k].append(s)
        elif ph == "E" and open_[k]:
            open_[k].pop()[2] = int(Decimal(e["ts"]) * 1000)
        elif ph == "X":
            t0 = int(Decimal(e["ts"]) * 1000)
            per[k].append([e["name"], t0, t0 + int(Decimal(e["dur"]) * 1000)])
    return {k: sorted(map(tuple, v)) for k, v in per.items()}

def compare(txt, js, pid, what):
    t = pftrace.load(txt)
    for e in t.errors:
        err("%s: %s" % (what, e))
    check(not t.open, "%s: slices left open: %s" % (what, t.summary()["open_slices"]))
    pf = {}
    for uuid, sl in t.slices.items():
        k = t.owner(uuid)
        check(k not in pf, "%s: two tracks of thread %s" % (what, k))
        pf[k] = sorted((s[0], s[1], s[2]) for s in sl)
    ch = chrome_threads(js)
    check(set(pf) == set(ch), "%s: slices on threads %s, chrome has %s" % (what, sorted(pf),
                                                                          sorted(ch)))
    for k in ch:
        a, b = pf.get(k, []), ch[k]
        if not check(a == b, "%s: thread %s: %d slices, chrome %d; first difference %s" % (what,
                     k, len(a), len(b), next(((x, y) for x, y in zip(a, b) if x != y), None))):
            break
    check(all(k[0] == pid for k in pf), "%s: slices of pids %s, the program is %d"
          % (what, sorted(set(k[0] for k in pf)), pid))
    # One sequence per thread with events, and the main one.
    check(len(t.sequences) == len(pf) + 1, "%s: %d packet sequences for %d threads"
          % (what, len(t.sequences), len(pf)))
    return t, {k: [s for s in t.slices[u]] for u in t.slices for k in [t.owner(u)]}

def per_event(path, t):
    return os.path.getsize(path) / max(t.slice_events, 1)
'

for backend in inproc uprobe; do
	note "fib 20, -b $backend"
	hw_ok record -q -b "$backend" -o fib-$backend.hwt -- "$PROGS/fib" "$FIB_DEPTH"
	[ "$(cat hw.out)" = 6765 ] || err "fib 20 printed '$(head -c 100 hw.out)', want 6765"
	pid=$(info_field fib-$backend.hwt pid)
	hw_ok export -o fib-$backend.pftrace fib-$backend.hwt
	hw_ok export -o fib-$backend.json fib-$backend.hwt
	pf_decode fib-$backend.pftrace fib-$backend.txt
	py "$COMPARE"'
import sys
pt, txt, js, pid, calls, depth, backend = sys.argv[1:8]
pid, calls, depth = int(pid), int(calls), int(depth)
t, slices = compare(txt, js, pid, "fib -b " + backend)
check(list(slices) == [(pid, pid)], "fib: slices on threads %s, want only %d" % (list(slices), pid))
sl = slices.get((pid, pid), [])
names = collections.Counter(s[0] for s in sl)
check(names == {"fib": calls, "main": 1}, "fib: slices %s, want fib %d and main 1" % (dict(names),
                                                                                    calls))
check(max((s[3] for s in sl), default=0) - 1 == depth, "fib: nested %d deep under main, want %d"
      % (max((s[3] for s in sl), default=0) - 1, depth))
check(t.slice_events == 2 * (calls + 1), "perfetto: %d slice events, want %d"
      % (t.slice_events, 2 * (calls + 1)))
b = per_event(pt, t)
print("# fib -b %s: %d bytes, %d slice events: %.2f bytes per slice event, %d sequences"
      % (backend, os.path.getsize(pt), t.slice_events, b, len(t.sequences)))
if backend == "inproc":
    check(b <= 14, "perfetto: %.2f bytes per slice event, want at most 14" % b)
done()
' fib-$backend.pftrace fib-$backend.txt fib-$backend.json "$pid" "$FIB_CALLS" "$FIB_DEPTH" \
		"$backend" || err "fib -b $backend: perfetto (see above)"
done

note "work8, -b inproc: 8 threads, a sequence each"
hw_ok record -q -b inproc -o w8.hwt -- "$PROGS/work8"
pid=$(info_field w8.hwt pid)
hw_ok export -o w8.pftrace w8.hwt
hw_ok export -o w8.json w8.hwt
pf_decode w8.pftrace w8.txt
py "$COMPARE"'
import sys
pt, txt, js, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
t, slices = compare(txt, js, pid, "work8")
work = {k: sum(s[0] == "work" for s in sl) for k, sl in slices.items()}
work = {k: n for k, n in work.items() if n}
check(len(work) == 8 and set(work.values()) == {1000} and (pid, pid) not in work,
      "work8: work slices per thread %s, want 1000 on each of 8 workers" % work)
for k, sl in slices.items():
    if k in work:
        check(all(s[3] == 2 for s in sl if s[0] == "work"), "work8: a work slice of %s is not "
              "directly inside worker()" % (k,))
# The thread flows (#15): from main to each worker it created, ids paired across sequences.
outs = {f: t.owner(u) for ts, u, n, a, fl, end in t.instants if n == "thread" for f in fl}
ins = {f: t.owner(u) for ts, u, n, a, fl, end in t.instants if n == "thread" for f in end}
check(len(outs) == 8 and set(outs) == set(ins) and set(outs.values()) == {(pid, pid)} and
      set(ins.values()) == set(work), "work8: thread flows out %s, in %s" % (outs, ins))
b = per_event(pt, t)
print("# work8: %d bytes, %d slice events: %.2f bytes per slice event, %d sequences"
      % (os.path.getsize(pt), t.slice_events, b, len(t.sequences)))
check(b <= 14, "perfetto: %.2f bytes per slice event, want at most 14" % b)
done()
' w8.pftrace w8.txt w8.json "$pid" || err "work8: perfetto (see above)"

finish

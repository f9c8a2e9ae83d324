# libhwtrace, the in-program API: api_demo (tests/programs/api_demo.c says what it does) recorded
# with -b sample. Every instant, counter value, object snapshot, span (with its arguments) and
# link of the program must be in the Chrome JSON (python3 json) and the Perfetto trace (protoc
# --decode against tests/perfetto/trace_subset.proto, read and checked by tests/perfetto/
# pftrace.py), with its values, in order, on the right threads; the child of fork() and its
# exec'ed image on the child's pid. Run without hwtrace, the program prints the same and writes
# nothing anywhere (strace). A burst larger than a ring: every event recorded or counted lost.
# With -b uprobe, spans nest among the traced calls. api_cxx: C++ through the shared library.
need python3 protoc strace

hw_ok record -q -b sample --freq 100 -o api.hwt -- "$PROGS/api_demo" fork
pid=$(info_field api.hwt pid)
[ -n "$pid" ] || fail "info has no pid"
[ "$(info_field api.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field api.hwt lost | cut -d' ' -f1)" = 0 ] || err "info: lost $(info_field api.hwt lost)"
[ "$(info_field api.hwt processes)" = 2 ] || err "info: processes $(info_field api.hwt processes)"
cp hw.out traced.out

# ---- not recorded: the same output, nothing written ------------------------------------------
strace -f -qq -o st.txt -e trace=openat,open,creat,memfd_create,write,writev,pwrite64,mmap \
	"$PROGS/api_demo" fork >bare.out 2>bare.err || fail "api_demo alone failed: $(cat bare.err)"
cmp -s bare.out traced.out || err "output differs: traced '$(cat traced.out)', alone '$(cat bare.out)'"
py '
import sys, re
lines = open(sys.argv[1]).read().splitlines()
writes = [l for l in lines if re.search(r"\b(write|writev|pwrite64)\(", l)]
check(writes and all(re.search(r"\b(write|writev|pwrite64)\(1,", l) for l in writes),
      "alone: writes to something other than stdout: %s" % [l for l in writes if "(1," not in l][:3])
check(not [l for l in lines if "memfd_create" in l], "alone: memfd_create called")
opened = [l for l in lines if re.search(r"\bopen(at)?\(|\bcreat\(", l)]
check(not [l for l in opened if re.search(r"O_WRONLY|O_RDWR|O_CREAT|creat\(", l)],
      "alone: files opened for writing: %s" % [l for l in opened if "O_WR" in l or "O_CREAT" in l][:3])
check(not [l for l in lines if "mmap(" in l and "MAP_SHARED" in l], "alone: shared memory mapped")
done()
' st.txt || err "api_demo alone wrote something (see above)"

# The values the program logs: the counter "queue" and its explicit logs (see api_demo.c).
EXPECT='
def expected_counters():
    attrs = ["depth", "bytes", "rate"]
    cur, logs = {}, {a: [] for a in attrs}
    def v(k):
        return float(k) if k % 3 == 0 else 10.0 * k if k % 3 == 1 else k / 4.0
    for k in range(1100):
        cur[attrs[k % 3]] = v(k)
        if k < 1000 or k % 10 == 9:
            for a in attrs:
                if a in cur:
                    logs[a].append(cur[a])
    return {"queue." + a: vals for a, vals in logs.items()}

def tick_args(i, pid):
    return dict(i=i, tid=pid, even=(i % 2 == 0), label="odd" if i % 2 else "even", x=i * 0.5)

def snapshot(s):
    return dict(step=s, pos=dict(x=s, y=[-s, s + 0.5], name="n\u00e9%d" % s), ok=s % 2 == 0)

def span_args(name, k, tid):
    """The arguments of the k-th span of @name (in start order) on its thread @tid."""
    if name == "batch":
        return dict(batch=k, tid=tid)
    if name == "step":
        d = 2 + k % 9
        return dict(depth=d, done=d * 10)
    return dict(n=k, tid=tid)

def inside(slices, name, depth, ts):
    """The slice of @slices named @name at @depth holding time @ts, or None."""
    for s in slices:
        if s["name"] == name and s["depth"] == depth and s["start"] <= ts <= s["end"]:
            return s
    return None
'

# ---- Chrome JSON ------------------------------------------------------------------------------
hw_ok export -o api.json api.hwt
py "$CHROME_SLICES$EXPECT"'
import sys, collections
path, pid = sys.argv[1], int(sys.argv[2])
events = load_chrome(path)
slices, instants, left_open = chrome_slices(path)
check(not left_open, "chrome: spans left open: %s" % left_open)

# Instants: 10,000 ticks on the main thread, in order, with their arguments.
ticks = [e for e in events if e.get("ph") == "i" and e.get("name") == "tick"]
check(len(ticks) == 10000, "chrome: %d ticks, want 10000" % len(ticks))
check(all((e["pid"], e["tid"]) == (pid, pid) for e in ticks), "chrome: ticks off the main thread")
for i, e in enumerate(ticks):
    a, want = e.get("args", {}), tick_args(i, pid)
    if not check(set(a) == set(want) and a["i"] == i and a["tid"] == pid and
                 bool(a["even"]) == want["even"] and a["label"] == want["label"] and
                 a["x"] == want["x"], "chrome: tick %d has args %s, want %s" % (i, a, want)):
        break
check(all(a["ts"] <= b["ts"] for a, b in zip(ticks, ticks[1:])), "chrome: ticks out of order")

# Counters: each attribute a track of the process, every logged value in order.
series = collections.defaultdict(list)
for e in events:
    if e.get("ph") == "C" and e.get("name", "").startswith("queue."):
        series[(e["name"], e["pid"])].append(e["args"]["value"])
want = expected_counters()
for name, vals in want.items():
    got = series.get((name, pid), [])
    check(got == vals, "chrome: %s of %d: %d values %s..., want %d %s..."
          % (name, pid, len(got), got[:5], len(vals), vals[:5]))
child_tracks = {k: v for k, v in series.items() if k[1] != pid}

# Spans: 10 batches of 9 nested steps on one thread, 10 consumes on another.
where = collections.defaultdict(collections.Counter)
for k, sl in slices.items():
    for s in sl:
        where[s["name"]][k] += 1
batch_t = [k for k, c in where["batch"].items()]
consume_t = [k for k, c in where["consume"].items()]
if check(len(batch_t) == 1 and len(consume_t) == 1, "chrome: batch on %s, consume on %s, want "
         "one thread each" % (batch_t, consume_t)):
    bt, ct = batch_t[0], consume_t[0]
    check(bt[0] == pid and ct[0] == pid and len({bt[1], ct[1], pid}) == 3,
          "chrome: batch on %s, consume on %s: want two threads of %d besides main" % (bt, ct, pid))
    check(where["batch"][bt] == 10 and where["step"] == {bt: 90} and where["consume"][ct] == 10,
          "chrome: spans per thread %s" % {n: dict(c) for n, c in where.items()})
    depths = collections.Counter(s["depth"] for s in slices[bt] if s["name"] == "step")
    check(depths == {d: 10 for d in range(2, 11)}, "chrome: step depths %s" % dict(depths))
    for s in slices[bt]:
        want_stack = ["batch"] + ["step"] * (s["depth"] - 2) if s["name"] == "step" else []
        if not check(s["stack"] == want_stack, "chrome: %s at depth %d under %s"
                     % (s["name"], s["depth"], s["stack"])):
            break

    # Arguments: those at the begin, the annotations (merged into B) and those at the end (E).
    seen = collections.Counter()
    for k in (bt, ct):
        stack = []
        for e in events:
            if (e.get("pid"), e.get("tid")) != k or e.get("ph") not in ("B", "E"):
                continue
            if e["ph"] == "B":
                stack.append((e["name"], seen[e["name"]], dict(e.get("args", {}))))
                seen[e["name"]] += 1
                continue
            name, n, a = stack.pop()
            a.update(e.get("args", {}))
            want = span_args(name, n, k[1])
            if not check(a == want, "chrome: %s #%d has args %s, want %s" % (name, n, a, want)):
                break

    # Links: 10 arrows "feeds", each from the innermost step of a batch to a consume.
    outs = [e for e in events if e.get("ph") == "s" and e.get("name") == "feeds"]
    ins = [e for e in events if e.get("ph") == "f" and e.get("name") == "feeds"]
    check(len(outs) == 10 and len(ins) == 10, "chrome: %d flow starts, %d ends, want 10 each"
          % (len(outs), len(ins)))
    ends = {e["id"]: e for e in ins}
    check(len({e["id"] for e in outs}) == 10 and set(ends) == {e["id"] for e in outs},
          "chrome: flow ids do not pair up: %s / %s" % ([e["id"] for e in outs], list(ends)))
    for e in outs:
        f = ends.get(e["id"])
        ok = (e["pid"], e["tid"]) == bt and f and (f["pid"], f["tid"]) == ct and \
            f["ts"] >= e["ts"] and inside(slices[bt], "step", 10, round(e["ts"] * 1000)) and \
            inside(slices[ct], "consume", 1, round(f["ts"] * 1000))
        if not check(ok, "chrome: link %s from %s to %s: want from a depth-10 step of %s to a "
                     "consume of %s" % (e["id"], e, f, bt, ct)):
            break

# Objects: 10 snapshots of "state" on the process, in order, "secret" left out.
snaps = [e for e in events if e.get("ph") == "O" and e.get("name") == "state"]
check([e.get("args", {}).get("snapshot") for e in snaps] == [snapshot(s) for s in range(10)],
      "chrome: snapshots %s, want %s" % ([e.get("args") for e in snaps][:2], snapshot(0)))
check(all(e["pid"] == pid for e in snaps), "chrome: snapshots off the process")
print("# chrome: %d ticks, %d counter values, %d snapshots, %d spans, %d links" % (len(ticks),
      sum(len(v) for v in series.values()), len(snaps), sum(len(v) for v in slices.values()),
      len(outs) if "outs" in dir() else 0))

# fork and exec: the child and its new image on one pid of their own.
other = collections.defaultdict(collections.Counter)
for e in events:
    if e.get("ph") == "i" and e.get("name") in ("child tick", "exec tick"):
        other[e["name"]][(e["pid"], e["tid"])] += 1
cpids = {k for c in other.values() for k in c}
if check(len(cpids) == 1, "chrome: child events on %s, want one thread" % cpids):
    (cpid, ctid), = cpids
    check(cpid != pid and ctid == cpid, "chrome: child events on %s" % ((cpid, ctid),))
    check(other["child tick"][(cpid, ctid)] == 100 and other["exec tick"][(cpid, ctid)] == 10,
          "chrome: child and exec ticks %s" % {n: dict(c) for n, c in other.items()})
    got = {k[0]: v for k, v in child_tracks.items()}
    check(got == {"queue.depth": [-1.0], "queue.bytes": [10990.0], "queue.rate": [274.25]} and
          all(k[1] == cpid for k in child_tracks), "chrome: the child counter %s" % child_tracks)
done()
' api.json "$pid" || err "chrome (see above)"

# ---- Perfetto ---------------------------------------------------------------------------------
hw_ok export -o api.pftrace api.hwt
pf_decode api.pftrace api.txt
py "$EXPECT"'
import sys, collections, pftrace
path, pid = sys.argv[1], int(sys.argv[2])
# Read as Perfetto does (names interned per sequence, incremental times, default tracks) and
# checked against its rules by pftrace.
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
check(not t.open, "perfetto: slices left open: %s" % t.summary()["open_slices"])
kinds = collections.defaultdict(dict)
for u, d in t.tracks.items():
    kinds[d["kind"]][u] = d
threads = {u: (d["pid"], d["tid"]) for u, d in kinds["thread"].items()}
procs = {u: d["pid"] for u, d in kinds["process"].items()}
counters = {u: (d["name"], d["parent"]) for u, d in kinds["counter"].items()}
objects = {u: (d["name"], d["parent"]) for u, d in kinds["track"].items()}

ticks, snaps, series = [], [], collections.defaultdict(list)
outs, ins = {}, {}
for ts, uuid, name, args, flow_ids, terminating in t.instants:
    where = threads.get(uuid)
    if name == "tick":
        ticks.append((where, args))
    elif uuid in objects:
        snaps.append((objects[uuid], name, args))
    elif name == "feeds":
        for ids, d in ((flow_ids, outs), (terminating, ins)):
            for fid in ids:
                check(fid not in d, "perfetto: flow id %s twice" % fid)
                d[fid] = (where, ts)
for uuid, vals in t.counters.items():
    if uuid in counters:
        cname, parent = counters[uuid]
        series[(cname, procs.get(parent, parent))].extend(v for _, v in vals)
slices = collections.defaultdict(list)
for uuid, sl in t.slices.items():
    for name, start, end, depth, args in sl:
        slices[threads.get(uuid)].append(dict(name=name, start=start, end=end, depth=depth,
                                              args=args))

check(len(ticks) == 10000, "perfetto: %d ticks, want 10000" % len(ticks))
for i, (where, args) in enumerate(ticks):
    want = tick_args(i, pid)
    if not check(where == (pid, pid) and args == want,
                 "perfetto: tick %d on %s with %s, want %s" % (i, where, args, want)):
        break
want = expected_counters()
for name, vals in want.items():
    got = series.get((name, pid), [])
    check([float(v) for v in got] == vals, "perfetto: %s of %d: %d values %s..., want %d"
          % (name, pid, len(got), got[:5], len(vals)))

# Spans and their arguments, per thread.
per = {n: [k for k, sl in slices.items() if any(s["name"] == n for s in sl)]
       for n in ("batch", "step", "consume")}
if check(len(per["batch"]) == 1 and per["step"] == per["batch"] and len(per["consume"]) == 1 and
         per["consume"] != per["batch"], "perfetto: span threads %s" % per):
    bt, ct = per["batch"][0], per["consume"][0]
    check(bt[0] == pid and ct[0] == pid and len({bt[1], ct[1], pid}) == 3,
          "perfetto: batch on %s, consume on %s" % (bt, ct))
    for k in (bt, ct):
        seen = collections.Counter()
        for s in slices[k]:
            want = span_args(s["name"], seen[s["name"]], k[1])
            seen[s["name"]] += 1
            if not check(s.get("args") == want, "perfetto: %s #%d on %s has args %s, want %s"
                         % (s["name"], seen[s["name"]] - 1, k, s.get("args"), want)):
                break
    check(seen == {"consume": 10} and collections.Counter(s["name"] for s in slices[bt]) ==
          {"batch": 10, "step": 90}, "perfetto: spans %s" % {k: len(v) for k, v in slices.items()})
    # Links: out in a depth-10 step, in inside a consume, ids paired.
    check(len(outs) == 10 and set(outs) == set(ins), "perfetto: flow ids out %s in %s"
          % (sorted(outs), sorted(ins)))
    for fid, (w, ts) in outs.items():
        wi, tsi = ins.get(fid, (None, 0))
        ok = w == bt and wi == ct and tsi >= ts and inside(slices[bt], "step", 10, ts) and \
            inside(slices[ct], "consume", 1, tsi)
        if not check(ok, "perfetto: flow %s from %s at %s to %s at %s" % (fid, w, ts, wi, tsi)):
            break

# Objects: the track "state" of the process, 10 snapshots in order.
check([a for _, _, a in snaps] == [snapshot(s) for s in range(10)],
      "perfetto: snapshots %s..., want %s" % ([a for _, _, a in snaps][:2], snapshot(0)))
check(all(t[0] == "state" and procs.get(t[1], threads.get(t[1], (None,))[0]) == pid
          for t, _, _ in snaps), "perfetto: snapshot tracks %s" % set(t for t, _, _ in snaps))
print("# perfetto: %d ticks, %d counter values, %d snapshots, %d spans, %d links" % (len(ticks),
      sum(len(v) for v in series.values()), len(snaps), sum(len(v) for v in slices.values()),
      len(outs)))
done()
' api.txt "$pid" || err "perfetto (see above)"

# ---- more than the ring takes: every event recorded or counted lost -------------------------------
N=1000000
hw_ok record -q -b sample --freq 10 -o burst.hwt -- "$PROGS/api_demo" burst $N
lost=$(info_field burst.hwt lost | cut -d' ' -f1)
hw_ok export -o burst.json burst.hwt
py '
import sys
path, n, lost = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
got, markers = [], 0
for e in load_chrome(path):
    if e.get("ph") == "i" and e.get("name") == "burst":
        got.append(e["args"]["i"])
    elif e.get("ph") == "i" and e.get("name", "").startswith("lost "):
        markers += e["args"]["count"]
print("# burst: %d of %d recorded, %d lost (markers), info lost %d" % (len(got), n, markers, lost))
check(len(got) + markers == n, "burst: %d recorded + %d lost != %d" % (len(got), markers, n))
check(lost == markers, "burst: info says %d lost, the markers %d" % (lost, markers))
check(got == sorted(got) and len(set(got)) == len(got), "burst: instants out of order or twice")
done()
' burst.json "$N" "${lost:-x}" || err "burst (see above)"

# ---- with the program's calls traced: spans nest with the calls around them ---------------------
# -b uprobe leaves the library's own hwt_* functions out by default.
hw_ok record -q -b uprobe -o calls.hwt -- "$PROGS/api_demo"
hw_ok export -o calls.json calls.hwt
py "$CHROME_SLICES"'
import sys, collections
slices, _, left_open = chrome_slices(sys.argv[1], "calls")
check(not left_open, "calls: slices left open: %s" % left_open)
names = collections.Counter(s["name"] for sl in slices.values() for s in sl)
check(not [n for n in names if n.startswith("hwt_")], "calls: the library traced: %s" % names)
check(names["steps"] == 100 and names["step"] == 90 and names["batch"] == 10,
      "calls: steps %d step %d batch %d, want 100, 90, 10" % (names["steps"], names["step"],
                                                             names["batch"]))
for sl in slices.values():
    for s in sl:
        if s["name"] == "step":
            ok = s["stack"][-1:] == ["steps"]
        elif s["name"] == "steps":
            ok = s["stack"][-1:] in (["batch"], ["step"])
        else:
            continue
        if not check(ok, "calls: %s under %s" % (s["name"], s["stack"])):
            break
done()
' calls.json || err "spans among traced calls (see above)"

# ---- C++ through the shared library -------------------------------------------------------------
hw_ok record -q -b sample -o cxx.hwt -- "$PROGS/api_cxx"
grep -qx "api_cxx: 5 calls" hw.out || err "api_cxx printed '$(cat hw.out)'"
cpid=$(info_field cxx.hwt pid)
hw_ok export -o cxx.json cxx.hwt
py "$CHROME_SLICES"'
import sys
path, pid = sys.argv[1], int(sys.argv[2])
events = load_chrome(path)
slices, instants, left_open = chrome_slices(path)
check(not left_open, "chrome: spans left open: %s" % left_open)
work = [s for s in slices.get((pid, pid), []) if s["name"] == "work"]
check(len(work) == 5 and all(s["depth"] == 1 for s in work), "chrome: work slices %s" % work)
items = [e for e in events if e.get("ph") == "i" and e.get("name") == "item"]
want = [dict(n=n, name="item%d" % n, ratio=n / 4.0, ok=n % 2 == 0, none=None) for n in range(5)]
check([e.get("args") for e in items] == want, "chrome: items %s, want %s"
      % ([e.get("args") for e in items], want))
check(len(items) == 5 and all((e["pid"], e["tid"]) == (pid, pid) for e in items) and
      all(s["start"] <= round(e["ts"] * 1000) <= s["end"] for s, e in zip(work, items)),
      "chrome: an item outside its work slice")
vals = [e["args"]["value"] for e in events if e.get("ph") == "C" and e.get("name") == "cxx.v"]
check(vals == [0, 2, 4, 6, 8], "chrome: cxx.v values %s" % vals)
done()
' cxx.json "$cpid" || err "api_cxx in chrome (see above)"
finish

# Flows (what created what): threads starts four threads (pthread_create) and forks a child that
# execs the program again. Recorded with -b sample and with -b uprobe, the Chrome export must
# hold one "thread" flow from the main thread to each worker, one "fork" flow from the main
# thread to the child process, one "exec" flow on the child, each a start ("s") and an end
# ("f") of one id, on the threads the program printed; and no other flow (the exec that started
# the recorded program is not one). The Perfetto export, decoded by protoc against the schema
# (tests/perfetto/trace_subset.proto) and read by pftrace.py, has the same flows: instants of
# those names whose flow_ids leave the same threads and whose terminating_flow_ids arrive on
# the same threads.
need python3 protoc

CHECK='
import sys, collections
out, path = sys.argv[1], sys.argv[2]
workers, child, main = [], None, None
for line in open(out):
    a, b = line.split()
    if a == "child":
        child = int(b)
    else:
        workers.append(int(a))
ev = load_chrome(path)
main = [e["pid"] for e in ev if e.get("ph") == "M" and e.get("name") == "process_name"
        and e["args"]["name"] == "threads"][0]
flows = collections.defaultdict(dict)
for e in ev:
    if e.get("cat") == "flow" and e.get("ph") in ("s", "f"):
        check(e["ph"] not in flows[e["id"]], "flow %s has two %s ends" % (e["id"], e["ph"]))
        flows[e["id"]][e["ph"]] = (e["name"], e["pid"], e["tid"], e["ts"])
got = collections.Counter()
for fid, ends in flows.items():
    check(set(ends) == {"s", "f"}, "flow %s: ends %s, want s and f" % (fid, sorted(ends)))
    if set(ends) != {"s", "f"}:
        continue
    (kind, spid, stid, sts), (kind2, fpid, ftid, fts) = ends["s"], ends["f"]
    check(kind == kind2 and sts <= fts, "flow %s: %s" % (fid, ends))
    got[kind] += 1
    if kind == "thread":
        check((spid, stid) == (main, main) and fpid == main and ftid in workers,
              "thread flow %s: from %s to %s, want from the main thread to a worker %s"
              % (fid, (spid, stid), (fpid, ftid), workers))
    elif kind == "fork":
        check((spid, stid, fpid, ftid) == (main, main, child, child),
              "fork flow %s: from %s to %s, want %s to %s" % (fid, (spid, stid), (fpid, ftid), main, child))
    elif kind == "exec":
        check((spid, stid, fpid, ftid) == (child, child, child, child),
              "exec flow %s on %s, want on the child %s" % (fid, (fpid, ftid), child))
print("# flows:", dict(got))
check(got == {"thread": 4, "fork": 1, "exec": 1}, "flows %s, want 4 thread, 1 fork, 1 exec" % dict(got))
done()
'

PFCHECK='
import sys, collections, pftrace
ev = load_chrome(sys.argv[1])
want = collections.Counter()
ends = collections.defaultdict(dict)
for e in ev:
    if e.get("cat") == "flow" and e.get("ph") in ("s", "f"):
        ends[e["id"]][e["ph"]] = (e["name"], e["pid"], e["tid"])
for fid, x in ends.items():
    want[(x["s"][0], x["s"][1:], x["f"][1:])] += 1
t = pftrace.load(sys.argv[2])
check(not t.errors, "perfetto: %s" % t.errors[:5])
outs, ins = {}, {}
for ts, u, name, args, fl, end in t.instants:
    for f in fl:
        outs[f] = (name, t.owner(u))
    for f in end:
        ins[f] = (name, t.owner(u))
got = collections.Counter()
for f, (name, src) in outs.items():
    check(f in ins and ins[f][0] == name, "perfetto flow %s (%s) has no end" % (f, name))
    if f in ins:
        got[(name, tuple(src), tuple(ins[f][1]))] += 1
print("# perfetto flows: %s" % dict(collections.Counter(k[0] for k in got.elements())))
check(got == want, "perfetto flows %s, the Chrome export has %s" % (dict(got), dict(want)))
done()
'

for backend in sample uprobe; do
	echo "\$ hwtrace record -q -b $backend -F busy -o $backend.hwt -- threads"
	if [ $backend = uprobe ]; then
		"$HWTRACE" record -q -b uprobe -F busy -o $backend.hwt -- "$PROGS/threads" >$backend.out 2>$backend.err
	else
		"$HWTRACE" record -q -b sample -o $backend.hwt -- "$PROGS/threads" >$backend.out 2>$backend.err
	fi || fail "record -b $backend failed: $(head -c 300 $backend.err)"
	hw_ok export -o $backend.json $backend.hwt
	py "$CHECK" $backend.out $backend.json || err "-b $backend: flows in the Chrome export"
	hw_ok export -o $backend.pftrace $backend.hwt
	pf_decode $backend.pftrace $backend.pf.txt
	py "$PFCHECK" $backend.json $backend.pf.txt || err "-b $backend: flows in the Perfetto export"
done
finish

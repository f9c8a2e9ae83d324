# The proc plugin. alloc100.c touches 100 MiB in 10 steps 50 ms apart, then frees it: recorded
# with -P proc, the program's process-scoped "rss" track in the Chrome JSON (python3 json, "C"
# events) climbs from its first value by 100 MiB (within 5 %) and comes back down after the free;
# rss-peak reaches the climb, faults-minor counts at least 25,600 faults, every cumulative track
# never goes down, threads is 1. threads.c (4 threads, a fork+exec'ed child) gets tracks for both
# processes, with 5 threads in the parent. track= records only what it names. Bad options fail
# with one line naming the plugin and the key, and leave no file.
need python3

MIB=$((1 << 20))
hw_ok record -q -b sample --freq 100 -P proc -o a.hwt -- "$PROGS/alloc100"
grep -q "touched 100 MiB" hw.out && grep -q freed hw.out || fail "alloc100 did not run: $(cat hw.out)"
pid=$(info_field a.hwt pid)
[ -n "$pid" ] || fail "info has no pid line"
hw_ok export -o a.json a.hwt
py '
import sys, collections
path, pid, mib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
series = collections.defaultdict(list)
for e in load_chrome(path):
    if e.get("ph") == "C":
        check(e.get("pid") == pid, "chrome: C event %s of pid %s, the program is %d"
              % (e.get("name"), e.get("pid"), pid))
        check("id" not in e, "chrome: proc track %s is not process-scoped: %s" % (e.get("name"), e))
        series[e["name"]].append((e["ts"], e["args"]["value"]))
want = {"rss", "rss-peak", "faults-minor", "faults-major", "switches-voluntary",
        "switches-involuntary", "cpu-user", "cpu-system", "read-bytes", "write-bytes", "threads"}
check(set(series) == want, "chrome: proc tracks %s, want %s" % (sorted(series), sorted(want)))
for v in series.values():
    v.sort()
rss = [v for _, v in series.get("rss", [])]
# Values are written when they change: one or two per step. A poll thread starved for longer
# than a step (50 ms) on a loaded machine merges steps, so ask for half of them.
if check(len(rss) >= 6, "chrome: %d rss values, want one or more per step" % len(rss)):
    first, peak, last = rss[0], max(rss), rss[-1]
    print("# rss: %d values, first %.1f MiB, peak %.1f MiB, last %.1f MiB"
          % (len(rss), first / mib, peak / mib, last / mib))
    check(abs(peak - first - 100 * mib) <= 5 * mib,
          "chrome: rss peak - first = %.1f MiB, want 100 +- 5" % ((peak - first) / mib))
    check(last <= first + 10 * mib, "chrome: rss ends at %.1f MiB: did not come down after the free"
          % (last / mib))
    steps = sum(1 for a, b in zip(rss, rss[1:]) if b > a)
    check(steps >= 5, "chrome: rss rose %d times, want at least 5 (one per step)" % steps)
hwm = [v for _, v in series.get("rss-peak", [])]
check(hwm and max(hwm) >= rss[0] + 95 * mib, "chrome: rss-peak reaches %s, want the climb" % hwm[-1:])
for name in ("rss-peak", "faults-minor", "faults-major", "switches-voluntary",
             "switches-involuntary", "cpu-user", "cpu-system", "read-bytes", "write-bytes"):
    v = [x for _, x in series.get(name, [])]
    check(all(a <= b for a, b in zip(v, v[1:])), "chrome: %s goes down: %s" % (name, v[:20]))
minflt = [v for _, v in series.get("faults-minor", [])]
check(minflt and minflt[-1] - minflt[0] >= 25600,
      "chrome: faults-minor grew by %s, want >= 25600" % (minflt[-1] - minflt[0] if minflt else None))
check([v for _, v in series.get("threads", [])] == [1], "chrome: threads %s, want [1]"
      % series.get("threads"))
done()
' a.json "$pid" "$MIB" || err "proc tracks of alloc100 (see above)"

note "a forked and exec'ed child"
hw_ok record -q -b sample --freq 100 -P proc -o t.hwt -- "$PROGS/threads"
child=$(awk '$1 == "child" { print $2 }' hw.out)
pid=$(info_field t.hwt pid)
[ -n "$child" ] && [ -n "$pid" ] || fail "threads printed no child, or info has no pid"
hw_ok export -o t.json t.hwt
py '
import sys, collections
path, pid, child = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
series = collections.defaultdict(list)
for e in load_chrome(path):
    if e.get("ph") == "C":
        series[(e["pid"], e["name"])].append(e["args"]["value"])
print("# processes with proc tracks: %s" % sorted(set(p for p, _ in series)))
check(set(p for p, _ in series) == {pid, child},
      "chrome: proc tracks for %s, want the program %d and its child %d"
      % (sorted(set(p for p, _ in series)), pid, child))
check(max(series[(pid, "threads")] or [0]) == 5, "chrome: the program has at most %s threads, want 5"
      % max(series[(pid, "threads")] or [0]))
check(series[(child, "threads")] == [1], "chrome: the child has threads %s, want [1]"
      % series[(child, "threads")])
# The child busy-loops 80 M iterations after exec: CPU time of its own.
check(max(series[(child, "cpu-user")] or [0]) > 0, "chrome: the child has no user CPU time")
done()
' t.json "$pid" "$child" || err "proc tracks of a forked child (see above)"

note "track= and interval="
hw_ok record -q -b sample --freq 100 -P proc:track=rss,track=threads,interval=1ms -o r.hwt -- \
	"$PROGS/alloc100"
hw_ok export -o r.json r.hwt
py '
import sys
names = set(e["name"] for e in load_chrome(sys.argv[1]) if e.get("ph") == "C")
check(names == {"rss", "threads"}, "chrome: tracks %s, want rss and threads alone" % sorted(names))
done()
' r.json || err "proc track= (see above)"

note "bad options"
ncases=0
mkdir bad && cd bad || fail "cannot make bad/"
bad_input interval-zero 'proc.*interval' record -o x.hwt -P proc:interval=0 -- "$PROGS/alloc100"
bad_input interval-text 'proc.*interval' record -o x.hwt -P proc:interval=often -- "$PROGS/alloc100"
bad_input interval-huge 'proc.*interval' record -o x.hwt -P proc:interval=1h -- "$PROGS/alloc100"
bad_input track-unknown 'proc.*track.*nosuch' record -o x.hwt -P proc:track=nosuch -- \
	"$PROGS/alloc100"
bad_input key-unknown 'proc.*colour' record -o x.hwt -P proc:colour=red -- "$PROGS/alloc100"
cd ..
finish

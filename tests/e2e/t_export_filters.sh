# export --tid and --time cut the timeline and the aggregate views (report's too). work8.c: 8
# threads, each calling work() exactly 1,000 times, recorded with -b uprobe.
# --tid A,B: the Chrome JSON holds exactly 1,000 work slices on each of A and B and nothing on
#   other threads (python3 json, nesting checked); folded --view calls counts 2,000 work calls;
#   go tool pprof -top shows 2,000 calls of work.
# --time S:E (the middle third of the work, from info's start_monotonic): the Chrome JSON's work
#   slices are exactly those of the full export that overlap the window, clipped to it (same
#   count per thread, begins and ends equal to the microsecond), well nested; folded --view calls
#   counts them too. A sampling recording of hot.c: folded --time keeps exactly the samples whose
#   time is in the window (counted in the full Chrome JSON's P events).
# report --tid / --time: the same counts in its calls table.
# Bad --tid / --time: one line, nothing written.
need python3 go

hw_ok record -q -b uprobe -o w8.hwt -- "$PROGS/work8"
hw_ok export -o all.json w8.hwt
start=$(info_field w8.hwt start_monotonic)
[ -n "$start" ] || fail "info has no start_monotonic"
read -r A B C < <(py '
import sys, collections
c = collections.Counter(e["tid"] for e in load_chrome(sys.argv[1]) if e.get("name") == "work")
tids = sorted(c)
check(len(tids) == 8 and set(c.values()) == {1000}, "full export: work per thread %s" % c)
print(tids[0], tids[3], tids[5])
done()' all.json) || fail "the full export is not 8 x 1,000 work calls"
note "threads kept: $A $B (not $C)"

hw_ok export --tid "$A,$B" -o tid.json w8.hwt
py "$CHROME_SLICES"'
import sys, collections
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
slices, _, left_open = chrome_slices(path)
check(not left_open, "--tid: slices left open: %s" % left_open)
work = collections.Counter(tid for (p, tid), sl in slices.items() for s in sl if s["name"] == "work")
check(work == {a: 1000, b: 1000}, "--tid: work slices per thread %s, want 1000 on %d and %d" % (dict(work), a, b))
check(set(t for p, t in slices) <= {a, b}, "--tid: slices on threads %s" % sorted(t for p, t in slices))
names = {e["tid"] for e in load_chrome(path) if e.get("ph") == "M" and e.get("name") == "thread_name"}
check(names == {a, b}, "--tid: thread names of %s" % sorted(names))
check(any(e.get("ph") == "M" and e.get("name") == "process_name" for e in load_chrome(path)),
      "--tid: the process has no name")
done()' tid.json "$A" "$B" || err "--tid Chrome JSON (see above)"
hw_ok export --tid "$A,$B" --view calls -o tid.folded w8.hwt
n=$(awk '$1 ~ /;work$/ { s += $2 } END { print s + 0 }' tid.folded)
[ "$n" -eq 2000 ] || err "--tid folded --view calls: $n work calls, want 2000"
hw_ok export --tid "$A" -o tid.pb.gz w8.hwt
go tool pprof -sample_index=calls -top tid.pb.gz >tid.top 2>pprof.err ||
	fail "go tool pprof: $(head -c 300 pprof.err)"
awk '$NF == "work" { print $1 }' tid.top | grep -qx 1000 ||
	err "--tid $A pprof: work is not 1000 calls: $(grep -w work tid.top)"
hw_ok report --tid "$A" w8.hwt
calls=$(sed -nE 's/.* ([0-9]+)  work( \(.*)?$/\1/p' hw.out)
[ "$calls" = 1000 ] || err "report --tid $A: work has '$calls' calls, want 1000"
grep -q "^# 1001 calls of 2 functions in 1 thread of" hw.out ||
	err "report --tid $A: header '$(head -1 hw.out)', want 1001 calls in 1 thread"

# The middle third of the work, in ns from the start of the recording.
read -r S E < <(py '
import sys
evs = [e for e in load_chrome(sys.argv[1]) if e.get("name") == "work"]
t0 = min(round(e["ts"] * 1000) for e in evs)
t1 = max(round((e["ts"] + e.get("dur", 0)) * 1000) for e in evs)
start = int(sys.argv[2])
print(t0 + (t1 - t0) // 3 - start, t0 + 2 * (t1 - t0) // 3 - start)
done()' all.json "$start")
note "window ${S}ns:${E}ns"
hw_ok export --time "${S}ns:${E}ns" -o time.json w8.hwt
py "$CHROME_SLICES"'
import sys, collections
full, cut, s, e = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
lo, hi = s + int(sys.argv[5]), e + int(sys.argv[5])
want = collections.Counter()
fs, _, _ = chrome_slices(full)
for (p, tid), sl in fs.items():
    for x in sl:
        b, en = x["start"], x["end"]
        if x["name"] == "work" and b < hi and en > lo:
            want[(tid, max(b, lo) // 1000, min(en, hi) // 1000)] += 1
cs, _, left_open = chrome_slices(cut)
check(not left_open, "--time: slices left open: %s" % left_open)
got = collections.Counter()
for (p, tid), sl in cs.items():
    for x in sl:
        check(lo <= x["start"] and x["end"] <= hi, "--time: %s outside the window" % x)
        if x["name"] == "work":
            got[(tid, x["start"] // 1000, x["end"] // 1000)] += 1
check(sum(want.values()) > 100, "--time: only %d work calls in the window" % sum(want.values()))
check(got == want, "--time: %d work slices, the full export has %d in the window; differ: %s"
      % (sum(got.values()), sum(want.values()), list((got - want) + (want - got))[:5]))
print("# --time: %d work slices in the window" % sum(got.values()))
open("want.count", "w").write(str(sum(want.values())))
done()' all.json time.json "$S" "$E" "$start" || err "--time Chrome JSON (see above)"
hw_ok export --time "${S}ns:${E}ns" --view calls -o time.folded w8.hwt
n=$(awk '$1 ~ /;work$/ { s += $2 } END { print s + 0 }' time.folded)
[ "$n" = "$(cat want.count 2>/dev/null)" ] ||
	err "--time folded --view calls: $n work calls, want $(cat want.count 2>/dev/null)"
hw_ok report --time "${S}ns:${E}ns" w8.hwt
calls=$(sed -nE 's/.* ([0-9]+)  work( \(.*)?$/\1/p' hw.out)
[ "$calls" = "$(cat want.count 2>/dev/null)" ] ||
	err "report --time: work has '$calls' calls, want $(cat want.count 2>/dev/null)"

hw_ok record -q -b sample --freq 2000 -o hot.hwt -- "$PROGS/hot" 20000000
hstart=$(info_field hot.hwt start_monotonic)
hw_ok export -o hot.json hot.hwt
hw_ok export --time 20ms:60ms -o hot.folded hot.hwt
want=$(py '
import sys
lo, hi = int(sys.argv[2]) + 20000000, int(sys.argv[2]) + 60000000
n = sum(1 for e in load_chrome(sys.argv[1]) if e.get("ph") == "P" and e.get("name") == "sample"
        and lo <= round(e["ts"] * 1000) < hi)
print(n)
done()' hot.json "$hstart")
got=$(awk '{ s += $NF } END { print s + 0 }' hot.folded)
note "hot --time 20ms:60ms: $got samples, the full export has $want in it"
[ "${want:-0}" -gt 20 ] && [ "$got" = "$want" ] || err "--time samples: $got, want $want (> 20)"

mkdir -p bad && cd bad || fail "cannot enter bad/"
ncases=0
bad_input tid-text "--tid 'x1': give thread ids" export --tid x1 -o x.json ../w8.hwt
bad_input tid-none "--tid: .*has no thread 1\b" export --tid 1 -o x.json ../w8.hwt
bad_input time-unitless-colon "--time '10ms': give START:END" export --time 10ms -o x.json ../w8.hwt
bad_input time-reversed "--time '2s:1s': the end is not after the start" export --time 2s:1s \
	-o x.json ../w8.hwt
bad_input time-bad-unit "--time '1h:2h': give START:END" export --time 1h:2h -o x.json ../w8.hwt
bad_input report-tid-none "--tid: .*has no thread 1\b" report --tid 1 ../w8.hwt
bad_input report-time-bad "--time 'x': give START:END" report --time x ../w8.hwt
cd .. || fail "cd .."
[ "$ncases" -eq 7 ] || err "$ncases bad-input cases ran, want 7"
finish

# The counters plugin. touchers.c runs 3 threads; thread k touches k * 1024 fresh pages in touch()
# after resting 300 ms, and prints "TID PAGES". Recorded with -b uprobe and -P counters:events=
# page-faults,events=context-switches, each thread has its own cumulative page-faults track
# holding at least PAGES faults and a context-switches track of at least 1 (it slept), beside
# its touch() slice: in the Chrome JSON (python3 json: "C" events with "id" TID on the thread,
# "B"/"E" slices) and in Perfetto (tests/perfetto/pftrace.py: the counter track's parent_uuid is the
# thread track the touch slice is on, whose ThreadDescriptor says pid and TID). The "(total)"
# tracks, counted with inherit, hold every thread's faults. flash.c's 20 threads live far less
# than the 10 ms between two looks for threads: each still gets a page-faults track with its 64
# faults (the final count the kernel records at its exit). Bad events (cycles without a PMU too)
# and options fail with one line naming the plugin and the key, and leave no file.
need protoc python3

hw_ok record -q -b uprobe -P counters:events=page-faults,events=context-switches -o c.hwt -- \
	"$PROGS/touchers"
cp hw.out touchers.out
[ "$(wc -l <touchers.out)" -eq 3 ] || fail "touchers printed $(wc -l <touchers.out) lines, want 3"
pid=$(info_field c.hwt pid)
[ -n "$pid" ] || fail "info has no pid line"
hw_ok export -o c.json c.hwt
py "$CHROME_SLICES"'
import sys, collections
path, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
want = {int(t): int(n) for t, n in (l.split() for l in open(out))}
slices, _, left_open = chrome_slices(path)
check(not left_open, "chrome: slices left open: %s" % left_open)
series = collections.defaultdict(list)
for e in load_chrome(path):
    if e.get("ph") != "C":
        continue
    check(e.get("pid") == pid, "chrome: C event in pid %s, the program is %d" % (e.get("pid"), pid))
    tid = int(e["id"]) if "id" in e else None
    if tid is not None:
        check(e.get("tid") == tid, "chrome: C event of id %s on tid %s" % (e["id"], e.get("tid")))
    series[(e["name"], tid)].append((e["ts"], e["args"]["value"]))
    check(float(e["args"]["value"]).is_integer(), "chrome: a count that is not whole: %s" % e)
for tid, pages in sorted(want.items()):
    pf = [v for _, v in sorted(series.get(("page-faults", tid), []))]
    cs = [v for _, v in sorted(series.get(("context-switches", tid), []))]
    print("# thread %d touched %d pages: page-faults %s, context-switches %s"
          % (tid, pages, pf[-1:] , cs[-1:]))
    if check(pf, "chrome: no page-faults track of thread %d" % tid):
        check(pf[-1] >= pages, "chrome: thread %d has %s page faults, it touched %d pages"
              % (tid, pf[-1], pages))
        check(all(a <= b for a, b in zip(pf, pf[1:])), "chrome: page-faults of %d go down" % tid)
    check(cs and cs[-1] >= 1, "chrome: thread %d has context-switches %s, want >= 1 (it slept)"
          % (tid, cs[-1:]))
    touch = [s for s in slices.get((pid, tid), []) if s["name"] == "touch"]
    check(len(touch) == 1, "chrome: thread %d has %d touch slices, want 1" % (tid, len(touch)))
threads = set(t for (n, t) in series if n == "page-faults" and t is not None)
check(threads >= set(want) | {pid}, "chrome: page-faults tracks of threads %s, want %s and %d"
      % (sorted(threads), sorted(want), pid))
total = [v for _, v in sorted(series.get(("page-faults (total)", None), []))]
check(total and total[-1] >= sum(want.values()),
      "chrome: page-faults (total) ends at %s, want >= %d" % (total[-1:], sum(want.values())))
done()
' c.json "$pid" touchers.out || err "chrome counters beside slices (see above)"

hw_ok export -o c.pftrace c.hwt
pf_decode c.pftrace c.txt
py '
import sys, collections, pftrace
path, pid, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
want = {int(t): int(n) for t, n in (l.split() for l in open(out))}
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
thread_of = {u: (d["pid"], d["tid"]) for u, d in t.tracks.items() if d["kind"] == "thread"}
counters = {u: (d["name"], d["parent"]) for u, d in t.tracks.items() if d["kind"] == "counter"}
values = {u: [v for _, v in vals] for u, vals in t.counters.items()}
touch_on = collections.Counter({u: sum(s[0] == "touch" for s in sl) for u, sl in t.slices.items()})
for tid, pages in sorted(want.items()):
    tracks = [u for u, t in thread_of.items() if t == (pid, tid)]
    if not check(len(tracks) == 1, "perfetto: %d thread tracks for %d/%d" % (len(tracks), pid, tid)):
        continue
    tu = tracks[0]
    check(touch_on[tu] == 1, "perfetto: %d touch slices on the track of thread %d, want 1"
          % (touch_on[tu], tid))
    pf = [u for u, (n, parent) in counters.items() if n == "page-faults" and parent == tu]
    cs = [u for u, (n, parent) in counters.items() if n == "context-switches" and parent == tu]
    check(len(pf) == 1 and len(cs) == 1, "perfetto: thread %d has %d page-faults and %d "
          "context-switches counter tracks under its thread track, want 1 each" % (tid, len(pf), len(cs)))
    if pf:
        m = max(values.get(pf[0]) or [0])
        print("# perfetto thread %d: touch slices %d, page-faults %s (touched %d)"
              % (tid, touch_on[tu], m, pages))
        check(m >= pages, "perfetto: thread %d has %s page faults, it touched %d" % (tid, m, pages))
done()
' c.txt "$pid" touchers.out || err "perfetto counters beside slices (see above)"

note "short-lived threads: counted from the kernel's records of their exits"
hw_ok record -q -b sample --freq 100 -P counters:events=page-faults -o f.hwt -- "$PROGS/flash"
cp hw.out flash.out
[ "$(wc -l <flash.out)" -eq 20 ] || fail "flash printed $(wc -l <flash.out) lines, want 20"
hw_ok export -o f.json f.hwt
py '
import sys, collections
path, out = sys.argv[1], sys.argv[2]
want = {int(t): int(n) for t, n in (l.split() for l in open(out))}
final = collections.defaultdict(float)
for e in load_chrome(path):
    if e.get("ph") == "C" and e["name"] == "page-faults" and "id" in e:
        final[int(e["id"])] = max(final[int(e["id"])], e["args"]["value"])
low = {t: final.get(t) for t, n in want.items() if final.get(t, 0) < n}
print("# flash: %d of %d threads with a page-faults track of their own" % (
      sum(1 for t in want if t in final), len(want)))
check(not low, "chrome: threads with fewer page faults than the pages they touched: %s" % low)
done()
' f.json flash.out || err "short-lived threads (see above)"

note "a hardware event: counted where a PMU exists, else refused with one line and no file"
hw record -b sample -P counters:events=cycles -o hw.hwt -- "$PROGS/touchers"
if grep -q "events=cycles needs a hardware PMU" hw.err; then
	[ "$HW_RC" -ne 0 ] || err "cycles without a PMU: exit status 0"
	[ "$(wc -l <hw.err)" -eq 1 ] || err "cycles without a PMU: $(wc -l <hw.err) lines on stderr"
	assert_file_absent hw.hwt
	note "no PMU here: $(head -n 1 hw.err)"
else
	[ "$HW_RC" -eq 0 ] || fail "counters:events=cycles exited $HW_RC: $(cat hw.err)"
	hw_ok export -o hw.json hw.hwt
	py '
import sys
n = sum(1 for e in load_chrome(sys.argv[1]) if e.get("ph") == "C" and e["name"] == "cycles")
check(n >= 3, "chrome: %d cycles values, want one per thread at least" % n)
done()
' hw.json || err "cycles counted (see above)"
fi

note "bad events and options"
ncases=0
mkdir bad && cd bad || fail "cannot make bad/"
bad_input event-unknown 'counters.*events.*nosuch' record -o x.hwt -b sample \
	-P counters:events=nosuch-event -- "$PROGS/touchers"
bad_input events-missing 'counters.*events' record -o x.hwt -b sample -P counters -- \
	"$PROGS/touchers"
bad_input interval-zero 'counters.*interval' record -o x.hwt -b sample \
	-P counters:events=page-faults,interval=0 -- "$PROGS/touchers"
bad_input interval-text 'counters.*interval' record -o x.hwt -b sample \
	-P counters:events=page-faults,interval=soon -- "$PROGS/touchers"
cd ..
finish

# A counter track as the view of the aggregating formats (--view NAME) and in info and report:
# the README's loadavg plugin writes a global counter that is not cumulative, so each of its
# values is charged, rounded, to no thread and no stack. Folded, pprof (go tool pprof) and
# report must total the sum of the rounded values the Chrome export shows (python3 json); info
# and report list the track with the same number of values, min, max and last; an unknown view
# names loadavg among the views and leaves no file.
need python3 go

EXAMPLE=$(dirname "$HWTRACE")/plugins/examples/loadavg.so
[ -f "$EXAMPLE" ] || fail "missing $EXAMPLE: build it with make"
hw_ok record -b sample -o la.hwt -P "$EXAMPLE:interval=5ms" -- "$PROGS/slow" 1
hw_ok export -o la.json la.hwt
# The facts, from Chrome: count, sum of rounded values (halves away from zero), min, max, last.
py '
import sys
c = [e for e in load_chrome(sys.argv[1]) if e["ph"] == "C" and e["name"] == "loadavg"]
if not check(len(c) >= 5, "chrome: %d loadavg values, want >= 5" % len(c)):
    done()
c.sort(key=lambda e: e["ts"])
v = [e["args"]["value"] for e in c]
total = sum(int(x + 0.5) if x >= 0 else -int(-x + 0.5) for x in v if x > 0)  # negatives charge nothing
print("# chrome: %d loadavg values, rounded sum %d" % (len(v), total))
open("facts", "w").write("%d %d %r %r %r\n" % (len(v), total, min(v), max(v), v[-1]))
done()' la.json || fail "no loadavg values in the Chrome export"
read -r COUNT SUM MIN MAX LAST <facts

hw_ok export --view loadavg -o la.folded la.hwt
py '
import sys
lines = [l.rstrip("\n") for l in open(sys.argv[1])]
total = sum(int(l.rsplit(" ", 1)[1]) for l in lines)
check(total == int(sys.argv[2]), "folded: total %d, want %s" % (total, sys.argv[2]))
# A global counter belongs to no thread and no stack: one line without frames.
check(len(lines) == 1 and ";" not in lines[0], "folded: lines %r" % lines[:5])
done()' la.folded "$SUM" || err "folded loadavg view (see above)"

hw_ok export --view loadavg -o la.pb.gz la.hwt
# pprof keeps a sample of no stack, and counts it in the total, though no function has it.
go tool pprof -top -sample_index=loadavg la.pb.gz >la.top 2>pprof.err ||
	fail "go tool pprof: $(head -c 300 pprof.err)"
py '
import sys, re
top = open(sys.argv[1]).read()
check("Type: loadavg" in top, "pprof: the sample type is not loadavg: %s" % top[:300])
m = re.search(r"Total samples = (\d+)", top)
if check(m, "pprof: no total in %s" % top[:300]):
    check(int(m.group(1)) == int(sys.argv[2]),
          "pprof: total %s, want %s" % (m.group(1), sys.argv[2]))
done()' la.top "$SUM" || err "pprof loadavg view (see above)"

hw_ok report --view loadavg la.hwt
grep -q "^# $SUM loadavg added by the counter" hw.out || err "report: no total of $SUM: $(head -3 hw.out)"

# info and report: the track's line, with the facts Chrome shows.
for cmd in info report; do
	hw_ok $cmd la.hwt
	py '
import sys, math
n, total, lo, hi, last, what = sys.argv[2:]
rows = [l.split() for l in open(sys.argv[1]) if l.startswith("  loadavg ")]
if check(len(rows) == 1, "%s: %d loadavg rows" % (what, len(rows))):
    r = rows[0]
    check(r[1:3] == ["tasks", "global"], "%s: unit and scope %s" % (what, r[1:3]))
    check(r[3] == n, "%s: %s values, chrome has %s" % (what, r[3], n))
    for got, want, field in zip(r[4:7], (lo, hi, last), ("min", "max", "last")):
        check(math.isclose(float(got), float(want), rel_tol=1e-9),
              "%s: %s %s, chrome has %s" % (what, field, got, want))
done()' hw.out "$COUNT" "$SUM" "$MIN" "$MAX" "$LAST" $cmd || err "$cmd: track table (see above)"
done

# An unknown view: known only once the recording is read, refused with the views there are.
mkdir -p bad && cd bad || fail "cannot enter bad/"
ncases=0
cp ../la.hwt ../la2.hwt
bad_input unknown-counter-view "nosuch.*valid views:.* loadavg" export --view nosuch -o x.folded \
	../la2.hwt
bad_input unknown-counter-view-report "nosuch.*valid views:.* loadavg" report --view nosuch \
	../la2.hwt
cd .. || fail "cd"
finish

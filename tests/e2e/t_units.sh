# Units of what the views show, on one sampling recording of hot.c with -e task-clock (the
# cpu-clock and task-clock counter tracks are nanoseconds of CPU time):
# - Perfetto: their CounterDescriptors say unit UNIT_TIME_NS (1) (protoc --decode_raw);
# - report --view cpu-time (a weight) and --view cpu-clock (a counter): the totals and every
#   self/total column are times with a unit (ns, us, ms, s), and the header's total is the sum of
#   the folded lines of the same view (to the truncated microsecond);
# - SVG: the title reads "Flame graph: cpu-time (T UNIT)", the same T as report's;
# - pprof (go tool pprof -raw): the sample types name their unit, nanoseconds for the times,
#   also for a counter view (the track's "ns").
need protoc go python3

hw_ok record -q -b sample --freq 2000 -e task-clock -o hot.hwt -- "$PROGS/hot" 10000000
hw_ok export -o hot.pftrace hot.hwt
decode_raw hot.pftrace hot.txt
py '
import sys
units = {}
for p in packets(sys.argv[1]):
    td = field(p, 60)
    if isinstance(td, list) and field(td, 8) is not None:
        units[text(field(td, 2))] = field(field(td, 8), 3)
for name in ("cpu-clock", "task-clock"):
    check(units.get(name) == 1, "Perfetto: counter %s has unit %r, want 1 (UNIT_TIME_NS); all: %s"
          % (name, units.get(name), units))
done()' hot.txt || err "Perfetto counter units (see above)"

TIME='([0-9]+ ns|[0-9]+\.[0-9]{3} (us|ms|s))'
for view in cpu-time cpu-clock; do
	hw_ok report --view "$view" hot.hwt
	cp hw.out "report-$view.txt"
	hw_ok export -o "$view.folded" --view "$view" hot.hwt
	hw_ok export -o "$view.svg" --view "$view" hot.hwt
	py '
import sys, re
report, folded, svg, view, TIME = sys.argv[1:]
lines = open(report).read().splitlines()
head = re.match(r"^# (?:\d+ samples, )?(\S+ \S+) " + re.escape(view) + r"(?:,| added)", lines[0])
if check(head, "report --view %s: no total with a unit in %r" % (view, lines[0])):
    want = sum(int(l.rsplit(" ", 1)[1]) for l in open(folded) if l.strip())
    got = head.group(1)
    check(re.fullmatch(TIME, got), "report --view %s: total %r is not a time" % (view, got))
    num, unit = got.split()
    scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[unit]
    check(abs(float(num) * scale - want) < scale / 1000 + 1,
          "report --view %s: total %s, the folded lines add up to %d ns" % (view, got, want))
    title = re.search(r"Flame graph: ([^<]*)<", open(svg).read())
    check(title and title.group(1) == "%s (%s)" % (view, got),
          "svg title %r, want %r" % (title and title.group(1), "%s (%s)" % (view, got)))
row = re.compile(r"^ +[0-9.]+% +[0-9.]+% +" + TIME + r" +" + TIME + r"  \S")
n = 0
for l in lines[2:]:
    if not l.strip():
        break
    n += 1
    check(row.match(l), "report --view %s: row without times: %r" % (view, l))
check(n > 0, "report --view %s: no rows" % view)
done()' "report-$view.txt" "$view.folded" "$view.svg" "$view" "$TIME" ||
		err "report/svg --view $view (see above)"
done

for view in cpu-time cpu-clock; do
	hw_ok export -o "$view.pb.gz" --view "$view" hot.hwt
	go tool pprof -raw "$view.pb.gz" >"$view.raw" 2>pprof.err ||
		fail "go tool pprof -raw cannot read $view.pb.gz: $(head -c 300 pprof.err)"
	grep -q "^PeriodType: $view nanoseconds$" "$view.raw" ||
		err "pprof --view $view: $(grep PeriodType "$view.raw"), want '$view nanoseconds'"
	types=$(sed -n '/^Samples:/{n;p;q}' "$view.raw")
	note "pprof --view $view: sample types $types"
	grep -q "$view/nanoseconds\[dflt\]" <<<"$types" ||
		err "pprof --view $view: sample types '$types' lack $view/nanoseconds as the default"
	grep -Eq '/ns( |\[|$)' <<<"$types" && err "pprof --view $view: a unit 'ns' in '$types'"
done
finish

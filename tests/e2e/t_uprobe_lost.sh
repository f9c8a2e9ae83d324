# fib.c with 22 makes 57,313 calls of fib, far more than an 8 KiB ring (BPF or call ring) holds between two
# reads (-m 8K), so records are lost. What is exact: `info` counts the lost records, the Chrome
# JSON has "lost N records" instants whose counts add up to exactly that, and so do the
# Perfetto trace's lost instants (protoc --decode against tests/perfetto/trace_subset.proto,
# read and checked by tests/perfetto/pftrace.py); across every gap each thread stays
# exactly nested (python3 json: every E closes the B on top, same name, time never goes back);
# the program runs to its end with its output; report and inspect read the recording. How many
# calls were recorded is not exact (a gap can drop a call's entry, its return, or both).
BACKEND=${BACKEND:-uprobe} # t_inproc_lost.sh runs this file with -b inproc
need protoc python3


hw_ok record -q -b "$BACKEND" -m 8K -o lost.hwt -- "$PROGS/fib" 22
[ "$(cat hw.out)" = 17711 ] || err "fib 22 printed '$(head -c 100 hw.out)', want 17711"
[ "$(info_field lost.hwt status)" = complete ] || err "info status is not complete"
lost=$(info_field lost.hwt lost)
note "info: lost $lost"
lost=${lost%% *}
[[ "$lost" =~ ^[0-9]+$ ]] && [ "$lost" -gt 0 ] || fail "info says lost '$lost', want a count > 0"
grep -q '(exact' <<<"$(info_field lost.hwt lost)" || err "info does not say the lost count is exact"

hw_ok export -o lost.json lost.hwt
py "$CHROME_SLICES"'
import sys
path, lost = sys.argv[1], int(sys.argv[2])
slices, instants, left_open = chrome_slices(path)
check(not left_open, "chrome: slices left open: %s" % left_open)
markers = [e for evs in instants.values() for e in evs if e["name"].startswith("lost ")]
total = 0
for e in markers:
    n = e.get("args", {}).get("count")
    check(isinstance(n, int) and n > 0 and e["name"] == "lost %d records" % n,
          "chrome: bad lost marker %s" % e)
    total += n if isinstance(n, int) else 0
print("# chrome: %d lost markers, %d records in all; %d slices"
      % (len(markers), total, sum(len(sl) for sl in slices.values())))
check(markers, "chrome: no lost markers")
check(total == lost, "chrome: the lost markers add up to %d, info says %d" % (total, lost))
for k, sl in slices.items():
    names = {s["name"] for s in sl}
    check(names <= {"main", "fib"}, "chrome: slices named %s" % sorted(names))
    check(all(set(s["stack"][1:]) <= {"fib"} for s in sl), "chrome: a slice under something else than fib")
done()
' lost.json "$lost" || err "chrome lost markers and nesting (see above)"

hw_ok export -o lost.pftrace lost.hwt
pf_decode lost.pftrace lost.txt
py '
import sys, re, pftrace
path, lost = sys.argv[1], int(sys.argv[2])
# pftrace checks the format (each SLICE_END closes a begin on its track, interning, times).
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
total = 0
for ts, track, name, args, flows, ends in t.instants:
    m = re.match(r"^lost (\d+) records$", name or "")
    if m:
        total += int(m.group(1))
print("# perfetto: lost instants add up to %d" % total)
check(total == lost, "perfetto: the lost instants add up to %d, info says %d" % (total, lost))
check(not t.open, "perfetto: slices left open: %s" % t.summary()["open_slices"])
done()
' lost.txt "$lost" || err "perfetto lost instants (see above)"

hw_ok report lost.hwt
grep -q "records were lost .*($lost records)" hw.out || err "report does not say $lost records were lost"
hw_ok inspect lost.hwt
inspected=$(sed -n 's/.*\[lost \([0-9]*\) records\]$/\1/p' hw.out | awk '{ s += $1 } END { print s + 0 }')
[ "$inspected" = "$lost" ] || err "inspect's [lost N records] lines add up to $inspected, want $lost"
finish

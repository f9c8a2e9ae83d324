# report/export/inspect --compensate on a uprobe recording of hot3 (tiny called CALLS times from
# work_a): the facts that hold whatever a probe costs on the host. info shows the measured cost;
# report --compensate says in its header what it subtracted and how much probe time that was
# (calls x the measured cost, to the ns as the header rounds it); tiny's compensated self time
# is its measured self time less its calls' share of the cost, never below 0; the folded export
# with --compensate holds the same times as the report; a recording without a measured cost and
# a timeline format are refused with one line and no output file. The same cost line for -b
# inproc, whose runtime measures the part inside the call too. (Whether the compensated
# shares match a sampled profile depends on how well the cost measured at the start of the
# recording matches the run: t_compensate_shares.sh.)
# e2e: alone (the probe cost measured at the start of a recording must be the cost in the run)
need python3

CALLS=20000

hw_ok record -q -b uprobe -o u.hwt -- "$PROGS/hot3" $CALLS 10
info_field u.hwt "probe cost" | grep -q "a call (uprobe, .* inside the call).*report --compensate" ||
	err "info shows no probe cost line: '$(info_field u.hwt "probe cost")'"
call_ns=$(info_field u.hwt uprobe.call_ns)
in_ns=$(info_field u.hwt uprobe.call_in_ns)
[ "${call_ns:-0}" -gt 0 ] 2>/dev/null || fail "info says uprobe.call_ns is '$call_ns'"

hw_ok report -n 0 u.hwt
mv hw.out raw.report
hw_ok report --compensate -n 0 u.hwt
mv hw.out comp.report
sed 's/^/  /' comp.report
grep -q "^# compensated: subtracted the probe cost measured when recording, [0-9.]* [un]s a call (uprobe" comp.report ||
	err "report --compensate does not say in its header what it subtracted"
grep -q "^# compensated: [0-9.]* [mun]*s of probe time taken out of" comp.report ||
	err "report --compensate does not say how much probe time it took out"
hw_ok export -f folded --view time --compensate -o comp.folded u.hwt
hw_ok export -f folded --view time -o raw.folded u.hwt
hw_ok inspect --compensate u.hwt
grep -q "tiny();" hw.out || err "inspect --compensate shows no call of tiny"

py '
import sys
raw_report, comp_report, raw_folded, comp_folded = sys.argv[1:5]
call, inside = int(sys.argv[5]), int(sys.argv[6])

def folded(path):
    """leaf function -> ns."""
    out = {}
    for line in open(path):
        stack, _, v = line.rstrip("\n").rpartition(" ")
        leaf = stack.split(";")[-1]
        out[leaf] = out.get(leaf, 0) + int(v)
    return out

def calls(path):
    for line in open(path):
        f = line.split()
        if f and f[-1] == "tiny":
            return int(f[-2])

raw, comp = folded(raw_folded), folded(comp_folded)
n = calls(comp_report)
print("# tiny: %s calls; self %d ns measured, %d ns compensated; cost %d ns a call, %d inside"
      % (n, raw.get("tiny", 0), comp.get("tiny", 0), call, inside))
check(n == calls(raw_report), "report --compensate counts %s calls of tiny, report %s"
      % (n, calls(raw_report)))
# tiny is a leaf called from work_a: each call loses the part of the cost inside it; times
# never go back, so the loss is at most that and at least 0 (clamped calls lose less).
lost = raw.get("tiny", 0) - comp.get("tiny", 0)
check(0 < lost <= n * inside + n, "tiny lost %d ns of self time, want (0, %d]" % (lost, n * inside))
for f in ("work_a", "work_b", "work_c", "main"):
    check(comp.get(f, 0) <= raw.get(f, 0), "%s: compensated self %d > measured %d"
          % (f, comp.get(f, 0), raw.get(f, 0)))
# work_b and work_c call nothing traced: their self times lose only their own single call.
for f in ("work_b", "work_c"):
    check(raw[f] - comp[f] <= 10 * call + 10, "%s lost %d ns for its 10 calls" % (f, raw[f] - comp[f]))
done()
' raw.report comp.report raw.folded comp.folded "$call_ns" "$in_ns" || err "compensated times (see above)"

note "inproc: the cost and the part of it inside the call, both measured by the runtime"
hw_ok record -q -b inproc -o i.hwt -- "$PROGS/hot3" $CALLS 10
info_field i.hwt "probe cost" | grep -Eq "a call \(inproc, [0-9]+ ns of it inside the call\).*report --compensate" ||
	err "inproc: info's probe cost line does not give a measured inside part: '$(info_field i.hwt "probe cost")'"
py 'import sys
call, inside = float(sys.argv[1]), float(sys.argv[2])
check(0 < inside <= call, "inproc.call_in_ns %s is not within (0, inproc.call_ns %s]" % (inside, call))
done()' "$(info_field i.hwt inproc.call_ns)" "$(info_field i.hwt inproc.call_in_ns)" ||
	err "inproc's measured cost (see above)"
hw_ok report --compensate -n 0 i.hwt
grep -q "^# compensated: subtracted the probe cost measured when recording, [0-9.]* [un]s a call (inproc" hw.out ||
	err "inproc: report --compensate does not say what it subtracted: $(grep -m1 compensated hw.out)"

note "bad input"
hw_ok record -q -b sample -o plain.hwt -- "$PROGS/hot3" 0 1
hw report --compensate plain.hwt
[ "$HW_RC" -ne 0 ] && grep -q "no measured probe cost" hw.err ||
	err "report --compensate of a sampled recording: want one error saying it has no probe cost, got: $(head -c 300 hw.err)"
hw export -f perfetto --compensate -o t.pftrace u.hwt
[ "$HW_RC" -ne 0 ] && grep -q "timeline" hw.err && [ ! -e t.pftrace ] ||
	err "export -f perfetto --compensate: want a refusal and no file, got: $(head -c 300 hw.err)"
finish

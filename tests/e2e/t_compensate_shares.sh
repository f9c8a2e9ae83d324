# report/export --compensate against a sampled profile: hot3 runs three hot functions whose CPU
# shares are 20, 30 and 50 % by construction, work_a also calling tiny() CALLS times. Traced,
# each call of tiny costs a probe, far more than tiny itself, so the measured self times of
# work_a and tiny are mostly probe time. A sampled profile (-b sample, CPU time, no probes) of the
# same program gives the true shares. With --compensate, the self-time shares of work_a, work_b
# and work_c from the traced recording must be within 5 points of the sampled ones; without it,
# at least one must be off by more than 5 points, so the test can fail.
#
# The workload is sized from what a traced call costs on this host: CALLS = 0.25 x the
# program's CPU time / the cost of a call (from a first, short recording), so the probes add
# ~25 % to the run whatever they cost here: that moves the uncompensated shares by ~10 points.
# Load from other processes stretches wall-clock durations (probes included) but not a sampled
# profile's CPU time: the traced recordings run under SCHED_FIFO (chrt), which ordinary load
# cannot preempt, and the shares compare the hot functions to each other only. What load on the
# other CPU does to the cost of a call is in the cost: -b inproc's runtime measures it again
# every 65,536 calls of a thread and the recording keeps the median (inproc.cost_samples).
#
# COMP_RUNS (default "inproc:hot3"): BACKEND:PROGRAM pairs to check. With -b uprobe (hot3, and
# hot3_stepped whose tiny() is single-stepped) the cost is only measured at the start of the
# recording and, on hosts where a trap's cost varies within a run, the shares miss by 6-9
# points: tests/e2e/pending/compensate_shares_uprobe.sh runs those by hand.
# e2e: alone (the probe cost measured at the start of a recording must be the cost in the run)
need python3 chrt

UNIT=40 # about 0.5 s of work

# check_shares BACKEND PROG: the whole check on one build of hot3, in a folder of its own.
check_shares()
{
	local backend=$1 prog=$2 work_ns call_ns slow calls want
	mkdir -p "$backend-$prog" && cd "$backend-$prog" || fail "cannot make folder $backend-$prog"
	note "$prog alone: its CPU time"
	"$PROGS/$prog" 0 $UNIT >native.out || fail "$prog failed"
	work_ns=$(cat native.out)

	note "$prog: what a traced call of tiny costs here (-b $backend)"
	echo "\$ chrt -f 10 hwtrace record -q -b $backend -o cal.hwt -- $prog 100 1"
	chrt -f 10 "$HWTRACE" record -q -b "$backend" -o cal.hwt -- "$PROGS/$prog" 100 1 >cal.out \
		2>cal.err || fail "record -b $backend under chrt failed: $(head -c 300 cal.err)"
	info_field cal.hwt "probe cost" |
		grep -q "a call ($backend, .* inside the call).*report --compensate" ||
		err "$prog: info shows no probe cost line: $(info_field cal.hwt "probe cost")"
	call_ns=$(info_field cal.hwt "$backend.call_ns")
	slow=$(info_field cal.hwt uprobe.slow_path)
	[ "${slow:-0}" -gt 0 ] && call_ns=$(info_field cal.hwt uprobe.slow_call_ns)
	call_ns=${call_ns%.*}
	[ "${call_ns:-0}" -gt 0 ] 2>/dev/null || fail "info says $backend.call_ns is '$call_ns'"
	calls=$(py 'import sys; print(max(2000, min(5000000, int(0.25 * int(sys.argv[1]) / int(sys.argv[2])))))' \
		"$work_ns" "$call_ns")
	note "$prog: work ${work_ns} ns, a traced call ${call_ns} ns: $calls calls of tiny"

	note "$prog: sampled profile"
	hw_ok record -q -b sample -o sampled.hwt -- "$PROGS/$prog" "$calls" $UNIT
	hw_ok export -f folded -o sampled.folded sampled.hwt

	note "$prog: traced, under SCHED_FIFO"
	echo "\$ chrt -f 10 hwtrace record -q -b $backend -o traced.hwt -- $prog $calls $UNIT"
	chrt -f 10 "$HWTRACE" record -q -b "$backend" -o traced.hwt -- "$PROGS/$prog" "$calls" $UNIT \
		>traced.out 2>traced.err ||
		fail "record -b $backend under chrt failed: $(head -c 300 traced.err)"
	if [ "$backend" = inproc ]; then
		samples=$(info_field traced.hwt inproc.cost_samples)
		[ "${samples:-0}" -ge 8 ] 2>/dev/null ||
			err "$prog: the runtime took '$samples' in-run cost samples, want >= 8 for $calls calls"
	fi
	hw_ok export -f folded --view time -o raw.folded traced.hwt
	hw_ok export -f folded --view time --compensate -o comp.folded traced.hwt

	hw_ok report --compensate -n 0 traced.hwt
	sed 's/^/  /' hw.out
	grep -q "^# compensated: subtracted the probe cost measured when recording, [0-9.]* [un]s a call ($backend" hw.out ||
		err "$prog: report --compensate does not say in its header what it subtracted"
	# work_a calls tiny every turns / (calls / 10) turns of each of its 10 rounds of 2 x UNIT x
	# 100,000 turns.
	want=$(py 'import sys; t = 2 * int(sys.argv[2]) * 100000; print(10 * (t // (t // (int(sys.argv[1]) // 10))))' \
		"$calls" $UNIT)
	awk '$NF == "tiny" { print $(NF - 1) }' hw.out >tiny.calls
	[ "$(cat tiny.calls)" = "$want" ] ||
		err "$prog: report says '$(cat tiny.calls)' calls of tiny, want $want"

	py "$SHARES" sampled.folded raw.folded comp.folded || err "$prog: self-time shares (see above)"
	cd ..
}

SHARES='
import sys
FUNCS = ("work_a", "work_b", "work_c", "tiny")

def shares(path):
    """Each stack counted for the deepest of FUNCS on it (a sample in the kernel or in libc
    under work_b is work_b time): the share of each, in percent of their sum."""
    sums = dict.fromkeys(FUNCS, 0)
    for line in open(path):
        stack, _, value = line.rstrip("\n").rpartition(" ")
        ours = [f for f in stack.split(";") if f in sums]
        if ours:
            sums[ours[-1]] += int(value)
    total = sum(sums.values())
    check(total > 0, "%s: no time in %s" % (path, FUNCS))
    return {f: 100.0 * v / max(total, 1) for f, v in sums.items()}

sampled, raw, comp = (shares(p) for p in sys.argv[1:4])
for name, s in (("sampled", sampled), ("traced", raw), ("compensated", comp)):
    print("# %-12s " % name + "  ".join("%s %5.1f%%" % (f, s[f]) for f in FUNCS))
off = lambda s: max(abs(s[f] - sampled[f]) for f in FUNCS[:3])
check(off(comp) <= 5, "compensated shares are up to %.1f points off the sampled ones, want <= 5"
      % off(comp))
check(off(raw) > 5, "uncompensated shares are only %.1f points off the sampled ones: the probes"
      " should have moved them by more than 5 (too few calls of tiny?)" % off(raw))
done()
'

for run in ${COMP_RUNS:-inproc:hot3}; do
	check_shares "${run%%:*}" "${run#*:}"
done

note "bad input"
hw_ok record -q -b sample -o plain.hwt -- "$PROGS/hot3" 0 1
hw report --compensate plain.hwt
[ "$HW_RC" -ne 0 ] && grep -q "no measured probe cost" hw.err ||
	err "report --compensate of a sampled recording: want one error saying it has no probe cost, got: $(head -c 300 hw.err)"
first=${COMP_RUNS:-inproc:hot3}
first=${first%% *}
hw export -f perfetto --compensate -o t.pftrace "${first%%:*}-${first#*:}/traced.hwt"
[ "$HW_RC" -ne 0 ] && grep -q "timeline" hw.err && [ ! -e t.pftrace ] ||
	err "export -f perfetto --compensate: want a refusal and no file, got: $(head -c 300 hw.err)"
finish

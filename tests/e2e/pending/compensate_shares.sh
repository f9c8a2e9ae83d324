# NOT RUN by make e2e (tests/e2e/pending/): it fails on this project's VMs in some host states,
# see below. Run it by hand from the repository root:
#   HWTRACE=$PWD/build/hwtrace PROGS=$PWD/build/programs E2E_LIB=$PWD/tests/e2e/lib.sh \
#     bash -c 'cd "$(mktemp -d)" && source "$E2E_LIB" && source "$0"' \
#     $PWD/tests/e2e/pending/compensate_shares.sh
# Status: it passed every run (20+) while one of the two vCPUs was kept busy, and fails most runs
# with both idle: the cost a uprobe has inside the traced run then differs from what
# uprobe_cost.c measures at the start of the recording (a tight loop of calls of its own
# functions) by up to 2x (single-stepped: 5.6 us measured, ~10.5 us in hot3_stepped's run) and
# ~35 % (emulated: 1.07 us against ~1.45 us), so the compensated shares are 6-9 points off. What
# it needs is a cost measured under the run's conditions (in the run: the recorder consuming the
# ring on the other CPU, the probed instruction itself), not a better test.
# With -b inproc (by hand, hot3 1200000 40, 4 runs): the compensated shares were 3.1-8.7 points
# off (3 of 4 within 5). The runtime's measured cost (60 ns, 31 inside the call) is right for the
# caller's side, but under tracing tiny took ~44 ns inside and work_b/work_c, which call nothing
# traced, ran 5-15 % slower than untraced (238 vs 207 ms for work_c): the recorder draining and
# compressing the rings on the other vCPU (likely an SMT sibling here) slows the program's own
# code, which no per-call subtraction can take out.
#
# report/export --compensate: hot3 runs three hot functions whose CPU shares are 20, 30 and 50 %
# by construction, work_a also calling tiny() CALLS times. Under -b uprobe each call of tiny
# costs a probe (1-12 us here, far more than tiny itself), so the measured self times of work_a
# and tiny are mostly probe time. A sampled profile (-b sample, CPU time, no probes) of the same
# run gives the true shares. With --compensate, the self-time shares of work_a, work_b and
# work_c from the traced recording must be within 5 points of the sampled ones; without it,
# at least one must be off by more than 5 points, so the test can fail.
#
# hot3_stepped is the same program with tiny() probed single-stepped (~10 us a call here, the
# cost of every probe on slow hosts); hot3 has it emulated (~1-2 us).
#
# The workload is sized from what a probe costs on this host: CALLS = 0.25 x the program's CPU
# time / the cost of a call of tiny (uprobe.call_ns, or uprobe.slow_call_ns for hot3_stepped,
# from a first, short recording), so that the probes add ~25 % to the run whether a uprobe
# costs 1 us or 12 us: that moves the uncompensated shares by ~10 points, and the cost measured
# at the start of a recording, which here falls 5-15 % short of what a call costs inside the
# run, leaves the compensated ones within ~1-4. Load from other processes stretches wall-clock durations (probes included) but not
# a sampled profile's CPU time: the recordings with probes run under SCHED_FIFO (chrt), which
# ordinary load cannot preempt, and the shares compare the hot functions to each other only.
need python3 chrt

UNIT=40 # about 0.5 s of work

# check_shares PROG: the whole check on one build of hot3, in a folder of its own.
check_shares()
{
	local prog=$1 work_ns call_ns slow calls want
	mkdir -p "$prog" && cd "$prog" || fail "cannot make folder $prog"
	note "$prog alone: its CPU time"
	"$PROGS/$prog" 0 $UNIT >native.out || fail "$prog failed"
	work_ns=$(cat native.out)

	note "$prog: what a uprobe on tiny costs here"
	echo "\$ chrt -f 10 hwtrace record -q -b uprobe -o cal.hwt -- $prog 100 1"
	chrt -f 10 "$HWTRACE" record -q -b uprobe -o cal.hwt -- "$PROGS/$prog" 100 1 >cal.out \
		2>cal.err || fail "record -b uprobe under chrt failed: $(head -c 300 cal.err)"
	info_field cal.hwt "probe cost" | grep -q "a call (uprobe, .* inside the call).*report --compensate" ||
		err "$prog: info shows no probe cost line: $(info_field cal.hwt "probe cost")"
	call_ns=$(info_field cal.hwt uprobe.call_ns)
	slow=$(info_field cal.hwt uprobe.slow_path)
	[ "${slow:-0}" -gt 0 ] && call_ns=$(info_field cal.hwt uprobe.slow_call_ns)
	[ "${call_ns:-0}" -gt 0 ] 2>/dev/null || fail "info says uprobe.call_ns is '$call_ns'"
	calls=$(py 'import sys; print(max(2000, min(1000000, int(0.25 * int(sys.argv[1]) / int(sys.argv[2])))))' \
		"$work_ns" "$call_ns")
	note "$prog: work ${work_ns} ns, a call of tiny ${call_ns} ns ($slow single-stepped): $calls calls"

	note "$prog: sampled profile"
	hw_ok record -q -b sample -o sampled.hwt -- "$PROGS/$prog" "$calls" $UNIT
	hw_ok export -f folded -o sampled.folded sampled.hwt

	note "$prog: traced, under SCHED_FIFO"
	echo "\$ chrt -f 10 hwtrace record -q -b uprobe -o traced.hwt -- $prog $calls $UNIT"
	chrt -f 10 "$HWTRACE" record -q -b uprobe -o traced.hwt -- "$PROGS/$prog" "$calls" $UNIT \
		>traced.out 2>traced.err ||
		fail "record -b uprobe under chrt failed: $(head -c 300 traced.err)"
	hw_ok export -f folded --view time -o raw.folded traced.hwt
	hw_ok export -f folded --view time --compensate -o comp.folded traced.hwt

	hw_ok report --compensate -n 0 traced.hwt
	sed 's/^/  /' hw.out
	grep -q "^# compensated: subtracted the probe cost measured when recording, [0-9.]* [un]s a call (uprobe" hw.out ||
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

check_shares hot3
check_shares hot3_stepped

note "bad input"
hw_ok record -q -b sample -o plain.hwt -- "$PROGS/hot3" 0 1
hw report --compensate plain.hwt
[ "$HW_RC" -ne 0 ] && grep -q "no measured probe cost" hw.err ||
	err "report --compensate of a sampled recording: want one error saying it has no probe cost, got: $(head -c 300 hw.err)"
hw export -f perfetto --compensate -o t.pftrace hot3/traced.hwt
[ "$HW_RC" -ne 0 ] && grep -q "timeline" hw.err && [ ! -e t.pftrace ] ||
	err "export -f perfetto --compensate: want a refusal and no file, got: $(head -c 300 hw.err)"
finish

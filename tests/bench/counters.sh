#!/usr/bin/env bash
# make bench, counter plugins: what `-P proc` and `-P counters` cost a busy program at a 1 ms
# interval (goal <= 1 %).
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/counters.sh
# Programs: hot (one CPU-bound thread) and threads (4 busy threads and a busy child process: the
# recorder's poll thread competes with them for the CPUs). BENCH_N (default 5) rounds, alternating,
# of: the program alone (bare); hwtrace record -b sample --freq 1 (the least a recording costs:
# the baseline the plugins add to); the same with -P proc:interval=1ms; the same with -P
# counters:events=page-faults,events=context-switches,interval=1ms. The time is the program's own
# (build/programs/timeit), medians; ratios against bare and against the baseline recording.
# Environment: BENCH_N, BENCH_HOT_UNITS (default 200000000).
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
N=${BENCH_N:-5}
HOT_UNITS=${BENCH_HOT_UNITS:-200000000}
TIMEIT=$PROGS/timeit

die()
{
	echo "bench-counters: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
[ -x "$TIMEIT" ] || die "$TIMEIT is missing: make programs"
command -v python3 >/dev/null || die "python3 is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-counters.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: >"$results"
configs=(bare record proc counters)

# run_one PROGRAM CONFIG ROUND: appends "program config round wall_ns user_ns sys_ns values".
run_one()
{
	local prog=$1 cfg=$2 round=$3 base=$work/$1-$2 rc=0 values=0
	local -a cmd plugin=()
	case $prog in
	hot) cmd=("$PROGS/hot" "$HOT_UNITS") ;;
	*) cmd=("$PROGS/$prog") ;;
	esac
	case $cfg in
	proc) plugin=(-P proc:interval=1ms) ;;
	counters) plugin=(-P counters:events=page-faults,events=context-switches,interval=1ms) ;;
	esac
	rm -f "$base.time" "$base.hwt"
	if [ "$cfg" = bare ]; then
		"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
	else
		"$HWTRACE" record -q -b sample --freq 1 "${plugin[@]}" -o "$base.hwt" -- \
			"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
	fi
	[ "$rc" -eq 0 ] && [ -s "$base.time" ] ||
		die "$prog under $cfg failed (exit $rc): $(head -c 500 "$base.err")"
	if [ "$cfg" != bare ]; then
		# Counter values written: what the plugin recorded (values are written on change).
		values=$("$HWTRACE" export -f chrome -o "$base.json" "$base.hwt" 2>/dev/null &&
			python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
d=d["traceEvents"] if isinstance(d,dict) else d
print(sum(1 for e in d if e.get("ph")=="C"))' "$base.json" || echo -1)
		rm -f "$base.json" "$base.hwt"
	fi
	read -r wall user sys _ <"$base.time"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$cfg" "$round" "$wall" "$user" "$sys" \
		"$values" >>"$results"
}

echo "bench-counters: $N rounds of ${configs[*]} (1 ms interval) on: hot $HOT_UNITS, threads"
echo "bench-counters: host $(uname -n), $(nproc) CPUs ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r)"
for prog in hot threads; do
	for ((round = 1; round <= N; round++)); do
		for ((k = 0; k < ${#configs[@]}; k++)); do
			run_one "$prog" "${configs[$(((k + round - 1) % ${#configs[@]}))]}" "$round"
		done
		printf '  %s round %d/%d done\n' "$prog" "$round" "$N"
	done
done

python3 - "$results" "$N" <<'PY'
import sys, statistics as st
data = {}
for l in open(sys.argv[1]):
    prog, cfg, rnd, wall, user, sys_, values = l.split()
    data.setdefault((prog, cfg), []).append(
        dict(wall=int(wall) / 1e6, cpu=(int(user) + int(sys_)) / 1e6, values=int(values)))

def med(prog, cfg, key):
    return st.median(r[key] for r in data[(prog, cfg)])

def pct(a, b):
    return "%+.2f%%" % (100.0 * (a / b - 1)) if b else "n/a"

print()
print("Counter plugins at 1 ms: the program's own wall and CPU time, median of %s runs" % sys.argv[2])
print("%-8s %-9s %10s %10s %11s %10s %10s %11s" % ("program", "config", "wall ms", "vs bare",
      "vs record", "CPU ms", "vs bare", "C values"))
for prog in dict.fromkeys(p for p, _ in data):
    bw, bc = med(prog, "bare", "wall"), med(prog, "bare", "cpu")
    rw = med(prog, "record", "wall")
    for cfg in ("bare", "record", "proc", "counters"):
        w, c = med(prog, cfg, "wall"), med(prog, cfg, "cpu")
        print("%-8s %-9s %10.1f %10s %11s %10.1f %10s %11s" % (
            prog, cfg, w, "" if cfg == "bare" else pct(w, bw),
            "" if cfg in ("bare", "record") else pct(w, rw), c,
            "" if cfg == "bare" else pct(c, bc),
            "" if cfg == "bare" else "%d" % med(prog, cfg, "values")))
    print()
print("record: hwtrace record -b sample --freq 1, no plugin; proc and counters add one each.")
PY

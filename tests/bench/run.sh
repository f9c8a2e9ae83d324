#!/usr/bin/env bash
# make bench: hwtrace against Linux perf on the same programs in the same run, alternating.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/run.sh
# For each program (hot with a large argument, threads), BENCH_N (default 5) rounds of: the
# program alone, perf record -g, hwtrace record -g fp, the same without the stack copy of the leaf
# fix-up (hwtrace-fp0: -b sample:leaf_stack=0), perf record --call-graph dwarf, hwtrace record -g
# dwarf, all at 4000 Hz. The time measured is the program's own (build/programs/timeit
# runs it and writes its CLOCK_MONOTONIC wall time and rusage), so neither recorder's start and
# stop cost is counted (perf's alone is ~1.1 s here). Then bytes per sample of .hwt against
# perf.data, and export throughput (samples/s) of a large recording per format.
# Then the time a kill -9 of the recorder loses (BENCH_KILLS kills, default 20).
# Environment: PERF (default /usr/bin/perf, else perf on PATH), BENCH_N, BENCH_HOT_UNITS,
# BENCH_KILLS.
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
PERF=${PERF:-/usr/bin/perf}
[ -x "$PERF" ] || PERF=$(command -v perf || true)
N=${BENCH_N:-5}
HOT_UNITS=${BENCH_HOT_UNITS:-200000000}
FREQ=4000
TIMEIT=$PROGS/timeit

die()
{
	echo "bench: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
[ -x "$TIMEIT" ] || die "$TIMEIT is missing: make programs"
[ -n "$PERF" ] && [ -x "$PERF" ] || die "perf is missing: apt-get install linux-perf"
command -v python3 >/dev/null || die "python3 is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
results=$work/results.tsv
: >"$results"

programs=(hot threads)
configs=(bare perf-fp hwtrace-fp hwtrace-fp0 perf-dwarf hwtrace-dwarf)

# perf_stats FILE: "SAMPLES LOST" of a perf.data.
perf_stats()
{
	"$PERF" report --stats -i "$1" 2>/dev/null | awk '
		/^ *SAMPLE events:/ && !s { s = $3 }
		/^ *LOST events:/ && !l { l = $3 }
		END { printf "%d %d\n", s, l }'
}

# hwt_stats FILE: "SAMPLES LOST" of a .hwt.
hwt_stats()
{
	"$HWTRACE" info "$1" 2>/dev/null | awk '
		/^samples / { s = $2 }
		/^lost +[0-9]/ { l = $2 }
		/^lost +unknown/ { l = -1 }
		END { printf "%d %d\n", s, l }'
}

# run_one PROGRAM CONFIG ROUND: appends "program config round wall user sys samples lost bytes".
run_one()
{
	local prog=$1 cfg=$2 round=$3 base=$work/$1-$2 data="" stats="0 0" rc=0
	local -a cmd
	case $prog in
	hot) cmd=("$PROGS/hot" "$HOT_UNITS") ;;
	*) cmd=("$PROGS/$prog") ;;
	esac
	rm -f "$base.time"
	case $cfg in
	bare)
		"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
		;;
	perf-fp)
		data=$base.data
		"$PERF" record -q -g -F "$FREQ" -o "$data" -- "$TIMEIT" "$base.time" "${cmd[@]}" \
			>/dev/null 2>"$base.err" || rc=$?
		;;
	perf-dwarf)
		data=$base.data
		"$PERF" record -q --call-graph dwarf -F "$FREQ" -o "$data" -- \
			"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
		;;
	hwtrace-fp0)
		data=$base.hwt
		"$HWTRACE" record -q -b sample:leaf_stack=0 --freq "$FREQ" -g fp -o "$data" -- \
			"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
		;;
	hwtrace-fp | hwtrace-dwarf)
		data=$base.hwt
		"$HWTRACE" record -q -b sample --freq "$FREQ" -g "${cfg#hwtrace-}" -o "$data" -- \
			"$TIMEIT" "$base.time" "${cmd[@]}" >/dev/null 2>"$base.err" || rc=$?
		;;
	esac
	[ "$rc" -eq 0 ] && [ -s "$base.time" ] ||
		die "$prog under $cfg failed (exit $rc): $(head -c 500 "$base.err")"
	case $cfg in
	perf-*) stats=$(perf_stats "$data") ;;
	hwtrace-*) stats=$(hwt_stats "$data") ;;
	esac
	local bytes=0
	[ -n "$data" ] && bytes=$(stat -c %s "$data")
	read -r wall user sys _ <"$base.time"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$prog" "$cfg" "$round" "$wall" "$user" "$sys" \
		"${stats// /$'\t'}" "$bytes" >>"$results"
	[ -n "$data" ] && rm -f "$data"
	return 0
}

echo "bench: $N rounds of ${configs[*]} on: hot $HOT_UNITS, threads ($FREQ Hz)"
echo "bench: perf $("$PERF" --version 2>/dev/null | awk '{print $3}'), $(nproc) CPUs, $(uname -r)"
for prog in "${programs[@]}"; do
	for ((round = 1; round <= N; round++)); do
		# Alternate, and rotate the order each round so no configuration always runs first.
		for ((k = 0; k < ${#configs[@]}; k++)); do
			cfg=${configs[$(((k + round - 1) % ${#configs[@]}))]}
			run_one "$prog" "$cfg" "$round"
		done
		printf '  %s round %d/%d done\n' "$prog" "$round" "$N"
	done
done

# Export throughput: one large recording per call graph mode, every format, best of 3.
echo "bench: export throughput"
tput=$work/export.tsv
: >"$tput"
for mode in fp dwarf; do
	big=$work/big-$mode.hwt
	freq=20000
	[ "$mode" = dwarf ] && freq=10000
	"$HWTRACE" record -q -b sample --freq "$freq" -g "$mode" -o "$big" -- "$PROGS/hot" "$HOT_UNITS" \
		>/dev/null 2>"$work/big.err" || die "large $mode recording failed: $(cat "$work/big.err")"
	read -r samples _ <<<"$(hwt_stats "$big")"
	for fmt in perfetto chrome folded pprof svg; do
		best=""
		for ((i = 0; i < 3; i++)); do
			t0=$(date +%s%N)
			"$HWTRACE" export -f "$fmt" -o "$work/out.$fmt" "$big" 2>"$work/export.err" ||
				die "export -f $fmt failed: $(cat "$work/export.err")"
			t1=$(date +%s%N)
			ns=$((t1 - t0))
			[ -z "$best" ] || [ "$ns" -lt "$best" ] && best=$ns
		done
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$mode" "$fmt" "$samples" "$best" \
			"$(stat -c %s "$big")" "$(stat -c %s "$work/out.$fmt")" >>"$tput"
		rm -f "$work/out.$fmt"
	done
done

python3 - "$results" "$tput" "$N" <<'EOF'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
n = sys.argv[3]
data = {}
for prog, cfg, rnd, wall, user, sys_, samples, lost, size in rows:
    data.setdefault((prog, cfg), []).append(
        dict(wall=int(wall) / 1e6, cpu=(int(user) + int(sys_)) / 1e6, samples=int(samples),
             lost=int(lost), bytes=int(size)))

def med(prog, cfg, key):
    return st.median(r[key] for r in data[(prog, cfg)])

def pct(a, b):
    return "%+.1f%%" % (100.0 * (a / b - 1)) if b else "n/a"

print()
print("Program run time (its own CLOCK_MONOTONIC wall time, and user+sys CPU), median of %s runs:" % n)
print("%-8s %-14s %10s %10s %9s %9s %9s %8s %10s" % (
    "program", "recorder", "wall ms", "vs bare", "CPU ms", "vs bare", "samples", "lost",
    "B/sample"))
for prog in dict.fromkeys(p for p, _ in data):
    bw, bc = med(prog, "bare", "wall"), med(prog, "bare", "cpu")
    for cfg in ("bare", "perf-fp", "hwtrace-fp", "hwtrace-fp0", "perf-dwarf", "hwtrace-dwarf"):
        if (prog, cfg) not in data:
            continue
        w, c = med(prog, cfg, "wall"), med(prog, cfg, "cpu")
        s, l, b = med(prog, cfg, "samples"), med(prog, cfg, "lost"), med(prog, cfg, "bytes")
        print("%-8s %-14s %10.1f %10s %9.1f %9s %9s %8s %10s" % (
            prog, cfg, w, "" if cfg == "bare" else pct(w, bw), c,
            "" if cfg == "bare" else pct(c, bc), "" if cfg == "bare" else "%d" % s,
            "" if cfg == "bare" else "%d" % l,
            "" if cfg == "bare" else "%.0f" % (b / s if s else 0)))
    print()

print("hwtrace / perf, medians (goal: ratio <= 1.05). Wall time is what the user waits for; CPU")
print("time is steadier where threads compete for few CPUs (threads has 5 busy threads):")
print("%-8s %-6s %11s %11s %10s %10s %10s %18s" % ("program", "graph", "hwtrace ms", "perf ms",
      "wall ratio", "CPU ratio", "B/sample", "vs bare: h / p"))
for prog in dict.fromkeys(p for p, _ in data):
    bw = med(prog, "bare", "wall")
    for g in ("fp", "dwarf"):
        h, p = med(prog, "hwtrace-" + g, "wall"), med(prog, "perf-" + g, "wall")
        hc, pc = med(prog, "hwtrace-" + g, "cpu"), med(prog, "perf-" + g, "cpu")
        hs, ps = med(prog, "hwtrace-" + g, "samples"), med(prog, "perf-" + g, "samples")
        hb = med(prog, "hwtrace-" + g, "bytes") / hs if hs else 0
        pb = med(prog, "perf-" + g, "bytes") / ps if ps else 0
        print("%-8s %-6s %11.1f %11.1f %10.3f %10.3f %10s %18s" % (
            prog, g, h, p, h / p, hc / pc, "%.0f / %.0f" % (hb, pb),
            "%s / %s" % (pct(h, bw), pct(p, bw))))
print("(B/sample: .hwt bytes / perf.data bytes per recorded sample)")
print()

print("Export throughput (hwtrace export of a large recording of hot, best of 3):")
print("%-6s %-9s %9s %10s %14s %12s" % ("graph", "format", "samples", "seconds", "samples/s",
                                         "output KiB"))
for l in open(sys.argv[2]):
    mode, fmt, samples, ns, hwt, out = l.split()
    secs = int(ns) / 1e9
    print("%-6s %-9s %9s %10.3f %14.0f %12.0f" % (mode, fmt, samples, secs,
          int(samples) / secs if secs else 0, int(out) / 1024))
EOF

# The read side of -g dwarf: unwinding alone, then perf report against hwtrace on xz.
PERF=$PERF HWTRACE=$HWTRACE bash "$(dirname "${BASH_SOURCE[0]}")/unwind.sh"
# Decoding sample recordings (-g fp with and without the leaf copy, -g dwarf) on one core (#14).
HWTRACE=$HWTRACE bash "$(dirname "${BASH_SOURCE[0]}")/sample.sh"
# Second part: tracing every call (hwtrace -b uprobe) against perf probe and uftrace.
PERF=$PERF bash "$(dirname "${BASH_SOURCE[0]}")/uprobe.sh"
# Every call of a real program (SQLite): hwtrace against uftrace, per call, bytes, start-up.
bash "$(dirname "${BASH_SOURCE[0]}")/sqlite.sh"
# Reading a ~10.9 M-call recording of SQLite: decode and every format against uftrace (issue 14).
HWTRACE=$HWTRACE PROGS=$PROGS bash "$(dirname "${BASH_SOURCE[0]}")/read.sh"
# The Perfetto export of every call of SQLite: bytes per slice event, events/s (issue 14).
bash "$(dirname "${BASH_SOURCE[0]}")/perfetto.sh"
HWTRACE=$HWTRACE bash "$(dirname "${BASH_SOURCE[0]}")/pt.sh" # Intel PT decoding throughput
PROGS=$PROGS HWTRACE=$HWTRACE bash "$(dirname "${BASH_SOURCE[0]}")/counters.sh" # counter plugins
HWTRACE=$HWTRACE bash "$(dirname "${BASH_SOURCE[0]}")/api.sh" # libhwtrace: cost per event, throughput
# kill -9 of the recorder at 20 random points: the time lost at the end (the README: <= 200 ms).
echo
echo "== kill -9 of the recorder: loss at the end of the recording =="
e2e_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/../e2e" && pwd)
(cd "$work" && python3 "$e2e_dir/kill_loss.py" "$HWTRACE" "$PROGS" "${BENCH_KILLS:-20}") | tail -1

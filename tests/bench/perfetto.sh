#!/usr/bin/env bash
# make bench, Perfetto part: the size and speed of hwtrace export -f perfetto on every call of a
# real program. Records sqlite-O2 (ci/sqlite.sh) with -b inproc (BENCH_PF_ROWS rows, default
# 100000: about 10.9 M calls) and fib 25 (242,786 calls), then exports each to Perfetto and, for
# reference, to Chrome JSON, alternating, BENCH_N rounds (default 3), best time of each. Events
# are the model's: a call is two, its slice begin and its slice end; bytes per event is the
# .pftrace's size over them (the goal of issue 14: <= 14). Events/s include the decoding of the
# recording, which both formats pay alike; then the exporter alone (bench_perfetto.c: slice
# events made in memory, its CPU time).
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/perfetto.sh
# Environment: SQLITE_DIR, BENCH_N, BENCH_PF_ROWS, BENCH_KEEP=1.
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
N=${BENCH_N:-3}
ROWS=${BENCH_PF_ROWS:-100000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${SQLITE_DIR:-$(dirname "$PROGS")/sqlite}

die()
{
	echo "bench-perfetto: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
command -v python3 >/dev/null || die "python3 is missing"

echo
echo "== Perfetto export: bytes per slice event and events/s (Chrome JSON beside it) =="
work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-perfetto.XXXXXX")
if [ -n "${BENCH_KEEP:-}" ]; then
	trap 'echo "bench-perfetto: kept $work"' EXIT
else
	trap 'rm -rf "$work"' EXIT
fi

names=(fib)
"$HWTRACE" record -q -b inproc -o "$work/fib.hwt" -- "$PROGS/fib" 25 >/dev/null 2>"$work/err" ||
	die "record of fib failed: $(head -c 300 "$work/err")"
if bash "$root/ci/sqlite.sh" "$dir" O2 >"$work/build.log" 2>&1 && [ -x "$dir/sqlite-O2" ]; then
	"$HWTRACE" record -q -b inproc -o "$work/sqlite.hwt" -- "$dir/sqlite-O2" "$ROWS" -t \
		>/dev/null 2>"$work/err" || die "record of sqlite-O2 failed: $(head -c 300 "$work/err")"
	names+=(sqlite)
else
	echo "bench-perfetto: sqlite-O2 is not there ($(tail -n 1 "$work/build.log")): fib only"
fi

: >"$work/results.tsv"
for name in "${names[@]}"; do
	slices=$("$HWTRACE" info "$work/$name.hwt" | awk '$1 == "slices" { print $2 }')
	for ((round = 1; round <= N; round++)); do
		for fmt in perfetto chrome; do
			t0=$(date +%s%N)
			"$HWTRACE" export -f "$fmt" -o "$work/out.$fmt" "$work/$name.hwt" 2>"$work/err" ||
				die "export -f $fmt of $name failed: $(head -c 300 "$work/err")"
			t1=$(date +%s%N)
			printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$fmt" "$slices" $((t1 - t0)) \
				"$(stat -c %s "$work/out.$fmt")" >>"$work/results.tsv"
			rm -f "$work/out.$fmt"
		done
	done
done

python3 - "$work/results.tsv" "$N" <<'EOF'
import sys
best = {}
for l in open(sys.argv[1]):
    name, fmt, slices, ns, size = l.split()
    k = (name, fmt)
    if k not in best or int(ns) < best[k][1]:
        best[k] = (int(slices) * 2, int(ns), int(size))
print("events: the model's slice begins and ends (two per call); best of %s rounds" % sys.argv[2])
print("%-8s %-9s %11s %9s %13s %11s %9s" % ("program", "format", "events", "seconds", "events/s",
                                            "MB", "B/event"))
for (name, fmt), (ev, ns, size) in best.items():
    print("%-8s %-9s %11d %9.3f %13.0f %11.1f %9.2f" % (name, fmt, ev, ns / 1e9,
          ev / (ns / 1e9), size / 1e6, size / ev))
EOF

# The exporter alone, without decoding (tests/bench/bench_perfetto.c, against the built
# library): its CPU time per slice event.
lib=$(dirname "$HWTRACE")/libhwtrace.a
if ${CC:-cc} -O2 -g -D_GNU_SOURCE -I"$root" -I"$root/include" -o "$work/bench_perfetto" \
	"$here/bench_perfetto.c" "$lib" -ldw -lelf -lzstd -lz -lcapstone -lpfm -lipt -lstdc++ \
	-lpthread -ldl 2>"$work/cc.err"; then
	"$work/bench_perfetto" 20 || echo "bench-perfetto: bench_perfetto failed"
else
	echo "bench-perfetto: cannot build bench_perfetto: $(head -c 300 "$work/cc.err")"
fi

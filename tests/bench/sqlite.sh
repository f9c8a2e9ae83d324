#!/usr/bin/env bash
# make bench, SQLite part: the cost of tracing every call of a real program, side by side in one
# run on the same binaries: hwtrace record -b uprobe and -b inproc (where that backend exists)
# of sqlite-O2, uftrace record of the -pg build of the same source (sqlite-pg) and uftrace
# record -P . (dynamic patching) of sqlite-O2 itself; then the start-up time for 10,000
# functions. The programs come from ci/sqlite.sh (the amalgamation better-sqlite3 ships, at -O2,
# work.c's fixed workload); the time measured is the program's own (work.c -t: from open to
# close), so no tracer's start or stop is counted.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/sqlite.sh
# Reported per tracer: calls it recorded, ns per call ((own time - bare) / calls), bytes of
# data per call, and ratios to uftrace. Goals (issue 13): <= 100 ns a call, <= 4 bytes a call,
# start-up <= 50 ms for 10,000 functions.
# Environment: UFTRACE, BENCH_N (rounds, default 3), BENCH_SQLITE_ROWS (default 10000: ~1 M
# calls), BENCH_KEEP=1.
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
UFTRACE=${UFTRACE:-$(command -v uftrace || true)}
N=${BENCH_N:-3}
ROWS=${BENCH_SQLITE_ROWS:-10000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=${SQLITE_DIR:-$(dirname "$PROGS")/sqlite}

die()
{
	echo "bench-sqlite: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
command -v python3 >/dev/null || die "python3 is missing"

echo
echo "== tracing every call of SQLite: hwtrace against uftrace =="
bash "$root/ci/sqlite.sh" "$dir" O2 pg >"${TMPDIR:-/tmp}/bench-sqlite-build.$$" 2>&1
rc=$?
msg=$(tail -n 1 "${TMPDIR:-/tmp}/bench-sqlite-build.$$")
rm -f "${TMPDIR:-/tmp}/bench-sqlite-build.$$"
if [ $rc -eq 2 ]; then
	echo "bench-sqlite: skipped: $msg"
	exit 0
fi
[ $rc -eq 0 ] || die "ci/sqlite.sh failed: $msg"

work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-sqlite.XXXXXX")
cleanup()
{
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench-sqlite: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
results=$work/results.tsv
: >"$results"

configs=(bare hwtrace-uprobe)
if "$HWTRACE" list 2>/dev/null | grep -q '^ *inproc *yes'; then
	configs+=(hwtrace-inproc)
else
	echo "bench-sqlite: hwtrace has no usable -b inproc here (hwtrace list): left out"
fi
if [ -n "$UFTRACE" ]; then
	configs+=(uftrace-pg uftrace-dyn)
	echo "bench-sqlite: $("$UFTRACE" --version 2>/dev/null | head -n 1)"
else
	echo "bench-sqlite: uftrace is missing (ci/deps.sh --bench): uftrace left out"
fi

# calls_of CONFIG DATA: the number of calls the tracer recorded.
calls_of()
{
	case $1 in
	hwtrace-*)
		"$HWTRACE" info "$2" 2>/dev/null | awk '$1 == "slices" { print $2 }'
		;;
	uftrace-*)
		"$UFTRACE" report -d "$2" -s call --no-pager 2>/dev/null |
			awk '$NF != "Function" && $(NF - 1) ~ /^[0-9]+$/ { n += $(NF - 1) } END { print n + 0 }'
		;;
	esac
}

# run_one CONFIG ROUND: appends "config round ns calls bytes".
run_one()
{
	local cfg=$1 round=$2 base=$work/$1 data="" rc=0
	rm -rf "$base".*
	case $cfg in
	bare)
		"$dir/sqlite-O2" "$ROWS" -t >"$base.out" 2>"$base.err" || rc=$?
		;;
	hwtrace-uprobe | hwtrace-inproc)
		# Through a pipe: it ends when hwtrace's background detach has.
		data=$base.hwt
		"$HWTRACE" record -q -b "${cfg#hwtrace-}" -o "$data" -- "$dir/sqlite-O2" "$ROWS" -t \
			2>"$base.err" | cat >"$base.out"
		rc=${PIPESTATUS[0]}
		;;
	uftrace-pg)
		data=$base.uftrace
		"$UFTRACE" record --no-libcall -d "$data" "$dir/sqlite-pg" "$ROWS" -t \
			>"$base.out" 2>"$base.err" || rc=$?
		;;
	uftrace-dyn)
		data=$base.uftrace
		"$UFTRACE" record --force --no-libcall -P . -d "$data" "$dir/sqlite-O2" "$ROWS" -t \
			>"$base.out" 2>"$base.err" || rc=$?
		;;
	esac
	local ns calls=0 bytes=0
	ns=$(awk '$1 == "time" { print $2 }' "$base.err")
	[ "$rc" -eq 0 ] && [ -n "$ns" ] || die "$cfg failed (exit $rc): $(head -c 500 "$base.err")"
	if [ -n "$data" ]; then
		calls=$(calls_of "$cfg" "$data")
		bytes=$(du -sb "$data" | cut -f1)
		rm -rf "$data"
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$cfg" "$round" "$ns" "${calls:-0}" "$bytes" >>"$results"
}

echo "bench-sqlite: $N rounds of ${configs[*]} on sqlite-O2 $ROWS"
for ((round = 1; round <= N; round++)); do
	for ((k = 0; k < ${#configs[@]}; k++)); do
		run_one "${configs[$(((k + round - 1) % ${#configs[@]}))]}" "$round"
	done
	printf '  round %d/%d done\n' "$round" "$N"
done

# Start-up for 10,000 functions: a generated program of 10,000 functions (each called once
# from main), every one traced. Start-up is the time from the tracer's start to the program's
# main (its CLOCK_REALTIME, printed first thing), less that of the program alone.
echo "bench-sqlite: start-up for 10,000 functions, $N rounds"
python3 - "$work/f10k.c" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("#include <stdio.h>\n#include <time.h>\nvolatile int sink;\n")
    for i in range(10000):
        f.write("__attribute__((noinline)) void f%d(void) { sink++; }\n" % i)
    f.write("int main(void) {\n struct timespec ts;\n clock_gettime(CLOCK_REALTIME, &ts);\n")
    f.write(' printf("main %lld\\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);\n')
    for i in range(10000):
        f.write(" f%d();\n" % i)
    f.write(" return 0;\n}\n")
PY
cc -O0 -g -fno-omit-frame-pointer -o "$work/f10k" "$work/f10k.c" || die "cannot build f10k"
cc -O0 -g -pg -o "$work/f10k-pg" "$work/f10k.c" || die "cannot build f10k -pg"
starts=$work/starts.tsv
: >"$starts"
for ((round = 1; round <= N; round++)); do
	for cfg in "${configs[@]}"; do
		rm -rf "$work/s.hwt" "$work/s.uftrace"
		t0=$(date +%s%N)
		case $cfg in
		bare) "$work/f10k" >"$work/s.out" 2>"$work/s.err" ;;
		hwtrace-*)
			"$HWTRACE" record -q -b "${cfg#hwtrace-}" -o "$work/s.hwt" -- "$work/f10k" \
				2>"$work/s.err" | cat >"$work/s.out"
			;;
		uftrace-pg)
			"$UFTRACE" record --no-libcall -d "$work/s.uftrace" "$work/f10k-pg" \
				>"$work/s.out" 2>"$work/s.err"
			;;
		uftrace-dyn)
			"$UFTRACE" record --force --no-libcall -P . -d "$work/s.uftrace" "$work/f10k" \
				>"$work/s.out" 2>"$work/s.err"
			;;
		esac
		t1=$(awk '$1 == "main" { print $2 }' "$work/s.out")
		[ -n "$t1" ] || die "f10k under $cfg printed no start: $(head -c 300 "$work/s.err")"
		echo "$cfg $((t1 - t0))" >>"$starts"
	done
done

python3 - "$results" "$starts" "$(uname -r)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)" \
	"$(nproc)" <<'PY'
import sys, statistics
results, starts, kernel, cpu, ncpu = sys.argv[1:6]
by = {}
for line in open(results):
    cfg, rnd, ns, calls, b = line.split("\t")
    by.setdefault(cfg, []).append((int(ns), int(calls), int(b)))
med = lambda xs: statistics.median(xs)
bare = med([r[0] for r in by["bare"]])
print()
print("host: %s, %s CPUs, kernel %s" % (cpu.strip(), ncpu, kernel))
print("sqlite-O2 alone: %.1f ms (median of %d)" % (bare / 1e6, len(by["bare"])))
print("%-16s %10s %11s %9s %11s %10s" % ("tracer", "calls", "own ms", "slowdown", "ns/call",
                                         "bytes/call"))
rows = {}
for cfg, rs in by.items():
    if cfg == "bare":
        continue
    ns, calls, b = med([r[0] for r in rs]), med([r[1] for r in rs]), med([r[2] for r in rs])
    per = (ns - bare) / calls if calls else float("nan")
    rows[cfg] = (per, b / calls if calls else float("nan"))
    print("%-16s %10d %11.1f %8.1fx %11.0f %10.1f" % (cfg, calls, ns / 1e6, ns / bare, per,
                                                      b / calls if calls else float("nan")))
for ref in ("uftrace-pg", "uftrace-dyn"):
    for cfg in ("hwtrace-uprobe", "hwtrace-inproc"):
        if ref in rows and cfg in rows:
            print("%s / %s: %.1fx the cost a call, %.2fx the bytes a call" % (
                cfg, ref, rows[cfg][0] / rows[ref][0], rows[cfg][1] / rows[ref][1]))
st = {}
for line in open(starts):
    cfg, ns = line.split()
    st.setdefault(cfg, []).append(int(ns))
b0 = med(st["bare"])
print("start-up for 10,000 functions (tracer start to main, less the program alone, median):")
for cfg, v in st.items():
    if cfg != "bare":
        print("  %-16s %8.1f ms" % (cfg, (med(v) - b0) / 1e6))
print("goals (issue 13): <= 100 ns a call, <= 4 bytes a call, start-up <= 50 ms")
PY

#!/usr/bin/env bash
# make bench, second part: the cost of tracing every call and return of a function, hwtrace
# against Linux perf and uftrace on the same program, the same function, the same run,
# alternating.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/uprobe.sh
# The program is build/programs/calls (tests/programs/calls.c): `calls N` calls work() N times,
# `calls fib 25` makes 242,785 calls of fib; it prints its own CLOCK_MONOTONIC time around the
# calls alone, so no recorder's start, attach or detach is counted. BENCH_N (default 5) rounds of
# each workload under: nothing (bare), hwtrace record -b uprobe -F FUNC, perf probe FUNC and
# FUNC%return + perf record of both events, uftrace record -F FUNC of a copy built with -pg
# (uftrace-pg), and uftrace record -P FUNC (dynamic patching) of the same binary the others run
# (uftrace-dyn). Reported: ns per call ((own time - bare) / calls), the ratio hwtrace / perf
# (goal <= 1.0) and data bytes per call (goal for .hwt <= 8). Then, for many.c (1,000 functions,
# all traced): attach time (info's uprobe.attach_ms), the record's wall time beyond the program's,
# the time from the program's exit to hwtrace's exit (goal <= 1 s) and to the end of the
# background detach.
# Environment: PERF, UFTRACE, BENCH_N, BENCH_CALLS (default 1000000), BENCH_FIB (default 25),
# BENCH_KEEP=1 (keep the scratch directory).
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
PERF=${PERF:-/usr/bin/perf}
[ -x "$PERF" ] || PERF=$(command -v perf || true)
UFTRACE=${UFTRACE:-$(command -v uftrace || true)}
N=${BENCH_N:-5}
CALLS=${BENCH_CALLS:-1000000}
FIB=${BENCH_FIB:-25}
PROG=$PROGS/calls
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die()
{
	echo "bench-uprobe: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
[ -x "$PROG" ] || die "$PROG is missing: make programs"
[ -x "$PROGS/many" ] || die "$PROGS/many is missing: make programs"
command -v python3 >/dev/null || die "python3 is missing"

work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-uprobe.XXXXXX")
probes=""
cleanup()
{
	[ -n "$probes" ] && "$PERF" probe -q -d "$probes" >/dev/null 2>&1
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench-uprobe: kept $work"
	else
		rm -rf "$work"
	fi
}
trap cleanup EXIT
results=$work/results.tsv
: >"$results"

configs=(bare hwtrace)

# perf: uprobe events on the entry and return of both functions, removed again on exit.
if [ -n "$PERF" ] && [ -x "$PERF" ]; then
	group=probe_$(basename "$PROG" | tr -c 'A-Za-z0-9_\n' _)
	"$PERF" probe -q -d "$group:*" >/dev/null 2>&1
	ok=1
	for p in work work%return fib fib%return; do
		"$PERF" probe -q -x "$PROG" "$p" >"$work/probe.err" 2>&1 || ok=0
	done
	probes="$group:*"
	if [ $ok = 1 ]; then
		configs+=(perf)
	else
		echo "bench-uprobe: perf probe failed, perf left out: $(head -c 300 "$work/probe.err")"
	fi
else
	echo "bench-uprobe: perf is missing (apt-get install linux-perf): perf left out"
fi

# uftrace: a -pg copy of the program for mcount tracing, and dynamic patching of the program
# itself where this uftrace can (-P needs its capstone build for code without -pg).
if [ -n "$UFTRACE" ]; then
	if cc -pg -O0 -g -fno-omit-frame-pointer -o "$work/calls-pg" "$here/../programs/calls.c" \
		2>"$work/cc.err"; then
		configs+=(uftrace-pg)
	else
		echo "bench-uprobe: cc -pg failed, uftrace-pg left out: $(head -c 300 "$work/cc.err")"
	fi
	if "$UFTRACE" record --force -P work -d "$work/probe.uftrace" "$PROG" 10 \
		>"$work/dyn.out" 2>"$work/dyn.err" && grep -q '^calls 10 ' "$work/dyn.out" &&
		"$UFTRACE" report -d "$work/probe.uftrace" 2>/dev/null | grep -q ' work$'; then
		configs+=(uftrace-dyn)
	else
		echo "bench-uprobe: uftrace record -P work (dynamic) does not work here, left out:" \
			"$(head -c 300 "$work/dyn.err")"
	fi
	rm -rf "$work/probe.uftrace"
else
	echo "bench-uprobe: uftrace is missing (apt-get install uftrace): uftrace left out"
fi

# run_one WORKLOAD CONFIG ROUND: appends "workload config round calls ns bytes lost".
run_one()
{
	local wl=$1 cfg=$2 round=$3 base=$work/$1-$2 data="" rc=0 lost=0 fn
	local -a args
	case $wl in
	loop) fn=work args=("$CALLS") ;;
	fib) fn=fib args=(fib "$FIB") ;;
	esac
	rm -rf "$base".*
	case $cfg in
	bare)
		"$PROG" "${args[@]}" >"$base.out" 2>"$base.err" || rc=$?
		;;
	hwtrace)
		# Through a pipe: the pipeline ends when hwtrace's background detach has, so the
		# next run meets no probe of this one.
		data=$base.hwt
		"$HWTRACE" record -q -b uprobe -F "$fn" -o "$data" -- "$PROG" "${args[@]}" \
			2>"$base.err" | cat >"$base.out"
		rc=${PIPESTATUS[0]}
		;;
	perf)
		data=$base.data
		"$PERF" record -q -e "$group:$fn" -e "$group:${fn}__return" -o "$data" -- \
			"$PROG" "${args[@]}" >"$base.out" 2>"$base.err" || rc=$?
		;;
	uftrace-pg)
		data=$base.uftrace
		"$UFTRACE" record -F "$fn" -d "$data" "$work/calls-pg" "${args[@]}" \
			>"$base.out" 2>"$base.err" || rc=$?
		;;
	uftrace-dyn)
		data=$base.uftrace
		"$UFTRACE" record --force -P "$fn" -d "$data" "$PROG" "${args[@]}" \
			>"$base.out" 2>"$base.err" || rc=$?
		;;
	esac
	local calls ns
	read -r _ calls _ ns _ <<<"$(grep '^calls ' "$base.out")"
	[ "$rc" -eq 0 ] && [ -n "${ns:-}" ] ||
		die "$wl under $cfg failed (exit $rc): $(head -c 500 "$base.err")"
	case $cfg in
	hwtrace)
		lost=$("$HWTRACE" info "$data" 2>/dev/null | awk '$1 == "lost" && $2 ~ /^[0-9]+$/ { print $2 }')
		;;
	perf)
		lost=$("$PERF" report --stats -i "$data" 2>/dev/null |
			awk '/^ *LOST events:/ { print $3; exit }')
		;;
	esac
	local bytes=0
	[ -n "$data" ] && bytes=$(du -sb "$data" | cut -f1)
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" "$cfg" "$round" "$calls" "$ns" "$bytes" \
		"${lost:-0}" >>"$results"
	[ -n "$data" ] && rm -rf "$data"
	return 0
}

echo
echo "bench-uprobe: $N rounds of ${configs[*]} on: calls $CALLS (work), calls fib $FIB"
[ -n "$UFTRACE" ] && echo "bench-uprobe: $("$UFTRACE" --version 2>/dev/null | head -n 1)"
for wl in loop fib; do
	for ((round = 1; round <= N; round++)); do
		for ((k = 0; k < ${#configs[@]}; k++)); do
			run_one "$wl" "${configs[$(((k + round - 1) % ${#configs[@]}))]}" "$round"
		done
		printf '  %s round %d/%d done\n' "$wl" "$round" "$N"
	done
done

# Attach and detach of 1,000 functions (many.c, every function traced). Timestamps in realtime
# ns: before hwtrace starts (t0), right after it exits (t1), when the pipe it wrote to closes,
# that is when its background detach has ended too (t2). The program's first call (main) and its
# exit come from the recording, in CLOCK_MONOTONIC, and are moved to realtime with info's
# start_realtime / start_monotonic.
echo "bench-uprobe: attach and detach of 1,000 functions (many), $N rounds"
many=$work/many.tsv
: >"$many"
for ((round = 1; round <= N; round++)); do
	t0=$(date +%s%N)
	{
		"$HWTRACE" record -q -b uprobe -o "$work/many.hwt" -- "$PROGS/many" 2>"$work/many.err"
		echo "rc $? $(date +%s%N)"
	} | cat >"$work/many.out"
	t2=$(date +%s%N)
	read -r _ rc t1 <<<"$(grep '^rc ' "$work/many.out")"
	[ "${rc:-1}" = 0 ] || die "hwtrace record of many failed: $(head -c 500 "$work/many.err")"
	"$HWTRACE" export -o "$work/many.json" "$work/many.hwt" 2>"$work/many.err" ||
		die "export of many failed: $(cat "$work/many.err")"
	"$HWTRACE" info "$work/many.hwt" >"$work/many.info"
	python3 - "$work/many.json" "$work/many.info" "$t0" "$t1" "$t2" >>"$many" <<'EOF' ||
import sys, json
path, info, t0, t1, t2 = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
kv = {}
for line in open(info):
    f = line.split(None, 1)
    if len(f) == 2:
        kv[f[0]] = f[1].strip()
rt = lambda mono_us: round(float(kv["start_realtime"]) * 1e9) + round(mono_us * 1000) - \
    int(kv["start_monotonic"])
d = json.load(open(path))
evs = d["traceEvents"] if isinstance(d, dict) else d
main = min(e["ts"] for e in evs if e.get("name") == "main" and e.get("ph") in ("B", "X"))
ex = max(e["ts"] for e in evs if e.get("ph") == "i" and e.get("name", "").startswith("exit"))
first, exit_ = rt(main), rt(ex)
# attach_ms functions start->main program wall wall-program exit->hwtrace-exit exit->detached
print("%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d" % (kv.get("uprobe.attach_ms", "0"),
      kv.get("uprobe.functions", "0"), first - t0, exit_ - first, t1 - t0,
      t1 - t0 - (exit_ - first), t1 - exit_, t2 - exit_))
EOF
		die "cannot read the recording of many"
done

python3 - "$results" "$many" "$N" "$CALLS" "$FIB" <<'EOF'
import sys, statistics as st
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
n, ncalls, nfib = sys.argv[3], sys.argv[4], sys.argv[5]
data = {}
for wl, cfg, rnd, calls, ns, size, lost in rows:
    data.setdefault((wl, cfg), []).append(dict(calls=int(calls), ns=int(ns), bytes=int(size),
                                                lost=int(lost)))
med = lambda wl, cfg, key: st.median(r[key] for r in data[(wl, cfg)])
order = ["bare", "hwtrace", "perf", "uftrace-pg", "uftrace-dyn"]
label = {"bare": "bare", "hwtrace": "hwtrace -b uprobe", "perf": "perf probe + record",
         "uftrace-pg": "uftrace (-pg build)", "uftrace-dyn": "uftrace -P (dynamic)"}

print()
print("Per-call cost of tracing every call and return (the program's own time around the calls,")
print("median of %s alternating runs; ns/call = (time - bare) / calls):" % n)
print("%-22s %-21s %12s %10s %9s %11s %8s" % ("workload", "tracer", "own ms", "ns/call",
      "vs perf", "bytes/call", "lost"))
for wl, title in (("loop", "work() x %s" % ncalls), ("fib", "fib(%s)" % nfib)):
    if (wl, "bare") not in data:
        continue
    bare = med(wl, "bare", "ns")
    calls = med(wl, "bare", "calls")
    per = {}
    for cfg in order:
        if (wl, cfg) in data:
            per[cfg] = (med(wl, cfg, "ns") - bare) / calls
    for cfg in order:
        if (wl, cfg) not in data:
            continue
        vs = "%.2f" % (per[cfg] / per["perf"]) if "perf" in per and cfg != "bare" and \
            per["perf"] > 0 else ""
        print("%-22s %-21s %12.2f %10s %9s %11s %8s" % (
            title, label[cfg], med(wl, cfg, "ns") / 1e6,
            "" if cfg == "bare" else "%.1f" % per[cfg], vs,
            "" if cfg == "bare" else "%.2f" % (med(wl, cfg, "bytes") / calls),
            "" if cfg in ("bare", "uftrace-pg", "uftrace-dyn") else "%d" % med(wl, cfg, "lost")))
    if "perf" in per and per["perf"] > 0:
        print("%-22s hwtrace / perf per call: %.2f (goal <= 1.0)" % ("", per["hwtrace"] / per["perf"]))
    print()
print("(bytes/call: .hwt, perf.data, or uftrace's data directory, over the calls; goal for .hwt <= 8)")
print()

m = [l.split("\t") for l in open(sys.argv[2]) if l.strip()]
if m:
    col = lambda i: st.median(float(r[i]) for r in m)
    print("Attach and detach of %s functions (many.c, every function traced), median of %d runs:"
          % (m[0][1], len(m)))
    print("  attach (info uprobe.attach_ms)            %8.1f ms" % col(0))
    print("  hwtrace start -> the program's first call %8.1f ms" % (col(2) / 1e6))
    print("  the program, first call -> exit           %8.1f ms" % (col(3) / 1e6))
    print("  record wall time                          %8.1f ms" % (col(4) / 1e6))
    print("  record wall time - the program's time     %8.1f ms" % (col(5) / 1e6))
    print("  program exit -> hwtrace exit              %8.1f ms (goal <= 1000)" % (col(6) / 1e6))
    print("  program exit -> background detach done    %8.1f ms" % (col(7) / 1e6))
EOF

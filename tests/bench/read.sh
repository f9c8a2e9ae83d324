#!/usr/bin/env bash
# make bench, read side (issue 14): how fast a large recording is read. Records SQLite's fixed
# workload (ci/sqlite.sh: sqlite-O2 ROWS -t, ~10.9 M calls at 100000 rows) with -b inproc, and the
# same workload with uftrace record (sqlite-pg: the same source built with -pg), then, BENCH_N
# rounds, ours and uftrace's alternating, the best of each:
#   decode     decoding alone (tests/bench/bench_read.c: a sink that counts events through
#              hwt_decoder_batch), on 1 core (-j 1, taskset to one CPU) and on 2 (-j 2), with
#              each thread's CPU time and time waited for the other in the fastest -j 2 round
#   report, export -f chrome, folded, pprof, svg, perfetto: with -j 1 and -j 2
#   uftrace report, uftrace dump --chrome, uftrace dump --flame-graph: the peers
# and prints events per second side by side, ours / uftrace ratios (report against uftrace
# report, folded against dump --flame-graph, the other formats against dump --chrome), and the
# Perfetto bytes per event. Events are the model's: a call is two (its slice's begin and end);
# uftrace's are its entries and exits (B and E of dump --chrome). Goals: >= 10 M events/s
# decode on one core, 2 cores >= 1.8x one, >= 3x uftrace per format.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/bench/read.sh
# Environment: UFTRACE, BENCH_N (default 3), BENCH_READ_ROWS (default 100000), BENCH_KEEP=1.
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
: "${PROGS:?set PROGS to build/programs (or use make bench)}"
UFTRACE=${UFTRACE:-$(command -v uftrace || true)}
N=${BENCH_N:-3}
ROWS=${BENCH_READ_ROWS:-100000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(dirname "$HWTRACE")
dir=${SQLITE_DIR:-$(dirname "$PROGS")/sqlite}

die()
{
	echo "bench-read: $*" >&2
	exit 1
}
[ -x "$HWTRACE" ] || die "HWTRACE=$HWTRACE is not executable"
command -v python3 >/dev/null || die "python3 is missing"
[ -f "$build/libhwtrace.a" ] || die "$build/libhwtrace.a is missing: make"

echo
echo "== reading a large recording: hwtrace against uftrace on SQLite's calls =="
bash "$root/ci/sqlite.sh" "$dir" O2 pg >"${TMPDIR:-/tmp}/bench-read-build.$$" 2>&1
rc=$?
msg=$(tail -n 1 "${TMPDIR:-/tmp}/bench-read-build.$$")
rm -f "${TMPDIR:-/tmp}/bench-read-build.$$"
if [ $rc -eq 2 ]; then
	echo "bench-read: skipped: $msg"
	exit 0
fi
[ $rc -eq 0 ] || die "ci/sqlite.sh failed: $msg"

# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"
bench_workdir read

bin=$work/bench_read
bench_build_read "$bin"

hwt=$work/sq.hwt
"$HWTRACE" record -q -b inproc -o "$hwt" -- "$dir/sqlite-O2" "$ROWS" -t >/dev/null \
	2>"$work/rec.err" || die "hwtrace record failed: $(head -c 300 "$work/rec.err")"
[ -s "$hwt" ] || die "hwtrace record wrote nothing: $(head -c 300 "$work/rec.err")"
uft=""
if [ -n "$UFTRACE" ]; then
	uft=$work/sq.uftrace
	"$UFTRACE" record --no-libcall -d "$uft" "$dir/sqlite-pg" "$ROWS" -t >/dev/null \
		2>"$work/uft.err" || die "uftrace record failed: $(head -c 300 "$work/uft.err")"
else
	echo "bench-read: uftrace is missing (ci/deps.sh --bench): no ratios"
fi

read -r events calls _ _ < <("$bin" -j 1 -n 1 "$hwt") || die "bench_read failed"
uevents=0
if [ -n "$uft" ]; then
	uevents=$("$UFTRACE" dump --chrome -d "$uft" 2>/dev/null | grep -c '"ph":"[BE]"')
fi
ncpu=$(nproc)
one=(taskset -c 0)
two=()
[ "$ncpu" -ge 2 ] && two=(taskset -c 0,1)
command -v taskset >/dev/null || one=()

# timed NAME CMD...: runs CMD (output to $work/out.NAME), appends "NAME seconds" to results.
timed()
{
	local name=$1 t0 t1
	shift
	t0=$EPOCHREALTIME
	"$@" >"$work/out.$name" 2>"$work/err.$name" || die "$name failed: $(head -c 300 "$work/err.$name")"
	t1=$EPOCHREALTIME
	echo "$name $t0 $t1" >>"$work/times"
}

: >"$work/times"
for _ in $(seq "$N"); do
	for j in 1 2; do
		if [ $j -eq 1 ]; then pin=("${one[@]}"); else pin=("${two[@]}"); fi
		read -r _ _ s cpu < <("${pin[@]}" "$bin" -v -j $j -n 1 "$hwt" 2>"$work/threads") ||
			die "bench_read -j $j failed"
		echo "decode-$j 0 $s" >>"$work/times"
		echo "decode-cpu-$j 0 $cpu" >>"$work/times"
		# With the reader thread: each thread's CPU seconds and seconds waited for the other.
		if [ $j -eq 2 ] && [ -s "$work/threads" ]; then
			sed -n 's/.*reader thread \([0-9.]*\) s CPU, waited \([0-9.]*\) s; caller.s thread \([0-9.]*\) s CPU, waited \([0-9.]*\) s/\1 \2 \3 \4/p' \
				"$work/threads" | sed "s/^/threads $s /" >>"$work/threads.all"
		fi
		timed "report-$j" "$HWTRACE" report -j $j "$hwt"
		for f in chrome folded pprof svg perfetto; do
			timed "$f-$j" "$HWTRACE" export -j $j -f $f -o "$work/x.$f" "$hwt"
		done
	done
	if [ -n "$uft" ]; then
		timed uftrace-report "$UFTRACE" report -d "$uft"
		timed uftrace-chrome "$UFTRACE" dump --chrome -d "$uft"
		timed uftrace-flame "$UFTRACE" dump --flame-graph -d "$uft"
	fi
done
pbytes=$(stat -c %s "$work/x.perfetto")

echo "load before the last round: $(uptime)"
touch "$work/threads.all"
python3 - "$work/times" "$events" "$calls" "$uevents" "$pbytes" "$(stat -c %s "$hwt")" \
	"$work/threads.all" <<'EOF'
import sys
best = {}
threads = None
for l in open(sys.argv[7]):
    f = [float(x) for x in l.split()[1:]]
    if threads is None or f[0] < threads[0]:
        threads = f
for l in open(sys.argv[1]):
    name, t0, t1 = l.split()
    s = float(t1) - float(t0)
    best[name] = min(best.get(name, s), s)
ev, calls, uev, pbytes, hbytes = (int(x) for x in sys.argv[2:7])
print("hwtrace: %d calls, %d events (a call is two: slice begin and end), .hwt %.1f MB"
      % (calls, ev, hbytes / 1e6))
if uev:
    print("uftrace: %d events (entries and exits, dump --chrome B and E)" % uev)
def rate(n, s):
    return n / s / 1e6 if s else 0
peer = {"report": "uftrace-report", "folded": "uftrace-flame"}
print()
print("%-9s %7s %9s %11s %9s  %s" % ("step", "threads", "seconds", "M events/s", "x uftrace",
                                       "peer"))
for step in ("decode", "report", "chrome", "folded", "pprof", "svg", "perfetto"):
    for j in (1, 2):
        s = best.get("%s-%d" % (step, j))
        if s is None:
            continue
        p = peer.get(step, "uftrace-chrome") if step != "decode" else None
        ratio, pname = "", ""
        if p and uev and best.get(p):
            ratio = "%.2f" % (rate(ev, s) / rate(uev, best[p]))
            pname = "%s (%.2f M events/s)" % (p.replace("uftrace-", "uftrace ").replace(
                "chrome", "dump --chrome").replace("flame", "dump --flame-graph"),
                rate(uev, best[p]))
        print("%-9s %7d %9.3f %11.2f %9s  %s" % (step, j, s, rate(ev, s), ratio, pname))
for j in (1, 2):
    c = best.get("decode-cpu-%d" % j)
    if c:
        print("decode -j %d: %.3f s of CPU, %.2f M events per CPU second" % (j, c, rate(ev, c)))
if threads:
    print("decode -j 2, fastest round (%.3f s): reader thread %.3f s of CPU, waited %.3f s; "
          "caller's thread %.3f s of CPU, waited %.3f s" % tuple(threads))
d1, d2 = best.get("decode-1"), best.get("decode-2")
if d1 and d2:
    print("decode on 2 threads: %.2fx one (goal >= 1.8x)" % (d1 / d2))
print("Perfetto: %.2f bytes per event (goal <= 14)" % (pbytes / ev))
print("goals: >= 10 M events/s decode on one core; >= 3x uftrace on every format")
EOF

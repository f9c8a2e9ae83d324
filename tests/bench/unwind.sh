#!/usr/bin/env bash
# The read side of -g dwarf: unwound samples/s, hwtrace against `perf report` on the same workload.
#   HWTRACE=/abs/build/hwtrace bash tests/bench/unwind.sh
# First the unwinder alone (tests/bench/bench_unwind.c: samples of its own, through libdw alone,
# through the cache of CFI rows, ahead on 2 threads). Then xz -6 compressing BENCH_XZ_MB (default
# 16) MB of text, recorded by `perf record --call-graph dwarf` and by `hwtrace record -g dwarf`,
# both at 4000 Hz; then, alternating, BENCH_N (default 3) rounds of `perf report --stdio` on
# perf.data against `hwtrace report` and `hwtrace export -f folded` on the .hwt (and `hwtrace
# report` with HWT_UNWIND_CACHE=0: libdw for every sample, as before the cache), pinned to one
# CPU (taskset -c 0) and to two (taskset -c 0,1). Samples/s is samples recorded / wall time of
# the whole command (reading, unwinding, symbolizing, writing); the ratio is perf report's wall
# time over hwtrace's (goal: >= 5). Environment: PERF (default /usr/bin/perf), BENCH_N,
# BENCH_XZ_MB, BENCH_UNWIND_SAMPLES (default 20000).
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
PERF=${PERF:-/usr/bin/perf}
[ -x "$PERF" ] || PERF=$(command -v perf || true)
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(dirname "$HWTRACE")
die()
{
	echo "bench: $*" >&2
	exit 1
}
[ -n "$PERF" ] && [ -x "$PERF" ] || die "perf is missing: apt-get install linux-perf"
for t in xz taskset python3; do
	command -v "$t" >/dev/null || die "$t is missing (ci/deps.sh --bench)"
done

lib=$build/libhwtrace.a
[ -f "$lib" ] || die "$lib is missing: make"
bin=$build/bench_unwind
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
${CC:-cc} -O2 -g -D_GNU_SOURCE -I"$here/../.." -I"$here/../../include" \
	$(pkg-config --cflags capstone) -o "$bin" "$here/bench_unwind.c" "$lib" \
	$(pkg-config --libs libdw libelf libzstd zlib capstone) -lpfm -lipt -lstdc++ -lpthread -ldl ||
	die "cannot build bench_unwind"
echo
echo "== -g dwarf read side: unwinding, then perf report against hwtrace =="
echo "machine: $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" "${BENCH_UNWIND_SAMPLES:-20000}" 2 || die "bench_unwind failed"

# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"
bench_workdir unwind
mb=${BENCH_XZ_MB:-16}
bench_text "$work/input" "$mb"
xzcmd=(xz -T1 -6 -c "$work/input")
echo "recording: ${xzcmd[*]##*/} ($mb MB) with perf record --call-graph dwarf and hwtrace -g dwarf, 4000 Hz"
"$PERF" record -q --call-graph dwarf -F 4000 -o "$work/perf.data" -- "${xzcmd[@]}" \
	>/dev/null 2>"$work/perf.err" || die "perf record failed: $(head -c 300 "$work/perf.err")"
"$HWTRACE" record -q -b sample --freq 4000 -g dwarf -o "$work/xz.hwt" -- "${xzcmd[@]}" \
	>/dev/null 2>"$work/hwt.err" || die "hwtrace record failed: $(head -c 300 "$work/hwt.err")"
psamples=$("$PERF" report --stats -i "$work/perf.data" 2>/dev/null |
	awk '/^ *SAMPLE events:/ { print $3; exit }')
hsamples=$("$HWTRACE" info "$work/xz.hwt" 2>/dev/null | awk '/^samples / { print $2 }')
echo "perf.data: ${psamples:-?} samples, $(($(stat -c %s "$work/perf.data") >> 20)) MiB;" \
	".hwt: ${hsamples:-?} samples, $(($(stat -c %s "$work/xz.hwt") >> 20)) MiB"

PERF=$PERF HWTRACE=$HWTRACE python3 - "$work" "${psamples:-0}" "${hsamples:-0}" \
	"${BENCH_N:-3}" <<'EOF'
import os, resource, statistics as st, subprocess, sys, time
work, psamples, hsamples, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
perf, hwt = os.environ["PERF"], os.environ["HWTRACE"]
ncpu = len(os.sched_getaffinity(0))
cores = [1, 2] if ncpu >= 2 else [1]
pin = {1: "0", 2: "0,1"}
data, trace, out = work + "/perf.data", work + "/xz.hwt", work + "/out.folded"
configs = []
for c in cores:
    configs += [
        ("perf report --stdio", c, psamples, [perf, "report", "--stdio", "-i", data], {}),
        ("hwtrace report", c, hsamples, [hwt, "report", trace], {}),
        ("hwtrace export -f folded", c, hsamples, [hwt, "export", "-f", "folded", "-o", out, trace], {}),
        ("hwtrace report, libdw only", c, hsamples, [hwt, "report", trace],
         {"HWT_UNWIND_CACHE": "0"}),
    ]
times = {}
for r in range(rounds):
    # Alternate, the order rotated each round.
    for k in range(len(configs)):
        name, c, n, cmd, env = configs[(k + r) % len(configs)]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.monotonic()
        p = subprocess.run(["taskset", "-c", pin[c]] + cmd, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=dict(os.environ, **env))
        wall = time.monotonic() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode:
            sys.exit("bench: %s failed: %s" % (" ".join(cmd), p.stderr[:300]))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        times.setdefault((name, c), []).append((wall, cpu))
print()
print("Read side of -g dwarf on xz (median of %d; samples/s = samples / wall time of the whole"
      " command):" % rounds)
print("%-28s %5s %8s %9s %9s %12s" % ("command", "cores", "samples", "wall s", "CPU s",
                                      "samples/s"))
med = {}
for name, c, n, _, _ in configs:
    w = st.median(t[0] for t in times[(name, c)])
    cp = st.median(t[1] for t in times[(name, c)])
    med[(name, c)] = w
    print("%-28s %5d %8d %9.3f %9.3f %12.0f" % (name, c, n, w, cp, n / w if w else 0))
print()
print("perf report / hwtrace, samples/s (goal >= 5x):")
for c in cores:
    pr = psamples / med[("perf report --stdio", c)]
    for name in ("hwtrace report", "hwtrace export -f folded"):
        print("  %d core%s: %-26s %6.1fx" % (c, "s" if c > 1 else " ", name,
              (hsamples / med[(name, c)]) / pr if pr else 0))
EOF
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

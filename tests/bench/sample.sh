#!/usr/bin/env bash
# make bench, read side of sampling (issue 14): how fast sample recordings decode on one core.
# Records xz compressing BENCH_SAMPLE_MB (default 16) MB of text four ways: -g fp at 20000 Hz
# on two threads (xz -T2) with the leaf fix-up's stack copy (the default: sparse, only the words
# that point into code), the same with the copy whole (leaf_sparse=0, the format before), with
# leaf_stack=0 (no copy), and -g dwarf at 4000 Hz on one thread (tests/bench/unwind.sh's). Then,
# BENCH_N (default 3) rounds, pinned to one CPU (taskset -c 0): the chunks alone (bench_read -s:
# CRC and zstd, the least any decoding costs), decoding (bench_read: every event through
# hwt_decoder_batch()), `hwtrace report` and `hwtrace export -f folded`. Prints, per recording,
# the decompressed bytes per sample, the best round's samples (and model events) per second of
# CPU (user+sys) and of wall time, and what the chunks alone allow: the format's bound.
# Goal: decoding >= 10 M events/s on one core.
#   HWTRACE=/abs/build/hwtrace bash tests/bench/sample.sh
# Environment: BENCH_N, BENCH_SAMPLE_MB, BENCH_KEEP=1 (keep the recordings).
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(dirname "$HWTRACE")
N=${BENCH_N:-3}
mb=${BENCH_SAMPLE_MB:-16}
die()
{
	echo "bench-sample: $*" >&2
	exit 1
}
for t in xz taskset python3; do
	command -v "$t" >/dev/null || die "$t is missing (ci/deps.sh --bench)"
done
[ -f "$build/libhwtrace.a" ] || die "$build/libhwtrace.a is missing: make"

# shellcheck source=tests/bench/lib.sh
source "$here/lib.sh"
bench_workdir sample

bin=$work/bench_read
bench_build_read "$bin"

echo
echo "== decoding sample recordings on one core (xz, ${mb} MB) =="
echo "machine: $(nproc) CPUs, load: $(cut -d' ' -f1-3 /proc/loadavg)"
bench_text "$work/input" "$mb"

names=(fp fp-whole fp-noleaf dwarf)
rec_args=("-b sample --freq 20000" "-b sample:leaf_sparse=0 --freq 20000"
	"-b sample:leaf_stack=0 --freq 20000" "-b sample -g dwarf --freq 4000")
xz_threads=(2 2 2 1)
# The recorder's own CPU (its threads, not the program's): read from /proc once it has exited,
# before it is reaped.
: >"$work/reccpu"
for i in "${!names[@]}"; do
	# shellcheck disable=SC2086 # the recording's arguments split on purpose
	python3 - "${names[$i]}" "$HWTRACE" record -q ${rec_args[$i]} -o "$work/${names[$i]}.hwt" -- \
		xz -T"${xz_threads[$i]}" -6 -c "$work/input" >>"$work/reccpu" 2>"$work/rec.err" <<'PY' ||
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:], stdout=subprocess.DEVNULL)
os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOWAIT)
f = open("/proc/%d/stat" % p.pid).read()
rest = f[f.rindex(")") + 2:].split()
print(sys.argv[1], (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK"))
sys.exit(p.wait())
PY
		die "hwtrace record ${rec_args[$i]} failed: $(head -c 300 "$work/rec.err")"
done

# cpu_of NAME CMD...: runs CMD on CPU 0, appends "NAME wall cpu" (seconds; CPU of the child:
# what children reaped before it used is taken off, as a pyenv shim's python3 has reaped its own
# helpers, 60-70 ms of them, before it runs this).
cpu_of()
{
	local name=$1
	shift
	python3 - "$@" >>"$work/times" 2>"$work/err" <<EOF || die "$name failed: $(head -c 300 "$work/err")"
import os, resource, subprocess, sys, time
b = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.monotonic()
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True)
t = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("$name %.6f %.6f" % (t, r.ru_utime + r.ru_stime - b.ru_utime - b.ru_stime))
EOF
}

: >"$work/times"
: >"$work/counts"
for name in "${names[@]}"; do
	hwt=$work/$name.hwt
	samples=$("$HWTRACE" info "$hwt" | awk '/^samples /{print $2}')
	read -r events _ _ _ < <("$bin" -n 1 "$hwt") || die "bench_read failed on $name"
	read -r bytes _ _ _ < <("$bin" -s -n 1 "$hwt") || die "bench_read -s failed on $name"
	echo "$name $samples $events $bytes $(stat -c %s "$hwt")" >>"$work/counts"
done
for _ in $(seq "$N"); do
	for name in "${names[@]}"; do
		hwt=$work/$name.hwt
		read -r _ _ s c < <(taskset -c 0 "$bin" -s -n 1 "$hwt") || die "bench_read -s failed"
		echo "$name:chunks $s $c" >>"$work/times"
		read -r _ _ s c < <(taskset -c 0 "$bin" -n 1 "$hwt") || die "bench_read failed"
		echo "$name:decode $s $c" >>"$work/times"
		cpu_of "$name:report" taskset -c 0 "$HWTRACE" report "$hwt"
		cpu_of "$name:folded" taskset -c 0 "$HWTRACE" export -f folded -o "$work/x.folded" "$hwt"
	done
done

echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/counts" "$work/times" "$work/reccpu" <<'EOF'
import sys
reccpu = dict((l.split()[0], float(l.split()[1])) for l in open(sys.argv[3]))
counts = {}
for l in open(sys.argv[1]):
    name, samples, events, raw, size = l.split()
    counts[name] = (int(samples), int(events), int(raw), int(size))
best = {}
for l in open(sys.argv[2]):
    key, wall, cpu = l.split()
    wall, cpu = float(wall), float(cpu)
    if key not in best or cpu < best[key][1]:
        best[key] = (wall, cpu)
print("%-10s %9s %7s %9s  %-7s %9s %9s %12s %12s" % (
    "recording", "samples", ".hwt MB", "B/sample", "step", "CPU s", "wall s",
    "M samples/s", "M events/s"))
for name, (samples, events, raw, size) in counts.items():
    for i, step in enumerate(("chunks", "decode", "report", "folded")):
        wall, cpu = best["%s:%s" % (name, step)]
        print("%-10s %9s %7s %9s  %-7s %9.3f %9.3f %12.2f %12.2f" % (
            name if not i else "", samples if not i else "",
            "%.1f" % (size / 1e6) if not i else "",
            "%.0f" % (raw / samples) if not i and samples else "", step, cpu, wall,
            samples / cpu / 1e6 if cpu else 0, events / cpu / 1e6 if cpu else 0))
for name, (samples, events, raw, size) in counts.items():
    print("%-10s recorder CPU %.2f s: %.2f us a sample (its threads; xz not counted)" % (
        name, reccpu[name], reccpu[name] / samples * 1e6 if samples else 0))
print("per second of CPU on one core, best of the rounds; B/sample: the chunks' decompressed")
print("bytes per sample; 'chunks' is CRC and zstd alone: no decoding of this format goes faster.")
print("goal: decoding >= 10 M events/s on one core")
EOF

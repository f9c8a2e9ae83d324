# hot.c spends 70 % of its CPU in hot_a and 30 % in hot_b (both through spin()), by construction.
# Recorded with frame-pointer and with DWARF call graphs, the pprof profile (read by go tool pprof)
# must show that split, the folded stacks the real call chain main;hot_a;spin, and the Perfetto
# trace (read by protoc --decode_raw) the process, its thread and one PerfSample per sample.
need protoc go python3

UNITS=30000000 # ~0.3 s of CPU: over 1000 samples at 4 kHz

check_mode()
{
	local cg=$1 hwt=hot-$1.hwt
	note "---- call graph $cg"
	# sh prints its pid and execs hot in place: the program's pid, from outside hwtrace.
	hw_ok record -q -b sample --freq 4000 -g "$cg" -o "$hwt" -- \
		sh -c 'echo $$ >"$0.pid"; exec "$1" "$2"' "$hwt" "$PROGS/hot" "$UNITS"
	local pid samples
	pid=$(cat "$hwt.pid")
	samples=$(info_field "$hwt" samples)
	note "program pid $pid, info says $samples samples"
	[ "$(info_field "$hwt" status)" = complete ] || err "$cg: info status is not complete"
	[ "${samples:-0}" -ge 500 ] 2>/dev/null || err "$cg: only '${samples}' samples at 4 kHz"

	# pprof: hot_a ~70 %, hot_b ~30 % of the samples (cumulative: spin is the leaf).
	hw_ok export -o "hot-$cg.pb.gz" "$hwt"
	pprof_top "hot-$cg.pb.gz" "hot-$cg.top"
	py '
import sys
cg, path = sys.argv[1], sys.argv[2]
rows = {}
for line in open(path):
    f = line.split()
    # flat flat% sum% cum cum% name
    if len(f) >= 6 and f[1].endswith("%") and f[4].endswith("%"):
        rows[" ".join(f[5:])] = (float(f[1][:-1]), float(f[4][:-1]))
for fn, want in (("hot_a", 70), ("hot_b", 30)):
    if not check(fn in rows, "%s: go tool pprof -top has no %s (functions: %s)"
                 % (cg, fn, ", ".join(sorted(rows)[:20]))):
        continue
    flat, cum = rows[fn]
    print("# %s: %s flat %.1f%% cum %.1f%% (want %d +- 10)" % (cg, fn, flat, cum, want))
    check(any(abs(v - want) <= 10 for v in (flat, cum)),
          "%s: %s has flat %.1f%% / cum %.1f%% of the samples, want %d%% +- 10"
          % (cg, fn, flat, cum, want))
check("spin" in rows and rows["spin"][0] >= 80,
      "%s: spin should be the leaf of most samples: %s" % (cg, rows.get("spin")))
done()
' "$cg" "hot-$cg.top" || err "$cg: pprof split (see above)"

	# folded: the real chain main;hot_a;spin and main;hot_b;spin, nothing else calls spin, and
	# the counts add up to the samples.
	hw_ok export -o "hot-$cg.folded" "$hwt"
	py '
import sys, re
cg, path, samples = sys.argv[1], sys.argv[2], int(sys.argv[3] or 0)
total, per = 0, {"hot_a": 0, "hot_b": 0}
for line in open(path):
    line = line.rstrip("\n")
    m = re.match(r"^(.+) (\d+)$", line)
    if not check(m, "%s: bad folded line %r" % (cg, line)):
        continue
    frames, n = m.group(1).split(";"), int(m.group(2))
    total += n
    for fn in per:
        if fn in frames:
            i = frames.index(fn)
            check(frames[i - 1] == "main", "%s: %s not called from main: %s" % (cg, fn, line))
            if i + 1 < len(frames) and frames[i + 1] == "spin":
                per[fn] += n
    if "spin" in frames:
        i = frames.index("spin")
        check(frames[i - 1] in per, "%s: spin called from %s, not hot_a/hot_b: %s"
              % (cg, frames[i - 1], line))
check(total == samples, "%s: folded counts add up to %d, info says %d samples"
      % (cg, total, samples))
for fn, want in (("hot_a", 70), ("hot_b", 30)):
    pct = 100.0 * per[fn] / max(total, 1)
    print("# %s: folded main;%s;spin %d of %d = %.1f%%" % (cg, fn, per[fn], total, pct))
    check(abs(pct - want) <= 10, "%s: main;%s;spin has %.1f%% of the folded samples, want %d +- 10"
          % (cg, fn, pct, want))
done()
' "$cg" "hot-$cg.folded" "$samples" || err "$cg: folded stacks (see above)"

	# Perfetto: process and thread descriptors for the pid, one PerfSample per sample.
	hw_ok export -o "hot-$cg.pftrace" "$hwt"
	decode_raw "hot-$cg.pftrace" "hot-$cg.txt"
	py '
import sys
cg, path, pid, samples = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4] or 0)
procs, threads, perf = [], [], []
for p in packets(path):
    for td in fields(p, 60):              # TracePacket.track_descriptor
        for pd in fields(td, 3):          # TrackDescriptor.process
            procs.append((field(pd, 1), text(field(pd, 6))))
        for th in fields(td, 4):          # TrackDescriptor.thread
            threads.append((field(th, 1), field(th, 2), text(field(th, 5))))
    perf += fields(p, 66)                 # TracePacket.perf_sample
check(any(p == pid for p, _ in procs),
      "%s: no ProcessDescriptor with pid %d (have %s)" % (cg, pid, procs))
check(any(n == "hot" for p, n in procs if p == pid),
      "%s: the process %d is never named hot: %s" % (cg, pid, procs))
check(any(p == pid and t == pid for p, t, _ in threads),
      "%s: no ThreadDescriptor pid=tid=%d (have %s)" % (cg, pid, threads))
check(len(perf) == samples, "%s: %d PerfSample packets, info says %d samples"
      % (cg, len(perf), samples))
bad = [s for s in perf if field(s, 2) != pid or field(s, 3) != pid]
check(not bad, "%s: %d PerfSamples not of pid/tid %d, e.g. %s" % (cg, len(bad), pid, bad[:1]))
check(all(field(s, 4) for s in perf), "%s: PerfSample without a callstack_iid" % cg)
print("# %s: %d PerfSample packets, process %s" % (cg, len(perf), procs))
done()
' "$cg" "hot-$cg.txt" "$pid" "$samples" || err "$cg: perfetto trace (see above)"
}

check_mode fp
check_mode dwarf
finish

# Exact calls and sampling in one recording. fib.c computes fib(25) by plain recursion: fib is
# called exactly 2*fib(26)-1 = 242,785 times. Recorded with -b uprobe -F fib and the sampling
# flags -e page-faults --freq 1000, the one .hwt must hold both: every call (go tool pprof's calls
# view: fib's flat count; the Chrome JSON read by python3: fib slices) and a sampled profile (go
# tool pprof's default view: as many samples as info counts, fib on the stack of most, a
# page-faults value type; Chrome: as many "P" samples, and in the CPU profile's chunks). One
# thread, counted once: the uprobe tracer's side band and the sampler's are one. -b auto takes -F
# with -e as the same pair; -g dwarf works beside uprobe too.
need go python3

CALLS=242785

hw_ok record -q -b uprobe -F fib -e page-faults --freq 1000 -o fs.hwt -- "$PROGS/fib" 25
[ "$(cat hw.out)" = 75025 ] || err "fib 25 printed '$(head -c 100 hw.out)', want 75025"
[ "$(info_field fs.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field fs.hwt backend)" = uprobe ] || err "info backend '$(info_field fs.hwt backend)'"
[ "$(info_field fs.hwt plugins)" = sample ] || err "info plugins '$(info_field fs.hwt plugins)'"
[ "$(info_field fs.hwt threads)" = 1 ] ||
	err "info says threads '$(info_field fs.hwt threads)', want 1 (side band recorded twice?)"
[ "$(info_field fs.hwt processes)" = 1 ] || err "info processes '$(info_field fs.hwt processes)'"
[ "$(info_field fs.hwt slices)" = $CALLS ] ||
	err "info says slices '$(info_field fs.hwt slices)', want $CALLS"
samples=$(info_field fs.hwt samples)
note "$samples samples beside $CALLS calls"
# 1000 Hz of the program's CPU time; fib 25 under uprobe takes 0.2 s and more.
[ "${samples:-0}" -ge 20 ] 2>/dev/null || fail "info says samples '$samples', want at least 20"

note "pprof: the calls view, and the default view (samples)"
hw_ok export --view calls -o calls.pb.gz fs.hwt
go tool pprof -symbolize=none -sample_index=calls -nodecount=100000 -top calls.pb.gz \
	>calls.top 2>pprof.err || fail "go tool pprof cannot read calls.pb.gz: $(head -c 300 pprof.err)"
hw_ok export -o fs.pb.gz fs.hwt
pprof_top fs.pb.gz fs.top
go tool pprof -raw fs.pb.gz >fs.raw 2>pprof.err || fail "go tool pprof -raw: $(head -c 300 pprof.err)"
py '
import sys, re
calls, samples = int(sys.argv[4]), int(sys.argv[5])

def top(path):
    rows, total = {}, None
    for line in open(path):
        m = re.search(r"of (\d+) total", line)
        if m:
            total = int(m.group(1))
        f = line.split()
        if len(f) == 6 and f[1].endswith("%") and f[4].endswith("%"):
            rows[f[5]] = (int(f[0]), int(f[3]))
    return rows, total

rows, _ = top(sys.argv[1])
print("# calls view: fib %s" % (rows.get("fib"),))
check(rows.get("fib", (0,))[0] == calls, "pprof calls: fib flat %s, want %d" % (rows.get("fib"), calls))
rows, total = top(sys.argv[2])
print("# samples view: %d in all, fib %s" % (total or 0, rows.get("fib")))
check(total == samples, "pprof samples: %s in all, info says %d" % (total, samples))
check(rows.get("fib", (0, 0))[1] * 2 >= samples,
      "pprof samples: fib on the stack of %s of %d samples, want at least half"
      % (rows.get("fib"), samples))
types = ""
for line in open(sys.argv[3]):
    if line.startswith("samples/count"):
        types = line.split()
print("# sample types: %s" % types)
check("page-faults/count" in types, "pprof: no page-faults value type in %s" % types)
done()
' calls.top fs.top fs.raw "$CALLS" "$samples" || err "pprof views (see above)"

note "chrome: the calls and the samples on one timeline"
hw_ok export -o fs.json fs.hwt
py '
import sys
calls, samples = int(sys.argv[2]), int(sys.argv[3])
fib = p = chunked = 0
tids = set()
for e in load_chrome(sys.argv[1]):
    if e.get("ph") in ("B", "X") and e.get("name") == "fib":
        fib += 1
        tids.add(e.get("tid"))
    elif e.get("ph") == "P" and "sf" in e:          # a sample naming its stack (chrome://tracing)
        p += 1
        tids.add(e.get("tid"))
    elif e.get("ph") == "P" and e.get("name") == "ProfileChunk":   # V8 CPU profile (speedscope)
        chunked += len(e.get("args", {}).get("data", {}).get("cpuProfile", {}).get("samples", []))
print("# chrome: %d fib slices, %d P samples, %d in profile chunks, threads %s"
      % (fib, p, chunked, sorted(tids)))
check(fib == calls, "chrome: %d fib slices, want %d" % (fib, calls))
check(p == samples, "chrome: %d P events with a stack, info says %d samples" % (p, samples))
check(chunked == samples, "chrome: %d samples in ProfileChunk events, info says %d"
      % (chunked, samples))
check(len(tids) == 1, "chrome: calls and samples on threads %s, want one" % sorted(tids))
done()
' fs.json "$CALLS" "$samples" || err "chrome (see above)"

note "-b auto with -F and -e: inproc (the first exact-call tracer that works) with sampling beside it"
hw_ok record -q -F fib -e page-faults -o auto.hwt -- "$PROGS/fib" 10
[ "$(info_field auto.hwt backend)" = inproc ] || err "auto: backend '$(info_field auto.hwt backend)'"
[ "$(info_field auto.hwt plugins)" = sample ] || err "auto: plugins '$(info_field auto.hwt plugins)'"
[ "$(info_field auto.hwt slices)" = 177 ] || err "auto: slices '$(info_field auto.hwt slices)', want 177"

note "-g dwarf beside uprobe"
hw_ok record -q -b uprobe -F fib -g dwarf --freq 4000 -o dwarf.hwt -- "$PROGS/fib" 22
[ "$(info_field dwarf.hwt slices)" = 57313 ] ||
	err "dwarf: slices '$(info_field dwarf.hwt slices)', want 57313"
hw_ok export -o dwarf.pb.gz dwarf.hwt
pprof_top dwarf.pb.gz dwarf.top
grep -Eq ' fib$' dwarf.top || err "dwarf: fib is on no sampled stack: $(head -c 600 dwarf.top)"
finish

# Every export format from one recording of demo.c (threads sorter: qsort with cmp_u32, hasher:
# fnv1a, recurser: fib), each read by a tool we did not write: Chrome JSON by python3's json
# (B/E balanced per thread), pprof by go tool pprof -raw, SVG by python3's xml.etree, Perfetto by
# protoc --decode against tests/perfetto/trace_subset.proto (and pftrace.py's rules); folded
# lines are "STACK COUNT". Each must hold the demo's functions.
need protoc go python3

hw_ok record -q -b sample -o demo.hwt -- "$PROGS/demo"
grep -q 'demo done' hw.out || fail "demo did not run to its end"
samples=$(info_field demo.hwt samples)
note "demo.hwt: $samples samples"

for f in demo.pftrace demo.json demo.folded demo.pb.gz demo.svg; do
	hw_ok export -o "$f" demo.hwt
	assert_file_nonempty "$f"
	[ -s hw.err ] && err "export -o $f wrote to stderr: $(head -c 300 hw.err)"
done
# -o -: standard output, the same bytes as the file; no -o: TRACE's name, said in one line.
"$HWTRACE" export -o - -f folded demo.hwt >stdout.folded 2>stdout.err ||
	err "export -o - -f folded failed: $(head -c 300 stdout.err)"
cmp -s stdout.folded demo.folded || err "export -o - -f folded differs from -o demo.folded"
[ -e ./- ] && err "export -o - wrote a file named '-'"
"$HWTRACE" export -o - demo.hwt 2>/dev/null | cmp -s - demo.pftrace ||
	err "export -o - (Perfetto by default) differs from -o demo.pftrace"
cp demo.hwt named.hwt
hw_ok export named.hwt
assert_file_nonempty named.pftrace
[ "$(cat hw.err)" = "hwtrace: wrote named.pftrace (perfetto)" ] ||
	err "export without -o said '$(head -c 300 hw.err)', want 'hwtrace: wrote named.pftrace (perfetto)'"
# -f wins over the extension.
hw_ok export -f chrome -o demo-chrome.out demo.hwt
py 'import json, sys; json.load(open(sys.argv[1]))' demo-chrome.out ||
	err "export -f chrome -o demo-chrome.out is not JSON"

note "chrome"
py '
import sys, collections
evs = load_chrome(sys.argv[1])
check(isinstance(evs, list) and evs, "chrome: no traceEvents")
depth = collections.Counter()
ordered = sorted((e for e in evs if e.get("ph") in ("B", "E")), key=lambda e: e["ts"])
for e in ordered:
    k = (e.get("pid"), e.get("tid"))
    depth[k] += 1 if e["ph"] == "B" else -1
    if depth[k] < 0:
        err("chrome: E without B on thread %s at ts %s" % (k, e["ts"]))
        depth[k] = 0
for k, d in depth.items():
    check(d == 0, "chrome: %d B events without E on thread %s" % (d, k))
for e in evs:
    check("ph" in e and "pid" in e, "chrome: event without ph/pid: %s" % e)
    if e.get("ph") == "X":
        check(e.get("dur", -1) >= 0, "chrome: X event with bad dur: %s" % e)
names = {e.get("args", {}).get("name") for e in evs
         if e.get("ph") == "M" and e.get("name") == "thread_name"}
for t in ("sorter", "hasher", "recurser"):
    check(t in names, "chrome: no thread named %s (have %s)" % (t, sorted(map(str, names))))
print("# chrome: %d events, %d B/E" % (len(evs), len(ordered)))
done()
' demo.json || err "chrome JSON (see above)"

note "pprof"
if go tool pprof -raw -symbolize=none demo.pb.gz >demo.raw 2>pprof.err; then
	grep -q '^Samples:' demo.raw || err "pprof -raw shows no Samples section"
	grep -Eq ' fib( |$)' demo.raw || err "pprof -raw has no location in fib"
else
	err "go tool pprof -raw cannot read demo.pb.gz: $(head -c 300 pprof.err)"
fi

note "svg"
py '
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except ET.ParseError as e:
    err("svg: not XML: %s" % e)
    done()
check(root.tag.endswith("svg"), "svg: the root element is %s" % root.tag)
names = set()
for el in root.iter():
    if el.tag.endswith("title") and el.text:
        t = el.text
        names.add(t[:t.rfind(" (")] if " (" in t else t)
print("# svg: %d frame titles" % len(names))
for want in (("fib",), ("fnv1a",), ("qsort", "cmp_u32")):
    check(any(w in names for w in want), "svg: no frame named %s" % " or ".join(want))
done()
' demo.svg || err "svg flamegraph (see above)"

note "folded"
py '
import sys, re
path, samples = sys.argv[1], int(sys.argv[2] or 0)
total, under = 0, {"recurser": set(), "hasher": set(), "sorter": set()}
for line in open(path):
    line = line.rstrip("\n")
    if not check(re.match(r"^[^ ].* [0-9]+$", line), "folded: bad line %r" % line):
        continue
    stack, n = line.rsplit(" ", 1)
    frames = stack.split(";")
    total += int(n)
    if frames[0] in under:
        under[frames[0]].update(frames[1:])
check(total == samples, "folded: counts add up to %d, info says %d samples" % (total, samples))
for thread, want in (("recurser", ("fib",)), ("hasher", ("fnv1a",)), ("sorter", ("qsort", "cmp_u32"))):
    check(any(w in under[thread] for w in want), "folded: no %s under thread %s"
          % (" or ".join(want), thread))
done()
' demo.folded "$samples" || err "folded stacks (see above)"

note "perfetto"
pf_decode demo.pftrace demo.txt
py '
import sys, pftrace
path, samples = sys.argv[1], int(sys.argv[2] or 0)
# Decoded against the schema subset, read and checked by pftrace (callstacks, frames, mappings
# and names interned on the sequence before use).
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
names = {d["name"] for d in t.tracks.values() if d["kind"] == "thread"}
check(len(t.samples) == samples, "perfetto: %d PerfSample packets, info says %d samples"
      % (len(t.samples), samples))
for th in ("sorter", "hasher", "recurser"):
    check(th in names, "perfetto: no thread named %s" % th)
check("fib" in t.function_names, "perfetto: no interned function fib")
check(any("fib" in s[3] for s in t.samples), "perfetto: no sample with fib in its callstack")
done()
' demo.txt "$samples" || err "perfetto trace (see above)"
finish

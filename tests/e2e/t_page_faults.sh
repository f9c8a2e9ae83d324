# faults.c 64 writes one byte per 4 KiB page of 64 MiB of fresh memory: at least 64*256 page
# faults. Recorded with -e page-faults, the process-wide counter track "page-faults" must reach
# that in Perfetto (protoc --decode against tests/perfetto/trace_subset.proto, pftrace.py) and
# in Chrome ("C" events), never going down (it is
# cumulative); the folded export by --view page-faults must put the faults in main.
need protoc python3

MIB=64
MIN=$((MIB * 256))
hw_ok record -q -e page-faults -o pf.hwt -- "$PROGS/faults" "$MIB"
grep -q "touched $MIB MiB" hw.out || fail "faults did not run to its end: $(cat hw.out)"
[ "$(info_field pf.hwt status)" = complete ] || err "info status is not complete"

hw_ok export -o pf.pftrace pf.hwt
pf_decode pf.pftrace pf.txt
py '
import sys, pftrace
path, least = sys.argv[1], int(sys.argv[2])
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
tracks = {u: d["name"] for u, d in t.tracks.items() if d["kind"] == "counter"}
values = t.counters                          # uuid -> [(ts, value)]
uuids = [u for u, n in tracks.items() if n == "page-faults"]
if check(uuids, "perfetto: no counter track named page-faults (counter tracks: %s)"
         % sorted(tracks.values())):
    series = sorted(v for u in uuids for v in values.get(u, []))
    if check(series, "perfetto: the page-faults track has no values"):
        vals = [v for _, v in series]
        print("# perfetto page-faults: %d values, first %s, final %s" % (len(vals), vals[0], vals[-1]))
        check(vals[-1] >= least, "perfetto: final page-faults %s < %d" % (vals[-1], least))
        check(all(a <= b for a, b in zip(vals, vals[1:])),
              "perfetto: the cumulative page-faults track goes down")
done()
' pf.txt "$MIN" || err "perfetto counter track (see above)"

hw_ok export -o pf.json pf.hwt
py '
import sys
path, least = sys.argv[1], int(sys.argv[2])
series = []
for e in load_chrome(path):
    if e.get("ph") == "C" and e.get("name") == "page-faults":
        args = e.get("args", {})
        check(len(args) >= 1, "chrome: C event without a value: %s" % e)
        series.append((e["ts"], max(args.values()) if args else 0))
if check(series, "chrome: no C events named page-faults"):
    series.sort()
    vals = [v for _, v in series]
    print("# chrome page-faults: %d values, final %s" % (len(vals), vals[-1]))
    check(vals[-1] >= least, "chrome: final page-faults %s < %d" % (vals[-1], least))
    check(all(a <= b for a, b in zip(vals, vals[1:])),
          "chrome: the cumulative page-faults counter goes down")
done()
' pf.json "$MIN" || err "chrome counter (see above)"

hw_ok export --view page-faults -o pf.folded pf.hwt
py '
import sys, re
path, least = sys.argv[1], int(sys.argv[2])
total = in_main = 0
for line in open(path):
    m = re.match(r"^(.+) (\d+)$", line.rstrip("\n"))
    if not check(m, "folded: bad line %r" % line):
        continue
    n = int(m.group(2))
    total += n
    if "main" in m.group(1).split(";"):
        in_main += n
print("# folded --view page-faults: %d faults, %d under main" % (total, in_main))
# Samples carry the faults since the previous sample: nearly all of them, most in main.
check(total >= least // 2, "folded: %d page faults in all, want at least %d" % (total, least // 2))
check(in_main * 2 >= total, "folded: only %d of %d page faults under main" % (in_main, total))
done()
' pf.folded "$MIN" || err "folded page-faults view (see above)"
finish

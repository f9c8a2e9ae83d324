# segv.c spins in crunch() and then dies of SIGSEGV: record exits 139, the recording is complete,
# `info` says the
# program was killed by signal 11 and crashed, the Perfetto and Chrome traces carry a crash
# marker for it, and the samples are in crunch().
need protoc python3

hw record -q -b sample -o s.hwt -- sh -c 'echo $$ >segv.pid; exec "$0" 100000000' "$PROGS/segv"
# Like perf, record exits with the program's status: 128 + SIGSEGV.
[ "$HW_RC" -eq 139 ] || err "record exited $HW_RC, want 139 (the program died of SIGSEGV)"
pid=$(cat segv.pid)
hw_ok info s.hwt
sed 's/^/  /' hw.out
grep -Eq '^status +complete$' hw.out || err "info status is not complete"
grep -Eq '^exit +killed by signal 11 .*crashed' hw.out ||
	err "info has no 'exit killed by signal 11 ... crashed' line"

hw_ok export -o s.pftrace s.hwt
pf_decode s.pftrace s.txt
py '
import sys, pftrace
path, pid = sys.argv[1], int(sys.argv[2])
t = pftrace.load(path)
for e in t.errors:
    err("perfetto: " + e)
marks = []
for ts, track, name, args, flows, ends in t.instants:
    ann = " ".join("%s=%s" % (k, v) for k, v in args.items())
    marks.append((name or "", ann, t.owner(track)))
crash = [m for m in marks if "crash" in m[0].lower() or "SIGSEGV" in m[0]]
print("# perfetto instants: %s" % marks)
if check(crash, "perfetto: no crash instant (instants: %s)" % marks):
    check(any(m[2][0] == pid for m in crash),
          "perfetto: the crash instant is not on a track of pid %d: %s" % (pid, crash))
    check(any("SIGSEGV" in m[0] or "11" in m[1] for m in crash),
          "perfetto: the crash instant does not name SIGSEGV / signal 11: %s" % crash)
done()
' s.txt "$pid" || err "perfetto crash marker (see above)"

hw_ok export -o s.json s.hwt
py '
import sys
path, pid = sys.argv[1], int(sys.argv[2])
inst = [e for e in load_chrome(path) if e.get("ph") in ("i", "I")]
crash = [e for e in inst if "crash" in str(e.get("name", "")).lower()]
print("# chrome instants: %s" % inst)
if check(crash, "chrome: no crash instant event"):
    check(any(e.get("pid") == pid for e in crash), "chrome: crash instant not on pid %d" % pid)
    check(any("SIGSEGV" in e["name"] or e.get("args", {}).get("signal") == 11 for e in crash),
          "chrome: the crash instant does not name SIGSEGV / signal 11: %s" % crash)
done()
' s.json "$pid" || err "chrome crash marker (see above)"

hw_ok export -o s.folded s.hwt
py '
import sys, re
crunch = total = 0
for line in open(sys.argv[1]):
    m = re.match(r"^(.+) (\d+)$", line.rstrip("\n"))
    if not check(m, "folded: bad line %r" % line):
        continue
    total += int(m.group(2))
    if "crunch" in m.group(1).split(";"):
        crunch += int(m.group(2))
print("# folded: %d of %d samples in crunch()" % (crunch, total))
check(crunch > 0 and crunch * 2 >= total, "folded: %d of %d samples in crunch()" % (crunch, total))
done()
' s.folded || err "crunch samples (see above)"
finish

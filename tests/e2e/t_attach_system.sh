# record -a: every process on every CPU. Two attachee processes run while `record -a --duration
# 1s` samples: both have samples (Perfetto, protoc --decode_raw), under their own names (COMM
# synthesized from /proc); hwtrace exits 0 and both run on. `record -a -- PROG` records until
# PROG ends and exits with its status, with samples of a process PROG did not start.
need protoc python3

pids=()
cleanup()
{
	touch stop
	sleep 0.5
	for p in "${pids[@]}"; do alive "$p" && kill -9 "$p" 2>/dev/null; done
}
trap cleanup EXIT

for k in 1 2; do
	"$PROGS/attachee" stop 60 >prog$k.out 2>prog$k.err &
	pids+=($!)
done
for ((i = 0; i < 200; i++)); do [ -s prog1.out ] && [ -s prog2.out ] && break; sleep 0.05; done

hw_ok record -a -o s.hwt --duration 1s
sed 's/^/  stderr: /' hw.err
for p in "${pids[@]}"; do alive "$p" || err "attachee $p is gone after hwtrace -a exited"; done
[ "$(info_field s.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field s.hwt system_wide)" = 1 ] || err "info does not say system_wide 1"

echo "\$ hwtrace record -a -o p.hwt -- sh -c 'sleep 1; exit 3'"
"$HWTRACE" record -q -a -o p.hwt -- sh -c 'sleep 1; exit 3' >/dev/null 2>p.err
rc=$?
[ "$rc" -eq 3 ] || err "record -a -- sh -c 'exit 3' exited $rc, want 3: $(cat p.err)"
touch stop
for p in "${pids[@]}"; do
	wait "$p" || err "attachee $p exited $? after being recorded"
done
recorded=("${pids[@]}")
pids=()

hw_ok export -o s.pftrace s.hwt
decode_raw s.pftrace s.txt
hw_ok export -o p.pftrace p.hwt
decode_raw p.pftrace p.txt
py '
import sys
a, b = int(sys.argv[3]), int(sys.argv[4])
for path, what in ((sys.argv[1], "-a --duration 1s"), (sys.argv[2], "-a -- sh")):
    procs, sampled = {}, {}
    for p in packets(path):
        for td in fields(p, 60):
            for pd in fields(td, 3):
                procs[field(pd, 1)] = text(field(pd, 6))
        for s in fields(p, 66):
            sampled[field(s, 2)] = sampled.get(field(s, 2), 0) + 1
    print("# %s: samples in %d processes; attachee %d: %d, %d: %d"
          % (what, len(sampled), a, sampled.get(a, 0), b, sampled.get(b, 0)))
    for pid in (a, b):
        check(sampled.get(pid, 0) > 0, "%s: no sample of attachee %d" % (what, pid))
        check(procs.get(pid) == "attachee", "%s: process %d is named %r, want attachee"
              % (what, pid, procs.get(pid)))
done()
' s.txt p.txt "${recorded[@]}" || err "samples of both processes"
finish

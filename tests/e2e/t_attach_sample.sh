# record -p on a program that runs already: attachee starts two threads and forks a child every
# round until the file "stop" appears. Sampled for 2 s (--duration): samples from its main thread,
# from threads and from forked children it started while recorded (Perfetto, protoc
# --decode_raw), every *_work function in the profile (go tool pprof); hwtrace exits 0, the
# program runs on (alive after hwtrace exits), and prints what a run without hwtrace prints.
need protoc python3 go

attachee_start

hw_ok record -b sample -o a.hwt -p "$prog_pid" --duration 2s
sed 's/^/  stderr: /' hw.err
alive "$prog_pid" || fail "the program $prog_pid is gone after hwtrace exited"
touch stop
wait "$prog_pid"
rc=$?
prog_pid=""
[ "$rc" -eq 0 ] || err "attachee exited $rc after being recorded: $(cat prog.err)"
cmp -s ref.out prog.out || err "attachee printed $(tr '\n' '|' <prog.out), alone $(tr '\n' '|' <ref.out)"
note "attachee: $(cat prog.err)"

[ "$(info_field a.hwt status)" = complete ] || err "info status is not complete"
info_field a.hwt exit | grep -q '^none' || err "info exit line: $(info_field a.hwt exit), want none"
pid=$(awk '{ print $1 }' <<<"$(info_field a.hwt attached)")
hw_ok export -o a.pftrace a.hwt
decode_raw a.pftrace a.txt
py '
import sys
pftxt, pid = sys.argv[1], int(sys.argv[2])
threads, procs, samples = {}, {}, {}
for p in packets(pftxt):
    for td in fields(p, 60):
        for th in fields(td, 4):
            threads[(field(th, 1), field(th, 2))] = text(field(th, 5))
        for pd in fields(td, 3):
            procs[field(pd, 1)] = text(field(pd, 6))
    for s in fields(p, 66):
        key = (field(s, 2), field(s, 3))
        samples[key] = samples.get(key, 0) + 1
main = samples.get((pid, pid), 0)
thr = sorted(t for (p, t) in samples if p == pid and t != pid)
kids = sorted(p for (p, t) in samples if p != pid)
print("# main thread %d samples; %d threads and %d child processes with samples"
      % (main, len(thr), len(kids)))
check(main > 0, "no sample of the main thread %d" % pid)
check(threads.get((pid, pid)) == "attachee",
      "main thread named %r, want attachee (its COMM, synthesized)" % threads.get((pid, pid)))
check(thr, "no sample of a thread of %d: threads started while recorded are not followed" % pid)
check(kids, "no sample of a forked child of %d: children are not followed" % pid)
for k in kids:
    check(procs.get(k) == "attachee", "child process %d is named %r, want attachee"
          % (k, procs.get(k)))
done()
' a.txt "$pid" || err "samples of threads and children (see above)"

hw_ok export -o a.pb.gz a.hwt
pprof_top a.pb.gz top.txt
for f in thread_work child_work main_work; do
	grep -Eq " $f\$" top.txt || err "pprof: no samples in $f (symbols of a process attached to)"
done
finish

# threads.c starts four threads that name themselves worker-0..3 and print "TID NAME", and a
# fork+exec'ed child that names itself exec-child (its parent prints "child PID"). Every one of
# them, with its pid, tid and name, must be in the Perfetto trace (protoc --decode_raw) and in
# the Chrome JSON (python3 json: "M" thread_name / process_name events).
need protoc python3

# sh prints its pid and execs the program in place: the main pid, from outside hwtrace.
hw_ok record -q -b sample -o thr.hwt -- sh -c 'echo "main $$"; exec "$0"' "$PROGS/threads"
cp hw.out printed.txt
sed 's/^/  printed: /' printed.txt
[ "$(grep -c ' worker-' printed.txt)" -eq 4 ] || fail "the program did not print 4 workers"
grep -q '^child [0-9]' printed.txt || fail "the program did not print its child"
[ "$(info_field thr.hwt status)" = complete ] || err "info status is not complete"

hw_ok export -o thr.pftrace thr.hwt
decode_raw thr.pftrace thr.txt
hw_ok export -o thr.json thr.hwt

py '
import sys
printed, pftxt, chrome = sys.argv[1:4]
main = child = None
workers = {}
for line in open(printed):
    f = line.split()
    if len(f) == 2 and f[0] == "main":
        main = int(f[1])
    elif len(f) == 2 and f[0] == "child":
        child = int(f[1])
    elif len(f) == 2 and f[1].startswith("worker-"):
        workers[int(f[0])] = f[1]
check(main and child and len(workers) == 4, "printed: main %s child %s workers %s"
      % (main, child, workers))
expect = [(main, tid, name) for tid, name in workers.items()] + [(child, child, "exec-child")]

# Perfetto: the last ThreadDescriptor of each (pid, tid) names it; the child is also a process.
threads, procs, sampled = {}, {}, set()
for p in packets(pftxt):
    for td in fields(p, 60):
        for th in fields(td, 4):
            threads[(field(th, 1), field(th, 2))] = text(field(th, 5))
        for pd in fields(td, 3):
            procs[field(pd, 1)] = text(field(pd, 6))
    for s in fields(p, 66):
        sampled.add(field(s, 3))
for pid, tid, name in expect:
    got = threads.get((pid, tid))
    check(got == name, "perfetto: thread pid %d tid %d is named %r, want %r" % (pid, tid, got, name))
    check(tid in sampled, "perfetto: no PerfSample on tid %d (%s), which spins for a while"
          % (tid, name))
check(procs.get(child) == "exec-child",
      "perfetto: process %d is named %r, want exec-child" % (child, procs.get(child)))
check(main in procs, "perfetto: no ProcessDescriptor for the main pid %d" % main)

# Chrome: the last M thread_name event of each (pid, tid) names it.
cthreads, cprocs = {}, {}
for e in load_chrome(chrome):
    if e.get("ph") != "M":
        continue
    if e.get("name") == "thread_name":
        cthreads[(e.get("pid"), e.get("tid"))] = e.get("args", {}).get("name")
    elif e.get("name") == "process_name":
        cprocs[e.get("pid")] = e.get("args", {}).get("name")
for pid, tid, name in expect:
    got = cthreads.get((pid, tid))
    check(got == name, "chrome: thread_name of pid %d tid %d is %r, want %r" % (pid, tid, got, name))
check(cprocs.get(child) == "exec-child",
      "chrome: process_name of %d is %r, want exec-child" % (child, cprocs.get(child)))
print("# checked main %d, workers %s, child %d" % (main, sorted(workers.items()), child))
done()
' printed.txt thr.txt thr.json || err "threads and names (see above)"
finish

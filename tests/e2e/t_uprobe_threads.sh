# work8.c starts 8 threads that call work() exactly 1,000 times each; main only starts and joins
# them. Recorded with -b uprobe, the Chrome JSON (python3 json) must hold exactly 8,000 work
# slices: 1,000 on each of 8 distinct threads of the program's process, none on its main
# thread, every one inside its thread's worker() and every thread exactly nested.
BACKEND=${BACKEND:-uprobe} # t_inproc_threads.sh runs this file with -b inproc
need python3


hw_ok record -q -b "$BACKEND" -o w8.hwt -- "$PROGS/work8"
[ "$(info_field w8.hwt status)" = complete ] || err "info status is not complete"
lost=$(info_field w8.hwt lost)
[ "${lost%% *}" = 0 ] || err "info says lost '$lost': 8,000 calls fit the default ring"
pid=$(info_field w8.hwt pid)
[ -n "$pid" ] || fail "info has no pid line"
hw_ok export -o w8.json w8.hwt

py "$CHROME_SLICES"'
import sys, collections
path, pid = sys.argv[1], int(sys.argv[2])
slices, _, left_open = chrome_slices(path)
check(not left_open, "chrome: slices left open: %s" % left_open)
work = collections.Counter()
for (p, tid), sl in slices.items():
    check(p == pid, "chrome: slices in pid %s, the program is %d" % (p, pid))
    if tid != pid:
        workers = [s for s in sl if s["name"] == "worker"]
        check(len(workers) == 1 and workers[0]["depth"] == 1,
              "chrome: thread %d has %d worker slices, want one, outermost" % (tid, len(workers)))
    for s in sl:
        if s["name"] != "work":
            continue
        work[tid] += 1
        check(s["stack"] == ["worker"], "chrome: work on thread %d under %s, want worker"
              % (tid, ";".join(s["stack"])))
print("# work slices per thread: %s" % dict(work))
check(sum(work.values()) == 8000, "chrome: %d work slices, want 8000" % sum(work.values()))
check(len(work) == 8, "chrome: work on %d threads, want 8" % len(work))
check(pid not in work, "chrome: %d work slices on the main thread %d" % (work[pid], pid))
for tid, n in work.items():
    check(n == 1000, "chrome: %d work slices on thread %d, want 1000" % (n, tid))
mains = slices.get((pid, pid), [])
check([s["name"] for s in mains] == ["main"],
      "chrome: the main thread has %s, want main alone" % [s["name"] for s in mains][:10])
done()
' w8.json "$pid" || err "work slices per thread (see above)"
finish

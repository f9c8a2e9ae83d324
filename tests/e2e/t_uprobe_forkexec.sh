# forkexec.c forks; the child execs the program again with "child" and calls child_work() 100
# times, and prints nothing; the parent prints "child PID", calls parent_work() 10 times and
# waits. Recorded with -b uprobe, the Chrome JSON (python3 json) must have the 100 child_work
# slices in the child's pid (as printed, on its one thread) and the 10 parent_work slices in the
# parent's pid, none of either anywhere else, each under its process's main.
BACKEND=${BACKEND:-uprobe} # t_inproc_forkexec.sh runs this file with -b inproc
need python3


hw_ok record -q -b "$BACKEND" -o fe.hwt -- "$PROGS/forkexec"
child=$(sed -n 's/^child \([0-9][0-9]*\)$/\1/p' hw.out)
[ -n "$child" ] || fail "the program did not print 'child PID': $(head -c 200 hw.out)"
# The parent is the program hwtrace started.
parent=$(info_field fe.hwt pid)
note "parent $parent, child $child"
[ -n "$parent" ] && [ "$parent" != "$child" ] || fail "info says pid '$parent', the child is $child"
[ "$(info_field fe.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field fe.hwt processes)" = 2 ] ||
	err "info says processes '$(info_field fe.hwt processes)', want 2"
hw_ok export -o fe.json fe.hwt

py "$CHROME_SLICES"'
import sys, collections
path, parent, child = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
slices, _, left_open = chrome_slices(path)
check(not left_open, "chrome: slices left open: %s" % left_open)
where = collections.defaultdict(collections.Counter)
for (pid, tid), sl in slices.items():
    for s in sl:
        where[s["name"]][(pid, tid)] += 1
        if s["name"].endswith("_work"):
            check(s["stack"] == ["main"], "chrome: %s in %d under %s, want main"
                  % (s["name"], pid, ";".join(s["stack"])))
print("# chrome: (pid, tid) per function: %s" % {n: dict(c) for n, c in where.items()})
check(where["child_work"] == {(child, child): 100},
      "chrome: child_work per (pid, tid) %s, want 100 on (%d, %d) alone"
      % (dict(where["child_work"]), child, child))
check(where["parent_work"] == {(parent, parent): 10},
      "chrome: parent_work per (pid, tid) %s, want 10 on (%d, %d) alone"
      % (dict(where["parent_work"]), parent, parent))
check(where["main"] == {(parent, parent): 1, (child, child): 1},
      "chrome: main per (pid, tid) %s, want one in each process" % dict(where["main"]))
check(set(where) == {"main", "child_work", "parent_work"}, "chrome: functions %s" % sorted(where))
done()
' fe.json "$parent" "$child" || err "slices per process (see above)"
finish

# record -b uprobe -p on a program that runs already: every call of thread_work (two new threads
# a round), main_work (its main thread) and child_work (a child it forks) while recorded, each on
# the thread that made it (python3 over the Chrome JSON): whole rounds give 2:1:1, only the first
# and last round may be cut. The probes go when hwtrace exits (0); the program runs on and prints
# what it prints alone.
need python3

attachee_start

hw_ok record -b uprobe -F thread_work -F main_work -F child_work -o u.hwt -p "$prog_pid" \
	--duration 2s
sed 's/^/  stderr: /' hw.err
alive "$prog_pid" || fail "the program $prog_pid is gone after hwtrace exited"
touch stop
wait "$prog_pid"
rc=$?
prog_pid=""
[ "$rc" -eq 0 ] || err "attachee exited $rc after being recorded: $(cat prog.err)"
cmp -s ref.out prog.out || err "attachee printed $(tr '\n' '|' <prog.out), alone $(tr '\n' '|' <ref.out)"
note "attachee: $(cat prog.err)"

[ "$(info_field u.hwt status)" = complete ] || err "info status is not complete"
pid=$(info_field u.hwt attached)
hw_ok export -o u.json u.hwt
py '
import sys
chrome, pid = sys.argv[1], int(sys.argv[2])
n = {"thread_work": 0, "main_work": 0, "child_work": 0}
for e in load_chrome(chrome):
    name = e.get("name")
    if e.get("ph") != "X" or name not in n:
        continue
    n[name] += 1
    p, t = e.get("pid"), e.get("tid")
    if name == "thread_work":
        check(p == pid and t != pid, "thread_work on pid %s tid %s, want a thread of %d"
              % (p, t, pid))
    elif name == "main_work":
        check(p == pid and t == pid, "main_work on pid %s tid %s, want %d" % (p, t, pid))
    else:
        check(p != pid and t == p, "child_work on pid %s tid %s, want a child of %d"
              % (p, t, pid))
print("# calls: %s" % n)
for k, v in n.items():
    check(v > 0, "no call of %s recorded" % k)
check(abs(n["thread_work"] - 2 * n["main_work"]) <= 4,
      "%d thread_work for %d main_work: want 2 a round" % (n["thread_work"], n["main_work"]))
check(abs(n["child_work"] - n["main_work"]) <= 2,
      "%d child_work for %d main_work: want 1 a round" % (n["child_work"], n["main_work"]))
done()
' u.json "$pid" || err "calls recorded (see above)"
finish

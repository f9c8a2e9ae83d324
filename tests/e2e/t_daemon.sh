# A program that daemonizes (fork, setsid, fork; both parents exit at once) and does its work in
# the daemon: the recording follows the whole process tree until the daemon exits, the daemon's
# 2000 calls of daemon_step() are in it (counted in the Chrome JSON export by python3's json),
# info says 3 processes and that processes outlived the program, and the recorder's exit status
# is the program's.
need python3

echo "\$ hwtrace record -b uprobe -F daemon_step -o d.hwt -- daemonize 1 done.txt"
"$HWTRACE" record -b uprobe -F daemon_step -o d.hwt -- "$PROGS/daemonize" 1 "$PWD/done.txt" \
	>rec.out 2>rec.err
rc=$?
note "exit status $rc; stderr: $(cat rec.err)"
[ "$rc" -eq 0 ] || err "record exited $rc, want the program's 0"
# The recorder waited for the daemon: its last act is written before it exits.
[ -s done.txt ] || err "the recorder ended before the daemon did (no done.txt)"

hw_ok info d.hwt
sed 's/^/  /' hw.out
grep -Eq '^status +complete$' hw.out || err "info status is not complete"
grep -Eq '^processes +3$' hw.out || err "info does not count 3 processes"
grep -Eq '^exit +status 0$' hw.out || err "info exit is not the program's status 0"
grep -Eq '^note +the program exited .* processes it started ran on and were recorded until the last exited' hw.out ||
	err "info does not say that the daemon outlived the program"
pid=$(info_field d.hwt pid)

hw_ok export -f chrome -o d.json d.hwt
py '
import sys, json
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"] if isinstance(d, dict) else d
launched = int(sys.argv[2])
calls = [e for e in ev if e.get("name") == "daemon_step" and e.get("ph") in ("X", "B")]
pids = {e["pid"] for e in calls}
print("# %d calls of daemon_step in pids %s (the program: %d)" % (len(calls), sorted(pids), launched))
check(len(calls) == 2000, "%d calls of daemon_step, want 2000" % len(calls))
check(pids and launched not in pids, "daemon_step ran in the program, not in its daemon")
done()
' d.json "$pid" || err "the daemon's calls (see above)"

# Sampled, the daemon's work is there too, and the export made on the spot holds it.
echo "\$ hwtrace record -b sample -o d.folded -- daemonize 0.5"
"$HWTRACE" record -b sample -o d.folded -- "$PROGS/daemonize" 0.5 >rec.out 2>rec.err
rc=$?
[ "$rc" -eq 0 ] || err "record -o d.folded exited $rc: $(cat rec.err)"
py '
import sys
n = 0
for line in open(sys.argv[1]):
    stack, count = line.rstrip("\n").rsplit(" ", 1)
    if "daemon_work" in stack.split(";"):
        n += int(count)
print("# %d samples in daemon_work" % n)
check(n > 0, "no samples of the daemon (daemon_work)")
done()
' d.folded || err "the daemon's samples (see above)"
finish

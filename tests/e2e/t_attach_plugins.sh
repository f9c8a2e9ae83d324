# Counter plugins on processes attached to (-p): watch (mode=read) reads steps_value of a running
# steps, proc reads its /proc files; each on its own process track (python3 over the Chrome JSON):
# steps_value never goes down and stays in 0..2999, the rss track has values. mode=write, which
# needs the program from its exec, is refused with one line. steps runs on and ends as alone.
need python3

prog_pid=""
cleanup()
{
	[ -n "$prog_pid" ] && alive "$prog_pid" && kill -9 "$prog_pid" 2>/dev/null
}
trap cleanup EXIT

# 3000 steps, one a millisecond: a few seconds to attach in.
"$PROGS/steps" 3000 1000 0 >prog.out 2>prog.err &
prog_pid=$!
sleep 0.2
hw_ok record -b sample -o w.hwt -p "$prog_pid" --duration 1s \
	-P watch:sym=steps_value,type=i64,interval=1ms -P proc
sed 's/^/  stderr: /' hw.err
alive "$prog_pid" || err "steps ($prog_pid) is gone after hwtrace exited"
hw record -o x.hwt -p "$prog_pid" -P watch:sym=steps_value,type=i64,mode=write --duration 100ms
[ "$HW_RC" -ne 0 ] || err "watch mode=write on a process attached to was not refused"
grep -q 'mode=write and LIB:NAME need the program from its start' hw.err ||
	err "the refusal does not say why: $(cat hw.err)"
[ "$(wc -l <hw.err)" -eq 1 ] || err "the refusal is not one line"
[ -e x.hwt ] && err "a refused recording left x.hwt"
wait "$prog_pid" || err "steps exited $? after being recorded"
prog_pid=""
grep -q '^steps: 3000 steps, value 2999, count 3000' prog.out ||
	err "steps printed: $(cat prog.out)"

pid=$(info_field w.hwt attached)
hw_ok export -o w.json w.hwt
py '
import sys
path, pid = sys.argv[1], int(sys.argv[2])
ev = load_chrome(path)
steps = [e for e in ev if e.get("ph") == "C" and e.get("name") == "steps_value"]
vals = [e["args"]["value"] for e in steps]
print("# steps_value: %d values %s ... %s" % (len(vals), vals[:3], vals[-3:]))
if check(vals, "steps_value: no values read"):
    check(all(e.get("pid") == pid for e in steps), "steps_value not on pid %d" % pid)
    check(all(v == int(v) and 0 <= v <= 2999 for v in vals), "steps_value outside 0..2999")
    check(all(a <= b for a, b in zip(vals, vals[1:])), "steps_value goes down")
rss = [e for e in ev if e.get("ph") == "C" and e.get("name") == "rss" and e.get("pid") == pid]
check(rss, "no rss value of pid %d (proc)" % pid)
done()
' w.json "$pid" || err "plugin tracks (see above)"
finish

# Bad -p, -a and --duration: one line on stderr that names the problem, a non-zero exit that is
# not a crash, no file left behind (bad_input). A process that is gone, that is a zombie, that
# another user owns (run as nobody), a thread id instead of a process id, -p with a program.
need setpriv

holder=""
cleanup()
{
	[ -n "$holder" ] && kill "$holder" 2>/dev/null
}
trap cleanup EXIT

mkdir w
chmod 777 w
cd w || fail "cannot enter w"
ncases=0

# A pid that no process has: pid_max itself is never given out.
none=$(cat /proc/sys/kernel/pid_max)
bad_input no-such-pid "-p $none: no such process" record -o x.hwt -p "$none"
bad_input not-a-number "-p abc: 'abc' is not a process id" record -o x.hwt -p abc
bad_input zero "'0' is not a process id" record -o x.hwt -p 0
bad_input empty-item "'' is not a process id|give process ids" record -o x.hwt -p 1,,2
bad_input with-program "-p records processes that run already: give no program" \
	record -o x.hwt -p 1 -- true
bad_input with-all "-p and -a: choose one" record -o x.hwt -p 1 -a
bad_input nothing "no program given.*-p PID.*-a" record -o x.hwt
bad_input uprobe-all "-b uprobe records chosen processes, not the whole system" \
	record -o x.hwt -a -b uprobe --duration 100ms
bad_input plugin-all "-P with -a needs a process" record -o x.hwt -a -P proc --duration 100ms
bad_input duration-unit "--duration 2: give a time" record -o x.hwt --duration 2 -- true
bad_input duration-junk "--duration soon: give a time" record -o x.hwt --duration soon -- true

# A zombie: sleep 0.1 is the child of a `sleep 30` that never reaps it.
sh -c 'sleep 0.1 & echo $! >../z.pid; exec sleep 30' &
holder=$!
for ((i = 0; i < 100; i++)); do
	[ -s ../z.pid ] && grep -q '^State:.*Z' "/proc/$(cat ../z.pid)/status" 2>/dev/null && break
	sleep 0.05
done
bad_input zombie "-p $(cat ../z.pid): the process has exited already" \
	record -o x.hwt -p "$(cat ../z.pid)"
# A thread id: a thread of a python3 that waits.
if command -v python3 >/dev/null; then
	python3 -c 'import threading, time, os
t = threading.Thread(target=time.sleep, args=(30,), daemon=True); t.start()
print(t.native_id, os.getpid(), flush=True); time.sleep(30)' >../tid.txt &
	py_pid=$!
	for ((i = 0; i < 100; i++)); do [ -s ../tid.txt ] && break; sleep 0.05; done
	read -r tid tgid <../tid.txt
	bad_input thread-id "-p $tid: that is a thread of process $tgid: give the process id" \
		record -o x.hwt -p "$tid"
	kill "$py_pid" 2>/dev/null
fi
# Another user's process (the holder is root's): nobody may not trace it. bad_input runs hwtrace
# itself, so the same checks by hand.
setpriv --reuid=65534 --regid=65534 --clear-groups "$HWTRACE" record -o x.hwt -p "$holder" \
	>../bad.out 2>../bad.err </dev/null
rc=$?
echo "[other-user] \$ hwtrace record -p $holder as nobody -> exit $rc: $(tr '\n' '|' <../bad.err)"
[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || err "other-user: exit status $rc"
[ "$(wc -l <../bad.err)" -eq 1 ] || err "other-user: not one line on stderr"
grep -q "^hwtrace: -p $holder: not allowed to trace that process" ../bad.err ||
	err "other-user: the message does not say it is not allowed"
[ -z "$(ls -A | grep -v '^x$')" ] || err "other-user: files left behind: $(ls -A)"
# What `list` says of -a for nobody is what record -a does for nobody.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$HWTRACE" "$@"; }
says=$(as_nobody list 2>/dev/null | awk '$1 == "-a" { print $2 }')
as_nobody record -q -o a.hwt -a --duration 100ms >../bad.out 2>../bad.err </dev/null
rc=$?
echo "[list -a] nobody: list says '$says', record -a exits $rc: $(tr '\n' '|' <../bad.err)"
if [ "$says" = yes ]; then
	[ "$rc" -eq 0 ] || err "list says -a works for nobody, record -a exited $rc"
elif [ "$says" = no ]; then
	[ "$rc" -ne 0 ] && [ "$(wc -l <../bad.err)" -eq 1 ] ||
		err "list says -a does not work for nobody: record -a exited $rc, or not one line"
	[ -e a.hwt ] && err "a refused record -a left a.hwt"
else
	err "list has no -a line for nobody"
fi
rm -f a.hwt
note "$ncases cases"
finish

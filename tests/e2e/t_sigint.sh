# SIGINT to the recorder while slow.c would still run for 30 s: the recorder stops the program,
# finishes the recording (status complete, an exit line) and exits with the program's status.
need python3

slow_pid=""
rec_pid=""
cleanup()
{
	[ -n "$rec_pid" ] && kill -9 "$rec_pid" 2>/dev/null
	if [ -n "$slow_pid" ] && grep -q slow "/proc/$slow_pid/cmdline" 2>/dev/null; then
		kill -9 "$slow_pid" 2>/dev/null
	fi
}
trap cleanup EXIT

echo "\$ hwtrace record -o i.hwt -- slow 30 &"
"$HWTRACE" record -b sample -o i.hwt -- sh -c 'echo $$ >slow.pid; exec "$0" 30' "$PROGS/slow" \
	>rec.out 2>rec.err &
rec_pid=$!
wait_samples i.hwt 30
for ((i = 0; i < 100; i++)); do [ -s slow.pid ] && break; sleep 0.05; done
slow_pid=$(cat slow.pid)
alive "$slow_pid" || fail "the program (pid $slow_pid) is not running"
note "i.hwt holds samples, $(stat -c %s i.hwt) bytes; SIGINT to the recorder $rec_pid"
kill -INT "$rec_pid"

# The program has 30 s of work left: it must be gone well before that.
for ((i = 0; i < 200; i++)); do alive "$rec_pid" || break; sleep 0.05; done
if alive "$rec_pid"; then
	fail "the recorder still runs 10 s after SIGINT"
fi
wait "$rec_pid"
rc=$?
rec_pid=""
note "recorder exit status $rc; stderr: $(cat rec.err)"
# The recorder finished (its summary line) and exits with the program's status, 128 + SIGINT.
[ "$rc" -eq 130 ] || err "the recorder exited $rc, want 130 (the program's: killed by SIGINT)"
grep -q '^hwtrace: recorded' rec.err || err "the recorder did not finish (no summary line)"
alive "$slow_pid" && err "the program $slow_pid still runs after the recorder ended"
[ "$(grep -c '^hwtrace: ' rec.err)" -le 1 ] || err "more than one hwtrace line on stderr"

hw_ok info i.hwt
sed 's/^/  /' hw.out
grep -Eq '^status +complete$' hw.out || err "info status is not complete"
grep -Eq '^exit +' hw.out || err "info has no exit line"
grep -Eq '^exit +killed by signal 2 ' hw.out || err "info exit line does not say signal 2 (SIGINT)"
samples=$(info_field i.hwt samples)
[ "${samples:-0}" -gt 0 ] 2>/dev/null || err "no samples recorded before SIGINT"
finish

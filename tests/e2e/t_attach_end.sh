# What ends record -p besides --duration: SIGINT to hwtrace (^C) ends the recording, not the
# program (hwtrace exits 0, info says the signal stopped it, the program runs on); and the exit of
# the process attached to (hwtrace then exits 0 by itself, its recording complete).
need python3

prog_pid=""
rec_pid=""
cleanup()
{
	touch stop stop2
	[ -n "$rec_pid" ] && kill -9 "$rec_pid" 2>/dev/null
	[ -n "$prog_pid" ] && alive "$prog_pid" && sleep 1 && kill -9 "$prog_pid" 2>/dev/null
}
trap cleanup EXIT

start_prog()
{
	"$PROGS/attachee" "$1" 60 >"$1.out" 2>"$1.err" &
	prog_pid=$!
	for ((i = 0; i < 200; i++)); do [ -s "$1.out" ] && break; sleep 0.05; done
	[ -s "$1.out" ] || fail "attachee printed nothing in 10 s"
}

# ^C: SIGINT to hwtrace alone, as the program is not in its process group.
start_prog stop
echo "\$ hwtrace record -b sample -o i.hwt -p $prog_pid &"
"$HWTRACE" record -b sample -o i.hwt -p "$prog_pid" >rec.out 2>rec.err &
rec_pid=$!
wait_samples i.hwt 30
kill -INT "$rec_pid"
for ((i = 0; i < 200; i++)); do alive "$rec_pid" || break; sleep 0.05; done
alive "$rec_pid" && fail "hwtrace still runs 10 s after SIGINT"
wait "$rec_pid"
rc=$?
rec_pid=""
sed 's/^/  stderr: /' rec.err
[ "$rc" -eq 0 ] || err "hwtrace exited $rc after SIGINT, want 0 (a clean detach)"
alive "$prog_pid" || err "the program $prog_pid did not survive the SIGINT to hwtrace"
[ "$(info_field i.hwt status)" = complete ] || err "i.hwt is not complete"
info_field i.hwt stopped | grep -q 'signal 2' || err "info does not say SIGINT stopped it"
touch stop
wait "$prog_pid" || err "attachee exited $? after hwtrace detached"
prog_pid=""

# The process exits while recorded: hwtrace ends by itself.
start_prog stop2
echo "\$ hwtrace record -b sample -o x.hwt -p $prog_pid &"
"$HWTRACE" record -b sample -o x.hwt -p "$prog_pid" >rec.out 2>rec.err &
rec_pid=$!
wait_samples x.hwt 30
touch stop2
wait "$prog_pid" || err "attachee exited $? while recorded"
prog_pid=""
for ((i = 0; i < 200; i++)); do alive "$rec_pid" || break; sleep 0.05; done
alive "$rec_pid" && fail "hwtrace still runs 10 s after the process it recorded exited"
wait "$rec_pid"
rc=$?
rec_pid=""
[ "$rc" -eq 0 ] || err "hwtrace exited $rc when the process ended, want 0"
[ "$(info_field x.hwt status)" = complete ] || err "x.hwt is not complete"
finish

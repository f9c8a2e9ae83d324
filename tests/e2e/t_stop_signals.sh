# Signals to the recorder, like perf: the first SIGINT is passed on to the program; a second stops
# a program that ignores it (SIGTERM, then SIGKILL after a grace period if it ignores that too); a
# third ends the recording at once. SIGHUP stops like SIGTERM; SIGUSR1 and SIGPIPE do not kill
# the recorder. Every recording ends with its end chunk (info: complete) and the recorder exits
# with the program's status.
need python3

rec_pid=""
prog_pid=""
cleanup()
{
	[ -n "$rec_pid" ] && kill -9 "$rec_pid" 2>/dev/null
	if [ -n "$prog_pid" ] && grep -Eq 'stubborn|slow' "/proc/$prog_pid/cmdline" 2>/dev/null; then
		kill -9 "$prog_pid" 2>/dev/null
	fi
}
trap cleanup EXIT

# start TRACE PROG ARGS...: records PROG in the background until it holds samples.
start()
{
	local trace=$1 i
	shift
	rm -f prog.pid
	echo "\$ hwtrace record -b sample -o $trace -- $* &"
	"$HWTRACE" record -b sample -o "$trace" -- sh -c 'echo $$ >prog.pid; exec "$0" "$@"' "$@" \
		>rec.out 2>rec.err &
	rec_pid=$!
	wait_samples "$trace" 30
	for ((i = 0; i < 100; i++)); do [ -s prog.pid ] && break; sleep 0.05; done
	prog_pid=$(cat prog.pid)
	alive "$prog_pid" || fail "the program (pid $prog_pid) is not running"
}

# signals SIG...: sends each to the recorder, 0.3 s apart.
signals()
{
	local s
	for s in "$@"; do
		kill -"$s" "$rec_pid"
		sleep 0.3
	done
}

# ends TRACE STATUS EXIT_LINE: the recorder ends within 20 s with STATUS, the program is gone, and
# info says complete with the exit line matching EXIT_LINE.
ends()
{
	local trace=$1 want=$2 exit_re=$3 i rc
	for ((i = 0; i < 400; i++)); do alive "$rec_pid" || break; sleep 0.05; done
	alive "$rec_pid" && fail "$trace: the recorder still runs 20 s after the signals"
	wait "$rec_pid"
	rc=$?
	rec_pid=""
	note "$trace: recorder exit status $rc; stderr: $(cat rec.err)"
	[ "$rc" -eq "$want" ] || err "$trace: the recorder exited $rc, want $want"
	alive "$prog_pid" && err "$trace: the program $prog_pid still runs after the recorder ended"
	hw_ok info "$trace"
	grep -Eq '^status +complete$' hw.out || err "$trace: info status is not complete"
	grep -Eq "^exit +$exit_re" hw.out || err "$trace: exit line is not '$exit_re': $(grep '^exit' hw.out)"
}

# A program that ignores SIGINT: the second stops it with SIGTERM.
start a.hwt "$PROGS/stubborn" 60
signals INT
alive "$prog_pid" || err "the program ignoring SIGINT ended at the first"
signals INT
ends a.hwt 143 'killed by signal 15 '
grep -Eq '^stopped +recording stopped by signal 2 ' hw.out || err "a.hwt: no 'stopped by signal 2' line"

# One that ignores SIGTERM too: SIGKILL after the grace period.
start b.hwt "$PROGS/stubborn" 60 term
signals INT INT
ends b.hwt 137 'killed by signal 9 '

# A third ^C does not wait for the grace period.
start c.hwt "$PROGS/stubborn" 60 term
signals INT INT INT
ends c.hwt 137 'killed by signal 9 '

# SIGHUP (the terminal closed) stops the program like SIGTERM.
start d.hwt "$PROGS/slow" 60
signals HUP
ends d.hwt 129 'killed by signal 1 '

# SIGUSR1 and SIGPIPE: the recorder goes on and the program runs to its end.
start e.hwt "$PROGS/slow" 8
signals USR1 PIPE
alive "$rec_pid" || err "the recorder died of SIGUSR1 or SIGPIPE"
ends e.hwt 0 'status 0$'
finish

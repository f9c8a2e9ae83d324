# --duration T on a program hwtrace starts: the recording ends after T and is complete (info:
# status complete, no exit: the program ran on), hwtrace says so and waits; the program, which
# runs until the file "stop" appears, is not killed: it ends when told, prints what it prints
# alone, and hwtrace exits with its status (5 here, from the shell around it).
need python3

rec_pid=""
cleanup()
{
	touch stop ref.stop
	[ -n "$rec_pid" ] && sleep 1 && kill -9 "$rec_pid" 2>/dev/null
}
trap cleanup EXIT

(sleep 0.3 && touch ref.stop) &
"$PROGS/attachee" ref.stop 60 >ref.out 2>ref.err || fail "attachee alone exited $?: $(cat ref.err)"
wait

echo "\$ hwtrace record -o d.hwt --duration 500ms -- sh -c 'attachee stop 60; exit 5' &"
"$HWTRACE" record -o d.hwt --duration 500ms -- sh -c '"$0" stop 60; exit 5' "$PROGS/attachee" \
	>prog.out 2>rec.err &
rec_pid=$!
for ((i = 0; i < 600; i++)); do
	grep -q 'duration is over' rec.err && break
	alive "$rec_pid" || break
	sleep 0.05
done
sed 's/^/  stderr: /' rec.err
grep -q '^hwtrace: --duration is over: .* runs on unrecorded; waiting for it to end$' rec.err ||
	fail "hwtrace did not say the recording ended (within 30 s)"
alive "$rec_pid" || fail "hwtrace did not wait for the program"
grep -q 'all results right' prog.out && fail "the program ended by itself: it should wait for 'stop'"
[ "$(info_field d.hwt status)" = complete ] || err "d.hwt is not complete once hwtrace said so"
info_field d.hwt exit | grep -q '^none' || err "info exit line: $(info_field d.hwt exit), want none"
samples=$(info_field d.hwt samples)
[ "${samples:-0}" -gt 0 ] 2>/dev/null || err "no samples in d.hwt"

touch stop
wait "$rec_pid"
rc=$?
rec_pid=""
[ "$rc" -eq 5 ] || err "hwtrace exited $rc, want 5 (the program's status)"
cmp -s ref.out prog.out || err "the program printed $(tr '\n' '|' <prog.out), alone $(tr '\n' '|' <ref.out)"
finish

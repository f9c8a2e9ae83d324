# Without Intel PT (an AMD machine, or a VM without PT passthrough) the pt backend refuses in
# exactly one line that names intel_pt, exits non-zero and leaves no file; `list` shows pt "no"
# with the same reason; `-b auto` samples and says so (uprobe when -F is given); SIGUSR2 (a
# snapshot request) does not end a recording.
if [ -d /sys/bus/event_source/devices/intel_pt ]; then
	note "this machine has intel_pt: the refusal cannot be checked here"
	finish
fi

# one_line_refusal WHAT PATTERN: the last command failed with one stderr line matching PATTERN.
one_line_refusal()
{
	[ "$HW_RC" -ne 0 ] || err "$1 exited 0"
	[ "$(wc -l <hw.err)" -eq 1 ] ||
		err "$1 wrote $(wc -l <hw.err) lines to stderr, want 1: $(head -c 500 hw.err)"
	grep -Eq "$2" hw.err || err "$1 said '$(head -c 300 hw.err)', want /$2/"
	[ -s hw.out ] && err "$1 wrote to stdout (the program ran?): $(head -c 200 hw.out)"
	local left
	left=$(ls -A)
	for f in $left; do
		case $f in
		hw.out | hw.err) ;;
		*) err "$1 left '$f' behind" ;;
		esac
	done
}

REASON='no Intel PT: /sys/bus/event_source/devices/intel_pt does not exist \(not an Intel CPU, or a VM without PT passthrough\)'

hw record -b pt -o pt.hwt -- "$PROGS/fib" 10
one_line_refusal "record -b pt" "^hwtrace: backend 'pt' is not available here: $REASON \(see \`hwtrace list\`\)$"

# Snapshot options choose pt, under -b auto too, and refuse the same way.
hw record --snapshot 4M -o snap.hwt -- "$PROGS/fib" 10
one_line_refusal "record --snapshot 4M" "^hwtrace: backend 'pt' is not available here: $REASON"
hw record -b auto --trigger fib -o trig.hwt -- "$PROGS/fib" 10
one_line_refusal "record --trigger fib" "^hwtrace: backend 'pt' is not available here: $REASON"
hw record -b uprobe --snapshot 4M -o up.hwt -- "$PROGS/fib" 10
one_line_refusal "record -b uprobe --snapshot" "^hwtrace: --snapshot and --trigger are for -b pt"
hw record -b pt --snapshot 3M -o bad.hwt -- "$PROGS/fib" 10
one_line_refusal "record --snapshot 3M" "^hwtrace: --snapshot 3M: give a power of two"

# `list`: one pt row, "no", with the reason record gave.
hw_ok list
awk '/^backends/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF' hw.out >backends
[ "$(grep -Ec '^ +pt ' backends)" -eq 1 ] || err "list has $(grep -Ec '^ +pt ' backends) pt rows, want 1"
grep -Eq "^ +pt +no +$REASON\$" backends || err "list's pt row is not 'no' with the reason: $(grep -E '^ +pt ' backends)"
grep -Eq '^ +auto +yes +.*here sample' backends || err "list's auto row does not pick sample: $(grep -E '^ +auto ' backends)"
grep -Eq '^ +intel_pt +no +no /sys/bus/event_source/devices/intel_pt$' hw.out ||
	err "list has no event-family row 'intel_pt no'"

# SIGUSR2 asks the recorder for a snapshot; with no plugin taking snapshots it changes nothing:
# the recorder lives on and the recording is complete (before, it killed hwtrace).
"$HWTRACE" record -q -b sample -o usr2.hwt -- "$PROGS/slow" 1 >usr2.out 2>usr2.err &
rec=$!
wait_grown usr2.hwt 10 # renamed into place, then the handlers, then data
kill -USR2 $rec 2>/dev/null || err "the recorder was gone before SIGUSR2"
wait $rec
rc=$?
[ $rc -eq 0 ] || err "record exited $rc after SIGUSR2: $(head -c 300 usr2.err)"
[ "$(info_field usr2.hwt status)" = complete ] || err "after SIGUSR2 the recording is not complete"

# -b auto: without PT, sampling, said in one line; a flag of the exact-call tracers (-F) picks
# inproc (uprobe where it cannot run).
hw_ok record -b auto -o auto.hwt -- "$PROGS/slow" 0.3
grep -q '^hwtrace: -b auto chose sampling (no Intel PT here' hw.err ||
	err "record -b auto did not say what it chose: $(head -c 300 hw.err)"
[ "$(info_field auto.hwt backend)" = sample ] ||
	err "info says backend '$(info_field auto.hwt backend)', want sample"
[ "$(info_field auto.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field auto.hwt samples)" -gt 0 ] 2>/dev/null || err "no samples under -b auto"
hw_ok record -b auto -F 'fib' -o autof.hwt -- "$PROGS/fib" 10
[ "$(cat hw.out)" = 55 ] || err "fib 10 printed '$(head -c 100 hw.out)', want 55"
grep -q 'auto chose' hw.err && err "-b auto with -F said it chose: $(head -c 300 hw.err)"
[ "$(info_field autof.hwt backend)" = inproc ] ||
	err "info says backend '$(info_field autof.hwt backend)', want inproc"
[ "$(info_field autof.hwt slices)" = 177 ] ||
	err "info says slices '$(info_field autof.hwt slices)', want 177 (the calls of fib)"
finish

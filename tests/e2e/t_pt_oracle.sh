# The Intel PT decoder against the oracle (no PT hardware here): each pt_* program runs under
# single-step, the oracle writes what it executed as the packets the hardware would have written,
# and `hwtrace import --pt-raw` + `export` must give back exactly the calls that executed: on the
# one thread, the slices in the same order, nested the same, named the same (the oracle names
# call targets with hwtrace's symbolizer), each begin and end within the window of times the
# trace lets a decoder know. Every program runs with return compression (TNT-8, PSB every 4 KiB)
# and without (TNT-64, PSB every 1 KiB); pt_recurse also cycle-accurate with sparser MTCs.
# What the programs do: recursion 200 deep (past the 64-deep return stack), calls through
# function pointers and a jump table, tail calls that are jumps, qsort/bsearch calling back
# from libc through the PLT, longjmp out of 5 frames, and a loop of syscalls.
need python3 objdump
source "$(dirname "$E2E_LIB")/pt_lib.sh"

note "pt_tailcall's sibling calls are jumps"
objdump -d --no-show-raw-insn "$PROGS/pt_tailcall" >tailcall.dis ||
	fail "objdump cannot read pt_tailcall"
awk '/<ping>:/,/^$/' tailcall.dis | grep -q -E 'jmp +[0-9a-f]+ <pong>' ||
	err "pt_tailcall: ping does not end in jmp pong (the test needs a sibling call)"
awk '/<pong>:/,/^$/' tailcall.dis | grep -q -E 'jmp +\*%' ||
	err "pt_tailcall: pong has no indirect jmp (the test needs an indirect sibling call)"
awk '/<pong>:/,/^$/' tailcall.dis | grep -q -E 'jmp +[0-9a-f]+ <ping>' ||
	err "pt_tailcall: pong does not end in jmp ping"

cases=("pt_recurse:40200" "pt_fnptr:199" "pt_tailcall:3 0" "pt_qsort:1 1" "pt_longjmp:6"
	"pt_syscalls:80")
for c in "${cases[@]}"; do
	prog=${c%%:*}
	pt_case "${prog}_retcomp" "$prog" "${c#*:}"
	pt_case "${prog}_noretcomp" "$prog" "${c#*:}" --noretcomp --tnt64 --psb-bytes 1024
done
pt_case pt_recurse_cyc pt_recurse 40200 --cyc --mtc-period 6
finish

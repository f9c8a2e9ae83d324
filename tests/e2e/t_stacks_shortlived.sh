# Stacks of processes gone before the recorder's next round: shortkids forks 20 children that
# each open, read and close a file in kid_work() and exit at once (well under the 10 ms between
# rounds). The copies of their stacks are scrubbed against /proc/PID/stat, which a process that
# is gone no longer has: a watch ring wakes the recorder at each fork, exec and mapping, and a
# forked child that is gone by then takes its parent's stack fields (the same memory). Every
# one of the 60 calls must unwind through kid_work and main (-P syscalls, DWARF stacks).
echo data >in.txt
echo "\$ hwtrace record -P syscalls -o kids.hwt -- shortkids 20 in.txt"
"$HWTRACE" record -q -P syscalls -o kids.hwt -- "$PROGS/shortkids" 20 in.txt >kids.out 2>&1 ||
	fail "record failed: $(head -c 300 kids.out)"
hw export -f folded --view files:count -o kids.folded kids.hwt
[ "$HW_RC" -eq 0 ] || fail "export of the files view failed"
read -r whole cut <<<"$(awk '$1 ~ /;file:in\.txt$/ {
	if ($1 ~ /;main;kid_work;/) w += $2; else c += $2 } END { print w + 0, c + 0 }' kids.folded)"
note "calls on in.txt: $whole with main;kid_work in their stack, $cut without"
[ "$whole" -eq 60 ] || err "$whole of the 60 open, read and close calls unwound through kid_work"
[ "$cut" -eq 0 ] || err "$cut calls on in.txt lost their stack"
finish

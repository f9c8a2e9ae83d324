# A -b uprobe recording leaves its uprobes to a background child to unregister (~50 ms after the
# recorder exits); meanwhile the kernel puts their breakpoints into any new process of the same
# file, and the in-process patcher refuses a function with a breakpoint at its entry. So a
# -b inproc recording started right after one of -b uprobe once traced no call of fib at all.
# Now the launcher waits for the clean-up's lock: each of three back-to-back pairs traces every
# one of fib 18's 8,361 calls.
for i in 1 2 3; do
	hw_ok record -q -b uprobe -o up$i.hwt -- "$PROGS/fib" 18
	hw_ok record -q -b inproc -o in$i.hwt -- "$PROGS/fib" 18
	hw_ok report in$i.hwt
	n=$(awk '$NF == "fib" { print $(NF-1) }' hw.out)
	note "pair $i: -b inproc right after -b uprobe traced ${n:-no} calls of fib"
	[ "$n" = 8361 ] || err "pair $i: -b inproc after -b uprobe: fib has '${n:-no}' calls, want 8361"
done

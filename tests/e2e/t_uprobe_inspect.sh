# `hwtrace inspect` prints the traced calls as a tree. jump.c calls level1 -> level2 -> level3
# from main 5 times (and after_jump 5 times): with --depth 2 the tree shows main and its direct
# callees (level1 and after_jump 5 times each) and no level2 or level3 line. A sampling
# recording has no traced calls: inspect exits 1 with one line on stderr saying so.
need python3

hw_ok record -q -b uprobe -o jump.hwt -- "$PROGS/jump"
hw_ok inspect --depth 2 jump.hwt
sed 's/^/  /' hw.out
# Call lines are "DURATION [TID] | INDENT name...": the function name is the first word after
# the bar, without "()", "{", "}" and comments.
sed -n 's/^[^|]*| *//p' hw.out | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p' | sort | uniq -c |
	awk '{ print $2, $1 }' >calls.txt
sed 's/^/  calls: /' calls.txt
[ "$(grep -c '' calls.txt)" = 3 ] || err "inspect --depth 2 names $(grep -c '' calls.txt) functions, want 3"
grep -qx 'main 1' calls.txt || err "inspect --depth 2 has no single main line"
grep -qx 'level1 5' calls.txt || err "inspect --depth 2 does not show level1 5 times"
grep -qx 'after_jump 5' calls.txt || err "inspect --depth 2 does not show after_jump 5 times"
grep -Eq 'level[23]' hw.out && err "inspect --depth 2 shows level2 or level3"
[ -s hw.err ] && err "inspect --depth 2 wrote to stderr: $(head -c 300 hw.err)"

hw_ok record -q -b sample -o sample.hwt -- "$PROGS/fib" 20
hw inspect sample.hwt
sed 's/^/  stderr: /' hw.err
[ "$HW_RC" -eq 1 ] || err "inspect of a sampling recording exited $HW_RC, want 1"
[ "$(grep -c '' hw.err)" -eq 1 ] || err "inspect of a sampling recording wrote $(grep -c '' hw.err) lines on stderr, want 1"
grep -q '^hwtrace: .*sample\.hwt' hw.err || err "inspect's error does not start with 'hwtrace: ' and name sample.hwt"
[ -s hw.out ] && err "inspect of a sampling recording wrote to stdout: $(head -c 300 hw.out)"
finish

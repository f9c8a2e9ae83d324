# Copied user stacks never carry the environment: a program run with a secret in its environment
# under -g dwarf (8 KiB of stack a sample, up to the top of main's stack) and -g fp (the leaf
# fix-up's copy) leaves no trace of it in any chunk of the recording, decompressed; the stacks
# still unwind to _start, so the copies did reach the top of the stack.
need python3 zstd
here=$(dirname "$E2E_LIB")
secret=hunter2-xyz

for g in dwarf fp; do
	echo "\$ env -i SECRET=$secret hwtrace record -g $g -o $g.hwt -- hot 2000000"
	env -i SECRET=$secret PATH=/usr/bin:/bin "$HWTRACE" record -q -g $g -o $g.hwt -- \
		"$PROGS/hot" 2000000 >/dev/null 2>rec.err || fail "record -g $g: $(cat rec.err)"
	python3 "$here/hwt_payloads.py" $g.hwt >$g.bin || fail "cannot read the chunks of $g.hwt"
	n=$(grep -a -o "$secret" $g.bin | wc -l)
	note "-g $g: $(wc -c <$g.bin) bytes decompressed, '$secret' found $n times"
	[ "$n" -eq 0 ] || err "-g $g: the environment's secret is stored $n times in $g.hwt"
	# The environment's block itself (its strings one after the other) is never stored. A
	# few of its bytes may be: glibc's lazy-binding trampoline spills vector registers onto
	# the stack, and one that held 32 bytes of the strings (read by ld.so at start-up) was
	# seen in a frame, "SECRET=hun": program memory, as any copy the program makes of its
	# environment would be.
	grep -a -q "SECRET=$secret.PATH=" $g.bin && err "-g $g: the environment block is stored in $g.hwt"
	samples=$(info_field $g.hwt samples)
	[ "${samples:-0}" -gt 0 ] || err "-g $g: no samples recorded"
done
# The dwarf copies reached the top of the stack: most samples unwind through _start to main.
hw_ok export -f folded -o dwarf.folded dwarf.hwt
deep=$(awk '/^hot;_start;.*;main;/ {n += $NF} END {print n + 0}' dwarf.folded)
note "dwarf samples unwound from _start through main: $deep of $(info_field dwarf.hwt samples)"
[ "$deep" -gt 0 ] || err "no -g dwarf sample unwinds from _start to main: the test shows nothing"
finish

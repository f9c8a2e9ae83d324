# A stripped program's functions are named from its unwind tables: fn_START@FILE, where START is
# the function's address (what nm gives for it in the unstripped file), and the call graph keeps
# them apart: hot_a calls spin 7 times for hot_b's 3.
need strip nm
cp "$PROGS/hot" hot.full
strip -o hot.bare hot.full
[ -z "$(nm hot.bare 2>/dev/null)" ] || fail "strip left symbols in hot.bare"
addr() { printf '%x' "$((16#$(nm hot.full | awk -v f="$1" '$3 == f { print $1 }')))"; }
spin=$(addr spin) a=$(addr hot_a) b=$(addr hot_b)

hw_ok record -o bare.hwt -- ./hot.bare 4000000
hw_ok report bare.hwt
top=$(awk '!/^#/ && NF >= 5 && $5 != "[kernel]" { print $5; exit }' hw.out)
note "top function: $top (spin is at 0x$spin)"
[ "$top" = "fn_$spin@hot.bare" ] || err "the top function is '$top', want fn_$spin@hot.bare (spin)"
# Both callers of spin, under their own names, in the folded stacks.
hw_ok export -f folded -o bare.folded bare.hwt
for f in "$a" "$b"; do
	grep -q "fn_$f@hot.bare;fn_$spin@hot.bare " bare.folded ||
		err "no stack fn_$f@hot.bare;fn_$spin@hot.bare in the folded export"
done
finish

# Bad uses of the uprobe options (-F, -N, -D, --min-duration) and of the backend choice: each
# must give exactly one line on stderr starting "hwtrace: " that names what was wrong (a
# pattern per case), a non-zero exit status that is not a crash (< 128, no sanitizer report),
# must not start the program, and must leave no file behind (the listing is the same after).
need python3

mkdir w
cd w || fail "cannot enter w"
ncases=0
# bad NAME REGEX ARGS...: `hwtrace record ARGS -o out.hwt -- fib 5` must keep the error
# contract (lib.sh) and must not start the program: fib would print 5.
bad()
{
	local name=$1 want=$2
	shift 2
	bad_input "$name" "$want" record "$@" -o out.hwt -- "$PROGS/fib" 5
	[ -s ../bad.out ] && err "$name: the program ran: $(head -c 100 ../bad.out)"
	return 0
}

bad depth-zero '-D 0' -b uprobe -D 0
bad depth-not-a-number '-D x' -b uprobe -D x
bad depth-negative '-D -3' -b uprobe -D -3
bad min-duration-unit '5parsecs' -b uprobe --min-duration 5parsecs
bad min-duration-negative '-1ms' -b uprobe --min-duration -1ms
bad function-empty "pattern ''.*-F" -b uprobe -F ''
bad notrace-empty "pattern ''.*-N" -b uprobe -N ''
bad function-list 'a,b' -b uprobe -F 'a,b'
bad uprobe-with-event '-e.*-b sample' -b uprobe -e page-faults
bad uprobe-with-freq '--freq.*-b sample' -b uprobe --freq 1000
# -g is a sampling option like --freq: a bad mode must not pass unnoticed with -b uprobe either.
bad uprobe-with-call-graph '-g|nosuchmode' -b uprobe -g nosuchmode
bad sample-with-function '-F.*-b uprobe' -b sample -F main
bad sample-with-depth '-D.*-b uprobe' -b sample -D 2
bad sample-with-min-duration 'min-duration.*-b uprobe' -b sample --min-duration 1ms
bad unknown-backend "'nosuch'" -b nosuch
bad uprobe-ring-not-power-of-two '3000' -b uprobe -m 3000
# Nothing to trace is an error after the program ran, not an empty recording with exit 0: a
# stripped program (Debian's xz), or -F patterns that match nothing.
need xz
bad_input uprobe-stripped "nothing to trace.*stripped.*hwtrace list" record -b uprobe -o out.hwt \
	-- xz --version
bad_input uprobe-no-match "nothing to trace: -F 'nomatch_\*'" record -b uprobe -F 'nomatch_*' \
	-o out.hwt -- "$PROGS/fib" 5
note "$ncases bad inputs checked"
finish

# Bad uses of the uprobe options (-F, -N, -D, --min-duration) and of the backend choice: each
# must give exactly one line on stderr starting "hwtrace: " that names what was wrong (a
# pattern per case), a non-zero exit status that is not a crash (< 128, no sanitizer report),
# must not start the program, and must leave no file behind (the listing is the same after).
need python3

mkdir w
cd w || fail "cannot enter w"
ncases=0
# bad NAME REGEX ARGS...: runs `hwtrace record ARGS -o out.hwt -- fib 5` and checks the error
# contract; the message must match the extended regular expression REGEX. fib prints 5 when it
# runs: nothing must be on stdout.
bad()
{
	local name=$1 want=$2 rc lines
	shift 2
	ncases=$((ncases + 1))
	ls -A | LC_ALL=C sort >../before
	"$HWTRACE" record "$@" -o out.hwt -- "$PROGS/fib" 5 >../bad.out 2>../bad.err </dev/null
	rc=$?
	ls -A | LC_ALL=C sort >../after
	lines=$(wc -l <../bad.err)
	echo "[$name] \$ hwtrace record $* -> exit $rc: $(head -c 300 ../bad.err | tr '\n' '|')"
	[ "$rc" -ne 0 ] || err "$name: exit status 0 for bad input"
	[ "$rc" -lt 128 ] || err "$name: exit status $rc: hwtrace crashed"
	grep -Eq 'Sanitizer|runtime error|Segmentation|core dumped|Aborted' ../bad.err &&
		err "$name: a crash or sanitizer report on stderr"
	[ "$lines" -eq 1 ] || err "$name: $lines lines on stderr, want exactly 1"
	head -n 1 ../bad.err | grep -q '^hwtrace: ' || err "$name: stderr does not start with 'hwtrace: '"
	head -n 1 ../bad.err | grep -Eq -- "$want" || err "$name: the message does not match /$want/"
	[ -s ../bad.out ] && err "$name: the program ran: $(head -c 100 ../bad.out)"
	if ! cmp -s ../before ../after; then
		err "$name: files left behind: $(comm -13 ../before ../after | tr '\n' ' ')"
		comm -13 ../before ../after | while read -r f; do rm -rf "./$f"; done
	fi
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
note "$ncases bad inputs checked"
finish

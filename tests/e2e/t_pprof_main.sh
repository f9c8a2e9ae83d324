# pprof's main mapping (the first of the profile's mappings, go tool pprof -raw) is the program
# the target ran at its last exec, however it was launched: directly, through `sh -c 'exec PROG'`
# (the command's first word is sh) and through a wrapper script that execs it (the first word
# names a script, which has no mapping; before, ld.so came first). info shows it as "exe". Paths
# are compared unredacted (--no-redact): the program lies outside the test's directory.
need go

printf '#!/bin/sh\nexec "$@"\n' >wrap.sh && chmod +x wrap.sh || fail "cannot write wrap.sh"
hot=$PROGS/hot
n=0
for how in direct sh wrapper; do
	case $how in
	direct) hw_ok record -q -b sample -o $how.hwt -- "$hot" 10000000 ;;
	sh) hw_ok record -q -b sample -o $how.hwt -- sh -c 'exec "$0" 10000000' "$hot" ;;
	wrapper) hw_ok record -q -b sample -o $how.hwt -- ./wrap.sh "$hot" 10000000 ;;
	esac
	exe=$("$HWTRACE" info --no-redact $how.hwt | awk '$1 == "exe" { print $2 }')
	[ "$exe" = "$hot" ] || err "$how: info says exe '$exe', want $hot"
	hw_ok export --no-redact -o $how.pb.gz $how.hwt
	go tool pprof -raw $how.pb.gz >$how.raw 2>pprof.err ||
		fail "go tool pprof -raw cannot read $how.pb.gz: $(head -c 300 pprof.err)"
	first=$(sed -n '/^Mappings$/{n;p;q}' $how.raw)
	note "$how: main mapping: $first"
	# "1: START/END/OFFSET PATH BUILDID [FLAGS]"
	read -r id _ path _ <<<"$first"
	[ "$id" = "1:" ] && [ "$path" = "$hot" ] ||
		err "$how: pprof's first mapping is '$first', want $hot"
	n=$((n + 1))
done
[ "$n" -eq 3 ] || err "$n of 3 launches checked"
finish

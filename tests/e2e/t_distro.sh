# The first command a user types, on stripped programs from Debian: `hwtrace record -- PROG`
# (no backend named) gives a non-empty profile whose top function is `perf record`'s top
# function on the same workload, and exits with the program's status.
need xz sqlite3 perf python3

# top_perf DATA: perf's hottest "DSO SYMBOL" by self samples (an address in the DSO when the
# function has no symbol, as perf prints it: 0x000000000001692b).
top_perf()
{
	perf report -i "$1" --no-children -g none --sort dso,sym --stdio 2>/dev/null |
		awk '/^ *[0-9.]+%/ { print $2, $4; exit }'
}

# top_ours TRACE: ours, as "DSO SYMBOL" in perf's spelling: liblzma.so.5+0x1692b becomes
# liblzma.so.5 0x000000000001692b; a named function keeps its name (its DSO is not printed by
# report, so it is compared by name only).
top_ours()
{
	local f
	f=$("$HWTRACE" report "$1" 2>/dev/null | awk '!/^#/ && NF >= 5 && $5 != "[kernel]" { print $5; exit }')
	case $f in
	*+0x*) printf '%s 0x%016x\n' "${f%+0x*}" "$((16#${f##*+0x}))" ;;
	?*) echo "- $f" ;;
	esac
}

# compare NAME PERF_DATA TRACE: the top functions agree.
compare()
{
	local p o
	p=$(top_perf "$2")
	o=$(top_ours "$3")
	note "$1: perf's top: $p; ours: $o"
	[ -n "$p" ] || { err "$1: perf report gave no top function"; return; }
	[ -n "$o" ] || { err "$1: our report has no top function"; return; }
	if [ "${o%% *}" = "-" ]; then
		[ "${o#* }" = "${p#* }" ] || err "$1: top function ${o#* }, perf's ${p#* }"
	else
		[ "$o" = "$p" ] || err "$1: top function $o, perf's $p"
	fi
}

# xz: a compressible, deterministic input; liblzma's hot code is unnamed (stripped).
python3 -c '
import random
r = random.Random(7)
words = ["".join(r.choice("abcdefghij") for _ in range(r.randint(2, 9))) for _ in range(5000)]
open("in.txt", "w").write(" ".join(r.choice(words) for _ in range(700000)))'
xz -6 -T1 -c in.txt >want.xz || fail "xz itself failed"
hw_ok record -o xz.hwt -- xz -6 -T1 -c in.txt
cmp -s hw.out want.xz || err "xz's output under hwtrace differs from its own"
grep -q "chose sampling" hw.err || err "-b auto did not say it chose sampling: $(cat hw.err)"
samples=$(info_field xz.hwt samples)
note "xz: $samples samples"
[ "${samples:-0}" -gt 100 ] || err "xz: ${samples:-no} samples, want a profile (> 100)"
perf record -q --no-buildid -F 4000 -g -o xz.data -- xz -6 -T1 -c in.txt >/dev/null 2>perf.err ||
	fail "perf record failed: $(head -c 300 perf.err)"
compare xz xz.data xz.hwt

# sqlite3: SQL that spends its time in the VDBE; its library has symbols, the program none.
cat >q.sql <<'SQL'
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 900000)
SELECT count(*), sum(length(printf('%08d-%x', x * 7919 % 1000003, x))) FROM c;
SQL
hw_ok record -o sq.hwt -- sqlite3 :memory: <q.sql
[ "$(cat hw.out)" = "900000|12530100" ] || err "sqlite3's answer under hwtrace: $(head -c 100 hw.out)"
perf record -q --no-buildid -F 4000 -g -o sq.data -- sqlite3 :memory: <q.sql >/dev/null 2>perf.err ||
	fail "perf record failed: $(head -c 300 perf.err)"
compare sqlite3 sq.data sq.hwt

# The program's exit status is record's: xz's 1 for a missing file, sqlite3's 1 for bad SQL.
hw record -o bad.hwt -- xz -t no-such-file.xz
[ "$HW_RC" = 1 ] || err "record of a failing xz exited $HW_RC, xz exits 1"
echo 'SELECT nosuchcolumn;' >bad.sql
hw record -o bad.hwt -- sqlite3 :memory: <bad.sql
[ "$HW_RC" = 1 ] || err "record of a failing sqlite3 exited $HW_RC, sqlite3 exits 1"
finish

# The first command a user types, on stripped programs from Debian: `hwtrace record -- PROG`
# (no backend named) gives a non-empty profile whose top function is `perf record`'s top
# function on the same workload, and exits with the program's status. Functions of a stripped
# library are named from its unwind tables (fn_START@DSO), one entry a function.
need xz sqlite3 perf python3 readelf ldd

# top_perf DATA: perf's hottest function by self samples. perf gives a stripped library's
# unnamed code one entry per address (0x000000000001692b); those are summed per function with
# the function ranges that readelf reads from the library's unwind tables (FDEs), and named
# as we name them: fn_START@DSO.
top_perf()
{
	perf report -i "$1" --no-children -g none --sort dso,sym --stdio 2>/dev/null >perf.top
	python3 - perf.top "$(command -v xz)" <<'PY'
import re, subprocess, sys
lines = [l.split() for l in open(sys.argv[1]) if re.match(r"^ *[0-9.]+%", l)]
paths = {}
for l in subprocess.run(["ldd", sys.argv[2]], capture_output=True, text=True).stdout.splitlines():
    m = re.match(r"\s*(\S+) => (/\S+)", l)
    if m:
        paths[m.group(2).rsplit("/", 1)[1]] = m.group(2)
fdes = {}
def fde_of(dso, addr):
    if dso not in fdes:
        path = paths.get(dso) or next((p for n, p in paths.items() if dso.startswith(n) or n.startswith(dso)), None)
        out = subprocess.run(["readelf", "--debug-dump=frames", path], capture_output=True, text=True).stdout if path else ""
        fdes[dso] = [(int(a, 16), int(b, 16)) for a, b in re.findall(r"FDE cie=\S+ pc=([0-9a-f]+)\.\.([0-9a-f]+)", out)]
    return next((lo for lo, hi in fdes[dso] if lo <= addr < hi), None)
total = {}
for f in lines:
    pct, dso, sym = float(f[0].rstrip("%")), f[1], f[3]
    if dso == "[kernel.kallsyms]":
        continue
    if sym.startswith("0x"):
        lo = fde_of(dso, int(sym, 16))
        sym = "fn_%x@%s" % (lo, dso) if lo is not None else dso + "+" + sym
    total[sym] = total.get(sym, 0) + pct
if total:
    print(max(total, key=total.get))
PY
}

# top_ours TRACE: our hottest function but the kernel.
top_ours()
{
	"$HWTRACE" report "$1" 2>/dev/null | awk '!/^#/ && NF >= 5 && $5 != "[kernel]" { print $5; exit }'
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
	[ "$o" = "$p" ] || err "$1: top function $o, perf's $p"
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
"$HWTRACE" report xz.hwt | grep -Ec ' fn_[0-9a-f]+@liblzma' >/dev/null ||
	err "liblzma's unnamed functions are not named from its unwind tables"
"$HWTRACE" report xz.hwt | head -25 | grep -Eq 'liblzma[^ ]*\+0x' &&
	err "report still has per-address entries of liblzma: $("$HWTRACE" report xz.hwt | grep -m1 'liblzma[^ ]*+0x')"

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

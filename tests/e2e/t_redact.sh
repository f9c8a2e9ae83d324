# Redaction by default (#15): `hot` copied into a directory of its own under /tmp and recorded
# from a project directory elsewhere shows, in every output (Chrome JSON read by python3's json,
# Perfetto decoded by protoc, pprof read by go tool pprof -raw, folded, svg, report, inspect,
# info), no real path under /tmp and neither that directory's name nor the project's: the
# program is external/tmp/hot. A copy under the project directory shows as bin/hot, relative.
# So do the snapshots of -P maps and -P fds. --no-redact shows the real path, --project-root moves
# the root. A secret argument and a secret in the environment are in no chunk of the recording
# (decompressed) unless --record-args / --record-env ask for them. Tag rules of kind file see
# source files as shown.
need python3 protoc zstd
here=$(dirname "$E2E_LIB")
ext=$(mktemp -d /tmp/hwt-redact-sec.XXXXXX) || fail "mktemp -d under /tmp failed"
trap 'rm -rf "$ext"' EXIT
cp "$PROGS/hot" "$ext/hot" || fail "cannot copy hot into $ext"
proj=$PWD/wd-zq7x
mkdir -p "$proj/bin" && cp "$PROGS/hot" "$proj/bin/hot" || fail "cannot copy hot into $proj"
cd "$proj" || fail "no $proj"
arg=argsecret-$$
envsec=envsecret-$$

# LEAKS FILE...: fails for each file holding "/tmp/" not right after "external" (a real path), or
# the name of the program's directory, of the project directory or of the test's directory.
LEAKS='
import os, sys
names = [sys.argv[1], sys.argv[2], sys.argv[3]]
for path in sys.argv[4:]:
    data = open(path, "rb").read()
    i = data.find(b"/tmp/")
    while i >= 0:
        if data[max(0, i - 8):i] != b"external":
            err("%s: a real path: ...%r..." % (path, data[max(0, i - 30):i + 40]))
            break
        i = data.find(b"/tmp/", i + 1)
    for n in names:
        check(n.encode() not in data, "%s holds the directory name %s" % (path, n))
done()
'
leaks()
{
	py "$LEAKS" "$(basename "$ext")" "$(basename "$proj")" "$(basename "$(dirname "$proj")")" \
		"$@" || err "real paths or directory names in $*"
}

# Traced calls for inspect, samples beside them for the aggregated views.
# -P maps and -P fds snapshot paths too (the program's file, libc, the descriptors' targets).
env "SECRET_TOKEN=$envsec" "$HWTRACE" record -q -b uprobe -F hot_a -F hot_b --freq 999 \
	-P maps -P fds -o out.hwt -- "$ext/hot" 2000000 "$arg" \
	>/dev/null 2>rec.err || fail "record: $(cat rec.err)"
hw_ok export -o out.json out.hwt
hw_ok export -o out.pftrace out.hwt
hw_ok export -o out.folded out.hwt
hw_ok export -o out.pb.gz out.hwt
hw_ok export -o out.svg out.hwt
hw_ok report out.hwt && cp hw.out report.txt
hw_ok inspect out.hwt && cp hw.out inspect.txt
hw_ok info out.hwt && cp hw.out info.txt
pf_decode out.pftrace out.pftrace.txt
outputs=(out.json out.pftrace out.pftrace.txt out.folded out.svg report.txt inspect.txt info.txt)
if command -v go >/dev/null 2>&1; then
	go tool pprof -raw out.pb.gz >pprof.txt 2>pprof.err ||
		fail "go tool pprof -raw cannot read out.pb.gz: $(head -c 300 pprof.err)"
	outputs+=(pprof.txt)
	grep -q 'external/tmp/hot' pprof.txt || err "pprof: no mapping external/tmp/hot"
	grep -q 'external/usr/libc.so.6' pprof.txt || err "pprof: no mapping external/usr/libc.so.6"
else
	note "no go: pprof checked as bytes only"
	zcat out.pb.gz >pprof.bin
	outputs+=(pprof.bin)
fi
note "checking ${outputs[*]}"
leaks "${outputs[@]}"
[ "$(info_field out.hwt command)" = external/tmp/hot ] ||
	err "info: command '$(info_field out.hwt command)', want external/tmp/hot (the program alone)"
[ "$(info_field out.hwt project_root)" = . ] || err "info: project_root is not ."
[ "$(info_field out.hwt exe)" = external/tmp/hot ] || err "info: exe is not external/tmp/hot"
# The machine's name says whose it is: recorded, shown with --no-redact only.
[ "$(info_field out.hwt hostname)" = "(recorded; shown with --no-redact)" ] ||
	err "info: hostname '$(info_field out.hwt hostname)' shown redacted"
[ "$("$HWTRACE" info --no-redact out.hwt | awk '$1 == "hostname" { print $2 }')" = "$(uname -n)" ] ||
	err "info --no-redact: the hostname is not $(uname -n)"
grep -q 'external/tmp/hot' out.pftrace.txt || err "perfetto: no mapping external/tmp/hot"
py '
import sys
ev = load_chrome(sys.argv[1])
strs = []
def walk(v):
    if isinstance(v, dict):
        for k, x in v.items():
            walk(k)
            walk(x)
    elif isinstance(v, list):
        for x in v:
            walk(x)
    elif isinstance(v, str):
        strs.append(v)
walk(ev)
check("external/tmp/hot" in strs, "chrome: no string external/tmp/hot")
check(not [s for s in strs if s.startswith("/")], "chrome: absolute paths %s" %
      sorted(set(s for s in strs if s.startswith("/")))[:5])
done()
' out.json || err "chrome: paths not redacted"

# The secrets are in no chunk of the recording.
python3 "$here/hwt_payloads.py" out.hwt >out.bin || fail "cannot read the chunks of out.hwt"
grep -a -q "$arg" out.bin && err "the program's argument is stored without --record-args"
grep -a -q "$envsec" out.bin && err "the environment is stored without --record-env"

# --no-redact: the real path; --project-root: paths relative to another root.
hw_ok export --no-redact -o real.json out.hwt
grep -q "$ext/hot" real.json || err "export --no-redact: no $ext/hot in the Chrome JSON"
hw_ok info --project-root "$ext" out.hwt
grep -q '^command  *hot$' hw.out || err "info --project-root $ext: command is not hot"
hw_ok report --no-redact out.hwt

# Asked for: the arguments and the environment are kept; the environment shows only unredacted.
env "SECRET_TOKEN=$envsec" "$HWTRACE" record -q --record-args --record-env -o asked.hwt -- \
	"$ext/hot" 1000 "$arg" >/dev/null 2>rec.err || fail "record --record-args: $(cat rec.err)"
python3 "$here/hwt_payloads.py" asked.hwt >asked.bin || fail "cannot read the chunks of asked.hwt"
grep -a -q "$arg" asked.bin || err "--record-args: the argument is not in the recording"
grep -a -q "$envsec" asked.bin || err "--record-env: the environment is not in the recording"
[ "$(info_field asked.hwt command)" = "external/tmp/hot 1000 $arg" ] ||
	err "--record-args: command '$(info_field asked.hwt command)'"
hw_ok info asked.hwt
grep -q "$envsec" hw.out && err "info shows the recorded environment without --no-redact"
hw_ok info --no-redact asked.hwt
grep -q "$envsec" hw.out || err "info --no-redact does not show the recorded environment"

# Tag rules of kind file match the function's source file from DWARF as shown: relative to the
# root (the source tree, where the test programs were compiled), else a bare bucket. Every
# sampled stack through one of hot.c's functions (main, hot_a, hot_b, spin: a sample in spin
# whose walk was cut above it has no main) gets the tag, no other does.
src=$(cd "$here/../.." && pwd)
hw_ok export -f folded -o plain.folded out.hwt
hw_ok export -f folded -o src.folded --project-root "$src" --by tag \
	--tag-rule 'file:src=^tests/programs/hot\.c$' out.hwt
hw_ok export -f folded -o ext.folded --by tag --tag-rule 'file:src=^external/[a-z0-9]+$' out.hwt
want=$(awk '{ n = split($1, f, ";"); for (i = 1; i <= n; i++) if (f[i] ~ /^(main|hot_a|hot_b|spin)$/) { s += $NF; break } }
	END { print s + 0 }' plain.folded)
note "samples through hot.c's functions: $want"
[ "$want" -gt 0 ] || err "no sample through hot.c: the file rule test shows nothing"
for f in src.folded ext.folded; do
	got=$(awk '$1 ~ /;src$/ { s += $NF } END { print s + 0 }' $f)
	[ "$got" = "$want" ] || err "$f: $got samples tagged src, want $want (those through hot.c)"
done

# A program under the project directory: relative to it.
"$HWTRACE" record -q -o in.hwt -- ./bin/hot 2000000 >/dev/null 2>rec.err ||
	fail "record ./bin/hot: $(cat rec.err)"
[ "$(info_field in.hwt command)" = bin/hot ] ||
	err "info: command '$(info_field in.hwt command)', want bin/hot"
hw_ok export -o in.json in.hwt
grep -q '"bin/hot"' in.json || err "chrome: the program under the root is not bin/hot"
leaks in.json

# Bad --project-root values: one line naming the option, no file left behind.
mkdir bad && cd bad || fail "cannot enter bad"
touch afile
ncases=0
bad_input record-root-missing '--project-root no-such-dir: .*existing directory' \
	record --project-root no-such-dir -o x.hwt -- "$ext/hot" 1
bad_input record-root-file '--project-root afile: not a directory' \
	record --project-root afile -o x.hwt -- "$ext/hot" 1
bad_input report-root-relative '--project-root not/here: .*absolute path' \
	report --project-root not/here ../out.hwt
bad_input info-root-missing-arg 'project-root' info ../out.hwt --project-root
finish

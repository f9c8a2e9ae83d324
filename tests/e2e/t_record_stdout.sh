# record -o - -f FMT exports to standard output when the program ends; the program's own standard
# output goes to standard error (as perf record -o - does), so it never mixes into the export:
# folded (every line "STACK COUNT", hot_a's stack there), Chrome JSON (python3 json) and Perfetto
# (protoc --decode_raw) read from stdout, the program's line found on stderr only, the exit status
# the program's, no scratch recording left in TMPDIR. Without -f: one line asking for it; a
# binary format onto a terminal (a pty from python3): one line refusing it; nothing written.
need python3 protoc

mkdir -p tmp && export TMPDIR=$PWD/tmp
# The program's line is computed when it runs: the command line, which the exports hold, has not
# the text.
script='echo PROGRAM-$((6 * 7))-HI; exec "$0" 10000000'
for fmt in folded chrome perfetto; do
	"$HWTRACE" record -q -b sample -o - -f $fmt -- sh -c "$script" "$PROGS/hot" \
		>out.$fmt 2>err.$fmt
	rc=$?
	[ $rc -eq 0 ] || err "$fmt: exit status $rc: $(head -c 300 err.$fmt)"
	grep -q PROGRAM-42-HI err.$fmt || err "$fmt: the program's output is not on stderr"
	grep -aq PROGRAM-42-HI out.$fmt && err "$fmt: the program's output is in the export"
	# hot prints its result (0 or 1) on a line of its own.
	grep -Eq '^[01]$' err.$fmt || err "$fmt: hot's own line is not on stderr"
	[ -s out.$fmt ] || err "$fmt: nothing on stdout"
done
py '
import sys, re
lines = open(sys.argv[1]).read().splitlines()
check(lines, "folded: no lines")
bad = [l for l in lines if not re.match(r"^\S.* \d+$", l)]
check(not bad, "folded: lines that are not STACK COUNT: %s" % bad[:3])
check(any(";hot_a;spin " in l for l in lines), "folded: no hot_a;spin stack")
done()' out.folded || err "folded on stdout (see above)"
py '
import sys
evs = load_chrome(sys.argv[1])
check(any(e.get("name") == "ProfileChunk" for e in evs), "chrome: no ProfileChunk")
done()' out.chrome || err "chrome on stdout (see above)"
protoc --decode_raw <out.perfetto >perfetto.txt 2>protoc.err ||
	err "perfetto on stdout: protoc --decode_raw: $(head -c 300 protoc.err)"

"$HWTRACE" record -q -b sample -o - -f folded -- sh -c 'echo x; exit 3' >out.st 2>err.st
rc=$?
[ $rc -eq 3 ] || err "exit status $rc, want the program's 3"
grep -q '^x$' err.st || err "sh's output is not on stderr"
[ -n "$(ls -A tmp)" ] && err "scratch files left in TMPDIR: $(ls -A tmp)"

mkdir -p bad && cd bad || fail "cannot enter bad/"
ncases=0
bad_input stdout-no-format 'record -o -: name the format with -f' record -o - -- true
py '
import os, pty, subprocess, sys
m, s = os.openpty()
p = subprocess.run([sys.argv[1], "record", "-q", "-o", "-", "-f", "perfetto", "--", "true"],
                   stdout=s, stderr=subprocess.PIPE, cwd=".")
os.close(s)
msg = p.stderr.decode()
check(p.returncode == 1, "onto a terminal: exit status %d, want 1" % p.returncode)
check(msg.count("\n") == 1 and "binary and standard output is a terminal" in msg,
      "onto a terminal: stderr %r" % msg)
check(not os.listdir("."), "onto a terminal: files left: %s" % os.listdir("."))
done()' "$HWTRACE" || err "binary onto a terminal (see above)"
cd .. || fail "cd .."
[ "$ncases" -eq 1 ] || err "$ncases bad-input cases ran, want 1"
finish

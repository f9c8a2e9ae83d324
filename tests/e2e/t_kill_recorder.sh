# The recorder is killed with SIGKILL while slow.c (6 s of work()) runs: the .hwt must say it is
# truncated, and still export (exit 0 and a warning) to Perfetto and folded stacks holding the
# samples of work() taken before the kill. The program goes with the recorder (PR_SET_PDEATHSIG):
# it must not run on unrecorded.
need protoc python3

slow_pid=""
rec_pid=""
cleanup()
{
	[ -n "$rec_pid" ] && kill -9 "$rec_pid" 2>/dev/null
	# Only the program this test started, recognised by its command line.
	if [ -n "$slow_pid" ] && grep -q slow "/proc/$slow_pid/cmdline" 2>/dev/null; then
		kill -9 "$slow_pid" 2>/dev/null
	fi
}
trap cleanup EXIT

echo "\$ hwtrace record -q -b sample -o k.hwt -- slow 6 &"
"$HWTRACE" record -q -b sample -o k.hwt -- sh -c 'echo $$ >slow.pid; exec "$0" 6' "$PROGS/slow" \
	>rec.out 2>rec.err &
rec_pid=$!
wait_samples k.hwt 30
for ((i = 0; i < 100; i++)); do [ -s slow.pid ] && break; sleep 0.05; done
slow_pid=$(cat slow.pid)
alive "$slow_pid" || fail "the program (pid $slow_pid) is not running"
note "k.hwt holds samples, $(stat -c %s k.hwt) bytes; kill -9 the recorder $rec_pid"
kill -9 "$rec_pid"
wait "$rec_pid"
rc=$?
rec_pid=""
[ "$rc" -eq 137 ] || err "the recorder exited $rc, not killed by SIGKILL (137)"
for ((i = 0; i < 200; i++)); do alive "$slow_pid" || break; sleep 0.05; done
alive "$slow_pid" && err "the program $slow_pid runs on, unrecorded, after the recorder was killed"

hw_ok info k.hwt
sed 's/^/  /' hw.out
grep -Eq '^status +truncated at byte [0-9]+' hw.out || err "info does not say truncated"

for out in k.pftrace k.folded; do
	hw export -o "$out" k.hwt
	[ "$HW_RC" -eq 0 ] || err "export -o $out exited $HW_RC: $(cat hw.err)"
	grep -q '^hwtrace: warning: .*truncated' hw.err || err "export -o $out gave no truncation warning"
	[ "$(wc -l <hw.err)" -eq 1 ] || err "export -o $out: more than one line on stderr"
	assert_file_nonempty "$out"
done

py '
import sys, re
work = total = 0
for line in open(sys.argv[1]):
    m = re.match(r"^(.+) (\d+)$", line.rstrip("\n"))
    if not check(m, "folded: bad line %r" % line):
        continue
    total += int(m.group(2))
    if "work" in m.group(1).split(";"):
        work += int(m.group(2))
print("# folded: %d of %d samples in work()" % (work, total))
check(work > 0 and work * 2 >= total, "folded: %d of %d samples in work()" % (work, total))
done()
' k.folded || err "folded samples (see above)"

decode_raw k.pftrace k.txt
py '
import sys
names, perf = set(), 0
for p in packets(sys.argv[1]):
    perf += len(fields(p, 66))
    for idata in fields(p, 12):          # interned_data
        for fn in fields(idata, 5):      # function_names
            names.add(text(field(fn, 2)))
print("# perfetto: %d PerfSample packets" % perf)
check(perf > 0, "perfetto: no PerfSample packets")
check("work" in names, "perfetto: no interned function name work (have %s)" % sorted(
      n for n in names if n)[:20])
done()
' k.txt || err "perfetto samples (see above)"
finish

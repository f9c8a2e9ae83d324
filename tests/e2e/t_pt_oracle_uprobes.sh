# The oracle beside another tracer's uprobes: a uprobe on a library function is put into every
# process that maps the library, so while `hwtrace record -b uprobe -F 'libc.so*:qsort'` traces
# another program, pt_qsort's libc holds an int3 at qsort and bsearch, and the kernel runs the
# instructions probed there out of line, in a [uprobes] page. The oracle must read the code from
# the files and take a probed instruction as run: the same trace, byte for byte, as without the
# other tracer, and it counts the probes it met.
need cmp
source "$(dirname "$E2E_LIB")/pt_lib.sh"

rec_pid=""
cleanup()
{
	[ -n "$rec_pid" ] && kill -INT "$rec_pid" 2>/dev/null && wait "$rec_pid" 2>/dev/null
}
trap cleanup EXIT

pt_oracle alone "$PROGS/pt_qsort" || fail "the oracle failed on pt_qsort alone"

echo "\$ hwtrace record -b uprobe -F 'libc.so*:qsort' -F 'libc.so*:bsearch' -- slow 60 &"
"$HWTRACE" record -q -b uprobe -F 'libc.so*:qsort' -F 'libc.so*:bsearch' -o other.hwt \
	-- "$PROGS/slow" 60 >rec.out 2>rec.err &
rec_pid=$!
# The probes are attached before the program starts, and the recording is renamed into place
# once it has.
for ((i = 0; i < 300; i++)); do [ -e other.hwt ] && break; sleep 0.1; done
[ -e other.hwt ] || fail "the other tracer did not start within 30 s: $(cat rec.err)"

pt_oracle beside "$PROGS/pt_qsort" || fail "the oracle failed on pt_qsort beside the other tracer"
cleanup
rec_pid=""

n=$(sed -n 's/.* \([0-9]*\) uprobes of others run.*/\1/p' beside.oracle.err)
note "beside the other tracer: ${n:-?} probed instructions run out of line"
[ "${n:-0}" -ge 2 ] ||
	err "the oracle met ${n:-no} probes of the other tracer, pt_qsort calls qsort and bsearch"
cmp alone.pt beside.pt || err "the trace beside another tracer's uprobes is not the trace alone"
diff <(grep -v '^pid ' alone.truth) <(grep -v '^pid ' beside.truth) >truth.diff ||
	err "the truth beside another tracer's uprobes differs: $(head -5 truth.diff)"
finish

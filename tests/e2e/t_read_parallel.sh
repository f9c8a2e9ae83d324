# Decoding on two threads (decoders/pipeline.c) gives what one thread gives: every export format
# (Perfetto, Chrome JSON, folded, pprof, SVG) and the report text are the same bytes with -j 1 and
# with the parallel path, which HWT_DECODE_PARALLEL_MIN=0 turns on whatever the recording's size,
# on recordings of each kind: uprobe (fib), inproc (fib, threads, fork and exec, libhwtrace's
# stream beside the calls, and SQLite when it is built: several chunks of calls), sampling with
# callchains (demo's threads). That the parallel path ran is checked too: the decoding process
# starts one thread more (strace -f sees a clone) with it than with -j 1; by default, only on
# large recordings and where the process may run on two CPUs.
need strace python3

# A copy for uprobes: their removal lags, and -b inproc refuses a function whose entry still
# holds a breakpoint.
cp "$PROGS/fib" fib-up
hw_ok record -q -b uprobe -o up-fib.hwt -- ./fib-up 14
hw_ok record -q -b inproc -o ip-fib.hwt -- "$PROGS/fib" 18
hw_ok record -q -b inproc -o ip-threads.hwt -- "$PROGS/threads"
hw_ok record -q -b inproc -o ip-fork.hwt -- "$PROGS/forkexec"
hw_ok record -q -b sample -o sample.hwt -- "$PROGS/demo"
# libhwtrace's spans and counters too (sampled: a sanitized build cannot preload the inproc
# runtime into it): a stream the reader thread leaves to the other thread to split.
hw_ok record -q -b sample -o api.hwt -- "$PROGS/api_demo"
recs=(up-fib ip-fib ip-threads ip-fork sample api)
root=$(cd "$(dirname "$E2E_LIB")/../.." && pwd)
dir=${SQLITE_DIR:-$(dirname "$PROGS")/sqlite}
if bash "$root/ci/sqlite.sh" "$dir" noinline >build.log 2>&1; then
	hw_ok record -q -b inproc -o ip-sqlite.hwt -- "$dir/sqlite-noinline" 800
	recs+=(ip-sqlite)
else
	note "SQLite not built ($(tail -n 1 build.log)): its recording is left out"
fi

# threads_started CMD...: how many clone/clone3 calls CMD made (its own and its children's).
threads_started()
{
	strace -f -qq -e trace=clone,clone3 -o strace.out "$@" >/dev/null 2>&1
	grep -c 'clone' strace.out
}

for r in "${recs[@]}"; do
	note "$r"
	for f in perfetto chrome folded pprof svg; do
		hw_ok export -j 1 -f "$f" -o "$r.serial.$f" "$r.hwt"
		HWT_DECODE_PARALLEL_MIN=0 hw_ok export -f "$f" -o "$r.parallel.$f" "$r.hwt"
		[ -s hw.err ] && err "$r: parallel export -f $f wrote to stderr: $(head -c 300 hw.err)"
		cmp -s "$r.serial.$f" "$r.parallel.$f" ||
			err "$r: export -f $f differs between -j 1 and the parallel path"
		[ -s "$r.serial.$f" ] || err "$r: export -f $f is empty ($(info_field "$r.hwt" slices) calls)"
	done
	hw_ok report -j 1 -n 0 "$r.hwt"
	mv hw.out "$r.serial.report"
	HWT_DECODE_THREADS=2 hw_ok report -n 0 "$r.hwt"
	cmp -s "$r.serial.report" hw.out || err "$r: report differs between -j 1 and -j 2"
	# -j 2 wins over HWT_DECODE_THREADS=1, -j 1 over the threshold.
	hw_ok report -j 2 -n 0 "$r.hwt"
	cmp -s "$r.serial.report" hw.out || err "$r: report -j 2 differs from -j 1"
done

note "a damaged chunk of calls with another read ahead after it: told at its turn, as on one thread"
# The reader thread reads chunks ahead of the one the caller's thread takes in: what is wrong with
# one must be told where one thread tells it, with the events before it and nothing after.
r=${recs[-1]} # SQLite's where built: several chunks of calls
py 'import struct, sys
b = open(sys.argv[1], "rb").read()
off, streams = 16, []
while off + 24 <= len(b):
    kind, flags, stored = struct.unpack_from("<3I", b, off)
    if kind == 3:
        streams.append((off, stored))
    off += 24 + stored
if len(streams) < 2:
    sys.exit("%s: %d stream chunks, want 2 or more" % (sys.argv[1], len(streams)))
at, stored = streams[-2]
mid = at + 24 + stored // 2
flip = bytearray(b)
flip[mid] ^= 0xFF
open("flip.hwt", "wb").write(flip)
open("cut.hwt", "wb").write(b[:mid])
print("# %s: chunk at byte %d of %d stream chunks damaged" % (sys.argv[1], at, len(streams)))
' "$r.hwt" || fail "cannot damage $r.hwt"
for bad in flip cut; do
	for j in 1 2; do
		HWT_DECODE_PARALLEL_MIN=0 hw report -j $j -n 0 "$bad.hwt"
		echo "$HW_RC" >"$bad.$j.rc"
		mv hw.out "$bad.$j.report"
		mv hw.err "$bad.$j.err"
		HWT_DECODE_PARALLEL_MIN=0 hw export -j $j -f folded -o "$bad.$j.folded" "$bad.hwt"
		mv hw.err "$bad.$j.xerr"
	done
	for x in err xerr; do
		grep -q "'$bad.hwt' is $([ $bad = cut ] && echo truncated || echo corrupt) at byte" \
			"$bad.1.$x" ||
			err "$bad.hwt: $([ $x = err ] && echo report || echo export) does not say where it is damaged: '$(head -c 300 "$bad.1.$x")'"
	done
	for x in rc report err folded xerr; do
		cmp -s "$bad.1.$x" "$bad.2.$x" || err "$bad.hwt: $x differs between -j 1 and -j 2"
	done
done

note "the parallel path runs a thread more than -j 1 (a sanitizer may run its own)"
n1=$(HWT_DECODE_PARALLEL_MIN=0 threads_started "$HWTRACE" report -j 1 ip-fib.hwt)
n2=$(HWT_DECODE_PARALLEL_MIN=0 threads_started "$HWTRACE" report ip-fib.hwt)
[ "$n2" -gt "$n1" ] || err "report with HWT_DECODE_PARALLEL_MIN=0 started $n2 threads, -j 1 $n1"
# Small recordings stay on one thread by default.
n3=$(threads_started "$HWTRACE" report ip-fib.hwt)
[ "$n3" -eq "$n1" ] || err "report of a small recording started $n3 threads by default, -j 1 $n1"
# Large ones (the threshold moved down to this one) on two, unless the process has one CPU.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
	n4=$(HWT_DECODE_PARALLEL_MIN=1 threads_started taskset -c 0 "$HWTRACE" report ip-fib.hwt)
	[ "$n4" -eq "$n1" ] || err "report on one CPU started $n4 threads by default, -j 1 $n1"
	n5=$(HWT_DECODE_PARALLEL_MIN=1 threads_started taskset -c 0 "$HWTRACE" report -j 2 ip-fib.hwt)
	[ "$n5" -gt "$n1" ] || err "report -j 2 on one CPU started $n5 threads, -j 1 $n1"
fi

note "bad -j"
for j in 0 65 x ''; do
	hw export -j "$j" -o x.json ip-fib.hwt
	[ "$HW_RC" -ne 0 ] || err "export -j '$j' succeeded"
	grep -q -- '-j' hw.err || err "export -j '$j' said '$(head -c 200 hw.err)'"
	[ -e x.json ] && err "export -j '$j' wrote x.json"
done
finish

# The watch plugin on tests/programs/steps.c built -O2 here as a PIE, as a non-PIE and with its
# variable in a shared library: steps_value goes 0..99, one store a millisecond.
#   mode=read, interval=1ms: a counter track of the process, never going down, ending at 99.
#   mode=write: exactly 100 values 0..99 in order, each at its own time, also when a thread of
#   the program writes, with several breakpoints on one program (held at exec by one tracer),
#   and when the program then execs itself (the new image's writes are left out, with a note); steps_count (a lock add to memory, which needs the value before) 1..100;
#   bytes=8 (a struct): hex text snapshots on an object track, one per change, in order.
#   steps_half (a store from an SSE register, which no sample holds) read back from memory
#   before any other write, or counted as left out in a note. Checked in the Chrome JSON export with python3.
# Bad input (unknown variable, bad type, bad interval, options that do not go together): one
# line naming the plugin and the key, exit 1, no file.
# shellcheck source=lib.sh
. "$E2E_LIB"
need python3 cc

SRC=$(cd "$(dirname "$E2E_LIB")/../programs" && pwd)/steps.c
cc -O2 -pthread -fPIE -pie -o steps_pie "$SRC" || fail "cannot build steps.c as a PIE"
cc -O2 -pthread -fno-pie -no-pie -o steps_nopie "$SRC" || fail "cannot build steps.c as a non-PIE"
cc -O2 -shared -fPIC -DSTEPS_LIB -o libsteps.so "$SRC" || fail "cannot build libsteps.so"
cc -O2 -pthread -DSTEPS_USE_LIB -o steps_lib "$SRC" -L. -lsteps -Wl,-rpath,"$PWD" ||
	fail "cannot build steps_lib"

# series JSON TRACK MODE PID: checks the "C" events of TRACK in the Chrome export JSON.
#   read: integers from 0 to 99 that never go down, the last one 99.
#   write: exactly 0..99 (or 1..100 for MODE count) in order, at increasing times; for MODE lib
#   after up to two zeros (the loader clearing the library's .bss).
series()
{
	py '
import sys
path, track, mode, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
ev = [e for e in load_chrome(path) if e.get("ph") == "C" and e.get("name") == track]
vals = [e["args"]["value"] for e in ev]
ts = [e["ts"] for e in ev]
print("# %s %s: %d values %s ... %s" % (track, mode, len(vals), vals[:3], vals[-3:]))
check(all(e.get("pid") == pid for e in ev), "%s: events not on pid %d: %s"
      % (track, pid, sorted({e.get("pid") for e in ev})))
if mode == "read":
    if check(vals, "%s: no values" % track):
        check(all(v == int(v) and 0 <= v <= 99 for v in vals), "%s: values outside 0..99" % track)
        check(all(a <= b for a, b in zip(vals, vals[1:])), "%s: the value goes down" % track)
        check(vals[-1] == 99, "%s: the last value is %s, not 99" % (track, vals[-1]))
        check(ts == sorted(ts), "%s: values out of time order" % track)
else:
    if mode == "lib":
        # The loader clears the page of .bss it maps from the file (movups of zeros, read
        # back): zeros before the program writes.
        check(all(v == 0 for v in vals[:-100]) and len(vals) <= 102,
              "%s: before the last 100 values: %s" % (track, vals[:-100]))
        vals, ts = vals[-100:], ts[-100:]
    want = list(range(1, 101)) if mode == "count" else list(range(100))
    check(len(vals) == 100, "%s: %d values, want 100" % (track, len(vals)))
    for i, (v, w) in enumerate(zip(vals, want)):
        if not check(v == w, "%s: value %d is %s, want %s" % (track, i, v, w)):
            break
    check(all(a < b for a, b in zip(ts, ts[1:])), "%s: times do not increase" % track)
done()' "$@"
}

# half JSON ERR PID: steps_half, stored from an SSE register (no sample holds it), read back at
# once: each value shown must be i/2 in order, and those shown and those the notes in ERR say
# were left out must be the 100 writes.
half()
{
	py '
import re, sys
path, notes, pid = sys.argv[1], open(sys.argv[2]).read(), int(sys.argv[3])
vals = [e["args"]["value"] for e in load_chrome(path)
        if e.get("ph") == "C" and e.get("name") == "steps_half" and e.get("pid") == pid]
m = re.search(r"steps_half: (\d+) writes recorded by its breakpoint", notes)
out = re.search(r"steps_half: (\d+) writes left out", notes)
print("# steps_half: %d values, %s left out: %s ... %s" % (len(vals), out and out.group(1),
      vals[:3], vals[-3:]))
check(all(v * 2 == int(v * 2) and 0 <= v <= 49.5 for v in vals), "steps_half: a value not i/2")
check(all(a < b for a, b in zip(vals, vals[1:])), "steps_half: values not increasing")
if check(m, "steps_half: no note on its writes: %s" % notes):
    check(int(m.group(1)) == len(vals), "steps_half: the note says %s writes, the export has %d"
          % (m.group(1), len(vals)))
    check(len(vals) + (int(out.group(1)) if out else 0) == 100,
          "steps_half: %d shown and %s left out, not 100" % (len(vals), out and out.group(1)))
done()' "$@"
}

# watch NAME PROG ARGS...: records PROG with -P watch:ARGS... into NAME.hwt, exports NAME.json.
watch()
{
	local name=$1 prog=$2 a args=()
	shift 2
	for a in "$@"; do args+=(-P "watch:$a"); done
	hw_ok record -b sample -o "$name.hwt" "${args[@]}" -- "./$prog" 100 1000 500 0 "${THREAD:-0}" \
		"${EXEC:-0}"
	grep -q "^steps: 100 steps, value 99, count 100" hw.out || err "$prog did not run to its end"
	cp hw.err "$name.err"
	cp hw.out "$name.out"
	hw_ok export -o "$name.json" "$name.hwt"
	PID=$(info_field "$name.hwt" pid)
}

# Hardware breakpoints open on every machine of this kind but fire only on some hosts (a
# virtual machine may never pass the debug registers to the CPU): where `hwtrace list` says they
# do not, mode=write must be refused in one line, exit 1, no file, and is not tried further.
hw_ok list
BP=0
grep -Eq "^ +breakpoint +yes" hw.out && BP=1
if [ $BP = 0 ]; then
	note "hardware breakpoints do not fire here: $(grep -E '^ +breakpoint' hw.out)"
	hw record -o refused.hwt -P watch:sym=steps_value,type=i64,mode=write -- ./steps_pie 1 1 0
	[ "$HW_RC" -eq 1 ] && [ "$(wc -l <hw.err)" -eq 1 ] && [ ! -e refused.hwt ] &&
		grep -q "mode=write for sym=steps_value: hardware breakpoints never fire" hw.err ||
		err "mode=write where breakpoints never fire: want one line, exit 1, no file; got" \
			"$HW_RC: $(cat hw.err)"
fi

for prog in steps_pie steps_nopie; do
	note "$prog"
	watch "$prog-read" "$prog" sym=steps_value,type=i64,interval=1ms
	series "$prog-read.json" steps_value read "$PID" || err "$prog: mode=read (see above)"
	[ $BP = 1 ] || continue
	watch "$prog-write" "$prog" sym=steps_value,type=i64,mode=write \
		sym=steps_count,type=u32,mode=write sym=steps_half,type=f64,mode=write
	series "$prog-write.json" steps_value write "$PID" || err "$prog: mode=write (see above)"
	series "$prog-write.json" steps_count count "$PID" || err "$prog: a lock add (see above)"
	half "$prog-write.json" "$prog-write.err" "$PID" || err "$prog: SSE stores (see above)"
	THREAD=1 watch "$prog-thread" "$prog" sym=steps_value,type=i64,mode=write
	series "$prog-thread.json" steps_value write "$PID" || err "$prog: a thread's writes (see above)"
done

note "bytes=8: steps_pair {i, -i} as hex text on an object track, a snapshot when it changes"
hw_ok record -b sample -o pair.hwt -P watch:sym=steps_pair,bytes=8,interval=1ms -- \
	./steps_pie 5 50000 200 0
hw_ok export -o pair.json pair.hwt
py '
import struct, sys
want = [struct.pack("<ii", i, -i).hex() for i in range(5)]
snaps = [e["args"]["snapshot"]["hex"] for e in load_chrome(sys.argv[1])
         if e.get("ph") == "O" and e.get("name") == "steps_pair"]
print("# steps_pair: %s" % snaps)
idx = [want.index(h) if h in want else -1 for h in snaps]
check(snaps and -1 not in idx, "steps_pair: snapshots that are not {i, -i}: %s" % snaps)
check(all(a < b for a, b in zip(idx, idx[1:])), "steps_pair: not once per change, in order")
check(idx and idx[-1] == 4, "steps_pair: the last snapshot is not {4, -4}")
done()' pair.json || err "bytes=8 (see above)"

if [ $BP = 1 ]; then
	note "an exec after the steps: the new image's writes are not the track's"
	EXEC=1 watch exec steps_nopie sym=steps_value,type=i64,mode=write
	grep -q "^steps: 3 steps, value 2, count 3" exec.out ||
		err "steps did not exec itself: $(cat exec.out)"
	series exec.json steps_value write "$PID" || err "exec: mode=write (see above)"
	grep -q "steps_value: 3 writes by child processes, or after the program exec'ed another" \
		exec.err || err "exec: no note on the 3 writes after it: $(cat exec.err)"
fi

note "a variable of a shared library"
watch lib-read steps_lib sym=libsteps.so:lib_steps,type=i64,interval=1ms
series lib-read.json lib_steps read "$PID" || err "library: mode=read (see above)"
if [ $BP = 1 ]; then
	watch lib-write steps_lib sym=libsteps.so:lib_steps,type=i64,mode=write \
		sym=steps_value,type=i64,mode=write
	series lib-write.json lib_steps lib "$PID" || err "library: mode=write (see above)"
	series lib-write.json steps_value write "$PID" ||
		err "library: its program's variable (see above)"
fi
# One tracer holds the program at exec for every breakpoint that needs it.
grep -h "cannot hold" ./*.err && err "a write breakpoint was set without holding the program"

mkdir -p bad && cd bad || fail "cannot enter bad/"
ncases=0
bad_input unknown "plugin 'watch' cannot start: sym=nosuch: no variable 'nosuch' in '.*steps_pie'" \
	record -o x.hwt -P watch:sym=nosuch,type=i64 -- ../steps_pie 1 1 0
bad_input libpath "plugin 'watch' cannot start: sym=.*libsteps.so:nosuch: no variable 'nosuch'" \
	record -o x.hwt -P "watch:sym=$PWD/../libsteps.so:nosuch,type=i64" -- ../steps_lib 1 1 0
bad_input type "watch: type=i65: use u8, " record -o x.hwt -P watch:sym=steps_value,type=i65 \
	-- ../steps_pie 1 1 0
bad_input interval "watch: interval=0: " record -o x.hwt \
	-P watch:sym=steps_value,type=i64,interval=0 -- ../steps_pie 1 1 0
bad_input notype "plugin 'watch' cannot start: give either type=.* or bytes=N for sym=steps_value" record -o x.hwt \
	-P watch:sym=steps_value -- ../steps_pie 1 1 0
bad_input bytes_write "plugin 'watch' cannot start: mode=write takes type=, not bytes=" record -o x.hwt \
	-P watch:sym=steps_pair,bytes=8,mode=write -- ../steps_pie 1 1 0
bad_input nosym "plugin 'watch' cannot start: sym= is missing" record -o x.hwt -P watch:type=i64 -- ../steps_pie 1 1 0
cd .. || fail "cd"
finish

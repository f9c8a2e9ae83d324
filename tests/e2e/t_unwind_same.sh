# -g dwarf recordings unwound three ways give the same exports, byte for byte: every sample
# through libdw alone (HWT_UNWIND_CACHE=0, one thread), through the cache of CFI rows on one
# thread, and ahead on two worker threads (HWT_UNWIND_THREADS=3). Programs: sigwork (samples in
# a signal handler: libc's trampoline has CFI the cache does not hold), threads (five threads of
# one process), stl_o2 (C++ at -O2, inlined frames). And the unwinding is real: sigwork's samples
# in handler_work reach interrupted() and main through the signal frame.
need python3 go

progs=("sigwork 60000000" "threads" "stl_o2 1")
for p in "${progs[@]}"; do
	read -r name arg <<<"$p"
	[ -x "$PROGS/$name" ] || fail "$PROGS/$name is missing: make programs"
	# shellcheck disable=SC2086 # $arg: no argument or one
	hw_ok record -q -b sample --freq 4000 -g dwarf -o "$name.hwt" -- "$PROGS/$name" $arg
	for cfg in "0 1" "1 1" "1 3"; do
		read -r cache threads <<<"$cfg"
		for fmt in folded pprof chrome perfetto; do
			HWT_UNWIND_CACHE=$cache HWT_UNWIND_THREADS=$threads \
				hw_ok export -f "$fmt" -o "$name-$cache-$threads.$fmt" "$name.hwt"
		done
	done
	for cfg in 1-1 1-3; do
		for fmt in folded pprof chrome perfetto; do
			cmp -s "$name-0-1.$fmt" "$name-$cfg.$fmt" ||
				err "$name: -f $fmt with cache-threads $cfg differs from libdw's"
		done
	done
	n=$(info_field "$name.hwt" samples)
	note "$name: $n samples, $(wc -l <"$name-1-3.folded") distinct stacks"
	[ "${n:-0}" -gt 50 ] || err "$name: only ${n:-0} samples"
done

go tool pprof -symbolize=none -sample_index=samples -traces sigwork-1-3.pprof >sig.traces \
	2>pprof.err || fail "go tool pprof -traces cannot read the export: $(head -c 300 pprof.err)"
py '
import re, sys
inh, through = 0, 0
for block in open(sys.argv[1]).read().split("-----------+")[1:]:
    lines = [l.strip() for l in block.splitlines()
             if l.strip() and not l.strip().startswith(("thread:", "---"))]
    if not lines:
        continue
    m = re.match(r"^(\d+)\s+(.*)$", lines[0])
    if not check(m, "no count on %r" % lines[0]):
        continue
    n, frames = int(m.group(1)), [m.group(2)] + lines[1:]
    if "handler_work" in frames:
        inh += n
        i = frames.index("handler_work")
        rest = frames[i + 1:]
        # Past the handler, the signal frame, into the function the signal interrupted.
        if (rest[:1] == ["handler"] and "interrupted" in rest[2:]
                and rest.index("interrupted") < rest.index("main")):
            through += n
print("# sigwork: %d samples in handler_work, %d of them through the signal frame to main"
      % (inh, through))
check(inh > 0, "no sample in handler_work")
check(through >= 0.8 * inh, "only %d of %d samples in handler_work unwound to main" % (through, inh))
done()
' sig.traces || err "sigwork: unwinding through the signal frame (see above)"
finish

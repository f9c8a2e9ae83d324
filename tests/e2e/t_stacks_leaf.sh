# leaf_o1 and leaf_o2 (tests/programs/opt/leaf.c, built -O1 and -O2 with frame pointers) call a
# frameless leaf() 7 times from caller_a() for every 3 times from caller_b(), and leaf() does the
# work. Sampled with the default call graph (-g fp), go tool pprof -traces must show leaf() under
# both callers in that ratio (+-10 points): the frame-pointer walk alone skips the caller of a
# function that pushed no frame, the decoder puts it back from leaf()'s CFI and the stack copied
# with each sample. A recording without the copy (leaf_stack=0) still decodes.
need go python3

# traces_split PPROF LABEL: the callers of leaf in the traces of PPROF, checked against 70/30.
traces_split()
{
	go tool pprof -symbolize=none -sample_index=samples -traces "$1" >"$1.traces" 2>pprof.err ||
		fail "go tool pprof -traces cannot read $1: $(head -c 300 pprof.err)"
	py '
import sys, re
path, label, strict = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
callers, total = {}, 0
for block in open(path).read().split("-----------+")[1:]:
    lines = [l for l in block.splitlines()
             if l.strip() and not l.strip().startswith(("thread:", "---"))]
    if not lines:
        continue
    m = re.match(r"^\s*(\d+)\s+(.*)$", lines[0])
    if not check(m, "%s: no count on %r" % (label, lines[0])):
        continue
    frames = [m.group(2).strip()] + [l.strip() for l in lines[1:]]
    n = int(m.group(1))
    total += n
    if "leaf" in frames:
        i = frames.index("leaf")
        caller = frames[i + 1] if i + 1 < len(frames) else "(none)"
        callers[caller] = callers.get(caller, 0) + n
inleaf = sum(callers.values())
print("# %s: %d samples, %d in leaf, callers %s" % (label, total, inleaf, callers))
check(inleaf >= 0.8 * total and inleaf >= 300,
      "%s: only %d of %d samples in leaf" % (label, inleaf, total))
if strict:
    for fn, want in (("caller_a", 70), ("caller_b", 30)):
        pct = 100.0 * callers.get(fn, 0) / max(inleaf, 1)
        print("# %s: leaf called from %s in %.1f%% of its samples (want %d +- 10)"
              % (label, fn, pct, want))
        check(abs(pct - want) <= 10, "%s: leaf under %s in %.1f%% of its samples, want %d +- 10"
              % (label, fn, pct, want))
done()
' "$1.traces" "$2" "${3:-1}" || err "$2: callers of leaf (see above)"
}

for o in o1 o2; do
	note "---- leaf_$o"
	prog="$PROGS/leaf_$o"
	[ -x "$prog" ] || fail "$prog is missing: make programs"
	# The leaf must really have no frame, or this test proves nothing.
	if command -v objdump >/dev/null 2>&1; then
		objdump -d --no-show-raw-insn "$prog" | awk '/<leaf>:/ { on = 1; next } on && /^$/ { exit }
			on' >leaf.dis
		grep -q 'push *%rbp' leaf.dis && fail "leaf_$o: leaf() pushes a frame pointer here"
	fi
	hw_ok record -q -b sample --freq 4000 -o "leaf-$o.hwt" -- "$prog" 300
	hw_ok export -o "leaf-$o.pb.gz" "leaf-$o.hwt"
	traces_split "leaf-$o.pb.gz" "leaf_$o"
done

note "---- leaf_o1 without the stack copy"
hw_ok record -q -b sample:leaf_stack=0 --freq 4000 -o leaf-nocopy.hwt -- "$PROGS/leaf_o1" 300
hw_ok export -o leaf-nocopy.pb.gz leaf-nocopy.hwt
traces_split leaf-nocopy.pb.gz leaf_o1-nocopy 0
finish

# leaf_o1 and leaf_o2 (tests/programs/opt/leaf.c, built -O1 and -O2 with frame pointers) call a
# frameless leaf() 7 times from caller_a() for every 3 times from caller_b(), and leaf() does the
# work. Sampled with the default call graph (-g fp), go tool pprof -traces must show leaf() under
# both callers in that ratio (+-10 points): the frame-pointer walk alone skips the caller of a
# function that pushed no frame, the decoder puts it back from leaf()'s CFI and the stack copied
# with each sample. The recorder keeps of that copy only the words that point into code
# (sparse copies): checked in the recording's bytes, and the callers come out the same as from
# whole copies (leaf_sparse=0, the format of earlier recordings): one per sample in leaf().
# A recording without the copy (leaf_stack=0) still decodes.
need go python3 zstd

# copies TRACE: "events flagged sparse, samples, sparse copies, stack bytes" of TRACE's samples,
# read from its chunks (decompressed by zstd) by the layout of PERF_RECORD_SAMPLE.
copies()
{
	python3 - "$1" <<'PY'
import struct, subprocess, sys
data = open(sys.argv[1], "rb").read()
off, descs, stream = 16, {}, b""
while off + 24 <= len(data):
    ctype, flags, stored, raw = struct.unpack_from("<IIII", data, off)
    p = data[off + 24:off + 24 + stored]
    off += 24 + stored
    if flags & 1:
        p = subprocess.run(["zstd", "-q", "-d", "-c"], input=p, stdout=subprocess.PIPE,
                           check=True).stdout
    if ctype == 2:  # EVENTS: struct hwt_event_desc, 168 bytes each
        for i in range(0, len(p) - 167, 168):
            d = struct.unpack_from("<7QIiII", p, i)
            descs[d[0]] = d
    elif ctype == 3:
        stream += p
flagged = sum(1 for d in descs.values() if d[10] & 4)
n = sparse = stack = 0
i = 0
while i + 32 <= len(stream):
    ts, iid, cpu, kind, _, ln, _ = struct.unpack_from("<QQiHHII", stream, i)
    body, i = stream[i + 32:i + 32 + ln], i + 32 + ((ln + 7) & ~7)
    j = 0
    while kind == 1 and j + 8 <= len(body):
        t, misc, sz = struct.unpack_from("<IHH", body, j)
        if sz < 8:
            break
        d = descs.get(struct.unpack_from("<Q", body, j + 8)[0]) if t == 9 else None
        if d and d[3] & (1 << 13):  # PERF_SAMPLE_STACK_USER
            st, q = d[3], j + 16
            # IP TID TIME ADDR ID STREAM_ID CPU PERIOD: a word each; no READ in this test
            q += 8 * sum(1 for b in (0, 1, 2, 3, 6, 7, 8, 9) if st >> b & 1)
            assert not st & (1 << 4), "READ: not this test's"
            if st & (1 << 5):  # CALLCHAIN
                q += 8 + 8 * struct.unpack_from("<Q", body, q)[0]
            if st & (1 << 12) and struct.unpack_from("<Q", body, q)[0]:  # REGS_USER
                q += 8 + 8 * bin(d[5]).count("1")
            elif st & (1 << 12):
                q += 8
            size = struct.unpack_from("<Q", body, q)[0]
            n += 1
            if size:
                stack += size
                sparse += struct.unpack_from("<Q", body, q + 8 + size)[0] >> 63
        j += sz
print(flagged, n, sparse, stack)
PY
}

# same_callers TRACE: info's callers found is one per sample (all of leaf_o1's time is in leaf).
same_callers()
{
	local samples callers
	samples=$(info_field "$1" samples)
	callers=$(info_field "$1" "callers found" | awk '{print $1}')
	note "$1: $samples samples, $callers leaf callers found"
	[ "${samples:-0}" -gt 0 ] && [ "${callers:-0}" -ge $((samples * 98 / 100)) ] ||
		err "$1: $callers callers found for $samples samples, want one a sample"
}

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

note "---- leaf_o1: sparse copies against whole ones"
read -r flagged n sparse bytes < <(copies leaf-o1.hwt) || fail "cannot read leaf-o1.hwt's samples"
note "sparse: $flagged events flagged, $sparse of $n copies sparse, $bytes bytes of copies"
[ "$flagged" -gt 0 ] || err "leaf-o1.hwt: no event marked for sparse copies"
[ "$n" -gt 0 ] && [ "$sparse" -ge $((n * 9 / 10)) ] || err "leaf-o1.hwt: $sparse of $n copies sparse"
[ "$bytes" -le $((n * 128)) ] || err "leaf-o1.hwt: $bytes bytes of copies for $n samples"
same_callers leaf-o1.hwt
hw_ok record -q -b sample:leaf_sparse=0 --freq 4000 -o leaf-whole.hwt -- "$PROGS/leaf_o1" 300
read -r flagged n sparse bytes < <(copies leaf-whole.hwt) || fail "cannot read leaf-whole.hwt"
note "whole: $flagged events flagged, $sparse of $n copies sparse, $bytes bytes of copies"
[ "$flagged" -eq 0 ] && [ "$sparse" -eq 0 ] && [ "$bytes" -ge $((n * 256)) ] ||
	err "leaf_sparse=0: the copies are not whole"
same_callers leaf-whole.hwt
hw_ok export -o leaf-whole.pb.gz leaf-whole.hwt
traces_split leaf-whole.pb.gz leaf_o1-whole

note "---- leaf_o1 without the stack copy"
hw_ok record -q -b sample:leaf_stack=0 --freq 4000 -o leaf-nocopy.hwt -- "$PROGS/leaf_o1" 300
hw_ok export -o leaf-nocopy.pb.gz leaf-nocopy.hwt
traces_split leaf-nocopy.pb.gz leaf_o1-nocopy 0
finish

# Decoding an Intel PT trace on several threads gives exactly what one thread gives, on a real
# program's trace: the oracle's trace of pt_bench (libc through the PLT, qsort calling back,
# recursion, function pointers), repeated 50 times (1.1 MB; jobs of 16 KiB instead of 256, so
# some 70 jobs each end at the PSB+ where the next begins), decoded on 1, 2 and 3 threads must
# give the same slices in the same order at the same times, 50 times the calls the program
# made. A PSB+ from the hardware (and the oracle) holds a CBR, whose status update comes before
# the decoder has walked to the PSB's IP: a job that stopped at the first status update lost
# the calls in between.
need python3
source "$(dirname "$E2E_LIB")/pt_lib.sh"

note "pt_bench under the oracle, its trace 50 times over"
"$PT_ORACLE" --selfcheck -q -o bench.pt --truth bench.truth --images bench.images \
	-- "$PROGS/pt_bench" 8 </dev/null >bench.out 2>bench.oracle.err ||
	fail "the oracle failed on pt_bench: $(tail -3 bench.oracle.err)"
[ "$(cat bench.out)" = 3057 ] || err "pt_bench printed '$(head -c 100 bench.out)' under the oracle"
for _ in $(seq 50); do cat bench.pt; done >rep.pt

for n in 1 2 3; do
	note "decoded on $n threads"
	HWT_PT_THREADS=$n HWT_PT_JOB_KIB=16 pt_decode "rep$n" bench rep.pt || finish
done

py "$PT_TRUTH"'
import json
calls = 50 * sum(e["kind"] == "call" for e in load_truth("bench.truth")["events"])
seqs = []
for n in (1, 2, 3):
    evs = json.load(open("rep%d.json" % n))["traceEvents"]
    seqs.append([(e["ph"], e["name"], e["ts"]) for e in evs if e.get("ph") in ("B", "E", "X")])
    got = sum(s[0] in ("B", "X") for s in seqs[-1])
    check(got == calls, "%d threads: %d calls decoded, the program made %d" % (n, got, calls))
    lost = sum(1 for e in evs if str(e.get("name", "")).startswith("lost"))
    check(lost == 0, "%d threads: %d lost markers in an undamaged trace" % (n, lost))
for n in (2, 3):
    a, b = seqs[0], seqs[n - 1]
    if a != b:
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        err("%d threads: the slices differ from 1 thread'"'"'s at event %d of %d: %s, not %s" %
            (n, i, len(a), b[i:i + 3], a[i:i + 3]))
if not errors:
    print("# %d calls, the same on 1, 2 and 3 threads" % calls)
done()
' || err "decoding on several threads is not exact (see above)"
finish

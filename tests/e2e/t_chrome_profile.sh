# Chrome JSON of a sampling recording holds the samples as a CPU profile per thread ("Profile" and
# "ProfileChunk" events) beside the "P" events with "sf" (chrome://tracing's stackFrames).
# 1. threads.c (4 workers, each its own thread): python3 checks the rules Perfetto's JSON importer
#    applies to "P" events (json_trace_tokenizer.cc ParseV8SampleEvent, v8_profile_parser.cc,
#    legacy_v8_cpu_profile_tracker.cc): an "id" (hex text), a "Profile" with an integer startTime
#    before the chunks of its (id, pid), each node declared once with its parent declared before
#    it, as many timeDeltas as samples, samples naming declared nodes; and that the profiles hold
#    every sample exactly: per thread, as many as the "P" sample events, at the same microsecond.
# 2. hot.c (hot_a 70 %, hot_b 30 % of the CPU by construction) imported by the real speedscope
#    (npm, pinned in ci/browser-deps.sh) in headless Chromium: a non-empty profile whose function
#    of most self time is spin, with hot_a at 70 +- 10 % and hot_b at 30 +- 10 % of the time.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
need python3 node npm chromium

hw_ok record -q -b sample --freq 1000 -o thr.hwt -- "$PROGS/threads"
hw_ok export -o thr.json thr.hwt
py '
import sys, collections
evs = load_chrome(sys.argv[1])
samples = collections.defaultdict(list)   # (pid, tid) -> sample times, microseconds
for e in evs:
    if e.get("ph") == "P" and e.get("name") == "sample":
        samples[(e["pid"], e["tid"])].append(int(e["ts"] * 1000) // 1000)
check(evs and "cat" in evs[0], "the first event has no cat (speedscope wants one)")
check(all("ts" in e for e in evs), "an event without ts (speedscope sorts by it)")
sessions = {}       # (id, pid) -> state
got = collections.defaultdict(list)
for e in evs:
    if e.get("ph") != "P" or e.get("name") not in ("Profile", "ProfileChunk"):
        continue
    if not check(isinstance(e.get("id"), str), "P event without an id: %s" % str(e)[:200]):
        continue
    try:
        sid = (int(e["id"], 16), e["pid"])
    except ValueError:
        err("id %r is not hex" % e["id"])
        continue
    data = e.get("args", {}).get("data", {})
    if e["name"] == "Profile":
        st = data.get("startTime")
        check(isinstance(st, int), "startTime %r is not an integer" % st)
        check(sid not in sessions, "two Profile events for %s" % (sid,))
        sessions[sid] = {"ts": st, "nodes": set(), "tid": e["tid"]}
        continue
    s = sessions.get(sid)
    if not check(s is not None, "ProfileChunk of %s before its Profile" % (sid,)):
        continue
    check(e["tid"] == s["tid"], "a chunk of %s on tid %s, its Profile on %s" % (sid, e["tid"], s["tid"]))
    cp = data.get("cpuProfile", {})
    for n in cp.get("nodes", []):
        check(isinstance(n.get("id"), int) and n["id"] not in s["nodes"], "node %s declared twice or without id" % n)
        check(isinstance(n.get("callFrame", {}).get("functionName"), str), "node without functionName: %s" % n)
        if "parent" in n:
            check(n["parent"] in s["nodes"], "node %s before its parent" % n)
        s["nodes"].add(n.get("id"))
    smp, deltas = cp.get("samples", []), data.get("timeDeltas", [])
    check(len(smp) == len(deltas), "%d samples but %d timeDeltas" % (len(smp), len(deltas)))
    check(all(isinstance(d, int) for d in deltas), "a timeDelta that is not an integer")
    for node, d in zip(smp, deltas):
        check(node in s["nodes"], "a sample of undeclared node %s" % node)
        s["ts"] += d
        got[(sid[1], s["tid"])].append(s["ts"])
check(len(samples) >= 4, "samples on %d threads, want the 4 workers at least" % len(samples))
for k, want in samples.items():
    check(got.get(k) == want, "thread %s: the profile has %d samples (%s...), the P events %d (%s...)"
          % (k, len(got.get(k, [])), got.get(k, [])[:3], len(want), want[:3]))
print("# %d threads, %d samples, %d profiles" % (len(samples), sum(map(len, samples.values())), len(sessions)))
done()
' thr.json || err "the CPU profiles of thr.json break Perfetto's rules (see above)"

bash "$root/ci/browser-deps.sh" &>deps.log ||
	fail "no playwright-core or speedscope ($(tail -n 1 deps.log)): run ci/browser-deps.sh"
hw_ok record -q -b sample --freq 4000 -o hot.hwt -- "$PROGS/hot" 20000000
samples=$(info_field hot.hwt samples)
note "hot.hwt: $samples samples"
[ "${samples:-0}" -ge 200 ] 2>/dev/null || fail "only '$samples' samples of hot at 4 kHz"
hw_ok export -o hot.json hot.hwt
shots=${E2E_SHOTS:-$root/build/browser/shots}
mkdir -p "$shots" || fail "cannot create the screenshot folder $shots"
node "$root/tests/browser/speedscope_test.mjs" hot.json "$shots/hot-speedscope.png" \
	--top spin --total hot_a=70:10 --total hot_b=30:10 ||
	err "speedscope does not show the profile of hot (see above)"
finish

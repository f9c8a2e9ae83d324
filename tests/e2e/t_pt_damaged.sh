# Damaged Intel PT: an oracle trace of pt_fnptr (PSB+ every 512 bytes) is broken in the ways real
# traces break, and `hwtrace import` + `export` must neither crash (exit < 128) nor trip the
# sanitizers, must mark the gap with a "lost" marker, and must give back the calls that follow
# the point where the trace can be decoded again, exactly, after what it decoded before:
#   badop     an undefined opcode right after a PSB+: decoding resumes at the next PSB, and
#             the calls made before the previous PSB come back. Not all those before this one:
#             libipt reads packets ahead of the instructions it walks, so the bad bytes stop it
#             before it walks the code from the last branch before the PSB to the PSB's IP
#             (code the trace has nothing more to say about; a call there goes missing)
#   flip      4 bytes inverted mid-way between PSBs: a wrong path may run until the next PSB+
#             contradicts it, so decoding resumes at the second PSB at the latest
#   splice    bytes cut from mid-packet to mid-packet one PSB further on (lost AUX data)
#   truncate  the file ends inside a PSB: every call before it, nothing invented after
#   nopsb     one PSB+ removed: nothing is lost, every call comes back. Not any PSB+: a PSB
#             clears the last IP and its FUP sets it, so the IP packet after it may leave out
#             bytes only that FUP has; the first from PSB k on the trace can do without (the
#             truth's NEEDED 0)
#   overflow  the oracle drops the packets of 2000 instructions and writes OVF, TSC and FUP as
#             the hardware does after an internal buffer overflow
need python3
source "$(dirname "$E2E_LIB")/pt_lib.sh"

pt_oracle_cached dmg "$PROGS/pt_fnptr" --psb-bytes 512 || finish
[ "$(cat dmg.out)" = 199 ] || err "pt_fnptr printed '$(head -c 100 dmg.out)' under the oracle"

# The broken copies, and for each: from which truth event on the calls must come back, which
# calls before the damage must come back, and whether the gap needs a marker.
py "$PT_TRUTH"'
import sys
t = load_truth("dmg.truth")
data = open("dmg.pt", "rb").read()
p = t["psbs"]
check(len(p) >= 8, "only %d PSBs in the oracle trace: too few to break it" % len(p))
k = len(p) // 3
mid = lambda j: (p[j]["end"] + p[j + 1]["offset"]) // 2

def write(name, b, resume, keep, marker):
    open(name + ".pt", "wb").write(b)
    with open(name + ".expect", "w") as f:
        f.write("%d %d %d\n" % (resume, keep, marker))

write("badop", data[:p[k]["end"]] + b"\x02\x00" + data[p[k]["end"] + 2:],
      p[k + 1]["events"], p[k - 1]["events"], 1)
m = mid(k)
write("flip", data[:m] + bytes(x ^ 0xff for x in data[m:m + 4]) + data[m + 4:],
      p[k + 2]["events"], p[k]["events"], 1)
write("splice", data[:mid(k)] + data[mid(k + 1):], p[k + 3]["events"], p[k]["events"], 1)
write("truncate", data[:p[k]["offset"] + 5], len(t["events"]), p[k]["events"], 0)
j = next((j for j in range(k, len(p)) if not p[j]["needed"]), None)
if check(j is not None, "no PSB+ from %d on that the trace can do without" % k):
    write("nopsb", data[:p[j]["offset"]] + data[p[j]["end"]:], 0, len(t["events"]), 0)
print("# %d bytes, %d PSBs; damage after PSB %d (offset %d), PSB %s removed" % (len(data),
      len(p), k, p[k]["offset"], j))
done()
' || fail "cannot make the damaged traces"

# pt_damaged NAME TRUTHNAME: decode NAME.pt and check it against TRUTHNAME's truth and
# NAME.expect ("RESUME KEEP MARKER": truth events from RESUME on must end the decoded calls, the
# calls before event KEEP must begin them, MARKER: a lost marker is due).
pt_damaged()
{
	local name=$1 truth=$2
	note "$name"
	pt_decode "$name" "$truth" "$name.pt" || return
	py "$CHROME_SLICES$PT_TRUTH"'
import sys
name, truth = sys.argv[1], sys.argv[2]
t = load_truth(truth + ".truth")
resume, keep, marker = map(int, open(name + ".expect").read().split())
dec, lost = thread_slices(name + ".json", t, name)
got = [s["name"] for s in dec if s["name"] != "[unknown]"]
calls = [(i, e["name"]) for i, e in enumerate(t["events"]) if e["kind"] == "call"]
want_head = [n for i, n in calls if i < keep]
want_tail = [n for i, n in calls if i >= resume]
print("# %s: decoded %d calls; the truth has %d, %d before the damage, %d after the resume "
      "point; %d lost markers" % (name, len(got), len(calls), len(want_head), len(want_tail),
      len(lost)))

def first_diff(a, b):
    return next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))

if got[:len(want_head)] != want_head:
    i = first_diff(got, want_head)
    err("%s: call %d decoded as %s, the truth has %s (before the damage)" % (name, i,
        got[i:i + 3], want_head[i:i + 3]))
tail = got[len(got) - len(want_tail):] if want_tail else []
if len(got) < len(want_tail) or tail != want_tail:
    i = first_diff(tail[::-1], want_tail[::-1])
    err("%s: the last %d calls do not match the truth after the resume point (%d from the "
        "end: decoded %s, truth %s)" % (name, len(want_tail), i, tail[::-1][i:i + 3],
        want_tail[::-1][i:i + 3]))
if resume == len(t["events"]):
    check(len(got) <= len(want_head) + 16, "%s: %d calls decoded past the end of the trace"
          % (name, len(got) - len(want_head)))
if marker and got != [n for _, n in calls]:
    check(lost, "%s: the decoded calls have a gap but no lost marker" % name)
done()
' "$name" "$truth" || err "$name: decoded calls differ from the truth (see above)"
}

for d in badop flip splice truncate nopsb; do
	pt_damaged "$d" dmg
done

n=$(sed -n 's/^instructions //p' dmg.truth)
if pt_oracle_cached overflow "$PROGS/pt_fnptr" --psb-bytes 512 --overflow "$((n / 2)):2000"; then
	py "$PT_TRUTH"'
t = load_truth("overflow.truth")
if check(t["ovf"], "overflow: the oracle wrote no OVF"):
    before = max((q["events"] for q in t["psbs"] if q["offset"] < t["ovf"]["offset"]), default=0)
    open("overflow.expect", "w").write("%d %d 1\n" % (t["ovf"]["events"], before))
done()
' && pt_damaged overflow overflow
fi
finish

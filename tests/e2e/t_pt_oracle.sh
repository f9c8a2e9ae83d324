# The Intel PT decoder against the oracle (no PT hardware here): each pt_* program runs under
# single-step, the oracle writes what it executed as the packets the hardware would have written,
# and `hwtrace import --pt-raw` + `export` must give back exactly the calls that executed: on the
# one thread, the slices in the same order, nested the same, named the same (the oracle names
# call targets with hwtrace's symbolizer), each begin and end within the window of times the
# trace lets a decoder know. Every program runs with return compression (TNT-8, PSB every 4 KiB)
# and without (TNT-64, PSB every 1 KiB); pt_recurse also cycle-accurate with sparser MTCs.
# What the programs do: recursion 200 deep (past the 64-deep return stack), calls through
# function pointers and a jump table, tail calls that are jumps, qsort/bsearch calling back
# from libc through the PLT, longjmp out of 5 frames, and a loop of syscalls.
need python3 objdump
source "$(dirname "$E2E_LIB")/pt_lib.sh"

note "pt_tailcall's sibling calls are jumps"
objdump -d --no-show-raw-insn "$PROGS/pt_tailcall" >tailcall.dis ||
	fail "objdump cannot read pt_tailcall"
awk '/<ping>:/,/^$/' tailcall.dis | grep -q -E 'jmp +[0-9a-f]+ <pong>' ||
	err "pt_tailcall: ping does not end in jmp pong (the test needs a sibling call)"
awk '/<pong>:/,/^$/' tailcall.dis | grep -q -E 'jmp +\*%' ||
	err "pt_tailcall: pong has no indirect jmp (the test needs an indirect sibling call)"
awk '/<pong>:/,/^$/' tailcall.dis | grep -q -E 'jmp +[0-9a-f]+ <ping>' ||
	err "pt_tailcall: pong does not end in jmp ping"

# pt_check NAME: the decoded NAME.json against NAME.truth.
pt_check()
{
	py "$CHROME_SLICES$PT_TRUTH"'
import sys
name = sys.argv[1]
t = load_truth(name + ".truth")
dec, lost = thread_slices(name + ".json", t, name)
exp = truth_slices(t)
check(not lost, "%s: %d lost markers in an undamaged trace" % (name, len(lost)))
pairs = [(e["name"], e["depth"]) for e in exp], [(d["name"], d["depth"]) for d in dec]
print("# %s: truth %d slices (%d calls), decoded %d" % (name, len(exp),
      sum(e["kind"] == "call" for e in t["events"]), len(dec)))
if pairs[0] != pairs[1]:
    i = next((i for i, (a, b) in enumerate(zip(*pairs)) if a != b), min(map(len, pairs)))
    err("%s: decoded slices differ from the truth at slice %d of %d" % (name, i, len(exp)))
    show(i, exp, dec)
    done()

# Times: each begin and end within [lo, hi] (1 ns for rounding, and the slack the truth allows;
# none with CYC, whose times libipt only estimates: then only reported); an unwound frame ends no
# earlier than it was left; an open one no earlier than the last event; an [unknown] caller
# starts no later than its first child. Monotonic time and nesting: chrome_slices.
bad, worst, far = 0, 0, 0
sl = t["slack"] + 1 if t["slack"] >= 0 else 1 << 62
last_lo = max((e["lo"] for e in t["events"]), default=t["start"]) - sl
for i, (e, d) in enumerate(zip(exp, dec)):
    ok = True
    if e["call"]:
        c = e["call"]
        ok &= c["lo"] - sl <= d["start"] <= c["hi"] + sl
        worst = max(worst, abs(d["start"] - c["ts"]))
        far += abs(d["start"] - c["ts"]) > t["mtc_period"]
    elif e["children"]:
        ok &= d["start"] <= dec[i + 1]["start"]
    if e["end_kind"] == "ret":
        ok &= e["end"]["lo"] - sl <= d["end"] <= e["end"]["hi"] + sl
        worst = max(worst, abs(d["end"] - e["end"]["ts"]))
        far += abs(d["end"] - e["end"]["ts"]) > t["mtc_period"]
    elif e["end_kind"] == "unwind":
        ok &= d["end"] >= e["end"]["lo"] - sl
    else:
        ok &= d["end"] >= last_lo
    if not ok:
        bad += 1
        if bad <= 5:
            err("%s: slice %d %s decoded at [%d, %d]: truth call %s, end %s (%s)" % (name, i,
                e["name"], d["start"], d["end"], e["call"], e["end"], e["end_kind"]))
check(bad == 0, "%s: %d of %d slices decoded outside their time windows" % (name, bad, len(exp)))
print("# %s: %d slices outside their time windows%s; at most %d ns from the true times, %d "
      "begin/ends more than one MTC period (%d ns) off" % (name, bad, " (none with CYC)"
      if t["slack"] < 0 else "", worst, far, t["mtc_period"]))
done()
' "$1" || err "$1: decoded trace differs from the truth (see above)"
}

# pt_facts NAME PROG: what PROG's source says it does, checked on the truth (so the oracle is
# checked too, not only taken on trust): call counts and callers of its own functions.
pt_facts()
{
	py "$PT_TRUTH"'
import sys, collections
name, prog = sys.argv[1], sys.argv[2]
sl = truth_slices(load_truth(name + ".truth"))
count = collections.Counter(s["name"] for s in sl)
stack = []
for s in sl:
    del stack[s["depth"] - 1:]
    s["parent"] = stack[-1]["name"] if stack else None
    s["anc"] = [x["name"] for x in stack]
    stack.append(s)
def calls(fn, n, caller=None):
    check(count[fn] == n,
          "%s: truth has %d calls of %s, the source makes %d" % (name, count[fn], fn, n))
    if caller:
        bad = [s for s in sl if s["name"] == fn and s["parent"] != caller]
        check(not bad, "%s: %d calls of %s not from %s" % (name, len(bad), fn, caller))
if prog == "pt_recurse":
    calls("sum", 402)
    deep = max(len([a for a in s["anc"] if a == "sum"]) + 1 for s in sl if s["name"] == "sum")
    check(deep == 201, "%s: sum nested %d deep, want 201" % (name, deep))
elif prog == "pt_fnptr":
    for op in ("op0", "op1", "op2", "op3"):
        calls(op, 10, "main")
    calls("pick", 40, "main")
    check(sorted(s["parent"] for s in sl if s["name"] == "leaf") == ["op0"] * 10 + ["op1"] * 10
          + ["op2"] * 10 + ["op3"] * 10, "%s: leaf is not called 10 times from each op" % name)
elif prog == "pt_tailcall":
    calls("ping", 3, "main")
    calls("pong", 0)
    calls("finish", 3, "ping")
elif prog == "pt_qsort":
    cmps = [s for s in sl if s["name"] == "cmp_int"]
    check(len(cmps) >= 11 + 1, "%s: %d calls of cmp_int, sorting 12 ints takes 11 or more and "
          "bsearch one or more" % (name, len(cmps)))
    check(any("check" in s["anc"] for s in cmps) and any("check" not in s["anc"] for s in cmps),
          "%s: cmp_int is not called both from qsort and from bsearch in check" % name)
    calls("check", 1, "main")
elif prog == "pt_longjmp":
    calls("try_once", 3, "main")
    calls("level1", 3, "try_once")
    calls("level2", 3, "level1")
    calls("level3", 3, "level2")
    calls("landed", 3, "try_once")
elif prog == "pt_syscalls":
    calls("round_trip", 40, "main")
done()
' "$1" "$2" || err "$1: the truth contradicts what $2 does (see above)"
}

# pt_case NAME PROG WANT [ORACLE OPTIONS...]: oracle, output check, import, export, compare.
pt_case()
{
	local name=$1 prog=$2 want=$3
	shift 3
	note "$name"
	pt_oracle "$name" "$PROGS/$prog" "$@" || return
	[ "$(cat "$name.out")" = "$want" ] ||
		err "$prog printed '$(head -c 100 "$name.out")' under the oracle, want '$want'"
	pt_facts "$name" "$prog"
	pt_decode "$name" "$name" || return
	pt_check "$name"
}

cases=("pt_recurse:40200" "pt_fnptr:199" "pt_tailcall:3 0" "pt_qsort:1 1" "pt_longjmp:6"
	"pt_syscalls:80")
for c in "${cases[@]}"; do
	prog=${c%%:*}
	pt_case "${prog}_retcomp" "$prog" "${c#*:}"
	pt_case "${prog}_noretcomp" "$prog" "${c#*:}" --noretcomp --tnt64 --psb-bytes 1024
done
pt_case pt_recurse_cyc pt_recurse 40200 --cyc --mtc-period 6
finish

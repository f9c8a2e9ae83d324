# Helpers for the Intel PT tests on oracle traces (t_pt_oracle.sh, t_pt_damaged.sh), sourced after
# lib.sh. The oracle (build/oracle/pt_oracle, next to $HWTRACE) single-steps a test program and
# writes what it executed as Intel PT packets (NAME.pt), the images to decode them with
# (NAME.images) and the truth (NAME.truth): every call and return, with the window of times a
# decoder can know for each. Its virtual TSC ticks once a nanosecond; the truth's "import" line
# holds the `hwtrace import` options (--tsc-hz 1000000000, MTC and CPUID ratios) under which
# decoded times are the truth's times.

PT_ORACLE=$(dirname "$HWTRACE")/oracle/pt_oracle
[ -x "$PT_ORACLE" ] || fail "no oracle at $PT_ORACLE: build it with make (the e2e target does)"

# pt_oracle NAME PROG [OPTIONS...]: runs PROG under the oracle into NAME.pt, NAME.truth and
# NAME.images, PROG's output in NAME.out. The oracle checks its own trace with libipt's decoders
# (--selfcheck) before anyone else reads it. Returns 1 (after err) if the oracle failed.
pt_oracle()
{
	local name=$1 prog=$2 rc
	shift 2
	echo "\$ pt_oracle $* -- $(basename "$prog")"
	"$PT_ORACLE" --selfcheck "$@" -o "$name.pt" --truth "$name.truth" \
		--images "$name.images" -- "$prog" </dev/null >"$name.out" 2>"$name.oracle.err"
	rc=$?
	sed 's/^/  /' "$name.oracle.err"
	if [ $rc -ne 0 ]; then
		err "pt_oracle $* -- $prog exited $rc"
		return 1
	fi
	return 0
}

# pt_oracle_cached NAME PROG [OPTIONS...]: pt_oracle, or, where PT_ORACLE_CACHE names a directory
# that holds its output for the same program (by content), arguments and options, that output.
# The oracle is most of the PT tests' time (it single-steps ~115 k instructions a program, up to
# 100 us a step on some hosts) and what it writes does not depend on the hwtrace build under test:
# .ci/run sets PT_ORACLE_CACHE for its two builds, so that the sanitizer build decodes the traces
# the oracle wrote (and the normal build's tests checked) in the first. Not for a run whose point
# is what else runs beside the oracle.
pt_oracle_cached()
{
	local name=$1 prog=$2 key dir ext
	if [ -z "${PT_ORACLE_CACHE:-}" ] || [ ! -d "$PT_ORACLE_CACHE" ]; then
		pt_oracle "$@"
		return
	fi
	key=$({ md5sum <"$prog"; printf '%s\n' "${@:3}"; } | md5sum | cut -c1-32)
	dir=$PT_ORACLE_CACHE/$key
	if [ -f "$dir/done" ]; then
		echo "\$ pt_oracle ${*:3} -- $(basename "$prog") (its output of an earlier run: $dir)"
		for ext in pt truth images out oracle.err; do
			cp "$dir/t.$ext" "$name.$ext" || return 1
		done
		sed 's/^/  /' "$name.oracle.err"
		return 0
	fi
	pt_oracle "$@" || return 1
	mkdir -p "$dir" &&
		for ext in pt truth images out oracle.err; do
			cp "$name.$ext" "$dir/t.$ext" || return 0
		done && touch "$dir/done"
	return 0
}

# pt_decode OUT TRUTHNAME [TRACE]: `hwtrace import` of TRACE (default TRUTHNAME.pt) with the
# images and options of TRUTHNAME's truth into OUT.hwt, then `hwtrace export` to OUT.json.
# Returns 1 (after err) when either fails, crashes or a sanitizer speaks.
pt_decode()
{
	local out=$1 name=$2 trace=${3:-$2.pt} pid img
	local -a args images
	read -r -a args <<<"$(sed -n 's/^import //p' "$name.truth")"
	pid=$(sed -n 's/^pid //p' "$name.truth")
	while read -r img; do
		[ -n "$img" ] && images+=(--image "$img")
	done <"$name.images"
	hw import --pt-raw "$trace" "${images[@]}" "${args[@]}" --pid "$pid" --tid "$pid" \
		-o "$out.hwt"
	cp hw.err "$out.import.err"
	pt_ran "hwtrace import of $trace" "$out.import.err" || return 1
	hw export -o "$out.json" "$out.hwt"
	pt_ran "hwtrace export of $out.hwt" hw.err
}

# pt_ran WHAT STDERR: after hw, fails (err, returns 1) when the command crashed (exit >= 128),
# a sanitizer reported in STDERR, or it failed.
pt_ran()
{
	if grep -q -E 'Sanitizer|runtime error:' "$2"; then
		err "$1: sanitizer report"
		sed 's/^/  stderr: /' "$2" | head -30 >&2
		return 1
	fi
	if [ "$HW_RC" -ne 0 ]; then
		if [ "$HW_RC" -ge 128 ]; then
			err "$1 crashed (exit status $HW_RC)"
		else
			err "$1 exited $HW_RC"
		fi
		sed 's/^/  stderr: /' "$2" | tail -5 >&2
		return 1
	fi
	return 0
}

# PT_TRUTH: python for py snippets (after $CHROME_SLICES): the oracle's truth and the slices it
# implies.
PT_TRUTH='
def load_truth(path):
    """The truth file as a dict: events (call/ret/unwind dicts with ts, lo, hi and, for a call,
    target and name), psbs (offset, end, events, ts, needed: the trace after it cannot do without
    this PSB+), ovf, start, end, pid, mtc_period, slack
    (how far a decoder may stray outside [lo, hi]; -1: no bound), instructions."""
    t = dict(events=[], psbs=[], ovf=None)
    for line in open(path):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        k = f[0]
        if k == "call":
            t["events"].append(dict(kind=k, target=int(f[1], 16), ts=int(f[2]), lo=int(f[3]),
                                    hi=int(f[4]), name=" ".join(f[5:])))
        elif k in ("ret", "unwind"):
            t["events"].append(dict(kind=k, ts=int(f[1]), lo=int(f[2]), hi=int(f[3])))
        elif k == "psb":
            t["psbs"].append(dict(offset=int(f[1]), end=int(f[2]), events=int(f[3]),
                                  ts=int(f[4]), needed=len(f) > 5 and f[5] == "1"))
        elif k == "ovf":
            t["ovf"] = dict(offset=int(f[1]), events=int(f[2]), ts=int(f[3]))
        elif k in ("start", "end", "pid", "mtc_period", "slack", "exit", "instructions"):
            t[k] = int(f[1])
    return t

def truth_slices(t):
    """The slices the truth implies, in pre-order (start order), each a dict name, depth, call
    (its call event, None for an [unknown] caller), end (the ret/unwind event, None if still
    open at the exit), end_kind ("ret", "unwind" or "open"). A return with no frame open makes
    an [unknown] caller from the trace start around everything before it."""
    roots, stack = [], []
    for ev in t["events"]:
        if ev["kind"] == "call":
            s = dict(name=ev["name"], call=ev, end=None, end_kind="open", children=[])
            (stack[-1]["children"] if stack else roots).append(s)
            stack.append(s)
        elif stack:
            s = stack.pop()
            s["end"], s["end_kind"] = ev, ev["kind"]
        else:
            roots = [dict(name="[unknown]", call=None, end=ev, end_kind=ev["kind"],
                          children=roots)]
    out, todo = [], [(n, 1) for n in reversed(roots)]
    while todo:
        n, depth = todo.pop()
        n["depth"] = depth
        out.append(n)
        todo.extend((c, depth + 1) for c in reversed(n["children"]))
    return out

def thread_slices(path, t, what):
    """(slices of the traced thread in the Chrome export, its lost markers), after checking
    that nothing landed on another thread."""
    slices, instants, left_open = chrome_slices(path, what)
    key = (t["pid"], t["pid"])
    check(set(slices) <= {key},
          "%s: slices on threads %s, want only %s" % (what, sorted(slices), key))
    check(key not in left_open, "%s: slices never closed: %s" % (what, left_open.get(key, [])[:10]))
    lost = [e for ev in instants.values() for e in ev
            if str(e.get("name", "")).startswith("lost")]
    return slices.get(key, []), lost

def show(i, exp, dec):
    """A few slices around index i of both lists."""
    lo = max(0, i - 4)
    for j in range(lo, i + 5):
        e = "%s@%d" % (exp[j]["name"], exp[j]["depth"]) if j < len(exp) else "-"
        d = "%s@%d" % (dec[j]["name"], dec[j]["depth"]) if j < len(dec) else "-"
        print("#   %s slice %d: truth %-40s decoded %s" % ("->" if j == i else "  ", j, e, d))
'

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
elif prog == "pt_vmexit":
    ran = open(name + ".out").read().split()[1:]
    for fn in ("cpuid", "rdtsc", "rdtscp", "xgetbv"):
        calls("do_" + fn, 10, "main")
    check("cpuid" in ran and "rdtsc" in ran, "%s: the program did not run cpuid and rdtsc" % name)
done()
' "$1" "$2" || err "$1: the truth contradicts what $2 does (see above)"
}

# pt_case NAME PROG WANT [ORACLE OPTIONS...]: oracle, output check, import, export, compare.
pt_case()
{
	local name=$1 prog=$2 want=$3
	shift 3
	note "$name"
	pt_oracle_cached "$name" "$PROGS/$prog" "$@" || return
	[ "$(cat "$name.out")" = "$want" ] ||
		err "$prog printed '$(head -c 100 "$name.out")' under the oracle, want '$want'"
	pt_facts "$name" "$prog"
	pt_decode "$name" "$name" || return
	pt_check "$name"
}

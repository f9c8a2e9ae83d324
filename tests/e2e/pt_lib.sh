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

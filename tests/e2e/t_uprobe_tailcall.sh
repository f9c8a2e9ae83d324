# Tail calls and .cold parts as GCC -O2 makes them, recorded with -b uprobe.
# tailcall_o2: direct_caller ends in `jmp callee`, indirect_caller in `jmp *%reg`, chain_a in
# `jmp chain_b`, which ends in `jmp callee` (objdump must show those jumps, or the test proves
# nothing). The kernel delivers a return for the caller and one for the callee at the shared
# return; the callee must nest in its caller (Chrome JSON: every callee slice inside a
# caller's), nothing "unfinished" (report) or "no return seen" (inspect), exact counts.
# tailcall_cxx_o2 is the same source built as C++ with a function that throws and catches: its
# returns are probed at each ret instruction and tail jump (no uretprobes where exceptions
# unwind), and a direct tail jump to a traced function must nest the callee all the same
# (indirect ones are not told from jump tables there: indirect_caller is left out with -N).
# cold_o2: scan's only `ret` is in scan.cold (nm and objdump must show it), entered by a jump:
# scan.cold is no function of its own (not traced), and every call of scan returns.
# clones_o2: sum_a.isra.0, scaled.constprop.0 and check.part.0 (nm must show them) are called
# like functions: traced under those names, with exact counts.
# t_inproc_tailcall.sh runs this file with -b inproc: there the patcher's shadow stack sees the
# shared return. cold_o2 and clones_o2 keep values in call-clobbered registers across calls of
# functions GCC knows leave them alone (-fipa-ra), which the patcher's stubs must save too (the
# first crashed, the second hung when the return stub saved only the return-value registers).
BACKEND=${BACKEND:-uprobe}
need python3 objdump nm

# The jumps the test is about, in the binary as built.
for prog in tailcall_o2 tailcall_cxx_o2; do
objdump -d --no-show-raw-insn "$PROGS/$prog" >tail.dis || fail "objdump cannot read $prog"
py '
import re, sys
funcs, cur = {}, None
for line in open(sys.argv[1]):
    m = re.match(r"^[0-9a-f]+ <([^>]+)>:", line)
    if m:
        cur = funcs.setdefault(m.group(1), [])
    elif cur is not None and "\t" in line:
        cur.append(line.split("\t", 1)[1].strip())
def has(fn, pat):
    return any(re.match(pat, i) for i in funcs.get(fn, []))
check(has("direct_caller", r"jmp\s+[0-9a-f]+ <callee>"), "objdump: direct_caller has no jmp callee")
check(has("chain_b", r"jmp\s+[0-9a-f]+ <callee>"), "objdump: chain_b has no jmp callee")
check(has("chain_a", r"jmp\s+[0-9a-f]+ <chain_b>"), "objdump: chain_a has no jmp chain_b")
check(has("indirect_caller", r"jmp\s+\*%"), "objdump: indirect_caller has no indirect jmp")
for f in ("direct_caller", "indirect_caller", "chain_a", "chain_b"):
    check(not has(f, r"ret"), "objdump: %s returns itself: no tail call" % f)
done()
' tail.dis || fail "$prog is not built with tail jumps (see above)"
done

nm "$PROGS/cold_o2" >cold.nm || fail "nm cannot read cold_o2"
grep -q ' scan\.cold$' cold.nm || fail "cold_o2 has no scan.cold: nothing to test"
objdump -d --no-show-raw-insn "$PROGS/cold_o2" | awk '/^[0-9a-f]+ <scan>:/,/^$/' >scan.dis
objdump -d --no-show-raw-insn "$PROGS/cold_o2" | awk '/^[0-9a-f]+ <scan\.cold>:/,/^$/' >cold.dis
grep -qw ret scan.dis && fail "scan has a ret of its own: the test needs it only in scan.cold"
grep -qw ret cold.dis || fail "scan.cold has no ret"

nm "$PROGS/clones_o2" >clones.nm || fail "nm cannot read clones_o2"
for f in sum_a.isra.0 scaled.constprop.0 check.part.0; do
	grep -q " $f\$" clones.nm || fail "clones_o2 has no $f: nothing to test"
done

# record_check PROG OUTPUT SPEC [OPTION...]: SPEC is "name:calls:caller|caller..." items: every
# slice of name has one of the callers as its parent ("-" for none); no other function shows.
record_check()
{
	local prog=$1 want=$2 spec=$3
	shift 3
	note "---- $prog $*"
	hw_ok record -q -b "$BACKEND" -o "$prog.hwt" "$@" -- "$PROGS/$prog"
	[ "$(cat hw.out)" = "$want" ] || err "$prog printed '$(head -c 100 hw.out)', want $want"
	local lost
	lost=$(info_field "$prog.hwt" lost)
	[ "${lost%% *}" = 0 ] || err "$prog: info says lost '$lost'"
	hw_ok export -o "$prog.json" "$prog.hwt"
	hw_ok report -n 0 "$prog.hwt"
	mv hw.out "$prog.report"
	hw_ok inspect "$prog.hwt"
	mv hw.out "$prog.inspect"
	grep -q unfinished "$prog.report" && err "$prog: report has unfinished calls: $(grep -m1 unfinished "$prog.report")"
	grep -q "no return seen" "$prog.report" "$prog.inspect" &&
		err "$prog: 'no return seen': $(grep -m1 'no return seen' "$prog.report" "$prog.inspect")"
	py "$CHROME_SLICES"'
import sys, collections
prog, jpath, spec = sys.argv[1:4]
want = {}
for item in spec.split():
    name, calls, callers = item.split(":")
    want[name] = (int(calls), callers.split("|"))
slices, instants, left_open = chrome_slices(jpath, prog)
check(not left_open, "%s: slices left open: %s" % (prog, left_open))
check(len(slices) == 1, "%s: slices on %d threads, want 1" % (prog, len(slices)))
for k, sl in slices.items():
    got = collections.Counter(s["name"] for s in sl)
    print("# %s: %s" % (prog, dict(got)))
    check(set(got) == set(want), "%s: functions %s, want %s" % (prog, sorted(got), sorted(want)))
    for name, (calls, callers) in want.items():
        check(got[name] == calls, "%s: %d %s slices, want %d" % (prog, got[name], name, calls))
        bad = [s for s in sl if s["name"] == name and (s["stack"][-1] if s["stack"] else "-")
               not in callers]
        check(not bad, "%s: %d %s slices not under %s, e.g. under %s" % (prog, len(bad), name,
              "|".join(callers), bad[0]["stack"] if bad else ""))
        check(all(s["args"].get("unfinished") is not True for s in sl if s["name"] == name),
              "%s: %s slices marked unfinished" % (prog, name))
    # A tail-called slice lies inside its caller and ends with it (the shared return).
    for i, s in enumerate(sl):
        if s["name"] in ("callee", "chain_b") and s["stack"] and s["stack"][-1] != "main":
            parent = [p for p in sl[:i] if p["start"] <= s["start"] and p["end"] >= s["end"]
                      and p["name"] == s["stack"][-1]]
            check(parent, "%s: %s at %d is not inside a %s slice" % (prog, s["name"], s["start"],
                  s["stack"][-1]))
done()
' "$prog" "$prog.json" "$spec" || err "$prog (see above)"
}

record_check tailcall_o2 1237 "main:1:- direct_caller:5:main indirect_caller:4:main \
chain_a:3:main chain_b:3:chain_a callee:12:direct_caller|indirect_caller|chain_b leaf:12:callee"
record_check tailcall_cxx_o2 1237 "main:1:- catcher:1:main direct_caller:5:main chain_a:3:main \
chain_b:3:chain_a callee:12:direct_caller|main|chain_b leaf:12:callee" -N indirect_caller
if [ "$BACKEND" = uprobe ]; then
	hw_ok info tailcall_cxx_o2.hwt
	grep -q 'ret_site_functions *[1-9]' hw.out ||
		err "tailcall_cxx_o2: not recorded at ret sites: $(grep ret_site hw.out)"
fi
record_check cold_o2 240 "main:1:- scan:8:main found_end:8:scan"
record_check clones_o2 1078 "main:1:- other:5:main sum_a.isra.0:4:main \
scaled.constprop.0:3:main check.part.0:4:main|other"
finish

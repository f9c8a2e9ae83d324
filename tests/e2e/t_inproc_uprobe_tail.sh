# A tail call through a function only uprobes can trace, recorded with -b inproc (the hybrid):
# utail's p_caller (patched) ends in `jmp u_short`, a two-byte function the patcher must refuse
# (traced with uprobes, whose uretprobe takes over the return slot p_caller's entry gave our
# stub), which jumps on to q_leaf (patched, so its entry meets that slot again). q_leaf must nest
# in u_short in p_caller, 100 of each, the program unharmed (it aborted with "returned through
# slot ... that the shadow stack does not hold" when a slot holding the kernel's uretprobe
# trampoline was taken for a frame longjmp had left).
need python3

hw_ok record -q -b inproc -o ut.hwt -- "$PROGS/utail"
[ "$(cat hw.out)" = 5050 ] || err "utail printed '$(head -c 100 hw.out)', want 5050"
[ "$(info_field ut.hwt inproc.uprobe_functions)" = 1 ] ||
	err "info says inproc.uprobe_functions '$(info_field ut.hwt inproc.uprobe_functions)', want 1 (u_short)"
hw_ok report -n 0 ut.hwt
grep -Eq 'unfinished|no return seen' hw.out && err "report: $(grep -m1 -E 'unfinished|no return seen' hw.out)"
hw_ok export -o ut.json ut.hwt
py "$CHROME_SLICES"'
import sys, collections
slices, instants, left_open = chrome_slices(sys.argv[1], "utail")
check(not left_open, "slices left open: %s" % left_open)
check(len(slices) == 1, "slices on %d threads, want 1" % len(slices))
for k, sl in slices.items():
    got = collections.Counter(s["name"] for s in sl)
    print("# utail: %s" % dict(got))
    check(got == {"main": 1, "p_caller": 100, "u_short": 100, "q_leaf": 100},
          "calls %s, want main 1 and 100 of p_caller, u_short, q_leaf" % dict(got))
    for name, parent in (("p_caller", "main"), ("u_short", "p_caller"), ("q_leaf", "u_short")):
        bad = [s for s in sl if s["name"] == name and (s["stack"] or ["-"])[-1] != parent]
        check(not bad, "%d %s slices not under %s, e.g. under %s" % (len(bad), name, parent,
              bad[0]["stack"] if bad else ""))
done()
' ut.json || err "utail timeline (see above)"
finish

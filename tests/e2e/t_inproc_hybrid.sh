# hybrid.c has two functions the inproc patcher must refuse (tiny: 3 bytes; loopy: jumps back
# into its first bytes) beside ordinary ones: main calls outer() 20 times, each calling tiny()
# and loopy() once, then tiny() 10 more times. Recorded with -b inproc, the refused ones go to
# uprobes in the same recording: `info` says 2 functions were patched and 2 traced with uprobes,
# and why; the Chrome JSON (python3 json) holds main 1, outer 20, tiny 30 (20 under main;outer,
# 10 under main), loopy 20 (all under main;outer), exactly nested. With uprobes=off they stay
# untraced and `info` says so; `list PROG` counts both refusals by reason. A static program is
# traced with uprobes alone, and record says so. dlcrc.c's crc32, in a library dlopen'ed after
# main started, dlclose'd and dlopen'ed again, is patched each time: 150 calls.
need python3

hw_ok record -q -b inproc -o hy.hwt -- "$PROGS/hybrid"
[ "$(cat hw.out)" = "30 20" ] || err "hybrid printed '$(head -c 100 hw.out)', want '30 20'"
[ "$(info_field hy.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field hy.hwt inproc.functions)" = 2 ] ||
	err "info says inproc.functions '$(info_field hy.hwt inproc.functions)', want 2 (main, outer)"
[ "$(info_field hy.hwt inproc.uprobe_functions)" = 2 ] ||
	err "info says inproc.uprobe_functions '$(info_field hy.hwt inproc.uprobe_functions)', want 2"
why=$(info_field hy.hwt inproc.refusals)
case "$why" in
*"1 shorter than"*"1 a branch"* | *"1 a branch"*"1 shorter than"*) ;;
*) err "info says inproc.refusals '$why', want one too short and one jumped into" ;;
esac
lost=$(info_field hy.hwt lost)
[ "${lost%% *}" = 0 ] || err "info says lost '$lost'"
hw_ok export -o hy.json hy.hwt
py "$CHROME_SLICES"'
import sys, collections
slices, _, left_open = chrome_slices(sys.argv[1])
check(not left_open, "chrome: slices left open: %s" % left_open)
check(len(slices) == 1, "chrome: slices on %d threads, want 1" % len(slices))
for k, sl in slices.items():
    where = collections.Counter((s["name"], ";".join(s["stack"])) for s in sl)
    print("# chrome: thread %s: %s" % (k, dict(where)))
    want = {("main", ""): 1, ("outer", "main"): 20, ("tiny", "main;outer"): 20,
            ("tiny", "main"): 10, ("loopy", "main;outer"): 20}
    check(where == want, "chrome: slices by stack %s, want %s" % (dict(where), want))
done()
' hy.json || err "chrome slices (see above)"

note "list PROG says which functions the patcher takes, and why not the others"
hw_ok list "$PROGS/hybrid"
grep -q "^inproc in .*hybrid:" hw.out || err "list says nothing on inproc: $(head -c 600 hw.out)"
grep -Eq "^    1 shorter than" hw.out || err "list does not count tiny as too short"
grep -Eq "^    1 a branch in the function jumps into" hw.out || err "list does not count loopy as jumped into"

note "-b inproc:uprobes=off: the refused functions stay untraced, counted"
hw_ok record -q -b inproc:uprobes=off -o off.hwt -- "$PROGS/hybrid"
[ "$(info_field off.hwt inproc.uprobe_functions)" = 0 ] ||
	err "uprobes=off: inproc.uprobe_functions '$(info_field off.hwt inproc.uprobe_functions)'"
[ "$(info_field off.hwt inproc.refused)" = 2 ] ||
	err "uprobes=off: inproc.refused '$(info_field off.hwt inproc.refused)', want 2"
[ "$(info_field off.hwt slices)" = 21 ] ||
	err "uprobes=off: slices '$(info_field off.hwt slices)', want 21 (main, outer)"

note "a library loaded with dlopen is patched when it is loaded, again after dlclose"
hw_ok record -q -b inproc -F 'libz.so*:crc32' -o dl.hwt -- "$PROGS/dlcrc"
[ "$(cat hw.out)" = 5fca28af ] || err "dlcrc printed '$(head -c 100 hw.out)', want 5fca28af"
hw_ok report dl.hwt
[ "$(awk '$NF == "crc32" { print $(NF - 1) }' hw.out)" = 150 ] ||
	err "report: crc32 called '$(awk '$NF == "crc32" { print $(NF - 1) }' hw.out)' times, want 150"

note "a static program: nothing can be preloaded, every function through uprobes, said"
hw_ok record -b inproc -F fib -o st.hwt -- "$PROGS/fib_static" 10
[ "$(cat hw.out)" = 55 ] || err "fib_static 10 printed '$(head -c 100 hw.out)', want 55"
grep -q "statically linked" hw.err || err "record did not say the program is static: $(head -c 300 hw.err)"
[ "$(info_field st.hwt slices)" = 177 ] ||
	err "static: slices '$(info_field st.hwt slices)', want 177 (the calls of fib)"
[ "$(info_field st.hwt inproc.uprobe_functions)" = 1 ] ||
	err "static: inproc.uprobe_functions '$(info_field st.hwt inproc.uprobe_functions)', want 1"
finish

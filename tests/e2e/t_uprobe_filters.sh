# What -F, -N, -D and --min-duration keep, checked on the Chrome JSON (python3 json), every
# recording exactly nested. fib.c with 10 calls fib 177 times (2*fib(11)-1), nested 10 deep
# under main, and fib(10) calls fib(9) and fib(8): -F fib traces the 177 fib calls and no main;
# -N fib leaves main alone; -D 3 keeps main, the outermost fib and its two callees. With 20 and
# --min-duration 1ms every slice shown lasts 1 ms or more (main does: 21,891 traced calls).
# sort.c with -F 'libc.so*:qsort' adds the one qsort call of libc around the cmp_int calls the
# program counts and prints.
BACKEND=${BACKEND:-uprobe} # t_inproc_filters.sh runs this file with -b inproc
need python3


# CHECK_ONE: python that reads the recording of one thread for the snippets of `filtered`: sl
# (its slices, from chrome_slices), names (how many slices of each name), printed (what the
# program printed) and what (the case's label).
CHECK_ONE='
import sys, collections
what, path, printed = sys.argv[1], sys.argv[2], sys.argv[3]
slices, _, left_open = chrome_slices(path, what)
check(not left_open, "%s: slices left open: %s" % (what, left_open))
check(len(slices) <= 1, "%s: slices on %d threads, want 1" % (what, len(slices)))
sl = next(iter(slices.values()), [])
names = collections.Counter(s["name"] for s in sl)
print("# %s: %s" % (what, dict(names)))
'

# filtered NAME PYTHON ARGS...: records `-b $BACKEND ARGS` (options, --, the program) into
# NAME.hwt, exports NAME.json and runs CHECK_ONE then PYTHON on it.
filtered()
{
	local name=$1 code=$2
	shift 2
	note "---- $name: $*"
	hw_ok record -q -b "$BACKEND" -o "$name.hwt" "$@"
	cp hw.out "$name.out"
	[ "$(info_field "$name.hwt" status)" = complete ] || err "$name: info status is not complete"
	hw_ok export -o "$name.json" "$name.hwt"
	py "$CHROME_SLICES$CHECK_ONE$code
done()" "$name" "$name.json" "$(cat "$name.out")" || err "$name (see above)"
}

filtered only-fib '
check(names == {"fib": 177}, "%s: want 177 fib and nothing else" % what)
outer = [s for s in sl if s["depth"] == 1]
check(len(outer) == 1, "%s: %d outermost slices, want 1" % (what, len(outer)))
check(max(s["depth"] for s in sl) == 10, "%s: fib nested %d deep, want 10"
      % (what, max(s["depth"] for s in sl)))
' -F fib -- "$PROGS/fib" 10

filtered not-fib '
check(names == {"main": 1}, "%s: want main alone" % what)
' -N fib -- "$PROGS/fib" 10

filtered depth-3 '
depths = sorted((s["depth"], s["name"]) for s in sl)
check(depths == [(1, "main"), (2, "fib"), (3, "fib"), (3, "fib")],
      "%s: (depth, name) %s, want main, fib under it and the two fib under that" % (what, depths))
' -D 3 -- "$PROGS/fib" 10

filtered min-duration '
short = [s for s in sl if s["end"] - s["start"] < 1000000]
check(not short, "%s: %d slices shorter than 1 ms, e.g. %s" % (what, len(short), short[:3]))
check(names["main"] == 1, "%s: main (21,891 traced calls) is not shown" % what)
check(set(names) <= {"main", "fib"}, "%s: slices named %s" % (what, sorted(names)))
' --min-duration 1ms -- "$PROGS/fib" 20

filtered libc-qsort '
ncmp = int(printed) if printed.isdigit() else -1
check(names == {"main": 1, "sort_all": 1, "qsort": 1, "cmp_int": ncmp},
      "%s: want main, sort_all and qsort once, cmp_int %d times" % (what, ncmp))
bad = [s for s in sl if s["name"] == "cmp_int" and s["stack"] != ["main", "sort_all", "qsort"]]
check(not bad, "%s: %d cmp_int not under main;sort_all;qsort, e.g. under %s"
      % (what, len(bad), ";".join(bad[0]["stack"]) if bad else ""))
q = [s for s in sl if s["name"] == "qsort"]
check(q and q[0]["stack"] == ["main", "sort_all"], "%s: qsort not under main;sort_all" % what)
' -F 'libc.so*:qsort' -- "$PROGS/sort"
finish

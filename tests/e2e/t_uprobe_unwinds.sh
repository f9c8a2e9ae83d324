# Calls that never return normally, and calls made back from a library. jump.c longjmps out of
# level1 -> level2 -> level3 into main 5 times, then calls after_jump (returns normally);
# throw.cc throws through outer -> middle -> thrower into main 5 times, then calls after_catch;
# sort.c sorts with qsort, which calls cmp_int back (the program prints how many times).
# Recorded with -b uprobe: every count exact; each program's output and exit status unchanged;
# the Chrome JSON (python3 json) exactly nested on every thread (every E closes the B on top,
# same name), after_jump / after_catch / cmp_int under the right callers (the unwound frames
# are closed, not left open around them), no slice going past the process's exit; and the
# calls without a return are exactly those on the longjmp / throw paths (report's
# "(N unfinished)" and inspect's "no return seen").
BACKEND=${BACKEND:-uprobe} # t_inproc_unwinds.sh runs this file with -b inproc
need python3


# check_prog PROG OUTPUT SPEC: records PROG, wants it to print OUTPUT ("" for any number, given
# to the checks as $n) and checks SPEC: "name:calls:unfinished:caller;caller..." items separated
# by spaces, where calls may be "n", the number the program printed.
check_prog()
{
	local prog=$1 want=$2 spec=$3 printed
	note "---- $prog"
	hw_ok record -q -b "$BACKEND" -o "$prog.hwt" -- "$PROGS/$prog"
	printed=$(cat hw.out)
	if [ -n "$want" ]; then
		[ "$printed" = "$want" ] || err "$prog printed '$(head -c 100 hw.out)', want $want"
	else
		[[ "$printed" =~ ^[0-9]+$ ]] || err "$prog printed '$(head -c 100 hw.out)', want a count"
	fi
	[ "$(info_field "$prog.hwt" status)" = complete ] || err "$prog: info status is not complete"
	[ "$(info_field "$prog.hwt" exit)" = "status 0" ] ||
		err "$prog: info says exit '$(info_field "$prog.hwt" exit)', want status 0"
	local lost
	lost=$(info_field "$prog.hwt" lost)
	[ "${lost%% *}" = 0 ] || err "$prog: info says lost '$lost'"
	hw_ok export -o "$prog.json" "$prog.hwt"
	hw_ok report -n 0 "$prog.hwt"
	mv hw.out "$prog.report"
	hw_ok inspect "$prog.hwt"
	mv hw.out "$prog.inspect"

	py "$CHROME_SLICES"'
import sys, re, collections
prog, jpath, rpath, ipath, printed, spec = sys.argv[1:7]
want = {}
for item in spec.split():
    name, calls, unfinished, stack = item.split(":")
    want[name] = (int(printed) if calls == "n" else int(calls), int(unfinished),
                  stack.split(";") if stack else [])

slices, instants, left_open = chrome_slices(jpath, prog)
check(not left_open, "%s: chrome: slices left open: %s" % (prog, left_open))
check(len(slices) == 1, "%s: chrome: slices on %d threads, want 1" % (prog, len(slices)))
for k, sl in slices.items():
    got = collections.Counter(fn(s["name"]) for s in sl)
    print("# %s: chrome: thread %s: %s" % (prog, k, dict(got)))
    check(set(got) == set(want), "%s: chrome: functions %s, want %s"
          % (prog, sorted(got), sorted(want)))
    for name, (calls, unfinished, stack) in want.items():
        check(got[name] == calls, "%s: chrome: %d %s slices, want %d" % (prog, got[name], name, calls))
        marked = sum(1 for s in sl if fn(s["name"]) == name and s["args"].get("unfinished") is True)
        check(marked == unfinished, "%s: chrome: %d %s slices marked unfinished, want %d"
              % (prog, marked, name, unfinished))
        bad = [s for s in sl if fn(s["name"]) == name and [fn(x) for x in s["stack"]] != stack]
        check(not bad, "%s: chrome: %d of the %s slices are not under %s, e.g. under %s" %
              (prog, len(bad), name, ";".join(stack) or "nothing",
               ";".join(bad[0]["stack"]) if bad else ""))
    # The process exit (an instant "exit N") is the last thing of the thread: nothing ends later.
    exits = [round(e["ts"] * 1000) for e in instants.get(k, []) if e["name"].startswith("exit")]
    if check(len(exits) == 1, "%s: chrome: %d exit instants on %s, want 1" % (prog, len(exits), k)):
        late = [s for s in sl if s["end"] > exits[0]]
        check(not late, "%s: chrome: %d slices end after the exit, e.g. %s"
              % (prog, len(late), late[:1]))

# report: "(N unfinished)" after the function name, exactly for the unwound calls.
rows = {}
for line in open(rpath):
    m = re.match(r"^ .*\s(\d+)  (\S+)(?: \((\d+) unfinished\))?$", line.rstrip("\n"))
    if m:
        rows[fn(m.group(2))] = (int(m.group(1)), int(m.group(3) or 0))
for name, (calls, unfinished, _) in want.items():
    check(rows.get(name) == (calls, unfinished), "%s: report: %s has (calls, unfinished) %s, want %s"
          % (prog, name, rows.get(name), (calls, unfinished)))

# inspect: "f(); /* no return seen */" or "} /* f: no return seen */", exactly for the unwound.
noret = collections.Counter()
for line in open(ipath):
    if "no return seen" not in line:
        continue
    body = line.split("| ", 1)[1].strip()
    m = re.match(r"^\} /\* (.+): no return seen \*/$", body) or \
        re.match(r"^(.+?)(?:\(\))?; /\* no return seen \*/$", body)
    if check(m, "%s: inspect: cannot read %r" % (prog, line)):
        noret[fn(m.group(1))] += 1
for name, (_, unfinished, _) in want.items():
    check(noret[name] == unfinished, "%s: inspect: %d %s calls with no return seen, want %d"
          % (prog, noret[name], name, unfinished))
done()
' "$prog" "$prog.json" "$prog.report" "$prog.inspect" "${printed:-0}" "$spec" ||
		err "$prog (see above)"
}

# jump prints the sum of after_jump(i) = 2 * (1 + ... + 5).
check_prog jump 30 "main:1:0: level1:5:5:main level2:5:5:main;level1 \
level3:5:5:main;level1;level2 after_jump:5:0:main"
# throw prints how many times it caught.
check_prog throw 5 "main:1:0: outer:5:5:main middle:5:5:main;outer thrower:5:5:main;outer;middle \
after_catch:5:0:main"
check_prog sort "" "main:1:0: sort_all:1:0:main cmp_int:n:0:main;sort_all"
finish

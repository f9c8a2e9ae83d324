# many.c defines 1,000 functions f0..f999 and main calls each once, in order. Recorded with
# -b uprobe (all of them traced): `info` says 1,001 functions were attached (f* and main), and
# the Chrome JSON (python3 json) holds exactly one slice of each f0..f999, each directly under
# the one main, and nothing else.
BACKEND=${BACKEND:-uprobe} # t_inproc_many.sh runs this file with -b inproc
need python3

hw_ok record -q -b "$BACKEND" -o many.hwt -- "$PROGS/many"
[ "$(cat hw.out)" = 499500 ] || err "many printed '$(head -c 100 hw.out)', want 499500"
[ "$(info_field many.hwt status)" = complete ] || err "info status is not complete"
[ "$(info_field many.hwt $BACKEND.functions)" = 1001 ] ||
	err "info says $BACKEND.functions '$(info_field many.hwt $BACKEND.functions)', want 1001"
lost=$(info_field many.hwt lost)
[ "${lost%% *}" = 0 ] || err "info says lost '$lost'"
hw_ok export -o many.json many.hwt

py '
import sys, collections
evs = [e for e in load_chrome(sys.argv[1]) if e.get("ph") in ("B", "E", "X")]
threads = {(e["pid"], e["tid"]) for e in evs}
check(len(threads) == 1, "chrome: slices on %d threads, want 1" % len(threads))
# main is the one B/E pair around everything; each f is a call without callees (X, or B and E
# next to each other).
opened, fs, other = [], [], []
for e in evs:
    if e["ph"] == "B":
        opened.append(e["name"])
        if e["name"] != "main":
            fs.append((e["name"], len(opened)))
    elif e["ph"] == "E":
        check(opened and opened[-1] == e["name"], "chrome: E %r does not close %s"
              % (e["name"], opened[-1:]))
        opened = opened[:-1]
    else:
        fs.append((e["name"], len(opened) + 1))
mains = [e for e in evs if e["name"] == "main"]
check([e["ph"] for e in mains] == ["B", "E"], "chrome: main events %s, want B then E"
      % [e["ph"] for e in mains])
names = [n for n, _ in fs]
count = collections.Counter(names)
print("# chrome: %d f slices, %d distinct" % (len(names), len(count)))
want = {"f%d" % i for i in range(1000)}
check(len(names) == 1000 and set(names) == want, "chrome: the f slices are not f0..f999 once each: "
      "%d slices, %d distinct, repeated %s, missing %s, others %s"
      % (len(names), len(count), [n for n, c in count.items() if c > 1][:5],
         sorted(want - set(names))[:5], sorted(set(names) - want)[:5]))
check(all(d == 2 for _, d in fs), "chrome: an f slice is not directly under main")
check(not opened, "chrome: slices left open: %s" % opened)
done()
' many.json || err "one slice per function (see above)"
finish

# stl_o2 (tests/programs/opt/stl.cc, C++ built -O2 -g) spends its time in std::map::find, which the
# compiler inlines into lookups(), and in std::sort, inlined into sort_values(). Recorded with
# -g dwarf, go tool pprof -traces must show the inlined functions as frames of their own between
# the function they were inlined into and what they call, as the source nests them, each named
# "... (inlined)" as perf names them; the functions they were inlined into are not.
need go python3

prog="$PROGS/stl_o2"
[ -x "$prog" ] || fail "$prog is missing: make programs"
for cg in dwarf fp; do
	note "---- -g $cg"
	hw_ok record -q -b sample --freq 4000 -g "$cg" -o "stl-$cg.hwt" -- "$prog" 3
	hw_ok export -o "stl-$cg.pb.gz" "stl-$cg.hwt"
	go tool pprof -symbolize=none -sample_index=samples -traces "stl-$cg.pb.gz" \
		>"stl-$cg.traces" 2>pprof.err ||
		fail "go tool pprof -traces cannot read stl-$cg.pb.gz: $(head -c 300 pprof.err)"
	py '
import sys, re
path, cg = sys.argv[1], sys.argv[2]

def short(name):
    """std::_Rb_tree<...>::find(unsigned int const&) const -> std::_Rb_tree::find"""
    out, depth = [], 0
    for ch in name:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    words = "".join(out).replace(" const", "").split()
    return words[-1] if words else name

traces, total, marks = [], 0, {}
for block in open(path).read().split("-----------+")[1:]:
    lines = [l for l in block.splitlines()
             if l.strip() and not l.strip().startswith(("thread:", "---"))]
    if not lines:
        continue
    m = re.match(r"^\s*(\d+)\s+(.*)$", lines[0])
    if not check(m, "%s: no count on %r" % (cg, lines[0])):
        continue
    raw = [m.group(2).strip()] + [l.strip() for l in lines[1:]]
    frames = [short(f) for f in raw]
    traces.append((int(m.group(1)), frames))
    for f, r in zip(frames, raw):
        marks.setdefault(f, set()).add(r.endswith(" (inlined)"))
    total += int(m.group(1))

def has_run(frames, run):
    return any(frames[i:i + len(run)] == run for i in range(len(frames)))

# Innermost first, as -traces prints them.
want = {
    "find": ["std::_Rb_tree::_M_lower_bound", "std::_Rb_tree::find", "std::map::find",
             "lookups", "main"],
    "sort": ["std::__introsort_loop", "std::__sort", "std::sort", "sort_values", "main"],
}
for what, run in want.items():
    n = sum(c for c, f in traces if has_run(f, run))
    print("# %s: %d of %d samples have %s" % (cg, n, total, " <- ".join(run)))
    check(n > 0, "%s: no trace has %s" % (cg, " <- ".join(run)))
for fn in ("std::map::find", "std::_Rb_tree::find", "std::_Rb_tree::_M_lower_bound",
           "std::sort", "std::__sort"):
    check(marks.get(fn) == {True}, "%s: %s is not always marked (inlined): %s"
          % (cg, fn, marks.get(fn)))
for fn in ("lookups", "sort_values", "std::__introsort_loop", "main"):
    check(marks.get(fn) == {False}, "%s: %s is marked (inlined)" % (cg, fn))
inlk = sum(c for c, f in traces if "lookups" in f)
viafind = sum(c for c, f in traces if has_run(f, ["std::map::find", "lookups"]))
print("# %s: %d samples in lookups, %d of them in std::map::find" % (cg, inlk, viafind))
check(inlk >= 0.3 * total, "%s: only %d of %d samples in lookups" % (cg, inlk, total))
check(viafind >= 0.7 * inlk, "%s: only %d of the %d samples in lookups are in std::map::find"
      % (cg, viafind, inlk))
bad = [f for c, f in traces if "std::map::find" in f and not has_run(f, ["std::map::find", "lookups"])]
check(not bad, "%s: std::map::find called from elsewhere than lookups: %s" % (cg, bad[:1]))
done()
' "stl-$cg.traces" "$cg" || err "-g $cg: inlined frames (see above)"
done
finish

# sigwork spins in interrupted() while a timer signal runs handler_work() from its handler. A
# signal handler returns to libc's sigreturn trampoline (__restore_rt), which no call precedes:
# the checked frame-pointer walk must keep it and go on into the interrupted program, so that go
# tool pprof -traces shows handler_work <- handler <- __restore_rt <- ... <- main.
need go python3

hw_ok record -q -b sample --freq 4000 -o sig.hwt -- "$PROGS/sigwork" 300000000
hw_ok export -o sig.pb.gz sig.hwt
go tool pprof -symbolize=none -sample_index=samples -traces sig.pb.gz >sig.traces 2>pprof.err ||
	fail "go tool pprof -traces cannot read sig.pb.gz: $(head -c 300 pprof.err)"
py '
import re, sys
inh, through, total = 0, 0, 0
for block in open(sys.argv[1]).read().split("-----------+")[1:]:
    lines = [l.strip() for l in block.splitlines()
             if l.strip() and not l.strip().startswith(("thread:", "---"))]
    if not lines:
        continue
    m = re.match(r"^(\d+)\s+(.*)$", lines[0])
    if not check(m, "no count on %r" % lines[0]):
        continue
    n, frames = int(m.group(1)), [m.group(2)] + lines[1:]
    total += n
    if "handler_work" in frames:
        inh += n
        i = frames.index("handler_work")
        if frames[i + 1:i + 3] == ["handler", "__restore_rt"] and "main" in frames[i + 3:]:
            through += n
print("# %d samples, %d in handler_work, %d of them under handler <- __restore_rt <- ... main"
      % (total, inh, through))
check(inh >= 20, "only %d samples in handler_work" % inh)
check(through >= 0.9 * inh, "%d of %d samples in handler_work reach main through __restore_rt"
      % (through, inh))
done()
' sig.traces || err "signal frames (see above)"
finish

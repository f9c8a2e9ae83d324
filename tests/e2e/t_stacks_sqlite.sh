# Debian's sqlite3 and libsqlite3 are built without frame pointers: the kernel's frame-pointer
# walk follows %rbp through their code and returns garbage (perf shows it as [unknown] frames;
# hwtrace showed stacks 128 frames deep). On the same workload, with the default -g, no stack of
# ours may be deeper in user frames than perf's deepest + 2 (inlined frames, which perf here does
# not show, not counted), and no frame may be [unknown]: a return address outside every mapping
# ends the chain.
need sqlite3 perf go python3

cat >work.sql <<'SQL'
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
BEGIN;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000)
  INSERT INTO t SELECT x, printf('%08d-%s', x * 7919 % 100003, hex(x * 2654435761 % 4294967296)), x * 1.5 FROM c;
COMMIT;
CREATE INDEX tb ON t(b);
SELECT count(*) FROM t a JOIN t b ON a.b = b.b;
SELECT count(*) FROM (SELECT b FROM t ORDER BY c DESC);
SELECT avg(length(b)), max(c) FROM t WHERE b GLOB '*1*2*';
SQL
sqlite3 :memory: <work.sql >expected.out || fail "sqlite3 cannot run the workload"

hw_ok record -q -b sample --freq 4000 -o sq.hwt -- sqlite3 :memory: <work.sql
cmp -s hw.out expected.out || err "sqlite3's output differs under hwtrace"
hw_ok export -o sq.pb.gz sq.hwt
go tool pprof -symbolize=none -sample_index=samples -traces sq.pb.gz >sq.traces 2>pprof.err ||
	fail "go tool pprof -traces cannot read sq.pb.gz: $(head -c 300 pprof.err)"

perf record -q -g -F 4000 -o perf.data -- sqlite3 :memory: <work.sql >perf.out 2>perf.err ||
	fail "perf record failed: $(head -c 300 perf.err)"
perf script -i perf.data -F ip,sym >perf.script 2>perf.err ||
	fail "perf script failed: $(head -c 300 perf.err)"

py '
import re, sys
ours_path, perf_path = sys.argv[1], sys.argv[2]

# perf script: samples are blocks of "ADDR SYMBOL" lines; user addresses are below the kernel half.
perf_max, perf_n, depth = 0, 0, 0
for line in open(perf_path, errors="replace"):
    f = line.split()
    if not f:
        if depth:
            perf_n += 1
        perf_max, depth = max(perf_max, depth), 0
        continue
    if re.match(r"^[0-9a-f]+$", f[0]) and int(f[0], 16) < 0x800000000000:
        depth += 1
perf_max = max(perf_max, depth)

ours_max, total, unknown, deepest = 0, 0, 0, []
for block in open(ours_path).read().split("-----------+")[1:]:
    lines = [l.strip() for l in block.splitlines()
             if l.strip() and not l.strip().startswith(("thread:", "---"))]
    if not lines:
        continue
    m = re.match(r"^(\d+)\s+(.*)$", lines[0])
    if not check(m, "no count on %r" % lines[0]):
        continue
    frames = [m.group(2)] + lines[1:]
    total += int(m.group(1))
    unknown += int(m.group(1)) * sum(f == "[unknown]" for f in frames)
    user = [f for f in frames if f != "[kernel]" and not f.endswith(" (inlined)")]
    if len(user) > ours_max:
        ours_max, deepest = len(user), user
print("# perf: %d samples, deepest %d user frames; ours: %d samples, deepest %d: %s"
      % (perf_n, perf_max, total, ours_max, ";".join(f[:40] for f in reversed(deepest))))
check(total >= 100 and perf_n >= 100, "too few samples: ours %d, perf %d" % (total, perf_n))
check(ours_max <= perf_max + 2, "a stack of %d user frames, perf deepest %d: %s"
      % (ours_max, perf_max, ";".join(reversed(deepest))))
check(unknown == 0, "%d [unknown] frames in our stacks" % unknown)
done()
' sq.traces perf.script || err "stack depths (see above)"
finish

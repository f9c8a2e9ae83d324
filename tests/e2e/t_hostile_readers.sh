# Hostile recordings, built here by tests/e2e/forge.py: a sample whose user-stack size ends the
# record, samples copying fewer registers than a full set, fields left unaligned by a RAW or a
# stack of odd size, a mapping that names a FIFO, and chunks that decompress into millions of
# entries. Each must be read to its end without a crash, a hang, a temporary file left behind or
# unbounded memory; damaged samples are counted in `info`.
need python3 zstd timeout
export PYTHONPATH="$(dirname "$E2E_LIB")"

mkfifo fifo || fail "cannot make a FIFO"
python3 - "$PWD/fifo" <<'PY' || fail "cannot forge the recordings"
import struct, sys
from forge import *

IP, TID, TIME, RAW, REGS, STACK, IDENT = 0x1, 0x2, 0x4, 0x400, 0x1000, 0x2000, 0x10000
FULL, FP3 = 0xff01ff, 0x1c0          # all 17 user registers; bp, sp, ip only
BASE, PID = 0x400000, 4242
fifo = sys.argv[1].encode()

def rec(rtype, body):
    return struct.pack("<IHH", rtype, 0, 8 + len(body)) + body

def sample(ev_id, fields):
    return rec(9, struct.pack("<Q", ev_id) + fields)   # PERF_RECORD_SAMPLE, IDENTIFIER first

def head(ts):
    return struct.pack("<QIIQ", BASE + 0x10, PID, PID, ts)     # IP, TID, TIME

def regs(mask, ip, sp):
    n = bin(mask).count("1")
    vals = [0] * n
    if mask == FULL:
        vals[6], vals[7], vals[8] = sp + 16, sp, ip    # bp, sp, ip in perf_regs order
    else:
        vals = [sp + 16, sp, ip]
    return struct.pack("<Q", 2) + struct.pack("<%dQ" % n, *vals)

def stack(size, dyn=None):
    body = bytes(size)
    return struct.pack("<Q", size) + body + struct.pack("<Q", size if dyn is None else dyn)

mmap2 = rec(10, struct.pack("<IIQQQIIQQII", PID, PID, BASE, 0x10000, 0, 0, 0, 0, 0, 5, 2)
            + fifo + b"\0" * (8 - len(fifo) % 8) + struct.pack("<QQQ", PID | PID << 32, 1, 1))
ST = IDENT | IP | TID | TIME | REGS | STACK
descs = (event_desc(1, ST, regs_user=FULL, stack_user=64)
         + event_desc(2, ST, regs_user=FP3, stack_user=64, name=b"fp", plugin=b"x")
         + event_desc(3, IDENT | IP | TID | TIME | RAW, name=b"raw", plugin=b"x"))
ring = (mmap2
        + sample(1, head(10) + regs(FULL, BASE + 0x10, 0x7ff000) + stack(64))        # good
        + sample(2, head(11) + regs(FP3, BASE + 0x20, 0x7ff000) + stack(64))         # good, 3 regs
        + sample(1, head(12) + regs(FULL, BASE + 0x10, 0x7ff000) + struct.pack("<Q", 4096))  # size ends it
        + sample(1, head(13) + regs(FULL, BASE + 0x10, 0x7ff000) + struct.pack("<Q", 12) + bytes(12) + bytes(4) + struct.pack("<Q", 12))  # odd stack size
        + sample(3, head(14) + struct.pack("<I", 5) + bytes(5) + bytes(7)))          # odd RAW size
items = item(100, ITEM_RING, ring)
meta = lambda k, v: chunk(CHUNK_META, k + b"\0" + v + b"\0")
hostile = (header() + meta(b"pid", str(PID).encode()) + chunk(CHUNK_EVENTS, descs)
           + chunk(CHUNK_STREAM, items) + chunk(CHUNK_END, end_rec(200, PID)))
open("hostile.hwt", "wb").write(hostile)

# 24 chunks of 64 MiB, each of 1.6 M readings with one timestamp, zstd-compressed to a few KiB.
one = item(1000, ITEM_READ, bytes(8), ident=7)
bomb = header() + chunk(CHUNK_EVENTS, event_desc(7, 0x10086))
big = chunk(CHUNK_STREAM, one * (64 * 1024 * 1024 // len(one) - 1), compress=True)
open("bomb.hwt", "wb").write(bomb + big * 24)
PY

# no_crash NAME: the last command's exit status ($HW_RC) and stderr (hw.err) show no crash.
no_crash()
{
	[ "$HW_RC" -lt 124 ] || err "$1: exit status $HW_RC (crash or hang)"
	grep -Eq 'Sanitizer|runtime error|Segmentation|core dumped|Aborted' hw.err &&
		err "$1: a crash or sanitizer report: $(head -c 300 hw.err)"
	return 0
}

# hwt ARGS...: hwtrace ARGS under a timeout (a FIFO opened for reading would block forever).
hwt()
{
	echo "\$ hwtrace $*"
	timeout -k 5 60 "$HWTRACE" "$@" >hw.out 2>hw.err </dev/null
	HW_RC=$?
}

hwt info hostile.hwt
no_crash info
[ "$HW_RC" -eq 0 ] || err "info hostile.hwt: exit $HW_RC: $(cat hw.err)"
cat hw.out
grep -Eq '^samples +2$' hw.out || err "info: want the 2 good samples, got: $(grep ^samples hw.out)"
grep -Eq '^damaged records +3 ' hw.out ||
	err "info: want 3 damaged records counted, got: $(grep ^damaged hw.out)"

for f in json pb.gz folded; do
	hwt export -o "out.$f" hostile.hwt
	no_crash "export $f"
	[ "$HW_RC" -eq 0 ] || err "export out.$f: exit $HW_RC: $(cat hw.err)"
done
python3 -c 'import json,sys; json.load(open("out.json"))' || err "out.json is not JSON"
hwt report hostile.hwt
no_crash report
[ "$HW_RC" -eq 0 ] || err "report: exit $HW_RC: $(cat hw.err)"
hwt inspect hostile.hwt
no_crash inspect
leftover=$(ls -A | grep -E '\.tmp|\.rec\.' || true)
[ -z "$leftover" ] || err "temporary files left behind: $leftover"

# The bomb: 24 chunks of 1.6 M waiting entries each; memory stays bounded by one chunk's worth
# (2.6 GB before, growing with each chunk). ASan's redzones and quarantine weigh on top.
limit=409600
if ldd "$HWTRACE" 2>/dev/null | grep -c libasan >/dev/null; then
	limit=1048576
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"
fi
echo "\$ hwtrace info bomb.hwt ($(stat -c %s bomb.hwt) bytes)"
/usr/bin/time -v -o time.txt timeout -k 5 120 "$HWTRACE" info bomb.hwt >hw.out 2>hw.err
HW_RC=$?
no_crash "info bomb"
rss=$(awk -F': ' '/Maximum resident/ {print $2}' time.txt)
note "info bomb.hwt: exit $HW_RC, max RSS $rss KiB"
[ -n "$rss" ] && [ "$rss" -lt $limit ] || err "info bomb.hwt: max RSS ${rss:-?} KiB, want < $limit KiB"
[ "$HW_RC" -eq 0 ] || [ "$(wc -l <hw.err)" -eq 1 ] ||
	err "info bomb.hwt: exit $HW_RC with $(wc -l <hw.err) lines on stderr, want one"
finish

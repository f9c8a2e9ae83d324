# Bad input of every kind: each must give exactly one line on stderr starting "hwtrace: " that
# names what was wrong (a pattern per case), a non-zero exit status that is not a crash (< 128,
# no sanitizer report), and leave no file behind (the directory listing is the same before and
# after).
need python3

mkdir w
cd w || fail "cannot enter w"

# Fixtures, made before any listing is taken.
"$HWTRACE" record -q -o good.hwt -- "$PROGS/hot" 1000000 >/dev/null 2>../fixture.err ||
	fail "cannot record the fixture good.hwt: $(cat ../fixture.err)"
"$HWTRACE" record -q -b sample -o samples.hwt -- "$PROGS/hot" 1000000 >/dev/null 2>../fixture.err ||
	fail "cannot record the fixture samples.hwt: $(cat ../fixture.err)"
python3 - <<'EOF' || fail "cannot make the corrupt fixtures"
import random
good = open("good.hwt", "rb").read()
open("random.hwt", "wb").write(bytes(random.Random(7).getrandbits(8) for _ in range(8192)))
flipped = bytearray(good)
for i in range(44, 52):          # inside the first chunk, after the 16-byte file header
    flipped[i] ^= 0xFF
open("flipped.hwt", "wb").write(bytes(flipped))
open("trunc.hwt", "wb").write(good[:20])
open("empty.hwt", "wb").close()
open("notes.txt", "w").write("these are notes, not a recording\n" * 20)
EOF
printf '#!/bin/sh\necho should not run\n' >notexec.sh
chmod 644 notexec.sh
mkdir adir outdir.hwt outdir.json

ncases=0
# bad NAME REGEX ARGS...: hwtrace ARGS must break the error contract nowhere (lib.sh).
bad()
{
	bad_input "$@"
}

hot="$PROGS/hot"
bad no-program 'no program' record -o out.hwt
bad no-program-after-dashes 'no program' record -o out.hwt --
bad program-not-found 'no-such-program.*not found' record -o out.hwt -- ./no-such-program
bad program-not-in-path 'no-such-program-e2e.*not found' record -o out.hwt -- no-such-program-e2e
bad not-executable 'notexec\.sh.*not executable' record -o out.hwt -- ./notexec.sh
bad directory-as-program 'adir.*directory' record -o out.hwt -- ./adir
bad unknown-option-record '(unknown|bad|not known|unrecognized|invalid).*--no-such-option' record --no-such-option -o out.hwt -- "$hot" 1000
bad unknown-option-export '(unknown|not known|unrecognized|invalid).* -x|-x.*(not known|unknown|unrecognized|invalid)' export -x good.hwt
bad missing-value-o '-o.* (needs a value|requires an argument)' record -o
bad missing-value-freq '--freq.* (needs a value|requires an argument)' record --freq
bad missing-value-f '-f.* (needs a value|requires an argument)' export good.hwt -f
bad unknown-command 'frobnicate' frobnicate good.hwt
bad unknown-extension-record 'out\.txt' record -o out.txt -- "$hot" 1000
bad unknown-extension-export 'out\.xyz' export -o out.xyz good.hwt
bad unknown-format 'nosuchformat' export -f nosuchformat -o out.bin good.hwt
bad unknown-event 'nosuchevent' record -e nosuchevent -o out.hwt -- "$hot" 1000
bad unknown-backend 'nosuchbackend' record -b nosuchbackend -o out.hwt -- "$hot" 1000
bad unknown-call-graph 'nosuchmode' record -g nosuchmode -o out.hwt -- "$hot" 1000
if "$HWTRACE" list 2>/dev/null | grep -Ec '^ +hardware +no ' >/dev/null; then
	bad hardware-event-without-pmu 'cycles.*PMU' record -e cycles -o out.hwt -- "$hot" 1000
else
	note "skipped -e cycles: this machine has a hardware PMU"
fi
bad corrupt-random-export 'random\.hwt' export -o out.json random.hwt
bad corrupt-random-info 'random\.hwt' info random.hwt
bad corrupt-random-report 'random\.hwt' report random.hwt
bad corrupt-first-chunk 'flipped\.hwt' export -o out.pftrace flipped.hwt
bad truncated-20-bytes 'trunc\.hwt' export -o out.json trunc.hwt
bad empty-export 'empty\.hwt' export -o out.folded empty.hwt
bad empty-info 'empty\.hwt' info empty.hwt
bad nonexistent-export 'no-such\.hwt' export -o out.json no-such.hwt
bad nonexistent-info 'no-such\.hwt' info no-such.hwt
bad nonexistent-report 'no-such\.hwt' report no-such.hwt
bad output-is-directory-record 'outdir\.hwt.*directory' record -o outdir.hwt -- "$hot" 1000
bad output-is-directory-export 'outdir\.json.*directory' export -o outdir.json good.hwt
bad output-unwritable-record '/proc/hwtrace-e2e' record -o /proc/hwtrace-e2e.hwt -- "$hot" 1000
bad output-unwritable-export '/proc/hwtrace-e2e' export -o /proc/hwtrace-e2e.json good.hwt
bad output-dir-missing-record 'no-such-dir' record -o no-such-dir/out.hwt -- "$hot" 1000
bad output-dir-missing-export 'no-such-dir' export -o no-such-dir/out.pb.gz good.hwt
bad freq-zero '--freq 0' record --freq 0 -o out.hwt -- "$hot" 1000
bad freq-absurd '--freq 10000000' record --freq 10000000 -o out.hwt -- "$hot" 1000
bad freq-not-a-number '--freq fast' record --freq fast -o out.hwt -- "$hot" 1000
bad period-and-freq '-c/--period and --freq both given' record -c 1 --freq 1000 -o out.hwt -- \
	"$hot" 1000
bad period-and-freq-args '-c/--period and --freq both given' record -b sample:period=1,freq=10 \
	-o out.hwt -- "$hot" 1000
bad period-zero '-c 0' record -c 0 -o out.hwt -- "$hot" 1000
bad period-not-a-number '--period often' record --period often -o out.hwt -- "$hot" 1000
bad ring-not-power-of-two '3000' record -m 3000 -o out.hwt -- "$hot" 1000
bad ring-zero 'ring 0' record -m 0 -o out.hwt -- "$hot" 1000
bad ring-garbage 'lots' record -m lots -o out.hwt -- "$hot" 1000
bad unknown-view 'nosuchview' export --view nosuchview -o out.folded good.hwt
bad unknown-view-pprof 'nosuchview' export --view nosuchview -o out.pb.gz good.hwt
# samples.hwt holds samples, no traced calls: an empty table would look like an answer.
bad time-view-of-samples 'no traced calls.*-b uprobe' export --view time -o out.folded samples.hwt
bad calls-view-of-samples 'no traced calls.*-b uprobe' export --view calls -o out.svg samples.hwt
bad report-time-of-samples 'no traced calls.*-b uprobe' report --view time samples.hwt
bad export-text-file 'notes\.txt' export -o out.json notes.txt
bad two-recordings 'one recording' export -o out.json good.hwt good.hwt
note "$ncases bad inputs checked"
finish

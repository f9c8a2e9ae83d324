# Tag rules (--by tag): tagged compresses with zlib, parses with its own parse_* functions and
# writes files with write_file, in rounds, and prints each phase's CPU time as it measured it.
# With three rules (library:compress=libz, parse=^parse_, io=^write_file$) the report's and the
# folded export's tag shares of a sampled recording (CPU time, whatever the load) must be within
# 10 points of the program's own; the untagged share is reported with the frames behind it; the
# same rules from a file give the same; pprof by tag is read by go tool pprof; a traced
# recording (-b inproc, time view) gives every call of parse_line under parse. Bad rules: one line.
need python3 go

RULES=(--by tag --tag-rule 'library:compress=libz' --tag-rule 'parse=^parse_' --tag-rule 'io=^write_file$')

echo "\$ hwtrace record -q -b sample -o s.hwt -- tagged 20 ."
"$HWTRACE" record -q -b sample -o s.hwt -- "$PROGS/tagged" 20 . >own.txt 2>rec.err ||
	fail "record failed: $(head -c 300 rec.err)"
sed 's/^/  own: /' own.txt
hw_ok report "${RULES[@]}" s.hwt
cp hw.out report.txt
sed 's/^/  /' report.txt | head -30
hw_ok export -f folded "${RULES[@]}" -o s.folded s.hwt
printf '# rules\nlibrary:compress=libz\n\nparse=^parse_\nio=^write_file$\n' >rules.txt
hw_ok export -f folded --by tag --tag-rules rules.txt -o f.folded s.hwt
cmp -s s.folded f.folded || err "--tag-rules FILE gives another folded export than the same --tag-rule options"
hw_ok export -f pprof "${RULES[@]}" -o s.pb.gz s.hwt
go tool pprof -top -nodecount=10 s.pb.gz >pprof.txt 2>pprof.err ||
	err "go tool pprof cannot read the pprof by tag: $(head -c 300 pprof.err)"
for tag in compress parse io; do
	grep -q " $tag\$" pprof.txt || err "go tool pprof -top shows no $tag: $(cat pprof.txt)"
done

py '
import sys
own = dict(line.split() for line in open(sys.argv[1]))
own = {k: int(v) for k, v in own.items()}
total = sum(own.values())
want = {k: 100.0 * v / total for k, v in own.items()}
folded = {}
for line in open(sys.argv[2]):
    stack, _, v = line.rstrip().rpartition(" ")
    leaf = stack.split(";")[-1]
    folded[leaf] = folded.get(leaf, 0) + int(v)
tagged = sum(folded.get(k, 0) for k in want)
check(tagged > 0, "no tagged samples in %s" % folded)
for k, w in want.items():
    got = 100.0 * folded.get(k, 0) / max(tagged, 1)
    print("# %-8s program %5.1f%%  by tag %5.1f%%" % (k, w, got))
    check(abs(got - w) <= 10, "%s: %.1f%% by tag, the program measured %.1f%% (want +- 10)" % (k, got, w))
rows = {}
for line in open(sys.argv[3]):
    parts = line.split()
    if len(parts) == 5 and parts[0].endswith("%"):
        rows[parts[4]] = int(parts[2])
for k in want:
    check(rows.get(k) == folded.get(k), "report says %s for %s, the folded export %s" % (rows.get(k), k, folded.get(k)))
text = open(sys.argv[3]).read()
check("# untagged: " in text and "in stacks no tag rule matched" in text, "the report has no untagged line")
done()
' own.txt s.folded report.txt || err "tag shares (see above)"

note "traced: -b inproc, the time view by tag"
hw_ok record -q -b inproc -m 32M -o t.hwt -- "$PROGS/tagged" 2 .
hw_ok report "${RULES[@]}" t.hwt
sed 's/^/  /' hw.out | head -12
hw_ok report -n 0 t.hwt
# The calls column, before the name (a sanitized recorder may lose records: "parse_line (N
# unfinished)" then).
calls=$(awk '{ for (i = 2; i <= NF; i++) if ($i == "parse_line") print $(i - 1) }' hw.out)
hw_ok export -f folded --view calls "${RULES[@]}" -o calls.folded t.hwt
py '
import sys
parse = sum(int(l.rsplit(" ", 1)[1]) for l in open(sys.argv[1]) if l.rsplit(" ", 1)[0].endswith(";parse"))
check(parse >= int(sys.argv[2]) > 0, "calls under parse %d, parse_line alone made %s" % (parse, sys.argv[2]))
done()
' calls.folded "$calls" || err "calls by tag"

note "bad input"
hw report --by tag s.hwt
[ "$HW_RC" -ne 0 ] && grep -q "give the rules" hw.err || err "--by tag without rules: $(cat hw.err)"
hw report --tag-rule 'io=x' s.hwt
[ "$HW_RC" -ne 0 ] && grep -q "without --by tag" hw.err || err "rules without --by tag: $(cat hw.err)"
hw export --by tag --tag-rule 'io=(' -o bad.folded s.hwt
[ "$HW_RC" -ne 0 ] && [ ! -e bad.folded ] && [ "$(wc -l <hw.err)" -eq 1 ] ||
	err "a bad regex: want one line and no file, got $(cat hw.err)"
hw export --by tag --tag-rules nosuch.rules -o bad.folded s.hwt
[ "$HW_RC" -ne 0 ] && grep -q "nosuch.rules" hw.err || err "a missing rule file: $(cat hw.err)"
hw export --by func --tag-rule 'a=b' -o bad.folded s.hwt
[ "$HW_RC" -ne 0 ] && grep -q "only grouping is --by tag" hw.err || err "--by func: $(cat hw.err)"
finish

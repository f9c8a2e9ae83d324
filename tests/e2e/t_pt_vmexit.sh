# Instructions that exit to the hypervisor in a VM (cpuid, rdtsc, rdtscp, xgetbv) under the Intel
# PT oracle. On some hosts a single step over one of them stops one instruction late; the oracle
# then takes the straight-line code it was stepped past as executed. pt_vmexit runs each of them
# 10 times, each in a function of its own: its trace must decode to exactly the calls it made,
# stepped as this host steps (the test says whether the quirk was seen) and with the quirk made
# to happen after every such instruction (--late-stops), whose trace must be the same bytes. A
# late stop past a branch stays a hard error that names both addresses and the instruction.
need python3 cmp
source "$(dirname "$E2E_LIB")/pt_lib.sh"

want=$("$PROGS/pt_vmexit") || fail "pt_vmexit exited $? on its own"
case "$want" in
"10 cpuid rdtsc"*) ;;
*) fail "pt_vmexit printed '$want', want '10 cpuid rdtsc ...'" ;;
esac
note "pt_vmexit runs: ${want#10 }"

pt_case pt_vmexit_host pt_vmexit "$want"
seen=$(sed -n 's/^late_stops //p' pt_vmexit_host.truth)
[ -n "$seen" ] || fail "pt_vmexit_host.truth has no late_stops line"
if [ "${seen%% *}" = 0 ]; then
	note "this host: single steps stop where they should (quirk not seen)"
else
	note "this host: single steps stop one instruction late (quirk seen): $seen"
fi

pt_case pt_vmexit_late pt_vmexit "$want" --late-stops
py '
import sys
f = open("pt_vmexit_late.truth").read().split("late_stops ")[1].split("\n")[0].split()
n, by = int(f[0]), dict((k, int(v)) for k, v in (x.split(":") for x in f[1:]))
print("# --late-stops: %d late stops, %s" % (n, by))
for insn in sys.argv[1].split()[1:]:
    check(by.get(insn, 0) >= 10, "--late-stops: %d late stops after %s, the program ran it 10 "
          "times" % (by.get(insn, 0), insn))
check(n == sum(by.values()), "--late-stops: %d late stops, by instruction %s" % (n, by))
done()
' "$want" || err "the oracle did not step late after every instruction that exits to the hypervisor"
cmp pt_vmexit_host.pt pt_vmexit_late.pt ||
	err "late stops made another trace than this host's steps: they should model the same run"
diff <(grep -v -E '^(pid|late_stops) ' pt_vmexit_host.truth) \
	<(grep -v -E '^(pid|late_stops) ' pt_vmexit_late.truth) >truth.diff ||
	err "late stops made another truth than this host's steps: $(head -5 truth.diff)"

note "a late stop past a branch is an error"
"$PT_ORACLE" --late-stops -o branch.pt --truth branch.truth --images branch.images \
	-- "$PROGS/pt_vmexit" branch </dev/null >branch.out 2>branch.err
rc=$?
sed 's/^/  /' branch.err
[ $rc -eq 2 ] || err "pt_oracle --late-stops over cpuid; jmp exited $rc, want 2"
grep -q -E '^pt_oracle: unexpected control transfer 0x[0-9a-f]+ \(cpuid\) -> 0x[0-9a-f]+: the instruction at 0x[0-9a-f]+ \(jmp 0x[0-9a-f]+\) is not straight-line' branch.err ||
	err "pt_oracle did not name both addresses and the jump it cannot pass"
finish

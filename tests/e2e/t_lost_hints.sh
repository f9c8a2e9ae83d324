# What hwtrace says about lost records names what lost and counted them: -b uprobe with the
# smallest BPF ring (-m 4K) on fib 22 (57,313 calls) loses calls; the summary line's hint says
# --ring (and -F/-N), not --freq, which -b uprobe does not take; `hwtrace info` says the uprobe
# BPF program counted them, and for a sampled recording names only the kernel's counters.
need python3

"$HWTRACE" record -b uprobe -F fib -m 4K -o small.hwt -- "$PROGS/fib" 22 >/dev/null 2>rec.err ||
	fail "record failed: $(head -c 300 rec.err)"
lost=$(info_field small.hwt lost | awk '{print $1}')
line=$(grep 'recorded' rec.err)
echo "# summary: $line"
echo "# info: lost $(info_field small.hwt lost)"
if [ "${lost:-0}" -gt 0 ] 2>/dev/null; then
	grep -q 'LOST.*--ring' <<<"$line" || err "the loss hint does not say --ring: $line"
	grep -q -- '--freq' <<<"$line" && err "the loss hint of -b uprobe says --freq: $line"
else
	note "no record lost with a 4K ring on this host: the hint is not shown, only info's label checked"
fi
info_field small.hwt lost | grep -q 'uprobe BPF program' ||
	err "info's lost line does not say the uprobe BPF program counted: $(info_field small.hwt lost)"
hw_ok record -q -b sample -o s.hwt -- "$PROGS/hot" 100000
info_field s.hwt lost | grep -q 'PERF_FORMAT_LOST' ||
	err "info's lost line of a sampled recording does not name PERF_FORMAT_LOST"
info_field s.hwt lost | grep -q 'BPF' && err "info's lost line of a sampled recording names BPF"
finish

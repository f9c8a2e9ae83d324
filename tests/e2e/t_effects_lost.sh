# Effects (-P syscalls) losing records: dd bs=1 count=3000 recorded with 8 KiB stack copies into
# a 16 KiB ring loses most of its calls' records, and each is then counted in info's exact lost
# (the kernel's PERF_FORMAT_LOST of the plugin's events): instants + lost reach the calls a
# recording without stack copies into a 4 MiB ring (room for all of them, none lost) sees.

echo "\$ hwtrace record -P syscalls:stack=none -m 4M -o ref.hwt -- dd bs=1 count=3000"
"$HWTRACE" record -q -P syscalls:stack=none -m 4M -o ref.hwt -- \
	dd if=/dev/zero of=/dev/null bs=1 count=3000 >ref.out 2>&1 ||
	fail "record of the reference failed: $(head -c 300 ref.out)"
calls=$(info_field ref.hwt instants)
rlost=$(info_field ref.hwt lost)
note "reference: $calls instants, lost ${rlost:-0}"
[ "${calls:-0}" -ge 6000 ] || fail "reference: $calls instants, want the 3000 reads and 3000 writes"
[ "${rlost%% *}" = 0 ] || [ -z "$rlost" ] || fail "reference lost records: $rlost"

echo "\$ hwtrace record -P syscalls -m 16K -o tiny.hwt -- dd bs=1 count=3000"
"$HWTRACE" record -q -P syscalls -m 16K -o tiny.hwt -- \
	dd if=/dev/zero of=/dev/null bs=1 count=3000 >tiny.out 2>&1 ||
	fail "record with a 16 KiB ring failed: $(head -c 300 tiny.out)"
inst=$(info_field tiny.hwt instants)
lost=$(info_field tiny.hwt lost)
lost=${lost%% *}
rep=$(info_field tiny.hwt "lost reported")
note "16 KiB ring: ${inst:-0} instants, lost ${lost:-0} (reported ${rep:-0})"
# Every call is an instant or counted lost (the sampler's samples lost may add to lost).
[ $((${inst:-0} + ${lost:-0})) -ge "$calls" ] ||
	err "instants ${inst:-0} + lost ${lost:-0} < the $calls calls: records lost uncounted"
[ "${lost:-0}" -ge "${rep:-0}" ] || err "exact lost ${lost:-0} below the ${rep:-0} reported"
finish

# record --live under tmux: hot spends its time in spin() (hot_a and hot_b call it); within 2 s of
# the start the screen (tmux capture-pane) shows the live view with spin on top, later a newer
# reading (a later time in the title); the recording made with --live is a complete recording
# with hot's samples. Without a terminal, --live is refused with one line and no recording.
# e2e: alone (the live view must show within 2 s of the start)
need tmux python3

sock=hwt-live-$$
cleanup_tmux()
{
	tmux -L "$sock" kill-server 2>/dev/null
}
trap cleanup_tmux EXIT
tmux -L "$sock" new-session -d -x 150 -y 40 \
	"cd '$PWD' && '$HWTRACE' record --live -b sample -o live.hwt -- '$PROGS/hot' 300000000; \
	echo \"rc=\$?\" >live.rc; sleep 30" ||
	fail "tmux cannot start a session"
sleep 2
tmux -L "$sock" capture-pane -p >screen1.txt || fail "tmux capture-pane failed"
sed 's/^/  2 s: /' screen1.txt | head -8
sleep 1.5
tmux -L "$sock" capture-pane -p >screen2.txt
sed 's/^/  3.5 s: /' screen2.txt | head -4
py '
import re, sys
a, b = (open(p).read() for p in sys.argv[1:3])
m = re.search(r"hwtrace live: \S*hot, ([0-9.]+) s, \d+ events read", a)
check(m, "no live view on the screen 2 s after the start:\n%s" % a)
rows = re.findall(r"^\s+([0-9.]+)%\s+(\S+)$", a, re.M)
check(rows and rows[0][1] == "spin", "spin is not the top function 2 s after the start: %s" % rows[:3])
m2 = re.search(r"hwtrace live: \S*hot, ([0-9.]+) s,", b)
check(m and m2 and float(m2.group(1)) > float(m.group(1)),
      "the view was not redrawn: %s then %s" % (m and m.group(0), m2 and m2.group(0)))
done()
' screen1.txt screen2.txt || err "the live view (see above)"
for _ in $(seq 100); do
	[ -s live.rc ] && break
	sleep 0.2
done
[ "$(cat live.rc 2>/dev/null)" = rc=0 ] || fail "record --live: $(cat live.rc 2>/dev/null), the screen: $(tmux -L "$sock" capture-pane -p | grep . | tail -n 3)"
[ "$(info_field live.hwt status)" = complete ] || err "live.hwt is $(info_field live.hwt status)"
hw_ok report -n 3 live.hwt
grep -q " spin$" hw.out || err "live.hwt has no samples of spin: $(cat hw.out)"

note "no terminal"
hw record --live -b sample -o nolive.hwt -- "$PROGS/hot" 1000 </dev/null
[ "$HW_RC" -ne 0 ] && grep -q "draws on a terminal" hw.err && [ ! -e nolive.hwt ] ||
	err "--live without a terminal: want one line and no recording, got: $(cat hw.err)"
finish

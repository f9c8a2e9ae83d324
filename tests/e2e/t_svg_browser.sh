# The SVG flamegraph of hot.c (hot_a 70 %, hot_b 30 % of the CPU by construction) opened in
# Chromium through playwright-core (tests/browser/flame_test.mjs): hot_a is drawn with 70 +- 10 %,
# hovering shows its name and share, a click zooms it to the full width with its callees kept,
# Reset Zoom and a click on the root restore the graph, and a search for hot_b (Ctrl+F and the
# Search button, answering the prompt) highlights exactly the hot_b frames and reports 30 +- 10 %.
# Then hwtrace diff's differential flame graph (below).
# Screenshots go to $E2E_SHOTS (default build/browser/shots): hot-flame{,-zoom,-search}.png,
# diff-grew.png, diff-shrank.png.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
need node npm chromium
bash "$root/ci/browser-deps.sh" &>deps.log ||
	fail "no playwright-core ($(tail -n 1 deps.log)): run ci/deps.sh and ci/browser-deps.sh"

hw_ok record -q -b sample --freq 4000 -o hot.hwt -- "$PROGS/hot" 20000000
samples=$(info_field hot.hwt samples)
note "hot.hwt: $samples samples"
[ "${samples:-0}" -ge 200 ] 2>/dev/null || fail "only '$samples' samples of hot at 4 kHz"
hw_ok export -o flame.svg hot.hwt
assert_file_nonempty flame.svg

shots=${E2E_SHOTS:-$root/build/browser/shots}
mkdir -p "$shots" || fail "cannot create the screenshot folder $shots"
node "$root/tests/browser/flame_test.mjs" flame.svg "$shots/hot-flame.png" \
	--frame hot_a=70:10 --frame hot_b=30:10 --zoom hot_a \
	--search hot_b=30:10 --search '^hot_[ab]$' ||
	err "the flamegraph is not interactive in Chromium (see above)"

# hwtrace diff's differential flame graph: hot3 with work_b twice as slow in B is drawn red
# there, work_c (the same work) next to white; the other way round work_b is blue. Rendered,
# hovered and zoomed as any flamegraph.
hw_ok record -q -b sample -o a.hwt -- "$PROGS/hot3" 0 10
hw_ok record -q -b sample -o b.hwt -- "$PROGS/hot3" 0 10 6
hw_ok diff -o grew.svg a.hwt b.hwt
hw_ok diff -f svg -o shrank.svg b.hwt a.hwt
node "$root/tests/browser/flame_test.mjs" grew.svg "$shots/diff-grew.png" --frame work_b \
	--color work_b=red --color work_c=white --sweep 40 ||
	err "the differential flamegraph (B slower) is not right in Chromium (see above)"
node "$root/tests/browser/flame_test.mjs" shrank.svg "$shots/diff-shrank.png" --frame work_b \
	--color work_b=blue --color work_c=white --sweep 40 ||
	err "the differential flamegraph (B faster) is not right in Chromium (see above)"
finish

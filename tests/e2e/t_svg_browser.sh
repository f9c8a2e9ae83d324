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
# there, work_c (the same work) in the hue its measured change gives: next to white when it
# changed by under ~10 % (most runs; a busy virtual machine has been seen to stretch one
# run's work_c by 17 %), else red or blue as the diff's own numbers say. The other way round
# work_b is blue. Rendered, hovered and zoomed as any flamegraph.
hw_ok record -q -b sample -o a.hwt -- "$PROGS/hot3" 0 10
hw_ok record -q -b sample -o b.hwt -- "$PROGS/hot3" 0 10 6
hw_ok diff -o grew.svg a.hwt b.hwt
hw_ok diff -f svg -o shrank.svg b.hwt a.hwt
hw_ok diff -f folded -o grew.folded a.hwt b.hwt
# hue_of FUNC FOLDED [swap]: the hue exporters/svg.c gives FUNC's frame (its total in A and B,
# the diff's folded columns): pale = 255 * (1 - |B - A| / max(A, B) * 0.85), white from 230 up
# (as tests/browser/flame_test.mjs reads a fill), else red where B grew, blue where it shrank.
hue_of()
{
	awk -v fn="$1" -v swap="${3:-0}" '{
		n = split($1, f, ";")
		for (i = 1; i <= n; i++)
			if (f[i] == fn) { a += $2; b += $3; break }
	} END {
		if (swap) { t = a; a = b; b = t }
		hi = a > b ? a : b; d = hi ? (b - a) / hi : 0; ad = d < 0 ? -d : d
		pale = int(255 * (1 - ad * 0.85) + 0.5)
		print (pale >= 230 ? "white" : d >= 0 ? "red" : "blue")
	}' "$2"
}
c_grew=$(hue_of work_c grew.folded)
c_shrank=$(hue_of work_c grew.folded 1)
note "work_c: $(awk '$1 ~ /;work_c$/ { print $2 " ns in A, " $3 " in B" }' grew.folded), drawn $c_grew / $c_shrank"
node "$root/tests/browser/flame_test.mjs" grew.svg "$shots/diff-grew.png" --frame work_b \
	--color work_b=red --color "work_c=$c_grew" --sweep 40 ||
	err "the differential flamegraph (B slower) is not right in Chromium (see above)"
node "$root/tests/browser/flame_test.mjs" shrank.svg "$shots/diff-shrank.png" --frame work_b \
	--color work_b=blue --color "work_c=$c_shrank" --sweep 40 ||
	err "the differential flamegraph (B faster) is not right in Chromium (see above)"
finish

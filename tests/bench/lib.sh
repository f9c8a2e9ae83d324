# What the read-side benches (read.sh, sample.sh, unwind.sh) share. Sourced after they set
# $here (this folder), $root (the repository), $build (where libhwtrace.a is) and die().
# shellcheck shell=bash disable=SC2154 # $here, $root and $build are the sourcing script's

# A work directory for bench NAME in $work, removed at exit unless BENCH_KEEP is set.
bench_workdir()
{
	work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-$1.XXXXXX") || die "mktemp -d failed"
	bench_name=$1
	trap bench_cleanup EXIT
}

bench_cleanup()
{
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench-$bench_name: kept $work"
	else
		rm -rf "$work"
	fi
}

# Builds tests/bench/bench_read.c against $build/libhwtrace.a into $1.
bench_build_read()
{
	# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
	${CC:-cc} -O2 -g -D_GNU_SOURCE -I"$root" -I"$root/include" -o "$1" \
		"$here/bench_read.c" "$build/libhwtrace.a" \
		$(pkg-config --libs libdw libelf libzstd zlib capstone) -lpfm -lipt -lstdc++ \
		-lpthread -ldl || die "cannot build bench_read"
}

# Writes $2 MB of text xz has work to do with into $1: words drawn from a fixed vocabulary by a
# seeded generator, the same bytes every time.
bench_text()
{
	python3 - "$1" "$2" <<'PY'
import random, sys
rng = random.Random(14)
words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(2, 9)))
         for _ in range(5000)]
with open(sys.argv[1], "w") as f:
    left = int(sys.argv[2]) << 20
    while left > 0:
        line = " ".join(rng.choice(words) for _ in range(12)) + "\n"
        f.write(line)
        left -= len(line)
PY
}

#!/usr/bin/env bash
# Intel PT decoding throughput: builds tests/bench/bench_pt.c against the library next to
# $HWTRACE and runs it on two streams of BENCH_PT_MB (default 100) MB: one synthesized (a loop of
# calls, the densest trace there is) and one recorded (the oracle's trace of
# build/programs/pt_bench, an ordinary C program, repeated); hwtrace's decoder against a bare
# libipt block-decoder loop, with 1 and 2 threads (see bench_pt.c).
#   HWTRACE=/abs/build/hwtrace bash tests/bench/pt.sh
set -u

: "${HWTRACE:?set HWTRACE to the hwtrace binary (or use make bench)}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=$(dirname "$HWTRACE")
lib=$build/libhwtrace.a
[ -f "$lib" ] || { echo "bench: $lib is missing: make" >&2; exit 1; }
bin=$build/bench_pt
# shellcheck disable=SC2046 # word splitting of pkg-config output is intended
${CC:-cc} -O2 -g -D_GNU_SOURCE -I"$here/../.." -I"$here/../../include" $(pkg-config --cflags capstone) -o "$bin" "$here/bench_pt.c" \
	"$lib" $(pkg-config --libs libdw libelf libzstd zlib capstone) -lpfm -lipt -lstdc++ \
	-lpthread -ldl || { echo "bench: cannot build bench_pt" >&2; exit 1; }
echo
echo "Intel PT decoding, synthesized trace (no PT hardware needed):"
"$bin" "${BENCH_PT_MB:-100}" || exit 1

oracle=$build/oracle/pt_oracle
prog=$build/programs/pt_bench
[ -x "$oracle" ] && [ -x "$prog" ] || { echo "bench: $oracle or $prog is missing: make" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-bench-pt.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo
echo "Intel PT decoding, recorded trace: the oracle single-steps $(basename "$prog")..."
"$oracle" -q -o "$work/t.pt" --truth "$work/t.truth" --images "$work/t.images" -- "$prog" 20 \
	>/dev/null || { echo "bench: the oracle failed on $prog" >&2; exit 1; }
"$bin" -t "$work/t.pt" -i "$work/t.images" -c "$work/t.truth" "${BENCH_PT_MB:-100}"

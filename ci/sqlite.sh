#!/usr/bin/env bash
# Builds the SQLite-sized test programs from the SQLite amalgamation that the npm package
# better-sqlite3 ships (deps/sqlite3/sqlite3.c), fetched once with `npm pack` into a cache
# folder (ignored by git); later runs use the cache and never the network.
#   bash ci/sqlite.sh [OUTDIR [FLAVOUR...]]   (default build/sqlite, every flavour; cache:
#                                             $HWT_CACHE, else .cache/)
# Each is tests/programs/sqlite/work.c (a fixed workload) linked with sqlite3.c built so:
#   sqlite-O2        -O2, as a distro builds it (make bench)
#   sqlite-pg        the same with -pg, for `uftrace record` (make bench)
#   sqlite-noinline  -O2 with inlining, cloning, tail calls and call elimination off,
#                    so that every call in the source is a call in the binary, as it is in
#                    the instrumented build (t_sqlite_counts): at plain -O2 with -fno-inline,
#                    GCC still turns findConstInWhere's tail recursion into a loop and drops
#                    calls of functions it finds const (sqlite3LogEst called twice with the
#                    same argument) or, by mod/ref analysis, without effects (empty ones:
#                    yy_accept, sqlite3MallocAlarm), which the hooks of -finstrument-functions
#                    keep
#   sqlite-count     sqlite-noinline with -finstrument-functions and count_hook.c, which writes
#                    the exact call count of every function to $HWT_CALL_COUNTS at exit
# Exit status 0 when built; 2, with one line saying why, when npm cannot fetch the package and
# the cache is empty (callers skip); 1 on any other failure.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build/sqlite}
shift $(($# > 0))
cache=${HWT_CACHE:-$root/.cache}/sqlite
version=12.11.1 # better-sqlite3, pinned: the SQLite its release ships
src=$root/tests/programs/sqlite

mkdir -p "$out" "$cache"
if [ ! -s "$cache/sqlite3.c" ] || [ ! -s "$cache/sqlite3.h" ]; then
	command -v npm >/dev/null 2>&1 || { echo "sqlite: npm is not installed (ci/deps.sh)"; exit 2; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	if ! (cd "$tmp" && timeout 120 npm pack "better-sqlite3@$version" >npm.log 2>&1); then
		echo "sqlite: cannot fetch better-sqlite3@$version with npm pack (registry" \
			"unreachable?): $(grep -v 'complete log' "$tmp/npm.log" | grep -m 1 -i error)"
		exit 2
	fi
	tar xzf "$tmp"/better-sqlite3-*.tgz -C "$tmp" package/deps/sqlite3/sqlite3.c \
		package/deps/sqlite3/sqlite3.h
	mv "$tmp/package/deps/sqlite3/sqlite3.c" "$tmp/package/deps/sqlite3/sqlite3.h" "$cache/"
fi

CC=${CC:-cc}
# No threads, no dlopen: the programs need libc and libm only.
DEFS="-DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_DQS=0"
NOINLINE="-fno-inline -fno-inline-small-functions -fno-inline-functions-called-once
	-fno-partial-inlining -fno-ipa-sra -fno-ipa-cp -fno-ipa-icf -fno-ipa-vrp
	-fno-optimize-sibling-calls -fno-ipa-pure-const -fno-ipa-modref"
declare -A FLAGS=(
	[O2]="-O2 -g"
	[pg]="-O2 -g -pg"
	[noinline]="-O2 -g $NOINLINE"
	[count]="-O2 -g $NOINLINE -finstrument-functions"
)

# fresh FLAVOUR: whether its object is newer than sqlite3.c and was built with today's flags.
fresh()
{
	local o=$out/sqlite3-$1.o
	# shellcheck disable=SC2086,SC2116 # the words of the flags, spaced as the stamp has them
	[ -e "$o" ] && [ "$o" -nt "$cache/sqlite3.c" ] &&
		[ "$(cat "$o.flags" 2>/dev/null)" = "$(echo ${FLAGS[$1]} $DEFS)" ]
}

flavours=("$@")
[ $# -gt 0 ] || flavours=("${!FLAGS[@]}")
for k in "${flavours[@]}"; do
	[ -n "${FLAGS[$k]:-}" ] || { echo "sqlite: no flavour '$k' (${!FLAGS[*]})"; exit 1; }
done

# The amalgamation once per flavour (a minute or more each), two at a time.
pids=()
for k in "${flavours[@]}"; do
	o=$out/sqlite3-$k.o
	fresh "$k" && continue
	echo "sqlite: compiling sqlite3.c ($k)"
	# shellcheck disable=SC2086
	($CC ${FLAGS[$k]} $DEFS -c -o "$o.tmp" "$cache/sqlite3.c" && mv "$o.tmp" "$o" &&
		echo ${FLAGS[$k]} $DEFS >"$o.flags") &
	pids+=($!)
	if [ ${#pids[@]} -ge 2 ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p"
done

[ "$out/count_hook.o" -nt "$src/count_hook.c" ] ||
	$CC -O2 -g -c -o "$out/count_hook.o" "$src/count_hook.c"
for k in "${flavours[@]}"; do
	p=$out/sqlite-$k
	if [ "$p" -nt "$out/sqlite3-$k.o" ] && [ "$p" -nt "$src/work.c" ] &&
		[ "$p" -nt "$out/count_hook.o" ]; then
		continue
	fi
	extra=()
	[ "$k" = count ] && extra=("$out/count_hook.o")
	# shellcheck disable=SC2086
	$CC ${FLAGS[$k]} $DEFS -I"$cache" -o "$out/sqlite-$k" "$src/work.c" "$out/sqlite3-$k.o" \
		"${extra[@]}" -lm
done
echo "sqlite: built in $out"

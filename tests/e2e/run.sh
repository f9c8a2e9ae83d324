#!/usr/bin/env bash
# Runs every tests/e2e/t_*.sh in a fresh temporary directory of its own, prints PASS or FAIL (with
# the test's output) per test and a summary line; exit status 1 if any test failed.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/e2e/run.sh [t_name ...]
# E2E_KEEP=1 keeps the directories of failed tests; E2E_TIMEOUT (seconds, default 150) per test.
# E2E_JOBS tests at a time (default 2 where the process may use two CPUs or more, else 1): most
# tests wait on traps, the kernel and other tools more than they compute, and the suite took
# 500 s a build one at a time on a slow 2-CPU host. A test whose facts depend on how busy the
# machine is (a probe's cost measured at the start against the cost in the run) says so with a
# line "# e2e: alone" and runs with no other test beside it, after the others.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ -z "${HWTRACE:-}" ] || [ -z "${PROGS:-}" ]; then
	echo "e2e: set HWTRACE (the hwtrace binary) and PROGS (build/programs), or use make e2e" >&2
	exit 2
fi
HWTRACE=$(realpath "$HWTRACE")
PROGS=$(realpath "$PROGS")
export HWTRACE PROGS E2E_LIB="$here/lib.sh"

# The checking tools come from Debian packages; ci/deps.sh installs what is missing (as root).
missing=()
for t in protoc go python3 timeout node npm chromium strace sqlite3 xz perf tmux; do
	command -v "$t" >/dev/null 2>&1 || missing+=("$t")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "e2e: missing ${missing[*]}: running ci/deps.sh"
	bash "$root/ci/deps.sh" || echo "e2e: ci/deps.sh failed; the tests that need ${missing[*]} will fail" >&2
fi

if [ $# -gt 0 ]; then
	tests=()
	for n in "$@"; do
		n=$(basename "${n%.sh}")
		tests+=("$here/t_${n#t_}.sh")
	done
else
	tests=("$here"/t_*.sh)
fi

# The processes of session SID (from /proc: no procps needed), on one line.
session_pids()
{
	local stat line rest s out=""
	for stat in /proc/[0-9]*/stat; do
		{ read -r line <"$stat"; } 2>/dev/null || continue
		rest=${line##*) } # after "pid (comm) ": state ppid pgrp session ...
		read -r _ _ _ s _ <<<"$rest"
		[ "$s" = "$1" ] && out+="${line%% *} "
	done
	echo "${out% }"
}

pass=0
failed=0
suite_start=$SECONDS
results=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-e2e-results.XXXXXX")
trap 'rm -rf "$results"' EXIT

# run_test T: runs test file T, writes what to print into $results/NAME.out and its exit
# status into $results/NAME.rc.
run_test()
{
	local t=$1 name dir log start sid rc stray took
	name=$(basename "$t" .sh)
	exec >"$results/$name.out"
	if [ ! -f "$t" ]; then
		echo "FAIL $name"
		echo "    no such test: $t"
		echo 1 >"$results/$name.rc"
		return
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-e2e-$name.XXXXXX")
	log=$(mktemp "${TMPDIR:-/tmp}/hwtrace-e2e-$name.log.XXXXXX")
	start=$SECONDS
	# A session of its own (id = the subshell's pid): whatever the test leaves running is found
	# by that id and ended afterwards.
	(cd "$dir" && exec setsid timeout -k 5 "${E2E_TIMEOUT:-150}" bash -c \
		'source "$E2E_LIB" && source "$0"' "$t") >"$log" 2>&1 </dev/null &
	sid=$!
	wait $sid
	rc=$?
	stray=$(session_pids "$sid")
	if [ -n "$stray" ]; then
		echo "# left running by the test, now killed: $stray" >>"$log"
		kill -9 $stray 2>/dev/null
	fi
	took=$((SECONDS - start))
	if [ $rc -eq 0 ]; then
		echo "PASS $name (${took} s)"
	else
		echo "FAIL $name"
		sed 's/^/    /' "$log"
		echo "    (exit status $rc after ${took} s$([ $rc -eq 124 ] && echo ": timed out"))"
	fi
	if [ $rc -ne 0 ] && [ -n "${E2E_KEEP:-}" ]; then
		echo "    (kept $dir)"
	else
		chmod -R u+w "$dir" 2>/dev/null
		rm -rf "$dir"
	fi
	rm -f "$log"
	echo "$rc" >"$results/$name.rc"
}

# report NAME: prints test NAME's result and counts it.
report()
{
	cat "$results/$1.out"
	if [ "$(cat "$results/$1.rc" 2>/dev/null)" = 0 ]; then
		pass=$((pass + 1))
	else
		failed=$((failed + 1))
	fi
}

jobs=${E2E_JOBS:-$([ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && echo 2 || echo 1)}
together=()
alone=()
for t in "${tests[@]}"; do
	if [ "$jobs" -gt 1 ] && [ -f "$t" ] && head -n 30 "$t" | grep -q '^# e2e: alone'; then
		alone+=("$t")
	else
		together+=("$t")
	fi
done

# The tests run $jobs at a time, each printed whole as it ends; then those that run alone.
declare -A running=()
for t in "${together[@]}"; do
	while [ ${#running[@]} -ge "$jobs" ]; do
		wait -n -p done_pid
		report "${running[$done_pid]}"
		unset "running[$done_pid]"
	done
	run_test "$t" &
	running[$!]=$(basename "$t" .sh)
done
while [ ${#running[@]} -gt 0 ]; do
	wait -n -p done_pid
	report "${running[$done_pid]}"
	unset "running[$done_pid]"
done
for t in "${alone[@]}"; do
	(run_test "$t")
	report "$(basename "$t" .sh)"
done

echo "e2e: ran in $((SECONDS - suite_start)) s, $jobs at a time"
echo "e2e: $pass passed, $failed failed"
[ $failed -eq 0 ]

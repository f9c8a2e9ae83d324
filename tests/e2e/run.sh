#!/usr/bin/env bash
# Runs every tests/e2e/t_*.sh in a fresh temporary directory of its own, prints PASS or FAIL (with
# the test's output) per test and a summary line; exit status 1 if any test failed.
#   HWTRACE=/abs/build/hwtrace PROGS=/abs/build/programs bash tests/e2e/run.sh [t_name ...]
# E2E_KEEP=1 keeps the directories of failed tests; E2E_TIMEOUT (seconds, default 150) per test.
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
for t in "${tests[@]}"; do
	name=$(basename "$t" .sh)
	if [ ! -f "$t" ]; then
		echo "FAIL $name"
		echo "    no such test: $t"
		failed=$((failed + 1))
		continue
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
		pass=$((pass + 1))
	else
		echo "FAIL $name"
		sed 's/^/    /' "$log"
		echo "    (exit status $rc after ${took} s$([ $rc -eq 124 ] && echo ": timed out"))"
		failed=$((failed + 1))
	fi
	if [ $rc -ne 0 ] && [ -n "${E2E_KEEP:-}" ]; then
		echo "    (kept $dir)"
	else
		chmod -R u+w "$dir" 2>/dev/null
		rm -rf "$dir"
	fi
	rm -f "$log"
done

echo "e2e: ran in $((SECONDS - suite_start)) s"
echo "e2e: $pass passed, $failed failed"
[ $failed -eq 0 ]

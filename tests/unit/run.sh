#!/usr/bin/env bash
# Runs the Check suites given as arguments, UNIT_JOBS at a time (default: the CPUs this may use),
# each in Check's fork mode; prints each suite's output whole when it ends and a summary line;
# exit status 1 if any suite failed.
#   bash tests/unit/run.sh build/tests/test_*
# Two at a time on the 2-CPU CI machines: the sanitizer build's suites spend most of their time
# in LeakSanitizer's check at the exit of every forked test, one CPU each.
set -u

jobs=${UNIT_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=$(mktemp -d "${TMPDIR:-/tmp}/hwtrace-unit.XXXXXX")
trap 'rm -rf "$out"' EXIT

# Runs suite $1 (number $2), its output to $out/$2.log, its status to $out/$2.rc.
one()
{
	CK_FORK=yes "$1" >"$out/$2.log" 2>&1
	echo $? >"$out/$2.rc"
}

start=$SECONDS
i=0
for t in "$@"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	one "$t" "$i" &
	i=$((i + 1))
done
wait

pass=0
fail=0
i=0
for t in "$@"; do
	cat "$out/$i.log"
	if [ "$(cat "$out/$i.rc" 2>/dev/null)" = 0 ]; then
		pass=$((pass + 1))
	else
		echo "FAIL $(basename "$t")"
		fail=$((fail + 1))
	fi
	i=$((i + 1))
done
echo "unit suites: $pass passed, $fail failed, in $((SECONDS - start)) s"
[ "$fail" -eq 0 ]

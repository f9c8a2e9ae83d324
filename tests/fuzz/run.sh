#!/usr/bin/env bash
# make fuzz: runs each libFuzzer target built in build-fuzz/ for FUZZ_SECONDS in one uninterrupted
# run, FUZZ_JOBS targets at a time, and prints executions, corpus size and findings per target.
# A crash does not stop the other targets; the exit status says whether any target found one.
set -uo pipefail
dir=${FUZZ_DIR:-build-fuzz}
secs=${FUZZ_SECONDS:-600}
jobs=${FUZZ_JOBS:-1}
targets=("$@")
[ ${#targets[@]} -gt 0 ] || { echo "usage: run.sh TARGET..." >&2; exit 2; }

run_one() {
	local n=$1 log=$dir/$1.log
	mkdir -p "$dir/corpus/$n"
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$dir/$n" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 \
		-artifact_prefix="$dir/crash-$n-" -print_final_stats=1 \
		"$dir/corpus/$n" "tests/fuzz/corpus/$n" >"$log" 2>&1
	echo $? >"$dir/$n.rc"
}

start=$(date +%s)
for n in "${targets[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
	echo "fuzz: $n for ${secs}s ($(date -u +%H:%M:%S) UTC)"
	run_one "$n" &
done
wait

found=0
printf '%-16s %6s %12s %8s %7s  %s\n' target secs execs exec/s new result
for n in "${targets[@]}"; do
	log=$dir/$n.log rc=$(cat "$dir/$n.rc" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	tsecs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
	corpus=$(find "$dir/corpus/$n" -type f | wc -l)
	result=ok
	if [ "$rc" != 0 ]; then
		found=1
		result="FINDING (rc $rc): $(grep -m1 -E 'ERROR|runtime error|SUMMARY' "$log" | cut -c1-120); see $log"
	fi
	rate=-
	[ -n "$execs" ] && [ -n "$tsecs" ] && [ "$tsecs" -gt 0 ] && rate=$((execs / tsecs))
	printf '%-16s %6s %12s %8s %7s  %s\n' "$n" "${tsecs:--}" "${execs:--}" "$rate" "$corpus" "$result"
done
echo "fuzz: $(( $(date +%s) - start ))s in all, host $(nproc) cpus, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
exit $found

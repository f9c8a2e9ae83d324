#!/usr/bin/env bash
# make demo: records the bundled multi-threaded example and writes what a user would look at.
set -euo pipefail
hwtrace=$1 prog=$2
cd "$(dirname "$0")/.."
mkdir -p demo
"$hwtrace" record -q -b sample -g dwarf -e page-faults -e context-switches -P proc -o demo/trace.hwt \
	-- "$prog"
"$hwtrace" export -o demo/trace.pftrace demo/trace.hwt
"$hwtrace" export -o demo/flame.svg demo/trace.hwt
"$hwtrace" export -o demo/profile.pb.gz demo/trace.hwt
"$hwtrace" export -o demo/trace.json demo/trace.hwt
"$hwtrace" report -n 15 demo/trace.hwt
# Every call, exactly nested, where the uprobe backend works (Linux 6.6+, root).
fib=$(dirname "$prog")/fib
if "$hwtrace" record -q -b uprobe -o demo/calls.hwt -- "$fib" 12 >/dev/null 2>&1; then
	"$hwtrace" export -o demo/calls.pftrace demo/calls.hwt
	echo
	"$hwtrace" inspect --depth 4 demo/calls.hwt >demo/calls.txt
	head -12 demo/calls.txt
	echo "   ..."
else
	echo "(no uprobe backend here: see hwtrace list)"
fi
echo
echo "demo/trace.pftrace  open in https://ui.perfetto.dev (Open trace file)"
echo "demo/flame.svg      open in a browser: hover, click to zoom, search"
echo "demo/profile.pb.gz  go tool pprof -top demo/profile.pb.gz"
echo "demo/trace.json     chrome://tracing or Perfetto"
echo "demo/trace.hwt      hwtrace info demo/trace.hwt"
[ -f demo/calls.pftrace ] && echo "demo/calls.pftrace  every call of fib(12) as slices (-b uprobe)"
true

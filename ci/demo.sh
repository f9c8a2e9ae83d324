#!/usr/bin/env bash
# make demo: records the bundled multi-threaded example and writes what a user would look at.
set -euo pipefail
hwtrace=$1 prog=$2
cd "$(dirname "$0")/.."
mkdir -p demo
"$hwtrace" record -q -b sample -g dwarf -e page-faults -e context-switches -o demo/trace.hwt -- "$prog"
"$hwtrace" export -o demo/trace.pftrace demo/trace.hwt
"$hwtrace" export -o demo/flame.svg demo/trace.hwt
"$hwtrace" export -o demo/profile.pb.gz demo/trace.hwt
"$hwtrace" export -o demo/trace.json demo/trace.hwt
"$hwtrace" report -n 15 demo/trace.hwt
echo
echo "demo/trace.pftrace  open in https://ui.perfetto.dev (Open trace file)"
echo "demo/flame.svg      open in a browser: hover, click to zoom, search"
echo "demo/profile.pb.gz  go tool pprof -top demo/profile.pb.gz"
echo "demo/trace.json     chrome://tracing or Perfetto"
echo "demo/trace.hwt      hwtrace info demo/trace.hwt"

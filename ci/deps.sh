#!/usr/bin/env bash
# Installs the Debian packages hwtrace needs to build, test and benchmark; prints what it would run when not root.
set -euo pipefail

pkgs=(build-essential pkg-config libpfm4-dev libipt-dev libzstd-dev libelf-dev libdw-dev
      zlib1g-dev libcapstone-dev check golang-go protobuf-compiler python3 linux-perf chromium
      strace sqlite3 xz-utils tmux
      libdeflate0) # dlopen'ed to inflate compressed debug sections faster than zlib (optional)
# The SVG flamegraph is checked in a browser through node; a node that is not Debian's (some
# images ship NodeSource's, which conflicts with Debian's npm) is used as it is.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)
[ "${1:-}" = "--bench" ] && pkgs+=(uftrace)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get update && apt-get install -y ${missing[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "hwtrace: missing packages; as root run: $cmd" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null

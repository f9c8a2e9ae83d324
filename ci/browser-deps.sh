#!/usr/bin/env bash
# Installs playwright-core and speedscope, pinned, into build/browser for the browser checks (the
# SVG flamegraph: tests/browser/flame_test.mjs; Chrome JSON imported by speedscope:
# tests/browser/speedscope_test.mjs); does nothing when those versions are already there. No
# browser is downloaded: the tests drive Debian's chromium, which ci/deps.sh installs along with
# nodejs/npm.
#   bash ci/browser-deps.sh          (HWT_BROWSER_DIR overrides the folder)
set -euo pipefail

# 1.61.x is the last line that runs on Debian bookworm's nodejs 18 (1.62 wants node >= 20).
PW_VERSION=1.61.1
# speedscope's release folder (dist/release/index.html) is what the test opens.
SS_VERSION=1.25.0

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dir=${HWT_BROWSER_DIR:-$root/build/browser}
pkg=$dir/node_modules/playwright-core/package.json
sspkg=$dir/node_modules/speedscope/package.json

# Non-zero unless package.json $1 says version $2.
has_version()
{
	[ -f "$1" ] && grep -Eq "\"version\": *\"$2\"" "$1"
}

if has_version "$pkg" "$PW_VERSION" && has_version "$sspkg" "$SS_VERSION"; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
	echo "browser-deps: node and npm are missing: run ci/deps.sh (Debian nodejs, npm)" >&2
	exit 1
fi
mkdir -p "$dir"
# --ignore-scripts and the skip variable: never fetch a browser of playwright's own.
if ! PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$dir" --no-save --no-audit \
	--no-fund --ignore-scripts --loglevel=error "playwright-core@$PW_VERSION" \
	"speedscope@$SS_VERSION" >&2; then
	echo "browser-deps: npm could not install playwright-core@$PW_VERSION and" \
		"speedscope@$SS_VERSION into $dir (is the npm registry reachable?)" >&2
	exit 1
fi
has_version "$pkg" "$PW_VERSION" || {
	echo "browser-deps: $pkg is not playwright-core $PW_VERSION after npm install" >&2
	exit 1
}
has_version "$sspkg" "$SS_VERSION" || {
	echo "browser-deps: $sspkg is not speedscope $SS_VERSION after npm install" >&2
	exit 1
}

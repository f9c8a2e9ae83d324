// Where the browser tests find Chromium (Debian's, or $CHROMIUM) and the node modules that
// ci/browser-deps.sh installs (playwright-core, speedscope; $HWT_BROWSER_DIR or build/browser).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export function findChromium() {
	if (process.env.CHROMIUM)
		return process.env.CHROMIUM;
	if (existsSync('/usr/bin/chromium'))
		return '/usr/bin/chromium';
	for (const d of (process.env.PATH || '').split(':')) {
		if (d && existsSync(path.join(d, 'chromium')))
			return path.join(d, 'chromium');
	}
	return null;
}

export function modulesDir() {
	return path.join(process.env.HWT_BROWSER_DIR || path.join(repo, 'build', 'browser'),
			 'node_modules');
}

// Opens an hwtrace Chrome JSON export (exporters/chrome.c) in the real speedscope (npm package,
// installed by ci/browser-deps.sh) in Chromium through playwright-core, and checks what speedscope
// imported: a non-empty profile, its function of most self time, and the total share of functions.
//
//   node tests/browser/speedscope_test.mjs PROFILE.json SHOT.png --top NAME
//        [--total NAME=PCT[:TOL]]...
//
// --top    the function with the most self time in speedscope's Sandwich table
// --total  the total time of function NAME must be PCT +- TOL (default 10) percent of the profile
// The page and the profile are served to the browser from this process (playwright routes on a
// made-up origin), so nothing listens on the network. Screenshot: SHOT.png (the Sandwich view).
// Environment: CHROMIUM (default /usr/bin/chromium, else chromium on PATH), HWT_BROWSER_DIR (the
// folder whose node_modules holds playwright-core and speedscope; default build/browser).
// Exit status: 0 all checks passed, 1 a check failed (FAIL: lines), 2 bad usage or missing tools.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { check, fail, failures, note, setupError } from './report.mjs';
import { findChromium, modulesDir } from './setup.mjs';

const ORIGIN = 'http://speedscope.invalid';
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css',
		'.json': 'application/json', '.wasm': 'application/wasm' };

function usage(msg) {
	setupError(msg + '\nusage: node speedscope_test.mjs PROFILE.json SHOT.png --top NAME ' +
		   '[--total NAME=PCT[:TOL]]...');
}

function parseArgs(argv) {
	const o = { profile: null, shot: null, top: null, totals: [] };
	const pos = [];

	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length)
				usage(a + ' needs a value');
			return argv[++i];
		};
		if (a === '--top') {
			o.top = val();
		} else if (a === '--total') {
			const m = /^(.*)=([0-9.]+)(?::([0-9.]+))?$/s.exec(val());
			if (!m)
				usage('--total wants NAME=PCT[:TOL]');
			o.totals.push({ name: m[1], pct: +m[2], tol: m[3] === undefined ? 10 : +m[3] });
		} else if (a.startsWith('--')) {
			usage('unknown option ' + a);
		} else {
			pos.push(a);
		}
	}
	if (pos.length !== 2)
		usage('PROFILE.json and SHOT.png are needed');
	[o.profile, o.shot] = pos;
	if (!o.top)
		usage('--top NAME is needed');
	return o;
}

/* Serves speedscope's release folder, and the profile as /profile.json. */
async function serve(page, release, profile) {
	await page.route(ORIGIN + '/**', (route) => {
		const p = new URL(route.request().url()).pathname;
		const file = p === '/profile.json' ? profile : path.join(release, path.normalize(p));

		if (!file.startsWith(release) && file !== profile)
			return route.fulfill({ status: 403, body: 'outside' });
		if (!existsSync(file))
			return route.fulfill({ status: 404, body: 'not found' });
		return route.fulfill({ body: readFileSync(file),
				       contentType: TYPES[path.extname(file)] || 'application/octet-stream' });
	});
}

/* The rows of the Sandwich table: total and self in percent (the bars' widths), the name. */
function sandwichRows(page) {
	return page.$$eval('tr', (rows) => rows.map((r) => {
		const td = r.querySelectorAll('td');
		const pct = (cell) => {
			const bar = cell.querySelector('div > div');
			return bar ? parseFloat(bar.style.width) : NaN;
		};
		if (td.length < 3)
			return null;
		return { total: pct(td[0]), self: pct(td[1]), name: td[2].innerText.trim() };
	}).filter((r) => r));
}

async function run(page, o, messages) {
	const url = `${ORIGIN}/index.html#profileURL=${encodeURIComponent(ORIGIN + '/profile.json')}` +
		    '&title=hwtrace';
	/* speedscope says what went wrong in an alert ("... but it's empty!"). */
	const alerted = new Promise((resolve) => page.on('dialog', (d) => {
		resolve(d.message());
		d.dismiss().catch(() => {});
	}));

	await page.goto(url);
	/* The toolbar's Sandwich tab appears once a profile is loaded. */
	const shown = await Promise.race([
		page.getByText('Sandwich').first().waitFor({ timeout: 60000 }).then(() => null,
			() => 'no profile after 60 s'),
		alerted.then((msg) => 'an alert: ' + msg),
	]);
	if (shown) {
		fail('speedscope showed no profile (' + shown + '): ' +
		     (await page.innerText('body')).slice(0, 200).replace(/\s+/g, ' '));
		return;
	}
	const body = await page.innerText('body');
	check(!/empty/i.test(body), 'speedscope says the profile is empty: ' + body.slice(0, 200));
	check(messages.some((m) => /Chrome Timeline/.test(m)),
	      'speedscope did not import the file as a Chrome profile (console: ' +
	      messages.slice(-3).join(' | ') + ')');
	await page.getByText('Sandwich').first().click();
	await page.locator('td').first().waitFor({ timeout: 30000 });
	const rows = await sandwichRows(page);
	await page.screenshot({ path: o.shot });
	if (!check(rows.length > 0, 'the Sandwich table has no function'))
		return;
	const bySelf = [...rows].sort((a, b) => b.self - a.self);
	note(`${rows.length} functions; most self time: ` +
	     bySelf.slice(0, 3).map((r) => `${r.name} ${r.self.toFixed(1)}%`).join(', '));
	check(bySelf[0].name === o.top,
	      `the function of most self time is ${bySelf[0].name}, not ${o.top}`);
	for (const t of o.totals) {
		const r = rows.find((x) => x.name === t.name);

		if (!check(r, `${t.name} is not in the Sandwich table`))
			continue;
		note(`${t.name}: total ${r.total.toFixed(1)}%`);
		check(Math.abs(r.total - t.pct) <= t.tol,
		      `${t.name} has ${r.total.toFixed(1)}% of the time, not ${t.pct} +- ${t.tol}`);
	}
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const exe = findChromium();
	const mods = modulesDir();
	const release = path.join(mods, 'speedscope', 'dist', 'release');
	const entry = path.join(mods, 'playwright-core', 'index.mjs');

	if (!exe || !existsSync(exe))
		setupError('chromium not found: run ci/deps.sh (Debian package chromium), ' +
			   'or set CHROMIUM');
	if (!existsSync(entry) || !existsSync(path.join(release, 'index.html')))
		setupError(`playwright-core or speedscope is not installed in ${mods}: ` +
			   'run ci/browser-deps.sh');
	if (!existsSync(o.profile))
		setupError(`no such profile: ${o.profile}`);
	const { chromium } = await import(pathToFileURL(entry).href);
	const browser = await chromium.launch({
		executablePath: exe,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		       '--no-first-run', '--disable-background-networking',
		       '--disable-component-update', '--disable-sync'],
	});
	try {
		/* Tall: the Sandwich table draws only the rows in view. */
		const page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
		const messages = [];

		page.on('console', (m) => messages.push(m.text()));
		page.on('pageerror', (e) => fail('page error: ' + e.message));
		await serve(page, release, path.resolve(o.profile));
		await run(page, o, messages);
	} finally {
		await browser.close();
	}
	process.exit(failures() ? 1 : 0);
}

main().catch((e) => setupError(e.stack || String(e)));

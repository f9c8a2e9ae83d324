// Opens an hwtrace SVG flamegraph (exporters/svg.c) in Chromium through playwright-core and checks
// that it renders and is interactive: hover details, click to zoom, reset, search with a regex.
//
//   node tests/browser/flame_test.mjs FLAME.svg SHOT.png [--frame NAME[=PCT[:TOL]]]...
//        [--zoom NAME] [--search REGEX[=PCT[:TOL]]]... [--sweep N]
//
// --frame  a frame NAME must be drawn (visible, non-zero width) and hovering it must show its
//          name and share; with PCT, the frames of that name (outermost ones) must hold
//          PCT +- TOL (default 10) percent of the root.
// --zoom   the frame to click (the widest of that name; default: the first --frame): it must
//          then span the width, its callees stretched with it, its callers full width, the rest
//          hidden; Reset Zoom and a click on the root must restore the first layout.
// --search a regex typed into the search prompt (opened by Ctrl+F, then by the Search button):
//          exactly the frames whose names match must be highlighted, the percentage shown must
//          be their union, and with PCT be PCT +- TOL.
// --sweep  how many frames (spread over the graph, default 200) are also zoomed one by one.
// --color  NAME=red|blue|white: the widest frame of that name is drawn in that hue (a
//          differential graph: red grew, blue shrank), as Chromium computes its fill.
// Screenshots: SHOT.png as loaded, SHOT-zoom.png and SHOT-search.png beside it.
// Environment: CHROMIUM (default /usr/bin/chromium, else chromium on PATH), HWT_BROWSER_DIR (the
// folder whose node_modules holds playwright-core; default build/browser of this repository).
// Exit status: 0 all checks passed, 1 a check failed (FAIL: lines), 2 bad usage or missing tools.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { check, fail, failures, note, setupError } from './report.mjs';
import { findChromium, modulesDir } from './setup.mjs';

const ROW = 16; /* FRAME_HEIGHT in svg.c: one row of the graph */
const PX = 0.5; /* tolerance for a placed coordinate, in pixels */

function usage(msg) {
	setupError(msg + '\nusage: node flame_test.mjs FLAME.svg SHOT.png ' +
		   '[--frame NAME[=PCT[:TOL]]]... [--zoom NAME] [--search REGEX[=PCT[:TOL]]]... ' +
		   '[--sweep N]');
}

/* "KEY=PCT:TOL" -> { key, pct, tol }; pct is null when not given. */
function parseExpect(arg) {
	const m = /^(.*?)(?:=([0-9.]+)(?::([0-9.]+))?)?$/s.exec(arg);
	return {
		key: m[1],
		pct: m[2] === undefined ? null : +m[2],
		tol: m[3] === undefined ? 10 : +m[3],
	};
}

function parseArgs(argv) {
	const o = { svg: null, shot: null, frames: [], zoom: null, searches: [], sweep: 200,
		    colors: [] };
	const pos = [];

	for (let i = 0; i < argv.length; i++) {
		const a = argv[i];
		const val = () => {
			if (i + 1 >= argv.length)
				usage(a + ' needs a value');
			return argv[++i];
		};
		if (a === '--frame')
			o.frames.push(parseExpect(val()));
		else if (a === '--zoom')
			o.zoom = val();
		else if (a === '--search')
			o.searches.push(parseExpect(val()));
		else if (a === '--sweep')
			o.sweep = +val();
		else if (a === '--color')
			o.colors.push(val());
		else if (a.startsWith('--'))
			usage('unknown option ' + a);
		else
			pos.push(a);
	}
	if (pos.length !== 2)
		usage('want the SVG and the screenshot path');
	[o.svg, o.shot] = pos.map((p) => path.resolve(p));
	if (!existsSync(o.svg))
		usage('no such SVG: ' + o.svg);
	if (!(o.sweep >= 0))
		usage('--sweep wants a number of frames');
	if (!o.zoom && o.frames.length)
		o.zoom = o.frames[0].key;
	return o;
}

async function loadPlaywright() {
	const dir = modulesDir();
	const entry = path.join(dir, 'playwright-core', 'index.mjs');

	if (!existsSync(entry))
		setupError(`playwright-core is not installed in ${dir}: ` +
			   'run ci/browser-deps.sh (node and npm: ci/deps.sh)');
	return import(pathToFileURL(entry).href);
}

/* Every frame (g.f) of the page as drawn now, in document order. */
function snapshot(page) {
	return page.evaluate(() => {
		const out = [];
		const gs = document.querySelectorAll('g.f');

		for (let i = 0; i < gs.length; i++) {
			const g = gs[i];
			const r = g.querySelector('rect');
			const title = g.querySelector('title').textContent;
			/* A differential graph's title has A's value and the change too. */
			const m = /^(.*) \((\d+) [^,]*(?:, A \d+: [-+][0-9.]+%)?, ([0-9.]+)%\)$/s.exec(title);
			const box = r.getBoundingClientRect();
			const shown = getComputedStyle(g).display !== 'none' && box.width > 0 &&
				      box.height > 0;
			out.push({
				i,
				title,
				name: m ? m[1] : null,
				pct: m ? +m[3] : NaN,
				x: +r.getAttribute('x'),
				y: +r.getAttribute('y'),
				w: +r.getAttribute('width'),
				fill: r.getAttribute('fill'),
				drawn: getComputedStyle(r).fill,
				shown,
			});
		}
		return out;
	});
}

const center = (f) => f.x + f.w / 2;
/* a lies in b's column on a row above it: a callee of b, directly or not. */
const inside = (a, b) => a.y < b.y && center(a) >= b.x && center(a) <= b.x + b.w;

/* The frames of @frames that are not inside another of them (recursion counts once). */
function outermost(frames) {
	return frames.filter((f) => !frames.some((g) => g !== f && inside(f, g)));
}

/* What is wrong in the zoomed view @now, against the first layout @orig, for the clicked frame
 * of index @z: the list of problems (empty when right) and its direct callees' count. */
function zoomProblems(orig, now, z, W, P) {
	const o = orig[z], s = (W - 2 * P) / o.w, bad = [];
	const full = (n) => n.shown && Math.abs(n.x - P) <= PX && Math.abs(n.w - (W - 2 * P)) <= PX;
	let kids = 0;

	if (!full(now[z])) {
		bad.push(`the clicked frame is at x=${now[z].x} width=${now[z].w}` +
			 (now[z].shown ? '' : ' (hidden)') +
			 `, want x=${P} width=${W - 2 * P} (the full width)`);
		return { bad, kids };
	}
	for (const f of orig) {
		const n = now[f.i];
		if (f.i === z)
			continue;
		if (inside(f, o)) {
			/* A callee: kept, stretched from the clicked frame's left edge. */
			const wx = P + (f.x - o.x) * s, ww = f.w * s;
			if (f.y === o.y - ROW)
				kids++;
			if (n.shown && Math.abs(n.x - wx) <= PX && Math.abs(n.w - ww) <= PX)
				continue;
			bad.push(`callee ${f.name} (was x=${f.x} w=${f.w}) is ` +
				 (n.shown ? `at x=${n.x} w=${n.w}, want x=${wx.toFixed(2)} ` +
						    `w=${ww.toFixed(2)}`
					  : 'hidden'));
		} else if (f.y > o.y && center(o) >= f.x && center(o) <= f.x + f.w) {
			/* A caller: kept, spanning the width. */
			if (!full(n))
				bad.push(`caller ${f.name} is ` +
					 (n.shown ? `at x=${n.x} w=${n.w}, want the full width`
						  : 'hidden'));
		} else if (n.shown) {
			bad.push(`${f.name} (x=${f.x} w=${f.w} y=${f.y}), neither caller nor ` +
				 'callee, is still shown');
		}
	}
	return { bad, kids };
}

/* Reports at most @max of the problems @r of a zoom on @o. */
function reportZoom(r, o, what, max) {
	const head = `${what} on ${o.name} (x=${o.x} w=${o.w} y=${o.y}): `;

	for (const b of r.bad.slice(0, max))
		fail(head + b);
	if (r.bad.length > max)
		fail(head + `${r.bad.length - max} more wrong frames`);
}

/* The layout @now must be @orig again: every frame shown where it was first drawn. */
function checkRestored(orig, now, what) {
	const bad = orig.filter((f) => {
		const n = now[f.i];
		return !n.shown || Math.abs(n.x - f.x) > 0.01 || Math.abs(n.w - f.w) > 0.01;
	});

	for (const f of bad.slice(0, 5)) {
		const n = now[f.i];
		fail(`${what}: ${f.name} is ` + (n.shown ? `at x=${n.x} w=${n.w}` : 'hidden') +
		     `, was x=${f.x} w=${f.w}`);
	}
	return check(!bad.length, `${what} did not restore the graph (${bad.length} frames moved)`);
}

async function main() {
	const o = parseArgs(process.argv.slice(2));
	const exe = findChromium();

	if (!exe || !existsSync(exe))
		setupError('chromium not found: run ci/deps.sh (Debian package chromium), ' +
			   'or set CHROMIUM');
	const { chromium } = await loadPlaywright();
	const started = Date.now();
	const browser = await chromium.launch({
		executablePath: exe,
		args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		       '--no-first-run', '--disable-background-networking',
		       '--disable-component-update', '--disable-sync'],
	});
	try {
		const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
		await run(page, o);
	} finally {
		await browser.close();
	}
	note(`browser checks took ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function checkRendering(page, o, orig, root, W) {
	const P = root.x, RW = root.w;
	const byName = (name) => orig.filter((f) => f.name === name);

	note(`${orig.length} frames, root "${root.name}" x=${P} width=${RW}, svg width ${W}`);
	check(Math.abs(RW - (W - 2 * P)) <= PX,
	      `the root frame is ${RW} wide, not the drawing width ${W - 2 * P}`);
	for (const f of orig) {
		check(f.name !== null,
		      `frame ${f.i}: title "${f.title}" is not "NAME (N UNIT, PCT%)"`);
		check(f.shown, `frame ${f.name} is not displayed on load`);
		/* The drawn width is the title's share of the root. */
		const drawn = (100 * f.w) / RW;
		check(Math.abs(drawn - f.pct) <= 0.02,
		      `frame ${f.name}: width ${f.w} is ${drawn.toFixed(2)}% of the root, ` +
			      `its title says ${f.pct}%`);
	}
	for (const e of o.frames) {
		const fs = byName(e.key);
		const names = [...new Set(orig.map((f) => f.name))];
		if (!check(fs.length, `no frame named ${e.key} (names: ${names.slice(0, 30)})`))
			continue;
		const g = page.locator('g.f').nth(widest(orig, e.key).i);
		const box = await g.locator('rect').boundingBox();
		check(box && box.width > 0 && box.height > 0 && (await g.isVisible()),
		      `frame ${e.key} is not visible: box ${JSON.stringify(box)}`);
		const share = outermost(fs).reduce((a, f) => a + f.pct, 0);
		note(`frame ${e.key}: ${fs.length} drawn, ${share.toFixed(2)}% of the root, ` +
		     `box ${JSON.stringify(box)}`);
		if (e.pct !== null)
			check(Math.abs(share - e.pct) <= e.tol,
			      `frame ${e.key} holds ${share.toFixed(2)}% of the root, ` +
				      `want ${e.pct} +- ${e.tol}`);
	}
}

/* rgb(r, g, b) as Chromium computes a fill -> "red", "blue", "white" or the text itself. */
function hue(fill) {
	const m = /rgb\((\d+), (\d+), (\d+)\)/.exec(fill || '');
	if (!m)
		return fill;
	const [r, g, b] = m.slice(1).map(Number);
	if (Math.min(r, g, b) >= 230) /* changed by under ~10 %: next to no colour */
		return 'white';
	if (r === 255 && g < 230 && b === g)
		return 'red';
	if (b === 255 && r < 230 && g === r)
		return 'blue';
	return fill;
}

function checkColors(o, orig) {
	for (const c of o.colors) {
		const [name, want] = c.split('=');
		const f = widest(orig, name);
		if (!check(f, `--color: no frame named ${name}`))
			continue;
		note(`frame ${name}: drawn ${f.drawn} (${hue(f.drawn)})`);
		check(hue(f.drawn) === want, `frame ${name} is drawn ${f.drawn}, want ${want}`);
	}
}

function widest(orig, name) {
	const fs = orig.filter((f) => f.name === name);

	return fs.reduce((a, b) => (!a || b.w > a.w ? b : a), null);
}

/* Hovering a frame shows its title (name and share) on the details line; leaving clears it. */
async function checkHover(page, o, orig, W) {
	for (const e of o.frames) {
		const f = widest(orig, e.key);
		if (!f)
			continue;
		await page.locator('g.f').nth(f.i).hover();
		const det = await page.locator('#details').textContent();
		check(det.includes(f.name) && det.includes(f.pct.toFixed(2) + '%'),
		      `hover on ${f.name}: details show "${det}", want its name and ` +
			      `${f.pct.toFixed(2)}%`);
		note(`hover ${f.name}: "${det}"`);
		await page.mouse.move(W / 2, 5);
		const after = await page.locator('#details').textContent();
		check(!after.includes(f.name), `leaving ${f.name}: details still show "${after}"`);
	}
}

/* A real click zooms; Reset Zoom restores; so does a click on the root. */
async function checkZoom(page, o, orig, root, W) {
	const z = widest(orig, o.zoom);
	if (!check(z, `no frame named ${o.zoom} to zoom on`))
		return;
	const gz = page.locator('g.f').nth(z.i);

	await gz.click();
	let r = zoomProblems(orig, await snapshot(page), z.i, W, root.x);
	reportZoom(r, z, 'click to zoom', 5);
	note(`zoom on ${z.name}: ${r.kids} direct callees, ${r.bad.length} frames placed wrong`);
	const opacity = await page.locator('#unzoom').evaluate((t) => getComputedStyle(t).opacity);
	check(+opacity > 0, `after a zoom Reset Zoom is still invisible (opacity ${opacity})`);
	await page.screenshot({ path: o.shot.replace(/(\.png)?$/, '-zoom.png') });

	await page.locator('#unzoom').click();
	checkRestored(orig, await snapshot(page), 'Reset Zoom');

	await gz.click();
	r = zoomProblems(orig, await snapshot(page), z.i, W, root.x);
	reportZoom(r, z, 'second zoom', 5);
	await page.locator('g.f').nth(root.i).click();
	checkRestored(orig, await snapshot(page), 'a click on the root');
	note(`reset: ${z.name} back to width ${(await snapshot(page))[z.i].w} (was ${z.w})`);
}

/* Zooms on up to @o.sweep frames spread over the graph (a click event each, to stay fast), each
 * undone with Escape. */
async function checkSweep(page, o, orig, root, W) {
	const step = Math.max(1, Math.ceil(orig.length / Math.max(1, o.sweep)));
	const sweep = o.sweep ? orig.filter((f) => f.i % step === 0) : [];
	let wrong = 0;

	for (const f of sweep) {
		await page.evaluate((i) => {
			const g = document.querySelectorAll('g.f')[i];
			g.dispatchEvent(new MouseEvent('click', { bubbles: true }));
		}, f.i);
		const r = zoomProblems(orig, await snapshot(page), f.i, W, root.x);
		/* The first few frames zoomed wrong tell enough. */
		if (r.bad.length && ++wrong <= 3)
			reportZoom(r, f, 'zoom sweep', 2);
		await page.keyboard.press('Escape');
	}
	checkRestored(orig, await snapshot(page), 'Escape after the zoom sweep');
	note(`zoom sweep: ${sweep.length} frames clicked, ${wrong} zoomed wrong`);
	check(!wrong, `zoom sweep: ${wrong} of ${sweep.length} frames zoomed wrong`);
}

/* One search for @e through the prompt opened by @act (called @how). */
async function searchOnce(page, o, orig, root, W, e, how, act) {
	const re = new RegExp(e.key);
	const want = orig.filter((f) => f.i !== root.i && re.test(f.name)).map((f) => f.i);
	const tops = outermost(want.map((i) => orig[i]));
	const union = tops.reduce((a, f) => a + f.pct, 0);
	const what = `search /${e.key}/ by ${how}`;
	let asked = null;

	page.once('dialog', async (d) => {
		asked = d.type();
		if (d.type() === 'prompt')
			await d.accept(e.key);
		else
			await d.dismiss();
	});
	await page.mouse.move(W / 2, 5);
	await act();
	const done = () => /%/.test(document.getElementById('matched').textContent);
	await page.waitForFunction(done, null, { timeout: 3000 }).catch(() => {});
	if (!check(asked === 'prompt', `${what}: no prompt opened (dialog: ${asked})`))
		return;

	const now = await snapshot(page);
	const lit = now.filter((f) => f.fill !== orig[f.i].fill).map((f) => f.i);
	const extra = lit.filter((i) => !want.includes(i)).map((i) => orig[i].name);
	const missing = want.filter((i) => !lit.includes(i)).map((i) => orig[i].name);
	check(!extra.length && !missing.length,
	      `${what}: ${lit.length} frames highlighted, ${want.length} match; highlighted but ` +
		      `not matching: [${extra.slice(0, 10)}], matching but not highlighted: ` +
		      `[${missing.slice(0, 10)}]`);
	const matched = await page.locator('#matched').textContent();
	const m = /([0-9.]+)%/.exec(matched);
	if (check(m, `${what}: the matched line says "${matched}", no percentage`)) {
		const shown = +m[1];
		note(`${what}: ${lit.length} frames highlighted, "${matched.trim()}", ` +
		     `their titles add up to ${union.toFixed(2)}%`);
		/* Each title's percentage is rounded to 0.005. */
		check(Math.abs(shown - union) <= 0.02 + 0.01 * tops.length,
		      `${what}: shows ${shown}%, the matching frames hold ${union.toFixed(2)}%`);
		if (e.pct !== null)
			check(Math.abs(shown - e.pct) <= e.tol,
			      `${what}: shows ${shown}%, want ${e.pct} +- ${e.tol}`);
	}
	if (how === 'the Search button' && e === o.searches[0])
		await page.screenshot({ path: o.shot.replace(/(\.png)?$/, '-search.png') });
	await page.keyboard.press('Escape');
	const cleared = await snapshot(page);
	check(cleared.every((f) => f.fill === orig[f.i].fill),
	      `${what}: Escape did not restore the colours`);
}

async function run(page, o) {
	const pageErrors = [];

	page.on('pageerror', (e) => pageErrors.push(e.message));
	page.on('console', (m) => m.type() === 'error' && pageErrors.push(m.text()));
	page.setDefaultTimeout(5000);
	await page.goto(pathToFileURL(o.svg).href);
	const ct = await page.evaluate(() => document.contentType);
	check(ct === 'image/svg+xml', `${o.svg} loaded as ${ct}, not image/svg+xml`);

	const orig = await snapshot(page);
	const W = +(await page.locator('svg').first().getAttribute('width'));
	if (!check(orig.length > 0, 'no frames (g.f) in the SVG'))
		return;
	/* The root is the bottom row. */
	const root = orig.reduce((a, b) => (b.y > a.y ? b : a));

	await checkRendering(page, o, orig, root, W);
	checkColors(o, orig);
	await page.screenshot({ path: o.shot });
	note(`screenshot ${o.shot}`);
	await checkHover(page, o, orig, W);
	if (o.zoom)
		await checkZoom(page, o, orig, root, W);
	await checkSweep(page, o, orig, root, W);
	for (const e of o.searches) {
		await searchOnce(page, o, orig, root, W, e, 'Ctrl+F',
				 () => page.keyboard.press('Control+f'));
		await searchOnce(page, o, orig, root, W, e, 'the Search button',
				 () => page.locator('#search').click());
	}
	check(!pageErrors.length,
	      `script errors in the page: ${pageErrors.slice(0, 3).join(' | ')}`);
}

main().then(
	() => {
		if (failures()) {
			console.error(`flame_test: ${failures()} check(s) failed`);
			process.exit(1);
		}
		console.log('flame_test: ok');
	},
	(e) => {
		console.error('FAIL: ' + (e && e.stack ? e.stack : e));
		process.exit(1);
	});

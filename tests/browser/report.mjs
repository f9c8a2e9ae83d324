// How the browser tests report: FAIL lines and notes as tests/e2e/lib.sh writes them, and the
// count of failed checks that decides the exit status.
let count = 0;

export function fail(msg) {
	count++;
	console.error('FAIL: ' + msg);
}

export function check(cond, msg) {
	if (!cond)
		fail(msg);
	return cond;
}

export function note(msg) {
	console.log('# ' + msg);
}

/* A broken set-up, not a failed check: exit 2 at once. */
export function setupError(msg) {
	console.error('FAIL: ' + msg);
	process.exit(2);
}

export function failures() {
	return count;
}

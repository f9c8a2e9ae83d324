# Helpers for the end-to-end tests: sourced by every tests/e2e/t_*.sh, which run.sh starts in a
# fresh empty directory with HWTRACE (the binary) and PROGS (build/programs) in the environment.
#
# Failures: `fail MSG` stops the test; `err MSG` records a failure and goes on, so one run shows
# every broken fact; `finish` ends the test (status 1 if any err). Facts are checked with tools we
# did not write: protoc --decode_raw, go tool pprof, python3's json and xml modules.

set -uo pipefail
# With pipefail, "PRODUCER | grep -q X" fails when grep, having found X, exits before PRODUCER has
# written its last bytes (SIGPIPE): on a loaded host t_hostile_readers took an ASan build for a
# plain one so. Where the producer writes more after the match, use grep -c X >/dev/null, which
# reads to the end.

: "${HWTRACE:?HWTRACE must name the hwtrace binary}"
: "${PROGS:?PROGS must name the folder of the test programs}"
[ -x "$HWTRACE" ] || { echo "FAIL: HWTRACE=$HWTRACE is not an executable" >&2; exit 1; }
[ -d "$PROGS" ] || { echo "FAIL: PROGS=$PROGS is not a directory" >&2; exit 1; }
# go wants a cache and a home even for `go tool`; keep both inside the test directory.
export HOME="${HOME:-$PWD}" GOCACHE="${GOCACHE:-$PWD/.gocache}"
export LC_ALL=C

E2E_ERRORS=0

# Records a failure (one line) and continues.
err()
{
	echo "FAIL: $*" >&2
	E2E_ERRORS=$((E2E_ERRORS + 1))
}

# Records a failure and ends the test.
fail()
{
	err "$@"
	exit 1
}

# Ends the test: status 0 when nothing failed.
finish()
{
	[ "$E2E_ERRORS" -eq 0 ] || exit 1
	exit 0
}

# A progress line in the test's log.
note()
{
	echo "# $*"
}

# Fails unless each named tool is on PATH.
need()
{
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 || fail "missing tool '$t': run 'make deps' (ci/deps.sh)"
	done
}

# hw ARGS...: runs $HWTRACE ARGS with stdout in hw.out and stderr in hw.err; sets HW_RC. Never
# fails by itself.
hw()
{
	echo "\$ hwtrace $*"
	"$HWTRACE" "$@" >hw.out 2>hw.err
	HW_RC=$?
	return 0
}

# hw_ok ARGS...: like hw, and fails the test (showing stderr) unless the exit status is 0.
hw_ok()
{
	hw "$@"
	if [ "$HW_RC" -ne 0 ]; then
		sed 's/^/  stderr: /' hw.err >&2
		fail "hwtrace $* exited $HW_RC"
	fi
}

# info_field TRACE KEY: the value of the KEY line of `hwtrace info TRACE` ("" if none).
info_field()
{
	"$HWTRACE" info "$1" 2>/dev/null | awk -v k="$2" '
		substr($0, 1, length(k)) == k && substr($0, length(k) + 1, 1) == " " {
			v = substr($0, length(k) + 1); sub(/^ +/, "", v); print v; exit }'
}

assert_file_absent()
{
	[ ! -e "$1" ] || err "file '$1' should not exist"
}

assert_file_nonempty()
{
	[ -s "$1" ] || err "file '$1' is missing or empty"
}

# decode_raw IN OUT: protoc --decode_raw of the protobuf file IN into the text file OUT.
decode_raw()
{
	protoc --decode_raw <"$1" >"$2" 2>decode_raw.err ||
		fail "protoc --decode_raw cannot parse $1: $(head -c 300 decode_raw.err)"
}

# The Perfetto schema subset (trace_subset.proto) and its checker (pftrace.py): tests/perfetto.
# Python imports it from there without leaving bytecode in the source tree.
PFTRACE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../perfetto" && pwd)
export PFTRACE_DIR PYTHONDONTWRITEBYTECODE=1

# pf_decode IN OUT: protoc --decode=perfetto.protos.Trace of the Perfetto trace IN against the
# schema subset into the text file OUT (fields named; pftrace.load(OUT) reads and checks it).
pf_decode()
{
	protoc --decode=perfetto.protos.Trace -I "$PFTRACE_DIR" "$PFTRACE_DIR/trace_subset.proto" \
		<"$1" >"$2" 2>pf_decode.err ||
		fail "protoc --decode=perfetto.protos.Trace cannot parse $1: $(head -c 300 pf_decode.err)"
}

# pprof_top FILE OUT: `go tool pprof -top` on the samples weight of FILE, every node.
pprof_top()
{
	go tool pprof -symbolize=none -sample_index=samples -nodecount=100000 -top "$1" \
		>"$2" 2>pprof.err || fail "go tool pprof -top cannot read $1: $(head -c 300 pprof.err)"
}

# wait_grown FILE SECONDS: waits until FILE exists and has grown after its first size was seen
# (the header and metadata are written first, then data chunks). Fails after SECONDS.
wait_grown()
{
	local f=$1 limit=$(($2 * 20)) first="" size i
	for ((i = 0; i < limit; i++)); do
		if [ -f "$f" ]; then
			size=$(stat -c %s "$f")
			if [ -z "$first" ] && [ "$size" -gt 0 ]; then
				first=$size
			elif [ -n "$first" ] && [ "$size" -gt "$first" ]; then
				return 0
			fi
		fi
		sleep 0.05
	done
	fail "$f did not appear or grow within $2 s"
}

# wait_samples TRACE SECONDS: waits until the recording TRACE, still being written, holds samples
# (`hwtrace info` reads up to its last whole chunk). A file that grew may hold only metadata: on a
# loaded machine the first samples come later.
wait_samples()
{
	local limit=$(($2 * 10)) i n
	for ((i = 0; i < limit; i++)); do
		n=$(info_field "$1" samples)
		[ "${n:-0}" -gt 0 ] 2>/dev/null && return 0
		sleep 0.1
	done
	fail "$1 holds no samples after $2 s"
}

# alive PID: true while PID exists and is not a zombie.
alive()
{
	[ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# attachee_start: the program the attach tests record. Runs attachee alone for reference
# (ref.out, stopped after a few rounds), then starts it to be recorded (prog.out) until the file
# "stop" appears; sets prog_pid, and when the test exits stops it (kill -9 if it does not end).
attachee_start()
{
	prog_pid=""
	trap 'touch stop ref.stop; [ -n "$prog_pid" ] && alive "$prog_pid" && sleep 1 && kill -9 "$prog_pid" 2>/dev/null' EXIT
	(sleep 0.3 && touch ref.stop) &
	"$PROGS/attachee" ref.stop 60 >ref.out 2>ref.err || fail "attachee alone exited $?: $(cat ref.err)"
	wait
	"$PROGS/attachee" stop 60 >prog.out 2>prog.err &
	prog_pid=$!
	local i
	for ((i = 0; i < 200; i++)); do [ -s prog.out ] && break; sleep 0.05; done
	[ -s prog.out ] || fail "attachee printed nothing in 10 s"
}

# Python helpers for py snippets: decode_raw text parsing and failure reporting.
E2E_PYLIB='
import sys, re, json, codecs, os
sys.path.insert(0, os.environ["PFTRACE_DIR"])

errors = 0

def err(msg):
    global errors
    errors += 1
    print("FAIL: " + msg, file=sys.stderr)

def check(cond, msg):
    if not cond:
        err(msg)
    return cond

def done():
    sys.exit(1 if errors else 0)

def _value(text):
    if text.startswith("\""):
        return codecs.escape_decode(text[1:-1].encode("latin-1"))[0]
    if text.startswith("0x"):
        return int(text, 16)
    try:
        return int(text)
    except ValueError:
        return text

def load_raw(path):
    """protoc --decode_raw text -> message: a list of (field number, value); a value is a
    message (list), bytes (length-delimited data that is not a message) or an int."""
    root = []
    stack = [root]
    with open(path, encoding="latin-1") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line == "}":
                stack.pop()
                continue
            m = re.match(r"^(\d+) \{$", line)
            if m:
                msg = []
                stack[-1].append((int(m.group(1)), msg))
                stack.append(msg)
                continue
            m = re.match(r"^(\d+): (.*)$", line)
            if not m:
                raise SystemExit("FAIL: cannot parse decode_raw line: " + line)
            stack[-1].append((int(m.group(1)), _value(m.group(2))))
    return root

def fields(msg, num):
    return [v for f, v in msg if f == num] if isinstance(msg, list) else []

def field(msg, num, default=None):
    v = fields(msg, num)
    return v[0] if v else default

def text(v):
    """A string field; decode_raw shows a string that happens to parse as protobuf as a
    message, which then is not text we look for."""
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else None

def packets(path):
    """The TracePackets (Trace.packet = 1) of a decoded Perfetto trace."""
    return fields(load_raw(path), 1)

def load_chrome(path):
    with open(path) as f:
        d = json.load(f)
    return d["traceEvents"] if isinstance(d, dict) else d
'

# CHROME_SLICES: python for py snippets. chrome_slices(PATH) reads a Chrome JSON export into
# per-thread slices and checks the nesting contract on the way: on each thread, in file order,
# every E closes the B on top of the stack and repeats its name, an X lies inside the open B,
# and time never goes back (a slice starts after the previous one ended, children end before
# their parent). Times are integer ns.
CHROME_SLICES='
import collections

def chrome_slices(path, what="chrome"):
    """-> (slices, instants, left_open): slices[(pid, tid)] is a list of dicts name, start,
    end, depth (1 = outermost), stack (the names of the enclosing slices, outermost first) in
    start order; instants[(pid, tid)] the i events; left_open[(pid, tid)] the names of the B
    events never closed."""
    slices, instants = collections.defaultdict(list), collections.defaultdict(list)
    stacks, now, left_open = collections.defaultdict(list), {}, {}
    for e in load_chrome(path):
        ph = e.get("ph")
        if ph not in ("B", "E", "X", "i") or (ph == "X" and e.get("cat") == "flow"):
            continue  # an X of category flow anchors a flow: not a slice of the program
        k = (e.get("pid"), e.get("tid"))
        ts = round(e["ts"] * 1000)
        if ph == "i":
            instants[k].append(e)
            continue
        st = stacks[k]
        if not check(ts >= now.get(k, ts), "%s: thread %s goes back in time at %s" % (what, k, e)):
            continue
        if ph == "B":
            s = dict(name=e["name"], start=ts, end=None, depth=len(st) + 1,
                     stack=[x["name"] for x in st], args=dict(e.get("args", {})))
            slices[k].append(s)
            st.append(s)
            now[k] = ts
        elif ph == "E":
            if not check(st, "%s: thread %s: E %r with no B open" % (what, k, e.get("name"))):
                continue
            top = st.pop()
            check(e.get("name") == top["name"], "%s: thread %s: E %r closes B %r at %s"
                  % (what, k, e.get("name"), top["name"], e["ts"]))
            top["end"] = ts
            top["args"].update(e.get("args", {}))
            now[k] = ts
        else:
            dur = round(e["dur"] * 1000)
            check(dur >= 0, "%s: X with a negative dur: %s" % (what, e))
            slices[k].append(dict(name=e["name"], start=ts, end=ts + dur, depth=len(st) + 1,
                                  stack=[x["name"] for x in st], args=dict(e.get("args", {}))))
            now[k] = ts + dur
    for k, st in stacks.items():
        if st:
            left_open[k] = [x["name"] for x in st]
    return slices, instants, left_open

def fn(name):
    """A C++ name without its parameters: outer(int) -> outer."""
    return name.split("(")[0]
'

# py SNIPPET ARGS...: runs python3 on E2E_PYLIB followed by SNIPPET, with sys.argv[1:] = ARGS.
# The snippet reports with err()/check() and ends with done().
py()
{
	local code=$1
	shift
	python3 -c "$E2E_PYLIB
$code" "$@"
}

# bad_input NAME REGEX ARGS...: runs hwtrace ARGS in the current directory (files go to ..) and
# checks the error contract: a non-zero exit that is not a crash, exactly one stderr line
# starting "hwtrace: " and matching the extended regular expression REGEX (it names the bad
# thing), and no file left behind. Counts cases in ncases; stdout is kept in ../bad.out.
bad_input()
{
	local name=$1 want=$2 rc lines
	shift 2
	ncases=$((ncases + 1))
	ls -A | LC_ALL=C sort >../before
	"$HWTRACE" "$@" >../bad.out 2>../bad.err </dev/null
	rc=$?
	ls -A | LC_ALL=C sort >../after
	lines=$(wc -l <../bad.err)
	echo "[$name] \$ hwtrace $* -> exit $rc: $(head -c 300 ../bad.err | tr '\n' '|')"
	[ "$rc" -ne 0 ] || err "$name: exit status 0 for bad input"
	[ "$rc" -lt 128 ] || err "$name: exit status $rc: hwtrace crashed"
	grep -Eq 'Sanitizer|runtime error|Segmentation|core dumped|Aborted' ../bad.err &&
		err "$name: a crash or sanitizer report on stderr"
	[ "$lines" -eq 1 ] || err "$name: $lines lines on stderr, want exactly 1"
	head -n 1 ../bad.err | grep -q '^hwtrace: ' || err "$name: stderr does not start with 'hwtrace: '"
	head -n 1 ../bad.err | grep -Eq -- "$want" || err "$name: the message does not match /$want/"
	if ! cmp -s ../before ../after; then
		err "$name: files left behind: $(comm -13 ../before ../after | tr '\n' ' ')"
		comm -13 ../before ../after | while read -r f; do rm -rf "./$f"; done
	fi
	return 0
}


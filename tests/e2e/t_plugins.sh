# External plugins (-P path.so:ARGS): the README's example counter plugin loads and its track
# shows in Chrome JSON and Perfetto; a plugin whose poll() fails and one whose poll() never
# returns are disabled, each with a message and a marker on the timeline, while the recording
# completes and the program's output is intact; an ABI 1 plugin and bad plugin arguments are
# refused with one line each and no file left.
# shellcheck source=lib.sh
. "$E2E_LIB"
need python3 protoc

BUILD=$(dirname "$HWTRACE")
EXAMPLE=$BUILD/plugins/examples/loadavg.so
BAD=$BUILD/tests/plugins
for so in "$EXAMPLE" "$BAD"/misbehave_FAIL.so "$BAD"/misbehave_HANG.so "$BAD"/misbehave_ABI1.so \
	"$BAD"/misbehave_NONE.so; do
	[ -f "$so" ] || fail "missing $so: build it with make"
done

# The example: a global counter track "loadavg", one value every 5 ms or so while fib runs.
hw_ok record -b sample -o la.hwt -P "$EXAMPLE:interval=5ms" -- "$PROGS/slow" 1
hw_ok export -o la.json la.hwt
hw_ok export -o la.pftrace la.hwt
decode_raw la.pftrace la.txt
py '
import json, sys
d = json.load(open(sys.argv[1]))
c = [e for e in d["traceEvents"] if e["ph"] == "C" and e["name"] == "loadavg"]
print("# loadavg: %d values" % len(c))
# One second at 5 ms: 200 polls; a loaded machine may run fewer, never none.
check(len(c) >= 20, "chrome: %d loadavg values, want >= 20" % len(c))
check(all(isinstance(e["args"]["value"], (int, float)) and e["args"]["value"] >= 0 for e in c),
      "chrome: a loadavg value is not a number >= 0")
ts = [e["ts"] for e in c]
check(ts == sorted(ts), "chrome: loadavg values out of time order")
done()' la.json
grep -q '"loadavg"' la.txt || err "perfetto: no track named loadavg"

# Misbehaving plugins: the program (3 s of slow, then fib) must still print its answer. The hang
# is seen while it runs (after 1 s in poll()), or at its end on a machine too loaded for that.
hw record -b sample -o bad.hwt -P "$BAD/misbehave_FAIL.so" -P "$BAD/misbehave_HANG.so" \
	-- sh -c "'$PROGS/slow' 3; '$PROGS/fib' 24"
[ "$HW_RC" -eq 0 ] || fail "record with misbehaving plugins exited $HW_RC: $(cat hw.err)"
[ "$(cat hw.out)" = 46368 ] || err "fib's output is not intact: '$(cat hw.out)'"
grep -q "plugin 'failing' disabled: poll() failed: the test plugin fails on purpose" hw.err ||
	err "no message for the failing plugin: $(cat hw.err)"
grep -Eq "plugin 'hanging' disabled: poll\(\) (has not returned after|did not return after)" hw.err ||
	err "no message for the hanging plugin: $(cat hw.err)"
[ "$(info_field bad.hwt status)" = complete ] || err "the recording is not complete"
hw_ok export -o bad.json bad.hwt
py '
import json, sys
d = json.load(open(sys.argv[1]))
ev = d["traceEvents"]
for name in ("failing", "hanging"):
    m = [e for e in ev if e["ph"] == "i" and e["name"] == "plugin %s disabled" % name]
    check(len(m) == 1, "chrome: %d markers for %s, want 1" % (len(m), name))
    polls = [e["args"]["value"] for e in ev if e["ph"] == "C" and e["name"] == name + " polls"]
    # Each counts its polls and goes wrong on the 3rd: 1, 2, 3 and nothing after.
    check(polls == [1, 2, 3], "chrome: %s polls %s, want [1, 2, 3]" % (name, polls))
    if m and polls:
        last = max(e["ts"] for e in ev if e["ph"] == "C" and e["name"] == name + " polls")
        check(m[0]["ts"] >= last, "chrome: the %s marker comes before its last poll" % name)
        check(m[0]["args"]["plugin"] == name, "chrome: marker args %s" % m[0]["args"])
done()' bad.json

# Refused before anything runs: one line each, nothing left behind.
mkdir -p bad && cd bad || fail "cannot enter bad/"
ncases=0
bad_input abi1 "misbehave_ABI1.so.*ABI 1.*has 2" record -o x.hwt -P "$BAD/misbehave_ABI1.so" -- true
bad_input notplugin "misbehave_NONE.so.*hwt_plugin_entry" record -o x.hwt \
	-P "$BAD/misbehave_NONE.so" -- true
bad_input unknown "unknown plugin 'nosuch'" record -o x.hwt -P nosuch -- true
bad_input badkey "loadavg.*'speed'.*interval" record -o x.hwt -P "$EXAMPLE:speed=3" -- true
bad_input badvalue "interval" record -o x.hwt -P "$EXAMPLE:interval=soon" -- true
cd .. || fail "cd"
finish

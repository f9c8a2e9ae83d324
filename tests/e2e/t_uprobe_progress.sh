# -b uprobe measures what a traced call costs on this host before the program runs (into the
# recording's meta), shows a progress line (calls, calls/s, lost) on a terminal during a long
# recording and none elsewhere, and ends with a note of the time spent in probes.
need script python3

# On a terminal (script gives the recorder a pty): the progress line from the second second.
script -qfec "'$HWTRACE' record -b uprobe -o tty.hwt -- '$PROGS/slow' 3.5" typescript >/dev/null ||
	fail "record under script failed: $(tail -c 300 typescript)"
python3 - typescript <<'PY' || err "no progress line on the terminal"
import re, sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
lines = re.findall(r"\rhwtrace: uprobe: ([0-9.]+(?: [kM])?) calls, [0-9.]+(?: [kM])?/s(?:, ~\d+% of the time in probes)?, (\d+) lost", t)
print("progress lines:", len(lines), lines[-1:] if lines else "")
sys.exit(0 if lines else 1)
PY
grep -q 'recorded .* in tty.hwt' typescript || err "no summary after the progress line"

# Not on a terminal: no progress line, the same recording otherwise.
hw_ok record -b uprobe -o file.hwt -- "$PROGS/slow" 2.5
grep -q $'\r' hw.err && err "a progress line was written to a file: $(head -c 200 hw.err)"
grep -Eq '^hwtrace: uprobe: [0-9.]+( [kM])? calls, ~[0-9.]+ s in probes' hw.err ||
	err "no end note of the probe time: $(head -c 300 hw.err)"

# The measured cost is in the recording: an emulated first instruction (push) costs less than a
# single-stepped one, on every host.
fast=$(info_field file.hwt uprobe.call_ns)
slow=$(info_field file.hwt uprobe.slow_call_ns)
note "a call costs ${fast:-?} ns emulated, ${slow:-?} ns single-stepped on this host"
[ "${fast:-0}" -gt 0 ] || err "uprobe.call_ns is '${fast}', want a measured figure > 0"
[ "${slow:-0}" -gt "${fast:-0}" ] || err "single-stepped ($slow ns) not dearer than emulated ($fast ns)"
[ -n "$(info_field file.hwt uprobe.probe_ms)" ] || err "no uprobe.probe_ms in the recording"
finish

# What hwtrace writes and how: recordings and exports are created 0600 under umask 000 and 022
# (they hold the command line, the hostname and the program's code structure); an output that is
# a device node or a FIFO is written in place, never replaced by a regular file, whether the
# recording fails or not; -o /dev/stdout writes the recording (or the export -f names) to standard
# output, the program's own output going to standard error, and a binary one onto a terminal is
# refused in one line; import refuses a device in one line.
# Device nodes are made here with mknod (root), never the system's.
need python3 protoc

[ "$(id -u)" -eq 0 ] || fail "run as root: the test makes device nodes with mknod"

# ---- modes: 0600 whatever the umask -------------------------------------------------------
for um in 000 022; do
	(
		umask $um
		"$HWTRACE" record -q -b sample -o rec$um.hwt -- "$PROGS/hot" 100000 >/dev/null &&
			"$HWTRACE" record -q -b sample -o rec$um.json -- "$PROGS/hot" 100000 \
				>/dev/null &&
			"$HWTRACE" export -o exp$um.folded rec$um.hwt &&
			"$HWTRACE" export -o exp$um.pb.gz rec$um.hwt &&
			"$HWTRACE" export -o exp$um.pftrace rec$um.hwt
	) 2>mode.err || fail "umask $um: recording or export failed: $(head -c 300 mode.err)"
	for f in rec$um.hwt rec$um.json exp$um.folded exp$um.pb.gz exp$um.pftrace; do
		m=$(stat -c %a "$f")
		[ "$m" = 600 ] || err "umask $um: $f has mode $m, want 600"
	done
done
# An existing file that others could read is replaced by a private one.
: >open.json
chmod 644 open.json
hw_ok export -o open.json rec022.hwt
[ "$(stat -c %a open.json)" = 600 ] || err "an export over a 0644 file left mode $(stat -c %a open.json)"

# ---- device nodes: written in place, never replaced ---------------------------------------
mknod nulldev c 1 3 || fail "mknod failed"
dev_ok()
{
	[ -c nulldev ] || fail "$1: nulldev is no longer a character device: $(ls -l nulldev)"
	[ "$(stat -c '%t,%T' nulldev)" = "1,3" ] || err "$1: nulldev is another device now"
}
hw_ok record -q -o nulldev -- "$PROGS/hot" 1000
dev_ok "record -o nulldev"
hw_ok record -q -f folded -o nulldev -- "$PROGS/hot" 1000
dev_ok "record -f folded -o nulldev"
hw_ok export -f chrome -o nulldev rec022.hwt
dev_ok "export -f chrome -o nulldev"
# A failed recording (the program does not exist) removes nothing either.
hw record -q -o nulldev -- ./no-such-program
[ "$HW_RC" -ne 0 ] || err "recording a missing program succeeded"
dev_ok "a failed record -o nulldev"
# One that fails once the output is open: -F matches nothing the program has.
hw record -q -b uprobe -F no_such_function_e2e -o nulldev -- "$PROGS/hot" 1000
[ "$HW_RC" -ne 0 ] || err "recording with -F matching nothing succeeded"
dev_ok "record -b uprobe -F nothing -o nulldev"
hw import --pt-raw rec022.hwt -o nulldev
[ "$HW_RC" -ne 0 ] && [ "$(wc -l <hw.err)" -eq 1 ] || err "import -o nulldev: want one line and a failure"
dev_ok "import -o nulldev"
ls | grep -E '\.tmp\.|\.rec\.' && err "temporary files left behind"

# ---- a FIFO: the reader gets the recording, then an export ----------------------------------
mkfifo out.fifo
timeout 60 cat out.fifo >fifo.hwt &
reader=$!
hw_ok record -q -b sample -o out.fifo -- "$PROGS/hot" 100000
wait $reader || err "the FIFO's reader failed"
[ -p out.fifo ] || err "out.fifo is no longer a FIFO"
[ "$(info_field fifo.hwt status)" = complete ] || err "the recording read from the FIFO is not complete"
timeout 60 cat out.fifo >fifo.json &
reader=$!
hw_ok export -f chrome -o out.fifo rec022.hwt
wait $reader || err "the FIFO's reader failed"
py 'check(len(load_chrome(sys.argv[1])) > 0, "no events in the export read from the FIFO")' fifo.json

# ---- /dev/stdout -------------------------------------------------------------------------
# The recording itself into a pipe; the program's line goes to stderr, not into the recording.
script='echo PROGRAM-$((6 * 7))-HI; exec "$0" 100000'
"$HWTRACE" record -q -b sample -o /dev/stdout -- sh -c "$script" "$PROGS/hot" 2>so.err | cat >so.hwt
[ "${PIPESTATUS[0]}" -eq 0 ] || err "record -o /dev/stdout failed: $(head -c 300 so.err)"
grep -q PROGRAM-42-HI so.err || err "record -o /dev/stdout: the program's output is not on stderr"
[ "$(info_field so.hwt status)" = complete ] || err "the recording from /dev/stdout is not complete"
[ "$(info_field so.hwt processes)" -ge 1 ] 2>/dev/null || err "the recording from /dev/stdout holds no process"
# Standard output a regular file: the file holds the recording, /dev/stdout stays a link.
"$HWTRACE" record -q -b sample -o /dev/stdout -- "$PROGS/hot" 1000 >sofile.hwt 2>sofile.err ||
	err "record -o /dev/stdout >file failed: $(head -c 300 sofile.err)"
[ "$(info_field sofile.hwt status)" = complete ] || err "record -o /dev/stdout >file: not a complete recording"
[ -L /dev/stdout ] || fail "/dev/stdout is no longer a symbolic link"
# An export to /dev/stdout.
"$HWTRACE" export -f chrome -o /dev/stdout rec022.hwt 2>sx.err | cat >so.json
py 'check(len(load_chrome(sys.argv[1])) > 0, "no events in the export to /dev/stdout")' so.json
"$HWTRACE" record -q -b sample -f perfetto -o /dev/stdout -- "$PROGS/hot" 1000 2>sp.err | cat >so.pftrace
decode_raw so.pftrace so.txt
[ -s so.txt ] || err "record -f perfetto -o /dev/stdout wrote nothing"
ls | grep -E '\.tmp\.|\.rec\.' && err "temporary files left behind"
# A binary format onto a terminal (a pty from python3) is refused in one line, nothing written.
mkdir tty && cp rec022.hwt tty/ && cd tty || fail "cannot enter tty"
py '
import os, subprocess, sys
for args in (["record", "-q", "-o", "/dev/stdout", "--", "true"],
             ["export", "-f", "pprof", "-o", "/dev/stdout", "rec022.hwt"]):
    m, s = os.openpty()
    p = subprocess.run([sys.argv[1]] + args, stdout=s, stderr=subprocess.PIPE)
    os.close(s)
    os.close(m)
    msg = p.stderr.decode()
    check(p.returncode == 1, "%s onto a terminal: exit status %d, want 1" % (args, p.returncode))
    check(msg.count("\n") == 1 and "is a terminal" in msg,
          "%s onto a terminal: stderr %r" % (args, msg))
    check(os.listdir(".") == ["rec022.hwt"], "files left: %s" % os.listdir("."))
done()' "$HWTRACE" || err "binary onto a terminal (see above)"
cd .. || fail "cd .."
finish

# A full disk (a 256 KiB tmpfs) while recording: one line naming the file and the errno, a non-zero
# status, the launched program stopped (not left running unrecorded), the recording kept up to
# the error and readable; an export leaves no file at all; a process attached to (-p) runs on.
need python3

small=$PWD/small
prog_pid=""
att_pid=""
cleanup()
{
	for p in $prog_pid $att_pid; do
		if grep -q slow "/proc/$p/cmdline" 2>/dev/null; then kill -9 "$p" 2>/dev/null; fi
	done
	umount "$small" 2>/dev/null
}
trap cleanup EXIT
mkdir "$small"
mount -t tmpfs -o size=256k hwtrace-test "$small" ||
	fail "cannot mount a small tmpfs (the e2e tests run as root): mount -t tmpfs -o size=256k"

# -g dwarf copies 8 KiB of stack a sample: 256 KiB are full within a second.
echo "\$ hwtrace record -b sample -g dwarf -o small/x.hwt -- slow 60"
timeout 60 "$HWTRACE" record -b sample -g dwarf -o small/x.hwt -- \
	sh -c 'echo $$ >prog.pid; exec "$0" 60' "$PROGS/slow" >rec.out 2>rec.err
rc=$?
prog_pid=$(cat prog.pid)
note "exit status $rc; stderr: $(cat rec.err)"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || err "record exited $rc, want a failure (not 0, not timeout's 124)"
[ "$(wc -l <rec.err)" -eq 1 ] || err "stderr has $(wc -l <rec.err) lines, want 1"
grep -q "^hwtrace: writing 'small/x.hwt': No space left on device" rec.err ||
	err "the error does not name the file and ENOSPC"
alive "$prog_pid" && err "the program ($prog_pid) still runs after the recording failed"
hw_ok info small/x.hwt
sed 's/^/  /' hw.out
size=$(stat -c %s small/x.hwt)
grep -Eq "^status +(complete|truncated at byte $size:)" hw.out ||
	err "the recording does not end cleanly at a chunk (size $size)"
if grep -Eq '^status +complete' hw.out; then
	grep -q '^note .*write error: No space left on device' hw.out || err "no note of the write error"
	grep -Eq '^exit +killed by signal (2|9) ' hw.out || err "exit is not the stop (SIGINT or SIGKILL)"
fi
samples=$(info_field small/x.hwt samples)
[ "${samples:-0}" -gt 0 ] 2>/dev/null || err "no samples kept before the disk was full"
rm -f small/x.hwt prog.pid

# Exported on the spot: the recording was a scratch file; nothing is left in the folder.
echo "\$ hwtrace record -b sample -g dwarf -o small/y.pftrace -- slow 60"
timeout 60 "$HWTRACE" record -b sample -g dwarf -o small/y.pftrace -- \
	sh -c 'echo $$ >prog.pid; exec "$0" 60' "$PROGS/slow" >rec.out 2>rec.err
rc=$?
prog_pid=$(cat prog.pid)
note "exit status $rc; stderr: $(cat rec.err)"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || err "record -o y.pftrace exited $rc, want a failure"
[ "$(wc -l <rec.err)" -eq 1 ] || err "stderr has $(wc -l <rec.err) lines, want 1"
grep -q "^hwtrace: writing 'small/y.pftrace': No space left on device" rec.err ||
	err "the export's error does not name the output and ENOSPC"
alive "$prog_pid" && err "the program ($prog_pid) still runs after the recording failed"
left=$(ls -A small)
[ -z "$left" ] || err "files left in the full folder: $left"

# -p: the process attached to runs on, as -p promises; the recorder detaches with the error.
"$PROGS/slow" 60 &
att_pid=$!
echo "\$ hwtrace record -b sample -g dwarf -p $att_pid -o small/z.hwt"
timeout 60 "$HWTRACE" record -b sample -g dwarf -p "$att_pid" -o small/z.hwt >rec.out 2>rec.err
rc=$?
note "exit status $rc; stderr: $(cat rec.err)"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || err "record -p exited $rc, want a failure"
grep -q "^hwtrace: writing 'small/z.hwt': No space left on device" rec.err ||
	err "record -p: the error does not name the file and ENOSPC"
alive "$att_pid" || err "the process attached to ($att_pid) was stopped: -p leaves it running"
hw_ok info small/z.hwt
finish

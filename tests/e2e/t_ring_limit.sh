# Rings under perf's locked-memory limit: a user with CAP_PERFMON and CAP_BPF but not
# CAP_IPC_LOCK (nobody, run through setpriv, RLIMIT_MEMLOCK set to 8 MiB) records -P syscalls,
# whose rings are 16 MiB a CPU by default: more than the kernel lets such a user lock on most
# machines. Unless given by the user, the rings shrink to what the limit allows (a note says so)
# and the recording works; -m 1G, the user's own choice, is refused in one line and no file.
need setpriv

mkdir w
chmod 777 w
cd w || fail "no work directory"
echo hello >in.txt
chmod 644 in.txt
as_nobody()
{
	(ulimit -l 8192 && setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=+perfmon,+bpf --ambient-caps=+perfmon,+bpf "$HWTRACE" "$@")
}
# What the kernel lets nobody lock (kernel/events/core.c, perf_mmap()): perf_event_mlock_kb a
# CPU, then RLIMIT_MEMLOCK; a ring costs its pages and one more.
cpus=$(getconf _NPROCESSORS_ONLN)
mlock_kb=$(cat /proc/sys/kernel/perf_event_mlock_kb)
limit_kb=$((mlock_kb * cpus + 8192))
ncpu_conf=$(getconf _NPROCESSORS_CONF)
fits_kb=$((ncpu_conf * (16384 + 4)))
note "cpus $cpus, perf_event_mlock_kb $mlock_kb: nobody may lock $limit_kb KiB; 16 MiB rings need $fits_kb"

echo "\$ hwtrace record -P syscalls -o a.hwt -- cat in.txt   (as nobody)"
# To a pipe: to a file, cat copies with copy_file_range(), which -P syscalls does not follow.
as_nobody record -P syscalls -o a.hwt -- cat in.txt 2>a.err | cat >a.out
rc=${PIPESTATUS[0]}
cat a.err
[ "$rc" -eq 0 ] || fail "record as nobody exited $rc: $(head -c 300 a.err)"
grep -q '^hello$' a.out || err "cat's output is missing: $(head -c 200 a.out)"
shrunk=$(sed -n 's/^hwtrace: rings of \([0-9]*\) KiB a CPU, not 16384: perf.s locked-memory limit.*/\1/p' a.err)
if [ "$fits_kb" -gt "$limit_kb" ]; then
	[ -n "$shrunk" ] || err "no note that the rings shrank below 16 MiB"
	if [ "${shrunk:-0}" -lt 64 ] || [ "${shrunk:-0}" -ge 16384 ]; then
		err "rings of '${shrunk}' KiB: want 64 to 8192"
	fi
	[ $((ncpu_conf * (shrunk + 4))) -le "$limit_kb" ] ||
		err "rings of $shrunk KiB on $ncpu_conf CPUs exceed the $limit_kb KiB limit"
	[ $((ncpu_conf * (2 * shrunk + 4))) -gt "$limit_kb" ] ||
		err "rings of $shrunk KiB: twice as much would fit the $limit_kb KiB limit"
else
	[ -z "$shrunk" ] || err "rings shrank to $shrunk KiB though 16 MiB ones fit the limit"
fi
reads=$("$HWTRACE" export -f chrome -o - a.hwt 2>/dev/null | /usr/bin/python3 -c '
import json, sys
ev = json.load(sys.stdin)
ev = ev["traceEvents"] if isinstance(ev, dict) else ev
print(sum(1 for e in ev if e.get("ph") in ("i", "I") and e.get("name") == "read"
          and e.get("args", {}).get("bytes") == 6))')
note "read instants of 6 bytes: $reads"
[ "${reads:-0}" -ge 1 ] || err "no read of in.txt's 6 bytes among the instants"
"$HWTRACE" info a.hwt | grep -c "rings of" >/dev/null || [ -z "$shrunk" ] ||
	err "the note is not in the recording (hwtrace info)"

# The user's own -m is taken as given: refused, one line, no file.
if [ $((ncpu_conf * (1048576 + 4))) -gt "$limit_kb" ]; then
	echo "\$ hwtrace record -P syscalls -m 1G -o b.hwt -- cat in.txt   (as nobody)"
	as_nobody record -P syscalls -m 1G -o b.hwt -- cat in.txt >b.out 2>b.err
	rc=$?
	cat b.err
	if [ "$rc" -eq 0 ] || [ "$rc" -ge 128 ]; then
		err "-m 1G as nobody: exit status $rc"
	fi
	[ "$(wc -l <b.err)" -eq 1 ] || err "-m 1G as nobody: not one line on stderr"
	grep -q "^hwtrace: cannot map a 1048576 KiB ring buffer.*perf_event_mlock_kb" b.err ||
		err "-m 1G: the message does not name the ring and the limit"
	[ ! -e b.hwt ] || err "-m 1G as nobody left b.hwt"
fi
finish

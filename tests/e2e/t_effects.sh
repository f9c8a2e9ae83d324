# Effects (-P syscalls): the effects program writes and reads back five named files, each in a
# function of its own with byte counts of its own (two under the working directory, three under
# /tmp), and talks TCP with a server thread on 127.0.0.1 (client sends 1111 bytes, receives 2222).
# The files view (folded) must give each (calling function, file) exactly the bytes written plus
# read and the files:count view two opens of each; the network view the same bytes on
# net:127.0.0.1:PORT under net_client and server_main; the Chrome and Perfetto exports an
# instant per call with the path or address, fd and bytes on the right thread. The file it maps
# is one "map" instant (length, offset, perms) and the files:mapped view's only bytes under
# file_map; the memory it maps is no instant. What it opens, writes and reads through io_uring is
# an open, a write and a read instant "via" io_uring of that path on the main thread (whichever
# thread the kernel completed them on) and the files view's bytes under file_uring, where it
# submitted them. At -O0 and -O2.
need python3 protoc go

# How a path the program opened is shown: under the project root (the working directory by
# default) as given (the program opens them by relative names); /tmp paths as their bucket,
# external/tmp, unless --no-redact.
CWD_SHOWN='{path}'
TMP_SHOWN='external/tmp'

CHECK='
import sys, collections
out, folded, counts, net, chrome, cwd_shown, tmp_shown, mapped = sys.argv[1:9]
files, maps, urings, port, csend, ssend = [], [], [], None, 0, 0
for line in open(out):
    w = line.split()
    if w[0] == "file":
        files.append((w[1], int(w[2]), int(w[3])))
    elif w[0] == "map":
        maps.append((w[1], int(w[2]), int(w[3])))
    elif w[0] == "uring":
        urings.append(w[1:])
    elif w[0] == "server":
        port, csend, ssend = int(w[1]), int(w[2]), int(w[3])
check(len(files) == 5 and port, "program output: %s" % open(out).read()[:300])
funcs = ["file_cwd_a", "file_cwd_b", "file_tmp_c", "file_tmp_d", "file_tmp_e"]
def shown(p):
    return (tmp_shown if p.startswith("/tmp/") else cwd_shown).format(path=p)
want = collections.Counter()
for (path, nw, nr), fn in zip(files, funcs):
    want[(fn, "file:" + shown(path))] += nw + nr
def fold(path):
    got = collections.Counter()
    for line in open(path):
        stack, v = line.rsplit(" ", 1)
        fr = stack.split(";")
        got[(tuple(fr[:-1]), fr[-1])] += int(v)
    return got
got = collections.Counter()
for (fr, leaf), v in fold(folded).items():
    for fn in funcs:
        if fn in fr:
            got[(fn, leaf)] += v
print("# files view:", dict(got))
check(got == want, "files view %s, want %s" % (dict(got), dict(want)))
opens = collections.Counter()
for (fr, leaf), v in fold(counts).items():
    if "open" in fr or "open64" in fr or "__libc_open64" in fr:
        for fn in funcs:
            if fn in fr:
                opens[(fn, leaf)] += v
wopen = collections.Counter({k: 2 for k in want})
check(opens == wopen, "files:count view opens %s, want %s" % (dict(opens), dict(wopen)))
leaf = "net:127.0.0.1:%d" % port
gnet = collections.Counter()
for (fr, lf), v in fold(net).items():
    for fn in ("net_client", "server_main"):
        if fn in fr and lf == leaf:
            gnet[fn] += v
wnet = {"net_client": csend + ssend, "server_main": csend + ssend}
check(gnet == wnet, "network view %s, want %s on %s" % (dict(gnet), wnet, leaf))
ev = load_chrome(chrome)
inst = [e for e in ev if e.get("ph") in ("i", "I")]
for path, nw, nr in files:
    for name, n in (("write", nw), ("read", nr)):
        m = [e for e in inst if e["name"] == name and e["args"].get("path") == shown(path)
             and e["args"].get("bytes") == n and e["args"].get("result") == n]
        check(len(m) == 1, "chrome: %d %s instants of %d bytes on %s" % (len(m), name, n, path))
    m = [e for e in inst if e["name"] == "open" and e["args"].get("path") == shown(path)
         and e["args"].get("fd", -1) >= 0]
    same = sum(shown(p) == shown(path) for p, _, _ in files)
    check(len(m) == 2 * same, "chrome: %d open instants of %s, want %d" % (len(m), path, 2 * same))
addr = "127.0.0.1:%d" % port
by = collections.Counter()
for e in inst:
    if e["name"] in ("send", "recv") and e["args"].get("address") == addr:
        by[(e["tid"] == e["pid"], e["name"])] += e["args"]["bytes"]
wby = {(True, "send"): csend, (True, "recv"): ssend, (False, "recv"): csend, (False, "send"): ssend}
check(by == wby, "chrome: bytes by (main thread, direction) %s, want %s" % (dict(by), wby))
check(any(e["name"] == "connect" and e["args"].get("address") == addr for e in inst),
      "chrome: no connect instant to %s" % addr)
check(len(maps) == 1, "program output: maps %s" % maps)
mpath, mlen, moff = maps[0]
mi = [e for e in inst if e["name"] == "map"]
m = [e for e in mi if e["args"].get("path") == shown(mpath)]
check(len(m) == 1 and m[0]["args"].get("length") == mlen and m[0]["args"].get("offset") == moff
      and m[0]["args"].get("perms") == "r--p" and m[0]["args"].get("fd", -1) >= 0,
      "chrome: map instants of %s: %s, want one of %d bytes at %d, r--p" %
      (mpath, [e["args"] for e in m], mlen, moff))
check(all(e["args"].get("fd", -1) >= 0 and "path" in e["args"] for e in mi),
      "chrome: a map instant of no file (memory mapped?): %s" %
      [e["args"] for e in mi if e["args"].get("fd", -1) < 0 or "path" not in e["args"]][:3])
gm = collections.Counter()
for (fr, lf), v in fold(mapped).items():
    if "file_map" in fr:
        gm[lf] += v
check(gm == {"file:" + shown(mpath): mlen}, "files:mapped view under file_map %s, want %d on %s" %
      (dict(gm), mlen, shown(mpath)))
check(len(urings) == 1, "program output: uring %s" % urings)
if urings[0] == ["none"]:
    print("# io_uring refused by this kernel (kernel.io_uring_disabled): its checks skipped")
else:
    upath, uw, ur = urings[0][0], int(urings[0][1]), int(urings[0][2])
    main_tid = [e["tid"] for e in inst if e["name"] == "connect"][0]
    m = [e for e in inst if e["name"] == "open" and e["args"].get("via") == "io_uring"]
    check(len(m) == 1 and m[0]["args"].get("path") == shown(upath) and
          m[0]["args"].get("result", -1) >= 0 and m[0]["tid"] == main_tid,
          "chrome: io_uring open instants %s, want one of %s on thread %d" %
          ([(e["tid"], e["args"]) for e in m], shown(upath), main_tid))
    for name, n in (("write", uw), ("read", ur)):
        m = [e for e in inst if e["name"] == name and e["args"].get("via") == "io_uring"]
        check(len(m) == 1 and m[0]["args"].get("path") == shown(upath) and
              m[0]["args"].get("bytes") == n and m[0]["tid"] == main_tid,
              "chrome: io_uring %s instants %s, want one of %d bytes on %s on thread %d" %
              (name, [(e["tid"], e["args"]) for e in m], n, shown(upath), main_tid))
    gu = collections.Counter()
    for (fr, lf), v in fold(folded).items():
        if "file_uring" in fr:
            gu[lf] += v
    check(gu == {"file:" + shown(upath): uw + ur}, "files view under file_uring %s, want %d on %s"
          % (dict(gu), uw + ur, shown(upath)))
done()
'

PFCHECK='
import sys, pftrace
out, pf, cwd_shown, tmp_shown = sys.argv[1:5]
files = [l.split() for l in open(out) if l.startswith("file ")]
def shown(p):
    return (tmp_shown if p.startswith("/tmp/") else cwd_shown).format(path=p)
t = pftrace.load(pf)
check(not t.errors, "perfetto: %s" % t.errors[:5])
for _, path, nw, nr in files:
    for name, n in (("write", int(nw)), ("read", int(nr))):
        m = [a for ts, u, nm, a, fl, end in t.instants if nm == name and a.get("bytes") == n
             and a.get("path") == shown(path)]
        check(len(m) == 1, "perfetto: %d %s instants of %d bytes on %s" % (len(m), name, n, path))
done()
'

# go tool pprof -raw of the files view: each sample's exact bytes and its locations' names.
PPCHECK='
import sys, collections, re
out, raw, cwd_shown, tmp_shown = sys.argv[1:5]
files = [l.split() for l in open(out) if l.startswith("file ")]
funcs = ["file_cwd_a", "file_cwd_b", "file_tmp_c", "file_tmp_d", "file_tmp_e"]
def shown(p):
    return (tmp_shown if p.startswith("/tmp/") else cwd_shown).format(path=p)
text = open(raw).read()
locs = {}
for m in re.finditer(r"^ +(\d+): 0x[0-9a-f]+ (?:M=\d+ )?(.*?) :\d+ s=", text, re.M):
    locs[m.group(1)] = m.group(2)
samples = re.findall(r"^ +(\d+): ((?:\d+ )+)$", text.split("Locations")[0], re.M)
got = collections.Counter()
for v, ids in samples:
    names = [locs.get(i, "?") for i in ids.split()]
    for fn in funcs:
        if fn in names:
            got[(fn, names[0])] += int(v)
want = collections.Counter()
for (_, path, nw, nr), fn in zip(files, funcs):
    want[(fn, "file:" + shown(path))] += int(nw) + int(nr)
print("# pprof files view:", dict(got))
check(got == want, "pprof files view %s, want %s" % (dict(got), dict(want)))
done()
'

for prog in effects effects_o2; do
	echo "\$ hwtrace record -q -P syscalls -o $prog.hwt -- $prog"
	"$HWTRACE" record -q -P syscalls -o $prog.hwt -- "$PROGS/$prog" >$prog.out 2>$prog.err ||
		fail "record -P syscalls failed: $(head -c 300 $prog.err)"
	hw_ok export -f folded --view files -o $prog.files.folded $prog.hwt
	hw_ok export -f folded --view files:count -o $prog.count.folded $prog.hwt
	hw_ok export -f folded --view network -o $prog.net.folded $prog.hwt
	hw_ok export -f folded --view files:mapped -o $prog.mapped.folded $prog.hwt
	hw_ok export -o $prog.json $prog.hwt
	py "$CHECK" $prog.out $prog.files.folded $prog.count.folded $prog.net.folded $prog.json \
		"$CWD_SHOWN" "$TMP_SHOWN" $prog.mapped.folded ||
		err "$prog: effects in the views or the Chrome export"
	hw_ok export -f pprof --view files -o $prog.pb.gz $prog.hwt
	go tool pprof -raw $prog.pb.gz >$prog.raw 2>pprof.err ||
		fail "go tool pprof -raw cannot read $prog.pb.gz: $(head -c 300 pprof.err)"
	py "$PPCHECK" $prog.out $prog.raw "$CWD_SHOWN" "$TMP_SHOWN" || err "$prog: the pprof files view"
	hw_ok export -o $prog.pftrace $prog.hwt
	pf_decode $prog.pftrace $prog.pf.txt
	py "$PFCHECK" $prog.out $prog.pf.txt "$CWD_SHOWN" "$TMP_SHOWN" || err "$prog: effects in the Perfetto export"
	# A /tmp path shown otherwise than as given must appear in no output at all.
	if [ "$TMP_SHOWN" = "${TMP_SHOWN#*\{path\}}" ]; then
		for f in $prog.files.folded $prog.count.folded $prog.json $prog.pf.txt $prog.raw; do
			! grep -q /tmp/hwt_fx_ $f || err "$f shows a /tmp path as given, want $TMP_SHOWN"
		done
	fi
done

# --no-redact shows the /tmp files as the program named them, one line each in the files view.
hw_ok export -f folded --view files --no-redact -o nr.folded effects.hwt
n=$(grep -c ';file:/tmp/hwt_fx_' nr.folded)
note "--no-redact: $n stacks end in a /tmp file as named"
[ "$n" -ge 3 ] || err "export --no-redact --view files shows $n stacks ending in /tmp/hwt_fx_*, want 3 or more"

# Nothing stays in the kernel: the BPF program (hwt_sc_exit) goes with the
# recorder, at the end and on ^C. Listed by bpf(2) itself (BPF_PROG_GET_NEXT_ID, names from
# BPF_OBJ_GET_INFO_BY_FD), no bpftool needed.
BPFPROGS='
import ctypes, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def bpf(cmd, attr):
    buf = ctypes.create_string_buffer(attr, 128)
    return libc.syscall(321, cmd, buf, 128), buf
n, pid = 0, 0
while True:
    rc, buf = bpf(11, struct.pack("<III", pid, 0, 0))  # BPF_PROG_GET_NEXT_ID
    if rc < 0:
        break
    pid = struct.unpack_from("<I", buf, 4)[0]
    fd, _ = bpf(13, struct.pack("<III", pid, 0, 0))  # BPF_PROG_GET_FD_BY_ID
    if fd < 0:
        continue
    info = ctypes.create_string_buffer(256)
    rc, _ = bpf(15, struct.pack("<IIQ", fd, 256, ctypes.addressof(info)))  # OBJ_GET_INFO_BY_FD
    name = info.raw[64:80].split(b"\0")[0].decode()
    n += rc == 0 and name.startswith("hwt_sc_")
    libc.close(fd)
print(n)
'
# bpf_progs_become N: waits up to 10 s for N syscalls programs to be loaded (the kernel frees a
# program once its last descriptor is closed, which may finish just after the recorder exits).
bpf_progs_become()
{
	local i
	for ((i = 0; i < 100; i++)); do
		n=$(python3 -c "$BPFPROGS") || fail "cannot list BPF programs"
		[ "$n" = "$1" ] && return 0
		sleep 0.1
	done
	return 1
}
bpf_progs_become 0 || err "$n syscalls BPF programs left in the kernel after the recordings"
echo "\$ hwtrace record -P syscalls -o int.hwt -- sleep 30 (then ^C)"
"$HWTRACE" record -q -P syscalls -o int.hwt -- sleep 30 >int.out 2>int.err &
rec_pid=$!
# The programs: sys_exit's; with the kernel's BTF, sched_process_fork's (to follow children), and
# io_uring's two where the BTF describes its requests.
nprogs=1
[ -r /sys/kernel/btf/vmlinux ] && nprogs=2
[ $nprogs = 2 ] && grep -aqw io_kiocb /sys/kernel/btf/vmlinux && nprogs=4
bpf_progs_become $nprogs || err "the recorder has not loaded its $nprogs BPF programs within 10 s"
kill -INT "$rec_pid"
wait "$rec_pid"
rc=$?
[ "$rc" -eq 130 ] || err "record exited $rc on ^C, want 130 (the program's): $(head -c 300 int.err)"
bpf_progs_become 0 || err "$n syscalls BPF programs left in the kernel after ^C"

# Copies between descriptors (cp copies with copy_file_range, cat to a file too, where the
# kernel allows it): the bytes read from the one and written to the other, whichever call
# moved them (a copy made with read and write counts the same).
head -c 100000 /dev/zero | tr '\0' 'x' >src.txt
echo "\$ hwtrace record -P syscalls:stack=none -o cp.hwt -- cp src.txt dst.txt"
"$HWTRACE" record -q -P syscalls:stack=none -o cp.hwt -- cp src.txt dst.txt >cp.out 2>&1 ||
	fail "record of cp failed: $(head -c 300 cp.out)"
hw export -f folded --view files -o cp.folded cp.hwt
[ "$HW_RC" -eq 0 ] || fail "export of cp's files view failed"
sum_leaf() { awk -v l="$1" '{ n = split($1, f, ";"); if (f[n] == l) s += $2 } END { print s + 0 }' cp.folded; }
note "cp: $(sum_leaf file:src.txt) bytes read from src.txt, $(sum_leaf file:dst.txt) written to dst.txt"
[ "$(sum_leaf file:src.txt)" -eq 100000 ] || err "cp read $(sum_leaf file:src.txt) bytes of src.txt, want 100000"
[ "$(sum_leaf file:dst.txt)" -eq 100000 ] || err "cp wrote $(sum_leaf file:dst.txt) bytes to dst.txt, want 100000"

# An accepted socket's peer, as the program saw it (python3's accept asks for the address).
cat >srv.py <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
c = socket.create_connection(s.getsockname())
a, peer = s.accept()
print("%s:%d" % peer)
PY
"$HWTRACE" record -q -P syscalls:stack=none -o py.hwt -- /usr/bin/python3 srv.py >py.out 2>py.err ||
	fail "record of python3 srv.py failed: $(head -c 300 py.err)"
hw export -f chrome -o py.json py.hwt
peers=$(/usr/bin/python3 -c '
import json, sys
ev = json.load(open("py.json"))
ev = ev["traceEvents"] if isinstance(ev, dict) else ev
print(" ".join(e["args"].get("peer", "-") for e in ev if e.get("ph") == "i" and e.get("name") == "accept"))')
note "python3 accepted $(cat py.out); accept instants' peers: $peers"
[ "$peers" = "$(cat py.out)" ] || err "accept's peer '$peers', python3 saw '$(cat py.out)'"

# Children are followed from their fork: each of 20 cats started by a shell, on a machine where
# the child may run on another CPU before its parent's fork returns, reads its file.
echo "\$ hwtrace record -P syscalls:stack=none -o kids.hwt -- sh -c 'for i in \$(seq 20); do cat \$PWD/src.txt; done'"
"$HWTRACE" record -q -P syscalls:stack=none -o kids.hwt -- \
	sh -c "for i in \$(seq 20); do cat $PWD/src.txt >/dev/null; done" >kids.out 2>&1 ||
	fail "record of 20 cats failed: $(head -c 300 kids.out)"
hw export -f chrome -o kids.json kids.hwt
cats=$(/usr/bin/python3 -c '
import json
ev = json.load(open("kids.json"))
ev = ev["traceEvents"] if isinstance(ev, dict) else ev
print(len({e["pid"] for e in ev if e.get("ph") == "i" and e.get("name") == "read"
           and e["args"].get("path") == "src.txt" and e["args"].get("bytes") == 100000}))')
note "processes that read src.txt whole: $cats of 20"
if [ -r /sys/kernel/btf/vmlinux ]; then
	[ "$cats" = 20 ] || err "$cats of the 20 cats were followed, want all"
fi

# A view of effects on a recording without them: one line naming the fix, no output file.
hw export -f folded --view files -o none.folded effects.hwt
[ "$HW_RC" -eq 0 ] || fail "the effects recording lost its files view"
"$HWTRACE" record -q -o plain.hwt -- "$PROGS/effects" >/dev/null 2>&1 || fail "plain record failed"
hw export -f folded --view network -o plain.folded plain.hwt
[ "$HW_RC" -ne 0 ] || err "--view network of a recording without -P syscalls succeeded"
grep -q -- "-P syscalls" hw.err || err "the error does not say to record with -P syscalls: $(cat hw.err)"
assert_file_absent plain.folded
finish

# The object plugins on tests/programs/objs.c, which opens a file, dlopens zlib, then closes the
# file: `maps` shows zlib only after the dlopen; `fds` shows the file while it is open and not
# after; `env` shows the command line and the one variable asked for, nothing else of the
# environment. Checked in Chrome JSON ("N"/"O" snapshots) with python3.
# shellcheck source=lib.sh
. "$E2E_LIB"
need python3

echo data >objs.txt
OBJS_VAR=hello OBJS_OTHER=secret hw_ok record -b sample -o o.hwt -P maps -P fds:interval=5ms \
	-P env:vars=OBJS_VAR,vars=OBJS_MISSING -- "$PROGS/objs" "$PWD/objs.txt"
grep -q "fd 3, zlib loaded" hw.out || fail "objs did not run as planned: $(cat hw.out)"
hw_ok export -o o.json o.hwt
py '
import json, sys
d = json.load(open(sys.argv[1]))
path = sys.argv[2]
snaps = {}
for e in d["traceEvents"]:
    if e["ph"] == "O":
        snaps.setdefault(e["name"], []).append((e["ts"], e["args"]["snapshot"]))
check(set(snaps) == {"maps", "fds", "env"}, "object tracks %s, want maps, fds, env" % sorted(snaps))

maps = [s for _, s in sorted(snaps.get("maps", []), key=lambda x: x[0])]
has_z = ["libz.so" in " ".join(m["path"] for m in s["mappings"]) for s in maps]
print("# maps: %d snapshots, zlib in %s" % (len(maps), has_z))
check(len(maps) >= 2, "maps: %d snapshots, want the start and the dlopen" % len(maps))
check(has_z and not has_z[0] and has_z[-1], "maps: zlib must appear after the first snapshot")
if maps:
    check(any(m["path"].endswith("/objs") and "x" in m["perms"] for m in maps[0]["mappings"]),
          "maps: the program is not mapped executable in the first snapshot")

fds = [s["fds"] for _, s in sorted(snaps.get("fds", []), key=lambda x: x[0])]
opened = [path in f.values() for f in fds]
print("# fds: %d snapshots, file open in %s" % (len(fds), opened))
check(True in opened, "fds: never shows %s open" % path)
if True in opened:
    i = opened.index(True)
    check(not opened[0], "fds: the file is open in the first snapshot")
    check(False in opened[i:], "fds: the file is never shown closed")
    check(all(f.get("3") == path for f, o in zip(fds, opened) if o), "fds: not on fd 3")

env = [s for _, s in snaps.get("env", [])]
check(len(env) == 1, "env: %d snapshots, want 1 (the program started once)" % len(env))
if env:
    check(env[0]["argv"][1:] == [path], "env: argv %s" % env[0]["argv"])
    check(env[0].get("env") == {"OBJS_VAR": "hello"}, "env: variables %s" % env[0].get("env"))
done()' o.json "$PWD/objs.txt"
finish

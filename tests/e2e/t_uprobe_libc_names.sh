# Library functions selected by the names users know, recorded with -b uprobe. libnames calls
# free 7 times, cfree 3 times (glibc keeps it as a compatibility symbol: the program looks it
# up with dlvsym), strlen 11 times, memcpy 13 times and sqrt 5 times, through volatile
# pointers and without stdio. In glibc free and cfree are names of one function, __libc_free
# (so each -F sees the 10 calls); sqrt is one of libm's names of f32xsqrtf64; strlen and memcpy
# are IFUNCs whose own code is the resolver: the calls go to the implementation it picks.
# Each -F must match, count exactly the calls the program made, and show the function under
# the name asked for. readelf checks that those facts about the libraries still hold here.
BACKEND=${BACKEND:-uprobe} # t_inproc_libc_names.sh runs this file with -b inproc
need python3 readelf

libc=$(ldd "$PROGS/libnames" | awk '/libc\.so/ {print $3}')
libm=$(ldd "$PROGS/libnames" | awk '/libm\.so/ {print $3}')
[ -f "$libc" ] && [ -f "$libm" ] || fail "ldd names no libc or libm for libnames"
readelf -W --dyn-syms "$libc" >libc.syms || fail "readelf cannot read $libc"
readelf -W --dyn-syms "$libm" >libm.syms || fail "readelf cannot read $libm"
py '
import sys
def syms(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) >= 8 and f[0].endswith(":"):
            out.setdefault(f[7].split("@")[0], []).append((f[1], f[3]))
    return out
c, m = syms(sys.argv[1]), syms(sys.argv[2])
addr = lambda s, n: {a for a, t in s.get(n, [])}
check(addr(c, "free") & addr(c, "__libc_free") & addr(c, "cfree"),
      "libc: free, __libc_free and cfree are not one address")
check(any(t == "IFUNC" for a, t in c.get("strlen", [])), "libc: strlen is no IFUNC")
check(any(t == "IFUNC" for a, t in c.get("memcpy", [])), "libc: memcpy is no IFUNC")
check(addr(m, "sqrt") & addr(m, "f32xsqrtf64"), "libm: sqrt and f32xsqrtf64 are not one address")
done()
' libc.syms libm.syms || fail "the libraries are not what this test is about (see above)"

# check_names SPEC OPTION...: records libnames with the -F/-N OPTIONs; SPEC "name:calls ..." is
# every function that must show (main included), under that name, with that many calls.
check_names()
{
	local spec=$1
	shift
	note "---- ${*}"
	hw_ok record -q -b "$BACKEND" -o n.hwt "$@" -- "$PROGS/libnames"
	[ "$(cat hw.out)" = 13206146 ] || err "libnames printed '$(head -c 100 hw.out)', want 13206146"
	grep -q "matched no function" hw.err && err "record: $(grep -m1 'matched no function' hw.err)"
	grep -q "IFUNC" hw.err && err "record: $(grep -m1 IFUNC hw.err)"
	hw_ok export -o n.json n.hwt
	py "$CHROME_SLICES"'
import sys, collections
spec = dict((x.split(":")[0], int(x.split(":")[1])) for x in sys.argv[2].split())
slices, instants, left_open = chrome_slices(sys.argv[1])
check(not left_open, "slices left open: %s" % left_open)
got = collections.Counter(s["name"] for sl in slices.values() for s in sl)
print("# %s: %s" % (sys.argv[3], dict(got)))
check(dict(got) == spec, "%s: calls %s, want %s" % (sys.argv[3], dict(got), spec))
done()
' n.json "$spec" "$*" || err "$* (see above)"
}

check_names "main:1 free:10 strlen:11 memcpy:13 sqrt:5" -F 'libc.so*:free' -F 'libc.so*:strlen' \
	-F 'libc.so*:memcpy' -F 'libm.so*:sqrt' -F main
check_names "main:1 cfree:10" -F 'libc.so*:cfree' -F main
check_names "main:1 __libc_free:10" -F 'libc.so*:__libc_free' -F main
check_names "main:1 f32xsqrtf64:5" -F 'libm.so*:f32xsqrtf64' -F main
# -N on an alias excludes the function whatever name chose it.
check_names "main:1 strlen:11" -F 'libc.so*:free' -F 'libc.so*:strlen' -F main -N 'libc.so*:cfree'
finish

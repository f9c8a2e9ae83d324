# -P loads a plugin file only from the path given: a bare name is a built-in plugin's or an error,
# never a name for dlopen() to search LD_LIBRARY_PATH with. A library whose constructor writes a
# marker file, placed in LD_LIBRARY_PATH, is never run: not by `-P itsname.so` (one line, nothing
# left, the program not run), and not by `-P ./path/itsname.so` either, since its symbol table is
# read before it is loaded and it exports no hwt_plugin_entry. A real plugin loads by its path,
# and by its bare name is refused.
need python3

BUILD=$(dirname "$HWTRACE")
EXAMPLE=$BUILD/plugins/examples/loadavg.so
[ -f "$EXAMPLE" ] || fail "missing $EXAMPLE: build it with make"
src=$(cd "$(dirname "$E2E_LIB")/../plugins" && pwd)/ctor_marker.c
mkdir lib w
${CC:-cc} -shared -fPIC -O1 -o lib/libhwtctor.so "$src" || fail "cannot build $src"
cp "$EXAMPLE" lib/loadavg.so
CTOR=$PWD/ctor.marker
RAN=$PWD/ran.marker
export HWT_CTOR_MARKER=$CTOR LD_LIBRARY_PATH=$PWD/lib

# The constructor does write the marker when the library is loaded: the test can see it.
python3 -c 'import ctypes, sys; ctypes.CDLL(sys.argv[1])' lib/libhwtctor.so ||
	fail "cannot load lib/libhwtctor.so with ctypes"
[ -e "$CTOR" ] || fail "the constructor of libhwtctor.so wrote no marker"
rm -f "$CTOR"

cd w || fail "cannot enter w"
ncases=0
bad()
{
	bad_input "$@"
	[ -e "$CTOR" ] && err "$1: the library's constructor ran"
	[ -e "$RAN" ] && err "$1: the program ran"
	rm -f "$CTOR" "$RAN"
}
bad bare-name-in-ld-library-path 'libhwtctor\.so.*only from a path.*\./libhwtctor\.so' \
	record -P libhwtctor.so -o out.hwt -- "$PROGS/marker" "$RAN"
bad bare-name-with-args 'libhwtctor\.so.*only from a path' \
	record -P libhwtctor.so:x=1 -o out.hwt -- "$PROGS/marker" "$RAN"
bad path-not-a-plugin 'libhwtctor\.so.*not an hwtrace plugin.*hwt_plugin_entry' \
	record -P ../lib/libhwtctor.so -o out.hwt -- "$PROGS/marker" "$RAN"
bad real-plugin-bare-name 'loadavg\.so.*only from a path' \
	record -P loadavg.so -o out.hwt -- "$PROGS/marker" "$RAN"
bad system-library-bare-name 'libc\.so\.6.*only from a path' \
	record -P libc.so.6 -o out.hwt -- "$PROGS/marker" "$RAN"
cd ..

# A real plugin by its path loads and runs.
hw_ok record -q -b sample -P ./lib/loadavg.so:interval=5ms -o la.hwt -- "$PROGS/marker" "$RAN"
[ -e "$RAN" ] || err "the program did not run with -P ./lib/loadavg.so"
[ -e "$CTOR" ] && err "a constructor marker appeared"
note "$ncases refused plugin names checked"
finish

# `hwtrace list PROG` on a stripped program names the libraries that hold its code, resolved as
# the loader resolves them (checked against ldd), and `list LIB` / `list --functions LIB` count
# and name what -F 'LIB:GLOB' attaches to (checked against readelf's dynamic symbols).
need sqlite3 ldd readelf
prog=$(command -v sqlite3)

hw_ok list "$prog"
sed -n '/^uprobe in/,/^$/p' hw.out | sed 's/^/  /'
grep -Eq '^  0 functions' hw.out || err "Debian's sqlite3 is stripped: want 0 functions of its own"
grep -q "has no functions of its own" hw.out || err "no hint that its code lives in libraries"
# Every library ldd resolves (but the vdso and the loader) is listed with ldd's path.
ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' >ldd.libs
[ -s ldd.libs ] || fail "ldd resolved no library of $prog"
awk '/libraries it needs/ { on = 1; next } on && /^    / { sub(":$", "", $2); print $1, $2 }' \
	hw.out >ours.libs
while read -r name path; do
	got=$(awk -v n="$name" '$1 == n { print $2 }' ours.libs)
	# Only libraries named in DT_NEEDED of the program are listed; ldd adds their own needs.
	readelf -d "$prog" | grep -c "Shared library: \[$name\]" >/dev/null || continue
	[ -n "$got" ] || { err "list does not name $name"; continue; }
	[ "$(realpath "$got")" = "$(realpath "$path")" ] ||
		err "$name resolved to $got, ldd says $path"
done <ldd.libs
lib=$(awk '$1 ~ /^libsqlite3/ { print $2 }' ours.libs)
[ -n "$lib" ] || fail "libsqlite3 is not among the libraries listed"

# The library itself: its function count is readelf's count of defined, sized functions (one
# per address), and --functions prints that many names.
want=$(readelf -W --dyn-syms "$lib" | awk '$4 == "FUNC" && $3 > 0 && $7 != "UND" { print $2 }' |
	sort -u | wc -l)
hw_ok list "$lib"
grep -q "a library" hw.out || err "list on $lib does not say it is a library"
got=$(sed -n 's/^  \([0-9]*\) functions;.*/\1/p' hw.out)
[ "$got" = "$want" ] || err "list $lib counts $got functions, readelf $want"
grep -q "\-F '$(basename "$lib"):GLOB'" hw.out || err "no -F 'LIB:GLOB' hint for the library"
hw_ok list --functions "$lib"
[ "$(wc -l <hw.out)" = "$want" ] || err "list --functions printed $(wc -l <hw.out) names, want $want"
grep -qx 'sqlite3_open_v2\( .*\)\?' hw.out || err "sqlite3_open_v2 is not among the functions"

# A missing program stays one line.
hw list no-such-program-here
[ "$HW_RC" -ne 0 ] && [ "$(wc -l <hw.err)" -eq 1 ] || err "list of a missing program: exit $HW_RC, $(wc -l <hw.err) lines"
finish

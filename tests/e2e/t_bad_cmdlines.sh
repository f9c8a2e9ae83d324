# Bad command lines, one table: each must be refused before the program starts, in exactly one
# stderr line starting "hwtrace: " that names what is wrong (a pattern per case), with a non-zero
# status that is not a crash, leaving no file behind (lib.sh's bad_input); and the program given,
# which creates a marker file when it runs, must never have run.
need python3

mkdir w
cd w || fail "cannot enter w"
MARK=$(cd .. && pwd)/ran.marker
M=("$PROGS/marker" "$MARK")

# Fixtures, made before any listing is taken.
"$HWTRACE" record -q -b sample -o good.hwt -- "$PROGS/hot" 100000 >/dev/null 2>../fixture.err ||
	fail "cannot record the fixture good.hwt: $(cat ../fixture.err)"
rm -f "$MARK"
cp good.hwt same.hwt
ln -s good.hwt alias.folded
echo "notes, not a recording" >notes.txt
mkdir adir

ncases=0
# bad NAME REGEX ARGS...: bad_input's contract, and the marker program never ran.
bad()
{
	bad_input "$@"
	if [ -e "$MARK" ]; then
		err "$1: the program ran before the command line was refused"
		rm -f "$MARK"
	fi
}

# From issue #12: values that are no time, views the recording will not have, an export's name
# for a recording, views for formats without views, two recordings, a zero clock ratio.
bad min-duration-nan '--min-duration nan' record -b uprobe -F mark --min-duration nan \
	-o out.hwt -- "${M[@]}"
bad min-duration-inf '--min-duration inf' record -b uprobe -F mark --min-duration inf \
	-o out.hwt -- "${M[@]}"
bad min-duration-1e30 '--min-duration 1e30' record -b uprobe -F mark --min-duration 1e30 \
	-o out.hwt -- "${M[@]}"
bad min-duration-2p64ns '--min-duration 18446744073709551616ns' record -b uprobe -F mark \
	--min-duration 18446744073709551616ns -o out.hwt -- "${M[@]}"
bad record-view-bogus '--view bogus' record --view bogus -o x.folded -- "${M[@]}"
bad record-view-page-faults-without-e '--view page-faults.*-e' record --view page-faults \
	-o x.folded -- "${M[@]}"
bad record-view-time-of-samples '--view time.*-b uprobe' record -b sample --view time \
	-o x.folded -- "${M[@]}"
bad record-view-samples-of-calls '--view samples.*no samples' record -b uprobe -F mark \
	--view samples -o x.pb.gz -- "${M[@]}"
bad record-view-of-hwt '--view samples.*x\.hwt' record --view samples -o x.hwt -- "${M[@]}"
bad record-view-of-perfetto '--view samples.*perfetto.*no views' record --view samples \
	-o x.pftrace -- "${M[@]}"
bad record-folded-into-hwt-name 'y\.hwt.*folded' record -f folded -o y.hwt -- "${M[@]}"
bad export-onto-its-input 'same\.hwt' export -f folded -o same.hwt same.hwt
bad export-onto-its-input-link 'alias\.folded.*recording being exported' export \
	-o alias.folded good.hwt
bad export-view-perfetto '--view bogus.*perfetto.*no views' export --view bogus -f perfetto \
	-o x.pftrace good.hwt
bad export-view-chrome '--view samples.*chrome.*no views' export --view samples -o x.json good.hwt
bad info-two 'one recording' info good.hwt same.hwt
bad report-two 'one recording' report good.hwt same.hwt
bad inspect-two 'one recording' inspect good.hwt same.hwt
bad import-cpuid15-zero-ebx '--cpuid15 1/0.*non-zero' import --cpuid15 1/0 --pt-raw notes.txt \
	-o imp.hwt
bad import-cpuid15-zero-eax '--cpuid15 0/176.*non-zero' import --cpuid15 0/176 \
	--pt-raw notes.txt -o imp.hwt

# Plugins: a bare .so name is never looked up in the library path; files only by their path.
bad plugin-bare-so 'libzstd\.so.*only from a path' record -P libzstd.so -o out.hwt -- "${M[@]}"
bad plugin-unknown 'nosuchplugin' record -P nosuchplugin -o out.hwt -- "${M[@]}"
bad plugin-missing-file 'nosuch\.so' record -P ./nosuch.so -o out.hwt -- "${M[@]}"
bad plugin-not-a-plugin 'marker.*not an hwtrace plugin' record -P "$PROGS/marker" \
	-o out.hwt -- "${M[@]}"
bad plugin-directory 'adir.*not a regular file' record -P ./adir -o out.hwt -- "${M[@]}"
bad plugin-bad-option 'bogus' record -P proc:bogus=1 -o out.hwt -- "${M[@]}"

# Values: zero, negative, garbage.
bad freq-zero '--freq 0' record --freq 0 -o out.hwt -- "${M[@]}"
bad period-zero '-c 0' record -c 0 -o out.hwt -- "${M[@]}"
bad period-negative '-c -1' record -c -1 -o out.hwt -- "${M[@]}"
bad depth-zero '-D 0' record -b uprobe -F mark -D 0 -o out.hwt -- "${M[@]}"
bad duration-zero '--duration 0' record --duration 0 -o out.hwt -- "${M[@]}"
bad duration-garbage '--duration soon' record --duration soon -o out.hwt -- "${M[@]}"
bad ring-not-power-of-two '3000' record -m 3000 -o out.hwt -- "${M[@]}"
bad call-graph-bogus 'bogus' record -g bogus -o out.hwt -- "${M[@]}"
bad backend-unknown 'nosuchbackend' record -b nosuchbackend -o out.hwt -- "${M[@]}"
bad backend-auto-args 'auto takes no options' record -b auto:freq=10 -o out.hwt -- "${M[@]}"
bad event-unknown 'nosuchevent' record -e nosuchevent -o out.hwt -- "${M[@]}"
bad unknown-option '--no-such-flag' record --no-such-flag -o out.hwt -- "${M[@]}"
bad pid-garbage "-p abc.*'abc' is not a process id" record -p abc -o out.hwt
bad pid-zero "-p 0" record -p 0 -o out.hwt
bad pid-empty-item "-p 1,,2" record -p 1,,2 -o out.hwt
bad pid-and-program '-p records processes that run already' record -p 1 -o out.hwt -- "${M[@]}"
bad pid-and-all '-p and -a' record -p 1 -a -o out.hwt

# Outputs: missing or unwritable directories, a directory, no name, no format.
bad output-dir-missing 'no-such-dir.*does not exist' record -o no-such-dir/out.hwt -- "${M[@]}"
bad output-unwritable '/proc/hwtrace-e2e\.hwt' record -o /proc/hwtrace-e2e.hwt -- "${M[@]}"
bad output-directory 'adir.*directory' record -o adir -- "${M[@]}"
bad output-empty "''|empty" record -o '' -- "${M[@]}"
bad output-unknown-extension 'out\.txt' record -o out.txt -- "${M[@]}"
bad output-unknown-format 'nosuchformat' record -f nosuchformat -o out.bin -- "${M[@]}"
bad output-stdout-without-format '-o -.*-f' record -o - -- "${M[@]}"
bad nothing-after-dashes 'no program' record -o out.hwt --

# export's inputs and outputs.
bad export-missing 'no-such\.hwt' export -o out.json no-such.hwt
bad export-directory 'adir' export -o out.json adir
bad export-not-a-recording 'notes\.txt' export -o out.json notes.txt
bad export-unknown-format 'nosuchformat' export -f nosuchformat -o out.bin good.hwt
bad export-unknown-extension 'out\.xyz' export -o out.xyz good.hwt
bad export-dir-missing 'no-such-dir.*does not exist' export -o no-such-dir/out.json good.hwt
bad export-two 'one recording' export -o out.json good.hwt same.hwt
bad unknown-command "'frobnicate'" frobnicate good.hwt

cmp -s good.hwt same.hwt || err "same.hwt changed: an export overwrote its input"
[ -L alias.folded ] || err "alias.folded is no longer a link"
note "$ncases bad command lines checked"
[ "$ncases" -ge 30 ] || err "only $ncases cases"
finish

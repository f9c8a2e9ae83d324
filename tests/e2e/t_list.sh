# `hwtrace list` says what works on this machine: it exits 0, the sample backend is "yes", and
# where the kernel has no intel_pt PMU the pt backend is "no" with a reason naming intel_pt.
hw_ok list
sed 's/^/  /' hw.out
[ -s hw.err ] && err "list wrote to stderr: $(head -c 300 hw.err)"

# The rows of the "backends" section: "  NAME  yes|no  WHAT".
awk '/^backends/ { on = 1; next } /^[^ ]/ { on = 0 } on && NF' hw.out >backends
grep -Eq '^ +sample +yes( |$)' backends || err "backend sample is not 'yes'"
if [ -d /sys/bus/event_source/devices/intel_pt ]; then
	note "this machine has intel_pt: the pt row is not checked for 'no'"
	grep -Eq '^ +pt +(yes|no)( |$)' backends || err "no pt row among the backends"
else
	grep -Eq '^ +pt +no +.*intel_pt' backends ||
		err "backend pt is not 'no' with a reason naming intel_pt (no intel_pt PMU here)"
fi
# Every row says yes or no, and every no says why.
awk '$2 != "yes" && $2 != "no" { print "bad row: " $0 } $2 == "no" && NF < 3 { print "no reason: " $0 }' \
	backends >bad-rows
[ -s bad-rows ] && err "$(cat bad-rows)"
finish

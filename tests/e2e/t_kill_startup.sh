# SIGKILL of the recorder at random moments of its first 100 ms, 20 times (a .hwt, a Perfetto
# export, standard output): no temporary file is ever left (x.hwt.tmp.PID, x.pftrace.rec.PID.hwt,
# hwtrace-rec.PID.hwt in TMPDIR); a .hwt that is there was named once worth keeping, and reads.
# Then 5 exports killed in their first 100 ms: no x.pftrace.tmp.PID, no half-written output.
need python3

mkdir tmp
export TMPDIR=$PWD/tmp
py '
import os, random, signal, subprocess, sys, time
hwtrace, progs = sys.argv[1], sys.argv[2]
named = 0
for k in range(20):
    kind = k % 3
    out = ("k%d.hwt", "k%d.pftrace", "-")[kind] % k if kind < 2 else "-"
    args = [hwtrace, "record", "-q", "-b", "sample", "-o", out]
    if kind == 2:
        args += ["-f", "folded"]
    args += ["--", progs + "/slow", "0.3"]
    rec = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, 0.1))
    rec.send_signal(signal.SIGKILL)
    rec.wait()
    left = [f for f in os.listdir(".") + os.listdir("tmp") if ".tmp." in f or ".rec." in f
            or f.startswith("hwtrace-rec.")]
    check(not left, "kill %d (-o %s): temporary files left: %s" % (k, out, left))
    if kind == 0 and os.path.exists(out):
        named += 1
        rc = subprocess.run([hwtrace, "info", out], capture_output=True).returncode
        check(rc == 0, "kill %d: %s was named but does not read (info exited %d)" % (k, out, rc))
    check(kind != 1 or not os.path.exists(out), "kill %d: a half-written %s" % (k, out))
print("# 20 kills, %d of the .hwt recordings were named before the kill" % named)
done()
' "$HWTRACE" "$PROGS" || err "temporary files (see above)"
# The programs the killed recorders launched end by themselves (0.3 s of work, or at once if
# never released).
sleep 1

# Exports killed midway leave neither a temporary file nor a half-written output.
hw_ok record -q -b sample -g dwarf -o big.hwt -- "$PROGS/slow" 1
py '
import os, random, signal, subprocess, sys, time
hwtrace = sys.argv[1]
for k in range(5):
    out = "e%d.pftrace" % k
    ex = subprocess.Popen([hwtrace, "export", "-o", out, "big.hwt"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(random.uniform(0, 0.1))
    ex.send_signal(signal.SIGKILL)
    rc = ex.wait()
    left = [f for f in os.listdir(".") if ".tmp." in f]
    check(not left, "export kill %d: temporary files left: %s" % (k, left))
    check(rc == 0 or not os.path.exists(out), "export kill %d: a half-written %s" % (k, out))
done()
' "$HWTRACE" || err "exports killed midway (see above)"
finish

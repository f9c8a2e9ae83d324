# t_uprobe_tailcall.sh's facts, recorded with -b inproc (calls recorded in the process) instead.
BACKEND=inproc
source "$(dirname "$0")/t_uprobe_tailcall.sh"

# kill -9 of the recorder at 3 random points of a recording (make bench does 20 and reports the
# worst loss): each recording reads, holds samples, and ends where the file ends, at a whole chunk.
# The time lost is printed, never asserted.
need python3
python3 "$(dirname "$E2E_LIB")/kill_loss.py" "$HWTRACE" "$PROGS" 3 --check ||
	err "kill -9 of the recorder (see above)"
finish

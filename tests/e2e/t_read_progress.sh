# export and report show a progress line on stderr when it is a terminal (under script(1)), and
# never when it is not (a file, a pipe): HWT_PROGRESS_DELAY_MS=0 shows it at once instead of after
# a second, so a small recording is enough. The line is cleared at the end: what the command
# writes on stdout is untouched.
need script

hw_ok record -q -b inproc -o fib.hwt -- "$PROGS/fib" 24

# on_tty LOG CMD...: runs CMD with a terminal for stdin, stdout and stderr, its output in LOG.
on_tty()
{
	local log=$1
	shift
	script -qec "$(printf '%q ' "$@")" "$log" </dev/null >/dev/null 2>&1
}

for cmd in "export -f folded -o out.folded fib.hwt" "report -n 3 fib.hwt"; do
	note "$cmd"
	# shellcheck disable=SC2086 # the words of $cmd are the arguments
	HWT_PROGRESS_DELAY_MS=0 on_tty tty.log "$HWTRACE" $cmd || err "hwtrace $cmd failed on a tty"
	grep -q 'hwtrace: .*%, .* M events' tty.log ||
		err "hwtrace $cmd showed no progress on a tty: $(tr '\r' '\n' <tty.log | head -c 300)"
	# shellcheck disable=SC2086
	HWT_PROGRESS_DELAY_MS=0 "$HWTRACE" $cmd >out.txt 2>err.txt || err "hwtrace $cmd failed"
	[ -s err.txt ] && err "hwtrace $cmd wrote to stderr, not a tty: $(head -c 300 err.txt)"
	# shellcheck disable=SC2086
	HWT_PROGRESS_DELAY_MS=0 "$HWTRACE" $cmd 2>&1 | cat >pipe.txt
	grep -q 'M events' pipe.txt && err "hwtrace $cmd showed progress into a pipe"
done
# The default (a second) shows nothing for a read this quick, even on a tty.
on_tty quick.log "$HWTRACE" report -n 3 fib.hwt
grep -q 'M events' quick.log && err "report of a quick read showed progress"
finish

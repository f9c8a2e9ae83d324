/* Recording processes that run already (record -p) and the whole system (record -a): their threads
 * from /proc, and the COMM and MMAP2 records the kernel wrote before our events were open. */
#ifndef HWT_CORE_ATTACH_H
#define HWT_CORE_ATTACH_H

#include <stddef.h>
#include <stdint.h>

struct hwt_host;

/** Checks that @pid is a running process (not a thread of one, not a zombie, not this process)
 *  that this user may trace: its memory map must be readable, as perf_event_open() wants
 *  ptrace access. Returns 0, or HWT_E_NOENT (no such process), HWT_E_PERM (not allowed) or
 *  HWT_E_INVAL (a thread id, a zombie, ourselves) with @why filled (one line: what and how to
 *  fix it). */
int hwt_attach_check(int pid, char *why, size_t whylen);

/** The command lines of the @npids processes @pids, "; " between them, into @buf (@len bytes,
 *  cut to fit; "" for processes gone): each program alone, with its arguments if @args. */
void hwt_attach_command(const int *pids, int npids, int args, char *buf, size_t len);

/** Appends every thread of each of the @npids processes @pids (from /proc/PID/task) to the
 *  array *@tids of *@ntids (grown with realloc; the caller frees it). Threads that end meanwhile
 *  are simply not there. Returns the number of threads added, or HWT_E_NOMEM, or HWT_E_NOENT
 *  when a process has no thread left (it is gone). */
int hwt_attach_threads(const int *pids, int npids, int **tids, int *ntids);

/** Writes into the recording of @h, as one pseudo-ring stamped @ts (take it before the events
 *  are opened, so that the records sort first), what perf synthesizes for processes that were
 *  running before recording: a PERF_RECORD_COMM for each thread and a PERF_RECORD_MMAP2 for each
 *  executable mapping of the @npids processes @pids, or of every process when @npids < 0. The
 *  records carry the sample_id trailer of the first event opened with PERF_SAMPLE_TID and
 *  PERF_SAMPLE_TIME; call it after the events are opened and described. Processes that end
 *  while they are read are skipped. Returns the number of records written (>= 0), or
 *  HWT_E_NOMEM or a store error. */
int hwt_attach_synthesize(struct hwt_host *h, const int *pids, int npids, uint64_t ts);

#endif

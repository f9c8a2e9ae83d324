/* The `syscalls` plugin's BPF side: a hand-assembled program on the raw sys_exit tracepoint
 * that writes a struct hwt_sysc_rec (core/format/sysc_format.h) of each followed system call of
 * the traced processes to per-CPU perf events, by raw bpf(2). */
#ifndef HWT_PLUGINS_SYSCALLS_SYSC_BPF_H
#define HWT_PLUGINS_SYSCALLS_SYSC_BPF_H

#include <stddef.h>
#include <stdint.h>

struct hwt_sysc_bpf;

/** Creates the maps for @ncpus CPUs and loads the program (nothing attached yet). Returns NULL
 *  with *@err (HWT_E_PERM, HWT_E_NOTSUP, HWT_E_NOMEM, HWT_E_INVAL) and @why (one line) filled on
 *  failure. Free with hwt_sysc_bpf_close(). */
struct hwt_sysc_bpf *hwt_sysc_bpf_open(int ncpus, int *err, char *why, size_t len);

/** Makes perf event @fd (a PERF_COUNT_SW_BPF_OUTPUT event on CPU @cpu) the one the programs write
 *  to on that CPU. Returns 0, or a negative enum hwt_error with @why filled. */
int hwt_sysc_bpf_set_output(struct hwt_sysc_bpf *b, int cpu, int fd, char *why, size_t len);

/** Values of the process map. */
enum {
	HWT_SYSC_PID_AT_EXEC = 1, /* followed from its next successful exec on */
	HWT_SYSC_PID_LIVE = 2,	  /* followed */
};

/** Follows process @tgid (and, from then on, the processes it forks): from now on, or with
 *  @at_exec from its next successful execve/execveat (a launched program, stopped before its
 *  exec). Returns 0 or a negative enum hwt_error with @why filled. */
int hwt_sysc_bpf_add_pid(struct hwt_sysc_bpf *b, uint32_t tgid, int at_exec, char *why, size_t len);

/** Attaches the program to the raw tracepoint sys_exit, and the fork program, if it loaded, to
 *  sched_process_fork (best effort). Returns 0, or a negative enum hwt_error with @why filled. */
int hwt_sysc_bpf_attach(struct hwt_sysc_bpf *b, char *why, size_t len);

/** Whether children are followed from their fork (a program on sched_process_fork, where the
 *  kernel's BTF tells where a task's tgid lies), not only from their parent's clone exit. */
int hwt_sysc_bpf_follows_forks(const struct hwt_sysc_bpf *b);

/** Whether the attached programs see io_uring's requests (submissions and completions): a
 *  kernel with io_uring and its BTF. */
int hwt_sysc_bpf_follows_uring(const struct hwt_sysc_bpf *b);

/** Detaches and frees everything (NULL accepted). Nothing is left in the kernel: the link, maps
 *  and program are file descriptors, and closing the last one removes them. */
void hwt_sysc_bpf_close(struct hwt_sysc_bpf *b);

#endif

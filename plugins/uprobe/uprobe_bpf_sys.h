/* What the BPF uprobe loader (uprobe_bpf.c) and its program (uprobe_bpf_prog.c) share: the
 * kernel's BPF ABI numbers and structures the installed headers lack, raw bpf(2), and the loading
 * of the program. */
#ifndef HWT_PLUGINS_UPROBE_BPF_SYS_H
#define HWT_PLUGINS_UPROBE_BPF_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/*
 * Kernel ABI facts the installed <linux/bpf.h> (6.1) lacks or that we pin ourselves; each was
 * checked against the running kernel's BTF (/sys/kernel/btf/vmlinux) and by the kernel
 * accepting the program and the links. Numbers are ABI: they never change once released.
 */
#define HWT_BPF_MAP_CREATE	  0
#define HWT_BPF_MAP_LOOKUP_ELEM	  1
#define HWT_BPF_MAP_DELETE_ELEM	  3
#define HWT_BPF_PROG_LOAD	  5
#define HWT_BPF_LINK_CREATE	  28
#define HWT_MAP_TYPE_PERCPU_ARRAY 6
#define HWT_MAP_TYPE_LRU_HASH	  9
#define HWT_MAP_TYPE_RINGBUF	  27
#define HWT_PROG_TYPE_KPROBE	  2
#define HWT_TRACE_UPROBE_MULTI	  48 /* enum bpf_attach_type, Linux 6.6 */
#define HWT_F_UPROBE_MULTI_RETURN 1u /* link_create.uprobe_multi.flags */

/* enum bpf_func_id */
#define HWT_FN_map_lookup_elem	    1
#define HWT_FN_map_update_elem	    2
#define HWT_FN_ktime_get_ns	    5
#define HWT_FN_get_current_pid_tgid 14
#define HWT_FN_probe_read_user	    112
#define HWT_FN_ringbuf_reserve	    131
#define HWT_FN_ringbuf_submit	    132
#define HWT_FN_get_attach_cookie    174

#define HWT_RB_NO_WAKEUP     1u
#define HWT_RINGBUF_BUSY     (1u << 31)
#define HWT_RINGBUF_DISCARD  (1u << 30)
#define HWT_RINGBUF_HDR_SIZE 8u

/* offsetof(struct pt_regs, sp) on x86-64: r15..ip are 17 longs, then cs, flags, sp. */
#if defined(__x86_64__)
#define HWT_PT_REGS_SP 152
#else
#error "hwtrace BPF uprobes: pt_regs sp offset is only known for x86-64"
#endif

/* The BPF_LINK_CREATE attributes for a uprobe_multi link (union bpf_attr.link_create, 64 bytes),
 * which the 6.1 header does not have. */
struct hwt_link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;		  /* const char *, one path for every offset */
	uint64_t offsets;	  /* const uint64_t[cnt] file offsets */
	uint64_t ref_ctr_offsets; /* NULL: no USDT semaphores */
	uint64_t cookies;	  /* const uint64_t[cnt]: bpf_get_attach_cookie() */
	uint32_t cnt;
	uint32_t multi_flags; /* HWT_F_UPROBE_MULTI_RETURN */
	uint32_t pid;	      /* 0: every process */
	uint32_t pad;
};
_Static_assert(sizeof(struct hwt_link_create_uprobe_multi) == 64, "link_create layout");
_Static_assert(offsetof(struct hwt_link_create_uprobe_multi, path) == 16, "uprobe_multi.path");
_Static_assert(offsetof(struct hwt_link_create_uprobe_multi, cnt) == 48, "uprobe_multi.cnt");
_Static_assert(offsetof(struct hwt_link_create_uprobe_multi, pid) == 56, "uprobe_multi.pid");

/* bpf(2), which libc does not wrap. */
static inline long sys_bpf(int cmd, void *attr, unsigned int size)
{
	return syscall(__NR_bpf, cmd, attr, size);
}

/** Loads the program every probe hit runs: it counts hits per thread in the LRU hash @seq_fd,
 *  writes a struct hwt_uprobe_rec to the ring buffer @ring_fd, and counts the records the full
 *  ring refused in the per-CPU array @lost_fd; hits in process @ignore_tgid (0: none) it leaves
 *  alone. Returns the program fd, or -1 with errno set and @what (@whatlen bytes) naming the
 *  call, with the verifier's reason when it gives one. */
int hwt_bpf_prog_load(int seq_fd, int ring_fd, int lost_fd, uint32_t ignore_tgid, char *what,
		      size_t whatlen);

#endif

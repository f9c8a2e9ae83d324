/* The records of the `syscalls` plugin: what its BPF program writes at the exit of each system
 * call of a traced process that it follows (the RAW payload of a perf sample, shared by recorder
 * and decoder), and those system calls (x86-64 numbers). */
#ifndef HWT_CORE_FORMAT_SYSC_FORMAT_H
#define HWT_CORE_FORMAT_SYSC_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/** hwt_sysc_rec.kind */
enum hwt_sysc_kind {
	HWT_SYSC_EXIT = 1,	   /* a call that returned */
	HWT_SYSC_URING_SUBMIT = 2, /* an io_uring request submitted (enum hwt_sysc_uring_reg) */
	HWT_SYSC_URING_DONE = 3,   /* an io_uring request's completion (enum hwt_sysc_uring_reg) */
};

/** What an io_uring record holds of the request (struct io_kiocb, read through the kernel's BTF
 *  at the io_uring_submit_req and io_uring_complete tracepoints), in its regs[]; @val is 0. */
enum hwt_sysc_uring_reg {
	HWT_SYSC_U_REQ = 0,    /* the request's kernel address: pairs a completion with its
				  submission (requests are reused once complete) */
	HWT_SYSC_U_OPCODE = 1, /* IORING_OP_* (its low byte) */
	HWT_SYSC_U_FD = 2,     /* submitted: the descriptor, or the fixed file's index (low 32
				  bits); completed: the result (low 32 bits, signed) */
	HWT_SYSC_U_FLAGS = 3,  /* submitted: the request's flags (bit 0: a fixed file, low 32 bits);
				  completed: the CQE's flags (IORING_CQE_F_MORE: more to come) */
	HWT_SYSC_U_DFD = 4,    /* a submitted open (IORING_OP_OPENAT, OPENAT2): the directory
				  descriptor its path is relative to (low 32 bits); the path is the
				  record's data */
};

/** The registers copied at each record, in pt_regs order (r10 .. orig_ax): the arguments are
 *  di, si, dx, r10, r8, r9. */
enum hwt_sysc_reg {
	HWT_SYSC_R10,
	HWT_SYSC_R9,
	HWT_SYSC_R8,
	HWT_SYSC_AX,
	HWT_SYSC_CX,
	HWT_SYSC_DX,
	HWT_SYSC_SI,
	HWT_SYSC_DI,
	HWT_SYSC_ORIG_AX, /* the system call's number */
	HWT_SYSC_NREGS,
};

/** Bytes of user memory a record copies: a path (NUL-terminated, cut there) or a sockaddr. */
#define HWT_SYSC_DATA 256u
/** A sockaddr is copied up to this many bytes (sizeof(struct sockaddr_un)). */
#define HWT_SYSC_SOCKADDR_MAX 110u

/** One record: the RAW payload of a sample of the plugin's "syscalls" events (padding the kernel
 *  adds after it aside), written at the call's exit, when the registers still hold its
 *  arguments. Records carry HWT_SYSC_HEAD + HWT_SYSC_DATA bytes when they copy user memory
 *  (HWT_SYSC_C_PATH_*, HWT_SYSC_C_SOCK_*), HWT_SYSC_HEAD else. */
struct hwt_sysc_rec {
	uint32_t kind;		       /* enum hwt_sysc_kind */
	uint32_t dlen;		       /* bytes of @data that are valid (a path: with its NUL) */
	int64_t val;		       /* the call's result */
	uint64_t regs[HWT_SYSC_NREGS]; /* enum hwt_sysc_reg: the arguments and the number */
	uint8_t data[HWT_SYSC_DATA];   /* the path or sockaddr (see enum hwt_sysc_class) */
};
#define HWT_SYSC_HEAD offsetof(struct hwt_sysc_rec, data)
_Static_assert(HWT_SYSC_HEAD == 88, "the BPF programs write this layout");

/** What the program does with a system call (its value in the class map). */
enum hwt_sysc_class {
	HWT_SYSC_C_NONE = 0,
	HWT_SYSC_C_PLAIN = 1,	  /* registers only */
	HWT_SYSC_C_PATH_DI = 2,	  /* copies the string at di (open, creat) */
	HWT_SYSC_C_PATH_SI = 3,	  /* copies the string at si (openat, openat2) */
	HWT_SYSC_C_SOCK_SI = 4,	  /* copies the sockaddr at si, dx bytes (connect, bind) */
	HWT_SYSC_C_CLONE = 5,	  /* a positive result joins the followed processes */
	HWT_SYSC_C_SOCK_OUT = 6,  /* copies the sockaddr the call wrote at si (getsockname) */
	HWT_SYSC_C_SOCK_PEER = 7, /* copies the peer's sockaddr a successful call wrote at si
				    (accept, accept4; none if si is NULL) */
	HWT_SYSC_C_MAP = 8,	  /* registers only, and only when the call mapped a file:
				    succeeded and not MAP_ANONYMOUS (mmap) */
};

/** x86-64 system call numbers the plugin follows. */
enum hwt_sysc_nr {
	HWT_NR_READ = 0,
	HWT_NR_WRITE = 1,
	HWT_NR_OPEN = 2,
	HWT_NR_CLOSE = 3,
	HWT_NR_MMAP = 9,
	HWT_NR_PREAD64 = 17,
	HWT_NR_PWRITE64 = 18,
	HWT_NR_READV = 19,
	HWT_NR_WRITEV = 20,
	HWT_NR_DUP = 32,
	HWT_NR_DUP2 = 33,
	HWT_NR_SENDFILE = 40,
	HWT_NR_SOCKET = 41,
	HWT_NR_CONNECT = 42,
	HWT_NR_ACCEPT = 43,
	HWT_NR_SENDTO = 44,
	HWT_NR_RECVFROM = 45,
	HWT_NR_SENDMSG = 46,
	HWT_NR_RECVMSG = 47,
	HWT_NR_BIND = 49,
	HWT_NR_GETSOCKNAME = 51,
	HWT_NR_CLONE = 56,
	HWT_NR_FORK = 57,
	HWT_NR_VFORK = 58,
	HWT_NR_EXECVE = 59,
	HWT_NR_FCNTL = 72,
	HWT_NR_CREAT = 85,
	HWT_NR_OPENAT = 257,
	HWT_NR_SPLICE = 275,
	HWT_NR_ACCEPT4 = 288,
	HWT_NR_DUP3 = 292,
	HWT_NR_PREADV = 295,
	HWT_NR_PWRITEV = 296,
	HWT_NR_EXECVEAT = 322,
	HWT_NR_COPY_FILE_RANGE = 326,
	HWT_NR_PREADV2 = 327,
	HWT_NR_PWRITEV2 = 328,
	HWT_NR_CLONE3 = 435,
	HWT_NR_CLOSE_RANGE = 436,
	HWT_NR_OPENAT2 = 437,
	HWT_NR_MAX = 512, /* numbers at or above this are never followed */
};

/** The class of system call @nr (enum hwt_sysc_class). */
static inline uint32_t hwt_sysc_class_of(int64_t nr)
{
	switch (nr) {
	case HWT_NR_OPEN:
	case HWT_NR_CREAT:
		return HWT_SYSC_C_PATH_DI;
	case HWT_NR_OPENAT:
	case HWT_NR_OPENAT2:
		return HWT_SYSC_C_PATH_SI;
	case HWT_NR_CONNECT:
	case HWT_NR_BIND:
		return HWT_SYSC_C_SOCK_SI;
	case HWT_NR_GETSOCKNAME:
		return HWT_SYSC_C_SOCK_OUT;
	case HWT_NR_ACCEPT:
	case HWT_NR_ACCEPT4:
		return HWT_SYSC_C_SOCK_PEER;
	case HWT_NR_MMAP:
		return HWT_SYSC_C_MAP;
	case HWT_NR_CLONE:
	case HWT_NR_FORK:
	case HWT_NR_VFORK:
	case HWT_NR_CLONE3:
		return HWT_SYSC_C_CLONE;
	case HWT_NR_READ:
	case HWT_NR_WRITE:
	case HWT_NR_CLOSE:
	case HWT_NR_PREAD64:
	case HWT_NR_PWRITE64:
	case HWT_NR_READV:
	case HWT_NR_WRITEV:
	case HWT_NR_DUP:
	case HWT_NR_DUP2:
	case HWT_NR_DUP3:
	case HWT_NR_SOCKET:
	case HWT_NR_SENDTO:
	case HWT_NR_RECVFROM:
	case HWT_NR_SENDMSG:
	case HWT_NR_RECVMSG:
	case HWT_NR_SENDFILE:
	case HWT_NR_FCNTL:
	case HWT_NR_SPLICE:
	case HWT_NR_PREADV:
	case HWT_NR_PWRITEV:
	case HWT_NR_COPY_FILE_RANGE:
	case HWT_NR_PREADV2:
	case HWT_NR_PWRITEV2:
	case HWT_NR_CLOSE_RANGE:
		return HWT_SYSC_C_PLAIN;
	default:
		return HWT_SYSC_C_NONE;
	}
}

/** The name of the "syscalls" perf events in a recording (struct hwt_event_desc.name). */
#define HWT_SYSC_EVENT "syscalls"

#endif

/* The `syscalls` plugin's BPF program, assembled by hand (no compiler, no libbpf), its maps, and
 * its attachment to the raw sys_exit tracepoint, all by raw bpf(2). */
#include <errno.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hwtrace/error.h"
#include "core/btf.h"
#include "core/format/sysc_format.h"
#include "sysc_bpf.h"

/* enum bpf_func_id: ABI numbers, never renumbered */
enum {
	FN_map_lookup_elem = 1,
	FN_map_update_elem = 2,
	FN_get_current_pid_tgid = 14,
	FN_perf_event_output = 25,
	FN_probe_read_user = 112,
	FN_probe_read_kernel = 113,
	FN_probe_read_user_str = 114,
	FN_probe_read_kernel_str = 115,
};

#define MAX_PIDS     8192   /* processes followed at once: the least recently seen go first (LRU) */
#define PT_REGS_R10  56	    /* offsetof(struct pt_regs, r10) on x86-64: r10 .. orig_ax follow */
#define REC	     (-360) /* the record's place on the BPF stack: [-360, -16) */
#define KEY_PID	     (-4)
#define KEY_NR	     (-8)
#define KEY_CHILD    (-12)
#define VAL_ONE	     (-16)
#define VERIFIER_LOG (64u << 10)
#define REG_OFF(r)   (REC + 16 + 8 * (r)) /* where register @r of the record lies */
_Static_assert(REC + (int)sizeof(struct hwt_sysc_rec) <= VAL_ONE, "record below the keys");

#if !defined(__x86_64__)
#error "the syscalls plugin knows the x86-64 pt_regs and system call numbers only"
#endif

struct hwt_sysc_bpf {
	int pids_fd, class_fd, out_fd;
	int prog, link;
	int fork_prog,
		fork_link; /* -1 without BTF: children then join at their parent's clone exit */
	int uring_prog[2], uring_link[2]; /* submit, complete; -1 without BTF or io_uring */
	int ncpus;
};

/* Where the io_uring programs read a request (struct io_kiocb), from the kernel's BTF; an open's
 * (struct io_open over the request's command area, its struct filename) where @opens. */
struct uring_offsets {
	uint32_t opcode, flags, cqe_fd, cqe_res, cqe_flags;
	int opens;
	uint32_t open_dfd, open_filename, filename_name;
};

/* A tiny assembler: instructions and forward jumps to labels, resolved at the end. */
enum {
	L_OUT,
	L_PATH_DI,
	L_PATH_SI,
	L_PATH,
	L_SOCK,
	L_SOCK_READ,
	L_PEER,
	L_ADDRLEN,
	L_CLAMP,
	L_NOT_CLONE,
	L_NOT_MAP,
	L_URING_OPEN,
	L_URING_HEAD,
	L_OUTPUT,
	L_STR_OK,
	L_LIVE,
	L_EXEC,
	L_N
};

#define AS_INSNS 192
#define AS_JUMPS 48

struct as {
	struct bpf_insn insn[AS_INSNS];
	int n, label[L_N], jat[AS_JUMPS], jlabel[AS_JUMPS], nj;
};

static void emit(struct as *as, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	if (as->n == AS_INSNS)
		abort(); /* the program outgrew its room: a bug here, found by every test */
	as->insn[as->n++] = (struct bpf_insn){
		.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
	};
}

static void emit_map(struct as *as, int dst, int fd)
{
	emit(as, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
	emit(as, 0, 0, 0, 0, 0);
}

static void jump(struct as *as, uint8_t op, int dst, int32_t imm, int label)
{
	if (as->nj == AS_JUMPS)
		abort(); /* as emit() */
	as->jat[as->nj] = as->n;
	as->jlabel[as->nj++] = label;
	emit(as, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
}

#define R0		 BPF_REG_0
#define R1		 BPF_REG_1
#define R2		 BPF_REG_2
#define R3		 BPF_REG_3
#define R4		 BPF_REG_4
#define R5		 BPF_REG_5
#define R6		 BPF_REG_6
#define R7		 BPF_REG_7
#define R8		 BPF_REG_8
#define R9		 BPF_REG_9
#define FP		 BPF_REG_10
#define MOV(d, s)	 emit(as, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOVI(d, k)	 emit(as, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOVI32(d, k)	 emit(as, BPF_ALU | BPF_MOV | BPF_K, d, 0, 0, k)
#define ADDI(d, k)	 emit(as, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define ANDI(d, k)	 emit(as, BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, k)
#define RSHI(d, k)	 emit(as, BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k)
#define LDX(sz, d, s, o) emit(as, BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, o, s) emit(as, BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define STI(sz, d, o, k) emit(as, BPF_ST | BPF_MEM | (sz), d, 0, o, k)
#define CALL(fn)	 emit(as, BPF_JMP | BPF_CALL, 0, 0, 0, FN_##fn)
#define PLACE(l)	 (as->label[l] = as->n)
#define JEQ(d, k, l)	 jump(as, BPF_JEQ, d, k, l)
#define JGT(d, k, l)	 jump(as, BPF_JGT, d, k, l)
#define JSGT(d, k, l)	 jump(as, BPF_JSGT, d, k, l)
#define JSLE(d, k, l)	 jump(as, BPF_JSLE, d, k, l)
#define JSLT(d, k, l)	 jump(as, BPF_JSLT, d, k, l)
#define JNE(d, k, l)	 jump(as, BPF_JNE, d, k, l)
#define JA(l)		 jump(as, BPF_JA, 0, 0, l)
#define EXIT()		 emit(as, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static void resolve(struct as *as)
{
	for (int j = 0; j < as->nj; j++)
		as->insn[as->jat[j]].off = (int16_t)(as->label[as->jlabel[j]] - as->jat[j] - 1);
}

/* r6 = ctx, r0 = the current process's value in the process map (HWT_SYSC_PID_*); leaves for
 * L_OUT unless the process is followed. */
static void pid_filter(struct as *as, const struct hwt_sysc_bpf *b)
{
	MOV(R6, R1);
	CALL(get_current_pid_tgid);
	RSHI(R0, 32);
	STX(BPF_W, FP, KEY_PID, R0);
	emit_map(as, R1, b->pids_fd);
	MOV(R2, FP);
	ADDI(R2, KEY_PID);
	CALL(map_lookup_elem);
	JEQ(R0, 0, L_OUT);
}

/* r8 = the class of system call r7; leaves for L_OUT when it is not followed. */
static void class_of(struct as *as, const struct hwt_sysc_bpf *b)
{
	JGT(R7, HWT_NR_MAX - 1, L_OUT);
	STX(BPF_W, FP, KEY_NR, R7);
	emit_map(as, R1, b->class_fd);
	MOV(R2, FP);
	ADDI(R2, KEY_NR);
	CALL(map_lookup_elem);
	JEQ(R0, 0, L_OUT);
	LDX(BPF_W, R8, R0, 0);
	JEQ(R8, HWT_SYSC_C_NONE, L_OUT);
}

/* The process whose tgid is at KEY_CHILD on the stack is followed from now on. */
static void follow_child(struct as *as, const struct hwt_sysc_bpf *b)
{
	STI(BPF_W, FP, VAL_ONE, HWT_SYSC_PID_LIVE);
	emit_map(as, R1, b->pids_fd);
	MOV(R2, FP);
	ADDI(R2, KEY_CHILD);
	MOV(R3, FP);
	ADDI(R3, VAL_ONE);
	MOVI(R4, BPF_ANY);
	CALL(map_update_elem);
}

/* The record's registers, from the pt_regs whose address is ctx[0]. */
static void copy_regs(struct as *as)
{
	MOV(R1, FP);
	ADDI(R1, REG_OFF(0));
	MOVI(R2, 8 * HWT_SYSC_NREGS);
	LDX(BPF_DW, R3, R6, 0);
	ADDI(R3, PT_REGS_R10);
	CALL(probe_read_kernel);
}

/* Writes r5 bytes of the record to this CPU's perf event, then returns 0. */
static void output_and_out(struct as *as, const struct hwt_sysc_bpf *b)
{
	PLACE(L_OUTPUT);
	MOV(R1, R6);
	emit_map(as, R2, b->out_fd);
	MOVI32(R3, -1); /* BPF_F_CURRENT_CPU: 0xffffffff, zero-extended */
	MOV(R4, FP);
	ADDI(R4, REC);
	CALL(perf_event_output);
	PLACE(L_OUT);
	MOVI(R0, 0);
	EXIT();
}

/* The user memory a call names, at its exit (the registers still hold its arguments): a path, a
 * sockaddr given (connect, bind) or one the call wrote (getsockname, accept's peer). r8 = the
 * class, r9 = the result; the record's header is stored and r5 its size without memory. */
static void copy_memory(struct as *as)
{
	JEQ(R8, HWT_SYSC_C_PATH_DI, L_PATH_DI);
	JEQ(R8, HWT_SYSC_C_PATH_SI, L_PATH_SI);
	JEQ(R8, HWT_SYSC_C_SOCK_SI, L_SOCK);
	JEQ(R8, HWT_SYSC_C_SOCK_PEER, L_PEER);
	JNE(R8, HWT_SYSC_C_SOCK_OUT, L_OUTPUT);
	JNE(R9, 0, L_OUTPUT); /* failed: nothing written */
	JA(L_ADDRLEN);
	PLACE(L_PEER);
	JSLT(R9, 0, L_OUTPUT); /* failed: no socket, no address */
	/* The bytes the call wrote: the length it stored at dx (socklen_t *), at most
	 * HWT_SYSC_SOCKADDR_MAX; none if no address was asked for. */
	PLACE(L_ADDRLEN);
	LDX(BPF_DW, R3, FP, REG_OFF(HWT_SYSC_DX));
	JEQ(R3, 0, L_OUTPUT);
	MOV(R1, FP);
	ADDI(R1, KEY_NR);
	MOVI(R2, 4);
	CALL(probe_read_user);
	MOVI(R5, HWT_SYSC_HEAD); /* the call took r1-r5 */
	JNE(R0, 0, L_OUTPUT);
	LDX(BPF_W, R9, FP, KEY_NR);
	JEQ(R9, 0, L_OUTPUT);
	JGT(R9, HWT_SYSC_SOCKADDR_MAX, L_CLAMP);
	JA(L_SOCK_READ);
	PLACE(L_CLAMP);
	MOVI(R9, HWT_SYSC_SOCKADDR_MAX);
	JA(L_SOCK_READ);

	PLACE(L_PATH_DI);
	LDX(BPF_DW, R3, FP, REG_OFF(HWT_SYSC_DI));
	JA(L_PATH);
	PLACE(L_PATH_SI);
	LDX(BPF_DW, R3, FP, REG_OFF(HWT_SYSC_SI));
	PLACE(L_PATH);
	MOV(R1, FP);
	ADDI(R1, REC + (int)HWT_SYSC_HEAD);
	MOVI(R2, HWT_SYSC_DATA);
	CALL(probe_read_user_str);
	JSGT(R0, 0, L_STR_OK);
	MOVI(R0, 0);
	PLACE(L_STR_OK);
	STX(BPF_W, FP, REC + 4, R0);
	MOVI(R5, HWT_SYSC_HEAD + HWT_SYSC_DATA);
	JA(L_OUTPUT);

	PLACE(L_SOCK); /* min(addrlen, HWT_SYSC_SOCKADDR_MAX) bytes, none if that is 0 */
	LDX(BPF_DW, R9, FP, REG_OFF(HWT_SYSC_DX));
	JEQ(R9, 0, L_OUTPUT);
	JGT(R9, HWT_SYSC_SOCKADDR_MAX, L_OUTPUT);
	PLACE(L_SOCK_READ);
	MOV(R1, FP);
	ADDI(R1, REC + (int)HWT_SYSC_HEAD);
	MOV(R2, R9);
	LDX(BPF_DW, R3, FP, REG_OFF(HWT_SYSC_SI));
	CALL(probe_read_user);
	MOVI(R5, HWT_SYSC_HEAD + HWT_SYSC_DATA);
	JNE(R0, 0, L_OUTPUT);
	STX(BPF_W, FP, REC + 4, R9);
	JA(L_OUTPUT);
}

/* sys_exit(regs, ret): one record per followed call, with the memory it names; a fork's child
 * (or a new thread) joins the followed processes. */
static int assemble_exit(struct as *as, const struct hwt_sysc_bpf *b)
{
	memset(as, 0, sizeof(*as));
	pid_filter(as, b);
	MOV(R7, R0);
	copy_regs(as);
	LDX(BPF_W, R1, R7, 0);
	JEQ(R1, HWT_SYSC_PID_LIVE, L_LIVE);
	/* A launched program is followed from its exec on: what the recorder's child did before
	 * is not the program's, and its stack is of the image exec replaces. */
	LDX(BPF_DW, R1, FP, REG_OFF(HWT_SYSC_ORIG_AX));
	LDX(BPF_DW, R2, R6, 8);
	JNE(R2, 0, L_OUT);
	JEQ(R1, HWT_NR_EXECVE, L_EXEC);
	JNE(R1, HWT_NR_EXECVEAT, L_OUT);
	PLACE(L_EXEC);
	STI(BPF_W, R7, 0, HWT_SYSC_PID_LIVE);
	JA(L_OUT);
	PLACE(L_LIVE);
	LDX(BPF_DW, R7, FP, REG_OFF(HWT_SYSC_ORIG_AX));
	class_of(as, b);
	LDX(BPF_DW, R9, R6, 8);
	JNE(R8, HWT_SYSC_C_CLONE, L_NOT_CLONE);
	JSLE(R9, 0, L_OUT); /* the child itself (0) or a failure */
	STX(BPF_W, FP, KEY_CHILD, R9);
	follow_child(as, b);
	/* and a record: the child inherits the parent's descriptors */
	PLACE(L_NOT_CLONE);
	/* mmap: a record only for a file mapped, not for memory (malloc's large blocks, thread
	 * stacks) nor a failure (-4095 .. -1, unsigned above -4096) */
	JNE(R8, HWT_SYSC_C_MAP, L_NOT_MAP);
	LDX(BPF_DW, R1, FP, REG_OFF(HWT_SYSC_R10));
	ANDI(R1, MAP_ANONYMOUS);
	JNE(R1, 0, L_OUT);
	JGT(R9, -4096, L_OUT);
	PLACE(L_NOT_MAP);
	STI(BPF_W, FP, REC, HWT_SYSC_EXIT);
	STI(BPF_W, FP, REC + 4, 0);
	STX(BPF_DW, FP, REC + 8, R9);
	MOVI(R5, HWT_SYSC_HEAD);
	copy_memory(as);
	output_and_out(as, b);
	resolve(as);
	return as->n;
}

/* sched_process_fork(parent, child), run by the parent: a child of a followed process is
 * followed before it runs (at the parent's clone exit it may have run already, on another CPU:
 * its exec and first calls were missed). @tgid_off: offsetof(struct task_struct, tgid), from
 * the kernel's BTF. A new thread's tgid is its process's: followed already. */
static int assemble_fork(struct as *as, const struct hwt_sysc_bpf *b, uint32_t tgid_off)
{
	memset(as, 0, sizeof(*as));
	pid_filter(as, b);
	LDX(BPF_W, R1, R0, 0);
	JNE(R1, HWT_SYSC_PID_LIVE, L_OUT); /* a launched program before its exec: not yet */
	MOV(R1, FP);
	ADDI(R1, KEY_CHILD);
	MOVI(R2, 4);
	LDX(BPF_DW, R3, R6, 8); /* the child's task_struct */
	ADDI(R3, (int32_t)tgid_off);
	CALL(probe_read_kernel);
	JNE(R0, 0, L_OUT);
	follow_child(as, b);
	PLACE(L_OUT);
	MOVI(R0, 0);
	EXIT();
	resolve(as);
	return as->n;
}

/* Reads @size bytes at register @base + @off (kernel memory) into the stack at @at; zeros stay
 * on failure. */
static void read_kernel(struct as *as, int at, int size, int base, uint32_t off)
{
	MOV(R1, FP);
	ADDI(R1, at);
	MOVI(R2, size);
	if (base != R3)
		MOV(R3, base);
	ADDI(R3, (int32_t)off);
	CALL(probe_read_kernel);
}

/* read_kernel() of the request (r7). */
static void read_req(struct as *as, int at, int size, uint32_t off)
{
	read_kernel(as, at, size, R7, off);
}

/* io_uring_submit_req(req) (@done 0) or io_uring_complete(ctx, req, ...) (@done 1), in a
 * followed process: a record of the request (enum hwt_sysc_uring_reg). The completion runs where
 * the kernel posts it (the submitter, or an io-wq thread of the same process). */
static int assemble_uring(struct as *as, const struct hwt_sysc_bpf *b, int done,
			  const struct uring_offsets *o)
{
	memset(as, 0, sizeof(*as));
	pid_filter(as, b);
	LDX(BPF_W, R1, R0, 0);
	JNE(R1, HWT_SYSC_PID_LIVE, L_OUT);
	for (int at = 0; at < (int)HWT_SYSC_HEAD; at += 8)
		STI(BPF_DW, FP, REC + at, 0);
	STI(BPF_W, FP, REC, done ? HWT_SYSC_URING_DONE : HWT_SYSC_URING_SUBMIT);
	LDX(BPF_DW, R7, R6, done ? 8 : 0);
	STX(BPF_DW, FP, REG_OFF(HWT_SYSC_U_REQ), R7);
	read_req(as, REG_OFF(HWT_SYSC_U_OPCODE), 1, o->opcode);
	read_req(as, REG_OFF(HWT_SYSC_U_FD), 4, done ? o->cqe_res : o->cqe_fd);
	read_req(as, REG_OFF(HWT_SYSC_U_FLAGS), 4, done ? o->cqe_flags : o->flags);
	if (!done && o->opens) {
		/* An open, prepared already: its directory and the path the kernel copied (the
		 * pointers read go through a scratch register slot, zeroed before output). */
		const int scratch = REG_OFF(HWT_SYSC_U_DFD + 1);
		LDX(BPF_B, R1, FP, REG_OFF(HWT_SYSC_U_OPCODE));
		JEQ(R1, IORING_OP_OPENAT, L_URING_OPEN);
		JNE(R1, IORING_OP_OPENAT2, L_URING_HEAD);
		PLACE(L_URING_OPEN);
		read_req(as, REG_OFF(HWT_SYSC_U_DFD), 4, o->open_dfd);
		read_req(as, scratch, 8, o->open_filename);
		LDX(BPF_DW, R3, FP, scratch);
		STI(BPF_DW, FP, scratch, 0);
		JEQ(R3, 0, L_URING_HEAD);
		read_kernel(as, scratch, 8, R3, o->filename_name);
		LDX(BPF_DW, R3, FP, scratch);
		STI(BPF_DW, FP, scratch, 0);
		JEQ(R3, 0, L_URING_HEAD);
		MOV(R1, FP);
		ADDI(R1, REC + (int)HWT_SYSC_HEAD);
		MOVI(R2, HWT_SYSC_DATA);
		CALL(probe_read_kernel_str);
		JSLE(R0, 0, L_URING_HEAD);
		STX(BPF_W, FP, REC + 4, R0);
		MOVI(R5, HWT_SYSC_HEAD + HWT_SYSC_DATA);
		JA(L_OUTPUT);
	}
	PLACE(L_URING_HEAD);
	MOVI(R5, HWT_SYSC_HEAD);
	output_and_out(as, b);
	resolve(as);
	return as->n;
}

/* The offsets the io_uring programs read at, from the kernel's BTF @btf (@len bytes): 0, or -1
 * where it lacks a member. */
static int uring_offsets(const uint8_t *btf, size_t len, struct uring_offsets *o)
{
	uint32_t cqe, fd, res, flags;

	if (!btf || hwt_btf_member_offset(btf, len, "io_kiocb", "opcode", &o->opcode) ||
	    hwt_btf_member_offset(btf, len, "io_kiocb", "flags", &o->flags) ||
	    hwt_btf_member_offset(btf, len, "io_kiocb", "cqe", &cqe) ||
	    hwt_btf_member_offset(btf, len, "io_cqe", "fd", &fd) ||
	    hwt_btf_member_offset(btf, len, "io_cqe", "res", &res) ||
	    hwt_btf_member_offset(btf, len, "io_cqe", "flags", &flags))
		return -1;
	o->cqe_fd = cqe + fd;
	o->cqe_res = cqe + res;
	o->cqe_flags = cqe + flags;
	uint32_t cmd, dfd, filename, name;
	o->opens = !hwt_btf_member_offset(btf, len, "io_kiocb", "cmd", &cmd) &&
		   !hwt_btf_member_offset(btf, len, "io_open", "dfd", &dfd) &&
		   !hwt_btf_member_offset(btf, len, "io_open", "filename", &filename) &&
		   !hwt_btf_member_offset(btf, len, "filename", "name", &name) &&
		   cmd + filename < (1u << 16) && name < (1u << 16);
	o->open_dfd = cmd + dfd;
	o->open_filename = cmd + filename;
	o->filename_name = name;
	return o->opcode < (1u << 16) && o->flags < (1u << 16) && o->cqe_flags < (1u << 16) ? 0
											    : -1;
}

static long sys_bpf(int cmd, union bpf_attr *a)
{
	return syscall(__NR_bpf, cmd, a, sizeof(*a));
}

static int fail(char *why, size_t len, int e, const char *what)
{
	snprintf(why, len, "%s: %s%s", what, strerror(e),
		 e == EPERM || e == EACCES ? " (run as root, or with CAP_BPF and CAP_PERFMON)"
					   : "");
	errno = e;
	return hwt_error_from_errno(e);
}

static int map_create(uint32_t type, uint32_t key, uint32_t val, uint32_t max, const char *name)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = key;
	a.value_size = val;
	a.max_entries = max;
	snprintf(a.map_name, sizeof(a.map_name), "%s", name);
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int map_update(int fd, const void *key, const void *val)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)fd;
	a.key = (uint64_t)(uintptr_t)key;
	a.value = (uint64_t)(uintptr_t)val;
	a.flags = BPF_ANY;
	return (int)sys_bpf(BPF_MAP_UPDATE_ELEM, &a);
}

/* The line of a verifier log that says what was refused: the last but the statistics. */
static const char *verifier_reason(char *log)
{
	char *line = NULL, *save = NULL;

	for (char *p = strtok_r(log, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17))
			line = p;
	return line ? line : "no verifier log";
}

static int prog_load(const struct as *as, int n, const char *name, char *why, size_t len)
{
	static const char license[] = "GPL";
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	a.insn_cnt = (uint32_t)n;
	a.insns = (uint64_t)(uintptr_t)as->insn;
	a.license = (uint64_t)(uintptr_t)license;
	snprintf(a.prog_name, sizeof(a.prog_name), "%s", name);
	int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	int e = errno;
	char *log = calloc(1, VERIFIER_LOG), what[600];
	if (log) { /* again with the verifier's log, to say why */
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = VERIFIER_LOG;
		if (sys_bpf(BPF_PROG_LOAD, &a) < 0 && *log) {
			snprintf(what, sizeof(what), "bpf(BPF_PROG_LOAD) of %s [%.500s]", name,
				 verifier_reason(log));
			free(log);
			return fail(why, len, e, what);
		}
		free(log);
	}
	snprintf(what, sizeof(what), "bpf(BPF_PROG_LOAD) of %s", name);
	return fail(why, len, e, what);
}

static int open_maps(struct hwt_sysc_bpf *b, char *why, size_t len)
{
	b->pids_fd = map_create(BPF_MAP_TYPE_LRU_HASH, 4, 4, MAX_PIDS, "hwt_sc_pids");
	if (b->pids_fd < 0)
		return fail(why, len, errno, "bpf(BPF_MAP_CREATE) of the process map");
	b->class_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, 4, HWT_NR_MAX, "hwt_sc_class");
	if (b->class_fd < 0)
		return fail(why, len, errno, "bpf(BPF_MAP_CREATE) of the class map");
	b->out_fd =
		map_create(BPF_MAP_TYPE_PERF_EVENT_ARRAY, 4, 4, (uint32_t)b->ncpus, "hwt_sc_out");
	if (b->out_fd < 0)
		return fail(why, len, errno, "bpf(BPF_MAP_CREATE) of the perf event map");
	for (uint32_t nr = 0; nr < HWT_NR_MAX; nr++) {
		uint32_t c = hwt_sysc_class_of(nr);
		if (c != HWT_SYSC_C_NONE && map_update(b->class_fd, &nr, &c) < 0)
			return fail(why, len, errno, "bpf(BPF_MAP_UPDATE_ELEM) of the class map");
	}
	return 0;
}

struct hwt_sysc_bpf *hwt_sysc_bpf_open(int ncpus, int *err, char *why, size_t len)
{
	struct hwt_sysc_bpf *b = calloc(1, sizeof(*b));
	struct as *as = malloc(sizeof(*as));
	int rc = 0;

	if (!b || !as || ncpus <= 0) {
		*err = !b || !as ? HWT_E_NOMEM : HWT_E_INVAL;
		snprintf(why, len, "%s", !b || !as ? "out of memory" : "no CPUs");
		free(b);
		free(as);
		return NULL;
	}
	b->ncpus = ncpus;
	b->pids_fd = b->class_fd = b->out_fd = -1;
	b->prog = b->link = b->fork_prog = b->fork_link = -1;
	b->uring_prog[0] = b->uring_prog[1] = b->uring_link[0] = b->uring_link[1] = -1;
	if (!(rc = open_maps(b, why, len))) {
		int n = assemble_exit(as, b);
		rc = b->prog = prog_load(as, n, "hwt_sc_exit", why, len);
	}
	size_t btf_len = 0;
	int btf_err;
	uint8_t *btf = rc >= 0 ? hwt_btf_file_read(HWT_BTF_VMLINUX, &btf_len, &btf_err) : NULL;
	uint32_t tgid_off;
	if (btf && !hwt_btf_member_offset(btf, btf_len, "task_struct", "tgid", &tgid_off) &&
	    tgid_off < (1u << 20)) {
		char ignored[64];
		int n = assemble_fork(as, b, tgid_off);
		b->fork_prog = prog_load(as, n, "hwt_sc_fork", ignored, sizeof(ignored));
		b->fork_prog = b->fork_prog < 0 ? -1 : b->fork_prog;
	}
	/* io_uring's requests, where the kernel's BTF describes them with a CQE of their own (the
	 * kernels that also pass the request as the completion tracepoint's second argument):
	 * else its I/O is not seen. */
	struct uring_offsets uo;
	int have_uring = !uring_offsets(btf, btf_len, &uo);
	free(btf);
	for (int k = 0; have_uring && k < 2; k++) {
		char ignored[64];
		int n = assemble_uring(as, b, k, &uo);
		b->uring_prog[k] = prog_load(as, n, k ? "hwt_sc_uring_cq" : "hwt_sc_uring_sq",
					     ignored, sizeof(ignored));
		b->uring_prog[k] = b->uring_prog[k] < 0 ? -1 : b->uring_prog[k];
	}
	free(as);
	if (rc < 0) {
		hwt_sysc_bpf_close(b);
		*err = rc;
		return NULL;
	}
	return b;
}

int hwt_sysc_bpf_set_output(struct hwt_sysc_bpf *b, int cpu, int fd, char *why, size_t len)
{
	uint32_t k = (uint32_t)cpu, v = (uint32_t)fd;

	if (!b || cpu < 0 || cpu >= b->ncpus || fd < 0)
		return HWT_E_INVAL;
	if (map_update(b->out_fd, &k, &v) < 0)
		return fail(why, len, errno, "bpf(BPF_MAP_UPDATE_ELEM) of the perf event map");
	return 0;
}

int hwt_sysc_bpf_add_pid(struct hwt_sysc_bpf *b, uint32_t tgid, int at_exec, char *why, size_t len)
{
	uint32_t v = at_exec ? HWT_SYSC_PID_AT_EXEC : HWT_SYSC_PID_LIVE;

	if (!b)
		return HWT_E_INVAL;
	if (map_update(b->pids_fd, &tgid, &v) < 0)
		return fail(why, len, errno, "bpf(BPF_MAP_UPDATE_ELEM) of the process map");
	return 0;
}

int hwt_sysc_bpf_attach(struct hwt_sysc_bpf *b, char *why, size_t len)
{
	union bpf_attr a;

	if (!b)
		return HWT_E_INVAL;
	memset(&a, 0, sizeof(a));
	a.raw_tracepoint.name = (uint64_t)(uintptr_t) "sys_exit";
	a.raw_tracepoint.prog_fd = (uint32_t)b->prog;
	b->link = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
	if (b->link < 0)
		return fail(why, len, errno, "bpf(BPF_RAW_TRACEPOINT_OPEN) of sys_exit");
	if (b->fork_prog >= 0) {
		memset(&a, 0, sizeof(a));
		a.raw_tracepoint.name = (uint64_t)(uintptr_t) "sched_process_fork";
		a.raw_tracepoint.prog_fd = (uint32_t)b->fork_prog;
		b->fork_link = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		b->fork_link = b->fork_link < 0 ? -1 : b->fork_link; /* clone exits still follow */
	}
	/* Both or neither: a completion without its submission names no file. */
	static const char *const uring_tp[2] = { "io_uring_submit_req", "io_uring_complete" };
	for (int k = 0; k < 2 && b->uring_prog[0] >= 0 && b->uring_prog[1] >= 0; k++) {
		memset(&a, 0, sizeof(a));
		a.raw_tracepoint.name = (uint64_t)(uintptr_t)uring_tp[k];
		a.raw_tracepoint.prog_fd = (uint32_t)b->uring_prog[k];
		b->uring_link[k] = (int)sys_bpf(BPF_RAW_TRACEPOINT_OPEN, &a);
		if (b->uring_link[k] < 0) {
			b->uring_link[k] = -1;
			if (k) {
				close(b->uring_link[0]);
				b->uring_link[0] = -1;
			}
			break;
		}
	}
	return 0;
}

int hwt_sysc_bpf_follows_uring(const struct hwt_sysc_bpf *b)
{
	return b && b->uring_link[0] >= 0 && b->uring_link[1] >= 0;
}

int hwt_sysc_bpf_follows_forks(const struct hwt_sysc_bpf *b)
{
	return b && b->fork_link >= 0;
}

void hwt_sysc_bpf_close(struct hwt_sysc_bpf *b)
{
	if (!b)
		return;
	for (int k = 0; k < 2; k++) {
		if (b->uring_link[k] >= 0)
			close(b->uring_link[k]);
		if (b->uring_prog[k] >= 0)
			close(b->uring_prog[k]);
	}
	if (b->fork_link >= 0)
		close(b->fork_link);
	if (b->fork_prog >= 0)
		close(b->fork_prog);
	if (b->link >= 0)
		close(b->link);
	if (b->prog >= 0)
		close(b->prog);
	if (b->pids_fd >= 0)
		close(b->pids_fd);
	if (b->class_fd >= 0)
		close(b->class_fd);
	if (b->out_fd >= 0)
		close(b->out_fd);
	free(b);
}

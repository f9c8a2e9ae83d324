/* The BPF program every uprobe hit runs, assembled by hand with a tiny assembler of our own (no
 * compiler, no libbpf), and its loading, with the verifier's reason when it is refused. */
#include <errno.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "uprobe_bpf.h"
#include "uprobe_bpf_sys.h"

#define HWT_VERIFIER_LOG (64u << 10) /* bytes of verifier log asked for when it refuses */

_Static_assert(sizeof(struct hwt_uprobe_rec) == 40, "record layout is what the program writes");
_Static_assert(offsetof(struct hwt_uprobe_rec, cookie) == 24, "record layout");
_Static_assert(offsetof(struct hwt_uprobe_rec, flags) == 32, "record layout");
_Static_assert(offsetof(struct hwt_uprobe_rec, ret_lo) == 36, "record layout");

/* A tiny assembler: instructions plus forward jumps to labels, resolved at the end. */
enum { L_HAVE_SEQ, L_FIRST_HIT, L_LOST, L_OUT, L_COUNT };

struct hwt_asm {
	struct bpf_insn insn[80];
	int n;
	int label[L_COUNT];
	int jump_insn[8], jump_label[8];
	int njumps;
};

static void emit(struct hwt_asm *as, uint8_t code, int dst, int src, int16_t off, int32_t imm)
{
	struct bpf_insn *i = &as->insn[as->n++];

	memset(i, 0, sizeof(*i));
	i->code = code;
	i->dst_reg = dst & 0xf;
	i->src_reg = src & 0xf;
	i->off = off;
	i->imm = imm;
}

static void emit_map(struct hwt_asm *as, int dst, int map_fd)
{
	emit(as, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, map_fd);
	emit(as, 0, 0, 0, 0, 0); /* upper 32 bits of the 64-bit immediate */
}

static void emit_jump(struct hwt_asm *as, uint8_t code, int dst, int32_t imm, int label)
{
	as->jump_insn[as->njumps] = as->n;
	as->jump_label[as->njumps++] = label;
	emit(as, code, dst, 0, 0, imm);
}

static void place(struct hwt_asm *as, int label)
{
	as->label[label] = as->n;
}

static void resolve(struct hwt_asm *as)
{
	for (int j = 0; j < as->njumps; j++) {
		int at = as->jump_insn[j];

		as->insn[at].off = (int16_t)(as->label[as->jump_label[j]] - at - 1);
	}
}

#define R0  BPF_REG_0
#define R1  BPF_REG_1
#define R2  BPF_REG_2
#define R3  BPF_REG_3
#define R4  BPF_REG_4
#define R6  BPF_REG_6
#define R7  BPF_REG_7
#define R8  BPF_REG_8
#define R9  BPF_REG_9
#define R10 BPF_REG_10

#define MOV_REG(d, s)	      emit(as, BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_IMM(d, k)	      emit(as, BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define ADD_IMM(d, k)	      emit(as, BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, k)
#define RSH_IMM(d, k)	      emit(as, BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, k)
#define LDX(sz, d, s, o)      emit(as, BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, o, s)      emit(as, BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_IMM(sz, d, o, k)   emit(as, BPF_ST | BPF_MEM | (sz), d, 0, o, k)
#define ATOMIC_ADD64(d, o, s) emit(as, BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define CALL(fn)	      emit(as, BPF_JMP | BPF_CALL, 0, 0, 0, HWT_FN_##fn)
#define JEQ_IMM(d, k, l)      emit_jump(as, BPF_JMP | BPF_JEQ | BPF_K, d, k, l)
#define JA(l)		      emit_jump(as, BPF_JMP | BPF_JA, 0, 0, l)
#define EXIT()		      emit(as, BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* The program run at every probe hit. r6 = ctx (struct pt_regs *), r7 = pid_tgid, r8 = seq,
 * r9 = the reserved record; the stack holds the map key (fp-4) and value (fp-8). */
static int assemble(struct hwt_asm *as, int seq_fd, int ring_fd, int lost_fd, uint32_t ignore_tgid)
{
	memset(as, 0, sizeof(*as));
	MOV_REG(R6, R1);
	CALL(get_current_pid_tgid);
	MOV_REG(R7, R0);
	if (ignore_tgid) { /* the recorder's own calls of a traced library function */
		MOV_REG(R1, R7);
		RSH_IMM(R1, 32);
		JEQ_IMM(R1, (int32_t)ignore_tgid, L_OUT);
	}
	STX(BPF_W, R10, -4, R7); /* key = tid, the low half */

	/* seq: this thread's counter + 1; only the thread itself writes it, so no atomics */
	emit_map(as, R1, seq_fd);
	MOV_REG(R2, R10);
	ADD_IMM(R2, -4);
	CALL(map_lookup_elem);
	JEQ_IMM(R0, 0, L_FIRST_HIT);
	LDX(BPF_W, R8, R0, 0);
	ADD_IMM(R8, 1);
	STX(BPF_W, R0, 0, R8);
	JA(L_HAVE_SEQ);

	/* first hit of this thread: insert 1; if the map cannot take it, seq 0 says "unknown" */
	place(as, L_FIRST_HIT);
	MOV_IMM(R8, 1);
	STX(BPF_W, R10, -8, R8);
	emit_map(as, R1, seq_fd);
	MOV_REG(R2, R10);
	ADD_IMM(R2, -4);
	MOV_REG(R3, R10);
	ADD_IMM(R3, -8);
	MOV_IMM(R4, BPF_ANY);
	CALL(map_update_elem);
	JEQ_IMM(R0, 0, L_HAVE_SEQ);
	MOV_IMM(R8, 0);

	place(as, L_HAVE_SEQ);
	emit_map(as, R1, ring_fd);
	MOV_IMM(R2, sizeof(struct hwt_uprobe_rec));
	MOV_IMM(R3, 0);
	CALL(ringbuf_reserve);
	JEQ_IMM(R0, 0, L_LOST);
	MOV_REG(R9, R0);
	CALL(ktime_get_ns);
	STX(BPF_DW, R9, offsetof(struct hwt_uprobe_rec, ts), R0);
	STX(BPF_W, R9, offsetof(struct hwt_uprobe_rec, tid), R7);
	RSH_IMM(R7, 32);
	STX(BPF_W, R9, offsetof(struct hwt_uprobe_rec, pid), R7);
	LDX(BPF_DW, R1, R6, HWT_PT_REGS_SP);
	STX(BPF_DW, R9, offsetof(struct hwt_uprobe_rec, sp), R1);
	MOV_REG(R1, R6);
	CALL(get_attach_cookie); /* id in the low half, flags in the high half */
	STX(BPF_W, R9, offsetof(struct hwt_uprobe_rec, cookie), R0);
	STX(BPF_W, R9, offsetof(struct hwt_uprobe_rec, seq), R8);
	RSH_IMM(R0, 32);
	STX(BPF_W, R9, offsetof(struct hwt_uprobe_rec, flags), R0);
	MOV_REG(R1, R9); /* ret_lo: 4 bytes at sp, where the return address is at an entry */
	ADD_IMM(R1, offsetof(struct hwt_uprobe_rec, ret_lo));
	MOV_IMM(R2, 4);
	LDX(BPF_DW, R3, R6, HWT_PT_REGS_SP);
	CALL(probe_read_user);
	MOV_REG(R1, R9);
	MOV_IMM(R2, HWT_RB_NO_WAKEUP); /* the reader polls; a wakeup is an IPI */
	CALL(ringbuf_submit);
	MOV_IMM(R0, 0);
	EXIT();

	/* ring full: count it per CPU; atomic because another task may preempt us on this CPU */
	place(as, L_LOST);
	ST_IMM(BPF_W, R10, -8, 0);
	emit_map(as, R1, lost_fd);
	MOV_REG(R2, R10);
	ADD_IMM(R2, -8);
	CALL(map_lookup_elem);
	JEQ_IMM(R0, 0, L_OUT);
	MOV_IMM(R1, 1);
	ATOMIC_ADD64(R0, 0, R1);
	place(as, L_OUT);
	MOV_IMM(R0, 0);
	EXIT();
	resolve(as);
	return as->n;
}

static int prog_load(const struct hwt_asm *as, int n, char *log, size_t log_len)
{
	static const char license[] = "GPL";
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.prog_type = HWT_PROG_TYPE_KPROBE;
	a.expected_attach_type = HWT_TRACE_UPROBE_MULTI;
	a.insn_cnt = (uint32_t)n;
	a.insns = (uint64_t)(uintptr_t)as->insn;
	a.license = (uint64_t)(uintptr_t)license;
	snprintf(a.prog_name, sizeof(a.prog_name), "hwt_uprobe");
	if (log && log_len) {
		log[0] = 0;
		a.log_level = 1;
		a.log_buf = (uint64_t)(uintptr_t)log;
		a.log_size = (uint32_t)log_len;
	}
	return (int)sys_bpf(HWT_BPF_PROG_LOAD, &a, sizeof(a));
}

/* The line of a verifier log that says what was refused: the last one but the statistics. */
static const char *verifier_reason(char *log)
{
	char *line = NULL, *save = NULL;

	for (char *p = strtok_r(log, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
		if (strncmp(p, "processed ", 10) && strncmp(p, "verification time", 17))
			line = p;
	return line ? line : "no verifier log";
}

int hwt_bpf_prog_load(int seq_fd, int ring_fd, int lost_fd, uint32_t ignore_tgid, char *what,
		      size_t whatlen)
{
	struct hwt_asm as;
	int n = assemble(&as, seq_fd, ring_fd, lost_fd, ignore_tgid);
	int fd = prog_load(&as, n, NULL, 0);

	if (fd >= 0)
		return fd;
	int e = errno;
	/* again with the verifier's log, to say why */
	char *log = calloc(1, HWT_VERIFIER_LOG);
	if (log && prog_load(&as, n, log, HWT_VERIFIER_LOG) < 0)
		snprintf(what, whatlen, "bpf(BPF_PROG_LOAD) of the uprobe program [%s]",
			 verifier_reason(log));
	else
		snprintf(what, whatlen, "bpf(BPF_PROG_LOAD) of the uprobe program");
	free(log);
	errno = e;
	return -1;
}

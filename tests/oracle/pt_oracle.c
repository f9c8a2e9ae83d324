/* pt_oracle: runs a program under ptrace single-step, writes what it really executed as the Intel
 * PT packets the hardware would have written (user-only tracing), and the truth the PT decoder
 * must give back: every call and return, with the times a decoder can know.
 *
 *   pt_oracle [--noretcomp] [--psb-bytes N] [--mtc-period N] [--cyc] [--tnt64]
 *             [--syscall-ns N] [--overflow AT:LEN] [--selfcheck] [--late-stops] [-q]
 *             -o OUT.pt --truth TRUTH.txt --images IMAGES.txt -- PROG [ARGS]
 *
 * The clock is virtual: the TSC starts at 10^9 and ticks once per user instruction (each
 * single-step), and --syscall-ns ticks (default 1000) for each stay in the kernel. TSC ticks
 * are nanoseconds: decode with `hwtrace import --tsc-hz 1000000000` (the truth's "import" line
 * gives every option the decoder needs) and decoded times are the truth's times.
 *
 * TRUTH.txt, one fact a line (times in TSC ticks = ns):
 *   import OPTIONS...            options for `hwtrace import` that match this trace
 *   pid PID                      the traced process (and thread)
 *   mtc_period N                 TSC ticks from one MTC to the next
 *   slack N                      how far outside [LO, HI] a decoder may stray: 0, or -1 (no
 *                                bound) with CYC: libipt calibrates cycles against each MTC
 *                                period, and the cycles a stay in the kernel adds to the next
 *                                CYC throw its times off by many periods, even backwards
 *   start TS                     time of the first user instruction
 *   call 0xTARGET TS LO HI NAME  a near call entered TARGET (NAME: hwtrace's symbolizer)
 *   ret TS LO HI                 the innermost frame returned (with no frame open: a return
 *                                past the top, from a frame entered before the trace began)
 *   unwind TS LO HI              the innermost frame was left without returning: the stack
 *                                pointer moved above its return address (longjmp)
 *   psb OFFSET END EVENTS TS NEEDED
 *                                a PSB+ at bytes [OFFSET, END) of OUT.pt, written after the
 *                                first EVENTS call/ret/unwind lines; NEEDED 1: the IP packet
 *                                after it leaves out bytes only its FUP has (a PSB clears the
 *                                last IP): without this PSB+ the trace decodes differently
 *   ovf OFFSET EVENTS TS         the simulated overflow ended with an OVF at OFFSET
 *   end TS                       the exit: frames still open end here
 *   instructions N               user instructions executed
 *   late_stops N [MNEMONIC:N]... single steps that stopped past the next instruction (some
 *                                hypervisors do so after cpuid, rdtsc, ...), by the instruction
 *                                stepped; what they passed over was straight-line code and is
 *                                in the trace as executed
 *   exit STATUS
 * TS is when the instruction executed. [LO, HI] is what a decoder can show for it: LO the time
 * of the timing packets before the last packet it must have read to get there (what libipt's
 * instruction decoder mostly reports), HI the true time when the first packet about anything
 * later was written (a decoder reads ahead that far, no further: libipt fetches a pending
 * event early, a block decoder reads the packet that ends the block).
 *
 * IMAGES.txt: one PATH@0xBIAS a line for `hwtrace import --image`, BIAS the load bias added to
 * the ELF's p_vaddr (0 for ET_EXEC); a vdso that ran is dumped to OUT.pt.vdso and listed.
 *
 * One thread only: signals, exec and threads are not modelled (a signal is an error).
 *
 * --late-stops makes every host behave like those whose single step over an instruction that
 * exits to the hypervisor (cpuid, rdtsc, rdtscp, xgetbv, rdrand, rdseed) stops one instruction
 * late: the oracle steps once more before it looks, so that path is tested everywhere. */
#include <assert.h>
#include <capstone.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/model.h"
#include "core/symbols.h"
#include "oracle.h"

#define TSC_START 1000000000ull
#define TSC_HZ	  1000000000ull

/* What an instruction does to the control flow, as Intel PT sees it. */
enum insn_kind {
	K_OTHER,
	K_COND,	     /* Jcc, JrCXZ, LOOPcc: a TNT bit */
	K_JMP,	     /* direct jump: nothing */
	K_JMP_IND,   /* indirect jump: TIP */
	K_CALL,	     /* direct near call: nothing, pushes the return address */
	K_CALL_IND,  /* indirect near call: TIP */
	K_RET,	     /* near return: compressed (TNT) or TIP */
	K_SYSCALL,   /* leaves user space: TIP.PGD, and TIP.PGE on the way back */
	K_UNHANDLED, /* far transfers, interrupts: not modelled */
};

struct insn {
	uint64_t ip, target; /* target: of a direct branch */
	uint8_t len, kind, used;
	uint8_t vmexit; /* cpuid, rdtsc, ...: exits to the hypervisor in a VM */
};

/* How many instructions a late single-step stop may have run past the one stepped. */
#define LATE_MAX 16

/* Instructions by IP, decoded once: open addressing, power-of-two size. */
struct insn_cache {
	struct insn *v;
	size_t cap, n;
};

struct frame {
	uint64_t slot; /* where the call stored the return address */
};

enum ev_kind { EV_CALL, EV_RET, EV_UNWIND };

struct event {
	uint8_t kind;
	uint64_t target, ts;
};

struct oracle {
	struct orc_config cfg;
	struct orc_enc enc;
	const char *out_path, *truth_path, *images_path;
	uint64_t syscall_ns;
	int selfcheck, quiet;
	int simulate_late; /* step once more after a vmexit instruction, as some hosts do */

	pid_t pid;
	int mem_fd;
	csh cs;
	struct insn_cache cache;
	struct orc_maps maps;

	struct frame *frames;
	size_t nframes, capframes;
	struct event *events; /* one per encoder mark */
	size_t nevents, capevents;
	uint64_t *path, *event_step;
	size_t npath, cappath, capsteps;

	uint64_t now, ninsn, nsyscalls, ncalls, nrets, nunwinds, npast_top, nstray;
	/* Late single-step stops, by the mnemonic of the instruction stepped. */
	struct {
		char name[16];
		uint64_t n;
	} late[8];
	uint64_t nlate;
	uint64_t nxol; /* probed instructions of other tracers' uprobes run out of line */
	int exit_status;
	struct orc_image *images;
	size_t nimages;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size)
{
	size_t c = *cap ? *cap * 2 : 1024;
	void *q;

	if (n < *cap)
		return p;
	q = realloc(p, c * size);
	if (!q) {
		fprintf(stderr, "pt_oracle: out of memory\n");
		exit(2);
	}
	*cap = c;
	return q;
}

static uint64_t hash_ip(uint64_t ip)
{
	return (ip * 0x9e3779b97f4a7c15ull) >> 20;
}

static struct insn *cache_slot(struct insn_cache *c, uint64_t ip)
{
	size_t i = hash_ip(ip) & (c->cap - 1);

	while (c->v[i].used && c->v[i].ip != ip)
		i = (i + 1) & (c->cap - 1);
	return &c->v[i];
}

static struct insn *cache_add(struct insn_cache *c, const struct insn *in)
{
	struct insn *s;

	if ((c->n + 1) * 2 > c->cap) {
		struct insn_cache n = { .cap = c->cap ? c->cap * 2 : 65536 };
		size_t i;

		n.v = calloc(n.cap, sizeof(*n.v));
		if (!n.v) {
			fprintf(stderr, "pt_oracle: out of memory\n");
			exit(2);
		}
		for (i = 0; i < c->cap; i++)
			if (c->v[i].used)
				*cache_slot(&n, c->v[i].ip) = c->v[i];
		n.n = c->n;
		free(c->v);
		*c = n;
	}
	s = cache_slot(c, in->ip);
	*s = *in;
	s->used = 1;
	c->n++;
	return s;
}

/* Up to @len bytes of the code at @ip in mapping @m. A file's code comes from the file: what
 * the program's memory shows may be an int3 that another tracer's uprobe put there (uprobes on
 * a library patch every process that maps it). Returns the count, or -1 with errno. */
static ssize_t code_read(struct oracle *o, const struct orc_map *m, uint64_t ip, uint8_t *buf,
			 size_t len)
{
	ssize_t n;
	int fd;

	if (m->path[0] != '/')
		return pread(o->mem_fd, buf, len, (off_t)ip);
	if (len > m->end - ip)
		len = m->end - ip;
	fd = open(m->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = pread(fd, buf, len, (off_t)(ip - m->start + m->pgoff));
	close(fd);
	return n;
}

/* Classifies the instruction at @ip, in @m, from its bytes with capstone. */
static int insn_decode(struct oracle *o, const struct orc_map *m, uint64_t ip, struct insn *in)
{
	uint8_t buf[16];
	ssize_t n = code_read(o, m, ip, buf, sizeof(buf));
	cs_insn *ci;
	const cs_x86 *x;
	int direct;

	memset(in, 0, sizeof(*in));
	in->ip = ip;
	if (n <= 0) {
		fprintf(stderr,
			"pt_oracle: cannot read the instruction at 0x%" PRIx64
			" (%s), in %s %" PRIx64 "-%" PRIx64 " as last read\n",
			ip, n < 0 ? strerror(errno) : "end of file", m->path, m->start, m->end);
		return -1;
	}
	if (cs_disasm(o->cs, buf, (size_t)n, ip, 1, &ci) != 1) {
		/* Capstone 4 knows every branch but not every newer vector instruction (AVX-512 in
		 * libc's string functions): such an instruction is no branch, and its length is
		 * where the single step ends. */
		in->kind = K_OTHER;
		in->len = 0;
		return 0;
	}
	in->len = (uint8_t)ci->size;
	x = &ci->detail->x86;
	direct = x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
	if (direct)
		in->target = (uint64_t)x->operands[0].imm;
	switch (ci->id) {
	case X86_INS_CALL:
		in->kind = direct ? K_CALL : K_CALL_IND;
		break;
	case X86_INS_JMP:
		in->kind = direct ? K_JMP : K_JMP_IND;
		break;
	case X86_INS_RET:
		in->kind = K_RET;
		break;
	case X86_INS_SYSCALL:
		in->kind = K_SYSCALL;
		break;
	case X86_INS_CPUID:
	case X86_INS_RDTSC:
	case X86_INS_RDTSCP:
	case X86_INS_XGETBV:
	case X86_INS_RDRAND:
	case X86_INS_RDSEED:
		in->kind = K_OTHER;
		in->vmexit = 1;
		break;
	case X86_INS_LCALL:
	case X86_INS_LJMP:
	case X86_INS_RETF:
	case X86_INS_RETFQ:
	case X86_INS_IRET:
	case X86_INS_IRETD:
	case X86_INS_IRETQ:
	case X86_INS_INT:
	case X86_INS_INT1:
	case X86_INS_INT3:
	case X86_INS_INTO:
	case X86_INS_SYSENTER:
	case X86_INS_SYSEXIT:
	case X86_INS_SYSRET:
	case X86_INS_UD2:
	case X86_INS_XBEGIN:
		in->kind = K_UNHANDLED;
		break;
	default:
		in->kind = cs_insn_group(o->cs, ci, X86_GRP_JUMP) ? K_COND : K_OTHER;
		break;
	}
	cs_free(ci, 1);
	return 0;
}

static struct insn *insn_get(struct oracle *o, uint64_t ip)
{
	struct insn *in = o->cache.cap ? cache_slot(&o->cache, ip) : NULL;
	struct orc_map *m;
	struct insn tmp;

	if (in && in->used)
		return in;
	m = orc_maps_find(&o->maps, ip);
	if (!m) {
		/* ld.so mapped something since the last look. */
		if (orc_maps_read(&o->maps, o->pid))
			return NULL;
		m = orc_maps_find(&o->maps, ip);
	}
	if (!m) {
		fprintf(stderr, "pt_oracle: 0x%" PRIx64 " is in no executable mapping\n", ip);
		return NULL;
	}
	m->used = 1;
	if (insn_decode(o, m, ip, &tmp))
		return NULL;
	return cache_add(&o->cache, &tmp);
}

/* A call, return or unwind at the current time; @own: it writes its own trace item. */
static int event_add(struct oracle *o, enum ev_kind kind, uint64_t target, int own)
{
	long mark = orc_enc_mark(&o->enc, own);

	if (mark < 0 || (size_t)mark != o->nevents) {
		fprintf(stderr, "pt_oracle: out of memory\n");
		return -1;
	}
	o->events = grow(o->events, &o->capevents, o->nevents, sizeof(*o->events));
	o->events[o->nevents++] = (struct event){ .kind = kind, .target = target, .ts = o->now };
	if (o->selfcheck) {
		o->event_step =
			grow(o->event_step, &o->capsteps, o->nevents - 1, sizeof(*o->event_step));
		o->event_step[o->nevents - 1] = o->npath - 1;
	}
	return 0;
}

/* The effect of the instruction @in, which went from @rsp to @nrsp and on to @nip, on the
 * packets and on the truth. */
static int insn_done(struct oracle *o, struct insn *in, uint64_t rsp, uint64_t nip, uint64_t nrsp)
{
	uint64_t fall = in->ip + in->len;
	int rc = 0;

	switch (in->kind) {
	case K_OTHER:
		if (!in->len) {
			if (nip <= in->ip || nip - in->ip > 15) {
				fprintf(stderr,
					"pt_oracle: no length for the instruction at 0x%" PRIx64
					"\n",
					in->ip);
				return -1;
			}
			in->len = (uint8_t)(nip - in->ip);
		}
		/* trace() took a stop past the next instruction apart (late_stop()). */
		assert(nip == in->ip || nip == in->ip + in->len);
		break;
	case K_COND:
		rc = orc_enc_cond(&o->enc, nip != fall, o->now);
		break;
	case K_JMP:
		break;
	case K_JMP_IND:
		rc = orc_enc_indirect(&o->enc, nip, o->now);
		break;
	case K_CALL:
	case K_CALL_IND:
		if (event_add(o, EV_CALL, nip, in->kind == K_CALL_IND))
			return -1;
		if (in->kind == K_CALL_IND)
			rc = orc_enc_indirect(&o->enc, nip, o->now);
		/* A call to the next instruction only gets the IP (PIC): nothing to return to. */
		if (!(in->kind == K_CALL && in->target == fall))
			orc_enc_push(&o->enc, fall);
		o->frames = grow(o->frames, &o->capframes, o->nframes, sizeof(*o->frames));
		o->frames[o->nframes++].slot = nrsp;
		o->ncalls++;
		break;
	case K_RET:
		if (o->nframes && o->frames[o->nframes - 1].slot == rsp) {
			rc = event_add(o, EV_RET, 0, 1);
			o->nframes--;
			o->nrets++;
		} else if (!o->nframes) {
			rc = event_add(o, EV_RET, 0, 1);
			o->npast_top++;
		} else {
			/* The return address was not pushed by a call we saw (push; ret). */
			o->nstray++;
		}
		if (!rc && orc_enc_ret(&o->enc, nip, o->now) < 0)
			rc = -1;
		break;
	case K_SYSCALL:
		rc = orc_enc_disable(&o->enc, o->now);
		o->now += o->syscall_ns;
		o->nsyscalls++;
		break;
	default:
		fprintf(stderr, "pt_oracle: instruction at 0x%" PRIx64 " is not modelled\n",
			in->ip);
		return -1;
	}
	/* Frames whose return address the stack pointer moved above are gone (longjmp). */
	while (!rc && o->nframes && o->frames[o->nframes - 1].slot < nrsp) {
		rc = event_add(o, EV_UNWIND, 0, 0);
		o->nframes--;
		o->nunwinds++;
	}
	return rc;
}

/* "mnemonic operands" of the instruction at @ip, for messages. */
static const char *insn_text(struct oracle *o, uint64_t ip, char *buf, size_t len)
{
	uint8_t code[16];
	ssize_t n = pread(o->mem_fd, code, sizeof(code), (off_t)ip);
	cs_insn *ci;

	snprintf(buf, len, "an instruction capstone cannot decode");
	if (n > 0 && cs_disasm(o->cs, code, (size_t)n, ip, 1, &ci) == 1) {
		snprintf(buf, len, "%.31s%s%.90s", ci->mnemonic, *ci->op_str ? " " : "",
			 ci->op_str);
		cs_free(ci, 1);
	}
	return buf;
}

static void late_count(struct oracle *o, uint64_t ip)
{
	char text[128];
	size_t i;

	insn_text(o, ip, text, sizeof(text));
	text[strcspn(text, " ")] = '\0';
	text[sizeof(o->late[0].name) - 1] = '\0';
	o->nlate++;
	for (i = 0; i < sizeof(o->late) / sizeof(o->late[0]); i++) {
		if (!o->late[i].n)
			strcpy(o->late[i].name, text);
		if (!strcmp(o->late[i].name, text)) {
			o->late[i].n++;
			return;
		}
	}
}

/* The single step over the instruction at @ip (@len bytes, no branch) stopped at @nip, past the
 * instruction after it. On some hypervisors a trap-flag step over an instruction that exits to
 * the hypervisor (cpuid, rdtsc, ...) stops one instruction late: what lies between ran. If it is
 * straight-line code ending at @nip, it is encoded as executed, one tick an instruction; anything
 * else is an error. The stack pointer between them is not seen: @nsp stands for all of them. */
static int late_stop(struct oracle *o, uint64_t ip, uint8_t len, uint64_t nip, uint64_t nsp)
{
	uint64_t pc = ip + len;
	char a[128], b[128];
	struct insn *s = NULL;
	unsigned n;

	for (n = 0; pc < nip && n < LATE_MAX; n++) {
		s = insn_get(o, pc);
		if (!s)
			return -1;
		if (s->kind != K_OTHER || !s->len)
			break;
		if (orc_enc_insn(&o->enc, pc, o->now))
			return -1;
		o->ninsn++;
		if (o->selfcheck) {
			o->path = grow(o->path, &o->cappath, o->npath, sizeof(*o->path));
			o->path[o->npath++] = pc;
		}
		if (insn_done(o, s, nsp, pc + s->len, nsp))
			return -1;
		o->now++;
		pc += s->len;
	}
	if (pc != nip) {
		fprintf(stderr,
			"pt_oracle: unexpected control transfer 0x%" PRIx64 " (%s) -> 0x%" PRIx64
			": %s at 0x%" PRIx64 " (%s) is not straight-line code a late single-step "
			"stop can pass (a signal?): not modelled\n",
			ip, insn_text(o, ip, a, sizeof(a)), nip,
			pc < nip && n < LATE_MAX ? "the instruction" : "what ends", pc,
			insn_text(o, pc, b, sizeof(b)));
		return -1;
	}
	late_count(o, ip);
	return 0;
}

static int regs_get(pid_t pid, uint64_t *ip, uint64_t *sp);

/* One single step of the program; its wait status in @st. With --late-stops, a step over an
 * instruction that exits to the hypervisor takes one more step before the stop is looked at, as
 * the hosts with that quirk do; on such a host, where the step already stopped past the next
 * instruction, it takes none (two late would be a quirk no host has). */
static int step(struct oracle *o, const struct insn *in, int *st)
{
	int more = o->simulate_late && in->vmexit;

	do {
		if (ptrace(PTRACE_SINGLESTEP, o->pid, NULL, NULL)) {
			perror("pt_oracle: PTRACE_SINGLESTEP");
			return -1;
		}
		if (waitpid(o->pid, st, 0) != o->pid) {
			perror("pt_oracle: waitpid");
			return -1;
		}
		uint64_t ip, sp;
		if (more && WIFSTOPPED(*st) && *st >> 8 == SIGTRAP && !regs_get(o->pid, &ip, &sp) &&
		    ip != in->ip + in->len)
			more = 0; /* the host stopped late itself */
	} while (more-- && WIFSTOPPED(*st) && *st >> 8 == SIGTRAP);
	return 0;
}

/* Is @ip in the [uprobes] page, where the kernel runs a probed instruction out of line? */
static int in_xol(struct oracle *o, uint64_t ip)
{
	const struct orc_map *m = orc_maps_find(&o->maps, ip);

	if (!m && orc_maps_read(&o->maps, o->pid) == 0)
		m = orc_maps_find(&o->maps, ip); /* the page is mapped at the first hit */
	return m && !strcmp(m->path, "[uprobes]");
}

/* The step over the instruction at @ip stopped at *@nip in the [uprobes] page: another tracer's
 * uprobe in a library the program maps was hit, and the kernel runs the probed instruction (a
 * copy of the one at @ip, as the file has it) out of line there. Steps on to where it comes back
 * and sets *@nip, *@nsp to that: for the program, the instruction at @ip ran. */
static int xol_skip(struct oracle *o, uint64_t ip, uint64_t *nip, uint64_t *nsp)
{
	static const struct insn none;
	int st, n;

	for (n = 0; n < 8 && in_xol(o, *nip); n++) {
		if (step(o, &none, &st))
			return -1;
		if (!WIFSTOPPED(st) || st >> 8 != SIGTRAP) {
			fprintf(stderr,
				"pt_oracle: the program stopped (status 0x%x) in the [uprobes] "
				"page "
				"after 0x%" PRIx64 ": not modelled\n",
				st, ip);
			return -1;
		}
		if (regs_get(o->pid, nip, nsp))
			return -1;
	}
	if (in_xol(o, *nip)) {
		fprintf(stderr,
			"pt_oracle: the program stays in the [uprobes] page after 0x%" PRIx64 "\n",
			ip);
		return -1;
	}
	o->nxol++;
	return 0;
}

static int regs_get(pid_t pid, uint64_t *ip, uint64_t *sp)
{
	struct user_regs_struct r;

	if (ptrace(PTRACE_GETREGS, pid, NULL, &r)) {
		perror("pt_oracle: PTRACE_GETREGS");
		return -1;
	}
	*ip = r.rip;
	*sp = r.rsp;
	return 0;
}

/* Starts @argv stopped at its first instruction. */
static int launch(struct oracle *o, char **argv)
{
	char path[64];
	cpu_set_t one;
	int st;

	/* Tracer and tracee on one CPU: each step then wakes the other side without a
	 * cross-CPU interrupt, several times faster in a VM. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu() > 0 ? sched_getcpu() : 0, &one);
	sched_setaffinity(0, sizeof(one), &one);
	o->pid = fork();
	if (o->pid < 0) {
		perror("pt_oracle: fork");
		return -1;
	}
	if (!o->pid) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			_exit(126);
		personality(ADDR_NO_RANDOMIZE);
		execv(argv[0], argv);
		fprintf(stderr, "pt_oracle: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (waitpid(o->pid, &st, 0) != o->pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTRAP) {
		fprintf(stderr, "pt_oracle: %s did not stop after exec\n", argv[0]);
		return -1;
	}
	if (ptrace(PTRACE_SETOPTIONS, o->pid, NULL,
		   (void *)(long)(PTRACE_O_EXITKILL | PTRACE_O_TRACEEXIT))) {
		perror("pt_oracle: PTRACE_SETOPTIONS");
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)o->pid);
	o->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (o->mem_fd < 0) {
		perror(path);
		return -1;
	}
	return orc_maps_read(&o->maps, o->pid);
}

/* Single-steps the program to its exit, encoding as it goes. */
static int trace(struct oracle *o)
{
	uint64_t ip, sp, nip, nsp, fall;
	struct insn *in;
	int st, repeat = 0, late;

	if (regs_get(o->pid, &ip, &sp))
		return -1;
	o->now = TSC_START;
	for (;;) {
		in = insn_get(o, ip);
		if (!in)
			return -1;
		/* A rep-prefixed string instruction stops after each iteration: one instruction. */
		if (!repeat) {
			if (orc_enc_insn(&o->enc, ip, o->now))
				return -1;
			o->ninsn++;
			if (o->selfcheck) {
				o->path = grow(o->path, &o->cappath, o->npath, sizeof(*o->path));
				o->path[o->npath++] = ip;
			}
		}
		if (step(o, in, &st))
			return -1;
		if (WIFSTOPPED(st) && st >> 8 == (SIGTRAP | PTRACE_EVENT_EXIT << 8)) {
			/* exit_group: user space is left for good. */
			if (in->kind != K_SYSCALL)
				fprintf(stderr,
					"pt_oracle: exit after a non-syscall at 0x%" PRIx64 "\n",
					ip);
			else if (orc_enc_disable(&o->enc, o->now))
				return -1;
			o->now++;
			o->nsyscalls++;
			break;
		}
		if (!WIFSTOPPED(st)) {
			fprintf(stderr, "pt_oracle: the program ended without an exit event\n");
			return -1;
		}
		if (WSTOPSIG(st) != SIGTRAP) {
			fprintf(stderr,
				"pt_oracle: the program got signal %d: signals are not "
				"modelled\n",
				WSTOPSIG(st));
			return -1;
		}
		if (regs_get(o->pid, &nip, &nsp))
			return -1;
		/* Decoded instructions are not in the [uprobes] page: look no further for them. */
		if (!cache_slot(&o->cache, nip)->used && in_xol(o, nip) &&
		    xol_skip(o, ip, &nip, &nsp))
			return -1;
		repeat = in->kind == K_OTHER && nip == ip;
		fall = in->ip + in->len;
		late = in->kind == K_OTHER && in->len && nip != ip && nip != fall;
		if (insn_done(o, in, sp, late ? fall : nip, nsp))
			return -1;
		o->now++;
		/* @in may move: insn_get() grows the cache. */
		if (late && late_stop(o, ip, (uint8_t)(fall - ip), nip, nsp))
			return -1;
		ip = nip;
		sp = nsp;
	}
	if (orc_enc_flush(&o->enc))
		return -1;
	orc_enc_finish(&o->enc, o->now);
	if (orc_maps_read(&o->maps, o->pid))
		return -1;
	return 0;
}

/* Dumps the vdso mapping @m of the stopped program next to the trace; returns the file's path
 * (malloc'ed) or NULL. */
static char *vdso_dump(struct oracle *o, const struct orc_map *m)
{
	size_t len = m->end - m->start;
	uint8_t *buf = malloc(len);
	char *path = NULL;
	FILE *f;

	char cwd[4096];

	/* An absolute path: IMAGES.txt may be read from elsewhere. */
	if (o->out_path[0] != '/' && !getcwd(cwd, sizeof(cwd)))
		cwd[0] = '\0';
	if (!buf || pread(o->mem_fd, buf, len, (off_t)m->start) != (ssize_t)len ||
	    asprintf(&path, "%s%s%s.vdso", o->out_path[0] == '/' ? "" : cwd,
		     o->out_path[0] == '/' ? "" : "/", o->out_path) < 0) {
		free(buf);
		return NULL;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		free(path);
		path = NULL;
	}
	free(buf);
	return path;
}

/* The images of every ELF file with an executable mapping, and of the vdso if it ran. */
static int images_collect(struct oracle *o)
{
	size_t i, j;

	for (i = 0; i < o->maps.n; i++) {
		struct orc_map *m = &o->maps.v[i];
		struct orc_image *im;
		char *path;
		uint64_t bias;
		int dup = 0;

		if (m->perms[2] != 'x')
			continue;
		if (!strcmp(m->path, "[vdso]")) {
			if (!m->used)
				continue;
			path = vdso_dump(o, m);
			if (!path)
				return -1;
		} else if (m->path[0] == '/') {
			path = strdup(m->path);
		} else {
			if (m->used)
				fprintf(stderr, "pt_oracle: code ran in %s, which has no image\n",
					*m->path ? m->path : "an anonymous mapping");
			continue;
		}
		if (!path)
			return -1;
		if (orc_elf_bias(path, m, &bias)) {
			fprintf(stderr, "pt_oracle: %s: no ELF segment for offset 0x%" PRIx64 "\n",
				path, m->pgoff);
			free(path);
			return -1;
		}
		for (j = 0; j < o->nimages; j++)
			dup |= !strcmp(o->images[j].path, path) && o->images[j].bias == bias;
		if (dup) {
			free(path);
			continue;
		}
		im = realloc(o->images, (o->nimages + 1) * sizeof(*o->images));
		if (!im) {
			free(path);
			return -1;
		}
		o->images = im;
		o->images[o->nimages++] = (struct orc_image){ .path = path, .bias = bias };
	}
	return 0;
}

static int images_write(struct oracle *o)
{
	FILE *f = fopen(o->images_path, "w");
	size_t i;

	if (!f) {
		perror(o->images_path);
		return -1;
	}
	for (i = 0; i < o->nimages; i++)
		fprintf(f, "%s@0x%" PRIx64 "\n", o->images[i].path, o->images[i].bias);
	if (fclose(f)) {
		perror(o->images_path);
		return -1;
	}
	return 0;
}

static int trace_write(struct oracle *o)
{
	FILE *f = fopen(o->out_path, "wb");

	if (!f || fwrite(o->enc.out.data, 1, o->enc.out.len, f) != o->enc.out.len || fclose(f)) {
		perror(o->out_path);
		return -1;
	}
	return 0;
}

/* The name hwtrace's symbolizer gives @addr in the traced process. */
static const char *frame_name(struct hwt_model *m, struct hwt_symbolizer *s, uint32_t pid,
			      uint64_t addr)
{
	int64_t id = hwt_symbolizer_frame(s, pid, addr, 0);
	const struct hwt_frame *fr = id > 0 ? hwt_model_frame(m, (uint32_t)id) : NULL;

	return fr ? hwt_model_str(m, fr->name) : "[unknown]";
}

static void psbs_before(struct oracle *o, FILE *f, size_t *next, size_t nevents)
{
	const struct orc_enc *e = &o->enc;

	for (; *next < e->npsbs && e->psbs[*next].nmarks <= nevents; (*next)++)
		fprintf(f, "psb %" PRIu64 " %" PRIu64 " %zu %" PRIu64 " %d\n",
			e->psbs[*next].offset, e->psbs[*next].end, e->psbs[*next].nmarks,
			e->psbs[*next].time, e->psbs[*next].needed);
	if (e->ovf_done && e->ovf_nmarks == nevents)
		fprintf(f, "ovf %" PRIu64 " %zu %" PRIu64 "\n", e->ovf_offset, e->ovf_nmarks,
			e->ovf_time);
}

static int truth_write(struct oracle *o, const char *prog)
{
	static const char *const kinds[] = {
		[EV_CALL] = "call", [EV_RET] = "ret", [EV_UNWIND] = "unwind"
	};
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_symbolizer *s = m ? hwt_symbolizer_alloc(m) : NULL;
	FILE *f = fopen(o->truth_path, "w");
	size_t i, next_psb = 0;
	int rc = 0;

	if (!s || !f) {
		perror(o->truth_path);
		rc = -1;
		goto out;
	}
	for (i = 0; i < o->maps.n; i++) {
		const struct orc_map *mp = &o->maps.v[i];
		struct hwt_map_info mi = {
			.start = mp->start, .end = mp->end, .pgoff = mp->pgoff, .path = mp->path
		};

		if (hwt_symbolizer_add_map(s, (uint32_t)o->pid, &mi) < 0) {
			rc = -1;
			goto out;
		}
	}
	fprintf(f, "# pt_oracle truth for %s: every call and return it executed\n", prog);
	fprintf(f, "import --tsc-hz %llu --mtc-freq %u --nom-freq %u --cpuid15 %u/%u%s\n",
		(unsigned long long)TSC_HZ, o->cfg.mtc_freq, o->cfg.nom_freq, o->cfg.cpuid15_eax,
		o->cfg.cpuid15_ebx, o->cfg.retcomp ? "" : " --noretcomp");
	fprintf(f, "pid %d\n", (int)o->pid);
	fprintf(f, "mtc_period %" PRIu64 "\n", o->enc.mtc_period);
	fprintf(f, "slack %d\n", o->cfg.cyc ? -1 : 0);
	fprintf(f, "start %llu\n", (unsigned long long)TSC_START);
	for (i = 0; i < o->nevents; i++) {
		const struct event *ev = &o->events[i];
		const struct orc_mark *mk = &o->enc.marks[i];

		psbs_before(o, f, &next_psb, i);
		if (ev->kind == EV_CALL)
			fprintf(f, "call 0x%" PRIx64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n",
				ev->target, ev->ts, mk->lo, mk->hi,
				frame_name(m, s, (uint32_t)o->pid, ev->target));
		else
			fprintf(f, "%s %" PRIu64 " %" PRIu64 " %" PRIu64 "\n", kinds[ev->kind],
				ev->ts, mk->lo, mk->hi);
	}
	psbs_before(o, f, &next_psb, o->nevents);
	fprintf(f, "end %" PRIu64 "\n", o->now);
	fprintf(f, "instructions %" PRIu64 "\n", o->ninsn);
	fprintf(f, "late_stops %" PRIu64, o->nlate);
	for (i = 0; i < sizeof(o->late) / sizeof(o->late[0]) && o->late[i].n; i++)
		fprintf(f, " %s:%" PRIu64, o->late[i].name, o->late[i].n);
	fprintf(f, "\n");
	fprintf(f, "exit %d\n", o->exit_status);
	if (fclose(f)) {
		f = NULL;
		perror(o->truth_path);
		rc = -1;
	}
	f = NULL;
out:
	if (f)
		fclose(f);
	hwt_symbolizer_free(s);
	hwt_model_free(m);
	return rc;
}

/* Lets the program finish its exit and collects the status. */
static void reap(struct oracle *o)
{
	int st;

	ptrace(PTRACE_CONT, o->pid, NULL, NULL);
	if (waitpid(o->pid, &st, 0) == o->pid)
		o->exit_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void oracle_fini(struct oracle *o)
{
	size_t i;

	if (o->cs)
		cs_close(&o->cs);
	if (o->mem_fd >= 0)
		close(o->mem_fd);
	orc_enc_fini(&o->enc);
	orc_maps_fini(&o->maps);
	for (i = 0; i < o->nimages; i++)
		free(o->images[i].path);
	free(o->images);
	free(o->cache.v);
	free(o->frames);
	free(o->events);
	free(o->path);
	free(o->event_step);
}

static void usage(void)
{
	fprintf(stderr, "usage: pt_oracle [--noretcomp] [--psb-bytes N] [--mtc-period N] [--cyc] "
			"[--tnt64]\n"
			"                 [--syscall-ns N] [--overflow AT:LEN] [--selfcheck] "
			"[--late-stops] [-q]\n"
			"                 -o OUT.pt --truth TRUTH.txt --images IMAGES.txt -- PROG "
			"[ARGS]\n");
	exit(2);
}

static uint64_t num_arg(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "pt_oracle: %s wants a number, not '%s'\n", opt, s);
		exit(2);
	}
	return v;
}

static double elapsed(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "noretcomp", no_argument, NULL, 'R' },
		{ "psb-bytes", required_argument, NULL, 'P' },
		{ "mtc-period", required_argument, NULL, 'M' },
		{ "cyc", no_argument, NULL, 'C' },
		{ "tnt64", no_argument, NULL, 'T' },
		{ "syscall-ns", required_argument, NULL, 'S' },
		{ "overflow", required_argument, NULL, 'O' },
		{ "selfcheck", no_argument, NULL, 'K' },
		{ "late-stops", no_argument, NULL, 'L' },
		{ "truth", required_argument, NULL, 't' },
		{ "images", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct oracle o = { .syscall_ns = 1000, .mem_fd = -1 };
	struct timespec t0;
	long bad = 0;
	int c;

	orc_config_init(&o.cfg);
	while ((c = getopt_long(argc, argv, "+o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'R':
			o.cfg.retcomp = 0;
			break;
		case 'P':
			o.cfg.psb_bytes = num_arg("--psb-bytes", optarg);
			break;
		case 'M':
			o.cfg.mtc_freq = (unsigned)num_arg("--mtc-period", optarg);
			break;
		case 'C':
			o.cfg.cyc = 1;
			break;
		case 'T':
			o.cfg.tnt64 = 1;
			break;
		case 'S':
			o.syscall_ns = num_arg("--syscall-ns", optarg);
			break;
		case 'O': {
			char *colon = strchr(optarg, ':');

			if (!colon)
				usage();
			*colon = '\0';
			o.cfg.overflow_at = num_arg("--overflow", optarg);
			o.cfg.overflow_len = num_arg("--overflow", colon + 1);
			break;
		}
		case 'K':
			o.selfcheck = 1;
			break;
		case 'L':
			o.simulate_late = 1;
			break;
		case 'o':
			o.out_path = optarg;
			break;
		case 't':
			o.truth_path = optarg;
			break;
		case 'i':
			o.images_path = optarg;
			break;
		case 'q':
			o.quiet = 1;
			break;
		default:
			usage();
		}
	}
	if (optind >= argc || !o.out_path || !o.truth_path || !o.images_path)
		usage();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (orc_enc_init(&o.enc, &o.cfg))
		return 2;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &o.cs) != CS_ERR_OK ||
	    cs_option(o.cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) {
		fprintf(stderr, "pt_oracle: capstone cannot decode x86-64\n");
		oracle_fini(&o);
		return 2;
	}
	if (launch(&o, argv + optind) || trace(&o) || images_collect(&o)) {
		if (o.pid > 0)
			kill(o.pid, SIGKILL);
		oracle_fini(&o);
		return 2;
	}
	reap(&o);
	if (trace_write(&o) || images_write(&o) || truth_write(&o, argv[optind])) {
		oracle_fini(&o);
		return 2;
	}
	if (!o.quiet)
		fprintf(stderr,
			"pt_oracle: %s: %" PRIu64 " instructions, %" PRIu64 " calls, %" PRIu64
			" returns (%" PRIu64 " past the top, %" PRIu64 " stray), %" PRIu64
			" unwound, %" PRIu64 " syscalls; %zu bytes: %" PRIu64 " packets, %" PRIu64
			" PSB, %" PRIu64 " TNT, %" PRIu64 " TIP, %" PRIu64 " MTC; %" PRIu64
			" late single-step stops%s, %" PRIu64 " uprobes of others run; %.2f s\n",
			argv[optind], o.ninsn, o.ncalls, o.nrets + o.npast_top, o.npast_top,
			o.nstray, o.nunwinds, o.nsyscalls, o.enc.out.len, o.enc.npackets,
			o.enc.npsb, o.enc.ntnt, o.enc.ntip, o.enc.nmtc, o.nlate,
			o.simulate_late ? " (simulated)" : "", o.nxol, elapsed(&t0));
	if (o.selfcheck) {
		struct orc_check_in in = {
			.trace = o.enc.out.data,
			.len = o.enc.out.len,
			.cfg = &o.cfg,
			.images = o.images,
			.nimages = o.nimages,
			.path = o.path,
			.npath = o.npath,
			.event_step = o.event_step,
			.marks = o.enc.marks,
			.nmarks = o.enc.nmarks,
			.nsyscalls = o.nsyscalls,
			.resume_at = o.enc.ovf_done ? o.cfg.overflow_at + o.cfg.overflow_len : 0,
		};

		bad = orc_selfcheck(&in);
	}
	oracle_fini(&o);
	return bad ? 1 : 0;
}

/* The entry and return stubs of patched functions: save every call-clobbered register, call the
 * C side (shadow.c), restore them. */

	.text

/*
 * What both stubs save: every register a C function may change (rax, rcx, rdx, rsi, rdi, r8-r11,
 * xmm0-15), not only those that carry arguments or return values. GCC's interprocedural register
 * allocation (-fipa-ra, on at -O2) lets a caller keep values in call-clobbered registers across a
 * call to a function it knows leaves them alone: a stub that changes one (the hooks do) breaks
 * such a caller. The flags, x87 and the upper halves of ymm/zmm are not saved (documented in
 * patch.h). The GPRs are pushed below %rbp, the xmm registers in a 16-aligned block below them.
 */
#define SAVE_GPRS	\
	pushq	%rax;	\
	pushq	%rcx;	\
	pushq	%rdx;	\
	pushq	%rsi;	\
	pushq	%rdi;	\
	pushq	%r8;	\
	pushq	%r9;	\
	pushq	%r10;	\
	pushq	%r11
#define RESTORE_GPRS	\
	leaq	-72(%rbp), %rsp; \
	popq	%r11;	\
	popq	%r10;	\
	popq	%r9;	\
	popq	%r8;	\
	popq	%rdi;	\
	popq	%rsi;	\
	popq	%rdx;	\
	popq	%rcx;	\
	popq	%rax
#define SAVE_XMMS	\
	andq	$-16, %rsp;	\
	subq	$256, %rsp;	\
	movups	%xmm0, 0(%rsp);	\
	movups	%xmm1, 16(%rsp);	\
	movups	%xmm2, 32(%rsp);	\
	movups	%xmm3, 48(%rsp);	\
	movups	%xmm4, 64(%rsp);	\
	movups	%xmm5, 80(%rsp);	\
	movups	%xmm6, 96(%rsp);	\
	movups	%xmm7, 112(%rsp);	\
	movups	%xmm8, 128(%rsp);	\
	movups	%xmm9, 144(%rsp);	\
	movups	%xmm10, 160(%rsp);	\
	movups	%xmm11, 176(%rsp);	\
	movups	%xmm12, 192(%rsp);	\
	movups	%xmm13, 208(%rsp);	\
	movups	%xmm14, 224(%rsp);	\
	movups	%xmm15, 240(%rsp)
#define RESTORE_XMMS	\
	movups	0(%rsp), %xmm0;	\
	movups	16(%rsp), %xmm1;	\
	movups	32(%rsp), %xmm2;	\
	movups	48(%rsp), %xmm3;	\
	movups	64(%rsp), %xmm4;	\
	movups	80(%rsp), %xmm5;	\
	movups	96(%rsp), %xmm6;	\
	movups	112(%rsp), %xmm7;	\
	movups	128(%rsp), %xmm8;	\
	movups	144(%rsp), %xmm9;	\
	movups	160(%rsp), %xmm10;	\
	movups	176(%rsp), %xmm11;	\
	movups	192(%rsp), %xmm12;	\
	movups	208(%rsp), %xmm13;	\
	movups	224(%rsp), %xmm14;	\
	movups	240(%rsp), %xmm15

/*
 * Called by a trampoline (call *slot(%rip)) at a patched function's entry:
 * (%rsp) is the trampoline's resume point, 8(%rsp) the caller's return address slot. Saves the
 * registers above, calls hwt__patch_on_enter(resume, slot), restores them and returns to the
 * resume point.
 */
	.globl	hwt__patch_enter_asm
	.hidden	hwt__patch_enter_asm
	.type	hwt__patch_enter_asm, @function
	.p2align 4
hwt__patch_enter_asm:
	.cfi_startproc
	endbr64
	pushq	%rbp
	.cfi_def_cfa_offset 16
	.cfi_offset %rbp, -16
	movq	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	SAVE_GPRS
	SAVE_XMMS
	movq	8(%rbp), %rdi
	leaq	16(%rbp), %rsi
	call	hwt__patch_on_enter
	RESTORE_XMMS
	RESTORE_GPRS
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	hwt__patch_enter_asm, .-hwt__patch_enter_asm

/*
 * Where patched functions return (their return address was replaced on entry): %rsp is one past
 * the slot the return address was in. Saves the registers above, calls
 * hwt__patch_on_leave(slot), which pops the shadow stack and gives the real return address,
 * writes it back into the slot, restores every register and jumps there through the slot, now
 * just below %rsp (inside the red zone, which signal delivery skips). A jump, not a ret: the
 * CPU's return-address predictions for the callers stay in step, so only the patched function's
 * own ret is mispredicted. No register is used for the jump: after a return, a caller built with
 * -fipa-ra may still expect r11 or any other call-clobbered register to hold its value.
 */
	.globl	hwt__patch_return_asm
	.hidden	hwt__patch_return_asm
	.type	hwt__patch_return_asm, @function
	.p2align 4
	nop	/* a return address that points at a nop: unwinders that look one byte back see it */
hwt__patch_return_asm:
	.cfi_startproc
	.cfi_undefined rip
	subq	$8, %rsp	/* back over the slot: it gets the real return address */
	pushq	%rbp
	movq	%rsp, %rbp	/* the slot is at 8(%rbp) */
	SAVE_GPRS
	SAVE_XMMS
	leaq	8(%rbp), %rdi
	call	hwt__patch_on_leave
	movq	%rax, 8(%rbp)
	RESTORE_XMMS
	RESTORE_GPRS
	popq	%rbp
	leaq	8(%rsp), %rsp	/* as after the ret: one past the slot (lea keeps the flags) */
	notrack jmp *-8(%rsp)	/* not an endbr64 there: tracked by IBT, it would fault */
	.cfi_endproc
	.size	hwt__patch_return_asm, .-hwt__patch_return_asm

	.section .note.GNU-stack, "", @progbits

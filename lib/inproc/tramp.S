/* The entry and return stubs of patched functions: save the registers a call's arguments or
 * return values live in, call the C side (shadow.c), restore them. */

	.text

/*
 * Called by a trampoline (call *slot(%rip)) at a patched function's entry:
 * (%rsp) is the trampoline's resume point, 8(%rsp) the caller's return address slot. Saves
 * rax (the vector count of varargs), the six integer argument registers, r10 (static chain) and
 * xmm0-7, calls hwt__patch_on_enter(resume, slot), restores them and returns to the resume
 * point. r11 is clobbered (a scratch register at any call, as PLT stubs clobber it).
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
	pushq	%rax
	pushq	%rdi
	pushq	%rsi
	pushq	%rdx
	pushq	%rcx
	pushq	%r8
	pushq	%r9
	pushq	%r10
	andq	$-16, %rsp
	subq	$128, %rsp
	movups	%xmm0, 0(%rsp)
	movups	%xmm1, 16(%rsp)
	movups	%xmm2, 32(%rsp)
	movups	%xmm3, 48(%rsp)
	movups	%xmm4, 64(%rsp)
	movups	%xmm5, 80(%rsp)
	movups	%xmm6, 96(%rsp)
	movups	%xmm7, 112(%rsp)
	movq	8(%rbp), %rdi
	leaq	16(%rbp), %rsi
	call	hwt__patch_on_enter
	movups	0(%rsp), %xmm0
	movups	16(%rsp), %xmm1
	movups	32(%rsp), %xmm2
	movups	48(%rsp), %xmm3
	movups	64(%rsp), %xmm4
	movups	80(%rsp), %xmm5
	movups	96(%rsp), %xmm6
	movups	112(%rsp), %xmm7
	leaq	-64(%rbp), %rsp
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rcx
	popq	%rdx
	popq	%rsi
	popq	%rdi
	popq	%rax
	popq	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size	hwt__patch_enter_asm, .-hwt__patch_enter_asm

/*
 * Where patched functions return (their return address was replaced on entry): %rsp is one past
 * the slot the return address was in. Saves rax, rdx, xmm0, xmm1 (the return value registers),
 * calls hwt__patch_on_leave(slot), which pops the shadow stack and gives the real return address,
 * restores them and jumps there through r11 (free after a return, like every register that does
 * not hold a return value). A jump, not a ret: the CPU's return-address predictions for the
 * callers stay in step, so only the patched function's own ret is mispredicted.
 */
	.globl	hwt__patch_return_asm
	.hidden	hwt__patch_return_asm
	.type	hwt__patch_return_asm, @function
	.p2align 4
	nop	/* a return address that points at a nop: unwinders that look one byte back see it */
hwt__patch_return_asm:
	.cfi_startproc
	.cfi_undefined rip
	pushq	%rbp		/* into the slot itself: %rbp is now the slot's address */
	movq	%rsp, %rbp
	pushq	%rax
	pushq	%rdx
	andq	$-16, %rsp
	subq	$32, %rsp
	movups	%xmm0, 0(%rsp)
	movups	%xmm1, 16(%rsp)
	movq	%rbp, %rdi
	call	hwt__patch_on_leave
	movq	%rax, %r11
	movups	0(%rsp), %xmm0
	movups	16(%rsp), %xmm1
	movq	-8(%rbp), %rax
	movq	-16(%rbp), %rdx
	movq	%rbp, %rsp
	popq	%rbp
	notrack jmp *%r11	/* not an endbr64 there: tracked by IBT, it would fault */
	.cfi_endproc
	.size	hwt__patch_return_asm, .-hwt__patch_return_asm

	.section .note.GNU-stack, "", @progbits

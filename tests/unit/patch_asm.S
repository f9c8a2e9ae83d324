/* Hand-written prologues for the entry patcher's unit test: each function's bytes are fixed, so
 * the test knows what is replaced and what must be refused. */

	.text
#define FUNC(name) .globl name; .type name, @function; .p2align 4; name:
#define END(name) .size name, .-name

/* push %rbp; mov %rsp,%rbp: x + 1 */
FUNC(pt_asm_fp)
	pushq	%rbp
	movq	%rsp, %rbp
	leal	1(%rdi), %eax
	popq	%rbp
	ret
END(pt_asm_fp)

/* endbr64; push: x + 2 */
FUNC(pt_asm_endbr)
	endbr64
	pushq	%rbx
	movl	%edi, %ebx
	leal	2(%rbx), %eax
	popq	%rbx
	ret
END(pt_asm_endbr)

/* sub $N,%rsp first: x + 3 */
FUNC(pt_asm_sub)
	subq	$0x28, %rsp
	movl	%edi, (%rsp)
	movl	(%rsp), %eax
	addl	$3, %eax
	addq	$0x28, %rsp
	ret
END(pt_asm_sub)

/* a RIP-relative load first: x + 1000 */
FUNC(pt_asm_rip)
	movq	pt_asm_data(%rip), %rax
	addq	%rdi, %rax
	ret
END(pt_asm_rip)

/* test; je (a short branch) first: x ? x + 4 : -1 */
FUNC(pt_asm_je)
	testl	%edi, %edi
	je	1f
	leal	4(%rdi), %eax
	ret
1:	movl	$-1, %eax
	ret
END(pt_asm_je)

/* an SSE load RIP-relative among the replaced bytes (as libzstd's ZSTD_createCCtx): x + 40 */
FUNC(pt_asm_sse)
	subq	$0x28, %rsp
	movdqa	pt_asm_vec(%rip), %xmm0
	movd	%xmm0, %eax
	addl	%edi, %eax
	addq	$0x28, %rsp
	ret
END(pt_asm_sse)

/* the same, VEX-encoded first (AVX): x + 40 */
FUNC(pt_asm_avx)
	vmovdqu	pt_asm_vec(%rip), %xmm1
	vmovd	%xmm1, %eax
	addl	%edi, %eax
	ret
END(pt_asm_avx)

/* 3 bytes: too short */
FUNC(pt_asm_short)
	xorl	%eax, %eax
	ret
END(pt_asm_short)

/* a loop back to the 2nd instruction: x + (x-1) + ... + 1 */
FUNC(pt_asm_loop)
	xorl	%eax, %eax
1:	addl	%edi, %eax
	decl	%edi
	jnz	1b
	ret
END(pt_asm_loop)

/* a loop back to the entry itself */
FUNC(pt_asm_entryloop)
	subl	$1, %edi
	jg	pt_asm_entryloop
	movl	%edi, %eax
	ret
END(pt_asm_entryloop)

/* a switch through a PIC jump table, whose replaced bytes span two instructions: the table is
 * read (3 entries, from the cmp/ja bound), no case lands in them, so it is patched; 10 + x */
FUNC(pt_asm_table)
	cmpl	$2, %edi
	ja	9f
	leaq	2f(%rip), %rdx
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
3:	movl	$10, %eax
	ret
4:	movl	$11, %eax
	ret
5:	movl	$12, %eax
	ret
9:	movl	$-1, %eax
	ret
	.section .rodata
	.p2align 2
2:	.long	3b-2b, 4b-2b, 5b-2b
	.text
END(pt_asm_table)

/* the same switch with a case on the second instruction (a loop back into the replaced bytes
 * through the table): refused */
FUNC(pt_asm_table_into)
	cmpl	$2, %edi
1:	ja	9f
	leaq	2f(%rip), %rdx
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
3:	movl	$10, %eax
	ret
9:	movl	$-1, %eax
	ret
	.section .rodata
	.p2align 2
2:	.long	3b-2b, 1b-2b, 3b-2b
	.text
END(pt_asm_table_into)

/* a table jump whose bound is no cmp/ja (an and): the table cannot be read safely, refused */
FUNC(pt_asm_table_nobound)
	andl	$1, %edi
	leaq	2f(%rip), %rdx
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
3:	movl	$10, %eax
	ret
4:	movl	$11, %eax
	ret
	.section .rodata
	.p2align 2
2:	.long	3b-2b, 4b-2b
	.text
END(pt_asm_table_nobound)

/* the same switch behind pushes: a case cannot land on them, so it is patched; 10 + x */
FUNC(pt_asm_table_push)
	pushq	%r15
	pushq	%r14
	pushq	%r13
	cmpl	$2, %edi
	ja	9f
	leaq	2f(%rip), %rdx
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
3:	movl	$10, %eax
	jmp	8f
4:	movl	$11, %eax
	jmp	8f
5:	movl	$12, %eax
	jmp	8f
9:	movl	$-1, %eax
8:	popq	%r13
	popq	%r14
	popq	%r15
	ret
	.section .rodata
	.p2align 2
2:	.long	3b-2b, 4b-2b, 5b-2b
	.text
END(pt_asm_table_push)

/* pt_asm_intruder shares pt_asm_victim's code past its first instruction (a shared tail, as
 * hand-written libraries have): both return x + 1 */
FUNC(pt_asm_victim)
	pushq	%rbp
1:	movq	%rsp, %rbp
	leal	1(%rdi), %eax
	popq	%rbp
	ret
END(pt_asm_victim)

FUNC(pt_asm_intruder)
	pushq	%rbp
	movl	$0, %eax
	jmp	1b
END(pt_asm_intruder)

/* calls pt_asm_slot_probe(address of its own return address slot) */
FUNC(pt_asm_slot)
	movq	%rsp, %rdi
	subq	$8, %rsp
	call	pt_asm_slot_probe
	addq	$8, %rsp
	ret
END(pt_asm_slot)

/* a call first (the last instruction replaced): leaf(x) + 1 = x + 11 */
FUNC(pt_asm_call)
	call	pt_asm_leaf
	addl	$1, %eax
	ret
END(pt_asm_call)

/* an indirect RIP-relative call first: leaf(x) + 2 = x + 12 */
FUNC(pt_asm_callind)
	call	*pt_asm_fnptr(%rip)
	addl	$2, %eax
	ret
END(pt_asm_callind)

/* not patched: x + 10 */
FUNC(pt_asm_leaf)
	leal	10(%rdi), %eax
	ret
END(pt_asm_leaf)

/* a tail call to another patched function: tail_b(x + 1) = x + 101 */
FUNC(pt_asm_tail_a)
	leal	1(%rdi), %edi
	jmp	pt_asm_tail_b
END(pt_asm_tail_a)

FUNC(pt_asm_tail_b)
	pushq	%rbp
	movq	%rsp, %rbp
	pushq	%rdi
	subq	$8, %rsp
	call	pt_asm_depth_probe
	addq	$8, %rsp
	popq	%rdi
	leal	100(%rdi), %eax
	popq	%rbp
	ret
END(pt_asm_tail_b)

/* One 5-byte instruction first, so that no thread can be inside the replaced bytes: x + 7.
 * pt_asm_word's lie in one aligned 8-byte word (one store); pt_asm_cross's span two (int3). */
FUNC(pt_asm_word)
	movl	$7, %eax
	addl	%edi, %eax
	ret
END(pt_asm_word)

	.p2align 4
	.skip	6, 0xcc
	.globl	pt_asm_cross
	.type	pt_asm_cross, @function
pt_asm_cross:
	movl	$7, %eax
	addl	%edi, %eax
	ret
END(pt_asm_cross)

	.data
	.p2align 3
	.globl	pt_asm_data
pt_asm_data:
	.quad	1000
pt_asm_fnptr:
	.quad	pt_asm_leaf
	.p2align 4
pt_asm_vec:
	.long	40, 41, 42, 43

	.section .note.GNU-stack, "", @progbits

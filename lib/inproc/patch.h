/* The x86-64 function-entry patcher of the in-process backend: jumps to per-function trampolines,
 * a per-thread shadow stack through which patched calls return, and the hooks they call. */
#ifndef HWTRACE_INPROC_PATCH_H
#define HWTRACE_INPROC_PATCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Use (the inproc runtime, inside the traced program):
 *
 *   p = hwt_patcher_alloc(&hooks);               once per process
 *   hwt_patcher_apply_many(p, reqs, n, results); before main, and at each dlopen for the new module
 *   ... hooks.enter / hooks.leave run on every patched call, on the calling thread ...
 *   __cxa_throw / _Unwind_RaiseException / _Unwind_ForcedUnwind wrappers:
 *                                   hwt_patch_restore_returns() before calling the real one;
 *   __cxa_begin_catch wrapper:      hwt_patch_unwind_to(its own stack pointer) after the real one;
 *   longjmp / siglongjmp:           nothing needed (entries skipped are found at the next patched
 *                                   entry or return and reported then with
 * HWT_PATCH_LEAVE_UNWOUND); a wrapper may call hwt_patch_unwind_to(target sp) to report them at
 * once.
 *
 * What is guaranteed while other threads run: the entry is rewritten with one 8-byte atomic store
 * when the bytes to replace lie in one aligned 8-byte word, else the first byte is replaced with
 * int3 while the others are written, then by the jmp opcode, with a SIGTRAP handler in place
 * meanwhile that sends a thread that hits it to the trampoline. A thread that is executing
 * inside the replaced bytes (past their first instruction) at that moment is not protected: the
 * runtime patches before main and at dlopen, when no thread runs the new module's code yet.
 */

/** Why a function cannot be patched; the inproc runtime reports it and traces it with uprobes. */
enum hwt_patch_refusal {
	HWT_PATCH_OK = 0,
	/** Fewer than 5 bytes after the entry (and its endbr64), or its size is 0. */
	HWT_PATCH_TOO_SHORT,
	/** A branch in the function targets the bytes to replace (its own entry included). */
	HWT_PATCH_JUMP_INTO,
	/** An instruction capstone cannot decode, or one that cannot be moved (int3, jrcxz, loop,
	 *  a call that is not the last instruction replaced). */
	HWT_PATCH_UNKNOWN_INSN,
	/** A RIP-relative operand moved to the trampoline would be out of its +-2 GiB reach. */
	HWT_PATCH_RIP_RANGE,
	/** Nothing could be mapped within +-2 GiB of the function for its trampoline. */
	HWT_PATCH_NO_TRAMPOLINE_SPACE,
	/** The function has an indirect jump through a table we cannot see (a switch), and the
	 * bytes to replace span more than one instruction: a case could land inside them. */
	HWT_PATCH_JUMP_TABLE,
	/** The function is patched already (by this patcher), or starts with a jmp/int3 written by
	 *  someone else (a debugger, another tracer). */
	HWT_PATCH_ALREADY,
	HWT_PATCH_REFUSAL_COUNT_ /* not a refusal: the number of values above */
};

/** Static one-line description of @r ("jump into the bytes to replace", ...); never NULL. */
const char *hwt_patch_refusal_str(int r);

/** Flags of hwt_patch_hooks.leave. */
enum hwt_patch_leave_flags {
	/** The function did not return: longjmp or an exception went past its frame. Reported at
	 *  the next patched entry or return of the thread, or at hwt_patch_unwind_to(). */
	HWT_PATCH_LEAVE_UNWOUND = 1,
};

/**
 * What the runtime does at each patched entry and return (read the clock, write the ring). Both
 * are called on the traced thread with the shadow stack already updated (hwt_patch_depth() is
 * the depth including the function on enter, excluding it on leave), with the function's
 * argument (enter) or return (leave) registers saved. They must not call patched functions:
 * such calls run untraced (and are counted in hwt_patch_thread_stats.skipped), as do patched
 * calls made by a signal handler that interrupts a hook.
 */
struct hwt_patch_hooks {
	/** Entry into the function patched with @id. */
	void (*enter)(void *ctx, uint32_t id);
	/** Return from it (@flags 0), or its frame left otherwise (HWT_PATCH_LEAVE_UNWOUND). */
	void (*leave)(void *ctx, uint32_t id, unsigned flags);
	/** Borrowed; passed to both. */
	void *ctx;
};

/** One function for hwt_patcher_apply_many(). */
struct hwt_patch_req {
	uintptr_t addr; /**< its entry, in this process */
	size_t size;	/**< its size in bytes (st_size), its code readable in this process */
	uint32_t id;	/**< passed to the hooks */
};

/** The patcher; one per process (its hooks and the return path are process-wide). */
struct hwt_patcher;

/**
 * A patcher calling @hooks (copied; enter and leave must be non-NULL). NULL with errno set if
 * out of memory (ENOMEM), if @hooks is invalid (EINVAL), if a patcher exists already (EBUSY) or if
 * capstone cannot disassemble x86-64 here (ENOSYS).
 */
struct hwt_patcher *hwt_patcher_alloc(const struct hwt_patch_hooks *hooks);

/**
 * Puts back the original bytes of every function patched by @p, unmaps its trampolines and frees
 * it (NULL accepted). Only when no other thread may be inside a patched entry or trampoline;
 * calls already under way still return through the shadow stack (their leave is not reported).
 */
void hwt_patcher_free(struct hwt_patcher *p);

/**
 * Whether the function at @addr (@size bytes, readable) can be patched, without patching it:
 * 0, a refusal (> 0, enum hwt_patch_refusal), or HWT_E_INVAL (@p NULL, @addr 0).
 * HWT_PATCH_NO_TRAMPOLINE_SPACE and HWT_PATCH_RIP_RANGE are known only by apply.
 */
int hwt_patcher_check(struct hwt_patcher *p, uintptr_t addr, size_t size);

/**
 * Patches the function at @addr (@size bytes) so that each call runs the hooks with @id: 0, a
 * refusal (> 0; the function is left untouched), or a negative enum hwt_error: HWT_E_INVAL,
 * HWT_E_NOMEM, HWT_E_PERM (mprotect refused writing the code).
 */
int hwt_patcher_apply(struct hwt_patcher *p, uintptr_t addr, size_t size, uint32_t id);

/**
 * hwt_patcher_apply() on @n functions (@reqs borrowed), with one mprotect round per run of pages:
 * @results[i] (caller's array of @n) gets what apply would return for @reqs[i]. Returns the
 * number patched, or a negative enum hwt_error if none could be tried (HWT_E_INVAL, HWT_E_NOMEM).
 */
int hwt_patcher_apply_many(struct hwt_patcher *p, const struct hwt_patch_req *reqs, size_t n,
			   int *results);

/** The number of functions @p has patched. */
size_t hwt_patcher_count(const struct hwt_patcher *p);

/* ---- the calling thread's shadow stack ------------------------------------------------------ */

/**
 * Before an unwinder walks this thread's stack (C++ throw, _Unwind_RaiseException,
 * _Unwind_ForcedUnwind for pthread_exit and cancellation, backtrace()): puts the real return
 * address back into every stack slot where the return path had replaced it. The entries stay on
 * the shadow stack; hwt_patch_unwind_to() re-arms those whose frames survive.
 */
void hwt_patch_restore_returns(void);

/**
 * The thread's stack is now at @sp (e.g. after a catch, or a longjmp to a frame whose stack
 * pointer is @sp): reports every shadow-stack entry whose frame lay below @sp as left
 * (HWT_PATCH_LEAVE_UNWOUND), pops it, and replaces the return address again in the slots of the
 * entries that remain (undoing hwt_patch_restore_returns() for them). Returns the number popped.
 */
int hwt_patch_unwind_to(uintptr_t sp);

/** The calling thread's shadow-stack depth (patched calls under way). */
size_t hwt_patch_depth(void);

/**
 * The real return address for the stack slot @slot, if the return path replaced it (the slot
 * holds hwt_patch_return_stub()), else *@slot; for stack walkers (backtraces, the unwinder).
 */
uintptr_t hwt_patch_real_return(const uintptr_t *slot);

/** The address patched calls return to (the return stub); what stack walkers see in its place. */
uintptr_t hwt_patch_return_stub(void);

/** Counters of the calling thread. */
struct hwt_patch_thread_stats {
	uint64_t overflow; /**< calls not traced because the shadow stack was full */
	uint64_t skipped;  /**< calls not traced because they were made from a hook */
	uint64_t unwound;  /**< entries reported with HWT_PATCH_LEAVE_UNWOUND */
};

/** Copies the calling thread's counters into @st. */
void hwt_patch_thread_stats(struct hwt_patch_thread_stats *st);

#endif

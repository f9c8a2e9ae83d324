/* The x86-64 function-entry patcher of the in-process backend: jumps to per-function trampolines,
 * a per-thread shadow stack through which patched calls return, and the hooks they call. */
#ifndef HWTRACE_INPROC_PATCH_H
#define HWTRACE_INPROC_PATCH_H

#include <stddef.h>
#include <stdint.h>

/*
 * How the inproc runtime uses it, inside the traced program:
 *
 * - hwt_patcher_alloc(&hooks) once per process; hwt_patcher_apply_many() on the selected
 *   functions before main, and on a new module's at each dlopen, one batch per module (a batch
 *   also finds jumps from one of its functions into another's first bytes, as hand-written
 *   shared tails do); hwt_patcher_forget() at dlclose.
 * - hooks.enter and hooks.leave then run on every patched call, on the calling thread. Calls the
 *   patcher itself makes (libc's mprotect, malloc, ...) are not traced.
 * - Wrappers of libgcc's _Unwind_RaiseException, _Unwind_Resume_or_Rethrow (C++ throw, rethrow,
 *   std::rethrow_exception) and _Unwind_ForcedUnwind (cancellation) call
 *   hwt_patch_restore_returns() before the real one, so that the unwinder reads real return
 *   addresses; a wrapper of __cxa_begin_catch calls hwt_patch_unwind_to(the catching frame's
 *   stack pointer: __builtin_frame_address(0) + 16 in the wrapper) after the real one; a wrapper
 *   of pthread_exit calls hwt_patch_unwind_all() before the real one.
 * - longjmp and siglongjmp need nothing: the entries of the frames they skip are found at the
 *   thread's next patched entry or return and reported then (HWT_PATCH_LEAVE_UNWOUND); a wrapper
 *   may call hwt_patch_unwind_to() to report them at once.
 * - Not to be patched (the runtime leaves them out): functions that return twice (setjmp,
 *   _setjmp, sigsetjmp, __sigsetjmp, vfork, getcontext, savectx) or switch stacks (setcontext,
 *   swapcontext, makecontext, clone), and those that read their own return address to find
 *   their caller (dlopen, dlmopen, dlsym, dlvsym: RTLD_NEXT would resolve from the stub).
 *
 * While other threads run: an entry is rewritten with one atomic 8-byte store when the bytes to
 * replace lie in one aligned 8-byte word; otherwise its first byte becomes int3, then the others
 * are written, then the first byte of the jump, with a SIGTRAP handler meanwhile that sends a
 * thread meeting the int3 on to the trampoline. A thread that is inside the replaced bytes (past
 * their first instruction) at that moment is not protected; the runtime patches before main and
 * at dlopen, before any thread runs the new module's code.
 *
 * Not preserved across the hooks: the upper halves of ymm/zmm registers (a __m256 argument
 * passed by value would be clobbered if a hook's code clears them, as glibc's AVX memcpy does
 * with vzeroupper), x87 st(0) of a long double return. A CET shadow stack (user-space SHSTK)
 * would reject the replaced return addresses: the runtime must not patch under it.
 */

/** Why a function cannot be patched; the inproc runtime reports it and traces it with uprobes. */
enum hwt_patch_refusal {
	HWT_PATCH_OK = 0,
	/** Fewer than 5 bytes after the entry (and its endbr64), or its size is 0. */
	HWT_PATCH_TOO_SHORT,
	/** A branch in the function targets the bytes to replace (its own entry included). */
	HWT_PATCH_JUMP_INTO,
	/** An instruction neither our decoder nor capstone knows, or one that cannot be moved
	 *  (int3, jrcxz, loop, a call that is not the last instruction replaced). */
	HWT_PATCH_UNKNOWN_INSN,
	/** A RIP-relative operand moved to the trampoline would be out of its +-2 GiB reach. */
	HWT_PATCH_RIP_RANGE,
	/** Nothing could be mapped within +-2 GiB of the function for its trampoline. */
	HWT_PATCH_NO_TRAMPOLINE_SPACE,
	/** The function has an indirect jump through a table we cannot see (a switch), and the
	 *  bytes to replace past their first instruction do more than set up the frame (push,
	 *  sub $n,%rsp, mov %rsp,%rbp): a case could land inside them. */
	HWT_PATCH_JUMP_TABLE,
	/** The function is patched already (by this patcher), or starts with int3 (a debugger's
	 *  breakpoint, or a uprobe: the kernel writes it where the process sees it). */
	HWT_PATCH_ALREADY,
	HWT_PATCH_REFUSAL_COUNT_ /* not a refusal: the number of values above */
};

/** Static one-line description of @r ("jump into the bytes to replace", ...); never NULL. */
const char *hwt_patch_refusal_str(int r);

/** Flags of hwt_patch_hooks.leave. */
enum hwt_patch_leave_flags {
	/** The function did not return: longjmp, an exception or pthread_exit went past its frame.
	 *  Reported at the next patched entry or return of the thread, or at hwt_patch_unwind_to()
	 *  or hwt_patch_unwind_all(). */
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
 * capstone cannot disassemble x86-64 here (ENOSYS; never in a -DHWT_PATCH_NO_CAPSTONE build, which
 * decodes with our own decoder alone and refuses the rare instruction it does not know).
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

/**
 * hwt_patcher_check() on @n functions in one batch, as hwt_patcher_apply_many() would judge them
 * (jumps from one into another's first bytes included), writing nothing: @results[i] gets 0 or a
 * refusal. Returns the number that would be patched, or HWT_E_INVAL, HWT_E_NOMEM. For `list` and
 * `info`: the same answer as the runtime's but for HWT_PATCH_NO_TRAMPOLINE_SPACE and
 * HWT_PATCH_RIP_RANGE, which depend on the process' address space.
 */
int hwt_patcher_check_many(struct hwt_patcher *p, const struct hwt_patch_req *reqs, size_t n,
			   int *results);

/** The number of functions @p has patched. */
size_t hwt_patcher_count(const struct hwt_patcher *p);

/**
 * The module at [@lo, @hi) was unloaded (dlclose): @p forgets the functions it patched there,
 * without touching that memory, so that a module loaded at the same addresses later can be
 * patched (their trampolines are not reused). Returns the number forgotten, HWT_E_INVAL if @p is
 * NULL, HWT_E_NOMEM.
 */
int hwt_patcher_forget(struct hwt_patcher *p, uintptr_t lo, uintptr_t hi);

/* ---- the calling thread's shadow stack ------------------------------------------------------ */

/**
 * Before an unwinder walks this thread's stack (C++ throw, _Unwind_RaiseException,
 * _Unwind_ForcedUnwind for pthread_exit and cancellation, backtrace()): puts the real return
 * address back into every stack slot where the return path had replaced it. The entries stay on
 * the shadow stack; hwt_patch_unwind_to() re-arms those whose frames survive.
 */
void hwt_patch_restore_returns(void);

/** Says that functions of this process are traced with uretprobes too (the inproc hybrid): a
 *  return slot met again that holds the kernel's uretprobe trampoline is then a tail call
 *  through such a function, found by looking up [uprobes] in /proc/self/maps. Without this
 *  call nothing is looked up (a longjmp-heavy program pays no /proc read). */
void hwt_patch_expect_uretprobes(void);

/** Runs @fn(@ctx) from inside a hook with the calls it makes traced as any (while a hook runs,
 *  calls of patched functions are not traced: the hooks' own). For the runtime's measurements
 *  of what a traced call costs, during the run. */
void hwt_patch_reenter(void (*fn)(void *ctx), void *ctx);

/**
 * The thread's stack is now at @sp (e.g. after a catch, or a longjmp to a frame whose stack
 * pointer is @sp): reports every shadow-stack entry whose frame lay below @sp on the same stack
 * as left (HWT_PATCH_LEAVE_UNWOUND), pops it, and replaces the return address again in the slots
 * of the entries that remain (undoing hwt_patch_restore_returns() for them). Entries of frames
 * on another stack (interrupted by a handler running on a sigaltstack) stay. Returns the number
 * popped.
 */
int hwt_patch_unwind_to(uintptr_t sp);

/**
 * The calling thread leaves every frame it has (pthread_exit; call it in a wrapper before the
 * real one): puts the real return addresses back for the unwinder that pthread_exit starts, and
 * reports every entry as left (HWT_PATCH_LEAVE_UNWOUND). Returns the number popped.
 */
int hwt_patch_unwind_all(void);

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
	uint64_t skipped;  /**< calls not traced: made from a hook, or by the patcher itself */
	uint64_t unwound;  /**< entries reported with HWT_PATCH_LEAVE_UNWOUND */
};

/** Copies the calling thread's counters into @st. */
void hwt_patch_thread_stats(struct hwt_patch_thread_stats *st);

#endif

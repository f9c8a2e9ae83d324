/* The inproc runtime's wrappers around the unwinder (libgcc's entry points, __cxa_begin_catch,
 * pthread_exit): before it walks a thread's stack, the return addresses the patcher replaced are
 * put back (it must see the program's own); once an exception is caught, the calls it went
 * through are reported as left and the others re-armed (lib/inproc/patch.h). */
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>

#include "lib/inproc/patch.h"
#include "rt_internal.h"

struct _Unwind_Exception;

/* The next definition of @name (the C++ runtime's), found once. */
static void *next_fn(void **slot, const char *name)
{
	void *f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (!f) {
		f = dlsym(RTLD_NEXT, name);
		__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	}
	return f;
}

RT_EXPORT int _Unwind_RaiseException(struct _Unwind_Exception *e)
{
	static void *real;
	int (*f)(struct _Unwind_Exception *) = next_fn(&real, "_Unwind_RaiseException");

	hwt_patch_restore_returns();
	return f ? f(e) : 5 /* _URC_FATAL_PHASE1_ERROR */;
}

RT_EXPORT int _Unwind_Resume_or_Rethrow(struct _Unwind_Exception *e)
{
	static void *real;
	int (*f)(struct _Unwind_Exception *) = next_fn(&real, "_Unwind_Resume_or_Rethrow");

	hwt_patch_restore_returns();
	return f ? f(e) : 5 /* _URC_FATAL_PHASE1_ERROR */;
}

RT_EXPORT int _Unwind_ForcedUnwind(struct _Unwind_Exception *e, void *stop, void *arg)
{
	static void *real;
	int (*f)(struct _Unwind_Exception *, void *, void *) =
		next_fn(&real, "_Unwind_ForcedUnwind");

	hwt_patch_restore_returns();
	return f ? f(e, stop, arg) : 2 /* _URC_FATAL_PHASE2_ERROR */;
}

RT_EXPORT __attribute__((noreturn)) void pthread_exit(void *ret)
{
	static void *real;
	void (*f)(void *) = next_fn(&real, "pthread_exit");

	/* Every frame of the thread is left: reported now, real return addresses back for the
	 * unwinder pthread_exit starts. */
	hwt_patch_unwind_all();
	if (f)
		f(ret);
	abort();
}

RT_EXPORT void *__cxa_begin_catch(void *e)
{
	static void *real;
	void *(*f)(void *) = next_fn(&real, "__cxa_begin_catch");
	void *r = f ? f(e) : NULL;

	/* The catching function's stack pointer, as it was before calling here: the calls the
	 * exception left lay below it. */
	hwt_patch_unwind_to((uintptr_t)__builtin_frame_address(0) + 16);
	return r;
}

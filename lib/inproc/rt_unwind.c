/* The inproc runtime's wrappers around the C++ unwinder: before it walks a thread's stack, the
 * return addresses the patcher replaced are put back (it must see the program's own); once an
 * exception is caught, the calls it went through are reported as left and the others re-armed
 * (lib/inproc/patch.h). */
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

RT_EXPORT __attribute__((noreturn)) void __cxa_throw(void *obj, void *tinfo, void (*dest)(void *))
{
	static void *real;
	void (*f)(void *, void *, void (*)(void *)) = next_fn(&real, "__cxa_throw");

	if (!f)
		abort();
	hwt_patch_restore_returns();
	f(obj, tinfo, dest);
	abort();
}

RT_EXPORT __attribute__((noreturn)) void __cxa_rethrow(void)
{
	static void *real;
	void (*f)(void) = next_fn(&real, "__cxa_rethrow");

	if (!f)
		abort();
	hwt_patch_restore_returns();
	f();
	abort();
}

RT_EXPORT int _Unwind_RaiseException(struct _Unwind_Exception *e)
{
	static void *real;
	int (*f)(struct _Unwind_Exception *) = next_fn(&real, "_Unwind_RaiseException");

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

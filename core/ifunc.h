/* Which implementation an IFUNC resolver picks on this machine: what a tracer must probe to see
 * the calls a program makes to strlen or memcpy (the symbol's own code is the resolver, run a few
 * times while the program is linked). */
#ifndef HWT_CORE_IFUNC_H
#define HWT_CORE_IFUNC_H

#include <stddef.h>
#include <stdint.h>

/** Resolves the IFUNC symbols @names[0..@n) of the shared library @path as the dynamic loader
 *  does for a program this process starts on this CPU: a forked child dlopen()s @path
 *  (RTLD_LAZY | RTLD_LOCAL, so constructors run only there), dlsym()s each name and sends back
 *  where the implementation lies, and exits. Sets @vaddrs[i] to the implementation's virtual
 *  address in the file (0 when @names[i] is not there, or resolves into another file). All
 *  arguments are borrowed for the call. Returns how many were resolved (>= 0), or a negative
 *  enum hwt_error with @why filled: HWT_E_INVAL (bad arguments), HWT_E_NOTSUP (@path cannot be
 *  loaded into this process, e.g. a program rather than a library, or the copy loaded is
 *  another file than @path: another inode), HWT_E_IO (the child failed or took more than a few
 *  seconds), or fork()/pipe()'s error. */
int hwt_ifunc_resolve(const char *path, const char *const *names, size_t n, uint64_t *vaddrs,
		      char *why, size_t whylen);

#endif

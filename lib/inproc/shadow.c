/* The per-thread shadow stack of the entry patcher: what patched calls return through, kept exact
 * under recursion, tail calls, signal handlers, longjmp and exceptions. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/inproc/patch_internal.h"

/* One patched call under way: where its return address was and what it was. */
struct hwt__shadow_entry {
	uintptr_t *slot;
	uintptr_t ret;
	uint32_t id;
};

struct hwt__shadow {
	struct hwt__shadow_entry *ent;
	uint32_t depth, cap;
	/* Set while the patcher's C side or a hook runs on this thread: patched calls made then (by
	 * a hook, or a signal handler interrupting one) run untraced, so nothing re-enters. */
	uint32_t busy;
	struct hwt_patch_thread_stats st;
	/* The thread's own stack; stack pointers are compared only within one stack (a handler
	 * on a sigaltstack may run above it). Unknown: 0 and UINTPTR_MAX, one stack. */
	uintptr_t stk_lo, stk_size;
};

#define SHADOW_FIRST_CAP 1024u
#define SHADOW_MAX_CAP	 (1u << 20)

static __thread struct hwt__shadow shadow __attribute__((tls_model("initial-exec")));

struct hwt_patch_hooks hwt__patch_hooks;

#define barrier() __asm__ __volatile__("" ::: "memory")

static void leave_noop(void *ctx, uint32_t id, unsigned flags)
{
}

/* A key whose destructor unmaps an exiting thread's array. */
static pthread_key_t shadow_key;
static pthread_once_t shadow_once = PTHREAD_ONCE_INIT;
static int shadow_key_ok;

static void shadow_release(void *v)
{
	struct hwt__shadow *s = &shadow;
	struct hwt__shadow_entry *ent = s->ent;
	size_t bytes = s->cap * sizeof(*s->ent);

	/* Frames still on it never return (pthread_exit); a patched call made by a later
	 * destructor allocates again, and this runs again. munmap may be patched itself: the
	 * array is gone from the thread's state before, and busy keeps that call untraced. */
	s->busy++;
	s->ent = NULL;
	s->cap = 0;
	s->depth = 0;
	barrier();
	if (ent)
		munmap(ent, bytes);
	barrier();
	s->busy--;
}

static void shadow_key_init(void)
{
	shadow_key_ok = pthread_key_create(&shadow_key, shadow_release) == 0;
}

/* Grows @s's array: 0, or -1 (at the cap, or no memory). mmap, not malloc: malloc may be patched.
 */
static int shadow_grow(struct hwt__shadow *s)
{
	size_t ncap = s->cap ? (size_t)s->cap * 2 : SHADOW_FIRST_CAP;
	void *p;

	if (ncap > SHADOW_MAX_CAP)
		return -1;
	if (s->ent)
		p = mremap(s->ent, s->cap * sizeof(*s->ent), ncap * sizeof(*s->ent),
			   MREMAP_MAYMOVE);
	else
		p = mmap(NULL, ncap * sizeof(*s->ent), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	if (!s->ent) {
		pthread_attr_t a;
		void *lo;
		size_t size;

		s->stk_lo = 0;
		s->stk_size = UINTPTR_MAX;
		if (pthread_getattr_np(pthread_self(), &a) == 0) {
			if (pthread_attr_getstack(&a, &lo, &size) == 0 && size)
				s->stk_lo = (uintptr_t)lo, s->stk_size = size;
			pthread_attr_destroy(&a);
		}
		pthread_once(&shadow_once, shadow_key_init);
		if (shadow_key_ok)
			pthread_setspecific(shadow_key, p);
	}
	s->ent = p;
	s->cap = (uint32_t)ncap;
	return 0;
}

/* Whether @a and @b lie on the same stack: the thread's own, or both elsewhere. */
static bool same_stack(const struct hwt__shadow *s, uintptr_t a, uintptr_t b)
{
	return (a - s->stk_lo < s->stk_size) == (b - s->stk_lo < s->stk_size);
}

/* Pops the top entry of @s as left without a return. */
static void pop_unwound(struct hwt__shadow *s, uint32_t report)
{
	uint32_t id = s->ent[s->depth - 1].id;

	s->depth--;
	s->st.unwound++;
	if (report)
		hwt__patch_hooks.leave(hwt__patch_hooks.ctx, id, HWT_PATCH_LEAVE_UNWOUND);
}

/* The kernel's uretprobe trampoline: the [uprobes] mapping of this process, made at the first
 * uprobe hit. A slot holding an address there was a patched call's (our stub's) before a
 * uretprobe took it: a tail call through a function traced with uprobes. Looked up from
 * /proc/self/maps when a slot is met again holding something else than our stub (rare), until
 * found. */
static uintptr_t uprobes_lo, uprobes_hi;
static bool uretprobes_expected; /* hwt_patch_expect_uretprobes(): else nothing is looked up */

void hwt_patch_expect_uretprobes(void)
{
	__atomic_store_n(&uretprobes_expected, true, __ATOMIC_RELEASE);
}

static bool uretprobe_return(uintptr_t ret)
{
	if (!__atomic_load_n(&uretprobes_expected, __ATOMIC_ACQUIRE))
		return false; /* a slot met again is then a frame longjmp left: no /proc read */
	if (!uprobes_lo) {
		char line[256];
		FILE *f = fopen("/proc/self/maps", "re");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "[uprobes]")) {
				unsigned long lo, hi;
				if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
					uprobes_hi = hi;
					__atomic_store_n(&uprobes_lo, lo, __ATOMIC_RELEASE);
				}
				break;
			}
		if (f)
			fclose(f);
	}
	return uprobes_lo && ret >= uprobes_lo && ret < uprobes_hi;
}

void hwt__patch_on_enter(uintptr_t resume, uintptr_t *slot)
{
	struct hwt__shadow *s = &shadow;
	const uintptr_t stub = (uintptr_t)hwt__patch_return_asm;
	uint32_t id = hwt__tramp_of_resume(resume)->id;
	uint32_t d;

	if (s->busy) {
		s->st.skipped++;
		return;
	}
	s->busy = 1;
	barrier();
	/* Entries at or below this call's slot, on the same stack, belong to frames longjmp or an
	 * exception left, except one at the same slot whose return address is already the stub:
	 * the caller tail-jumped here, and this call nests inside it (it returns through the stub
	 * twice). */
	while ((d = s->depth) > 0) {
		const struct hwt__shadow_entry *e = &s->ent[d - 1];

		if (e->slot > slot ||
		    (e->slot == slot && (*slot == stub || uretprobe_return(*slot))) ||
		    !same_stack(s, (uintptr_t)e->slot, (uintptr_t)slot))
			break;
		pop_unwound(s, 1);
	}
	if (d == s->cap && shadow_grow(s) < 0) {
		s->st.overflow++;
		goto out;
	}
	s->ent[d].slot = slot;
	s->ent[d].ret = *slot;
	s->ent[d].id = id;
	s->depth = d + 1;
	*slot = stub;
	hwt__patch_hooks.enter(hwt__patch_hooks.ctx, id);
out:
	barrier();
	s->busy = 0;
}

static void __attribute__((noreturn)) shadow_corrupt(const uintptr_t *slot)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "hwtrace: a patched function returned through slot %p that the shadow "
			 "stack does not hold (depth %u); cannot continue\n",
			 (const void *)slot, shadow.depth);

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		abort();
	abort();
}

uintptr_t hwt__patch_on_leave(uintptr_t *slot)
{
	struct hwt__shadow *s = &shadow;
	uint32_t busy = s->busy, id;
	uintptr_t ret;
	uint32_t d;

	s->busy = 1;
	barrier();
	/* Its entry is the top one, unless longjmp or an exception left frames above it: those
	 * are popped as unwound. The slot decides, not stack order (sigaltstack). */
	for (d = s->depth; d > 0 && s->ent[d - 1].slot != slot; d--)
		;
	if (d == 0)
		shadow_corrupt(slot);
	while (s->depth > d)
		pop_unwound(s, !busy);
	ret = s->ent[d - 1].ret;
	id = s->ent[d - 1].id;
	s->depth = d - 1;
	if (!busy)
		hwt__patch_hooks.leave(hwt__patch_hooks.ctx, id, 0);
	else
		s->st.skipped++;
	barrier();
	s->busy = busy;
	return ret;
}

void hwt_patch_reenter(void (*fn)(void *ctx), void *ctx)
{
	struct hwt__shadow *s = &shadow;
	uint32_t busy = s->busy;

	barrier();
	s->busy = 0;
	barrier();
	fn(ctx);
	barrier();
	s->busy = busy;
}

void hwt_patch_restore_returns(void)
{
	struct hwt__shadow *s = &shadow;
	const uintptr_t stub = (uintptr_t)hwt__patch_return_asm;

	/* From the outermost: of entries sharing a slot (tail calls), the first holds the real one.
	 */
	for (uint32_t i = 0; i < s->depth; i++)
		if (*s->ent[i].slot == stub)
			*s->ent[i].slot = s->ent[i].ret;
}

int hwt_patch_unwind_to(uintptr_t sp)
{
	struct hwt__shadow *s = &shadow;
	const uintptr_t stub = (uintptr_t)hwt__patch_return_asm;
	uint32_t busy = s->busy;
	int n = 0;

	s->busy = 1;
	barrier();
	while (s->depth > 0 && (uintptr_t)s->ent[s->depth - 1].slot < sp &&
	       same_stack(s, (uintptr_t)s->ent[s->depth - 1].slot, sp)) {
		pop_unwound(s, !busy);
		n++;
	}
	for (uint32_t i = 0; i < s->depth; i++)
		if (s->ent[i].ret != stub && *s->ent[i].slot == s->ent[i].ret)
			*s->ent[i].slot = stub;
	barrier();
	s->busy = busy;
	return n;
}

int hwt_patch_unwind_all(void)
{
	struct hwt__shadow *s = &shadow;
	uint32_t busy = s->busy;
	int n = 0;

	hwt_patch_restore_returns();
	s->busy = 1;
	barrier();
	for (; s->depth > 0; n++)
		pop_unwound(s, !busy);
	barrier();
	s->busy = busy;
	return n;
}

size_t hwt_patch_depth(void)
{
	return shadow.depth;
}

uintptr_t hwt_patch_real_return(const uintptr_t *slot)
{
	const struct hwt__shadow *s = &shadow;

	if (!slot)
		return 0;
	if (*slot != (uintptr_t)hwt__patch_return_asm)
		return *slot;
	for (uint32_t i = 0; i < s->depth; i++)
		if (s->ent[i].slot == slot)
			return s->ent[i].ret;
	return *slot;
}

uintptr_t hwt_patch_return_stub(void)
{
	return (uintptr_t)hwt__patch_return_asm;
}

void hwt_patch_thread_stats(struct hwt_patch_thread_stats *st)
{
	if (st)
		*st = shadow.st;
}

void hwt__patch_busy(int on)
{
	barrier();
	shadow.busy += on ? 1 : -1;
	barrier();
}

/* After hwt_patcher_free: calls still under way return without reporting. */
void hwt__patch_hooks_clear(void)
{
	hwt__patch_hooks.leave = leave_noop;
}

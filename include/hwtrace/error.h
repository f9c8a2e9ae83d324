/* Error codes shared by every layer of hwtrace, generated from one X-macro list. */
#ifndef HWTRACE_ERROR_H
#define HWTRACE_ERROR_H

/* X(name, text): the text completes "hwtrace: <what>: <text>". */
#define HWT_ERROR_MAP(X)                                       \
	X(NOMEM, "out of memory")                              \
	X(INVAL, "invalid argument")                           \
	X(IO, "input/output error")                            \
	X(NOENT, "not found")                                  \
	X(PERM, "permission denied")                           \
	X(BADFILE, "not an hwtrace recording")                 \
	X(CORRUPT, "recording is corrupt")                     \
	X(TRUNCATED, "recording is truncated")                 \
	X(VERSION, "recording was written by a newer hwtrace") \
	X(NOTSUP, "not supported on this machine")             \
	X(NOPMU, "no hardware PMU on this machine")            \
	X(EXEC, "program could not be started")                \
	X(ZSTD, "compression error")                           \
	X(ELF, "ELF error")                                    \
	X(ABI, "plugin ABI mismatch")                          \
	X(BUSY, "resource busy")                               \
	X(NOCALLS, "recording has no traced calls")

/** Negative error codes; functions return them, or >= 0 on success. */
enum hwt_error {
	HWT_OK = 0,
#define HWT_ERROR_ENUM(name, text) HWT_E_##name,
	HWT_E_FIRST_ = -100,
	HWT_ERROR_MAP(HWT_ERROR_ENUM)
#undef HWT_ERROR_ENUM
};

/** Static description of @err (negative code); never NULL. */
const char *hwt_errstr(int err);

/**
 * The enum hwt_error for the errno value @e (positive, as errno holds it), one mapping for every
 * layer: ENOMEM -> HWT_E_NOMEM; EACCES, EPERM, EROFS -> HWT_E_PERM; ENOENT -> HWT_E_NOENT; EINVAL,
 * E2BIG -> HWT_E_INVAL; EBUSY -> HWT_E_BUSY; ENOSYS, EOPNOTSUPP, ENODEV -> HWT_E_NOTSUP; anything
 * else (0 included) -> HWT_E_IO. The code says what kind of failure it was; callers keep errno, or
 * put strerror(@e) in their message, where it explains more. Callers whose errno means something
 * else (perf_event_open's ENOENT: no such PMU event) handle that case first.
 */
int hwt_error_from_errno(int e);

#endif

/* Text for enum hwt_error, from the same X-macro list, and the one errno -> enum hwt_error map. */
#include "hwtrace/error.h"

#include <errno.h>

const char *hwt_errstr(int err)
{
	switch (err) {
	case HWT_OK:
		return "success";
#define HWT_ERROR_CASE(name, text) \
	case HWT_E_##name:         \
		return text;
		HWT_ERROR_MAP(HWT_ERROR_CASE)
#undef HWT_ERROR_CASE
	default:
		return "unknown error";
	}
}

int hwt_error_from_errno(int e)
{
	switch (e) {
	case ENOMEM:
		return HWT_E_NOMEM;
	case EACCES:
	case EPERM:
	case EROFS: /* nothing can be written there: the user's permission, not a device error */
		return HWT_E_PERM;
	case ENOENT:
		return HWT_E_NOENT;
	case EINVAL:
	case E2BIG: /* an argument too large: a bad argument */
		return HWT_E_INVAL;
	case EBUSY:
		return HWT_E_BUSY;
	case ENOSYS:	 /* the kernel lacks the system call */
	case EOPNOTSUPP: /* == ENOTSUP on Linux */
	case ENODEV:	 /* no such device or PMU here */
		return HWT_E_NOTSUP;
	default:
		return HWT_E_IO;
	}
}

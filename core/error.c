/* Text for enum hwt_error, from the same X-macro list. */
#include "hwtrace/error.h"

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

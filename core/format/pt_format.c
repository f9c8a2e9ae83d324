/* The Intel PT side-band chunk: its one reader (the writers fill the struct). */
#include <string.h>

#include "hwtrace/error.h"
#include "pt_format.h"

/* The layout is the file format: no padding, and the size of version 1 is fixed. */
_Static_assert(sizeof(struct hwt_pt_sideband) == 240, "struct hwt_pt_sideband changed size");
_Static_assert(offsetof(struct hwt_pt_sideband, config) == 40, "padding in hwt_pt_sideband");
_Static_assert(offsetof(struct hwt_pt_sideband, mono_offset) == 80, "padding in hwt_pt_sideband");

void hwt_pt_sideband_init(struct hwt_pt_sideband *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->version = HWT_PT_SIDEBAND_VERSION;
	sb->size = sizeof(*sb);
	sb->cyc_thresh = sb->psb_period = -1;
}

int hwt_pt_sideband_read(const void *data, size_t len, struct hwt_pt_sideband *sb)
{
	struct hwt_pt_sideband in;

	hwt_pt_sideband_init(sb);
	if (!data || len < sizeof(in))
		return HWT_E_CORRUPT;
	memcpy(&in, data, sizeof(in));
	if (in.version != HWT_PT_SIDEBAND_VERSION || in.size < sizeof(in) || in.size > len)
		return HWT_E_CORRUPT;
	*sb = in;
	sb->size = sizeof(*sb);
	sb->trigger[sizeof(sb->trigger) - 1] = '\0';
	return 0;
}

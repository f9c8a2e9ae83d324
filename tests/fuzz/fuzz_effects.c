/* libFuzzer target: any bytes as a run of the syscalls plugin's records (core/format/
 * sysc_format.h) read by the effects decoder (decoders/effects): each record is a byte of
 * thread, a 16-bit length and that many bytes. Every effect's value tree is walked whole, and its
 * leaf must be a string of the model; io_uring submissions are handed a stack. Run by make
 * fuzz. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/format/sysc_format.h"
#include "core/format/value.h"
#include "core/model.h"
#include "decoders/effects/effects.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_effects *fx = hwt_effects_alloc();
	uint8_t rec[sizeof(struct hwt_sysc_rec) + 64] __attribute__((aligned(8)));
	uint64_t ts = 0;

	while (m && fx && size >= 3) {
		uint32_t tid = data[0] % 4 + 1;
		size_t len = (size_t)data[1] | (size_t)data[2] << 8;
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (len > sizeof(rec))
			len = sizeof(rec);
		memcpy(rec, data, len); /* the decoder gets 8-byte aligned records */
		data += len;
		size -= len;
		struct hwt_effect out[HWT_EFFECTS_MAX];
		int rc = hwt_effects_record(fx, m, 1 + tid % 2, tid, ++ts, rec, len, out);
		if (rc > HWT_EFFECTS_MAX)
			abort();
		if (rc == 0 && hwt_effects_wants_stack(fx))
			hwt_effects_keep_stack(fx, (uint32_t)ts); /* an io_uring submission's */
		for (int i = 0; i < rc; i++) {
			struct hwt_value_reader r;
			struct hwt_value v;
			int k;

			if (!out[i].name || out[i].leaf >= hwt_model_nstrs(m))
				abort();
			hwt_value_reader_init(&r, out[i].args, out[i].args_len);
			while ((k = hwt_value_next(&r, &v)) != 0)
				if (k < -1)
					abort();
		}
	}
	hwt_effects_free(fx);
	hwt_model_free(m);
	return 0;
}

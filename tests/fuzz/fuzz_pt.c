/* libFuzzer target: any bytes as a raw Intel PT stream of a real program (the fuzzer binary
 * itself as the image), imported and decoded to the end: libipt, the stack rebuild, the
 * parallel split at PSBs and the gap handling see every input. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "core/model.h"
#include "decoders/decode.h"
#include "decoders/intel_pt/pt_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[64], why[512];
	struct hwt_pt_image img = { .path = "/proc/self/exe", .bias = 0 };
	struct hwt_pt_import_config cfg;
	int err;

	snprintf(out, sizeof(out), "/tmp/hwt-fuzz-pt-%d.hwt", (int)getpid());
	hwt_pt_import_config_init(&cfg);
	cfg.data = data;
	cfg.len = size;
	cfg.images = &img;
	cfg.nimages = 1;
	cfg.mtc_freq = 3;
	cfg.nom_freq = 10;
	cfg.cpuid15_eax = 2;
	cfg.cpuid15_ebx = 64;
	if (hwt_pt_import(&cfg, out, why, sizeof(why)))
		return 0;
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_decoder *d = hwt_decoder_open(out, m, NULL, &err, why, sizeof(why));
	struct hwt_event ev;
	while (d && hwt_decoder_next(d, &ev) > 0)
		;
	hwt_decoder_close(d);
	hwt_model_free(m);
	unlink(out);
	return 0;
}

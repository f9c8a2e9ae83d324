/* libFuzzer target: any bytes as a .hwt recording, read and decoded to the end. Run by make fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/model.h"
#include "decoders/decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], why[512];
	int fd = memfd_create("hwt-fuzz", 0), err;

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct hwt_model *m = hwt_model_alloc();
	struct hwt_decoder_config cfg;
	hwt_decoder_config_init(&cfg);
	cfg.symbolize = 0; /* addresses in fuzzed input name no real files */
	struct hwt_decoder *d = hwt_decoder_open(path, m, &cfg, &err, why, sizeof(why));
	struct hwt_event ev;
	while (d && hwt_decoder_next(d, &ev) > 0)
		;
	hwt_decoder_close(d);
	hwt_model_free(m);
	close(fd);
	return 0;
}

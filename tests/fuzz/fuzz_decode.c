/* libFuzzer target: any bytes as a .hwt recording, read and decoded to the end. Run by make fuzz.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "decode_fd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd = memfd_create("hwt-fuzz", 0);

	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	decode_fd(fd, NULL);
	close(fd);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the mountinfo lookup that keeps the installer off mounted
// devices: any text, a device number taken from its first bytes.
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "slot_write.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char point[32];
	uint16_t maj = 0, min = 0;
	int rc;

	if (size >= 4) {
		memcpy(&maj, data, 2);
		memcpy(&min, data + 2, 2);
		data += 4;
		size -= 4;
	}
	rc = slot_mountinfo_find((const char *)data, size, makedev(maj, min), point,
				 sizeof(point), NULL);
	if (rc == 0 && !memchr(point, 0, sizeof(point)))
		__builtin_trap();
	if (rc && rc != GW_E_NOTFOUND && rc != GW_E_PARSE)
		__builtin_trap();
	return 0;
}

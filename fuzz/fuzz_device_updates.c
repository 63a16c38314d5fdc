// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for what the verifier reads of a device's update records from
// a CEL log: parse, then check what it kept is consistent (bounded outcomes, each
// kept event formats back to a record text, positions increasing).
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "device_updates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct device_updates u;
	char text[UPDATE_EVENT_TEXT_MAX];
	uint64_t last = 0;

	if (device_updates_read(data, size, &u, NULL))
		return 0;
	if (u.n_outcomes > DEVICE_UPDATES_MAX_OUTCOMES || u.pcr14_records < u.n_outcomes)
		abort();
	if (u.has_running && update_event_format(&u.running, text, sizeof(text)))
		abort();
	for (size_t i = 0; i < u.n_outcomes; i++) {
		if (u.outcome[i].position <= last || u.outcome[i].position > u.pcr14_records ||
		    update_event_format(&u.outcome[i].ev, text, sizeof(text)))
			abort();
		last = u.outcome[i].position;
	}
	return 0;
}

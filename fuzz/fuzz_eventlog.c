// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the firmware event log parser, replayer and JSON view.
#include <stddef.h>
#include <stdint.h>

#include "eventlog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct eventlog *log = NULL;
	struct gw_pcr_set pcrs = { 0 };
	struct json_object *json = NULL;
	gw_error err = { { 0 } };

	if (eventlog_parse(data, size, &log, &err))
		return 0;
	if (eventlog_replay(log, &pcrs, &err) == 0 && eventlog_events_json(log, &json) == 0)
		json_object_put(json);
	eventlog_free(log);
	return 0;
}

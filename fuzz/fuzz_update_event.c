// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the text of the agent's update records: parse, and what
// parses must format back to the same text.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update_event.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_event ev;
	char *text, back[UPDATE_EVENT_TEXT_MAX];

	if (size > 512)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (update_event_parse(text, &ev, NULL) == 0) {
		if (update_event_format(&ev, back, sizeof(back)) || strcmp(back, text))
			abort();
	}
	free(text);
	return 0;
}

// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the agent's slot state file (slots.json): parse, and what
// parses must format and parse back to the same state.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "update_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_state st, back;
	char *text = NULL;
	size_t len = 0;
	int rc;

	rc = update_state_parse(data, size, &st, NULL);
	if (rc) {
		if (rc != GW_E_PARSE && rc != GW_E_TOOBIG && rc != GW_E_TRAILING && rc != GW_E_NOMEM)
			__builtin_trap();
		return 0;
	}
	if (st.trial_group < -1 || st.trial_group >= BL_NGROUPS)
		__builtin_trap();
	for (int g = 0; g < BL_NGROUPS; g++)
		if (st.group[g].state > SLOT_BAD ||
		    !memchr(st.group[g].version, 0, sizeof(st.group[g].version)))
			__builtin_trap();
	if (update_state_format(&st, &text, &len))
		return 0;
	if (update_state_parse((const uint8_t *)text, len, &back, NULL) ||
	    memcmp(&st, &back, sizeof(st)))
		__builtin_trap();
	free(text);
	return 0;
}

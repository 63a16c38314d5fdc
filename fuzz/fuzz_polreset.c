// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the policy version reset payload parser: what parses keeps
// the parser's promises (a valid model, reset >= 1, to_version below from_version,
// a reason of printable bytes); what does not leaves the output untouched.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "api.h"
#include "polreset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct polreset r;
	gw_error err = { { 0 } };
	size_t n;

	memset(&r, 0xa5, sizeof(r));
	if (polreset_parse(data, size, &r, &err)) {
		if (r.reset != 0xa5a5a5a5u)
			__builtin_trap(); /* output written on failure */
		return 0;
	}
	n = strnlen(r.reason, sizeof(r.reason));
	if (!api_valid_id(r.model) || r.reset == 0 || r.to_version >= r.from_version || n == 0 ||
	    n > POLRESET_REASON_MAX)
		__builtin_trap();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)r.reason[i] < 0x20 || r.reason[i] == 0x7f)
			__builtin_trap();
	return 0;
}

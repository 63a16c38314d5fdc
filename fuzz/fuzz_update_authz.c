// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the update authorization of an attestation result
// (agent/update_authz.h): parse, and for what parses, the agent's checks must run
// on it without fault, accept it for its own release and manifest, and refuse it
// for the other encryption.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "update_authz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct update_authz a;
	gw_error err = { { 0 } };

	if (update_authz_parse(data, size, &a, &err)) {
		if (a.wrapped_key)
			__builtin_trap();
		return 0;
	}
	if (update_authz_check(&a, a.release, a.manifest_sha256, a.wrapped_key != NULL, &err) ||
	    !update_authz_check(&a, a.release, a.manifest_sha256, a.wrapped_key == NULL, &err))
		__builtin_trap();
	update_authz_fini(&a);
	return 0;
}

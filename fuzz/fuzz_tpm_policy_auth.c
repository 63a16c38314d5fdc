// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the gate authorization JSON: parse, and for what parses,
// format it and parse that again, which must give the same authorization.
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tpm_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tpm_policy_auth a, b;
	TPMT_SIGNATURE sig;
	gw_error err = { { 0 } };
	json_object *j = NULL;
	const char *text;

	if (tpm_policy_auth_parse(data, size, &a, &err))
		return 0;
	/* What parses has a signature the TPM can take. */
	if (tpm_policy_auth_tpm_signature(&a, &sig, &err))
		__builtin_trap();
	if (tpm_policy_auth_to_json(&a, &j))
		__builtin_trap();
	text = json_object_to_json_string(j);
	memset(&b, 0, sizeof(b));
	if (tpm_policy_auth_parse(text, strlen(text), &b, &err) ||
	    memcmp(&a, &b, sizeof(a)) != 0)
		__builtin_trap();
	json_object_put(j);
	return 0;
}

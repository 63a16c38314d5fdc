// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the update key's enrollment message (POST /v1/update-key):
// parse; for what parses, run the template and certify-creation checks the
// verifier runs (against a fixed gate policy and software AK, so they fail, but
// on whatever structures parsed), and format and parse the message again.
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tpm_policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *ak;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t policy[TPM_POLICY_DIGEST_LEN] = { 1 };
	struct tpm_policy_key_msg *m = calloc(2, sizeof(*m));
	gw_error err = { { 0 } };
	json_object *j = NULL;
	TPM2B_ATTEST att;
	const char *text;

	if (!ak)
		ak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	if (!m || !ak)
		__builtin_trap();
	if (tpm_policy_key_msg_parse(data, size, &m[0], &err))
		goto out;
	(void)tpm_policy_check_update_key(&m[0].pub, policy, &err);
	(void)tpm_policy_creation_verify(ak, &m[0], &err);
	att.size = (uint16_t)m[0].attest_len;
	memcpy(att.attestationData, m[0].attest, m[0].attest_len);
	if (tpm_policy_key_msg_to_json(&m[0].pub, &m[0].creation, &att, &m[0].sig, &j))
		__builtin_trap();
	text = json_object_to_json_string(j);
	if (tpm_policy_key_msg_parse(text, strlen(text), &m[1], &err) ||
	    m[1].attest_len != m[0].attest_len ||
	    memcmp(m[1].attest, m[0].attest, m[0].attest_len) ||
	    m[1].creation_raw_len != m[0].creation_raw_len ||
	    memcmp(m[1].creation_raw, m[0].creation_raw, m[0].creation_raw_len))
		__builtin_trap();
	json_object_put(j);
out:
	free(m);
	return 0;
}

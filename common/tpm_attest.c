// SPDX-License-Identifier: Apache-2.0
// Signature, magic, type and qualifying data of a TPMS_ATTEST other than a quote.
#include "tpm_attest.h"

#include <string.h>

#include "tpmdata.h"
#include "util.h"

int tpm_attest_verify(EVP_PKEY *ak, const uint8_t *attest, size_t len,
		      const TPMT_SIGNATURE *sig, TPMI_ST_ATTEST type, const uint8_t *nonce,
		      size_t nonce_len, const char *what, TPMS_ATTEST *out, gw_error *err)
{
	TPMS_ATTEST a;
	int rc;

	rc = tpmdata_verify_signature(ak, attest, len, sig, err);
	if (rc) {
		gw_error_prefix(err, "%s: not signed by the AK: ", what);
		return GW_E_SIGNATURE;
	}
	rc = tpmdata_attest_unmarshal(attest, len, &a, err);
	if (rc) {
		gw_error_prefix(err, "%s: ", what);
		return rc;
	}
	if (a.magic != TPM2_GENERATED_VALUE)
		return gw_fail(err, GW_E_MAGIC, "%s: magic 0x%08x is not TPM_GENERATED_VALUE", what,
			       a.magic);
	if (a.type != type)
		return gw_fail(err, GW_E_ATTEST_TYPE, "%s: attestation type 0x%04x, expected 0x%04x",
			       what, a.type, type);
	if (nonce && (a.extraData.size != nonce_len ||
		      !gw_ct_equal(a.extraData.buffer, nonce, nonce_len)))
		return gw_fail(err, GW_E_NONCE, "%s: qualifying data is not this round's nonce",
			       what);
	*out = a;
	return 0;
}
